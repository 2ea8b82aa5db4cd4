// The `vmware` target's files: one <name>.vmx per VM of a mapped plan
// (hardware.hpp), all in the target directory beside the disks.
//
// A .vmx is `key = "value"` lines (shared formats/vmware-virtualbox.md, A1).
// Keys come only from the vocabulary below. Every value goes through the
// escaper VMware's own dictionary writer applies (open-vm-tools
// DictLL_MarshalLine), extended to tab: `"`, `|`, 0x7F and every byte below
// 0x20 become `|XX`, so no appliance string (VM name, network name, the
// OVF environment in guestinfo.ovfEnv) can end a value or a line.
// Bytes from 0x80 stay as they are: the file is UTF-8 (`.encoding`).
// File names the .vmx refers to are the engine's disk and ISO names; one
// that is not a plain name in this directory is refused, not escaped.
// Multi-VM appliances give one .vmx per VM; the name comes from the VM's
// name through an allow-list (`[A-Za-z0-9._-]`, at most 64 bytes, "vm"
// when nothing is left), with "-2", "-3" ... when two VMs map to the same.
#include <set>

#include <fmt/format.h>

#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/vmware/hardware.hpp>
#include <ovfkit/platform/vmware/vmx.hpp>

namespace ovfkit::platform::vmware {

namespace {

constexpr uint64_t k_mib = 1024 * 1024;

std::string_view bus_prefix(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return "ide";
    case Bus::sata:
        return "sata";
    case Bus::scsi:
        return "scsi";
    case Bus::nvme:
        return "nvme";
    case Bus::virtio:
        break;
    }
    return {};
}

bool plain_file_name(std::string_view name) {
    if (name.empty() || name == "." || name == ".." || name.size() > 255) {
        return false;
    }
    for (unsigned char ch : name) {
        if (ch == '/' || ch == '\\' || ch < 0x20 || ch == 0x7F) {
            return false;
        }
    }
    return true;
}

// VMware's manual range, 00:50:56:00:00:00 - 00:50:56:3f:ff:ff; any other
// static MAC needs checkMACAddress = "FALSE" or VMware refuses it.
bool vmware_static_range(std::string_view mac) {
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (auto& ch : out) {
            if (ch >= 'A' && ch <= 'F') {
                ch = static_cast<char>(ch - 'A' + 'a');
            }
        }
        return out;
    };
    std::string m = lower(mac);
    if (!m.starts_with("00:50:56:")) {
        return false;
    }
    char first = m[9];
    return first >= '0' && first <= '3';
}

class VmxBuilder {
public:
    void set(std::string_view key, std::string_view value) {
        m_out += key;
        m_out += " = \"";
        m_out += vmx_escape(value);
        m_out += "\"\n";
    }
    void flag(std::string_view key, bool value) { set(key, value ? "TRUE" : "FALSE"); }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

Result<std::string> write_vmx(const PlanVm& vm) {
    auto hw = hardware_version(vm.machine);
    if (!hw) {
        return fail(Errc::invalid, "vmware: VM '{}': hardware family '{}' is not vmx-NN", vm.path,
                    vm.machine);
    }
    VmxBuilder v;
    v.set(".encoding", "UTF-8");
    v.set("config.version", "8");
    v.set("virtualHW.version", fmt::format("{}", *hw));
    v.set("displayName", vm.name);
    if (!vm.description.empty()) {
        v.set("annotation", vm.description);
    }
    v.set("guestOS", vmx_guest_os(vm));
    v.set("memsize", fmt::format("{}", (vm.memory_bytes + k_mib - 1) / k_mib));
    v.set("numvcpus", fmt::format("{}", vm.cpus));
    if (uint64_t cores = cores_per_socket(vm); cores != 0) {
        v.set("cpuid.coresPerSocket", fmt::format("{}", cores));
    }
    // No key means BIOS; readers such as virt-v2v know only "efi".
    if (vm.firmware == Firmware::efi) {
        v.set("firmware", "efi");
        v.flag("uefi.secureBoot.enabled", vm.secure_boot);
    }
    // PCIe root ports: vmxnet3, e1000e, PVSCSI and NVMe sit behind them.
    v.flag("pciBridge0.present", true);
    for (int n = 4; n <= 7; ++n) {
        v.flag(fmt::format("pciBridge{}.present", n), true);
        v.set(fmt::format("pciBridge{}.virtualDev", n), "pcieRootPort");
        v.set(fmt::format("pciBridge{}.functions", n), "8");
    }
    v.flag("floppy0.present", false);

    for (const auto& c : vm.controllers) {
        std::string_view prefix = bus_prefix(c.bus);
        if (prefix.empty()) {
            return fail(Errc::invalid, "vmware: VM '{}': controller {} is on a bus VMware lacks",
                        vm.path, c.id);
        }
        if (c.bus == Bus::ide) {
            continue; // IDE channels exist without a key
        }
        v.flag(fmt::format("{}{}.present", prefix, c.index), true);
        if (c.bus == Bus::scsi) {
            std::string_view dev = vmx_scsi_device(c.model);
            if (dev.empty()) {
                return fail(Errc::invalid, "vmware: VM '{}': SCSI model '{}' is not VMware's",
                            vm.path, c.model);
            }
            v.set(fmt::format("scsi{}.virtualDev", c.index), dev);
        }
    }
    auto slot = [&](const std::string& controller, unsigned unit) -> Result<std::string> {
        const PlanController* c = nullptr;
        for (const auto& x : vm.controllers) {
            if (x.id == controller) {
                c = &x;
            }
        }
        if (c == nullptr || bus_prefix(c->bus).empty()) {
            return fail(Errc::invalid, "vmware: VM '{}': no controller '{}'", vm.path, controller);
        }
        return fmt::format("{}{}:{}", bus_prefix(c->bus), c->index, unit);
    };
    for (const auto& d : vm.disks) {
        auto s = slot(d.controller, d.unit);
        if (!s) {
            return fail(s.error());
        }
        if (!plain_file_name(d.file_name)) {
            return fail(Errc::invalid, "vmware: VM '{}': disk {} has no plain file name ('{}')",
                        vm.path, d.disk_id, d.file_name);
        }
        v.flag(*s + ".present", true);
        v.set(*s + ".fileName", d.file_name);
        if (s->starts_with("scsi")) {
            v.set(*s + ".deviceType", "scsi-hardDisk");
        } else if (s->starts_with("ide")) {
            v.set(*s + ".deviceType", "ata-hardDisk");
        }
    }
    for (const auto& cd : vm.cdroms) {
        auto s = slot(cd.controller, cd.unit);
        if (!s) {
            return fail(s.error());
        }
        v.flag(*s + ".present", true);
        v.set(*s + ".deviceType", "cdrom-image");
        if (cd.file_name.empty()) {
            // What ESXi writes for a drive with nothing inserted.
            v.set(*s + ".fileName", "emptyBackingString");
            v.flag(*s + ".startConnected", false);
            continue;
        }
        if (!plain_file_name(cd.file_name)) {
            return fail(Errc::invalid,
                        "vmware: VM '{}': CD-ROM image has no plain file name ('{}')", vm.path,
                        cd.file_name);
        }
        v.set(*s + ".fileName", cd.file_name);
        v.flag(*s + ".startConnected", true);
    }
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        const auto& nic = vm.nics[i];
        std::string key = fmt::format("ethernet{}", i);
        std::string_view dev = vmx_nic_device(nic.model);
        if (dev.empty()) {
            return fail(Errc::invalid, "vmware: VM '{}': NIC model '{}' is not VMware's", vm.path,
                        nic.model);
        }
        v.flag(key + ".present", true);
        v.set(key + ".virtualDev", dev);
        v.set(key + ".connectionType", "bridged");
        if (!nic.network.empty()) {
            v.set(key + ".networkName", nic.network);
        }
        if (nic.mac) {
            if (!is_mac_address(*nic.mac)) {
                return fail(Errc::invalid, "vmware: VM '{}': NIC {}: '{}' is not a MAC address",
                            vm.path, i + 1, *nic.mac);
            }
            v.set(key + ".addressType", "static");
            v.set(key + ".address", *nic.mac);
            if (!vmware_static_range(*nic.mac)) {
                v.flag(key + ".checkMACAddress", false);
            }
        } else {
            v.set(key + ".addressType", "generated");
        }
        v.flag(key + ".startConnected", true);
    }
    if (!vm.environment_xml.empty()) {
        // vSphere's com.vmware.guestInfo transport: the whole document in one key.
        v.set("guestinfo.ovfEnv", vm.environment_xml);
    }
    return v.take();
}

} // namespace

std::string vmx_escape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (unsigned char ch : value) {
        if (ch < 0x20 || ch == 0x7F || ch == '"' || ch == '|') {
            out += fmt::format("|{:02X}", ch);
        } else {
            out += static_cast<char>(ch);
        }
    }
    return out;
}

std::string vmx_file_stem(std::string_view name) {
    std::string out;
    for (unsigned char ch : name) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (out.size() >= 64) {
            break;
        }
        if (ok) {
            out += static_cast<char>(ch);
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && (out.front() == '.' || out.front() == '-')) {
        out.erase(out.begin());
    }
    while (!out.empty() && (out.back() == '_' || out.back() == '.')) {
        out.pop_back();
    }
    if (out.empty()) {
        out = "vm";
    }
    // Windows device names cannot be files there.
    static const std::set<std::string> reserved{
        "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
        "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
    std::string upper = out.substr(0, out.find('.'));
    for (auto& ch : upper) {
        ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    }
    if (reserved.contains(upper)) {
        out = "vm-" + out;
    }
    return out;
}

Result<std::vector<OutputFile>> write_vmx_files(const ExportPlan& plan) {
    std::vector<OutputFile> files;
    std::set<std::string> taken;
    for (const auto& vm : plan.vms) {
        auto text = write_vmx(vm);
        if (!text) {
            return fail(text.error());
        }
        std::string stem = vmx_file_stem(vm.name);
        std::string name = stem + ".vmx";
        // Case-insensitively unique: Fusion's and Windows' file systems fold case.
        auto folded = [](std::string s) {
            for (auto& ch : s) {
                ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            }
            return s;
        };
        for (int n = 2; taken.contains(folded(name)); ++n) {
            name = fmt::format("{}-{}.vmx", stem, n);
        }
        taken.insert(folded(name));
        files.push_back(OutputFile{name, std::move(*text), false});
    }
    return files;
}

} // namespace ovfkit::platform::vmware
