// The `virtualbox-ova` target's descriptor (ova_envelope.cpp).
#pragma once

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::virtualbox {

// The source envelope with each VirtualSystem's hardware and guest OS
// rewritten from a plan `map_vm` made, in VirtualBox's OVF dialect (OVF
// 1.0, as VBoxManage export writes by default): VirtualBox's controller
// and NIC subtypes, vbox:OSType, and a vbox:Machine section with the whole
// machine (firmware, NIC chips, NVMe and VirtioSCSI, which the items cannot
// say) attaching the disks by their Disk@vbox:uuid. Errc::invalid when the
// plan holds what the descriptor cannot say.
Result<ovf::Envelope> virtualbox_envelope(const ovf::Envelope& source, const ExportPlan& plan);

} // namespace ovfkit::platform::virtualbox
