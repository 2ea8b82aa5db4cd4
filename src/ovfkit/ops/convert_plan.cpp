#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>
#include <sys/stat.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/ops/convert_plan.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/ovf/version_convert.hpp>
#include <ovfkit/package/signature.hpp>

namespace ovfkit::ops::convert_detail {

namespace {

// Extensions a disk's href may end with, replaced when it is converted.
constexpr std::array<std::string_view, 8> k_disk_extensions{".vmdk", ".qcow2", ".qcow", ".vhd",
                                                            ".vhdx", ".vdi",   ".img",  ".raw"};

std::string renamed(const std::string& href, const disk::FormatDriver& to) {
    std::string_view base = href;
    auto dot = base.rfind('.');
    if (dot != std::string_view::npos && dot > 0) {
        std::string ext = ascii_lower(base.substr(dot));
        if (std::find(k_disk_extensions.begin(), k_disk_extensions.end(), ext) !=
            k_disk_extensions.end()) {
            base = base.substr(0, dot);
        }
    }
    return std::string(base) + std::string(disk::file_extension(to));
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

uint64_t mtime_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_mtime) : 0;
}

// The source's manifest and certificate, read and parsed.
Result<void> read_source_trust(const package::Source& src, Plan& plan, Diagnostics& diag) {
    std::string mf = descriptor_sibling(src.descriptor_name(), ".mf");
    OVFKIT_TRY_ASSIGN(auto mf_bytes, read_package_file(src, mf, package::k_max_manifest_bytes));
    if (mf_bytes) {
        plan.source_manifest_name = mf;
        plan.source_manifest_bytes = std::move(*mf_bytes);
        auto parsed = package::parse_manifest(plan.source_manifest_bytes, mf, diag);
        if (!parsed) {
            return fail(Errc::refused, "{}: the source's manifest does not read: {}", src.path(),
                        parsed.error().message);
        }
        plan.source_manifest = std::move(*parsed);
    }
    std::string cert = descriptor_sibling(src.descriptor_name(), ".cert");
    OVFKIT_TRY_ASSIGN(auto cert_bytes,
                      read_package_file(src, cert, package::k_max_certificate_bytes));
    if (cert_bytes) {
        plan.source_certificate_name = cert;
        plan.source_certificate_bytes = std::move(*cert_bytes);
    }
    return {};
}

Result<void> plan_opened_disk(const package::Source& src, const ovf::Disk& d,
                              const disk::FormatDriver& to, Member& m, Plan& plan,
                              disk::Image opened, bool always);

// Opens the disk in member `m` and decides whether it is converted.
Result<void> plan_disk(const package::Source& src, const ovf::Disk& d, const disk::FormatDriver& to,
                       Member& m, Plan& plan) {
    const disk::FormatDriver* from = nullptr;
    if (d.format) {
        from = disk::format_for_uri(*d.format);
    }
    disk::OpenImageOptions open;
    open.format = from != nullptr ? std::string(from->name) : std::string{};
    // An imported VM's disk is read through its image (extents, parents):
    // always converted, since its file alone may not be the disk.
    if (const package::AssembledFiles* files = src.assembled_files()) {
        OVFKIT_TRY_ASSIGN(auto image, files->open_image(m.source_name));
        if (image) {
            return plan_opened_disk(src, d, to, m, plan, std::move(*image), true);
        }
    }
    std::unique_ptr<io::File> file_in;
    if (m.layout) {
        // Chunks read as one file; a compressed disk inflated (bounded) into
        // an unnamed temporary file beside the target, gone when closed.
        // Inflation is bounded by the disk's declared capacity (R17).
        package::ReferenceLimits limits;
        auto capacity =
            ovf::capacity_bytes(d.capacity, d.capacity_allocation_units.value_or("byte"));
        if (capacity) {
            limits.max_output = package::disk_output_bound(*capacity);
        }
        OVFKIT_TRY_ASSIGN(
            file_in, package::open_reference_file(src, *m.layout, limits, parent_of(plan.target)));
    } else {
        OVFKIT_TRY_ASSIGN(file_in, src.open_file(m.source_name));
    }
    auto image = disk::open_image_file(std::move(file_in), open);
    if (!image) {
        Error e = std::move(image).error();
        e.message = fmt::format("{} (disk {} of {})", e.message, d.disk_id, src.path());
        return fail(std::move(e));
    }
    return plan_opened_disk(src, d, to, m, plan, std::move(*image), false);
}

Result<void> plan_opened_disk(const package::Source& src, const ovf::Disk& d,
                              const disk::FormatDriver& to, Member& m, Plan& plan,
                              disk::Image opened, bool always) {
    auto image = &opened;
    m.source_format = std::string(image->driver->name);
    if (image->driver == &to && !always) {
        return {}; // already in the format asked for: copied as it is
    }
    const uint64_t unit = std::max<uint64_t>(to.size_unit, 1);
    auto size = align_up(image->reader->virtual_size(), unit);
    if (!size || (to.max_virtual_size != 0 && *size > to.max_virtual_size)) {
        return fail(Errc::invalid, "{}: disk {} ({} bytes) does not fit in {}", src.path(),
                    d.disk_id, image->reader->virtual_size(), to.name);
    }
    m.to = &to;
    m.virtual_size = *size;
    m.image = std::make_unique<disk::Image>(std::move(opened));
    plan.rewrite = true;
    return {};
}

// Whether member `m` is read from the source file `name`.
bool reads(const Member& m, const std::string& name) {
    if (m.layout) {
        return std::any_of(m.layout->parts.begin(), m.layout->parts.end(),
                           [&](const package::StoredPart& p) { return p.name == name; });
    }
    return m.source_name == name;
}

// A disk file the source stores chunked or compressed becomes one member
// when it is converted: its logical bytes are read through its layout.
Result<void> collapse_stored_disks(const package::Source& src, Plan& plan) {
    const ovf::Envelope& env = plan.envelope;
    std::optional<package::MemberLookup> lookup;
    for (size_t i = 0; i < env.references.files.size(); ++i) {
        const ovf::File& f = env.references.files[i];
        if (!f.chunk_size && !f.compression) {
            continue;
        }
        bool is_disk = false;
        for (const auto* section : ovf::find_all<ovf::DiskSection>(env.sections)) {
            for (const ovf::Disk& d : section->disks) {
                is_disk = is_disk || (d.file_ref && *d.file_ref == f.id);
            }
        }
        if (!is_disk) {
            continue;
        }
        if (!lookup) {
            OVFKIT_TRY_ASSIGN(lookup, package::member_lookup(src));
        }
        OVFKIT_TRY_ASSIGN(std::string href, ovf::href_member(f.href));
        ovf::File stored = f;
        stored.href = href;
        OVFKIT_TRY_ASSIGN(package::StoredLayout layout, package::stored_layout(*lookup, stored));
        Member whole;
        whole.source_name = href;
        whole.name = href;
        whole.size = layout.stored_size;
        whole.file_index = i;
        whole.layout = std::move(layout);
        plan.members.erase(std::remove_if(plan.members.begin(), plan.members.end(),
                                          [&](const Member& m) { return m.file_index == i; }),
                           plan.members.end());
        // Keep References order: insert before the first member of a later file.
        auto pos = std::find_if(plan.members.begin(), plan.members.end(),
                                [&](const Member& m) { return m.file_index > i; });
        plan.members.insert(pos, std::move(whole));
    }
    return {};
}

} // namespace

Result<Plan> make_plan(const ConvertOptions& options, const package::Source& src,
                       Diagnostics& diag) {
    Plan plan;
    if (options.shape.envelope) {
        plan.envelope = *options.shape.envelope;
        plan.rewrite = true;
    } else {
        OVFKIT_TRY_ASSIGN(plan.envelope,
                          ovf::read_descriptor(src.descriptor(), src.descriptor_name(), diag));
    }
    ovf::Envelope& env = plan.envelope;

    // Where and in which form.
    // "-" is an OVA on stdout.
    plan.form = options.form.value_or(ends_with_ci(options.target, ".ova") || options.target == "-"
                                          ? PackageForm::ova
                                          : PackageForm::directory);
    if (options.target == "-" && plan.form != PackageForm::ova) {
        return fail(Errc::usage, "-: only an OVA can be written to stdout");
    }
    plan.descriptor = src.descriptor_name();
    plan.target = options.target;
    if (plan.form == PackageForm::directory && ends_with_ci(options.target, ".ovf")) {
        plan.descriptor = std::string(base_name(options.target));
        plan.target = parent_of(options.target);
    }
    if (plan.target.empty()) {
        return fail(Errc::usage, "convert: no target named");
    }

    OVFKIT_TRY(read_source_trust(src, plan, diag));

    if (options.ovf_version && *options.ovf_version != env.version) {
        OVFKIT_TRY_ASSIGN(plan.envelope, ovf::convert_version(env, *options.ovf_version, diag));
        plan.rewrite = true;
    }

    // The files, in References order (each chunk of a chunked file).
    OVFKIT_TRY_ASSIGN(std::vector<CoveredFile> covered, manifest_coverage(src, env, diag));
    for (const Finding& f : diag.findings()) {
        if (f.severity == Severity::error) {
            return fail(Errc::refused, "{}: {}", src.path(), f.message);
        }
    }
    for (size_t i = 0; i < env.references.files.size(); ++i) {
        const ovf::File& f = env.references.files[i];
        OVFKIT_TRY_ASSIGN(std::string member, ovf::href_member(f.href));
        bool any = false;
        for (const CoveredFile& c : covered) {
            if (c.name == member || (f.chunk_size && c.name.rfind(member + ".", 0) == 0 &&
                                     c.name.size() == member.size() + 10)) {
                Member m;
                m.source_name = c.name;
                m.name = c.name;
                m.size = c.size;
                m.file_index = i;
                plan.members.push_back(std::move(m));
                any = true;
            }
        }
        if (!any) {
            return fail(Errc::invalid,
                        "{}: {} references {} (File {}, line {}), which the package "
                        "does not hold",
                        src.path(), src.descriptor_name(), f.href, f.id, f.line.number);
        }
    }

    // Disks converted on the way.
    if (!options.disk_format.empty()) {
        OVFKIT_TRY_ASSIGN(const disk::FormatDriver* to, disk::driver_by_name(options.disk_format));
        if (to->create == nullptr) {
            return fail(Errc::usage, "--disk-format {}: this format cannot be written",
                        options.disk_format);
        }
        if (to->name == "vmdk-flat") {
            return fail(Errc::usage, "--disk-format vmdk-flat: a flat VMDK is two files (a "
                                     "descriptor and its extent); a package disk is one file "
                                     "(use vmdk-stream, the OVA form, or vmdk)");
        }
        OVFKIT_TRY(collapse_stored_disks(src, plan));
        for (size_t s = 0; s < env.sections.size(); ++s) {
            auto* section = std::get_if<ovf::DiskSection>(&env.sections[s]);
            if (section == nullptr) {
                continue;
            }
            for (size_t k = 0; k < section->disks.size(); ++k) {
                const ovf::Disk& d = section->disks[k];
                if (!d.file_ref) {
                    continue;
                }
                for (Member& m : plan.members) {
                    const ovf::File& f = env.references.files[m.file_index];
                    if (f.id != *d.file_ref) {
                        continue;
                    }
                    if (m.disks.empty()) {
                        OVFKIT_TRY(plan_disk(src, d, *to, m, plan));
                    }
                    m.disks.push_back({s, k});
                }
            }
        }
        // New names, and the descriptor rewritten with placeholders for the
        // sizes known only once the disks are written.
        std::set<std::string> names;
        for (const Member& m : plan.members) {
            if (m.to == nullptr) {
                names.insert(m.name);
            }
        }
        std::string_view uri = disk::uri_for_format(to->name);
        for (Member& m : plan.members) {
            if (m.to == nullptr) {
                continue;
            }
            ovf::File& f = env.references.files[m.file_index];
            m.name = renamed(m.source_name, *to);
            if (!names.insert(m.name).second) {
                return fail(Errc::usage,
                            "{}: converted disk {} would be named {}, which another file of the "
                            "package already has",
                            src.path(), m.source_name, m.name);
            }
            f.href = m.name;
            f.size = k_size_placeholder;
            f.compression.reset(); // stored plainly unless --compress/--chunk-size say otherwise
            f.chunk_size.reset();
            for (const DiskRef& r : m.disks) {
                auto& d = std::get<ovf::DiskSection>(env.sections[r.section]).disks[r.disk];
                if (uri.empty()) {
                    d.format.reset();
                    diag.warning("PKG-NO-FORMAT-URI",
                                 fmt::format("disk {}: no OVF format URI is known for {}; the "
                                             "Disk has no ovf:format",
                                             d.disk_id, to->name),
                                 plan.descriptor, 0);
                } else {
                    d.format = std::string(uri);
                }
                d.populated_size = k_size_placeholder;
                if (m.virtual_size != m.image->reader->virtual_size()) {
                    d.capacity = std::to_string(m.virtual_size);
                    d.capacity_allocation_units.reset();
                }
            }
        }
    }

    // Names an export gives the files.
    if (!options.shape.file_names.empty()) {
        for (Member& m : plan.members) {
            const ovf::File& f = env.references.files[m.file_index];
            auto it = options.shape.file_names.find(f.id);
            if (it == options.shape.file_names.end()) {
                continue;
            }
            // A chunk keeps its ".000000001" suffix.
            std::string suffix = m.name.size() > f.href.size() && m.name.rfind(f.href, 0) == 0
                                     ? m.name.substr(f.href.size())
                                     : std::string{};
            m.name = it->second + suffix;
        }
        for (ovf::File& f : env.references.files) {
            if (auto it = options.shape.file_names.find(f.id);
                it != options.shape.file_names.end()) {
                f.href = it->second;
            }
        }
        std::set<std::string> names;
        for (const Member& m : plan.members) {
            if (!names.insert(m.name).second) {
                return fail(Errc::usage, "{}: two files of the target would be named {}",
                            src.path(), m.name);
            }
        }
    }

    // Files stored compressed or chunked in the target: those the source
    // stores plainly, and converted disks. A file the source already stores
    // chunked or compressed, and copies, is carried as it is.
    if (options.compress != 0 || options.chunk_size != 0) {
        if (options.compress < 0 || options.compress > 9) {
            return fail(Errc::usage, "--compress {}: use a gzip level from 1 to 9",
                        options.compress);
        }
        for (Member& m : plan.members) {
            ovf::File& f = env.references.files[m.file_index];
            if (m.to == nullptr && (f.compression || f.chunk_size)) {
                continue;
            }
            if (m.to != nullptr && m.to->name != "vmdk-stream" && m.to->name != "raw") {
                return fail(Errc::usage,
                            "--compress and --chunk-size take the disk as it is written, front to "
                            "back, and a {} writer goes back to patch its tables; use "
                            "--disk-format vmdk-stream or raw with them",
                            m.to->name);
            }
            m.compress = options.compress;
            if (options.chunk_size != 0) {
                m.chunk = options.chunk_size;
            }
            package::describe_stored_file(
                f, m.compress != 0 ? package::Compression::gzip : package::Compression::none,
                m.chunk, 0);
            f.size = k_size_placeholder;
            plan.rewrite = true;
        }
        if (options.chunk_size != 0) {
            OVFKIT_TRY(package::split_chunks(1, options.chunk_size)); // the size is sane
        }
    }
    if (plan.rewrite && !options.shape.files_only &&
        (env.version == ovf::OvfVersion::v0_9 || env.version == ovf::OvfVersion::ovirt)) {
        return fail(Errc::usage,
                    "{}: this conversion rewrites the descriptor, and OVF 0.9 and oVirt "
                    "descriptors are read-only",
                    src.path());
    }

    // Members of an OVA the descriptor does not name are not carried.
    if (const package::TarIndex* tar = options.shape.envelope ? nullptr : src.tar()) {
        for (const auto& t : tar->members()) {
            bool carried = t.name == src.descriptor_name() || t.name == plan.source_manifest_name ||
                           t.name == plan.source_certificate_name ||
                           std::any_of(plan.members.begin(), plan.members.end(),
                                       [&](const Member& m) { return reads(m, t.name); });
            if (!carried) {
                diag.warning("PKG-UNREFERENCED",
                             fmt::format("{}: member {} is not referenced by the descriptor and is "
                                         "not carried",
                                         src.path(), t.name),
                             src.path(), 0);
            }
        }
    }

    // The manifest: kept byte for byte when nothing it covers changes.
    const bool renamed_descriptor = plan.descriptor != src.descriptor_name();
    if (options.shape.files_only) {
        if (!options.sign_key.empty()) {
            return fail(Errc::usage, "--sign: this target is not an OVF package; nothing to sign");
        }
    } else if (!options.no_manifest) {
        io::DigestAlgorithm source_algorithm =
            plan.source_manifest && !plan.source_manifest->entries.empty()
                ? plan.source_manifest->entries.front().algorithm
                : io::DigestAlgorithm::sha256;
        plan.algorithm = options.manifest.value_or(source_algorithm);
        plan.manifest = descriptor_sibling(plan.descriptor, ".mf");
        plan.keep_manifest = plan.source_manifest && !plan.rewrite && !renamed_descriptor &&
                             plan.algorithm == source_algorithm;
    } else if (!options.sign_key.empty()) {
        return fail(Errc::usage, "--sign needs a manifest to sign (drop --manifest none)");
    }

    if (!options.sign_key.empty()) {
        plan.certificate = descriptor_sibling(plan.descriptor, ".cert");
        plan.certificate_action = "signed";
    } else if (plan.source_certificate_name && !options.shape.files_only) {
        if (plan.keep_manifest) {
            plan.certificate = descriptor_sibling(plan.descriptor, ".cert");
            plan.certificate_action = "kept";
        } else {
            plan.certificate_action = "dropped";
            diag.warning("PKG-SIGNATURE-DROPPED",
                         fmt::format("{}: the source is signed ({}), but its manifest changes, so "
                                     "the signature no longer applies and is not carried (sign "
                                     "again with --sign KEY --cert CERT)",
                                     src.path(), *plan.source_certificate_name),
                         src.path(), 0);
        }
    }

    if (options.mtime) {
        plan.mtime = *options.mtime;
    } else if (src.kind() == package::SourceKind::directory) {
        plan.mtime = mtime_of(src.path() + "/" + src.descriptor_name());
    } else {
        plan.mtime = mtime_of(src.path());
    }
    for (const Member& m : plan.members) {
        plan.total_work += m.to != nullptr ? m.virtual_size : m.size;
    }
    return plan;
}

void set_member_sizes(Plan& plan, const std::vector<std::vector<ConvertedFile>>& written) {
    for (size_t i = 0; i < plan.members.size(); ++i) {
        const Member& m = plan.members[i];
        if (m.to == nullptr && m.compress == 0 && !m.chunk) {
            continue;
        }
        uint64_t stored = 0;
        for (const ConvertedFile& part : written[i]) {
            stored += part.size;
        }
        plan.envelope.references.files[m.file_index].size = std::to_string(stored);
        if (m.to == nullptr) {
            continue; // a copied disk keeps its populatedSize
        }
        for (const DiskRef& r : m.disks) {
            auto& d = std::get<ovf::DiskSection>(plan.envelope.sections[r.section]).disks[r.disk];
            d.populated_size = std::to_string(written[i].front().data_bytes);
        }
    }
}

} // namespace ovfkit::ops::convert_detail
