// The `xenserver-ova` target's descriptor (ova_envelope.cpp).
#pragma once

#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::xenserver {

// XenOvf's VirtualSystemType for HVM guests and its VHD format URI.
inline constexpr std::string_view k_hvm_system_type = "hvm-3.0-unknown";
inline constexpr std::string_view k_vhd_uri =
    "http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx";

// The source envelope with each VirtualSystem's hardware and guest OS
// rewritten from a plan `map_vm` made (Flavor::ova), in XenCenter's OVF
// dialect. Errc::invalid when the plan was not mapped for XenServer or a
// VM is not a VirtualSystem of the source.
Result<ovf::Envelope> xencenter_envelope(const ovf::Envelope& source, const ExportPlan& plan);

// The DiskSection format URI for a disk driver: XenServer's for VHD.
std::string_view disk_format_uri(std::string_view disk_format);

} // namespace ovfkit::platform::xenserver
