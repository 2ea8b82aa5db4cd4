// The gce target: Compute Engine image import from a raw disk in a
// `.tar.gz` (formats/clouds.md 4); gce.hpp.
#include <fmt/format.h>

#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/io/gzip_sink.hpp>
#include <ovfkit/platform/cloud/checks.hpp>
#include <ovfkit/platform/cloud/gce.hpp>
#include <ovfkit/platform/cloud/sparse_tar.hpp>

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

Result<GceArchiveReport> write_gce_archive(disk::DiskReader& reader, const std::string& path,
                                           const GceArchiveOptions& options) {
    GceArchiveReport report;
    report.real_size = options.real_size == 0 ? reader.virtual_size() : options.real_size;
    OVFKIT_TRY_ASSIGN(SparseMap map, scan_sparse_map(reader, report.real_size, options.cancel));
    report.data_bytes = map.data_bytes();
    report.segments = map.segments.size();

    io::OutputSet outputs(options.force);
    OVFKIT_TRY_ASSIGN(io::File * file, outputs.create(path));
    io::FileSink file_sink(*file);
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
    OVFKIT_TRY(outputs.commit());
    return report;
}

} // namespace ovfkit::platform::cloud
