// The hypervisor platforms ovfkit knows, in one table (registry.cpp).
//
// Everything specific to one hypervisor lives in platform/<name>/: today the
// readers of its vendor sections (the elements in its own XML namespace that
// the OVF reader keeps verbatim); importers, exporters, OS tables and target
// profiles follow in the same folders. Code elsewhere asks the registry, and
// never names a vendor: the appliance summary (ovf/summary.cpp) learns a
// virtual system's firmware and OS type by calling vendor_firmware() and
// vendor_os_type(), which ask each platform in table order.
//
// Like the disk format table, this is an explicit list: greppable, and it
// survives static linking (nothing registers itself).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::platform {

// What a platform can read from its vendor sections. A member is null when
// the platform writes no such element. Readers never fail: an element they
// cannot parse says nothing (nullopt); `ovfkit validate` reports it.
struct VendorSectionReaders {
    // The firmware of `system` ("efi", "bios", in lowercase) from the
    // platform's elements in the system or in `hardware`, its first
    // VirtualHardwareSection (null when it has none).
    std::optional<std::string> (*firmware)(const ovf::Content& system,
                                           const ovf::VirtualHardwareSection* hardware) = nullptr;
    // The guest OS type in the platform's own vocabulary ("ubuntu64Guest",
    // "Ubuntu_64"), exactly as written.
    std::optional<std::string> (*os_type)(const ovf::OperatingSystemSection& os) = nullptr;
};

struct Platform {
    std::string_view name;         // stable identifier: "vmware", "virtualbox", ...
    std::string_view display_name; // for people: "VMware vSphere, Workstation and Fusion"
    VendorSectionReaders vendor;
};

// Every platform, in the order they are asked (the first answer wins).
std::span<const Platform> all();

// The platform called `name`, or null.
const Platform* find(std::string_view name);

// The first answer of a platform's firmware reader, in table order; nullopt
// when no platform's elements say anything.
std::optional<std::string> vendor_firmware(const ovf::Content& system,
                                           const ovf::VirtualHardwareSection* hardware);

// The first answer of a platform's OS type reader, in table order.
std::optional<std::string> vendor_os_type(const ovf::OperatingSystemSection& os);

} // namespace ovfkit::platform
