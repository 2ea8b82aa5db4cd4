// Writing the files of a package being converted: each copied or converted
// straight into its place (convert_plan.hpp), through a gzip and a chunking
// stage when the target stores it so.
#include <algorithm>

#include <fmt/format.h>

#include <ovfkit/disk/convert.hpp>
#include <ovfkit/io/gzip_sink.hpp>
#include <ovfkit/io/sink_file.hpp>
#include <ovfkit/ops/convert_plan.hpp>
#include <ovfkit/package/chunk_sink.hpp>

namespace ovfkit::ops::convert_detail {

namespace {

constexpr size_t k_copy_piece = size_t{4} << 20;

// Hashes with the source manifest's algorithm, beside the target's digest.
struct SourceCheck {
    std::unique_ptr<io::NullSink> nowhere;
    std::unique_ptr<io::DigestSink> digest;

    static Result<SourceCheck> make(const std::string& name, io::DigestAlgorithm algorithm) {
        SourceCheck c;
        c.nowhere = std::make_unique<io::NullSink>(name);
        OVFKIT_TRY_ASSIGN(c.digest, io::DigestSink::create(*c.nowhere, algorithm));
        return c;
    }
};

Result<void> hash_zeros(io::Sink& sink, uint64_t count) {
    static const std::vector<std::byte> zeros(size_t{1} << 20);
    while (count > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(count, zeros.size()));
        OVFKIT_TRY(sink.write(std::span(zeros).first(n)));
        count -= n;
    }
    return {};
}

// Copies [0, size) of `in` into `out`. Holes of the source are not read or
// written (they stay holes; the hash sees their zeros).
Result<void> copy_file(io::File& in, uint64_t size, io::File& out, io::Sink* also,
                       const Work& work) {
    std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(k_copy_piece, size)));
    for (uint64_t pos = 0; pos < size;) {
        OVFKIT_TRY_ASSIGN(uint64_t data, in.next_data(pos));
        data = std::min(std::max(data, pos), size);
        if (data > pos) {
            if (also != nullptr) {
                OVFKIT_TRY(hash_zeros(*also, data - pos));
            }
            pos = data;
            continue;
        }
        OVFKIT_TRY_ASSIGN(uint64_t hole, in.next_hole(pos));
        hole = std::min(std::max(hole, pos + 1), size);
        while (pos < hole) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), hole - pos));
            auto piece = std::span(buf).first(n);
            OVFKIT_TRY(io::read_exact(in, piece, pos));
            OVFKIT_TRY(out.pwrite(piece, pos));
            if (also != nullptr) {
                OVFKIT_TRY(also->write(piece));
            }
            pos += n;
            OVFKIT_TRY(work.at(pos, in.name()));
        }
    }
    OVFKIT_TRY_ASSIGN(uint64_t now, out.size());
    if (now < size) {
        OVFKIT_TRY(out.truncate(size)); // a trailing hole
    }
    return {};
}

// The digest of a whole source file, read once.
Result<std::string> digest_file(io::File& in, uint64_t size, io::DigestAlgorithm algorithm) {
    OVFKIT_TRY_ASSIGN(SourceCheck check, SourceCheck::make(in.name(), algorithm));
    std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(k_copy_piece, size)));
    for (uint64_t pos = 0; pos < size;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - pos));
        OVFKIT_TRY(io::read_exact(in, std::span(buf).first(n), pos));
        OVFKIT_TRY(check.digest->write(std::span(buf).first(n)));
        pos += n;
    }
    OVFKIT_TRY(check.digest->finish());
    return check.digest->hex_digest();
}

// Checks the source files of a disk against the source's manifest before
// the disk is read: a damaged disk is reported as not matching its
// manifest, not as whatever its reader trips on.
Result<void> check_disk_source(const package::Source& src, const Member& m,
                               io::DigestAlgorithm algorithm, const package::Manifest& expected,
                               std::vector<package::FileDigest>& source_digests) {
    std::vector<package::StoredPart> parts;
    if (m.layout) {
        parts = m.layout->parts;
    } else {
        parts.push_back({m.source_name, m.size});
    }
    for (const auto& part : parts) {
        OVFKIT_TRY_ASSIGN(auto in, src.open_file(part.name));
        OVFKIT_TRY_ASSIGN(std::string d, digest_file(*in, part.size, algorithm));
        if (const auto* entry = expected.find(part.name); entry != nullptr && entry->digest != d) {
            return fail(Errc::refused,
                        "{}: not converted: {}: {} digest {} does not match the manifest's {}",
                        src.path(), part.name, io::digest_name(algorithm), d, entry->digest);
        }
        source_digests.push_back({part.name, std::move(d)});
    }
    return {};
}

// Writes member `m` into `out`: copied, or converted by its format's
// writer. With `check_algorithm`, the source file's digest in that
// algorithm goes to `source_digests`.
Result<void> write_member(const package::Source& src, Member& m, io::File& out,
                          std::optional<io::DigestAlgorithm> check_algorithm,
                          const package::Manifest& expected, const ConvertOptions& options,
                          const Work& work, uint64_t& data_bytes,
                          std::vector<package::FileDigest>& source_digests) {
    if (m.to == nullptr) {
        OVFKIT_TRY_ASSIGN(auto in, src.open_file(m.source_name));
        std::optional<SourceCheck> check;
        if (check_algorithm) {
            OVFKIT_TRY_ASSIGN(check, SourceCheck::make(m.source_name, *check_algorithm));
        }
        OVFKIT_TRY(copy_file(*in, m.size, out, check ? check->digest.get() : nullptr, work));
        if (check) {
            OVFKIT_TRY(check->digest->finish());
            source_digests.push_back({m.source_name, check->digest->hex_digest()});
        }
        return {};
    }
    if (check_algorithm) {
        OVFKIT_TRY(check_disk_source(src, m, *check_algorithm, expected, source_digests));
    }
    disk::CreateOptions create;
    create.virtual_size = m.virtual_size;
    create.uuid = m.uuid;
    OVFKIT_TRY(disk::check_create_options(*m.to, create, m.name));
    disk::CreateContext ctx{&out, m.name, nullptr, create};
    OVFKIT_TRY_ASSIGN(auto writer, m.to->create(ctx));
    disk::ConvertOptions pipeline;
    pipeline.threads = options.threads;
    pipeline.virtual_size = m.virtual_size;
    pipeline.cancel = &work.control.cancel.flag();
    pipeline.progress = [&work](uint64_t done, uint64_t) { (void)work.at(done, ""); };
    auto stats = disk::copy_disk(*m.image->reader, *writer, pipeline);
    if (!stats) {
        // The pipeline stops with its own words; a cancel is reported as one.
        if (work.control.cancel.cancelled()) {
            return fail(cancelled_error(m.name));
        }
        return fail(std::move(stats).error());
    }
    data_bytes = stats->bytes_written;
    return {};
}

// Checks the source's digests (when it has a manifest) once everything is
// read: a file that does not match is refused and nothing is written.
Result<void> check_source(const Plan& plan, const package::Source& src,
                          std::vector<package::FileDigest> digests) {
    if (!plan.source_manifest) {
        return {};
    }
    io::DigestAlgorithm algorithm = plan.source_manifest->entries.empty()
                                        ? io::DigestAlgorithm::sha256
                                        : plan.source_manifest->entries.front().algorithm;
    OVFKIT_TRY_ASSIGN(std::string d, io::hex_digest(src.descriptor(), algorithm));
    digests.insert(digests.begin(), package::FileDigest{src.descriptor_name(), d});
    Diagnostics diag;
    package::check_manifest(*plan.source_manifest, *plan.source_manifest_name, digests, diag);
    for (const Finding& f : diag.findings()) {
        if (f.severity == Severity::error) {
            return fail(Errc::refused, "{}: not converted: {}", src.path(), f.message);
        }
    }
    return {};
}

} // namespace

Result<void> Work::at(uint64_t in_member, const std::string& what) const {
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(what));
    }
    control.report("writing", done + in_member, total);
    return {};
}

Result<std::vector<std::vector<ConvertedFile>>>
write_members(Plan& plan, const package::Source& src, const ConvertOptions& options, Work& work,
              const OpenPart& open_part, bool sizing) {
    std::vector<std::vector<ConvertedFile>> written;
    std::vector<package::FileDigest> source_digests;
    const package::Manifest no_manifest;
    const package::Manifest& expected = plan.source_manifest ? *plan.source_manifest : no_manifest;
    std::optional<io::DigestAlgorithm> algo;
    if (plan.source_manifest) {
        algo = plan.source_manifest->entries.empty()
                   ? io::DigestAlgorithm::sha256
                   : plan.source_manifest->entries.front().algorithm;
    }
    std::optional<io::DigestAlgorithm> target_algo;
    if (plan.manifest) {
        target_algo = plan.algorithm;
    }
    for (Member& m : plan.members) {
        if (sizing && m.to == nullptr && m.compress == 0 && !m.chunk) {
            written.emplace_back(); // a plain copy: its size is known
            continue;
        }
        ConvertedFile proto;
        proto.source_name = m.source_name;
        proto.converted = m.to != nullptr;
        proto.compressed = m.compress != 0;
        proto.source_format = m.source_format;
        proto.format = m.to != nullptr ? std::string(m.to->name) : m.source_format;
        proto.virtual_size = m.virtual_size;
        std::vector<ConvertedFile> parts;
        uint64_t data_bytes = 0;
        auto finish_part = [&](Part& p, const std::string& name) -> Result<void> {
            ConvertedFile f = proto;
            f.name = name;
            OVFKIT_TRY_ASSIGN(f.size, p.window->size());
            OVFKIT_TRY_ASSIGN(f.digest, p.window->finish_digest());
            f.digest_reread = p.window->reread();
            OVFKIT_TRY(p.close(f.size));
            parts.push_back(std::move(f));
            return {};
        };

        if (m.compress == 0 && !m.chunk) {
            // Stored as it is written. A copy hashed in the source manifest's
            // algorithm already has the digest that manifest is checked with.
            const bool reuse = algo && target_algo && *algo == *target_algo && m.to == nullptr;
            std::optional<uint64_t> known;
            if (m.to == nullptr) {
                known = m.size;
            }
            OVFKIT_TRY_ASSIGN(Part part, open_part(m.name, known, target_algo));
            OVFKIT_TRY(write_member(src, m, *part.window, reuse ? std::nullopt : algo, expected,
                                    options, work, data_bytes, source_digests));
            OVFKIT_TRY(finish_part(part, m.name));
            if (reuse) {
                source_digests.push_back({m.source_name, parts.back().digest});
            }
        } else {
            // A stream: the copy or the writer -> [gzip] -> chunks or the file.
            std::optional<Part> whole;
            std::optional<Part> chunk;
            std::unique_ptr<io::Sink> tail;
            if (m.chunk) {
                tail = std::make_unique<package::ChunkSink>(
                    m.name, *m.chunk,
                    [&](uint64_t i) -> Result<io::File*> {
                        OVFKIT_TRY_ASSIGN(chunk, open_part(package::chunk_member_name(m.name, i),
                                                           std::nullopt, target_algo));
                        return static_cast<io::File*>(chunk->window.get());
                    },
                    [&](uint64_t i, uint64_t) -> Result<void> {
                        OVFKIT_TRY(finish_part(*chunk, package::chunk_member_name(m.name, i)));
                        chunk.reset();
                        return {};
                    });
            } else {
                OVFKIT_TRY_ASSIGN(whole, open_part(m.name, std::nullopt, target_algo));
                tail = std::make_unique<io::FileSink>(*whole->window);
            }
            std::unique_ptr<io::GzipSink> gzip;
            io::Sink* head = tail.get();
            if (m.compress != 0) {
                io::GzipOptions gz;
                gz.level = m.compress;
                gz.threads = options.threads;
                OVFKIT_TRY_ASSIGN(gzip, io::GzipSink::create(*tail, gz));
                head = gzip.get();
            }
            io::SinkFile stream(*head);
            OVFKIT_TRY(write_member(src, m, stream, algo, expected, options, work, data_bytes,
                                    source_digests));
            OVFKIT_TRY(head->finish()); // gzip finishes the tail
            if (whole) {
                OVFKIT_TRY(finish_part(*whole, m.name));
            }
        }
        for (ConvertedFile& f : parts) {
            f.data_bytes = data_bytes;
        }
        work.done += m.to != nullptr ? m.virtual_size : m.size;
        OVFKIT_TRY(work.at(0, m.name)); // a cancel during the last piece is not lost
        if (!sizing) {
            m.image.reset(); // its file is no longer needed
        }
        written.push_back(std::move(parts));
    }
    if (!sizing) {
        OVFKIT_TRY(check_source(plan, src, std::move(source_digests)));
    }
    return written;
}

} // namespace ovfkit::ops::convert_detail
