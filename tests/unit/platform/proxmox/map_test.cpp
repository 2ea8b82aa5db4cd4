// The proxmox mapping: per OS family, firmware and controller, what qm
// gets and which note says so.
#include "plans.hpp"
#include <gtest/gtest.h>

namespace ovfkit::platform::proxmox {
namespace {

using namespace test;

TEST(ProxmoxMap, BiosLinuxKeepsLsiAndItsAddresses) {
    auto v = vm(k_debian);
    controller(v, "3", Bus::scsi, "lsilogic");
    disk(v, "root", "3", 0);
    disk(v, "data", "3", 1);
    auto notes = map(v);
    EXPECT_TRUE(notes.empty()) << notes.front().code;
    EXPECT_EQ(v.machine, "pc");
    EXPECT_EQ(scsihw(v), "lsi");
    EXPECT_EQ(slot(v, v.disks[0]), "scsi0");
    EXPECT_EQ(slot(v, v.disks[1]), "scsi1");
}

TEST(ProxmoxMap, UefiLinuxMovesLsiToVirtioScsi) {
    auto v = vm(k_debian, Firmware::efi);
    controller(v, "3", Bus::scsi, "lsilogic");
    disk(v, "root", "3", 0);
    auto notes = map(v);
    EXPECT_EQ(v.machine, "q35");
    EXPECT_EQ(scsihw(v), "virtio-scsi-single");
    EXPECT_EQ(slot(v, v.disks[0]), "scsi0");
    const PlanNote* n = find_note(notes, "fw-lsi-ovmf");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::translated);
    EXPECT_EQ(n->item, "controller 3 (lsilogic)");
    EXPECT_NE(find_note(notes, "fw-nvram"), nullptr);
}

TEST(ProxmoxMap, UefiWindowsWithoutVirtioMovesLsiToSata) {
    auto v = vm(k_win10, Firmware::efi);
    controller(v, "3", Bus::scsi, "lsilogic");
    disk(v, "root", "3", 0);
    auto notes = map(v);
    EXPECT_EQ(slot(v, v.disks[0]), "sata0");
    EXPECT_EQ(scsihw(v), "");
    ASSERT_NE(find_note(notes, "fw-lsi-ovmf"), nullptr);
    EXPECT_NE(find_note(notes, "fw-lsi-ovmf")->reason.find("SATA"), std::string::npos);
}

TEST(ProxmoxMap, MixedScsiKeepsTheBootDisksModel) {
    auto v = vm(k_debian);
    controller(v, "a", Bus::scsi, "pvscsi", 0);
    controller(v, "b", Bus::scsi, "lsilogic", 1);
    disk(v, "data", "b", 0);
    disk(v, "root", "a", 0);
    v.disks[0].boot = false;
    v.disks[1].boot = true;
    auto notes = map(v);
    EXPECT_EQ(scsihw(v), "pvscsi");
    EXPECT_EQ(slot(v, v.disks[1]), "scsi0"); // the boot disk keeps its address
    EXPECT_EQ(slot(v, v.disks[0]), "scsi1");
    const PlanNote* n = find_note(notes, "ctrl-mixed-scsi");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->item, "controller b (lsilogic)");
    EXPECT_EQ(v.controllers.size(), 1u);
}

TEST(ProxmoxMap, NvmeBecomesScsiOrSata) {
    auto linux_vm = vm(k_debian);
    controller(linux_vm, "n", Bus::nvme, "nvme");
    disk(linux_vm, "root", "n", 0);
    auto notes = map(linux_vm);
    EXPECT_EQ(slot(linux_vm, linux_vm.disks[0]), "scsi0");
    EXPECT_EQ(scsihw(linux_vm), "virtio-scsi-single");
    EXPECT_NE(find_note(notes, "ctrl-nvme"), nullptr);

    auto win = vm(k_win10);
    controller(win, "n", Bus::nvme, "nvme");
    disk(win, "root", "n", 0);
    notes = map(win);
    EXPECT_EQ(slot(win, win.disks[0]), "sata0");
    EXPECT_NE(find_note(notes, "ctrl-nvme"), nullptr);
}

TEST(ProxmoxMap, SasAndBuslogicAreRemapped) {
    for (std::string model : {"lsilogicsas", "buslogic"}) {
        auto v = vm(k_win10);
        controller(v, "s", Bus::scsi, model);
        disk(v, "root", "s", 0);
        auto notes = map(v);
        EXPECT_EQ(slot(v, v.disks[0]), "sata0") << model;
        EXPECT_NE(find_note(notes, "ctrl-sas-buslogic"), nullptr) << model;
    }
    auto v = vm(k_debian);
    controller(v, "s", Bus::scsi, "LsiLogicSas");
    disk(v, "root", "s", 2);
    map(v);
    EXPECT_EQ(slot(v, v.disks[0]), "scsi2");
    EXPECT_EQ(scsihw(v), "virtio-scsi-single");
}

TEST(ProxmoxMap, IdeStaysOnI440fxAndMovesToSataOnQ35) {
    auto v = vm(k_win10);
    controller(v, "ide0", Bus::ide, "piix4", 0);
    controller(v, "ide1", Bus::ide, "piix4", 1);
    disk(v, "root", "ide0", 0);
    disk(v, "data", "ide1", 1);
    EXPECT_TRUE(map(v).empty());
    EXPECT_EQ(slot(v, v.disks[0]), "ide0");
    EXPECT_EQ(slot(v, v.disks[1]), "ide3");

    auto q = vm(k_win10, Firmware::efi);
    controller(q, "ide0", Bus::ide, "piix4");
    disk(q, "root", "ide0", 1);
    auto notes = map(q);
    EXPECT_EQ(slot(q, q.disks[0]), "sata0");
    EXPECT_NE(find_note(notes, "ctrl-ide-q35"), nullptr);
}

TEST(ProxmoxMap, UnitsBeyondTheBusLimitsMoveAndOverflowIsDropped) {
    auto v = vm(k_debian);
    controller(v, "sata", Bus::sata, "ahci");
    disk(v, "root", "sata", 29); // VMware SATA goes to 29, qm to sata5
    for (unsigned i = 0; i < 6; ++i) {
        disk(v, "d" + std::to_string(i), "sata", i);
    }
    auto notes = map(v);
    EXPECT_EQ(slot(v, v.disks[0]), "sata0");
    ASSERT_EQ(v.disks.size(), 6u);
    EXPECT_NE(find_note(notes, "ctrl-unit"), nullptr);
    const PlanNote* drop = find_note(notes, "ctrl-count");
    ASSERT_NE(drop, nullptr);
    EXPECT_EQ(drop->action, NoteAction::dropped);
    EXPECT_EQ(drop->item, "disk d5"); // the boot disk took sata0, the others moved up
}

TEST(ProxmoxMap, HostileUnitNumbersStayInBounds) {
    auto v = vm(k_debian);
    controller(v, "i", Bus::ide, "piix4", 4000000000u);
    disk(v, "root", "i", 4294967295u);
    map(v);
    EXPECT_LT(v.disks[0].unit, k_ide_slots);
}

TEST(ProxmoxMap, EnvironmentCdGoesToIde2OrSata) {
    auto v = vm(k_debian);
    controller(v, "s", Bus::scsi, "virtio-scsi");
    disk(v, "root", "s", 0);
    v.cdroms.push_back(PlanCdrom{"plan-1", 0, "env.iso", true});
    map(v);
    ASSERT_EQ(v.cdroms.size(), 1u);
    EXPECT_EQ(v.cdroms[0].controller, k_ctrl_ide);
    EXPECT_EQ(v.cdroms[0].unit, 2u);

    auto q = vm(k_debian, Firmware::efi);
    controller(q, "s", Bus::sata, "ahci");
    disk(q, "root", "s", 0);
    q.cdroms.push_back(PlanCdrom{"plan-1", 0, "env.iso", true});
    map(q);
    EXPECT_EQ(q.cdroms[0].controller, k_ctrl_sata);
    EXPECT_EQ(q.cdroms[0].unit, 1u);
}

TEST(ProxmoxMap, NicModels) {
    auto v = vm(k_debian);
    for (auto m : {"VmxNet3", "E1000", "e1000e", "virtio", "pcnet", "rtl8139", "vmxnet",
                   "hyperv-synthetic", "hyperv-legacy", "weird"}) {
        nic(v, m);
    }
    auto notes = map(v);
    std::vector<std::string> got;
    for (const auto& n : v.nics) {
        got.push_back(n.model);
    }
    EXPECT_EQ(got, (std::vector<std::string>{"virtio", "e1000", "e1000e", "virtio", "pcnet",
                                             "rtl8139", "virtio", "virtio", "e1000", "virtio"}));
    size_t translated = 0;
    for (const auto& n : notes) {
        translated += n.code == "nic-model";
    }
    EXPECT_EQ(translated, 5u); // vmxnet3, vmxnet, both Hyper-V, the unknown one

    auto w = vm(k_win10, Firmware::efi);
    nic(w, "vmxnet3");
    map(w);
    EXPECT_EQ(w.nics[0].model, "e1000e");
}

TEST(ProxmoxMap, BridgesMacsAndNicCount) {
    auto v = vm(k_debian);
    nic(v, "virtio", "vmbr1");
    nic(v, "virtio", "VM Network");
    nic(v, "virtio", "a,b=c");
    nic(v, "virtio", "");
    v.nics[0].mac = "52:54:00:ab:cd:ef";
    v.nics[1].mac = "01:00:5e:00:00:01"; // multicast
    v.nics[2].mac = "52:54:00:00:00:01,bridge=evil";
    for (int i = 0; i < 40; ++i) {
        nic(v, "virtio");
    }
    auto notes = map(v);
    EXPECT_EQ(v.nics.size(), k_nic_slots);
    EXPECT_EQ(v.nics[0].network, "vmbr1");
    EXPECT_EQ(v.nics[0].mac, "52:54:00:AB:CD:EF");
    EXPECT_EQ(v.nics[1].network, "vmbr0");
    EXPECT_EQ(v.nics[1].mac, std::nullopt);
    EXPECT_EQ(v.nics[2].network, "vmbr0");
    EXPECT_EQ(v.nics[2].mac, std::nullopt);
    EXPECT_EQ(v.nics[3].network, "vmbr0");
    EXPECT_NE(find_note(notes, "net-bridge"), nullptr);

    // The appliance's network names are no bridges of the node unless the
    // user maps them (--net) or they already name one (vmbrN).
    auto u = vm(k_debian);
    nic(u, "virtio", "data");
    nic(u, "virtio", "data").network = "br-data";
    nic(u, "virtio", "vmbr7");
    nic(u, "virtio", "vmbr7x");
    nic(u, "virtio", "data").network = "br data";
    auto unotes = map(u);
    EXPECT_EQ(u.nics[0].network, "vmbr0");
    EXPECT_EQ(u.nics[1].network, "br-data");
    EXPECT_EQ(u.nics[2].network, "vmbr7");
    EXPECT_EQ(u.nics[3].network, "vmbr0");
    EXPECT_EQ(u.nics[4].network, "vmbr0");
    EXPECT_EQ(std::count_if(unotes.begin(), unotes.end(),
                            [](const PlanNote& n) { return n.code == "net-bridge"; }),
              3);
    EXPECT_NE(find_note(notes, "nic-mac"), nullptr);
    const PlanNote* drop = find_note(notes, "nic-count");
    ASSERT_NE(drop, nullptr);
    EXPECT_EQ(drop->action, NoteAction::dropped);
}

TEST(ProxmoxMap, NamesBecomeDnsNames) {
    EXPECT_EQ(dns_name("Web Server_01"), "Web-Server-01");
    EXPECT_EQ(dns_name("\"; rm -rf / #"), "rm-rf");
    EXPECT_EQ(dns_name("a..b.-c-."), "a.b.c");
    EXPECT_EQ(dns_name("a -_\tb"), "a-b");
    EXPECT_EQ(dns_name("$(reboot)`id`|x\ny"), "rebootidx-y");
    EXPECT_EQ(dns_name(std::string(100, 'a')), std::string(63, 'a'));
    EXPECT_EQ(dns_name("日本"), "");
    EXPECT_TRUE(is_dns_name("web-1.example"));
    EXPECT_FALSE(is_dns_name("-web"));

    auto v = vm(k_debian);
    v.name = "My VM\n#args: -foo";
    auto notes = map(v);
    EXPECT_EQ(v.name, "My-VM-args-foo");
    const PlanNote* n = find_note(notes, "name-dns");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->reason.find('\n'), std::string::npos);

    auto empty = vm(k_debian);
    empty.name = "???";
    empty.system_id = "vs_1";
    map(empty);
    EXPECT_EQ(empty.name, "vs-1");
}

TEST(ProxmoxMap, ResourcesAndFirmwareFlags) {
    auto v = vm(k_unknown);
    v.cpus = 0;
    v.memory_bytes = 5000;
    v.secure_boot = true;
    v.tpm = true;
    auto notes = map(v);
    EXPECT_EQ(v.cpus, 1u);
    EXPECT_EQ(v.memory_bytes, uint64_t{16} << 20);
    EXPECT_FALSE(v.secure_boot);
    EXPECT_NE(find_note(notes, "memory-min"), nullptr);
    EXPECT_NE(find_note(notes, "fw-secureboot"), nullptr);
    EXPECT_NE(find_note(notes, "tpm-state"), nullptr);
    EXPECT_NE(find_note(notes, "os-unmapped"), nullptr);

    auto long_text = vm(k_debian);
    long_text.description = std::string(8191, 'x') + "\xc3\xa9" + std::string(100, 'y');
    notes = map(long_text);
    EXPECT_EQ(long_text.description, std::string(8191, 'x'));
    EXPECT_NE(find_note(notes, "description-length"), nullptr);

    auto odd = vm(k_debian);
    odd.memory_bytes = (uint64_t{1} << 30) + 1;
    map(odd);
    EXPECT_EQ(odd.memory_bytes, uint64_t{1025} << 20);
}

TEST(ProxmoxMap, EveryMappedPlanPassesTheWritersCheck) {
    auto v = vm(k_win10, Firmware::efi);
    controller(v, "a", Bus::scsi, "lsilogic");
    controller(v, "b", Bus::nvme, "nvme");
    controller(v, "c", Bus::ide, "piix4");
    disk(v, "root", "a", 0);
    disk(v, "nv", "b", 0);
    disk(v, "old", "c", 3);
    v.cdroms.push_back(PlanCdrom{"c", 2, "", false});
    nic(v, "VmxNet3", "Bridged Network");
    v.name = "x\r\ny";
    map(v);
    ExportPlan plan;
    plan.vms.push_back(v);
    EXPECT_TRUE(write_config(plan, v)) << write_config(plan, v).error().message;
}

} // namespace
} // namespace ovfkit::platform::proxmox

namespace ovfkit::platform::proxmox {
namespace {

// The shared guest-OS table speaks qm's ostype vocabulary in every row, so
// no real guest falls back to `other` for want of a valid id.
TEST(ProxmoxMap, EveryGuestOsRowHasAnOstypeQmTakes) {
    size_t rows = 0;
    for (const auto& row : guest_os_table()) {
        EXPECT_TRUE(is_ostype(row.pve)) << row.key << ": '" << row.pve << "'";
        ++rows;
    }
    EXPECT_GT(rows, 20u);
    const GuestOsRow* win11 = find_guest_os("win11");
    ASSERT_NE(win11, nullptr);
    auto v = test::vm(*win11, Firmware::efi);
    auto notes = test::map(v);
    EXPECT_EQ(test::find_note(notes, "os-unmapped"), nullptr);
    ExportPlan plan;
    plan.vms.push_back(v);
    auto conf = write_config(plan, v);
    ASSERT_TRUE(conf) << conf.error().message;
    EXPECT_NE(conf->find("ostype: win11\n"), std::string::npos) << *conf;
}

} // namespace
} // namespace ovfkit::platform::proxmox
