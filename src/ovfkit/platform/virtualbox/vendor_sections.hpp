// VirtualBox's vendor elements in OVF descriptors (namespace
// http://www.virtualbox.org/ovf/machine, prefix vbox).
//
// VBoxManage export writes the whole machine configuration, in the format of
// a .vbox file, as one extra section of the VirtualSystem, and the guest type
// inside the OperatingSystemSection:
//
//   <VirtualSystem ovf:id="vm">
//     <OperatingSystemSection ovf:id="96">
//       <vbox:OSType ovf:required="false">Debian_64</vbox:OSType>
//     </OperatingSystemSection>
//     ...
//     <vbox:Machine ovf:required="false" version="1.16-linux" uuid="{...}" name="vm">
//       <Hardware>
//         <Firmware type="EFI"/>      (BIOS, EFI, EFI32, EFI64, EFIDUAL)
//         ...
//
// Inside vbox:Machine, elements are in VirtualBox's settings namespace or
// none, depending on the version, so Firmware is found by local name. Every
// EFI variant is reported as "efi"; other values are lowercased ("bios").
// A machine without <Firmware> uses BIOS, but "absent" is reported as
// unknown, as for every vendor.
#pragma once

#include <optional>
#include <string>

#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::platform::virtualbox {

// The firmware named by <Firmware type="..."> in the system's first
// vbox:Machine section that has one; nullopt otherwise.
std::optional<std::string> firmware(const ovf::Content& system,
                                    const ovf::VirtualHardwareSection* hardware);

// The text of vbox:OSType in the OperatingSystemSection, trimmed.
std::optional<std::string> os_type(const ovf::OperatingSystemSection& os);

} // namespace ovfkit::platform::virtualbox
