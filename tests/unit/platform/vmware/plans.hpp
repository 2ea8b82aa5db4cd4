// Hand-built plans for the VMware target tests: the VMs an engine would
// hand to `map`, in the appliance's vocabulary.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/platform/vm_plan.hpp>
#include <ovfkit/platform/vmware/hardware.hpp>

namespace ovfkit::platform::vmware::test {

inline constexpr uint64_t k_gib = 1024ULL * 1024 * 1024;

// Rows as the shared guest-OS table holds them (mapping.md 1.2).
inline GuestOsRow row(std::string_view key, std::string_view display, OsFamily family, bool x64,
                      uint16_t cim, std::string_view cim_version, std::string_view vmware,
                      std::string_view vmx) {
    GuestOsRow r;
    r.key = key;
    r.display = display;
    r.family = family;
    r.x64 = x64;
    r.cim = cim;
    r.cim_version = cim_version;
    r.vmware = vmware;
    r.vmx = vmx;
    return r;
}
inline const GuestOsRow k_debian12 = row("debian12-64", "Debian 12 (64-bit)", OsFamily::linux, true,
                                         96, "12", "debian12_64Guest", "debian12-64");
inline const GuestOsRow k_win2019 = row("win2k19", "Windows Server 2019", OsFamily::windows, true,
                                        121, "", "windows2019srv_64Guest", "windows2019srv-64");
inline const GuestOsRow k_linux32 =
    row("linux", "Linux (32-bit)", OsFamily::linux, false, 36, "", "otherLinuxGuest", "otherlinux");
inline const GuestOsRow k_unmapped =
    row("haiku-64", "Haiku (64-bit)", OsFamily::other, true, 102, "", "", "");

inline PlanController controller(std::string id, Bus bus, std::string model, unsigned index = 0) {
    PlanController c;
    c.id = std::move(id);
    c.bus = bus;
    c.model = std::move(model);
    c.index = index;
    return c;
}

inline PlanDisk disk(std::string id, std::string controller, unsigned unit, uint64_t gib = 8) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.source_item = "item-" + id;
    d.capacity_bytes = gib * k_gib;
    d.controller = std::move(controller);
    d.unit = unit;
    d.file_name = "web-" + id + ".vmdk";
    d.format = "vmdk";
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

// A Debian guest as a KVM appliance has it: virtio-scsi disk, virtio NIC,
// the environment CD on an added SATA controller.
inline PlanVm kvm_debian() {
    PlanVm vm;
    vm.system_id = "web";
    vm.path = "web";
    vm.name = "web";
    vm.os.row = &k_debian12;
    vm.cpus = 2;
    vm.memory_bytes = 2 * k_gib;
    vm.controllers = {controller("3", Bus::scsi, "virtio-scsi"),
                      controller("plan-1", Bus::sata, "ahci")};
    vm.disks = {disk("vmdisk1", "3", 0)};
    vm.disks[0].boot = true;
    PlanCdrom env;
    env.controller = "plan-1";
    env.unit = 0;
    env.file_name = "web-ovf-env.iso";
    env.environment = true;
    vm.cdroms = {env};
    vm.nics = {nic("VM Network", "virtio")};
    vm.environment_xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\">\n"
                         "  <PropertySection>\n"
                         "    <Property key=\"motd\" value=\"a|b &quot;c&quot;\"/>\n"
                         "  </PropertySection>\n"
                         "</Environment>\n";
    return vm;
}

// note_action_name's words, without needing vm_plan.cpp in the test.
inline std::string_view note_action_label(NoteAction a) {
    switch (a) {
    case NoteAction::translated:
        return "translated";
    case NoteAction::dropped:
        return "dropped";
    case NoteAction::added:
        return "added";
    case NoteAction::info:
        return "info";
    case NoteAction::refused:
        return "refused";
    }
    return "?";
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
        out += n.code + " " + std::string(note_action_label(n.action)) + " " + n.item + ": " +
               n.reason + "\n";
    }
    return out;
}

// Compares `text` with tests/golden/export/vmware/<name>; OVFKIT_UPDATE_GOLDEN=1 rewrites it.
inline void expect_golden(const std::string& name, const std::string& text) {
    namespace fs = std::filesystem;
    fs::path path = fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "export" / "vmware" / name;
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

} // namespace ovfkit::platform::vmware::test
