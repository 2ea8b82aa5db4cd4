#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/convert.hpp>
#include <ovfkit/disk/image.hpp>
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

std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
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
    std::vector<ConvertedFile> files; // every stored part, in order
    std::string descriptor;           // final bytes
    std::string manifest;             // final bytes (empty: none)
    std::string certificate;
    std::vector<std::string> extra; // names of a shape's extra files
    uint64_t extra_bytes = 0;
};

// The manifest's text for the target: the descriptor first, then every
// stored part (each chunk of a chunked file).
std::string manifest_text(const Plan& plan, const std::string& descriptor_digest,
                          const std::vector<ConvertedFile>& files) {
    std::vector<package::ManifestEntry> entries;
    entries.push_back({plan.algorithm, plan.descriptor, descriptor_digest, 0});
    for (const ConvertedFile& f : files) {
        entries.push_back({plan.algorithm, f.name, f.digest, 0});
    }
    return package::write_manifest(entries);
}

// Whether the manifest's length is known before the files are written: a
// digest's length is fixed, so it is unless a file is split into a number
// of chunks known only at the end.
bool manifest_length_known(const Plan& plan) {
    return std::none_of(plan.members.begin(), plan.members.end(),
                        [](const Member& m) { return m.chunk.has_value(); });
}

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

std::string text_of(const std::vector<std::byte>& bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// The descriptor, manifest and certificate once the members are written.
Result<Written> finish_texts(Plan& plan, const package::Source& src, const ConvertOptions& options,
                             const std::vector<std::vector<ConvertedFile>>& written,
                             std::optional<uint64_t> descriptor_size) {
    Written w;
    for (const auto& parts : written) {
        w.files.insert(w.files.end(), parts.begin(), parts.end());
    }
    if (plan.rewrite) {
        set_member_sizes(plan, written);
        OVFKIT_TRY_ASSIGN(w.descriptor, ovf::write_envelope(plan.envelope, plan.envelope.version));
        if (descriptor_size) {
            OVFKIT_TRY_ASSIGN(w.descriptor,
                              padded(std::move(w.descriptor), *descriptor_size, plan.descriptor));
        }
    } else {
        w.descriptor = text_of(src.descriptor());
    }
    if (plan.manifest) {
        if (plan.keep_manifest) {
            w.manifest = text_of(plan.source_manifest_bytes);
        } else {
            OVFKIT_TRY_ASSIGN(std::string dd,
                              io::hex_digest(bytes_of(w.descriptor), plan.algorithm));
            w.manifest = manifest_text(plan, dd, w.files);
        }
    }
    if (plan.certificate_action == "signed") {
        OVFKIT_TRY_ASSIGN(w.certificate, signature_text(plan, options, w.manifest));
    } else if (plan.certificate_action == "kept") {
        w.certificate = text_of(plan.source_certificate_bytes);
    }
    return w;
}

// Writes every member that is converted, compressed or chunked to nowhere,
// for its stored sizes; plain copies are skipped (their size is known).
Result<std::vector<std::vector<ConvertedFile>>>
size_members(Plan& plan, const package::Source& src, const ConvertOptions& options, Work& work) {
    for (const Member& m : plan.members) {
        if (m.to != nullptr && m.to->name != "vmdk-stream" && m.to->name != "raw") {
            return fail(Errc::usage,
                        "{}: a {} disk cannot be converted into a stream: its writer goes back to "
                        "patch its tables; use --disk-format vmdk-stream or raw, or write the OVA "
                        "to a file",
                        plan.target, m.to->name);
        }
    }
    OpenPart nowhere = [](const std::string& name, std::optional<uint64_t>,
                          std::optional<io::DigestAlgorithm>) -> Result<Part> {
        struct Sinks {
            io::NullSink sink;
            io::SinkFile file;
            explicit Sinks(const std::string& n) : sink(n), file(sink) {}
        };
        auto sinks = std::make_shared<Sinks>(name);
        Part part;
        OVFKIT_TRY_ASSIGN(part.window, io::WriteWindow::create(sinks->file, 0, name, std::nullopt));
        part.close = [](uint64_t) -> Result<void> { return {}; };
        part.keep = sinks;
        return part;
    };
    for (const Member& m : plan.members) {
        if (m.to != nullptr || m.compress != 0 || m.chunk) {
            work.total += m.to != nullptr ? m.virtual_size : m.size;
        }
    }
    OVFKIT_TRY_ASSIGN(auto parts, write_members(plan, src, options, work, nowhere, true));
    work.done = 0; // the real pass counts again from the start, on top of the sizing
    for (const Member& m : plan.members) {
        if (m.to != nullptr || m.compress != 0 || m.chunk) {
            work.done += m.to != nullptr ? m.virtual_size : m.size;
        }
    }
    return parts;
}

// An OVA written into `out` (a seekable file, or a stream). The descriptor
// goes first; when its bytes are known only at the end (rewritten), its
// room is reserved (seekable only). The manifest and certificate follow it
// when they can be reserved or are kept, else they go at the end of the
// archive, where DSP0243 1.1 and 2.x allow them.
Result<Written> write_archive(Plan& plan, const package::Source& src, const ConvertOptions& options,
                              Work& work, io::File& out, bool seekable) {
    package::OvaWriter ova(out, plan.mtime);
    std::optional<package::OvaWriter::Reserved> descriptor, manifest, certificate;
    // A stream cannot go back to patch a size: what is converted, compressed
    // or chunked is written once to nowhere first, to learn its sizes (the
    // writers are deterministic), and the descriptor is then final.
    std::map<std::string, uint64_t> sized;
    std::string streamed_descriptor;
    if (plan.rewrite && !seekable) {
        OVFKIT_TRY_ASSIGN(auto parts, size_members(plan, src, options, work));
        for (const auto& member : parts) {
            for (const ConvertedFile& f : member) {
                sized[f.name] = f.size;
            }
        }
        set_member_sizes(plan, parts);
        OVFKIT_TRY_ASSIGN(streamed_descriptor,
                          ovf::write_envelope(plan.envelope, plan.envelope.version));
        OVFKIT_TRY(ova.add(plan.descriptor, bytes_of(streamed_descriptor)));
    } else if (plan.rewrite) {
        OVFKIT_TRY_ASSIGN(std::string draft,
                          ovf::write_envelope(plan.envelope, plan.envelope.version));
        OVFKIT_TRY_ASSIGN(descriptor, ova.reserve(plan.descriptor, draft.size()));
    } else {
        OVFKIT_TRY(ova.add(plan.descriptor, src.descriptor()));
    }
    bool late = false; // manifest and certificate at the end
    if (plan.manifest) {
        if (plan.keep_manifest) {
            OVFKIT_TRY(ova.add(*plan.manifest, plan.source_manifest_bytes));
        } else if (seekable && manifest_length_known(plan)) {
            OVFKIT_TRY_ASSIGN(manifest, ova.reserve(*plan.manifest, manifest_length(plan)));
        } else {
            late = true;
        }
    }
    if (plan.certificate_action == "kept") {
        OVFKIT_TRY(ova.add(*plan.certificate, plan.source_certificate_bytes));
    } else if (plan.certificate_action == "signed" && !late) {
        // A signature's length is the key's (RSA) or varies by a few bytes
        // (ECDSA's DER): room for the longest, padded with newlines.
        std::string probe(manifest_length(plan), 'x');
        OVFKIT_TRY_ASSIGN(std::string sample, signature_text(plan, options, probe));
        OVFKIT_TRY_ASSIGN(certificate, ova.reserve(*plan.certificate, sample.size() + 16));
    }

    OpenPart open_part = [&](const std::string& name, std::optional<uint64_t> size,
                             std::optional<io::DigestAlgorithm> algorithm) -> Result<Part> {
        // A size known up front gives a plain ustar header; otherwise the
        // header is size-patchable (its size in a pax record).
        if (!size && !seekable) {
            auto it = sized.find(name);
            if (it == sized.end()) {
                return fail(Errc::io, "{}: {} was not written by the sizing pass", plan.target,
                            name);
            }
            size = it->second;
        }
        OVFKIT_TRY_ASSIGN(uint64_t base, ova.begin_member(name, size));
        Part part;
        OVFKIT_TRY_ASSIGN(part.window, io::WriteWindow::create(out, base, name, algorithm));
        part.close = [&ova](uint64_t written) { return ova.end_member(written); };
        return part;
    };
    OVFKIT_TRY_ASSIGN(auto written, write_members(plan, src, options, work, open_part));

    std::optional<uint64_t> room;
    if (descriptor) {
        room = descriptor->size;
    }
    OVFKIT_TRY_ASSIGN(Written w, finish_texts(plan, src, options, written, room));
    if (!streamed_descriptor.empty() && w.descriptor != streamed_descriptor) {
        return fail(Errc::io, "{}: the files came out differently the second time", plan.target);
    }
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
    if (late) {
        OVFKIT_TRY(ova.add(*plan.manifest, bytes_of(w.manifest)));
        if (plan.certificate_action == "signed") {
            OVFKIT_TRY(ova.add(*plan.certificate, bytes_of(w.certificate)));
        }
    }
    OVFKIT_TRY(ova.finish());
    return w;
}

Result<Written> write_ova(Plan& plan, const package::Source& src, const ConvertOptions& options,
                          Work& work) {
    io::OutputSet outputs(options.force);
    OVFKIT_TRY_ASSIGN(io::File * out, outputs.create(plan.target));
    OVFKIT_TRY_ASSIGN(Written w, write_archive(plan, src, options, work, *out, true));
    OVFKIT_TRY(outputs.commit());
    return w;
}

// An OVA to a stream (stdout): every header is written before its data, so
// what is converted, compressed or chunked is sized by a first pass to
// nowhere (write_archive). A mismatch with the source's manifest found by
// that pass stops before anything is sent; one found later leaves the stream
// without its end-of-archive blocks.
Result<Written> write_ova_stream(Plan& plan, const package::Source& src,
                                 const ConvertOptions& options, Work& work) {
    io::FdSink sink(STDOUT_FILENO, "stdout");
    io::SinkFile out(sink);
    OVFKIT_TRY_ASSIGN(Written w, write_archive(plan, src, options, work, out, false));
    OVFKIT_TRY(sink.finish());
    return w;
}

Result<Written> write_directory(Plan& plan, const package::Source& src,
                                const ConvertOptions& options, Work& work) {
    // Whole aligned pages go past the page cache, as `disk convert` writes
    // them: a disk's gigabytes are not copied twice before the fsync.
    io::OutputSet outputs(options.force, /*direct=*/true);
    OpenPart open_part = [&](const std::string& name, std::optional<uint64_t>,
                             std::optional<io::DigestAlgorithm> algorithm) -> Result<Part> {
        OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(join(plan.target, name)));
        Part part;
        OVFKIT_TRY_ASSIGN(part.window, io::WriteWindow::create(*f, 0, name, algorithm));
        part.close = [](uint64_t) -> Result<void> { return {}; };
        return part;
    };
    OVFKIT_TRY_ASSIGN(auto written, write_members(plan, src, options, work, open_part));
    auto put = [&](const std::string& name, const std::string& text) -> Result<void> {
        OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(join(plan.target, name)));
        return f->pwrite(bytes_of(text), 0);
    };
    if (options.shape.files_only) {
        Written w;
        for (auto& parts : written) {
            for (ConvertedFile& f : parts) {
                w.files.push_back(std::move(f));
            }
        }
        for (const PackageShape::BlankDisk& b : options.shape.blank_disks) {
            OVFKIT_TRY_ASSIGN(const disk::FormatDriver* driver, disk::driver_by_name(b.format));
            auto size = align_up(b.virtual_size, std::max<uint64_t>(driver->size_unit, 1));
            if (!size || *size == 0) {
                return fail(Errc::invalid, "{}: a blank disk of {} bytes cannot be made", b.name,
                            b.virtual_size);
            }
            disk::CreateOptions create;
            create.virtual_size = *size;
            OVFKIT_TRY_ASSIGN(auto writer, disk::create_image(outputs, join(plan.target, b.name),
                                                              *driver, create));
            OVFKIT_TRY(writer->finish());
            w.extra.push_back(b.name);
        }
        if (options.shape.extra) {
            OVFKIT_TRY_ASSIGN(auto extra, options.shape.extra(w.files));
            for (const ExtraFile& e : extra) {
                OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(join(plan.target, e.name)));
                OVFKIT_TRY(f->pwrite(bytes_of(e.content), 0));
                w.extra.push_back(e.name);
                w.extra_bytes += e.content.size();
            }
            OVFKIT_TRY(outputs.commit());
            for (const ExtraFile& e : extra) {
                const std::string path = join(plan.target, e.name);
                if (e.executable && ::chmod(path.c_str(), 0755) != 0) {
                    return fail(Errc::io, "{}: cannot make it executable: {}", path,
                                std::strerror(errno));
                }
            }
            return w;
        }
        OVFKIT_TRY(outputs.commit());
        return w;
    }
    OVFKIT_TRY_ASSIGN(Written w, finish_texts(plan, src, options, written, std::nullopt));
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
    OVFKIT_TRY_ASSIGN(package::Source src,
                      open_package(options.source, diag, options.remote, &control, options.import));
    return convert_opened(options, src, diag, control);
}

Result<ConvertReport> convert_opened(const ConvertOptions& given, const package::Source& src,
                                     Diagnostics& diag, const JobControl& control) {
    // An imported VM's disks are always converted (ops/import.hpp): into
    // what an OVA carries unless a format is named.
    ConvertOptions imported;
    bool assembled = src.kind() == package::SourceKind::assembled && given.disk_format.empty();
    if (assembled) {
        imported = given;
        imported.disk_format = "vmdk-stream";
    }
    const ConvertOptions& options = assembled ? imported : given;
    if (options.sign_key.empty() != options.sign_cert.empty()) {
        return fail(Errc::usage, "--sign and --cert go together (a key and its certificate)");
    }
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
        std::vector<std::string> names = written->extra;
        if (!options.shape.files_only) {
            names.push_back(plan.descriptor);
        }
        if (plan.manifest) {
            names.push_back(*plan.manifest);
        }
        if (plan.certificate) {
            names.push_back(*plan.certificate);
        }
        report.extra_files = written->extra;
        report.bytes_written = written->descriptor.size() + written->manifest.size() +
                               written->certificate.size() + written->extra_bytes;
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
            {"compressed", f.compressed},
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
