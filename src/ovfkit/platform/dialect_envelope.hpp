// What the vendor-dialect package targets (vmware-ova, xenserver-ova,
// virtualbox-ova, and aws through vmware-ova) share when they rebuild the
// source's envelope from the plan: the envelope-level DiskSection and
// NetworkSection of the plan's disks and networks, the environment ISOs as
// package files, and each VirtualSystem's sections with the dialect's own
// OperatingSystemSection and VirtualHardwareSection spliced in where the
// source had its. A dialect supplies only what differs: its hardware and OS
// sections, its disk attributes, the sections it must leave out.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform {

// A plain ovf::Msg: the text, no msgid.
inline ovf::Msg msg(std::string text) {
    ovf::Msg m;
    m.text = std::move(text);
    return m;
}

// The VirtualSystem `vm` came from (by PlanVm::path, then system id).
const ovf::Content* source_system(const ovf::Envelope& source, const PlanVm& vm);

// `namespace_uri` declared on the envelope under `prefix` unless it is already.
void declare_namespace(ovf::Envelope& env, std::string_view prefix, std::string_view uri);

// A File size that is no number ("@@VMDK_FILE_SIZE@@": a template's
// placeholder) is removed: vendor importers refuse it, the attribute is
// optional, and the engine sizes the files it writes.
void drop_placeholder_sizes(ovf::Envelope& env);

// Each environment ISO of the plan as a File of `env` (an existing File of
// that name, else a new one "ovf-env", "ovf-env-2" ...): file name -> File id.
std::map<std::string, std::string> environment_files(ovf::Envelope& env, const ExportPlan& plan);

// The plan's disks, once each, in plan order: capacity in bytes, `format_uri`
// (when not empty), then `decorate` for a dialect's own attributes.
ovf::DiskSection plan_disks(const ExportPlan& plan, std::string info, std::string_view format_uri,
                            const std::function<void(const PlanDisk&, ovf::Disk&)>& decorate = {});

// The networks the plan's NICs connect to, once each: by the name after
// --net (PlanNic::network), or with `appliance_names` by the appliance's own
// (PlanNic::ovf_network, NICs without one skipped). Each keeps the source's
// description, else gets `describe(name)`.
ovf::NetworkSection plan_networks(const ovf::Envelope& source, const ExportPlan& plan,
                                  std::string info, bool appliance_names,
                                  const std::function<std::string(const std::string&)>& describe);

// A section the dialect leaves out (besides the DeploymentOptionSection,
// which every dialect drops: its hardware is the chosen option's).
using DropSection = std::function<bool(const ovf::Section&)>;

// The envelope's own sections: `disks` and `networks` in place of the
// source's (first, as DSP0243 orders them, where the source had none).
void splice_envelope_sections(ovf::Envelope& out, const ovf::Envelope& source,
                              ovf::DiskSection disks, ovf::NetworkSection networks,
                              const DropSection& drop = {});

// What a dialect writes for one VM.
struct DialectSystem {
    ovf::OperatingSystemSection os;
    ovf::VirtualHardwareSection hardware;
    std::optional<ovf::Section> last; // after the source's sections (vbox:Machine)
};

// Every VM's VirtualSystem in `out` (a copy of `source`) rebuilt: `build`'s
// sections in place of the source's, ProductSections with the chosen
// option's and the user's values (collapse_product), the system named after
// the VM. Errc::invalid naming `target` when a VM is not a system of the
// source.
Result<void> rebuild_systems(
    ovf::Envelope& out, const ovf::Envelope& source, const ExportPlan& plan,
    std::string_view target,
    const std::function<Result<DialectSystem>(const PlanVm&, const ovf::Content&)>& build,
    const DropSection& drop = {});

// For a dialect without a DeploymentOptionSection: the chosen option's
// property values become the properties' own, then the user's values
// (--prop, plan.user_properties) replace them, so the deployer offers them
// as defaults and writes them into the guest's environment.
void collapse_product(ovf::ProductSection& product, const ExportPlan& plan);

} // namespace ovfkit::platform
