// The mapping both XenServer targets share (xapi.hpp): the appliance's
// hardware rewritten into xapi's VM model.
//
// xapi has no controllers: a VM has VBDs numbered by `userdevice`. An HVM
// guest boots from emulated IDE (userdevices 0-3, QEMU) until its Xen PV
// drivers (blkfront, netfront) take over; with them every VBD and VIF is
// paravirtual. So every disk becomes a VBD, the boot disk at userdevice 0,
// the others at 1, 2, 4, 5 ... (3 is the CD-ROM's, as xapi's templates
// have it), at most 16 VBDs; one CD-ROM drive at 3 (the environment ISO's
// when there is one). Linux guests whose kernels have the PV drivers in
// the box (the guest-OS table's `virtio` flag: kernels of 2.6.25 and later;
// Xen's PV drivers were merged by 2.6.37, which every such row's releases
// pass) run as PV-in-HVM; other guests run HVM on emulated devices until
// the XenServer VM Tools are installed. Windows gets Viridian (Hyper-V
// enlightenments) and the xenbus device id 0002 for the Windows Update
// drivers. NICs become VIFs (at most 7 for HVM); fixed MACs are kept only
// when unicast. UEFI maps to HVM_boot_params firmware=uefi (XenServer 8+,
// XCP-ng 8.1+), Secure Boot to platform secureboot (XenServer 8.2+,
// XCP-ng 8.2+: noted). A vTPM is dropped (xapi creates one only through
// its own API, XenServer 8.3+).
#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>

namespace ovfkit::platform::xenserver {

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_max_cpus = 64;              // xapi's HVM limit (XenServer 8)
constexpr uint64_t k_min_memory = 128 * k_mib;   // below it HVM guests do not boot
constexpr uint64_t k_max_memory = 1536ULL << 30; // 1.5 TiB, XenServer 8's HVM limit

bool windows(const PlanVm& vm) {
    return vm.os.row != nullptr && vm.os.row->family == OsFamily::windows;
}

bool pv_in_hvm(const PlanVm& vm) {
    return vm.os.row != nullptr && vm.os.row->family == OsFamily::linux && vm.os.row->virtio;
}

// What xapi's XML-RPC encoder would keep of a string: no C0 controls but
// tab, newline and carriage return (not legal XML 1.0), no DEL.
std::string xml_clean(std::string_view text, bool multiline) {
    std::string out;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        bool space = c == '\t' || c == '\n' || c == '\r';
        if ((c < 0x20 && !(multiline && space)) || c == 0x7f) {
            continue;
        }
        out += ch;
    }
    return out;
}

// A network name as xapi's import matches it: `"` and `\` are stripped
// (xapi interpolates the name into a query, formats 6.4), controls too.
std::string network_name(std::string_view name) {
    std::string out;
    for (char ch : xml_clean(name, false)) {
        if (ch != '"' && ch != '\\') {
            out += ch;
        }
    }
    return out;
}

std::string lower(std::string s) {
    for (char& c : s) {
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return s;
}

// Whether the appliance has properties a guest would read from its OVF
// environment (any ProductSection property, at any level).
bool has_properties(const ovf::Envelope& env) {
    auto any = [](const std::vector<ovf::Section>& sections) {
        for (const auto& s : sections) {
            if (const auto* p = std::get_if<ovf::ProductSection>(&s); p && !p->properties.empty()) {
                return true;
            }
        }
        return false;
    };
    if (any(env.sections)) {
        return true;
    }
    std::function<bool(const ovf::Content&)> walk = [&](const ovf::Content& c) {
        if (any(c.sections)) {
            return true;
        }
        for (const auto& child : c.children) {
            if (walk(child)) {
                return true;
            }
        }
        return false;
    };
    return walk(env.content);
}

} // namespace

void map_vm(PlanVm& vm, const MapContext& context, Flavor flavor, PlanNotes& notes) {
    // Name and description, as xapi will store them.
    if (std::string clean = xml_clean(vm.name, false); clean != vm.name) {
        notes.add("vm-name", NoteAction::translated, vm, "name",
                  "control characters removed (xapi drops them)");
        vm.name = clean.empty() ? (vm.system_id.empty() ? std::string("vm") : vm.system_id) : clean;
    }
    vm.description = xml_clean(vm.description, true);

    if (flavor == Flavor::ova && context.source != nullptr &&
        context.source->find<ovf::DeploymentOptionSection>() != nullptr) {
        notes.add("deployment-option", NoteAction::info, vm, "DeploymentOptionSection",
                  context.deployment_option.empty()
                      ? std::string("the hardware is written for the default configuration only")
                      : fmt::format("the hardware is written for configuration \"{}\" only",
                                    context.deployment_option));
    }

    if (flavor == Flavor::ova && context.source != nullptr && has_properties(*context.source)) {
        notes.add("env-none", NoteAction::info, vm, "ProductSection",
                  "XenCenter's OVF import gives the guest no OVF environment: the properties "
                  "reach it only through --to xenserver (the environment ISO beside the XVA)");
    }

    // CPUs and memory.
    if (vm.cpus == 0) {
        notes.add("cpu-count", NoteAction::translated, vm, "CPU", "no CPU count: 1 virtual CPU");
        vm.cpus = 1;
    } else if (vm.cpus > k_max_cpus) {
        notes.add("cpu-count", NoteAction::translated, vm, "CPU",
                  fmt::format("{} virtual CPUs: xapi's HVM maximum, {}", vm.cpus, k_max_cpus));
        vm.cpus = k_max_cpus;
    }
    if (vm.memory_bytes < k_min_memory) {
        notes.add("memory-min", NoteAction::translated, vm, "memory",
                  fmt::format("{} MiB: raised to 128 MiB, the least an HVM guest boots with",
                              vm.memory_bytes / k_mib));
        vm.memory_bytes = k_min_memory;
    } else if (vm.memory_bytes > k_max_memory) {
        notes.add("memory-max", NoteAction::translated, vm, "memory",
                  "more than 1.5 TiB: lowered to XenServer's HVM maximum");
        vm.memory_bytes = k_max_memory;
    } else if (vm.memory_bytes % k_mib != 0) {
        notes.add("memory-round", NoteAction::translated, vm, "memory",
                  "rounded up to a whole MiB");
        vm.memory_bytes = (vm.memory_bytes / k_mib + 1) * k_mib;
    }

    // Firmware and virtualisation mode.
    const bool efi = vm.firmware == Firmware::efi;
    vm.machine = efi ? "hvm-uefi" : "hvm";
    if (efi) {
        notes.add("fw-nvram", NoteAction::info, vm, "UEFI",
                  "HVM with UEFI (XenServer 8, XCP-ng 8.1 or later): boot entries are not "
                  "carried; the guest boots through \\EFI\\BOOT\\BOOTX64.EFI");
        if (vm.secure_boot) {
            notes.add("fw-secureboot", NoteAction::info, vm, "Secure Boot",
                      "platform secureboot=true: needs XenServer 8.2 or XCP-ng 8.2 and the "
                      "pool's UEFI certificates installed, else the VM does not start");
        }
    } else if (vm.secure_boot) {
        notes.add("fw-secureboot", NoteAction::dropped, vm, "Secure Boot",
                  "the VM boots with BIOS: Secure Boot needs UEFI");
        vm.secure_boot = false;
    }
    if (vm.tpm) {
        notes.add("tpm-state", NoteAction::dropped, vm, "TPM",
                  flavor == Flavor::xva
                      ? "an XVA cannot create a vTPM (XenServer 8.3: add one with xe vtpm-create)"
                      : "XenCenter's OVF import creates no vTPM");
        vm.tpm = false;
    }
    if (pv_in_hvm(vm)) {
        notes.add("xen-mode", NoteAction::info, vm, "virtualisation mode",
                  "PV-in-HVM: the kernel's Xen PV drivers (blkfront, netfront) take over from "
                  "the emulated IDE disks and NICs it boots with");
    } else {
        notes.add("tools", NoteAction::info, vm, "virtualisation mode",
                  windows(vm) ? "HVM with Viridian: emulated disks and NICs until the XenServer "
                                "VM Tools for Windows are installed"
                              : "HVM: emulated disks and NICs; the guest's own Xen PV drivers, "
                                "if any, take over");
    }

    // Controllers: one pseudo-controller, the VBDs' userdevices.
    for (const PlanController& c : vm.controllers) {
        notes.add("ctrl-xen-vbd", NoteAction::translated, vm,
                  fmt::format("controller {} ({})", c.id, c.model),
                  "XenServer has no controllers: its disks become VBDs, emulated IDE at boot "
                  "and Xen PV with drivers");
    }
    std::string vbd(k_vbd_controller);
    vm.controllers.clear();
    vm.controllers.push_back({vbd, Bus::ide, vbd, 0});
    // The boot disk first, then the others in their order.
    std::stable_partition(vm.disks.begin(), vm.disks.end(),
                          [](const PlanDisk& d) { return d.boot; });
    if (!vm.disks.empty() && !vm.disks.front().boot) {
        vm.disks.front().boot = true;
    }
    std::vector<PlanDisk> kept;
    unsigned next = 0;
    for (PlanDisk& d : vm.disks) {
        if (next == k_cd_userdevice) {
            ++next;
        }
        if (next >= k_max_userdevices) {
            notes.add("ctrl-count", NoteAction::dropped, vm, "disk " + d.disk_id,
                      fmt::format("xapi gives a VM at most {} VBDs", k_max_userdevices));
            continue;
        }
        d.controller = vbd;
        d.unit = next++;
        kept.push_back(std::move(d));
    }
    vm.disks = std::move(kept);

    // One CD-ROM drive, the environment ISO's when there is one.
    std::stable_partition(vm.cdroms.begin(), vm.cdroms.end(),
                          [](const PlanCdrom& c) { return c.environment; });
    for (size_t i = 1; i < vm.cdroms.size(); ++i) {
        notes.add("cdrom-count", NoteAction::dropped, vm, fmt::format("CD-ROM drive {}", i + 1),
                  "one CD-ROM drive per VM (userdevice 3)");
    }
    if (vm.cdroms.size() > 1) {
        vm.cdroms.resize(1);
    }
    for (PlanCdrom& c : vm.cdroms) {
        c.controller = vbd;
        c.unit = k_cd_userdevice;
        if (c.environment && flavor == Flavor::xva) {
            notes.add("env-iso-beside", NoteAction::info, vm, "CD-ROM drive (OVF environment)",
                      "an XVA cannot carry an ISO: the drive is imported empty and " +
                          (c.file_name.empty() ? std::string("the ISO") : c.file_name) +
                          " is written beside the XVA; put it in an ISO SR and insert it (xe "
                          "vm-cd-insert) before the first boot");
        }
    }

    // NICs: VIFs.
    if (vm.nics.size() > k_max_vifs) {
        for (size_t i = k_max_vifs; i < vm.nics.size(); ++i) {
            notes.add("nic-count", NoteAction::dropped, vm, fmt::format("NIC {}", i + 1),
                      fmt::format("xapi gives an HVM guest at most {} VIFs", k_max_vifs));
        }
        vm.nics.resize(k_max_vifs);
    }
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        PlanNic& n = vm.nics[i];
        std::string item = fmt::format("NIC {}", i + 1);
        if (n.model != k_vif_model) {
            notes.add("nic-model", NoteAction::translated, vm, item + " (" + n.model + ")",
                      "a Xen VIF: netfront with PV drivers, an emulated RTL8139 before");
            n.model = std::string(k_vif_model);
        }
        if (n.mac && !is_unicast_mac(*n.mac)) {
            notes.add("nic-mac", NoteAction::dropped, vm, item,
                      "not a unicast MAC address: xapi makes one");
            n.mac.reset();
        } else if (n.mac) {
            n.mac = lower(*n.mac);
        }
        std::string network = n.network.empty() ? n.ovf_network : n.network;
        std::string clean = network_name(network);
        if (clean.empty()) {
            notes.add("nic-network", NoteAction::info, vm, item,
                      "no network: connected to \"" + std::string(k_default_network) + "\"");
            clean = std::string(k_default_network);
        } else if (clean != network) {
            notes.add("nic-network", NoteAction::translated, vm, item,
                      "network name without '\"', '\\' and control characters (xapi matches "
                      "networks by name in a query)");
        }
        n.network = clean;
    }
}

KeyValues platform_keys(const PlanVm& vm) {
    const bool win = windows(vm);
    KeyValues platform{
        {"acpi", "1"},  {"apic", "true"},  {"pae", "true"},
        {"nx", "true"}, {"hpet", "true"},  {"viridian", win ? "true" : "false"},
        {"vga", "std"}, {"videoram", "8"}, {"device_id", win ? "0002" : "0001"},
    };
    if (vm.machine == "hvm-uefi") {
        platform.emplace_back("secureboot", vm.secure_boot ? "true" : "false");
    }
    std::sort(platform.begin(), platform.end());
    return platform;
}

KeyValues boot_params(const PlanVm& vm) {
    KeyValues boot{{"order", "cdn"}};
    if (vm.machine == "hvm-uefi") {
        boot.emplace_back("firmware", "uefi");
    }
    return boot;
}

} // namespace ovfkit::platform::xenserver
