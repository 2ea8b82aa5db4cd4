// `ovfkit convert --to libvirt --define URI`: the exported VMs defined in a
// running libvirt daemon through libvirt's C API, the first live connector.
//
// The engine calls define_in_libvirt after it has written the export (the
// domain XML files and the disks in ExportPlan::directory). For each VM it
// uploads every disk and the environment ISO into a storage pool as a new
// volume (virStorageVolCreateXML, then virStorageVolUpload fed through a
// stream in bounded chunks, so a disk is never held in memory), renders the
// domain XML again with the volumes' paths in place of the files', and
// defines it (virDomainDefineXML). Nothing is started.
//
// A domain or volume that already exists under the same name is refused
// (Errc::refused) unless `force`; with it, the old domain is undefined and
// the old volumes deleted first. A failure or a cancel after some volumes
// were made deletes the volumes this call made, so a half-defined VM is
// never left behind; domains already defined for earlier VMs of a
// collection stay and are listed in the error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::libvirt {

struct DefinedVolume {
    std::string name; // in the pool: "<vm>-<file name>"
    std::string path; // what the domain XML names (virStorageVolGetPath)
    uint64_t bytes = 0;
};

struct DefinedDomain {
    std::string name;
    std::string uuid;      // as libvirt assigned it
    bool replaced = false; // an existing domain of that name was undefined (force)
    std::vector<DefinedVolume> volumes;
};

struct DefineReport {
    std::string uri; // the connection's URI as libvirt reports it
    std::string pool;
    std::vector<DefinedDomain> domains; // in the plan's VM order
    nlohmann::json to_json() const;
};

// Errors: Errc::io when the connection, the pool or an upload fails (the
// message carries libvirt's), Errc::refused for an existing domain or volume
// without `force`, Errc::invalid when the plan cannot be rendered, Errc::io
// on cancel (ops::cancelled_error).
Result<DefineReport> define_in_libvirt(const ExportPlan& plan, const std::string& uri,
                                       const std::string& pool, bool force,
                                       const ops::JobControl& job);

} // namespace ovfkit::platform::libvirt
