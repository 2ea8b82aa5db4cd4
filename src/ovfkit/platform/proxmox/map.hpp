// The proxmox target's pieces, for its target table entry and its tests:
// the mapping onto what qm configures, the value rules Proxmox enforces, and
// the two writers (qm config, import.sh).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::proxmox {

// Bus limits of qm (qemu-server Drive.pm): ide0-3, sata0-5, scsi0-30,
// virtio0-15; net0-31.
inline constexpr unsigned k_ide_slots = 4;
inline constexpr unsigned k_sata_slots = 6;
inline constexpr unsigned k_scsi_slots = 31;
inline constexpr unsigned k_virtio_slots = 16;
inline constexpr unsigned k_nic_slots = 32;
inline constexpr uint64_t k_min_memory_mib = 16;
inline constexpr size_t k_description_max = 8192; // qemu-server's description maxLength

// The ids map() gives the one controller per bus a mapped VM has; a disk's
// `unit` is then its qm slot number (`scsi3` = unit 3 on "pve-scsi").
inline constexpr std::string_view k_ctrl_ide = "pve-ide";
inline constexpr std::string_view k_ctrl_sata = "pve-sata";
inline constexpr std::string_view k_ctrl_scsi = "pve-scsi";
inline constexpr std::string_view k_ctrl_virtio = "pve-virtio";

// Rewrites `vm` into what qm configures, with notes in `out` (the target's
// `map` forwards them to PlanNotes).
void map_vm(PlanVm& vm, const MapContext& context, std::vector<PlanNote>& out);

// Proxmox's value rules (qemu-server, pve-common JSONSchema).
std::string dns_name(std::string_view text); // the `name` format; "" when nothing is left
bool is_dns_name(std::string_view text);
bool is_bridge_name(std::string_view text); // pve-bridge-id, at most 15 bytes (IFNAMSIZ)
bool is_ostype(std::string_view text);
bool is_scsihw(std::string_view text);
bool is_nic_model(std::string_view text);
bool is_file_name(std::string_view text); // what the script and config may name: [A-Za-z0-9._-]
std::string_view slot_prefix(Bus bus);    // "ide", "sata", "scsi", "virtio"; "" for nvme

// pve-common encode_text: the `#` description lines of a config.
std::string encode_text(std::string_view text);
// A POSIX shell single-quoted word carrying `text` literally.
std::string shell_quote(std::string_view text);

// The config of one mapped VM (qemu-server format, main section only).
Result<std::string> write_config(const ExportPlan& plan, const PlanVm& vm);
// import.sh for every VM of the plan, in the plan's (start) order.
Result<std::string> write_script(const ExportPlan& plan);
// Every file of the target: one `<name>.conf` per VM and import.sh.
Result<std::vector<OutputFile>> write_files(const ExportPlan& plan);

// The config file name of each VM, in plan order: `<name>.conf`, with
// `-2`, `-3` ... when names repeat.
std::vector<std::string> config_names(const ExportPlan& plan);

} // namespace ovfkit::platform::proxmox
