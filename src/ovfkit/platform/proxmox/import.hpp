// Proxmox VE's importers (import_source.hpp, docs/import.md ## Proxmox):
//   - "qm": a qemu-server config (/etc/pve/qemu-server/ID.conf form), its
//     volumes mapped to files by --volume STORAGE:NAME=PATH (ImportOptions::
//     volumes), PATH relative to the config's directory (R2);
//   - "vma": a vzdump archive (.vma, .zst, .gz, .lzo), its qemu-server.conf read
//     the same way and each disk staged from the archive (vma_stream.hpp).
#pragma once

#include <functional>
#include <optional>

#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/proxmox/qm_config.hpp>

namespace ovfkit::platform::proxmox {

extern const ImportSource qm_import_source;
extern const ImportSource vma_import_source;

// Where a drive's bytes are: the ImportDisk (disk_id left empty) of drive
// `drive` ("scsi0") naming `volume` (its file= as written) at `where`
// ("config:line"); nullopt when the source has no data for it (a disk
// excluded from a backup), which the importer notes and leaves out.
using DriveResolver = std::function<Result<std::optional<ImportDisk>>(
    const std::string& drive, const std::string& volume, const std::string& where)>;

// The appliance of one parsed config (`config` names it; directory unset).
Result<ImportedAppliance> import_qm(const QmConfig& config, const std::string& config_name,
                                    const ImportOptions& options, const DriveResolver& resolve);

// One --volume STORAGE:NAME=PATH, split; Errc::usage when malformed.
struct VolumeMapping {
    std::string volume; // STORAGE:NAME as the config writes it
    std::string path;
};
Result<VolumeMapping> parse_volume_mapping(std::string_view text);

} // namespace ovfkit::platform::proxmox
