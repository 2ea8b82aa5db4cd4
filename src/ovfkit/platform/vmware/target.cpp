// The two VMware entries of the export target table (target.hpp).
#include <array>

#include <ovfkit/platform/vmware/hardware.hpp>
#include <ovfkit/platform/vmware/ova_envelope.hpp>
#include <ovfkit/platform/vmware/target.hpp>
#include <ovfkit/platform/vmware/vmx.hpp>

namespace ovfkit::platform {

namespace {

void add_notes(std::vector<vmware::MapNote> notes, const PlanVm& vm, PlanNotes& out) {
    for (auto& n : notes) {
        out.add(std::move(n.code), n.action, vm, std::move(n.item), std::move(n.reason));
    }
}

void map_vmx(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    add_notes(vmware::map_vm(vm, context, vmware::Flavor::vmx), vm, notes);
}

void map_ova(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    add_notes(vmware::map_vm(vm, context, vmware::Flavor::ova), vm, notes);
}

// Hosted products run sparse and flat VMDKs, not streamOptimized ones
// (formats/vmware-virtualbox.md, A4); vSphere deploys streamOptimized.
constexpr std::array<std::string_view, 2> k_vmx_disks{"vmdk", "vmdk-flat"};
constexpr std::array<std::string_view, 1> k_ova_disks{"vmdk-stream"};

} // namespace

const ExportTarget vmware_target{
    .name = "vmware",
    .platform = "vmware",
    .description = "a directory with a .vmx per VM and sparse VMDKs (Workstation, Fusion, ESXi)",
    .form = TargetForm::directory,
    .default_disk_format = "vmdk",
    .disk_formats = k_vmx_disks,
    .map = map_vmx,
    .write_files = vmware::write_vmx_files,
    .envelope = nullptr,
};

const ExportTarget vmware_ova_target{
    .name = "vmware-ova",
    .platform = "vmware",
    .description =
        "an OVA with vSphere's hardware vocabulary and streamOptimized disks (ESXi, vCenter)",
    .form = TargetForm::package,
    .default_disk_format = "vmdk-stream",
    .disk_formats = k_ova_disks,
    .map = map_ova,
    .write_files = nullptr,
    .envelope = vmware::vsphere_envelope,
};

} // namespace ovfkit::platform
