// The two VirtualBox entries of the export target table (target.hpp).
#include <array>

#include <fmt/format.h>

#include <ovfkit/platform/virtualbox/hardware.hpp>
#include <ovfkit/platform/virtualbox/ova_envelope.hpp>
#include <ovfkit/platform/virtualbox/target.hpp>
#include <ovfkit/platform/virtualbox/vbox.hpp>

namespace ovfkit::platform {

namespace {

void map(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    for (auto& n : virtualbox::map_vm(vm, context)) {
        notes.add(std::move(n.code), n.action, vm, std::move(n.item), std::move(n.reason));
    }
}

// The OVA carries the chosen option's hardware and no OVF environment:
// VirtualBox has no transport for it.
void map_ova(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    map(vm, context, notes);
    if (context.source == nullptr) {
        return;
    }
    if (context.source->find<ovf::DeploymentOptionSection>() != nullptr) {
        notes.add("deployment-option", NoteAction::info, vm, "DeploymentOptionSection",
                  fmt::format("left out; the hardware is that of option '{}'",
                              context.deployment_option));
    }
    for (const ovf::Content* c : ovf::virtual_systems(*context.source)) {
        if (c->id == vm.system_id && c->find<ovf::ProductSection>() != nullptr) {
            notes.add("vapp-props", NoteAction::info, vm, "ProductSection",
                      "kept in the descriptor; VirtualBox's import delivers no OVF environment "
                      "to the guest");
        }
    }
}

// A .vbox names its disks by the UUID in their headers, which ovfkit
// stamps in VDIs; VirtualBox imports OVAs with streamOptimized VMDKs.
constexpr std::array<std::string_view, 2> k_vbox_disks{"vdi", "vdi-fixed"};
constexpr std::array<std::string_view, 1> k_ova_disks{"vmdk-stream"};

} // namespace

const ExportTarget virtualbox_target{
    .name = "virtualbox",
    .platform = "virtualbox",
    .description = "a directory with a .vbox per VM and VDI disks (VBoxManage registervm)",
    .form = TargetForm::directory,
    .default_disk_format = "vdi",
    .disk_formats = k_vbox_disks,
    .map = map,
    .write_files = virtualbox::write_vbox_files,
    .envelope = nullptr,
};

const ExportTarget virtualbox_ova_target{
    .name = "virtualbox-ova",
    .platform = "virtualbox",
    .description = "an OVA in VirtualBox's OVF dialect with streamOptimized disks "
                   "(VBoxManage import)",
    .form = TargetForm::package,
    .default_disk_format = "vmdk-stream",
    .disk_formats = k_ova_disks,
    .map = map_ova,
    .write_files = nullptr,
    .envelope = virtualbox::virtualbox_envelope,
};

} // namespace ovfkit::platform
