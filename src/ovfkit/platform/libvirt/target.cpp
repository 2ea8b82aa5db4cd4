// The libvirt export target's table entry; see target.hpp.
#include <array>

#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/map.hpp>
#include <ovfkit/platform/libvirt/target.hpp>

namespace ovfkit::platform {

void libvirt::map(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    for (auto& n : map_vm(vm, context)) {
        notes.add(std::move(n.code), n.action, vm, std::move(n.item), std::move(n.reason));
    }
}

namespace {

// qcow2 (v3) is what libvirt hosts expect; raw for block storage.
constexpr std::array<std::string_view, 2> k_libvirt_formats{"qcow2", "raw"};

} // namespace

const ExportTarget libvirt_target{
    .name = "libvirt",
    .platform = "libvirt",
    .description = "libvirt domain XML (QEMU/KVM) with qcow2 or raw disks",
    .form = TargetForm::directory,
    .default_disk_format = "qcow2",
    .disk_formats = k_libvirt_formats,
    .map = &libvirt::map,
    .write_files = &libvirt::write_files,
    .envelope = nullptr,
};

} // namespace ovfkit::platform
