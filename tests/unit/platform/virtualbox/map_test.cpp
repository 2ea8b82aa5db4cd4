// The VirtualBox mapping (map.cpp): controllers VirtualBox emulates, one
// per storage bus, devices within each bus's ports, NIC chips, attachments,
// and a note for every change.
#include "plans.hpp"
#include <gtest/gtest.h>

namespace ovfkit::platform::virtualbox {
namespace {

using namespace test;

TEST(VirtualboxMap, KeepsWhatVirtualBoxHas) {
    PlanVm vm = bios_linux_ahci();
    auto notes = map_vm(vm, {});
    EXPECT_EQ(vm.controllers.size(), 1u);
    EXPECT_EQ(vm.controllers[0].model, "AHCI");
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_EQ(vm.cdroms[0].unit, 1u);
    EXPECT_EQ(vm.machine, "1.16");
    // Only the attachment is worth a note.
    ASSERT_EQ(notes.size(), 1u) << notes_text(notes);
    EXPECT_EQ(notes[0].code, "net-attach");
}

TEST(VirtualboxMap, ScsiModels) {
    struct Case {
        const GuestOsRow* os;
        std::string from;
        std::string to;
        std::string code;
    };
    for (const Case& c : {Case{&k_debian12, "lsilogic", "LsiLogic", ""},
                          Case{&k_debian12, "buslogic", "BusLogic", ""},
                          Case{&k_win2019, "lsilogicsas", "LsiLogicSas", ""},
                          Case{&k_debian12, "virtio-scsi", "VirtioSCSI", ""},
                          Case{&k_debian12, "pvscsi", "LsiLogic", "ctrl-pvscsi"},
                          Case{&k_win2019, "pvscsi", "LsiLogicSas", "ctrl-pvscsi"},
                          Case{&k_debian12, "VirtualSCSI-9000", "LsiLogic", "ctrl-model"}}) {
        PlanVm vm = bios_linux_ahci();
        vm.os.row = c.os;
        vm.controllers.push_back(controller("5", Bus::scsi, c.from));
        vm.disks[0].controller = "5";
        auto notes = map_vm(vm, {});
        EXPECT_EQ(vm.controller("5")->model, c.to) << c.from;
        if (!c.code.empty()) {
            EXPECT_TRUE(has_note(notes, c.code, NoteAction::translated)) << notes_text(notes);
        }
    }
}

TEST(VirtualboxMap, VirtioBlkGoesToAhci) {
    PlanVm vm = bios_linux_ahci();
    vm.controllers = {controller("v", Bus::virtio, "virtio-blk")};
    vm.disks[0].controller = "v";
    vm.cdroms.clear();
    auto notes = map_vm(vm, {});
    EXPECT_EQ(vm.controllers[0].model, "AHCI");
    EXPECT_EQ(vm.controllers[0].bus, Bus::sata);
    EXPECT_TRUE(has_note(notes, "ctrl-virtio", NoteAction::translated)) << notes_text(notes);
}

TEST(VirtualboxMap, OneControllerPerBus) {
    // Two LSI Logic controllers and a BusLogic are one SCSI bus in
    // VirtualBox: their disks move onto the first, each to a free port.
    PlanVm vm = bios_linux_ahci();
    vm.controllers = {
        controller("a", Bus::scsi, "lsilogic"), controller("b", Bus::scsi, "lsilogic", 1),
        controller("c", Bus::scsi, "buslogic", 2), controller("s", Bus::sata, "ahci")};
    vm.disks = {disk("d1", "a", 0, 1), disk("d2", "b", 0, 2), disk("d3", "c", 0, 3)};
    vm.cdroms = {environment_cd("s", 0)};
    auto notes = map_vm(vm, {});
    ASSERT_EQ(vm.controllers.size(), 2u);
    EXPECT_EQ(vm.controllers[0].id, "a");
    for (const auto& d : vm.disks) {
        EXPECT_EQ(d.controller, "a");
    }
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_EQ(vm.disks[1].unit, 1u);
    EXPECT_EQ(vm.disks[2].unit, 2u);
    EXPECT_TRUE(has_note(notes, "ctrl-count", NoteAction::translated)) << notes_text(notes);
}

TEST(VirtualboxMap, FullIdeOverflowsToSata) {
    PlanVm vm = bios_linux_ahci();
    vm.controllers = {controller("i", Bus::ide, "piix4")};
    vm.disks = {disk("d0", "i", 0, 1), disk("d1", "i", 1, 2), disk("d2", "i", 2, 3),
                disk("d3", "i", 3, 4)};
    vm.cdroms = {environment_cd("i", 3)}; // taken by d3
    auto notes = map_vm(vm, {});
    ASSERT_EQ(vm.controllers.size(), 2u);
    EXPECT_EQ(vm.controllers[1].model, "AHCI");
    EXPECT_EQ(vm.cdroms[0].controller, vm.controllers[1].id);
    EXPECT_EQ(vm.cdroms[0].unit, 0u);
    EXPECT_TRUE(has_note(notes, "ctrl-added", NoteAction::added)) << notes_text(notes);
    EXPECT_TRUE(has_note(notes, "ctrl-count", NoteAction::translated)) << notes_text(notes);
}

TEST(VirtualboxMap, CdromOffScsiAndBadUnits) {
    PlanVm vm = bios_linux_ahci();
    vm.controllers = {controller("l", Bus::scsi, "lsilogic"), controller("s", Bus::sata, "ahci")};
    vm.disks = {disk("d0", "l", 40, 1)}; // past LSI Logic's 16 ports
    vm.cdroms = {environment_cd("l", 1)};
    auto notes = map_vm(vm, {});
    EXPECT_EQ(vm.disks[0].controller, "l");
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_EQ(vm.cdroms[0].controller, "s");
    EXPECT_TRUE(has_note(notes, "ctrl-address", NoteAction::translated)) << notes_text(notes);
    EXPECT_TRUE(has_note(notes, "cdrom-bus", NoteAction::translated)) << notes_text(notes);
}

TEST(VirtualboxMap, NicsAndMacs) {
    PlanVm vm = bios_linux_ahci();
    vm.os.row = &k_win2019;
    vm.nics = {nic("a", "vmxnet3"), nic("b", "rtl8139"), nic("c", "e1000"), nic("d", "virtio")};
    vm.nics[0].mac = "00-50-56-aa-bb-cc";
    vm.nics[1].mac = "01:00:5e:00:00:01"; // multicast
    vm.nics[2].mac = "not a mac";
    auto notes = map_vm(vm, {});
    EXPECT_EQ(vm.nics[0].model, "82540EM"); // Windows: no in-box virtio
    EXPECT_EQ(vm.nics[1].model, "82540EM");
    EXPECT_EQ(vm.nics[2].model, "82545EM");
    EXPECT_EQ(vm.nics[3].model, "virtio");
    EXPECT_EQ(vm.nics[0].mac, "005056AABBCC");
    EXPECT_FALSE(vm.nics[1].mac);
    EXPECT_FALSE(vm.nics[2].mac);
    EXPECT_TRUE(has_note(notes, "nic-model", NoteAction::translated)) << notes_text(notes);
    EXPECT_TRUE(has_note(notes, "nic-mac", NoteAction::dropped)) << notes_text(notes);

    PlanVm many = bios_linux_ahci();
    many.nics.assign(10, nic("n", "e1000"));
    notes = map_vm(many, {});
    EXPECT_EQ(many.nics.size(), 8u);
    EXPECT_TRUE(has_note(notes, "nic-count", NoteAction::dropped)) << notes_text(notes);
}

TEST(VirtualboxMap, OnlyTheUserChoosesAnAttachment) {
    PlanVm vm = bios_linux_ahci();
    // An appliance network that looks like an attachment stays a name.
    vm.nics = {nic("bridged:eth0", "e1000"), nic("x", "e1000"), nic("y", "e1000"),
               nic("z", "e1000")};
    vm.nics[1].network = "natnetwork:NatNetwork"; // --net x=natnetwork:NatNetwork
    vm.nics[2].network = "plain";                 // --net y=plain
    vm.nics[3].network = "nat";                   // --net z=nat
    map_vm(vm, {});
    EXPECT_EQ(vm.nics[0].network, "nat:bridged:eth0");
    EXPECT_EQ(vm.nics[1].network, "natnetwork:NatNetwork");
    EXPECT_EQ(vm.nics[2].network, "nat:plain");
    EXPECT_EQ(vm.nics[3].network, "nat");
    auto a = attachment(vm.nics[0].network);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, "nat");
    EXPECT_EQ(a->name, "bridged:eth0");
    EXPECT_FALSE(attachment("bridged:"));
    EXPECT_FALSE(attachment("evil:x"));
}

TEST(VirtualboxMap, MachineLimits) {
    PlanVm vm = bios_linux_ahci();
    vm.os.row = &k_unmapped;
    vm.cpus = 0;
    vm.memory_bytes = 1000;
    vm.secure_boot = true;
    vm.tpm = true;
    auto notes = map_vm(vm, {});
    EXPECT_EQ(vm.cpus, 1u);
    EXPECT_EQ(vm.memory_bytes, 4u * 1024 * 1024);
    EXPECT_FALSE(vm.secure_boot);
    EXPECT_FALSE(vm.tpm);
    EXPECT_EQ(os_type(vm), "Other_64");
    for (std::string_view code : {"cpu-count", "memory-round"}) {
        EXPECT_TRUE(has_note(notes, code, NoteAction::translated)) << code;
    }
    for (std::string_view code : {"fw-secureboot", "tpm-state"}) {
        EXPECT_TRUE(has_note(notes, code, NoteAction::dropped)) << code;
    }
    EXPECT_TRUE(has_note(notes, "os-unmapped", NoteAction::info));
    vm.cpus = 300;
    vm.memory_bytes = 8ULL << 40;
    map_vm(vm, {});
    EXPECT_EQ(vm.cpus, 32u);
    EXPECT_EQ(vm.memory_bytes, 2097152ULL * 1024 * 1024);
}

TEST(VirtualboxMap, EveryTableRowHasAnOsType) {
    for (const auto& r : guest_os_table()) {
        PlanVm vm;
        vm.os.row = &r;
        std::string_view id = os_type(vm);
        EXPECT_FALSE(id.empty()) << r.key;
        EXPECT_EQ(
            id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"),
            std::string_view::npos)
            << r.key << ": " << id;
    }
}

} // namespace
} // namespace ovfkit::platform::virtualbox
