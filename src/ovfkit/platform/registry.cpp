// The table of platforms; see registry.hpp. Adding a platform is one line
// here (and its folder); the summary and every generic test pick it up.
#include <ovfkit/platform/ovirt/dialect.hpp>
#include <ovfkit/platform/registry.hpp>
#include <ovfkit/platform/virtualbox/vendor_sections.hpp>
#include <ovfkit/platform/vmware/vendor_sections.hpp>

namespace ovfkit::platform {

namespace {

// VMware comes first: when a descriptor carries both vendors' elements (a
// VirtualBox export of a VMware appliance keeps vmw:osType), VMware's are the
// ones the summary has always shown.
const Platform k_platforms[] = {
    {"vmware",
     "VMware vSphere, Workstation and Fusion",
     {&vmware::firmware, &vmware::os_type},
     std::nullopt,
     {}},
    {"virtualbox",
     "Oracle VirtualBox",
     {&virtualbox::firmware, &virtualbox::os_type},
     std::nullopt,
     {}},
    // oVirt's vendor elements are unqualified children in its own dialect,
    // so it has dialect readers instead of vendor-section readers.
    {"ovirt",
     "oVirt and Red Hat Virtualization",
     {},
     ovf::OvfVersion::ovirt,
     {&ovirt::resource_type, &ovirt::read_system}},
    {"libvirt", "libvirt (KVM, QEMU)", {}, std::nullopt, {}},
    {"hyperv", "Microsoft Hyper-V", {}, std::nullopt, {}},
    {"xenserver", "XenServer and XCP-ng", {}, std::nullopt, {}},
    {"proxmox", "Proxmox VE", {}, std::nullopt, {}},
};

} // namespace

std::span<const Platform> all() {
    return k_platforms;
}

const Platform* find(std::string_view name) {
    for (const auto& p : k_platforms) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

std::optional<std::string> vendor_firmware(const ovf::Content& system,
                                           const ovf::VirtualHardwareSection* hardware) {
    for (const auto& p : k_platforms) {
        if (p.vendor.firmware) {
            if (auto firmware = p.vendor.firmware(system, hardware)) {
                return firmware;
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> vendor_os_type(const ovf::OperatingSystemSection& os) {
    for (const auto& p : k_platforms) {
        if (p.vendor.os_type) {
            if (auto type = p.vendor.os_type(os)) {
                return type;
            }
        }
    }
    return std::nullopt;
}

const DialectReaders* dialect_readers(ovf::OvfVersion version) {
    for (const auto& p : k_platforms) {
        if (p.dialect == version) {
            return &p.dialect_readers;
        }
    }
    return nullptr;
}

} // namespace ovfkit::platform
