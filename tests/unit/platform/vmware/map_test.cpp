// The VMware mapping (map.cpp): what each kind of source hardware becomes
// on a .vmx and on vSphere's OVF import, and the note each change leaves.
#include "plans.hpp"
#include <gtest/gtest.h>

namespace ovfkit::platform::vmware {
namespace {

using namespace test;

const PlanController* find(const PlanVm& vm, const std::string& id) {
    for (const auto& c : vm.controllers) {
        if (c.id == id) {
            return &c;
        }
    }
    return nullptr;
}

TEST(VmwareMap, LinuxVirtioBecomesPvscsiAndVmxnet3) {
    PlanVm vm = kvm_debian();
    auto notes = map_vm(vm, {}, Flavor::vmx);
    EXPECT_EQ(vm.machine, "vmx-10");
    ASSERT_NE(find(vm, "3"), nullptr);
    EXPECT_EQ(find(vm, "3")->model, "pvscsi");
    EXPECT_EQ(find(vm, "3")->bus, Bus::scsi);
    EXPECT_EQ(vm.nics[0].model, "vmxnet3");
    EXPECT_TRUE(has_note(notes, "ctrl-virtio", NoteAction::translated)) << notes_text(notes);
    EXPECT_TRUE(has_note(notes, "nic-model", NoteAction::translated)) << notes_text(notes);
    // The environment CD stays on SATA for a .vmx.
    const PlanController* sata = find(vm, vm.cdroms[0].controller);
    ASSERT_NE(sata, nullptr);
    EXPECT_EQ(sata->bus, Bus::sata);
    EXPECT_EQ(sata->index, 0u);
    EXPECT_FALSE(has_note(notes, "memory-round", NoteAction::translated));
}

TEST(VmwareMap, WindowsGetsInBoxDrivers) {
    PlanVm vm = kvm_debian();
    vm.os.row = &k_win2019;
    auto notes = map_vm(vm, {}, Flavor::vmx);
    EXPECT_EQ(find(vm, "3")->model, "lsilogicsas");
    EXPECT_EQ(vm.nics[0].model, "e1000e");
    vm.os.row = &k_linux32;
    vm.controllers = {controller("3", Bus::scsi, "buslogic")};
    vm.cdroms.clear();
    vm.nics = {nic("n", "pcnet")};
    notes = map_vm(vm, {}, Flavor::vmx);
    // BusLogic stays for a 32-bit guest; PCnet becomes e1000.
    EXPECT_EQ(find(vm, "3")->model, "buslogic");
    EXPECT_EQ(vm.nics[0].model, "e1000");
}

TEST(VmwareMap, BusLogicOn64BitGuests) {
    PlanVm vm = kvm_debian();
    vm.controllers = {controller("3", Bus::scsi, "buslogic")};
    vm.cdroms.clear();
    auto notes = map_vm(vm, {}, Flavor::vmx);
    EXPECT_EQ(find(vm, "3")->model, "lsilogic");
    EXPECT_TRUE(has_note(notes, "ctrl-sas-buslogic", NoteAction::translated));
}

TEST(VmwareMap, VsphereAvoidsSataAndSasForNonWindows) {
    PlanVm vm = kvm_debian();
    vm.controllers = {controller("3", Bus::scsi, "lsilogicsas"),
                      controller("plan-1", Bus::sata, "ahci")};
    vm.disks.push_back(disk("vmdisk2", "plan-1", 1));
    auto notes = map_vm(vm, {}, Flavor::ova);
    EXPECT_EQ(find(vm, "3")->model, "lsilogic");
    EXPECT_TRUE(has_note(notes, "ctrl-sas-vsphere", NoteAction::translated)) << notes_text(notes);
    EXPECT_TRUE(has_note(notes, "ctrl-sata-vsphere", NoteAction::translated));
    EXPECT_TRUE(has_note(notes, "cdrom-ide", NoteAction::translated));
    for (const auto& c : vm.controllers) {
        EXPECT_NE(c.bus, Bus::sata) << c.id;
        EXPECT_NE(c.model, "lsilogicsas") << c.id;
    }
    // The CD is on IDE 0:0; the second disk on the former SATA controller, now SCSI.
    const PlanController* cd = find(vm, vm.cdroms[0].controller);
    ASSERT_NE(cd, nullptr);
    EXPECT_EQ(cd->bus, Bus::ide);
    EXPECT_EQ(vm.cdroms[0].unit, 0u);
    const PlanController* d2 = find(vm, vm.disks[1].controller);
    ASSERT_NE(d2, nullptr);
    EXPECT_EQ(d2->bus, Bus::scsi);
    EXPECT_EQ(d2->index, 1u);
    EXPECT_EQ(vm.disks[1].unit, 1u);

    // A Windows guest keeps both: it may have no other in-box driver.
    PlanVm win = kvm_debian();
    win.os.row = &k_win2019;
    win.controllers = {controller("3", Bus::scsi, "lsilogicsas"),
                       controller("plan-1", Bus::sata, "ahci")};
    win.disks.push_back(disk("vmdisk2", "plan-1", 1));
    notes = map_vm(win, {}, Flavor::ova);
    EXPECT_EQ(find(win, "3")->model, "lsilogicsas");
    ASSERT_NE(find(win, "plan-1"), nullptr);
    EXPECT_EQ(find(win, "plan-1")->bus, Bus::sata);
}

TEST(VmwareMap, IdeHoldsTwoChannelsOfTwo) {
    PlanVm vm = kvm_debian();
    vm.cdroms.clear();
    // One controller addressed channel * 2 + device, five devices.
    vm.controllers = {controller("ide", Bus::ide, "piix4")};
    vm.disks = {disk("d0", "ide", 0), disk("d1", "ide", 1), disk("d2", "ide", 2),
                disk("d3", "ide", 3), disk("d4", "ide", 3)};
    auto notes = map_vm(vm, {}, Flavor::vmx);
    std::vector<std::pair<std::string, unsigned>> at;
    for (const auto& d : vm.disks) {
        const PlanController* c = find(vm, d.controller);
        ASSERT_NE(c, nullptr);
        at.emplace_back(std::string(c->bus == Bus::ide ? "ide" : "sata") + std::to_string(c->index),
                        d.unit);
    }
    std::vector<std::pair<std::string, unsigned>> want{
        {"ide0", 0}, {"ide0", 1}, {"ide1", 0}, {"ide1", 1}, {"sata0", 0}};
    EXPECT_EQ(at, want);
    EXPECT_TRUE(has_note(notes, "ctrl-count", NoteAction::translated)) << notes_text(notes);
    EXPECT_TRUE(has_note(notes, "ctrl-added", NoteAction::added)) << notes_text(notes);
}

TEST(VmwareMap, HostileAndReservedUnitsMove) {
    PlanVm vm = kvm_debian();
    vm.cdroms.clear();
    vm.controllers = {controller("3", Bus::scsi, "pvscsi")};
    vm.disks = {disk("a", "3", 7), disk("b", "3", 4294967295u), disk("c", "3", 0)};
    auto notes = map_vm(vm, {}, Flavor::vmx);
    // c keeps unit 0; a and b take the next free ones, never 7.
    EXPECT_EQ(vm.disks[2].unit, 0u);
    EXPECT_EQ(vm.disks[0].unit, 1u);
    EXPECT_EQ(vm.disks[1].unit, 2u);
    EXPECT_TRUE(has_note(notes, "ctrl-address", NoteAction::translated)) << notes_text(notes);
}

TEST(VmwareMap, VirtioBlkDisksGetAScsiController) {
    PlanVm vm = kvm_debian();
    vm.cdroms.clear();
    vm.controllers.clear();
    vm.disks = {disk("a", "", 0), disk("b", "", 0)};
    auto notes = map_vm(vm, {}, Flavor::vmx);
    ASSERT_EQ(vm.controllers.size(), 1u);
    EXPECT_EQ(vm.controllers[0].bus, Bus::scsi);
    EXPECT_EQ(vm.controllers[0].model, "pvscsi");
    EXPECT_EQ(vm.disks[0].controller, vm.controllers[0].id);
    EXPECT_EQ(vm.disks[1].controller, vm.controllers[0].id);
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_EQ(vm.disks[1].unit, 1u);
}

TEST(VmwareMap, FamilyFollowsTheDevices) {
    PlanVm vm = kvm_debian();
    vm.controllers[0] = controller("3", Bus::nvme, "nvme");
    auto notes = map_vm(vm, {}, Flavor::vmx);
    EXPECT_EQ(vm.machine, "vmx-13");

    PlanVm efi = kvm_debian();
    efi.firmware = Firmware::efi;
    efi.secure_boot = true;
    efi.machine = "vmx-19";
    notes = map_vm(efi, {}, Flavor::vmx);
    EXPECT_EQ(efi.machine, "vmx-19");

    PlanVm future = kvm_debian();
    future.machine = "vmx-99";
    notes = map_vm(future, {}, Flavor::ova);
    EXPECT_EQ(future.machine, "vmx-10");
    EXPECT_TRUE(has_note(notes, "hw-version", NoteAction::translated));

    PlanVm bios_sb = kvm_debian();
    bios_sb.secure_boot = true;
    notes = map_vm(bios_sb, {}, Flavor::vmx);
    EXPECT_FALSE(bios_sb.secure_boot);
    EXPECT_TRUE(has_note(notes, "fw-secureboot", NoteAction::dropped));
}

TEST(VmwareMap, MemoryCpuTpmAndGuest) {
    PlanVm vm = kvm_debian();
    vm.memory_bytes = 1000 * 1024 * 1024 + 1;
    vm.cpus = 0;
    vm.tpm = true;
    vm.os.row = &k_unmapped;
    auto notes = map_vm(vm, {}, Flavor::vmx);
    EXPECT_EQ(vm.memory_bytes, 1004ULL * 1024 * 1024);
    EXPECT_EQ(vm.cpus, 1u);
    EXPECT_FALSE(vm.tpm);
    EXPECT_TRUE(has_note(notes, "memory-round", NoteAction::translated));
    EXPECT_TRUE(has_note(notes, "tpm-state", NoteAction::dropped));
    EXPECT_TRUE(has_note(notes, "os-unmapped", NoteAction::info));
    EXPECT_EQ(vmx_guest_os(vm), "other-64");
    EXPECT_EQ(vsphere_guest_id(vm), "otherGuest64");
    vm.os.row = &k_linux32;
    EXPECT_EQ(vmx_guest_os(vm), "otherlinux");

    PlanVm huge = kvm_debian();
    huge.cpus = 100000;
    huge.memory_bytes = UINT64_MAX;
    notes = map_vm(huge, {}, Flavor::vmx);
    EXPECT_EQ(huge.cpus, 768u);
    EXPECT_EQ(huge.memory_bytes, 24ULL << 40);
    EXPECT_EQ(cores_per_socket(huge), 0u);
    EXPECT_TRUE(has_note(notes, "cpu-count", NoteAction::translated));
}

TEST(VmwareMap, NicWithoutNetwork) {
    PlanVm vm = kvm_debian();
    vm.nics = {nic("", "e1000")};
    auto notes = map_vm(vm, {}, Flavor::ova);
    EXPECT_EQ(vm.nics[0].network, "VM Network");
    EXPECT_EQ(vm.nics[0].model, "e1000");
    EXPECT_TRUE(has_note(notes, "nic-network", NoteAction::info));
}

TEST(VmwareMap, HardwareVersionParse) {
    EXPECT_EQ(hardware_version("vmx-13"), 13u);
    EXPECT_EQ(hardware_version("vmx-07"), 7u);
    EXPECT_EQ(hardware_version("vmx-3"), std::nullopt);
    EXPECT_EQ(hardware_version("vmx-1x"), std::nullopt);
    EXPECT_EQ(hardware_version("vmx-"), std::nullopt);
    EXPECT_EQ(hardware_version("vmx-123"), std::nullopt);
    EXPECT_EQ(hardware_version("q35"), std::nullopt);
}

} // namespace
} // namespace ovfkit::platform::vmware
