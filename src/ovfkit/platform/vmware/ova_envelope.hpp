// The `vmware-ova` target's descriptor (ova_envelope.cpp).
#pragma once

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::vmware {

// The source envelope with each VirtualSystem's hardware and guest OS
// rewritten from a plan `map_vm` made (Flavor::ova), as an OVF 1.x envelope
// vSphere deploys; what it leaves out is what `map_vm` noted. Errc::invalid
// when the plan holds what the descriptor cannot say (a model vSphere has
// no subtype for, a VM the source does not have).
Result<ovf::Envelope> vsphere_envelope(const ovf::Envelope& source, const ExportPlan& plan);

} // namespace ovfkit::platform::vmware
