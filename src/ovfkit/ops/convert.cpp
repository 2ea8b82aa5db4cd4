#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/disk/convert.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/io/sink_file.hpp>
#include <ovfkit/io/write_window.hpp>
#include <ovfkit/ops/convert_plan.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/package/ova_writer.hpp>
#include <ovfkit/package/signature.hpp>

namespace ovfkit::ops {

using namespace convert_detail;

namespace {

constexpr size_t k_copy_piece = size_t{4} << 20;

std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

// Progress over the whole package and cancellation between pieces.
struct Work {
    const JobControl& control;
    uint64_t total = 0;
    uint64_t done = 0; // units of the members finished

    Result<void> at(uint64_t in_member, const std::string& what) const {
        if (control.cancel.cancelled()) {
            return fail(cancelled_error(what));
        }
        control.report("writing", done + in_member, total);
        return {};
    }
};

// Hashes what it is given with the source manifest's algorithm when that is
// not the target's (the window hashes with the target's).
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

// The digest of a whole source file, read once before it is converted
// (its manifest entry must hold before its content is carried anywhere).
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

// Writes member `m` into `out` (a window at its place in the target):
// copied, or converted by its format's writer. With `source_algorithm`, the
// source file's digest in that algorithm goes to `source_digests`.
Result<void> write_member(const package::Source& src, Member& m, io::WriteWindow& out,
                          std::optional<io::DigestAlgorithm> source_algorithm,
                          const package::Manifest& expected, const ConvertOptions& options,
                          const Work& work, ConvertedFile& result,
                          std::vector<package::FileDigest>& source_digests) {
    OVFKIT_TRY_ASSIGN(auto in, src.open_file(m.source_name));
    if (m.to == nullptr) {
        std::optional<SourceCheck> check;
        if (source_algorithm) {
            OVFKIT_TRY_ASSIGN(check, SourceCheck::make(m.source_name, *source_algorithm));
        }
        OVFKIT_TRY(copy_file(*in, m.size, out, check ? check->digest.get() : nullptr, work));
        if (check) {
            OVFKIT_TRY(check->digest->finish());
            source_digests.push_back({m.source_name, check->digest->hex_digest()});
        }
        return {};
    }
    if (source_algorithm) {
        // Checked before the disk is read: a damaged disk is reported as
        // not matching its manifest, not as whatever its reader trips on.
        OVFKIT_TRY_ASSIGN(std::string d, digest_file(*in, m.size, *source_algorithm));
        if (const auto* entry = expected.find(m.source_name);
            entry != nullptr && entry->digest != d) {
            return fail(Errc::refused,
                        "{}: not converted: {}: {} digest {} does not match the manifest's {}",
                        src.path(), m.source_name, io::digest_name(*source_algorithm), d,
                        entry->digest);
        }
        source_digests.push_back({m.source_name, std::move(d)});
    }
    disk::CreateOptions create;
    create.virtual_size = m.virtual_size;
    OVFKIT_TRY(disk::check_create_options(*m.to, create, m.name));
    disk::CreateContext ctx{&out, m.name, nullptr, create};
    OVFKIT_TRY_ASSIGN(auto writer, m.to->create(ctx));
    disk::ConvertOptions pipeline;
    pipeline.threads = options.threads;
    pipeline.virtual_size = m.virtual_size;
    pipeline.cancel = &work.control.cancel.flag();
    pipeline.progress = [&work](uint64_t done, uint64_t) { (void)work.at(done, ""); };
    OVFKIT_TRY_ASSIGN(disk::ConvertStats stats,
                      disk::copy_disk(*m.image->reader, *writer, pipeline));
    result.data_bytes = stats.bytes_written;
    return {};
}

// Pads a rewritten descriptor to the size reserved for it with spaces
// before its last newline (white space after the root element is XML's
// Misc, read by every parser).
Result<std::string> padded(std::string text, uint64_t size, const std::string& name) {
    if (text.size() > size) {
        return fail(Errc::io, "{}: the descriptor grew past the {} bytes reserved for it", name,
                    size);
    }
    size_t fill = static_cast<size_t>(size - text.size());
    if (!text.empty() && text.back() == '\n') {
        text.insert(text.size() - 1, fill, ' ');
    } else {
        text.append(fill, '\n');
    }
    return text;
}

struct Written {
    std::vector<ConvertedFile> files;
    std::string descriptor; // final bytes
    std::string manifest;   // final bytes (empty: none or kept)
    std::string certificate;
};

// The manifest's text for the target: descriptor first, then each member.
std::string manifest_text(const Plan& plan, const std::string& descriptor_digest,
                          const std::vector<ConvertedFile>& files) {
    std::vector<package::ManifestEntry> entries;
    entries.push_back({plan.algorithm, plan.descriptor, descriptor_digest, 0});
    for (const ConvertedFile& f : files) {
        entries.push_back({plan.algorithm, f.name, f.digest, 0});
    }
    return package::write_manifest(entries);
}

// The manifest's length, known before any digest is (a digest's length is
// fixed by its algorithm).
uint64_t manifest_length(const Plan& plan) {
    std::vector<ConvertedFile> files(plan.members.size());
    for (size_t i = 0; i < plan.members.size(); ++i) {
        files[i].name = plan.members[i].name;
        files[i].digest = std::string(io::digest_hex_length(plan.algorithm), '0');
    }
    return manifest_text(plan, std::string(io::digest_hex_length(plan.algorithm), '0'), files)
        .size();
}

Result<std::string> signature_text(const Plan& plan, const ConvertOptions& options,
                                   const std::string& manifest) {
    return package::sign_manifest(bytes_of(manifest), *plan.manifest, options.sign_key,
                                  options.sign_cert, options.sign_digest);
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

std::optional<io::DigestAlgorithm> source_algorithm(const Plan& plan) {
    if (!plan.source_manifest) {
        return std::nullopt;
    }
    return plan.source_manifest->entries.empty() ? io::DigestAlgorithm::sha256
                                                 : plan.source_manifest->entries.front().algorithm;
}

// Writes every member through `place` (which creates the window for one
// member and finishes it) and fills in the sizes and digests.
template <class Place>
Result<std::vector<ConvertedFile>> write_members(Plan& plan, const package::Source& src,
                                                 const ConvertOptions& options, Work& work,
                                                 Place&& place) {
    std::vector<ConvertedFile> files;
    std::vector<package::FileDigest> source_digests;
    const package::Manifest no_manifest;
    auto algo = source_algorithm(plan);
    std::optional<io::DigestAlgorithm> target_algo;
    if (plan.manifest) {
        target_algo = plan.algorithm;
    }
    for (Member& m : plan.members) {
        ConvertedFile f;
        f.name = m.name;
        f.source_name = m.source_name;
        f.converted = m.to != nullptr;
        f.source_format = m.source_format;
        f.format = m.to != nullptr ? std::string(m.to->name) : m.source_format;
        f.virtual_size = m.virtual_size;
        auto body = [&](io::WriteWindow& window) -> Result<void> {
            // A copy hashed in the source manifest's algorithm already has
            // the digest that manifest is checked with.
            const bool reuse = algo && target_algo && *algo == *target_algo && m.to == nullptr;
            OVFKIT_TRY(write_member(src, m, window, reuse ? std::nullopt : algo,
                                    plan.source_manifest ? *plan.source_manifest : no_manifest,
                                    options, work, f, source_digests));
            OVFKIT_TRY_ASSIGN(f.size, window.size());
            OVFKIT_TRY_ASSIGN(f.digest, window.finish_digest());
            f.digest_reread = window.reread();
            if (reuse) {
                source_digests.push_back({m.source_name, f.digest});
            }
            return {};
        };
        OVFKIT_TRY(place(m, target_algo, body));
        work.done += m.to != nullptr ? m.virtual_size : m.size;
        OVFKIT_TRY(work.at(0, m.name)); // a cancel during the last piece is not lost
        m.image.reset();                // its file is no longer needed
        files.push_back(std::move(f));
    }
    OVFKIT_TRY(check_source(plan, src, std::move(source_digests)));
    return files;
}

// The descriptor, manifest and certificate bytes once the members are
// written.
Result<Written> finish_texts(Plan& plan, const package::Source& src, const ConvertOptions& options,
                             std::vector<ConvertedFile> files,
                             std::optional<uint64_t> descriptor_size) {
    Written w;
    if (plan.rewrite) {
        set_member_sizes(plan, files);
        OVFKIT_TRY_ASSIGN(w.descriptor, ovf::write_envelope(plan.envelope, plan.envelope.version));
        if (descriptor_size) {
            OVFKIT_TRY_ASSIGN(w.descriptor,
                              padded(std::move(w.descriptor), *descriptor_size, plan.descriptor));
        }
    } else {
        const auto& d = src.descriptor();
        w.descriptor.assign(reinterpret_cast<const char*>(d.data()), d.size());
    }
    if (plan.manifest) {
        if (plan.keep_manifest) {
            w.manifest.assign(reinterpret_cast<const char*>(plan.source_manifest_bytes.data()),
                              plan.source_manifest_bytes.size());
        } else {
            OVFKIT_TRY_ASSIGN(std::string dd,
                              io::hex_digest(bytes_of(w.descriptor), plan.algorithm));
            w.manifest = manifest_text(plan, dd, files);
        }
    }
    if (plan.certificate_action == "signed") {
        OVFKIT_TRY_ASSIGN(w.certificate, signature_text(plan, options, w.manifest));
    } else if (plan.certificate_action == "kept") {
        w.certificate.assign(reinterpret_cast<const char*>(plan.source_certificate_bytes.data()),
                             plan.source_certificate_bytes.size());
    }
    w.files = std::move(files);
    return w;
}

Result<Written> write_ova(Plan& plan, const package::Source& src, const ConvertOptions& options,
                          Work& work) {
    io::OutputSet outputs(options.force);
    OVFKIT_TRY_ASSIGN(io::File * out, outputs.create(plan.target));
    package::OvaWriter ova(*out, plan.mtime);

    // Descriptor, manifest and certificate first (DSP0243), their bytes
    // written once the members they describe are.
    std::optional<package::OvaWriter::Reserved> descriptor, manifest, certificate;
    if (plan.rewrite) {
        OVFKIT_TRY_ASSIGN(std::string draft,
                          ovf::write_envelope(plan.envelope, plan.envelope.version));
        OVFKIT_TRY_ASSIGN(descriptor, ova.reserve(plan.descriptor, draft.size()));
    } else {
        OVFKIT_TRY(ova.add(plan.descriptor, src.descriptor()));
    }
    if (plan.manifest) {
        if (plan.keep_manifest) {
            OVFKIT_TRY(ova.add(*plan.manifest, plan.source_manifest_bytes));
        } else {
            OVFKIT_TRY_ASSIGN(manifest, ova.reserve(*plan.manifest, manifest_length(plan)));
        }
    }
    if (plan.certificate_action == "kept") {
        OVFKIT_TRY(ova.add(*plan.certificate, plan.source_certificate_bytes));
    } else if (plan.certificate_action == "signed") {
        // A signature's length is the key's (RSA) or varies by a few bytes
        // (ECDSA's DER): room for the longest, padded with newlines.
        std::string probe(manifest_length(plan), 'x');
        OVFKIT_TRY_ASSIGN(std::string sample, signature_text(plan, options, probe));
        OVFKIT_TRY_ASSIGN(certificate, ova.reserve(*plan.certificate, sample.size() + 16));
    }

    auto place = [&](const Member& m, std::optional<io::DigestAlgorithm> algorithm,
                     const std::function<Result<void>(io::WriteWindow&)>& body) -> Result<void> {
        // A copied file's size is known: a plain ustar header. A converted
        // disk's header is size-patchable (its size in a pax record).
        std::optional<uint64_t> size;
        if (m.to == nullptr) {
            size = m.size;
        }
        OVFKIT_TRY_ASSIGN(uint64_t base, ova.begin_member(m.name, size));
        OVFKIT_TRY_ASSIGN(auto window, io::WriteWindow::create(*out, base, m.name, algorithm));
        OVFKIT_TRY(body(*window));
        OVFKIT_TRY_ASSIGN(uint64_t written, window->size());
        return ova.end_member(written);
    };
    OVFKIT_TRY_ASSIGN(auto files, write_members(plan, src, options, work, place));

    OVFKIT_TRY_ASSIGN(Written w, finish_texts(plan, src, options, std::move(files),
                                              descriptor ? std::optional<uint64_t>(descriptor->size)
                                                         : std::nullopt));
    if (descriptor) {
        OVFKIT_TRY(ova.fill(*descriptor, bytes_of(w.descriptor)));
    }
    if (manifest) {
        OVFKIT_TRY(ova.fill(*manifest, bytes_of(w.manifest)));
    }
    if (certificate) {
        if (w.certificate.size() > certificate->size) {
            return fail(Errc::io, "{}: the signature is longer than the room reserved for it",
                        plan.target);
        }
        w.certificate.append(certificate->size - w.certificate.size(), '\n');
        OVFKIT_TRY(ova.fill(*certificate, bytes_of(w.certificate)));
    }
    OVFKIT_TRY(ova.finish());
    OVFKIT_TRY(outputs.commit());
    return w;
}

// An OVA to a stream (stdout): every header is written before its data, so
// only what is copied can go (sizes known); a new manifest and certificate
// go at the end of the archive, where DSP0243 1.1 and 2.x allow them. A
// mismatch with the source's manifest found at the end leaves the stream
// without its end-of-archive blocks.
Result<Written> write_ova_stream(Plan& plan, const package::Source& src,
                                 const ConvertOptions& options, Work& work) {
    if (plan.rewrite) {
        return fail(Errc::usage,
                    "{}: disks converted on the way cannot go to a stream: their sizes belong in "
                    "their tar headers and in the descriptor, before their data; write the OVA "
                    "to a file",
                    plan.target);
    }
    io::FdSink sink(STDOUT_FILENO, "stdout");
    io::SinkFile out(sink);
    package::OvaWriter ova(out, plan.mtime);
    OVFKIT_TRY(ova.add(plan.descriptor, src.descriptor()));
    if (plan.manifest && plan.keep_manifest) {
        OVFKIT_TRY(ova.add(*plan.manifest, plan.source_manifest_bytes));
        if (plan.certificate_action == "kept") {
            OVFKIT_TRY(ova.add(*plan.certificate, plan.source_certificate_bytes));
        }
    }
    auto place = [&](const Member& m, std::optional<io::DigestAlgorithm> algorithm,
                     const std::function<Result<void>(io::WriteWindow&)>& body) -> Result<void> {
        OVFKIT_TRY_ASSIGN(uint64_t base, ova.begin_member(m.name, m.size));
        OVFKIT_TRY_ASSIGN(auto window, io::WriteWindow::create(out, base, m.name, algorithm));
        OVFKIT_TRY(body(*window));
        OVFKIT_TRY_ASSIGN(uint64_t size, window->size());
        return ova.end_member(size);
    };
    OVFKIT_TRY_ASSIGN(auto files, write_members(plan, src, options, work, place));
    OVFKIT_TRY_ASSIGN(Written w, finish_texts(plan, src, options, std::move(files), std::nullopt));
    if (plan.manifest && !plan.keep_manifest) {
        OVFKIT_TRY(ova.add(*plan.manifest, bytes_of(w.manifest)));
        if (plan.certificate_action == "signed") {
            OVFKIT_TRY(ova.add(*plan.certificate, bytes_of(w.certificate)));
        }
    }
    OVFKIT_TRY(ova.finish());
    OVFKIT_TRY(sink.finish());
    return w;
}

Result<Written> write_directory(Plan& plan, const package::Source& src,
                                const ConvertOptions& options, Work& work) {
    io::OutputSet outputs(options.force);
    auto place = [&](const Member& m, std::optional<io::DigestAlgorithm> algorithm,
                     const std::function<Result<void>(io::WriteWindow&)>& body) -> Result<void> {
        OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(join(plan.target, m.name)));
        OVFKIT_TRY_ASSIGN(auto window, io::WriteWindow::create(*f, 0, m.name, algorithm));
        return body(*window);
    };
    OVFKIT_TRY_ASSIGN(auto files, write_members(plan, src, options, work, place));
    OVFKIT_TRY_ASSIGN(Written w, finish_texts(plan, src, options, std::move(files), std::nullopt));
    auto put = [&](const std::string& name, const std::string& text) -> Result<void> {
        OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(join(plan.target, name)));
        return f->pwrite(bytes_of(text), 0);
    };
    OVFKIT_TRY(put(plan.descriptor, w.descriptor));
    if (plan.manifest) {
        OVFKIT_TRY(put(*plan.manifest, w.manifest));
    }
    if (plan.certificate) {
        OVFKIT_TRY(put(*plan.certificate, w.certificate));
    }
    OVFKIT_TRY(outputs.commit());
    return w;
}

void set_mtime(const std::string& path, uint64_t mtime) {
    struct timespec times[2];
    times[0].tv_sec = static_cast<time_t>(mtime);
    times[0].tv_nsec = 0;
    times[1] = times[0];
    (void)::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

} // namespace

Result<ConvertReport> convert_package(const ConvertOptions& options, const JobControl& control) {
    if (options.sign_key.empty() != options.sign_cert.empty()) {
        return fail(Errc::usage, "--sign and --cert go together (a key and its certificate)");
    }
    Diagnostics diag;
    OVFKIT_TRY_ASSIGN(package::Source src, open_package(options.source, diag));
    OVFKIT_TRY_ASSIGN(Plan plan, make_plan(options, src, diag));

    ConvertReport report;
    report.source = options.source;
    report.source_kind = package::source_kind_name(src.kind());
    report.target = plan.form == PackageForm::ova ? plan.target : plan.target;
    report.form = plan.form;
    report.descriptor = plan.descriptor;
    report.descriptor_rewritten = plan.rewrite;
    report.manifest = plan.manifest;
    report.manifest_algorithm = plan.algorithm;
    report.manifest_kept = plan.keep_manifest;
    report.certificate = plan.certificate;
    report.certificate_action = plan.certificate_action;

    Work work{control, plan.total_work, 0};
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(options.source));
    }
    bool made_directory = false;
    if (plan.form == PackageForm::directory) {
        if (::mkdir(plan.target.c_str(), 0755) == 0) {
            made_directory = true;
        } else if (errno != EEXIST) {
            return fail(Errc::io, "{}: cannot create the directory: {}", plan.target,
                        std::strerror(errno));
        }
    }
    const bool stream = plan.form == PackageForm::ova && plan.target == "-";
    auto written = stream                          ? write_ova_stream(plan, src, options, work)
                   : plan.form == PackageForm::ova ? write_ova(plan, src, options, work)
                                                   : write_directory(plan, src, options, work);
    if (!written) {
        if (made_directory) {
            (void)::rmdir(plan.target.c_str()); // only when nothing is in it
        }
        return fail(std::move(written).error());
    }
    report.files = std::move(written->files);
    if (stream) {
        report.bytes_written = 0;
        for (const ConvertedFile& f : report.files) {
            report.bytes_written += f.size;
        }
    } else if (plan.form == PackageForm::ova) {
        set_mtime(plan.target, plan.mtime);
        struct stat st {};
        if (::stat(plan.target.c_str(), &st) == 0) {
            report.bytes_written = static_cast<uint64_t>(st.st_size);
        }
    } else {
        std::vector<std::string> names{plan.descriptor};
        if (plan.manifest) {
            names.push_back(*plan.manifest);
        }
        if (plan.certificate) {
            names.push_back(*plan.certificate);
        }
        report.bytes_written =
            written->descriptor.size() + written->manifest.size() + written->certificate.size();
        for (const ConvertedFile& f : report.files) {
            names.push_back(f.name);
            report.bytes_written += f.size;
        }
        for (const std::string& n : names) {
            set_mtime(join(plan.target, n), plan.mtime);
        }
    }
    control.report("writing", work.total, work.total);
    report.findings = diag.findings();
    return report;
}

nlohmann::json to_json(const ConvertReport& r) {
    nlohmann::json doc = json_document();
    nlohmann::json files = nlohmann::json::array();
    for (const ConvertedFile& f : r.files) {
        nlohmann::json j{
            {"name", f.name},
            {"source_name", f.source_name},
            {"size", f.size},
            {"action", f.converted ? "converted" : "copied"},
            {"digest", f.digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.digest)},
            {"digest_reread", f.digest_reread}};
        if (!f.source_format.empty()) {
            j["source_format"] = f.source_format;
            j["format"] = f.format;
        }
        if (f.converted) {
            j["virtual_size"] = f.virtual_size;
            j["data_bytes"] = f.data_bytes;
        }
        files.push_back(std::move(j));
    }
    doc.update({{"source", r.source},
                {"source_kind", r.source_kind},
                {"target", r.target},
                {"target_kind", r.form == PackageForm::ova ? "ova" : "directory"},
                {"descriptor", {{"name", r.descriptor}, {"rewritten", r.descriptor_rewritten}}},
                {"manifest",
                 r.manifest ? nlohmann::json{{"name", *r.manifest},
                                             {"algorithm", io::digest_name(r.manifest_algorithm)},
                                             {"kept", r.manifest_kept}}
                            : nlohmann::json(nullptr)},
                {"certificate", r.certificate_action.empty()
                                    ? nlohmann::json(nullptr)
                                    : nlohmann::json{{"name", optional_json(r.certificate)},
                                                     {"action", r.certificate_action}}},
                {"files", std::move(files)},
                {"bytes_written", r.bytes_written},
                {"findings", findings_json(r.findings)}});
    return doc;
}

} // namespace ovfkit::ops
