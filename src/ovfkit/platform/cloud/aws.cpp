// The aws target (target.hpp): an OVA for VM Import/Export (`aws ec2
// import-image`), formats/clouds.md 2. VM Import documents its input as the
// OVA VMware's OVF export writes, streamOptimized disks inside: the
// descriptor is vmware-ova's (the same mapping and envelope), checked
// against VM Import's documented limits.
#include <array>

#include <fmt/format.h>

#include <ovfkit/platform/cloud/checks.hpp>
#include <ovfkit/platform/cloud/target.hpp>
#include <ovfkit/platform/vmware/hardware.hpp>
#include <ovfkit/platform/vmware/ova_envelope.hpp>

namespace ovfkit::platform {

namespace {

using namespace cloud;

// [AWS-lim]: at most 21 volumes per import-image task; each under 16 TiB,
// above 8 TiB only with an import manifest.
constexpr size_t k_max_disks = 21;
constexpr uint64_t k_max_disk = 16 * k_tib;
constexpr uint64_t k_manifest_disk = 8 * k_tib;

void map(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    for (auto& n : vmware::map_vm(vm, context, vmware::Flavor::ova)) {
        notes.add(std::move(n.code), n.action, vm, std::move(n.item), std::move(n.reason));
    }
    check_one_system(vm, context, "VM Import", notes);
    check_boot_disk(vm, context, "VM Import", false, notes);
    const std::string os =
        std::string(vm.os.row != nullptr ? vm.os.row->display : std::string_view("guest OS"));
    const OsFamily family = vm.os.row != nullptr ? vm.os.row->family : OsFamily::other;
    // [AWS-req]: Windows and Linux guests; Linux 64-bit only. The OS is
    // found on the disk, so a generic row is only a warning.
    const bool generic = vm.os.row == nullptr || vm.os.row->generic;
    if (family == OsFamily::other && generic) {
        notes.add("cloud-os", NoteAction::info, vm, os,
                  "the descriptor does not name the OS: VM Import finds it on the disk and "
                  "imports Windows and Linux guests only");
    } else if (family != OsFamily::linux && family != OsFamily::windows) {
        notes.add("cloud-os", NoteAction::refused, vm, os,
                  "VM Import imports Windows and Linux guests only");
    } else if (family == OsFamily::linux && vm.os.row != nullptr && !vm.os.row->x64) {
        notes.add("cloud-os", NoteAction::refused, vm, os,
                  "VM Import imports 64-bit Linux guests only");
    } else if (generic && family == OsFamily::linux) {
        notes.add("cloud-os", NoteAction::info, vm, os,
                  "VM Import supports listed distributions and kernels only; it finds the OS "
                  "on the disk and refuses one it does not support");
    }
    if (vm.disks.size() > k_max_disks) {
        notes.add("cloud-disk-count", NoteAction::refused, vm,
                  fmt::format("{} disks", vm.disks.size()),
                  "an import-image task takes at most 21 volumes; import the others with "
                  "import-snapshot");
    }
    if (!vm.disks.empty() && !vm.disks.front().boot) {
        notes.add("cloud-boot-disk-order", NoteAction::refused, vm,
                  "disk " + vm.disks.front().disk_id, "the boot disk must come first");
    }
    for (const PlanDisk& d : vm.disks) {
        if (d.capacity_bytes >= k_max_disk) {
            notes.add(
                "cloud-size-range", NoteAction::refused, vm, "disk " + d.disk_id,
                fmt::format("{} bytes: VM Import takes disks under 16 TiB", d.capacity_bytes));
        } else if (d.capacity_bytes > k_manifest_disk) {
            notes.add("cloud-size-range", NoteAction::info, vm, "disk " + d.disk_id,
                      fmt::format("{}: disks over 8 TiB need an import manifest",
                                  size_text(d.capacity_bytes)));
        }
    }
    // --boot-mode is an import-image argument; the OVA cannot carry it.
    notes.add("cloud-firmware", NoteAction::info, vm, "firmware",
              vm.firmware == Firmware::efi
                  ? "UEFI: import with --boot-mode uefi; a Linux guest needs the fallback loader "
                    "\\EFI\\BOOT\\BOOTX64.EFI on its ESP (not checked)"
                  : "BIOS: import with --boot-mode legacy-bios");
    if (vm.nics.size() > 1) {
        notes.add("cloud-nic-count", NoteAction::info, vm, fmt::format("{} NICs", vm.nics.size()),
                  "the imported instance has one NIC, on DHCP; static addresses and the other "
                  "NICs are not carried");
    }
    if (!vm.cdroms.empty()) {
        notes.add(
            "cloud-cdrom", NoteAction::info, vm,
            fmt::format("{} CD-ROM drive{}", vm.cdroms.size(), vm.cdroms.size() == 1 ? "" : "s"),
            "VM Import asks for CD-ROM drives to be disconnected; the instance has none");
    }
    notes.add("cloud-free-space", NoteAction::info, vm, os,
              family == OsFamily::windows
                  ? "VM Import needs at least 6 GiB free in the guest and a fixed page file "
                    "(not checked)"
                  : "VM Import needs free space in the guest for the drivers it installs (not "
                    "checked)");
    note_drivers(vm, "ENA and NVMe drivers for Nitro instance types",
                 "ENA and NVMe drivers for Nitro instance types", notes);
}

constexpr std::array<std::string_view, 1> k_disk_formats{"vmdk-stream"};

} // namespace

const ExportTarget aws_target{
    .name = "aws",
    .platform = "",
    .description = "AWS VM Import: an OVA with streamOptimized VMDKs, one virtual system, within "
                   "VM Import's documented limits",
    .form = TargetForm::package,
    .default_disk_format = "vmdk-stream",
    .disk_formats = k_disk_formats,
    .map = map,
    .write_files = nullptr,
    .envelope = vmware::vsphere_envelope,
};

} // namespace ovfkit::platform
