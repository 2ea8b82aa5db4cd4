// The hyperv target's entry in the export target table.
#include <array>

#include <ovfkit/platform/hyperv/map.hpp>
#include <ovfkit/platform/hyperv/target.hpp>

namespace ovfkit::platform {

namespace {

// VHDX for every host since Windows Server 2012; VHD for 2008 and 2008 R2,
// generation 1 only.
constexpr std::array<std::string_view, 4> k_disk_formats{"vhdx", "vhdx-fixed", "vhd", "vhd-fixed"};

void map(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    std::vector<PlanNote> out;
    hyperv::map_vm(vm, context, out);
    for (auto& n : out) {
        notes.add(std::move(n.code), n.action, vm, std::move(n.item), std::move(n.reason));
    }
}

} // namespace

const ExportTarget hyperv_target{
    .name = "hyperv",
    .platform = "hyperv",
    .description = "Microsoft Hyper-V: the disks as VHDX, import.ps1 (New-VM, generation 1 or "
                   "2) and hyperv.json",
    .form = TargetForm::directory,
    .default_disk_format = "vhdx",
    .disk_formats = k_disk_formats,
    .map = map,
    .write_files = hyperv::write_files,
    .envelope = nullptr,
    .rebuilds_hardware = true,
    .dynamic_memory = true,
};

} // namespace ovfkit::platform
