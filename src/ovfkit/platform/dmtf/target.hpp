// The neutral targets: an OVF directory (`ovf`) or an OVA (`ova`), with the
// plan applied to the appliance's own descriptor — the deployment option
// chosen made the default, the user's property values written as the
// properties' values, networks renamed, names, CPUs and memory overridden —
// and nothing else changed: no item is translated or dropped.
#pragma once

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::dmtf {

extern const ExportTarget ovf_target;
extern const ExportTarget ova_target;

// The source envelope with the plan's choices written into it (above).
Result<ovf::Envelope> plan_applied(const ovf::Envelope& source, const ExportPlan& plan);

} // namespace ovfkit::platform::dmtf
