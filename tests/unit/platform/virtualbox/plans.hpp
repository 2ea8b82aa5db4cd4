// Hand-built plans for the VirtualBox target tests: the VMs an engine would
// hand to `map`, in the appliance's vocabulary, and fixed identities so the
// written files can be compared with goldens.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/platform/virtualbox/hardware.hpp>
#include <ovfkit/platform/virtualbox/vbox.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::virtualbox::test {

inline constexpr uint64_t k_gib = 1024ULL * 1024 * 1024;

inline GuestOsRow row(std::string_view key, std::string_view display, OsFamily family, bool x64,
                      uint16_t cim, std::string_view cim_version, std::string_view vbox,
                      bool virtio) {
    GuestOsRow r{};
    r.key = key;
    r.display = display;
    r.family = family;
    r.x64 = x64;
    r.cim = cim;
    r.cim_version = cim_version;
    r.vbox = vbox;
    r.virtio = virtio;
    return r;
}
inline const GuestOsRow k_debian12 =
    row("debian12-64", "Debian 12 (64-bit)", OsFamily::linux, true, 96, "12", "Debian12_64", true);
inline const GuestOsRow k_win2019 = row("win2k19", "Windows Server 2019", OsFamily::windows, true,
                                        121, "", "Windows2019_64", false);
inline const GuestOsRow k_unmapped =
    row("haiku-64", "Haiku (64-bit)", OsFamily::other, true, 102, "", "", false);

inline PlanController controller(std::string id, Bus bus, std::string model, unsigned index = 0) {
    return PlanController{std::move(id), bus, std::move(model), index};
}

// A UUID whose every byte is `b` but the version and variant nibbles.
inline Uuid fixed_uuid(uint8_t b) {
    Uuid u{};
    u.fill(b);
    u[6] = static_cast<uint8_t>(0x40 | (b & 0x0f));
    u[8] = static_cast<uint8_t>(0x80 | (b & 0x3f));
    return u;
}

inline PlanDisk disk(std::string id, std::string controller, unsigned unit, uint8_t uuid_byte,
                     uint64_t gib = 8) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.source_item = "item-" + id;
    d.capacity_bytes = gib * k_gib;
    d.controller = std::move(controller);
    d.unit = unit;
    d.file_name = "web-" + id + ".vdi";
    d.format = "vdi";
    d.uuid = fixed_uuid(uuid_byte);
    return d;
}

inline PlanNic nic(std::string network, std::string model) {
    PlanNic n;
    n.source_item = "nic";
    n.ovf_network = network;
    n.network = std::move(network);
    n.model = std::move(model);
    return n;
}

inline PlanCdrom environment_cd(std::string controller, unsigned unit) {
    PlanCdrom cd;
    cd.controller = std::move(controller);
    cd.unit = unit;
    cd.file_name = "web-env.iso";
    cd.environment = true;
    return cd;
}

// BIOS Debian on AHCI, as a VirtualBox-built appliance has it: one disk,
// the environment CD on the same SATA controller, an E1000 NIC.
inline PlanVm bios_linux_ahci() {
    PlanVm vm;
    vm.system_id = "web";
    vm.path = "web";
    vm.name = "web";
    vm.os.row = &k_debian12;
    vm.cpus = 2;
    vm.memory_bytes = 2 * k_gib;
    vm.controllers = {controller("4", Bus::sata, "ahci")};
    vm.disks = {disk("vmdisk1", "4", 0, 0x11)};
    vm.disks[0].boot = true;
    vm.cdroms = {environment_cd("4", 1)};
    vm.nics = {nic("VM Network", "e1000")};
    return vm;
}

// UEFI Windows Server on NVMe with a vmxnet3 NIC and a fixed MAC.
inline PlanVm efi_windows_nvme() {
    PlanVm vm;
    vm.system_id = "win";
    vm.path = "win";
    vm.name = "win";
    vm.os.row = &k_win2019;
    vm.cpus = 4;
    vm.memory_bytes = 8 * k_gib;
    vm.firmware = Firmware::efi;
    vm.controllers = {controller("3", Bus::nvme, "nvme")};
    vm.disks = {disk("system", "3", 0, 0x22, 64), disk("data", "3", 1, 0x23, 100)};
    vm.disks[0].boot = true;
    vm.nics = {nic("Corp LAN", "vmxnet3")};
    vm.nics[0].mac = "00:50:56:01:02:03";
    return vm;
}

// Fixed identities for `vm` (what fresh_ids makes at random).
inline MachineIds ids_for(const PlanVm& vm) {
    MachineIds ids;
    ids.machine = fixed_uuid(0x01);
    uint8_t b = 0x51;
    for (const auto& cd : vm.cdroms) {
        if (!cd.file_name.empty()) {
            ids.images.push_back(fixed_uuid(b++));
        }
    }
    unsigned n = 0;
    for (const auto& nic : vm.nics) {
        if (!nic.mac) {
            ids.macs.push_back(fmt::format("0800270000{:02X}", ++n));
        }
    }
    return ids;
}

inline bool has_note(const std::vector<MapNote>& notes, std::string_view code, NoteAction action) {
    for (const auto& n : notes) {
        if (n.code == code && n.action == action) {
            return true;
        }
    }
    return false;
}

inline std::string notes_text(const std::vector<MapNote>& notes) {
    std::string out;
    for (const auto& n : notes) {
        out += n.code + " " + n.item + ": " + n.reason + "\n";
    }
    return out;
}

// Compares `text` with tests/golden/export/virtualbox/<name>;
// OVFKIT_UPDATE_GOLDEN=1 rewrites it.
inline void expect_golden(const std::string& name, const std::string& text) {
    namespace fs = std::filesystem;
    fs::path path =
        fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "export" / "virtualbox" / name;
    const char* update = std::getenv("OVFKIT_UPDATE_GOLDEN");
    if (update != nullptr && std::string_view(update) == "1") {
        std::ofstream(path, std::ios::binary) << text;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    std::stringstream golden;
    golden << in.rdbuf();
    EXPECT_EQ(text, golden.str()) << "differs from " << path
                                  << "; OVFKIT_UPDATE_GOLDEN=1 and review the diff";
}

} // namespace ovfkit::platform::virtualbox::test
