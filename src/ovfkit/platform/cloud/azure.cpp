// The azure target (target.hpp): Azure managed-disk upload rules,
// formats/clouds.md 3.
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ovfkit/platform/cloud/checks.hpp>
#include <ovfkit/platform/cloud/target.hpp>

namespace ovfkit::platform {

namespace {

using namespace cloud;

// UploadSizeBytes (file length, footer included) lies in
// [20 MiB + 512, 32 767 GiB + 512] ([Az-size]).
constexpr uint64_t k_min_disk = 20 * k_mib;
constexpr uint64_t k_max_disk = uint64_t{32767} * k_gib;
// OS disks: 2 TiB on Gen1 ([Az-win], [Az-gen2]); Gen2 up to 4 TiB
// recommended ([Az-gen2] FAQ); 1 023 GB is an older, contradicted limit.
constexpr uint64_t k_max_os_gen1 = 2 * k_tib;
constexpr uint64_t k_max_os_gen2 = 4 * k_tib;
constexpr uint64_t k_old_os_limit = uint64_t{1023} * k_gib;
constexpr uint64_t k_vhd_footer = 512;

bool gen2(const PlanVm& vm) {
    return vm.firmware == Firmware::efi;
}

void map(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    // The generation is the firmware: V1 boots PCAT BIOS with the OS disk
    // on IDE, V2 UEFI with SCSI ([Az-gen2]); fixed at VM creation.
    vm.machine = gen2(vm) ? "V2" : "V1";
    notes.add("cloud-generation", NoteAction::info, vm, "firmware",
              gen2(vm) ? "UEFI: Generation 2 (hyperVGeneration V2), the OS disk on SCSI"
                       : "BIOS: Generation 1 (hyperVGeneration V1), the OS disk on IDE");
    if (vm.secure_boot) {
        notes.add("fw-secureboot", NoteAction::info, vm, "Secure Boot",
                  "Azure has Secure Boot only on Generation 2 VMs with Trusted Launch, chosen "
                  "at VM creation; the disk carries no keys");
    }
    const OsFamily family = vm.os.row != nullptr ? vm.os.row->family : OsFamily::other;
    if (family != OsFamily::linux && family != OsFamily::windows) {
        notes.add("cloud-os", NoteAction::info, vm,
                  std::string(vm.os.row != nullptr ? vm.os.row->display : "guest OS"),
                  "Azure images are Windows or Linux (FreeBSD uploads as Linux): azure.json "
                  "states Linux");
    }
    // A fixed VHD is 512-byte sectors only (vhd-vhdx.md 9, trap 8).
    check_boot_disk(vm, context, "Azure", true, notes);
    round_disks(vm, k_mib, k_min_disk, "Azure takes whole MiB from 20 MiB", notes);
    for (const PlanDisk& d : vm.disks) {
        const uint64_t size = written_size(d);
        if (size > k_max_disk) {
            notes.add("cloud-size-range", NoteAction::refused, vm, "disk " + d.disk_id,
                      fmt::format("{} bytes is more than Azure's 32767 GiB for a disk", size));
            continue;
        }
        if (!d.boot) {
            continue;
        }
        if (!gen2(vm) && size > k_max_os_gen1) {
            notes.add("cloud-size-range", NoteAction::refused, vm, "disk " + d.disk_id,
                      fmt::format("{} is more than the 2 TiB a Generation 1 OS disk holds (UEFI "
                                  "guests get Generation 2)",
                                  size_text(size)));
        } else if (gen2(vm) && size > k_max_os_gen2) {
            notes.add("cloud-size-range", NoteAction::info, vm, "disk " + d.disk_id,
                      fmt::format("{} is more than the 4 TiB Azure recommends for a Generation "
                                  "2 OS disk",
                                  size_text(size)));
        } else if (size > k_old_os_limit) {
            notes.add("cloud-size-range", NoteAction::info, vm, "disk " + d.disk_id,
                      "more than 1023 GB: older Azure guidance limits OS disks to that");
        }
    }
    drop_devices(vm, "Azure", notes);
    note_drivers(vm,
                 "the Hyper-V drivers (hv_vmbus, hv_storvsc, hv_netvsc) in its initramfs, the "
                 "Azure Linux Agent or cloud-init, and console=ttyS0",
                 "the Hyper-V integration components (built in from Windows Server 2016)", notes);
}

// azure.json: what `az disk create --for-upload` and `az image create`
// need per disk and VM. JSON, so every string stays literal.
Result<std::vector<OutputFile>> write_files(const ExportPlan& plan) {
    nlohmann::json vms = nlohmann::json::array();
    for (const PlanVm& vm : plan.vms) {
        nlohmann::json disks = nlohmann::json::array();
        for (const PlanDisk& d : vm.disks) {
            const uint64_t size = written_size(d);
            disks.push_back({{"disk_id", d.disk_id},
                             {"file", d.file_name},
                             {"role", d.boot ? "os" : "data"},
                             {"virtual_size", size},
                             {"upload_size_bytes", size + k_vhd_footer}});
        }
        const OsFamily family = vm.os.row != nullptr ? vm.os.row->family : OsFamily::other;
        vms.push_back({{"name", vm.name},
                       {"hyper_v_generation", vm.machine},
                       {"os_type", family == OsFamily::windows ? "Windows" : "Linux"},
                       {"firmware", vm.firmware == Firmware::efi ? "efi" : "bios"},
                       {"disks", std::move(disks)}});
    }
    nlohmann::json doc{{"schema", "ovfkit/1"}, {"target", "azure"}, {"vms", std::move(vms)}};
    return std::vector<OutputFile>{{"azure.json", doc.dump(2) + "\n", false}};
}

constexpr std::array<std::string_view, 1> k_disk_formats{"vhd-fixed"};

} // namespace

const ExportTarget azure_target{
    .name = "azure",
    .platform = "",
    .description =
        "Azure: a fixed VHD per disk (whole MiB, from 20 MiB) and azure.json (generation, "
        "OS type, upload sizes) for managed-disk upload",
    .form = TargetForm::directory,
    .default_disk_format = "vhd-fixed",
    .disk_formats = k_disk_formats,
    .map = map,
    .write_files = write_files,
    .envelope = nullptr,
};

} // namespace ovfkit::platform
