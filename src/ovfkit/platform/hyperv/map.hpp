// The hyperv target's pieces, for its target table entry and its tests: the
// mapping onto what Hyper-V's cmdlets create (generation, IDE and synthetic
// SCSI locations, synthetic or legacy network adapters, switches), the check
// the writers run on a mapped VM, PowerShell quoting, and the writers
// (import.ps1, hyperv.json). Facts: shared formats/kvm-xen-hyperv.md 7-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::hyperv {

// Hyper-V's limits (Windows Server 2016 hosts, the oldest that still take
// the cmdlets this script uses; "Plan for Hyper-V scalability").
inline constexpr unsigned k_ide_controllers = 2; // Gen 1 only
inline constexpr unsigned k_ide_locations = 2;
inline constexpr unsigned k_scsi_controllers = 4;
inline constexpr unsigned k_scsi_locations = 64;
inline constexpr unsigned k_synthetic_nics = 8;
inline constexpr unsigned k_legacy_nics = 4; // Gen 1 only
inline constexpr uint64_t k_max_cpus_gen1 = 64;
inline constexpr uint64_t k_max_cpus_gen2 = 240;
inline constexpr uint64_t k_memory_step = uint64_t{2} << 20; // startup memory: whole 2 MiB
inline constexpr uint64_t k_min_memory = uint64_t{32} << 20;
inline constexpr uint64_t k_max_memory_gen1 = uint64_t{1} << 40;  // 1 TiB
inline constexpr uint64_t k_max_memory_gen2 = uint64_t{12} << 40; // 12 TiB
inline constexpr size_t k_name_max = 100; // characters Hyper-V Manager takes for a VM name

// The ids map() gives the controllers of a mapped VM: "hv-ide0", "hv-ide1"
// (Gen 1), "hv-scsi0" ... "hv-scsi3"; a disk's or DVD drive's `unit` is
// then its ControllerLocation.
inline constexpr std::string_view k_ide_prefix = "hv-ide";
inline constexpr std::string_view k_scsi_prefix = "hv-scsi";
inline constexpr std::string_view k_scsi_model = "hyperv-scsi";
inline constexpr std::string_view k_ide_model = "hyperv-ide";
inline constexpr std::string_view k_synthetic = "hyperv-synthetic";
inline constexpr std::string_view k_legacy = "hyperv-legacy";

// Rewrites `vm` into what the script creates, with notes in `out` (the
// target's `map` forwards them to PlanNotes).
void map_vm(PlanVm& vm, const MapContext& context, std::vector<PlanNote>& out);

// Whether the guest has Hyper-V's synthetic (VMBus) storage and network
// drivers in the box: Windows from 7 / Server 2008 R2, Linux and FreeBSD
// releases the table marks with in-box paravirtual drivers (its `virtio`
// flag: a generic "Linux of any release" row says no, the safe side).
bool has_synthetic_drivers(const GuestOsRow* row);

// The generation map() chose: 1 or 2 (vm.machine), 0 when not mapped.
int generation(const PlanVm& vm);
// The Secure Boot template of a Gen 2 VM, from the guest's family:
// "MicrosoftWindows", else "MicrosoftUEFICertificateAuthority".
std::string_view secure_boot_template(const PlanVm& vm);
// "IDE" or "SCSI": the -ControllerType of a mapped controller id, with its
// -ControllerNumber; false for an id map() does not give.
bool controller_address(std::string_view id, std::string_view& type, unsigned& number);
// A MAC as Hyper-V writes it: 12 uppercase hex digits; "" when `mac` is not
// a unicast XX:XX:XX:XX:XX:XX (any case, ':' or '-').
std::string static_mac(std::string_view mac);

// Everything the writers will render is something Hyper-V can carry: the
// generation, controllers and locations in bounds and unique, a Gen 1 boot
// disk on IDE, adapters the generation has, plain file names, a disk format
// the generation attaches (Gen 2: VHDX). Errc::invalid naming the first
// problem otherwise (a plan not made by map(), or a changed one).
Result<void> check_mapped(const ExportPlan& plan, const PlanVm& vm);

// PowerShell quoting (SECURITY.md R22). `literal`: a single-quoted string
// literal for a UTF-8 script, every quote character PowerShell knows
// (' U+2018 U+2019 U+201A U+201B) doubled. `expression`: the same text as a
// pure-ASCII expression: printable ASCII in single-quoted literals, every
// other character (controls, non-ASCII, invalid UTF-8 as U+FFFD) as
// [char]0xNNNN, joined with + in parentheses when there is more than one
// part; the script then reads the same whatever code page Windows
// PowerShell 5.1 decodes a BOM-less file with.
std::string literal(std::string_view text);
std::string expression(std::string_view text);

// import.ps1: creates every VM of the plan, in the plan's (start) order.
Result<std::string> write_script(const ExportPlan& plan);
// hyperv.json: what the script creates, schema "ovfkit/1".
Result<std::string> write_summary(const ExportPlan& plan);
// Both files.
Result<std::vector<OutputFile>> write_files(const ExportPlan& plan);

inline constexpr std::string_view k_script_name = "import.ps1";
inline constexpr std::string_view k_summary_name = "hyperv.json";

} // namespace ovfkit::platform::hyperv
