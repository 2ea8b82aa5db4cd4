// `ovfkit convert SOURCE TARGET --to PLATFORM`: an appliance written as what
// a hypervisor imports and runs.
//
// In order, before any byte is written:
//   1. the deployment inputs: the deployment option, the property values
//      (checked against their types), the license agreement (refused
//      unless accepted), network and sizing overrides;
//   2. the plan: every virtual system as a platform::PlanVm, first in the
//      appliance's vocabulary (export_plan.cpp), then mapped onto the
//      target's hardware by its ExportTarget::map, each translation and
//      drop a PlanNote; `dry_run` stops here, and `strict` refuses a plan
//      that drops anything;
// then the writing: disks converted straight into the target (through
// ops::convert_opened, so a source manifest is checked and nothing
// appears unless everything does), the environment ISO of each VM that has
// properties, and the target's config files or envelope.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/deploy/eula.hpp>
#include <ovfkit/deploy/properties.hpp>
#include <ovfkit/ops/convert.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::ops {

struct ExportOptions {
    std::string source;
    std::string target; // a directory (config targets), an OVA or OVF directory (package targets)
    std::string to;     // an export target's name (platform::export_targets())
    std::string disk_format; // "" : the target's default
    std::optional<std::string> deployment_option;
    std::vector<std::pair<std::string, std::string>> properties; // --prop KEY=VALUE, in order
    std::vector<std::pair<std::string, std::string>> networks;   // --net OVF=TARGET
    std::optional<std::string> name;
    std::optional<uint64_t> cpus;
    std::optional<uint64_t> memory_bytes;
    // Dynamic memory: the least and the most the VM may have, memory_bytes
    // (else the appliance's) being what it starts with; either alone takes
    // the startup memory for the other. Targets with static memory only
    // note and ignore them (ExportTarget::dynamic_memory).
    std::optional<uint64_t> memory_min_bytes;
    std::optional<uint64_t> memory_max_bytes;
    bool keep_macs = false;
    bool accept_eula = false;
    // Asked when the appliance has license agreements and `accept_eula` is
    // not set (a front end pages them on a terminal); true accepts. Empty:
    // the export is refused.
    std::function<bool(const std::vector<deploy::Eula>&)> confirm_eulas;
    bool dry_run = false;
    bool strict = false;
    bool force = false;
    unsigned threads = 0;
    package::RemoteOptions remote;
    // For package targets (ovf, ova, vmware-ova): manifest, signing,
    // compression, chunks, OVF version, as `ovfkit convert` takes them.
    ConvertOptions package;
    // libvirt: define the domains in a running libvirtd at this URI,
    // uploading the disks into `pool`.
    std::string define_uri;
    std::string pool = "default";
    // xenserver: the XVA's per-block checksums (ExportTarget::block_checksums);
    // "" the target's default.
    std::string block_checksum;
};

struct EulaAcceptance {
    std::string system_id; // "" for the envelope's own
    std::string sha256;    // of the license text accepted
    std::string how;       // "--accept-eula", "interactive"
};

struct ExportReport {
    std::string source;
    std::string target;
    std::string to;
    bool dry_run = false;
    platform::ExportPlan plan;
    deploy::ResolvedProperties properties;
    std::vector<EulaAcceptance> eulas;
    std::vector<ConvertedFile> files;     // disks, as written
    std::vector<std::string> extra_files; // configs, scripts, environment ISOs
    uint64_t bytes_written = 0;
    std::vector<Finding> findings; // of reading the package and writing it
    // libvirt --define: the domains defined and the volumes uploaded.
    std::vector<std::string> defined;
};

// Errc::usage for an unknown target or option, a disk format the target
// does not take, a bad property value; Errc::refused when a license
// agreement is not accepted or the source fails its manifest;
// Errc::invalid when `strict` and the plan drops something, or when the
// appliance cannot be planned. Progress phase "writing" as for convert.
Result<ExportReport> export_appliance(const ExportOptions& options, const JobControl& control = {});

nlohmann::json to_json(const ExportReport& report);

} // namespace ovfkit::ops
