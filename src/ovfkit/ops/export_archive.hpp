// The archive form of an export (platform::TargetForm::archive): one file
// the target lays out itself, an XVA or a .tar.gz holding disk.raw.
//
// The engine's part: the source's manifest checked (when it has one), every
// plan disk opened as a reader of its guest bytes (chunked and compressed
// references resolved), the archive created through an io::OutputSet
// (temporary, synced and renamed when whole), progress and cancellation
// passed on as plain callbacks, then the target's write_archive, then each
// environment CD-ROM the plan kept written beside the archive.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/package/source.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::ops::export_detail {

struct ArchiveRequest {
    std::string path; // the archive
    bool force = false;
    unsigned threads = 0;
    uint64_t mtime = 0;
    std::string block_checksum; // ExportOptions::block_checksum
};

struct ArchiveWritten {
    uint64_t size = 0;               // the archive's bytes
    std::vector<std::string> beside; // files written beside it (environment ISOs), by name
    uint64_t beside_bytes = 0;
};

// Opens the guest disk behind plan disk `d` (its File `d.file_id`) of the
// appliance `src`: chunked and compressed references resolved, spooling
// (when needed) beneath `temp_dir`.
Result<std::unique_ptr<disk::Image>> open_plan_disk(const package::Source& src,
                                                    const ovf::Envelope& env,
                                                    const platform::PlanDisk& d,
                                                    const std::string& temp_dir);

// Writes `target`'s archive of the final `plan` of the appliance `src`
// (descriptor `env`). Nothing appears unless everything is written.
Result<ArchiveWritten> write_archive(const platform::ExportTarget& target,
                                     const platform::ExportPlan& plan, const package::Source& src,
                                     const ovf::Envelope& env, const ArchiveRequest& request,
                                     const JobControl& control);

} // namespace ovfkit::ops::export_detail
