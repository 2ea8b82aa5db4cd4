// The hyperv mapping: the generation from the firmware, the boot disk on the
// bus the generation boots from, Hyper-V's location limits, synthetic and
// legacy adapters by generation and guest, memory and processor bounds, and
// a note for every change.
#include <algorithm>

#include "plans.hpp"
#include <gtest/gtest.h>

namespace ovfkit::platform::hyperv {
namespace {

using namespace test;

TEST(HypervMap, BiosIsGeneration1WithTheBootDiskOnIde) {
    auto v = vm(k_debian);
    controller(v, "ctl", Bus::scsi, "lsilogic");
    disk(v, "root", "ctl", 0);
    disk(v, "data", "ctl", 1);
    auto notes = map(v);
    EXPECT_EQ(v.machine, "1");
    EXPECT_EQ(generation(v), 1);
    EXPECT_EQ(where(v.disks[0].controller, v.disks[0].unit), "IDE 0:0");
    EXPECT_TRUE(v.disks[0].boot);
    // A data disk takes a free IDE location first: every guest drives IDE.
    EXPECT_EQ(where(v.disks[1].controller, v.disks[1].unit), "IDE 0:1");
    const PlanNote* n = find_note(notes, "ctrl-hyperv");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::translated);
    EXPECT_NE(n->reason.find("generation 1 boots from IDE"), std::string::npos) << n->reason;
    ASSERT_NE(find_note(notes, "fw-generation"), nullptr); // Debian also runs as Gen 2
}

TEST(HypervMap, EfiIsGeneration2AllScsi) {
    auto v = vm(k_win2k19, Firmware::efi);
    v.secure_boot = true;
    controller(v, "ide", Bus::ide, "piix4");
    disk(v, "root", "ide", 1);
    env_cdrom(v, "ide", 0);
    auto notes = map(v);
    EXPECT_EQ(v.machine, "2");
    EXPECT_EQ(where(v.disks[0].controller, v.disks[0].unit), "SCSI 0:0");
    ASSERT_EQ(v.cdroms.size(), 1u);
    EXPECT_EQ(where(v.cdroms[0].controller, v.cdroms[0].unit), "SCSI 0:1");
    ASSERT_NE(find_note(notes, "ctrl-ide-gen2"), nullptr);
    EXPECT_EQ(secure_boot_template(v), "MicrosoftWindows");
    EXPECT_TRUE(v.secure_boot);
    ASSERT_NE(find_note(notes, "fw-nvram"), nullptr);
    ASSERT_EQ(v.controllers.size(), 1u);
    EXPECT_EQ(v.controllers[0].model, k_scsi_model);
}

TEST(HypervMap, SecureBootTemplateFollowsTheFamily) {
    auto linux_vm = vm(k_debian, Firmware::efi);
    map(linux_vm);
    EXPECT_EQ(secure_boot_template(linux_vm), "MicrosoftUEFICertificateAuthority");
    auto win = vm(k_win2k19, Firmware::efi);
    map(win);
    EXPECT_EQ(secure_boot_template(win), "MicrosoftWindows");
}

TEST(HypervMap, Generation1DropsSecureBootAndTpm) {
    auto v = vm(k_win2k19);
    v.secure_boot = true;
    v.tpm = true;
    auto notes = map(v);
    EXPECT_FALSE(v.secure_boot);
    EXPECT_FALSE(v.tpm);
    ASSERT_NE(find_note(notes, "fw-secureboot"), nullptr);
    EXPECT_EQ(find_note(notes, "fw-secureboot")->action, NoteAction::dropped);
    ASSERT_NE(find_note(notes, "tpm-state"), nullptr);
    EXPECT_EQ(find_note(notes, "tpm-state")->action, NoteAction::dropped);
}

TEST(HypervMap, ThirtyTwoBitUefiGuestIsNoted) {
    auto v = vm(k_other32, Firmware::efi);
    auto notes = map(v);
    const PlanNote* n = find_note(notes, "arch");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::dropped);
}

// Gen 1: boot IDE 0:0, environment DVD IDE 1:0, two more disks on IDE,
// the rest on synthetic SCSI; NVMe and PVSCSI noted with their codes.
TEST(HypervMap, Generation1IdeFillsThenScsi) {
    auto v = vm(k_debian);
    controller(v, "lsi", Bus::scsi, "lsilogic");
    controller(v, "pv", Bus::scsi, "pvscsi", 1);
    controller(v, "nv", Bus::nvme, "nvme");
    disk(v, "d0", "lsi", 0);
    disk(v, "d1", "lsi", 1);
    disk(v, "d2", "pv", 0);
    disk(v, "d3", "nv", 0);
    disk(v, "d4", "nv", 1);
    env_cdrom(v);
    auto notes = map(v);
    std::vector<std::string> got;
    for (const auto& d : v.disks) {
        got.push_back(where(d.controller, d.unit));
    }
    EXPECT_EQ(got,
              (std::vector<std::string>{"IDE 0:0", "IDE 0:1", "IDE 1:1", "SCSI 0:0", "SCSI 0:1"}));
    ASSERT_EQ(v.cdroms.size(), 1u);
    EXPECT_EQ(where(v.cdroms[0].controller, v.cdroms[0].unit), "IDE 1:0");
    EXPECT_NE(find_note(notes, "ctrl-pvscsi"), nullptr);
    EXPECT_NE(find_note(notes, "ctrl-nvme"), nullptr);
    EXPECT_EQ(find_note(notes, "ctrl-synthetic"), nullptr); // Debian drives synthetic SCSI
    EXPECT_EQ(v.controllers.size(), 3u);                    // ide0, ide1, scsi0
}

TEST(HypervMap, Generation1ScsiDiskOfAGuestWithoutDriversIsNoted) {
    auto v = vm(k_linux_any);
    controller(v, "lsi", Bus::scsi, "lsilogic");
    for (int i = 0; i < 5; ++i) {
        disk(v, "d" + std::to_string(i), "lsi", static_cast<unsigned>(i));
    }
    auto notes = map(v);
    EXPECT_EQ(where(v.disks[3].controller, v.disks[3].unit), "IDE 1:1");
    EXPECT_EQ(where(v.disks[4].controller, v.disks[4].unit), "SCSI 0:0");
    ASSERT_NE(find_note(notes, "ctrl-synthetic"), nullptr);
}

TEST(HypervMap, Generation1KeepsIdeAddressesItCan) {
    auto v = vm(k_debian);
    controller(v, "ide0", Bus::ide, "piix4", 0);
    controller(v, "ide1", Bus::ide, "piix4", 1);
    disk(v, "root", "ide0", 0);
    disk(v, "data", "ide1", 1);
    auto notes = map(v);
    EXPECT_EQ(where(v.disks[1].controller, v.disks[1].unit), "IDE 1:1");
    EXPECT_EQ(find_note(notes, "ctrl-unit"), nullptr);
    EXPECT_EQ(find_note(notes, "ctrl-hyperv"), nullptr);
    // A hostile address is not kept.
    auto h = vm(k_debian);
    controller(h, "ide0", Bus::ide, "piix4", 0);
    disk(h, "root", "ide0", 0);
    disk(h, "data", "ide0", 4294967295u);
    notes = map(h);
    EXPECT_EQ(where(h.disks[1].controller, h.disks[1].unit), "IDE 0:1");
    EXPECT_NE(find_note(notes, "ctrl-unit"), nullptr);
}

TEST(HypervMap, Generation2SpreadsOverFourScsiControllers) {
    auto v = vm(k_debian, Firmware::efi);
    controller(v, "s", Bus::scsi, "virtio-scsi");
    for (unsigned i = 0; i < 64; ++i) {
        disk(v, "d" + std::to_string(i), "s", i, 1);
    }
    env_cdrom(v);
    map(v);
    EXPECT_EQ(where(v.disks[63].controller, v.disks[63].unit), "SCSI 0:63");
    EXPECT_EQ(where(v.cdroms[0].controller, v.cdroms[0].unit), "SCSI 1:0");
    EXPECT_EQ(v.controllers.size(), 2u);
}

TEST(HypervMap, Generation1DvdsBeyondIdeAreDropped) {
    auto v = vm(k_debian);
    controller(v, "ide0", Bus::ide, "piix4", 0);
    controller(v, "ide1", Bus::ide, "piix4", 1);
    disk(v, "a", "ide0", 0);
    disk(v, "b", "ide0", 1);
    disk(v, "c", "ide1", 1);
    env_cdrom(v, "ide1", 0);
    v.cdroms.push_back(PlanCdrom{"ide1", 1, "", false});
    auto notes = map(v);
    EXPECT_EQ(v.cdroms.size(), 1u);
    EXPECT_TRUE(v.cdroms[0].environment);
    const PlanNote* n = find_note(notes, "ctrl-count");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::dropped);
}

TEST(HypervMap, NicsAreSyntheticOrLegacyByGenerationAndGuest) {
    // A guest with synthetic drivers: every model becomes synthetic, a
    // legacy adapter stays legacy in Gen 1.
    auto v = vm(k_debian);
    nic(v, "vmxnet3", "VM Network", "External");
    nic(v, "hyperv-legacy", "VM Network", "External");
    auto notes = map(v);
    EXPECT_EQ(v.nics[0].model, k_synthetic);
    EXPECT_EQ(v.nics[1].model, k_legacy);
    EXPECT_NE(find_note(notes, "nic-model"), nullptr);
    // Gen 2 has no legacy adapter.
    auto g2 = vm(k_debian, Firmware::efi);
    nic(g2, "hyperv-legacy", "n");
    notes = map(g2);
    EXPECT_EQ(g2.nics[0].model, k_synthetic);
    EXPECT_NE(find_note(notes, "nic-legacy-gen2"), nullptr);
    // Windows XP has no synthetic driver: 4 legacy adapters, then synthetic.
    auto xp = vm(k_winxp);
    for (int i = 0; i < 5; ++i) {
        nic(xp, "pcnet", "n");
    }
    notes = map(xp);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(xp.nics[static_cast<size_t>(i)].model, k_legacy) << i;
    }
    EXPECT_EQ(xp.nics[4].model, k_synthetic);
    auto fifth = std::find_if(notes.begin(), notes.end(), [](const PlanNote& n) {
        return n.code == "nic-model" && n.item == "NIC 4 (pcnet)";
    });
    ASSERT_NE(fifth, notes.end());
    EXPECT_NE(fifth->reason.find("integration services"), std::string::npos) << fifth->reason;
}

TEST(HypervMap, NicsBeyondTheLimitAreDropped) {
    auto v = vm(k_debian, Firmware::efi);
    for (unsigned i = 0; i < k_synthetic_nics + 2; ++i) {
        nic(v, "virtio", "n");
    }
    auto notes = map(v);
    EXPECT_EQ(v.nics.size(), k_synthetic_nics);
    const PlanNote* n = find_note(notes, "nic-count");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::dropped);
}

TEST(HypervMap, SwitchesAndMacs) {
    auto v = vm(k_debian);
    nic(v, "e1000", "VM Network", "External");
    nic(v, "e1000", "Internal");
    nic(v, "e1000", "");
    v.nics[0].mac = "00:15:5d:0a:0b:0c";
    v.nics[1].mac = "01:00:5e:00:00:01"; // multicast
    auto notes = map(v);
    EXPECT_EQ(v.nics[0].network, "External");
    EXPECT_EQ(v.nics[1].network, "Internal");
    EXPECT_EQ(v.nics[2].network, "");
    ASSERT_TRUE(v.nics[0].mac);
    EXPECT_EQ(*v.nics[0].mac, "00:15:5D:0A:0B:0C");
    EXPECT_FALSE(v.nics[1].mac);
    EXPECT_NE(find_note(notes, "nic-mac"), nullptr);
    size_t switch_notes = 0;
    for (const auto& n : notes) {
        switch_notes += n.code == "net-switch" ? 1 : 0;
    }
    EXPECT_EQ(switch_notes, 2u); // the unmapped one and the unconnected one
    EXPECT_EQ(static_mac("00-15-5D-0A-0B-0C"), "00155D0A0B0C");
    EXPECT_EQ(static_mac("00:15:5D:0A:0B"), "");
    EXPECT_EQ(static_mac("00:00:00:00:00:00"), "");
    EXPECT_EQ(static_mac("0g:15:5D:0A:0B:0C"), "");
}

TEST(HypervMap, MemoryAndProcessorsInHypervBounds) {
    auto v = vm(k_debian);
    v.memory_bytes = (uint64_t{511} << 20) + 1;
    v.cpus = 100;
    auto notes = map(v);
    EXPECT_EQ(v.memory_bytes, uint64_t{512} << 20);
    EXPECT_EQ(v.cpus, k_max_cpus_gen1);
    EXPECT_NE(find_note(notes, "memory-round"), nullptr);
    EXPECT_NE(find_note(notes, "cpu-count"), nullptr);

    auto tiny = vm(k_debian, Firmware::efi);
    tiny.memory_bytes = 4 << 20;
    tiny.cpus = 100;
    map(tiny);
    EXPECT_EQ(tiny.memory_bytes, k_min_memory);
    EXPECT_EQ(tiny.cpus, 100u); // Gen 2 takes 240
}

TEST(HypervMap, DynamicMemory) {
    auto v = vm(k_debian);
    v.memory_bytes = uint64_t{1024} << 20;
    v.memory_min_bytes = uint64_t{511} << 20;
    v.memory_max_bytes = uint64_t{4096} << 20;
    auto notes = map(v);
    EXPECT_EQ(v.memory_min_bytes, uint64_t{512} << 20);
    EXPECT_EQ(v.memory_max_bytes, uint64_t{4096} << 20);
    const PlanNote* n = find_note(notes, "memory-dynamic");
    ASSERT_NE(n, nullptr);
    EXPECT_NE(n->reason.find("from 512 to 4096 MiB"), std::string::npos) << n->reason;
}

TEST(HypervMap, NamesLoseControlsAndLength) {
    auto v = vm(k_debian);
    v.name = "web\nserver\x7f";
    auto notes = map(v);
    EXPECT_EQ(v.name, "web server ");
    EXPECT_NE(find_note(notes, "name-hyperv"), nullptr);
    auto longer = vm(k_debian);
    longer.name = std::string(99, 'a') + "\xc3\xa9\xc3\xa9"; // 101 characters
    map(longer);
    EXPECT_EQ(longer.name, std::string(99, 'a') + "\xc3\xa9");
    auto blank = vm(k_debian);
    blank.name = "\n\t";
    blank.system_id = "sys";
    map(blank);
    EXPECT_EQ(blank.name, "sys");
}

TEST(HypervMap, VhdOnGeneration2IsDropped) {
    auto v = vm(k_debian, Firmware::efi);
    controller(v, "s", Bus::scsi, "virtio-scsi");
    disk(v, "root", "s", 0);
    auto notes = map(v, "vhd-fixed");
    const PlanNote* n = find_note(notes, "disk-format-gen2");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->action, NoteAction::dropped);
    auto g1 = vm(k_debian);
    controller(g1, "s", Bus::scsi, "virtio-scsi");
    disk(g1, "root", "s", 0);
    EXPECT_EQ(find_note(map(g1, "vhd-fixed"), "disk-format-gen2"), nullptr);
}

TEST(HypervMap, SyntheticDriversByGuest) {
    EXPECT_TRUE(has_synthetic_drivers(&k_debian));
    EXPECT_TRUE(has_synthetic_drivers(&k_win2k19));
    EXPECT_FALSE(has_synthetic_drivers(&k_winxp));
    EXPECT_FALSE(has_synthetic_drivers(&k_linux_any));
    EXPECT_FALSE(has_synthetic_drivers(&k_other32));
    EXPECT_FALSE(has_synthetic_drivers(nullptr));
}

} // namespace
} // namespace ovfkit::platform::hyperv
