// The libvirt mapping: machine, buses, units, NIC models and notes per
// guest family and firmware, on hand-built plans.
#include <algorithm>

#include "plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/map.hpp>
#include <ovfkit/platform/libvirt/osinfo.hpp>

namespace ovfkit::platform::libvirt {
namespace {

using namespace ovfkit::test::libvirt_plans;

const MapNote* find_note(const std::vector<MapNote>& notes, std::string_view code) {
    auto it =
        std::find_if(notes.begin(), notes.end(), [&](const MapNote& n) { return n.code == code; });
    return it == notes.end() ? nullptr : &*it;
}

const PlanController& controller(const PlanVm& vm, const std::string& id) {
    auto it = std::find_if(vm.controllers.begin(), vm.controllers.end(),
                           [&](const PlanController& c) { return c.id == id; });
    EXPECT_NE(it, vm.controllers.end()) << id;
    return *it;
}

MapContext qcow2() {
    return MapContext{"qcow2"};
}

TEST(LibvirtMap, VirtioGuestGetsVirtioBlkAndVirtioNetOnQ35) {
    PlanVm vm = debian_lsilogic();
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "q35");
    ASSERT_EQ(vm.disks.size(), 2U);
    for (unsigned i = 0; i < 2; ++i) {
        const auto& c = controller(vm, vm.disks[i].controller);
        EXPECT_EQ(c.bus, Bus::virtio);
        EXPECT_EQ(c.model, "virtio-blk");
        EXPECT_EQ(vm.disks[i].unit, i);
    }
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_FALSE(vm.disks[1].boot);
    // The environment CD leaves IDE (q35 has none) for SATA.
    ASSERT_EQ(vm.cdroms.size(), 1U);
    EXPECT_EQ(controller(vm, vm.cdroms[0].controller).bus, Bus::sata);
    EXPECT_EQ(vm.nics[0].model, "virtio");
    const MapNote* bus = find_note(notes, "disk-bus");
    ASSERT_NE(bus, nullptr);
    EXPECT_EQ(bus->action, NoteAction::translated);
    EXPECT_EQ(bus->item, "controller 3 (lsilogic)");
    ASSERT_NE(find_note(notes, "nic-model"), nullptr);
    EXPECT_NE(find_note(notes, "cdrom-bus"), nullptr);
}

TEST(LibvirtMap, BiosGuestWithoutVirtioBootingFromIdeKeepsIdeOnPc) {
    PlanVm vm = windows_ide();
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "pc");
    for (const auto& d : vm.disks) {
        EXPECT_EQ(controller(vm, d.controller).bus, Bus::ide);
    }
    EXPECT_EQ(vm.disks[0].unit, 0U);
    EXPECT_EQ(vm.disks[1].unit, 1U);
    // The plain CD-ROM stays on IDE, on the next free unit.
    EXPECT_EQ(controller(vm, vm.cdroms[0].controller).bus, Bus::ide);
    EXPECT_EQ(vm.cdroms[0].unit, 2U);
    // e1000 is kept (the guest drives it), its MAC normalised.
    EXPECT_EQ(vm.nics[0].model, "e1000");
    EXPECT_EQ(vm.nics[0].mac, "00:50:56:ab:cd:ef");
    EXPECT_EQ(find_note(notes, "disk-bus"), nullptr);
    EXPECT_EQ(find_note(notes, "ctrl-ide-q35"), nullptr);
    // Only the case-normalisation of the model is a translation.
    const MapNote* nic = find_note(notes, "nic-model");
    ASSERT_NE(nic, nullptr);
    EXPECT_NE(nic->reason.find("E1000 -> e1000"), std::string::npos) << nic->reason;
}

TEST(LibvirtMap, UefiLsiSasGuestMovesToSataAndKeepsSecureBoot) {
    PlanVm vm = windows11_efi();
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "q35");
    EXPECT_TRUE(vm.secure_boot);
    EXPECT_TRUE(vm.tpm);
    EXPECT_EQ(controller(vm, vm.disks[0].controller).bus, Bus::sata);
    EXPECT_EQ(vm.disks[0].unit, 0U);
    EXPECT_EQ(controller(vm, vm.cdroms[0].controller).bus, Bus::sata);
    EXPECT_EQ(vm.cdroms[0].unit, 1U);
    EXPECT_EQ(vm.nics[0].model, "e1000e");
    ASSERT_NE(find_note(notes, "fw-lsi-ovmf"), nullptr);
    const MapNote* sb = find_note(notes, "fw-secureboot");
    ASSERT_NE(sb, nullptr);
    EXPECT_EQ(sb->action, NoteAction::info);
    EXPECT_NE(find_note(notes, "fw-nvram"), nullptr);
}

TEST(LibvirtMap, SecureBootWithoutUefiIsDropped) {
    PlanVm vm = windows_ide();
    vm.secure_boot = true;
    auto notes = map_vm(vm, qcow2());
    EXPECT_FALSE(vm.secure_boot);
    const MapNote* sb = find_note(notes, "fw-secureboot");
    ASSERT_NE(sb, nullptr);
    EXPECT_EQ(sb->action, NoteAction::dropped);
}

TEST(LibvirtMap, UefiGuestBootingFromIdeGoesToSataOnQ35) {
    PlanVm vm = windows_ide();
    vm.firmware = Firmware::efi;
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "q35");
    EXPECT_EQ(controller(vm, vm.disks[0].controller).bus, Bus::sata);
    EXPECT_EQ(controller(vm, vm.cdroms[0].controller).bus, Bus::sata);
    ASSERT_NE(find_note(notes, "ctrl-ide-q35"), nullptr);
    EXPECT_NE(find_note(notes, "cdrom-bus"), nullptr);
    EXPECT_EQ(vm.nics[0].model, "e1000"); // kept: the guest drives it
}

TEST(LibvirtMap, BiosLinuxOnIdeWithVirtioGoesToQ35Virtio) {
    PlanVm vm = windows_ide();
    vm.os.row = &k_debian12;
    map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "q35");
    EXPECT_EQ(controller(vm, vm.disks[0].controller).bus, Bus::virtio);
    EXPECT_EQ(controller(vm, vm.cdroms[0].controller).bus, Bus::sata);
}

TEST(LibvirtMap, VirtioScsiIsKeptForAVirtioGuest) {
    PlanVm vm = ubuntu_virtio_scsi();
    auto notes = map_vm(vm, qcow2());
    const auto& c = controller(vm, vm.disks[0].controller);
    EXPECT_EQ(c.bus, Bus::scsi);
    EXPECT_EQ(c.model, "virtio-scsi");
    EXPECT_EQ(vm.disks[1].unit, 1U);
    EXPECT_EQ(find_note(notes, "disk-bus"), nullptr);
    // The unconnected NIC goes to libvirt's default network, noted.
    EXPECT_EQ(vm.nics[1].network, "default");
    EXPECT_NE(find_note(notes, "nic-network"), nullptr);
}

TEST(LibvirtMap, SataSpillsToASecondControllerAfterSixPorts) {
    PlanVm vm = other_many_disks();
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "q35");
    for (unsigned i = 0; i < 8; ++i) {
        const auto& c = controller(vm, vm.disks[i].controller);
        EXPECT_EQ(c.bus, Bus::sata);
        EXPECT_EQ(c.index, i / k_sata_ports) << i;
        EXPECT_EQ(vm.disks[i].unit, i % k_sata_ports) << i;
    }
    EXPECT_EQ(vm.nics[0].model, "pcnet");
    EXPECT_EQ(vm.nics[1].model, "e1000e");
    EXPECT_FALSE(vm.nics[1].mac.has_value());
    const MapNote* mac = find_note(notes, "nic-mac");
    ASSERT_NE(mac, nullptr);
    EXPECT_EQ(mac->action, NoteAction::dropped);
}

TEST(LibvirtMap, IdeBeyondFourUnitsSpillsToSata) {
    PlanVm vm = windows_ide();
    add_disk(vm, "6", 1);
    add_disk(vm, "6", 2);
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.machine, "pc");
    EXPECT_EQ(controller(vm, vm.disks[3].controller).bus, Bus::ide);
    EXPECT_EQ(vm.disks[3].unit, 3U);
    // The CD-ROM comes after every disk and finds IDE full.
    EXPECT_EQ(controller(vm, vm.cdroms[0].controller).bus, Bus::sata);
    EXPECT_NE(find_note(notes, "ctrl-count"), nullptr);
}

TEST(LibvirtMap, TheBootDiskTakesTheFirstUnit) {
    PlanVm vm = debian_lsilogic();
    vm.disks[0].boot = false;
    vm.disks[1].boot = true;
    map_vm(vm, qcow2());
    EXPECT_EQ(vm.disks[1].unit, 0U);
    EXPECT_EQ(vm.disks[0].unit, 1U);
    EXPECT_TRUE(vm.disks[1].boot);
}

TEST(LibvirtMap, NamesLoseOnlyWhatLibvirtCannotHold) {
    PlanVm vm = debian_lsilogic();
    vm.name = "web/01\nx'\"$(rm -rf ~)|;";
    auto notes = map_vm(vm, qcow2());
    EXPECT_EQ(vm.name, "web_01_x'\"$(rm -rf ~)|;");
    EXPECT_NE(find_note(notes, "vm-name"), nullptr);
    PlanVm tag = debian_lsilogic();
    tag.name = "a</domain>";
    map_vm(tag, qcow2());
    EXPECT_EQ(tag.name, "a<_domain>");
    PlanVm plain = debian_lsilogic();
    plain.name = "a b'c\"<domain>&amp;$(x)|`id`";
    auto none = map_vm(plain, qcow2());
    EXPECT_EQ(plain.name, "a b'c\"<domain>&amp;$(x)|`id`");
    EXPECT_EQ(find_note(none, "vm-name"), nullptr);
}

TEST(LibvirtMap, StartupOrderIsNotedAsInfo) {
    PlanVm vm = debian_lsilogic();
    vm.start_order = 2;
    vm.start_delay_s = 30;
    auto notes = map_vm(vm, qcow2());
    const MapNote* n = find_note(notes, "startup-order");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::info);
    EXPECT_NE(n->reason.find("start-order.txt"), std::string::npos);
}

TEST(LibvirtMap, ValidMacs) {
    EXPECT_TRUE(valid_mac("52:54:00:12:34:56"));
    EXPECT_FALSE(valid_mac("01:00:5e:00:00:01")); // multicast
    EXPECT_FALSE(valid_mac("52:54:00:12:34:5G"));
    EXPECT_FALSE(valid_mac("52:54:00:12:34:56\n"));
    EXPECT_FALSE(valid_mac("52-54-00-12-34-56"));
    EXPECT_FALSE(valid_mac("52:54:00:AB:34:56")); // map lower-cases first
}

// Every row of the shared guest-OS table, from an LSI Logic appliance
// under BIOS: virtio exactly for the rows with in-box virtio drivers, SATA
// and e1000e for the rest, a Windows clock in local time, and the osinfo
// URI written exactly when the row's short id maps.
TEST(LibvirtMap, EveryGuestRowGetsBusesItBootsFrom) {
    using namespace ovfkit::test::libvirt_plans;
    size_t rows = 0;
    for (const GuestOsRow& row : guest_os_table()) {
        ++rows;
        PlanVm vm = debian_lsilogic();
        vm.os.row = &row;
        map_vm(vm, MapContext{"qcow2"});
        EXPECT_EQ(vm.machine, "q35") << row.key;
        const PlanController& c = controller(vm, vm.disks[0].controller);
        EXPECT_EQ(c.bus, row.virtio ? Bus::virtio : Bus::sata) << row.key;
        EXPECT_EQ(vm.nics[0].model, row.virtio ? "virtio" : "e1000e") << row.key;
        ExportPlan plan;
        plan.directory = "/x";
        plan.disk_format = "qcow2";
        plan.vms.push_back(vm);
        auto files = write_files(plan);
        ASSERT_TRUE(files.has_value()) << row.key << ": " << files.error().message;
        const std::string& xml = files->front().content;
        bool windows = row.family == OsFamily::windows;
        EXPECT_EQ(xml.find("<clock offset='localtime'/>") != std::string::npos, windows) << row.key;
        auto uri = osinfo_uri(row.osinfo);
        EXPECT_EQ(xml.find("<libosinfo:os id='") != std::string::npos, uri.has_value()) << row.key;
        if (uri) {
            EXPECT_NE(xml.find("<libosinfo:os id='" + *uri + "'/>"), std::string::npos) << row.key;
        }
    }
    EXPECT_GT(rows, 20U);
}

} // namespace
} // namespace ovfkit::platform::libvirt
