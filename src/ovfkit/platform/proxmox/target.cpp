// The proxmox target's entry in the export target table.
#include <array>

#include <ovfkit/platform/proxmox/map.hpp>
#include <ovfkit/platform/proxmox/target.hpp>

namespace ovfkit::platform {

namespace {

// qm importdisk converts any of these onto the storage's own format.
constexpr std::array<std::string_view, 3> k_disk_formats{"qcow2", "raw", "vmdk"};

void map(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    std::vector<PlanNote> out;
    proxmox::map_vm(vm, context, out);
    for (auto& n : out) {
        notes.add(std::move(n.code), n.action, vm, std::move(n.item), std::move(n.reason));
    }
}

} // namespace

const ExportTarget proxmox_target{
    .name = "proxmox",
    .platform = "proxmox",
    .description = "Proxmox VE: a qm config per VM, the disks and import.sh (qm create, qm "
                   "importdisk)",
    .form = TargetForm::directory,
    .default_disk_format = "qcow2",
    .disk_formats = k_disk_formats,
    .map = map,
    .write_files = proxmox::write_files,
    .envelope = nullptr,
};

} // namespace ovfkit::platform
