// The table of export targets (export_target.hpp): one line per target,
// each defined in its platform's folder.
#include <algorithm>
#include <array>
#include <vector>

#include <ovfkit/platform/cloud/target.hpp>
#include <ovfkit/platform/dmtf/target.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/hyperv/target.hpp>
#include <ovfkit/platform/libvirt/target.hpp>
#include <ovfkit/platform/proxmox/target.hpp>
#include <ovfkit/platform/virtualbox/target.hpp>
#include <ovfkit/platform/vmware/target.hpp>
#include <ovfkit/platform/xenserver/target.hpp>

namespace ovfkit::platform {

namespace {

const std::array k_targets{
    &libvirt_target,        // platform/libvirt
    &vmware_target,         // platform/vmware
    &vmware_ova_target,     // platform/vmware
    &proxmox_target,        // platform/proxmox
    &hyperv_target,         // platform/hyperv
    &xenserver_target,      // platform/xenserver
    &xenserver_ova_target,  // platform/xenserver
    &virtualbox_target,     // platform/virtualbox
    &virtualbox_ova_target, // platform/virtualbox
    &dmtf::ovf_target,      // platform/dmtf
    &dmtf::ova_target,      // platform/dmtf
    &azure_target,          // platform/cloud
    &aws_target,            // platform/cloud
    &gce_target,            // platform/cloud
};

} // namespace

std::span<const ExportTarget> export_targets() {
    static const std::vector<ExportTarget> table = [] {
        std::vector<ExportTarget> v;
        for (const ExportTarget* t : k_targets) {
            v.push_back(*t);
        }
        return v;
    }();
    return table;
}

const ExportTarget* find_export_target(std::string_view name) {
    auto all = export_targets();
    auto it =
        std::find_if(all.begin(), all.end(), [&](const ExportTarget& t) { return t.name == name; });
    return it == all.end() ? nullptr : &*it;
}

} // namespace ovfkit::platform
