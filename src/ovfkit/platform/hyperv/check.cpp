// The writers' check of a mapped VM: what map() makes is all they render,
// and anything else (a hand-changed plan, a mapping bug) is refused with
// one line rather than written into a script that fails halfway on a host.
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/hyperv/map.hpp>

namespace ovfkit::platform::hyperv {

namespace {

// A file the script names: a plain name in the export directory.
bool is_file_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name == "." || name == ".." || name[0] == '-') {
        return false;
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace

Result<void> check_mapped(const ExportPlan& plan, const PlanVm& vm) {
    auto bad = [&](std::string why) -> Result<void> {
        return fail(Errc::invalid, "hyperv: VM {}: {}", shown(vm.path), why);
    };
    const int gen = generation(vm);
    if (gen == 0) {
        return bad(fmt::format("generation '{}' is not 1 or 2 (not mapped for hyperv)",
                               shown(vm.machine)));
    }
    if ((gen == 2) != (vm.firmware == Firmware::efi)) {
        return bad("the generation does not match the firmware (generation 2 is UEFI)");
    }
    if (gen == 1 && (vm.secure_boot || vm.tpm)) {
        return bad("Secure Boot and a TPM need generation 2");
    }
    if (vm.cpus == 0 || vm.cpus > (gen == 2 ? k_max_cpus_gen2 : k_max_cpus_gen1)) {
        return bad(fmt::format("{} processors", vm.cpus));
    }
    auto memory_ok = [&](uint64_t bytes) {
        return bytes % k_memory_step == 0 && bytes >= k_min_memory &&
               bytes <= (gen == 2 ? k_max_memory_gen2 : k_max_memory_gen1);
    };
    if (!memory_ok(vm.memory_bytes)) {
        return bad(
            fmt::format("memory {} bytes is not whole 2 MiB in Hyper-V's range", vm.memory_bytes));
    }
    if (vm.memory_min_bytes != 0 || vm.memory_max_bytes != 0) {
        if (!memory_ok(vm.memory_min_bytes) || !memory_ok(vm.memory_max_bytes) ||
            vm.memory_min_bytes > vm.memory_bytes || vm.memory_max_bytes < vm.memory_bytes) {
            return bad("the dynamic memory range does not hold the startup memory");
        }
    }
    if (vm.name.empty()) {
        return bad("no name");
    }
    for (char c : vm.name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return bad("the name holds a control character");
        }
    }

    std::set<std::pair<std::string, unsigned>> taken;
    auto place = [&](const std::string& controller, unsigned unit,
                     std::string_view what) -> Result<void> {
        std::string_view type;
        unsigned number = 0;
        if (!controller_address(controller, type, number) || vm.controller(controller) == nullptr) {
            return bad(fmt::format("{} is on controller '{}', which Hyper-V does not have", what,
                                   shown(controller)));
        }
        if (type == "IDE" && gen != 1) {
            return bad(fmt::format("{} is on IDE, which generation 2 does not have", what));
        }
        if (unit >= (type == "IDE" ? k_ide_locations : k_scsi_locations)) {
            return bad(fmt::format("{} is at {} location {}, out of range", what, type, unit));
        }
        if (!taken.insert({controller, unit}).second) {
            return bad(
                fmt::format("{} shares {} {}:{} with another drive", what, type, number, unit));
        }
        return {};
    };
    const bool vhd = plan.disk_format == "vhd" || plan.disk_format == "vhd-fixed";
    bool boot_seen = false;
    for (const PlanDisk& d : vm.disks) {
        OVFKIT_TRY(place(d.controller, d.unit, fmt::format("disk {}", shown(d.disk_id))));
        if (!is_file_name(d.file_name)) {
            return bad(fmt::format("disk {}: '{}' is not a plain file name", shown(d.disk_id),
                                   shown(d.file_name)));
        }
        if (d.boot) {
            if (boot_seen) {
                return bad("two boot disks");
            }
            boot_seen = true;
            if (gen == 1 && !d.controller.starts_with(k_ide_prefix)) {
                return bad("a generation 1 VM boots from IDE; its boot disk is on SCSI");
            }
        }
        if (gen == 2 && (vhd || d.format == "vhd" || d.format == "vhd-fixed")) {
            return bad(fmt::format("disk {} is a VHD; generation 2 attaches VHDX only "
                                   "(--disk-format vhdx)",
                                   shown(d.disk_id)));
        }
    }
    if (!vm.disks.empty() && !boot_seen) {
        return bad("no boot disk");
    }
    for (const PlanCdrom& c : vm.cdroms) {
        OVFKIT_TRY(place(c.controller, c.unit, "a DVD drive"));
        if (!c.file_name.empty() && !is_file_name(c.file_name)) {
            return bad(fmt::format("DVD image '{}' is not a plain file name", shown(c.file_name)));
        }
    }
    unsigned synthetic = 0;
    unsigned legacy = 0;
    for (const PlanNic& n : vm.nics) {
        if (n.model == k_legacy) {
            if (gen != 1) {
                return bad("a legacy network adapter in generation 2");
            }
            ++legacy;
        } else if (n.model == k_synthetic) {
            ++synthetic;
        } else {
            return bad(
                fmt::format("network adapter model '{}' (not mapped for hyperv)", shown(n.model)));
        }
        if (n.mac && static_mac(*n.mac).empty()) {
            return bad(fmt::format("'{}' is not a unicast MAC address", shown(*n.mac)));
        }
    }
    if (synthetic > k_synthetic_nics || legacy > k_legacy_nics) {
        return bad("more network adapters than Hyper-V has");
    }
    return {};
}

} // namespace ovfkit::platform::hyperv
