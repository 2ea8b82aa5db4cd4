// The archive form of an export; see export_archive.hpp.
#include <algorithm>
#include <atomic>
#include <mutex>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/ops/export_archive.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/references.hpp>

namespace ovfkit::ops::export_detail {

namespace {

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string beside(const std::string& archive, const std::string& name) {
    auto slash = archive.rfind('/');
    return slash == std::string::npos ? name : archive.substr(0, slash + 1) + name;
}

// The source's manifest, when it has one, must match every file before a
// byte is written: a disk's data is read only once, by the target's
// writer, and a damaged one must not become a complete-looking archive.
Result<void> check_manifest(const package::Source& src, const ovf::Envelope& env,
                            const JobControl& control) {
    Diagnostics diag;
    VerifyOptions vo;
    vo.source = src.path();
    OVFKIT_TRY_ASSIGN(VerifyReport report, verify_source(src, env, vo, control, diag));
    if (!report.manifest || report.manifest_ok) {
        return {};
    }
    for (const Finding& f : report.findings) {
        if (f.severity == Severity::error) {
            return fail(Errc::refused, "{}: not exported: {}", src.path(), f.message);
        }
    }
    return fail(Errc::refused, "{}: not exported: the manifest {} does not match the package",
                src.path(), *report.manifest);
}

} // namespace

Result<std::unique_ptr<disk::Image>> open_plan_disk(const package::Source& src,
                                                    const ovf::Envelope& env,
                                                    const platform::PlanDisk& d,
                                                    const std::string& temp_dir) {
    const ovf::File* file = nullptr;
    for (const ovf::File& f : env.references.files) {
        file = f.id == d.file_id ? &f : file;
    }
    if (file == nullptr) {
        return fail(Errc::invalid, "{}: disk {} names File {}, which References lacks", src.path(),
                    d.disk_id, d.file_id);
    }
    const ovf::Disk* described = nullptr;
    for (const auto* section : ovf::find_all<ovf::DiskSection>(env.sections)) {
        for (const ovf::Disk& x : section->disks) {
            if (described == nullptr && x.file_ref && *x.file_ref == d.file_id) {
                described = &x;
            }
        }
    }
    disk::OpenImageOptions open;
    if (described != nullptr && described->format) {
        if (const disk::FormatDriver* from = disk::format_for_uri(*described->format)) {
            open.format = std::string(from->name);
        }
    }
    OVFKIT_TRY_ASSIGN(std::string href, ovf::href_member(file->href));
    std::unique_ptr<io::File> in;
    if (file->chunk_size || file->compression) {
        OVFKIT_TRY_ASSIGN(package::MemberLookup lookup, package::member_lookup(src));
        ovf::File stored = *file;
        stored.href = href;
        OVFKIT_TRY_ASSIGN(package::StoredLayout layout, package::stored_layout(lookup, stored));
        // Inflation is bounded by the disk's declared capacity (R17).
        package::ReferenceLimits limits;
        if (described != nullptr) {
            auto capacity = ovf::capacity_bytes(
                described->capacity, described->capacity_allocation_units.value_or("byte"));
            if (capacity) {
                limits.max_output = package::disk_output_bound(*capacity);
            }
        }
        OVFKIT_TRY_ASSIGN(in, package::open_reference_file(src, layout, limits, temp_dir));
    } else {
        OVFKIT_TRY_ASSIGN(in, src.open_file(href));
    }
    auto image = disk::open_image_file(std::move(in), open);
    if (!image) {
        Error e = std::move(image).error();
        e.message = fmt::format("{} (disk {} of {})", e.message, d.disk_id, src.path());
        return fail(std::move(e));
    }
    return std::make_unique<disk::Image>(std::move(*image));
}

Result<ArchiveWritten> write_archive(const platform::ExportTarget& target,
                                     const platform::ExportPlan& plan, const package::Source& src,
                                     const ovf::Envelope& env, const ArchiveRequest& request,
                                     const JobControl& control) {
    if (target.write_archive == nullptr) {
        return fail(Errc::usage, "--to {}: the target has no archive writer", target.name);
    }
    if (std::string why = io::unreplaceable_target(request.path); !why.empty()) {
        return fail(Errc::refused, "{}", why);
    }
    OVFKIT_TRY(check_manifest(src, env, control));

    std::vector<std::unique_ptr<disk::Image>> images;
    std::vector<platform::ArchiveDisk> disks;
    for (size_t v = 0; v < plan.vms.size(); ++v) {
        for (size_t i = 0; i < plan.vms[v].disks.size(); ++i) {
            const platform::PlanDisk& d = plan.vms[v].disks[i];
            platform::ArchiveDisk a;
            a.vm = v;
            a.disk = i;
            if (d.file_id.empty()) {
                a.virtual_size = d.capacity_bytes;
            } else {
                OVFKIT_TRY_ASSIGN(auto image, open_plan_disk(src, env, d, parent_of(request.path)));
                a.reader = image->reader.get();
                a.virtual_size = a.reader->virtual_size();
                images.push_back(std::move(image));
            }
            disks.push_back(a);
        }
    }

    io::OutputSet outputs(request.force, /*direct=*/true);
    OVFKIT_TRY_ASSIGN(io::File * out, outputs.create(request.path));
    platform::ArchiveJob job{
        plan,
        disks,
        *out,
        request.mtime,
        request.threads,
        [&control](uint64_t done, uint64_t all) { control.report("writing", done, all); },
        &control.cancel.flag(),
        request.block_checksum};
    auto written = target.write_archive(job);
    if (!written) {
        if (control.cancel.cancelled()) {
            return fail(cancelled_error(request.path));
        }
        return fail(std::move(written).error());
    }
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(request.path));
    }
    ArchiveWritten result;
    OVFKIT_TRY_ASSIGN(result.size, out->size());
    for (const platform::PlanVm& vm : plan.vms) {
        for (const platform::PlanCdrom& c : vm.cdroms) {
            if (!c.environment || c.file_name.empty()) {
                continue;
            }
            OVFKIT_TRY_ASSIGN(auto iso, deploy::environment_iso(vm.environment_xml));
            OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(beside(request.path, c.file_name)));
            OVFKIT_TRY(f->pwrite(iso, 0));
            result.beside.push_back(c.file_name);
            result.beside_bytes += iso.size();
        }
    }
    OVFKIT_TRY(outputs.commit());
    if (request.mtime != 0) {
        // As the OVA writer does: the archive's own mtime is the package's.
        struct timespec times[2];
        times[0].tv_sec = static_cast<time_t>(request.mtime);
        times[0].tv_nsec = 0;
        times[1] = times[0];
        (void)::utimensat(AT_FDCWD, request.path.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
    return result;
}

} // namespace ovfkit::ops::export_detail
