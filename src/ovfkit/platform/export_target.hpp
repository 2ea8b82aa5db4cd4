// What `ovfkit convert --to TARGET` can write, one entry per target.
//
// A target belongs to a platform (its folder under platform/) and says three
// things: how the neutral plan maps onto its hardware (`map`), which disk
// driver its disks get, and what it writes besides the disks — config files
// in a directory (`write_files`: a libvirt domain, a .vmx, a qm config and
// script) or an OVF envelope for a package (`envelope`: the neutral OVF/OVA
// targets and vmware-ova), or one archive it lays out itself
// (`write_archive`: an XVA, a .tar.gz holding disk.raw). The engine
// (ops/export.cpp) does everything else: deployment inputs, the neutral
// plan, opening and converting disks, the environment ISO, writing
// atomically.
#pragma once

#include <atomic>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/boot_layout.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform {

// What a target's mapping may use besides the VM itself.
struct MapContext {
    // The disk driver the disks will be written with (--disk-format, else
    // the target's default).
    std::string_view disk_format;
    // The appliance as read and the deployment option chosen ("" when
    // none), for a target that rebuilds the source's envelope: vmware-ova
    // notes here what its `envelope` will leave out (sound cards, USB
    // controllers, required vendor sections, the DeploymentOptionSection),
    // since `envelope` cannot add notes. Null when the caller has no
    // envelope (unit tests of other targets).
    const ovf::Envelope* source = nullptr;
    std::string_view deployment_option = {};
    // How the guest disk behind a plan disk can boot, from its partition
    // tables (disk/boot_layout.hpp): for a target that checks the boot disk
    // against the firmware it declares (the clouds, formats/clouds.md 5).
    // Null when the caller has no disks (unit tests of plans); an error
    // when the disk cannot be opened or read.
    std::function<Result<disk::BootLayout>(const PlanDisk&)> boot_layout = {};
};

// A file a target writes beside the disks, whole (configs are small).
struct OutputFile {
    std::string name; // relative to the target directory, no '/'
    std::string content;
    bool executable = false; // a script (0755)
};

enum class TargetForm {
    directory, // config files and disks in a directory
    package,   // an OVF package: OVA or OVF directory, the form from the target's name
    archive,   // one file the target lays out itself (write_archive)
};

// One disk of the plan, open for an archive target: its guest bytes.
struct ArchiveDisk {
    size_t vm = 0;   // index in ExportPlan::vms
    size_t disk = 0; // index in that VM's disks
    // The guest disk as the source stores it (any format, chunked or
    // compressed references resolved); null for a blank disk, which reads
    // as `virtual_size` zero bytes. Not shared between threads: the
    // writer's pipeline (disk::copy_disk) reads it.
    disk::DiskReader* reader = nullptr;
    uint64_t virtual_size = 0; // guest bytes (the reader's, or the blank disk's capacity)
};

// What an archive target writes with: everything the engine opened. The
// archive is written front to back into `out`, an empty temporary file the
// engine syncs and renames into place once write_archive succeeded (and
// removes otherwise, so the writer never cleans up). Disks stream through
// disk::copy_disk with a DiskWriter of the target's (encode() on worker
// threads computes per-chunk work such as checksums; write() appends in
// order), or any other way that reads each disk once and front to back.
struct ArchiveJob {
    const ExportPlan& plan;
    std::span<const ArchiveDisk> disks; // every plan disk, in plan order (vm, then disk)
    io::File& out;
    uint64_t mtime = 0;   // for every member's header (reproducible archives)
    unsigned threads = 0; // for disk::ConvertOptions::threads; 0: every core
    // Guest bytes done over all disks, with the total (the sum of the
    // disks' virtual sizes); on one thread at a time. May be empty.
    std::function<void(uint64_t done, uint64_t total)> progress;
    // Polled between chunks (disk::ConvertOptions::cancel): when set, stop
    // with an Errc::io error. Never null.
    const std::atomic<bool>* cancel = nullptr;
    // --xva-checksum (xenserver): "sha1" or "xxhash"; "" the target's default.
    std::string_view block_checksum = {};
};

struct ExportTarget {
    std::string_view name;     // "libvirt", "vmware", "vmware-ova", "proxmox", "ovf", "ova"
    std::string_view platform; // registry name of its platform; "" for the neutral targets
    std::string_view description;
    TargetForm form = TargetForm::directory;
    std::string_view default_disk_format; // a writable disk driver ("qcow2", "vmdk-stream")
    std::span<const std::string_view> disk_formats; // what --disk-format may choose; empty: any
    // Rewrites each VM into the target's hardware, adding a PlanNote for
    // each translation and drop. Never fails: what cannot be carried is a
    // `dropped` note, and --strict makes those fatal.
    void (*map)(PlanVm& vm, const MapContext& context, PlanNotes& notes) = nullptr;
    // The directory form's files: configs, scripts (never the disks or the
    // environment ISO, which the engine writes). Errc::invalid when the
    // plan holds something the format cannot express.
    Result<std::vector<OutputFile>> (*write_files)(const ExportPlan& plan) = nullptr;
    // The package form's envelope, from the source's and the plan: the
    // References keep the source's File ids for the disks (the engine
    // renames and resizes them as it writes).
    Result<ovf::Envelope> (*envelope)(const ovf::Envelope& source,
                                      const ExportPlan& plan) = nullptr;
    // Whether the target writes the VM's hardware anew (every target but the
    // neutral ones, which carry the source's items as they are): only then
    // are the devices the plan does not model (sound, USB, floppy ...)
    // dropped and noted.
    bool rebuilds_hardware = true;
    // The archive form's writer (see ArchiveJob). Environment ISOs
    // cannot go inside every archive: the engine writes each environment
    // CD-ROM left in the plan after `map` beside the archive, as its
    // file_name (a target that cannot use it drops the drive in `map`, with
    // a note).
    Result<void> (*write_archive)(const ArchiveJob& job) = nullptr;
    // Whether `map` and the writers carry PlanVm::memory_min/max_bytes
    // (--memory-min/--memory-max); for the others the engine clears them
    // with a `memory-dynamic` note.
    bool dynamic_memory = false;
    // What --xva-checksum may choose for the archive's per-block checksums,
    // the default first; empty: the target writes none.
    std::span<const std::string_view> block_checksums = {};
};

// Every export target, in the order `ovfkit version` lists them.
std::span<const ExportTarget> export_targets();

// The target called `name` (case-sensitive), or null.
const ExportTarget* find_export_target(std::string_view name);

} // namespace ovfkit::platform
