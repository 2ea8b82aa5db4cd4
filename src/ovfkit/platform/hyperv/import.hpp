// Hyper-V's importer (import_source.hpp, docs/import.md "Hyper-V"): a VM
// directory made by Export-VM ("Virtual Machines/<GUID>.vmcx", "Virtual Hard
// Disks/*.vhdx|*.avhdx|*.vhd") whose settings come from the JSON the
// collector script writes (`ovfkit hyperv-collector` prints the script).
// Microsoft publishes no .vmcx layout (formats/proxmox-vma-hyperv-vmcx.md
// 2.2), so the .vmcx is never read: without the JSON the import is refused.
//
// The JSON is untrusted: bounded size, keys, string length and depth;
// duplicate keys (also differing only in case: PowerShell's property names
// are case-insensitive) refused; enums by name or by Hyper-V's integers.
// Disk paths are Windows paths of another machine: only their last
// component is used, looked for in "Virtual Hard Disks" (R2); a path with a
// ".." component, a POSIX absolute path, a pass-through disk and a disk the
// export does not hold are refused (exit 4). Generation 1 reads back as
// BIOS with IDE, generation 2 as UEFI with synthetic SCSI: the hyperv
// exporter's rules (map.cpp) backwards.
#pragma once

#include <string>
#include <string_view>

#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::platform::hyperv {

// The "schema" value the collector writes and the importer requires.
inline constexpr std::string_view k_collector_schema = "ovfkit-hyperv-collector/1";
// The folder of an export that holds the disks.
inline constexpr std::string_view k_disks_folder = "Virtual Hard Disks";
// Bounds on the collector JSON beyond import_source.hpp's.
inline constexpr size_t k_collector_max_depth = 32;

// The PowerShell collector script (data; `ovfkit hyperv-collector` prints it).
std::string_view collector_script();

extern const ImportSource hyperv_import_source;

// The mapping alone, for tests: the collector JSON `bytes` (UTF-8, or
// UTF-16LE/UTF-8 with a BOM) read from `json_path`, the disks looked for in
// `disks_dir` (absolute: the export's "Virtual Hard Disks").
Result<ImportedAppliance> import_collector(std::string_view bytes, const std::string& json_path,
                                           const std::string& disks_dir,
                                           const ImportOptions& options);

} // namespace ovfkit::platform::hyperv
