// VMware's vendor elements in OVF descriptors (namespace
// http://www.vmware.com/schema/ovf, prefix vmw).
//
// What vSphere, Workstation, Fusion and ovftool write, and what is read here:
//
//   <OperatingSystemSection ovf:id="101" vmw:osType="ubuntu64Guest">
//   <VirtualHardwareSection>
//     ...
//     <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
//     <vmw:ExtraConfig ovf:required="false" vmw:key="..." vmw:value="..."/>
//
// vmw:Config entries are VM settings keyed by the .vmx-like path of the
// vSphere API (firmware, cpuHotAddEnabled, tools.syncTimeWithHost, ...);
// vmw:ExtraConfig entries are raw .vmx keys. Firmware is the only one read
// today: CIM has no firmware element, so without it a UEFI guest would be
// deployed with BIOS. ovftool writes "efi" or "bios"; older exports omit the
// key, which means BIOS, but "absent" is reported as unknown, not guessed.
// vmw:osType is an attribute the OVF reader already keeps
// (OperatingSystemSection::vmw_os_type); it is VMware's guest id, finer than
// the CIM OsType number.
#pragma once

#include <optional>
#include <string>

#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::platform::vmware {

// The value of the first vmw:Config with vmw:key="firmware" in `hardware`,
// lowercased; nullopt without hardware or without such an element.
std::optional<std::string> firmware(const ovf::Content& system,
                                    const ovf::VirtualHardwareSection* hardware);

// vmw:osType of the OperatingSystemSection, as written.
std::optional<std::string> os_type(const ovf::OperatingSystemSection& os);

} // namespace ovfkit::platform::vmware
