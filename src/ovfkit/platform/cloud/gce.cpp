// The gce target: Compute Engine image import from a raw disk in a
// `.tar.gz` (formats/clouds.md 4); gce.hpp.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/io/gzip_sink.hpp>
#include <ovfkit/platform/cloud/checks.hpp>
#include <ovfkit/platform/cloud/gce.hpp>
#include <ovfkit/platform/cloud/sparse_tar.hpp>
#include <ovfkit/platform/cloud/target.hpp>

namespace ovfkit::platform::cloud {

namespace {

// The boot disk limit is attributed to Google's import page only by
// third-party transcriptions (clouds.md 4.1, unverified).
constexpr uint64_t k_max_boot_disk = uint64_t{2048} * k_gib;

// Counts what passes to the inner sink (the tar stream's length).
class CountingSink final : public io::Sink {
public:
    explicit CountingSink(io::Sink& inner) : m_inner(inner) {}
    const std::string& name() const override { return m_inner.name(); }
    Result<void> write(std::span<const std::byte> data) override {
        m_count += data.size();
        return m_inner.write(data);
    }
    Result<void> finish() override { return m_inner.finish(); }
    uint64_t bytes_written() const override { return m_count; }

private:
    io::Sink& m_inner;
    uint64_t m_count = 0;
};

// A new disk no file backs: all of it a hole.
class BlankDisk final : public disk::DiskReader {
public:
    explicit BlankDisk(uint64_t size) {
        m_info.format = "blank";
        m_info.virtual_size = size;
    }
    const disk::DiskInfo& info() const override { return m_info; }
    Result<std::vector<disk::Extent>> extents(uint64_t offset, uint64_t length) override {
        std::vector<disk::Extent> out;
        const uint64_t end = std::min(m_info.virtual_size, offset + length);
        if (offset < end) {
            out.push_back({offset, end - offset, disk::ExtentKind::unallocated});
        }
        return out;
    }

protected:
    Result<void> read_range(uint64_t, std::span<std::byte> out) override {
        std::fill(out.begin(), out.end(), std::byte{0});
        return {};
    }

private:
    disk::DiskInfo m_info;
};

} // namespace

void map_gce(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    check_one_system(vm, context, "Compute Engine image import", notes);
    // An image is one disk: disk.raw is the boot disk.
    for (size_t i = 1; i < vm.disks.size(); ++i) {
        notes.add("cloud-disk-count", NoteAction::dropped, vm, "disk " + vm.disks[i].disk_id,
                  "a Compute Engine image holds one disk (disk.raw, the boot disk): create the "
                  "data disks in the cloud");
    }
    if (vm.disks.size() > 1) {
        vm.disks.resize(1);
    }
    if (vm.disks.empty()) {
        notes.add("cloud-disk-count", NoteAction::refused, vm, "no disk",
                  "a Compute Engine image is made of the boot disk, and the VM has none");
    }
    check_boot_disk(vm, context, "Compute Engine", false, notes);
    round_disks(vm, k_gib, k_gib, "Compute Engine takes a whole number of GiB", notes);
    if (!vm.disks.empty() && written_size(vm.disks.front()) > k_max_boot_disk) {
        notes.add("cloud-size-range", NoteAction::refused, vm, "disk " + vm.disks.front().disk_id,
                  fmt::format("{} is more than the 2048 GiB of a Compute Engine boot disk",
                              size_text(written_size(vm.disks.front()))));
    }
    const OsFamily family = vm.os.row != nullptr ? vm.os.row->family : OsFamily::other;
    std::string features;
    if (vm.firmware == Firmware::efi) {
        features = "UEFI_COMPATIBLE";
    }
    if (family == OsFamily::windows) {
        features += features.empty() ? "WINDOWS" : ",WINDOWS";
    }
    notes.add("cloud-firmware", NoteAction::info, vm, "firmware",
              vm.firmware == Firmware::efi
                  ? fmt::format("UEFI: create the image with --guest-os-features={}", features)
              : features.empty()
                  ? std::string("BIOS: the disk boots from its MBR boot loader")
                  : fmt::format("BIOS: create the image with --guest-os-features={}", features));
    drop_devices(vm, "Compute Engine", notes);
    note_drivers(vm,
                 "virtio-scsi and virtio-net (gve for gVNIC machine types), GRUB and "
                 "console=ttyS0",
                 "Google's virtio and gVNIC drivers", notes);
}

Result<GceArchiveReport> write_gce_stream(disk::DiskReader& reader, io::File& out,
                                          const GceArchiveOptions& options) {
    GceArchiveReport report;
    report.real_size = options.real_size == 0 ? reader.virtual_size() : options.real_size;
    OVFKIT_TRY_ASSIGN(SparseMap map, scan_sparse_map(reader, report.real_size, options.cancel));
    report.data_bytes = map.data_bytes();
    report.segments = map.segments.size();
    io::FileSink file_sink(out);
    io::GzipOptions gzip;
    gzip.level = options.level;
    gzip.threads = options.threads;
    OVFKIT_TRY_ASSIGN(auto gz, io::GzipSink::create(file_sink, gzip));
    CountingSink tar(*gz);
    SparseTarOptions tar_options;
    tar_options.mtime = options.mtime;
    tar_options.cancel = options.cancel;
    tar_options.progress = options.progress;
    OVFKIT_TRY(write_sparse_tar(reader, map, tar, tar_options));
    OVFKIT_TRY(tar.finish());
    report.archive_bytes = tar.bytes_written();
    report.gzip_bytes = file_sink.bytes_written();
    return report;
}

Result<GceArchiveReport> write_gce_archive(disk::DiskReader& reader, const std::string& path,
                                           const GceArchiveOptions& options) {
    io::OutputSet outputs(options.force);
    OVFKIT_TRY_ASSIGN(io::File * file, outputs.create(path));
    OVFKIT_TRY_ASSIGN(GceArchiveReport report, write_gce_stream(reader, *file, options));
    OVFKIT_TRY(outputs.commit());
    return report;
}

Result<void> write_gce_job(const ArchiveJob& job) {
    if (job.plan.vms.size() != 1 || job.plan.vms.front().disks.size() != 1 ||
        job.disks.size() != 1) {
        // map_gce refuses or trims every other plan.
        return fail(Errc::invalid, "--to gce: an image is one virtual system with one disk");
    }
    const PlanDisk& d = job.plan.vms.front().disks.front();
    const ArchiveDisk& a = job.disks.front();
    // The planned size (a whole GiB), or more when the disk is larger than
    // its descriptor said: then its own size, rounded up the same way.
    auto real_size = align_up(std::max(written_size(d), a.virtual_size), k_gib);
    if (!real_size) {
        return fail(Errc::invalid, "--to gce: disk {} of {} bytes cannot be rounded to a GiB",
                    d.disk_id, a.virtual_size);
    }
    BlankDisk blank(a.virtual_size);
    GceArchiveOptions options;
    options.real_size = *real_size;
    options.mtime = job.mtime;
    options.threads = job.threads;
    options.cancel = job.cancel;
    options.progress = job.progress;
    OVFKIT_TRY(write_gce_stream(a.reader != nullptr ? *a.reader : blank, job.out, options));
    return {};
}

} // namespace ovfkit::platform::cloud

namespace ovfkit::platform {

namespace {

constexpr std::array<std::string_view, 1> k_gce_disk_formats{"raw"};

} // namespace

const ExportTarget gce_target{
    .name = "gce",
    .platform = "",
    .description = "Google Compute Engine: disk.raw (a whole GiB) in a GNU oldgnu sparse .tar.gz "
                   "for image import",
    .form = TargetForm::archive,
    .default_disk_format = "raw",
    .disk_formats = k_gce_disk_formats,
    .map = cloud::map_gce,
    .write_files = nullptr,
    .envelope = nullptr,
    .rebuilds_hardware = true,
    .write_archive = cloud::write_gce_job,
};

} // namespace ovfkit::platform
