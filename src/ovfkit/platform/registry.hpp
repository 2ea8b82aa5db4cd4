// The hypervisor platforms ovfkit knows, in one table (registry.cpp).
//
// Everything specific to one hypervisor lives in platform/<name>/: today the
// readers of its vendor sections (the elements in its own XML namespace that
// the OVF reader keeps verbatim); importers, exporters, OS tables and target
// profiles follow in the same folders. Code elsewhere asks the registry, and
// never names a vendor: the appliance summary (ovf/summary.cpp) learns a
// virtual system's firmware and OS type by calling vendor_firmware() and
// vendor_os_type(), which ask each platform in table order, and reads a
// platform's own envelope dialect (oVirt) through dialect_readers().
//
// Like the disk format table, this is an explicit list: greppable, and it
// survives static linking (nothing registers itself).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/ovf/summary.hpp>

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

// A platform that writes an envelope dialect of its own (oVirt: the
// namespace with a trailing slash) and states in it, its own way, what
// DSP0243 states with CIM properties. Both members are null for the others.
struct DialectReaders {
    // The DSP0243 ResourceType an item of the dialect stands for.
    std::optional<uint32_t> (*resource_type)(const ovf::Item& item) = nullptr;
    // Re-reads a virtual system of the dialect into the summary the DSP0243
    // rules made of it (OS, firmware, CPUs, disks, NICs).
    void (*read_system)(const ovf::Envelope& envelope, const ovf::Content& system,
                        ovf::SystemSummary& summary) = nullptr;
};

struct Platform {
    std::string_view name;         // stable identifier: "vmware", "virtualbox", ...
    std::string_view display_name; // for people: "VMware vSphere, Workstation and Fusion"
    VendorSectionReaders vendor;
    std::optional<ovf::OvfVersion> dialect; // the envelope dialect it writes, if its own
    DialectReaders dialect_readers;
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

// The readers of the platform whose own dialect `version` is; null for the
// DMTF versions (and 0.9), which DSP0243's rules read.
const DialectReaders* dialect_readers(ovf::OvfVersion version);

} // namespace ovfkit::platform
