// The .vbox writer (vbox_writer.cpp): a golden file per kind of VM, each
// parsed back by the library's reader (vbox_reader.cpp) and by the XML
// layer alone, and appliance strings that must stay literal and well-formed.
#include "plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/virtualbox/vbox_reader.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::virtualbox {
namespace {

using namespace test;

PlanVm mapped(PlanVm vm) {
    map_vm(vm, {});
    return vm;
}

// What the reader gives back must be what the plan said: CPUs, memory,
// firmware, every disk (controller type, port, device, file, UUID), every
// DVD image, every NIC (type, MAC, attachment).
void expect_round_trip(const PlanVm& vm, const MachineIds& ids, const VboxMachine& m) {
    EXPECT_EQ(m.uuid, uuid_text(ids.machine));
    EXPECT_EQ(m.name, vm.name);
    EXPECT_EQ(m.os_type, os_type(vm));
    EXPECT_EQ(m.cpus, vm.cpus);
    EXPECT_EQ(m.memory_mib * 1024 * 1024, vm.memory_bytes);
    EXPECT_EQ(m.firmware, vm.firmware == Firmware::efi ? "EFI" : "BIOS");
    EXPECT_EQ(m.settings_version, vm.machine);
    ASSERT_EQ(m.controllers.size(), vm.controllers.size());
    size_t devices = 0;
    for (const auto& c : m.controllers) {
        devices += c.devices.size();
    }
    EXPECT_EQ(devices, vm.disks.size() + vm.cdroms.size());
    auto find_device = [&](const PlanController& pc, unsigned unit) -> const VboxDevice* {
        unsigned per_port = devices_per_port(pc.model);
        for (const auto& c : m.controllers) {
            if (c.type != pc.model) {
                continue;
            }
            for (const auto& d : c.devices) {
                if (d.port == unit / per_port && d.device == unit % per_port) {
                    return &d;
                }
            }
        }
        return nullptr;
    };
    for (const auto& d : vm.disks) {
        const PlanController* pc = vm.controller(d.controller);
        ASSERT_NE(pc, nullptr);
        const VboxDevice* dev = find_device(*pc, d.unit);
        ASSERT_NE(dev, nullptr) << d.disk_id;
        EXPECT_EQ(dev->type, "HardDisk");
        ASSERT_TRUE(dev->image);
        EXPECT_EQ(*dev->image, uuid_text(*d.uuid));
        const VboxMedium* medium = m.medium(*dev->image);
        ASSERT_NE(medium, nullptr);
        EXPECT_EQ(medium->location, d.file_name);
        EXPECT_TRUE(medium->inside);
        EXPECT_EQ(medium->format, "VDI");
    }
    size_t image = 0;
    for (const auto& cd : vm.cdroms) {
        const PlanController* pc = vm.controller(cd.controller);
        ASSERT_NE(pc, nullptr);
        const VboxDevice* dev = find_device(*pc, cd.unit);
        ASSERT_NE(dev, nullptr);
        EXPECT_EQ(dev->type, "DVD");
        if (cd.file_name.empty()) {
            EXPECT_FALSE(dev->image);
            continue;
        }
        ASSERT_TRUE(dev->image);
        EXPECT_EQ(*dev->image, uuid_text(ids.images[image++]));
        const VboxMedium* medium = m.medium(*dev->image);
        ASSERT_NE(medium, nullptr);
        EXPECT_EQ(medium->kind, MediumKind::dvd);
        EXPECT_EQ(medium->location, cd.file_name);
    }
    ASSERT_EQ(m.adapters.size(), vm.nics.size());
    size_t generated = 0;
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        const auto& a = m.adapters[i];
        EXPECT_EQ(a.slot, i);
        EXPECT_EQ(a.type, vm.nics[i].model);
        EXPECT_EQ(a.mac, vm.nics[i].mac ? *vm.nics[i].mac : ids.macs[generated++]);
        auto att = attachment(vm.nics[i].network);
        ASSERT_TRUE(att);
        EXPECT_EQ(a.attachment, att->kind);
        EXPECT_EQ(a.network, att->kind == "nat" ? "" : att->name);
    }
    EXPECT_EQ(m.boot_order, (std::vector<std::string>{"HardDisk", "DVD"}));
}

// The XML layer on its own (libxml2 under the project's hardened loader):
// well-formed, and the Machine's name as an attribute.
std::string libxml2_machine_name(const std::string& text) {
    auto doc = xml::Document::parse(text, "x.vbox");
    EXPECT_TRUE(doc) << (doc ? "" : doc.error().message) << text;
    if (!doc) {
        return {};
    }
    auto machine = doc->root().first_child("http://www.virtualbox.org/", "Machine");
    EXPECT_TRUE(machine);
    return machine ? machine.attribute("", "name").value_or("") : std::string{};
}

void check(const std::string& golden, const PlanVm& vm) {
    MachineIds ids = ids_for(vm);
    auto text = render_vbox(vm, ids);
    ASSERT_TRUE(text) << text.error().message;
    expect_golden(golden, *text);
    EXPECT_EQ(libxml2_machine_name(*text), vm.name);
    auto back = read_vbox(*text, golden);
    ASSERT_TRUE(back) << back.error().message;
    expect_round_trip(vm, ids, *back);
}

TEST(VirtualboxVbox, BiosLinuxOnAhci) {
    PlanVm vm = mapped(bios_linux_ahci());
    EXPECT_EQ(vm.machine, "1.16");
    EXPECT_EQ(vm.controllers[0].model, "AHCI");
    EXPECT_EQ(vm.nics[0].model, "82545EM");
    EXPECT_EQ(vm.nics[0].network, "nat:VM Network");
    check("bios-linux-ahci.vbox", vm);
}

TEST(VirtualboxVbox, EfiWindowsOnNvme) {
    PlanVm vm = mapped(efi_windows_nvme());
    EXPECT_EQ(vm.controllers[0].model, "NVMe");
    EXPECT_EQ(vm.nics[0].model, "82540EM");
    EXPECT_EQ(vm.nics[0].mac, "005056010203");
    check("efi-windows-nvme.vbox", vm);
}

TEST(VirtualboxVbox, MultiNic) {
    PlanVm vm = bios_linux_ahci();
    vm.name = "router";
    vm.nics = {nic("outside", "e1000"), nic("inside", "virtio"), nic("dmz", "pcnet"),
               nic("mgmt", "vmxnet3"), nic("", "e1000e")};
    vm.nics[1].network = "intnet:backend";    // --net inside=intnet:backend
    vm.nics[2].network = "bridged:eth0";      // --net dmz=bridged:eth0
    vm.nics[3].network = "hostonly:vboxnet0"; // --net mgmt=hostonly:vboxnet0
    vm = mapped(std::move(vm));
    EXPECT_EQ(vm.nics[0].network, "nat:outside");
    EXPECT_EQ(vm.nics[3].model, "virtio"); // Debian 12 drives virtio in-box
    EXPECT_EQ(vm.nics[4].model, "82540EM");
    EXPECT_EQ(vm.nics[4].network, "nat:");
    check("multi-nic.vbox", vm);
}

TEST(VirtualboxVbox, CdromsOnIde) {
    // A BIOS guest on PIIX4: the disk master of the first channel, an empty
    // drive its slave, the environment CD on the second channel.
    PlanVm vm = bios_linux_ahci();
    vm.name = "ide";
    vm.controllers = {controller("1", Bus::ide, "piix4")};
    vm.disks = {disk("vmdisk1", "1", 0, 0x31)};
    PlanCdrom empty;
    empty.controller = "1";
    empty.unit = 1;
    vm.cdroms = {empty, environment_cd("1", 2)};
    vm = mapped(std::move(vm));
    EXPECT_EQ(vm.controllers[0].model, "PIIX4");
    check("ide-cdroms.vbox", vm);
}

TEST(VirtualboxVbox, VirtioScsiNeedsSettings118) {
    PlanVm vm = bios_linux_ahci();
    vm.controllers = {controller("3", Bus::scsi, "virtio-scsi"),
                      controller("4", Bus::sata, "ahci")};
    vm.disks = {disk("vmdisk1", "3", 0, 0x41)};
    vm.cdroms = {environment_cd("4", 0)};
    vm = mapped(std::move(vm));
    EXPECT_EQ(vm.machine, "1.18");
    MachineIds ids = ids_for(vm);
    auto text = render_vbox(vm, ids);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_NE(text->find("version=\"1.18-linux\""), std::string::npos);
    // 1.17+ keep the controllers under Hardware.
    auto hw_end = text->find("</Hardware>");
    auto controllers = text->find("<StorageControllers>");
    ASSERT_NE(controllers, std::string::npos);
    EXPECT_LT(controllers, hw_end);
    auto back = read_vbox(*text, "x.vbox");
    ASSERT_TRUE(back) << back.error().message;
    expect_round_trip(vm, ids, *back);
    EXPECT_EQ(back->controllers[0].type, "VirtioSCSI");
}

// The injection strings of part 1 as the VM name, the description, a
// network name remembered for NAT and an internal network's name: the file
// stays well-formed and each reads back byte for byte.
TEST(VirtualboxVbox, InjectionStringsStayLiteral) {
    const std::string hostile =
        "x'\"</Machine><Machine name=\"evil\"/>$(rm -rf ~)|`id`; \"; rm -rf / &amp; <!-- -->\n"
        "second line\ttab ]]> &#10; \xC3\xA9";
    PlanVm vm = bios_linux_ahci();
    vm.name = hostile;
    vm.description = hostile;
    vm.nics = {nic(hostile, "e1000"), nic("b", "e1000")};
    vm.nics[1].network = "intnet:" + hostile;
    vm = mapped(std::move(vm));
    MachineIds ids = ids_for(vm);
    auto text = render_vbox(vm, ids);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(libxml2_machine_name(*text), hostile);
    auto back = read_vbox(*text, "x.vbox");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->name, hostile);
    EXPECT_EQ(back->description, hostile);
    ASSERT_EQ(back->adapters.size(), 2u);
    EXPECT_EQ(back->adapters[0].attachment, "nat");
    EXPECT_EQ(back->adapters[1].attachment, "intnet");
    EXPECT_EQ(back->adapters[1].network, hostile);
    EXPECT_EQ(back->controllers.size(), 1u);
    // The remembered name is the DisabledModes' internal network.
    EXPECT_NE(text->find("<DisabledModes>"), std::string::npos);
}

TEST(VirtualboxVbox, RefusesWhatXmlCannotCarry) {
    for (std::string bad : {std::string("a\x01z"), std::string("a\x1b[31mred"),
                            std::string("\xC3\x28"), std::string("\xED\xA0\x80")}) {
        PlanVm vm = mapped(bios_linux_ahci());
        vm.name = bad;
        auto text = render_vbox(vm, ids_for(vm));
        ASSERT_FALSE(text);
        EXPECT_EQ(text.error().code, Errc::invalid);
        EXPECT_NE(text.error().message.find("the VM name"), std::string::npos)
            << text.error().message;
        EXPECT_EQ(text.error().message.find('\n'), std::string::npos);
    }
}

TEST(VirtualboxVbox, RefusesUnmappedPlans) {
    PlanVm vm = mapped(bios_linux_ahci());
    vm.disks[0].uuid.reset();
    EXPECT_FALSE(render_vbox(vm, ids_for(vm)));
    vm = mapped(bios_linux_ahci());
    vm.disks[0].format = "qcow2";
    EXPECT_FALSE(render_vbox(vm, ids_for(vm)));
    vm = mapped(bios_linux_ahci());
    vm.nics[0].model = "vmxnet3";
    EXPECT_FALSE(render_vbox(vm, ids_for(vm)));
    vm = mapped(bios_linux_ahci());
    vm.disks[0].unit = 30;
    EXPECT_FALSE(render_vbox(vm, ids_for(vm)));
    vm = mapped(bios_linux_ahci());
    vm.controllers.push_back(controller("9", Bus::sata, "AHCI"));
    EXPECT_FALSE(render_vbox(vm, ids_for(vm)));
}

TEST(VirtualboxVbox, FilesPerVmWithFreshIds) {
    ExportPlan plan;
    plan.target = "virtualbox";
    plan.disk_format = "vdi";
    PlanVm a = mapped(bios_linux_ahci());
    PlanVm b = mapped(bios_linux_ahci());
    b.disks[0].file_name = "other-disk.vdi";
    b.disks[0].uuid = fixed_uuid(0x77);
    b.name = "web"; // the same name: a second file
    a.name = "../../etc/passwd";
    plan.vms = {a, b, b};
    auto files = write_vbox_files(plan);
    ASSERT_TRUE(files) << files.error().message;
    ASSERT_EQ(files->size(), 3u);
    EXPECT_EQ((*files)[0].name.find('/'), std::string::npos);
    EXPECT_NE((*files)[0].name.front(), '.');
    EXPECT_TRUE((*files)[0].name.ends_with(".vbox"));
    EXPECT_EQ((*files)[1].name, "web.vbox");
    EXPECT_EQ((*files)[2].name, "web-2.vbox");
    auto m1 = read_vbox((*files)[1].content, "1");
    auto m2 = read_vbox((*files)[2].content, "2");
    ASSERT_TRUE(m1 && m2);
    EXPECT_NE(m1->uuid, m2->uuid);
    ASSERT_EQ(m1->adapters.size(), 1u);
    EXPECT_TRUE(m1->adapters[0].mac->starts_with("080027"));
    EXPECT_EQ(m1->media.size(), 2u);
    EXPECT_NE(m1->media[1].uuid, m2->media[1].uuid); // the environment ISOs
}

} // namespace
} // namespace ovfkit::platform::virtualbox
