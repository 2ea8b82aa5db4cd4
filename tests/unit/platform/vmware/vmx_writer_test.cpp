// The .vmx writer (vmx_writer.cpp): a golden file per kind of VM, and
// appliance strings that must stay one literal value on one line.
#include <map>
#include <regex>

#include "plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/vmware/vmx.hpp>

namespace ovfkit::platform::vmware {
namespace {

using namespace test;

ExportPlan plan_of(std::vector<PlanVm> vms, Flavor flavor = Flavor::vmx) {
    ExportPlan plan;
    plan.target = "vmware";
    plan.directory = "/tmp/out";
    plan.disk_format = "vmdk";
    for (auto& vm : vms) {
        map_vm(vm, {}, flavor);
        plan.vms.push_back(std::move(vm));
    }
    return plan;
}

// A reader the way libvirt's VMX parser reads (formats/vmware-virtualbox.md
// A5): one `key = "value"` per line, `|XX` decoded once; fails the test on
// any other line.
std::map<std::string, std::string> parse_vmx(const std::string& text) {
    static const std::regex line(R"re(^([A-Za-z0-9.:_-]+) = "([^"]*)"$)re");
    std::map<std::string, std::string> keys;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        EXPECT_NE(end, std::string::npos) << "no final newline";
        if (end == std::string::npos) {
            break;
        }
        std::string l = text.substr(start, end - start);
        std::smatch m;
        EXPECT_TRUE(std::regex_match(l, m, line)) << "not a vmx line: " << l;
        if (m.size() == 3) {
            std::string value;
            std::string raw = m[2];
            for (size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '|') {
                    EXPECT_LE(i + 2, raw.size() - 1) << l;
                    value += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
                    i += 2;
                } else {
                    value += raw[i];
                }
            }
            EXPECT_FALSE(keys.contains(m[1])) << "duplicate key " << m[1];
            keys[m[1]] = value;
        }
        start = end + 1;
    }
    return keys;
}

TEST(VmwareVmx, LinuxGolden) {
    auto plan = plan_of({kvm_debian()});
    auto files = write_vmx_files(plan);
    ASSERT_TRUE(files) << files.error().message;
    ASSERT_EQ(files->size(), 1u);
    EXPECT_EQ((*files)[0].name, "web.vmx");
    EXPECT_FALSE((*files)[0].executable);
    expect_golden("linux-bios.vmx", (*files)[0].content);
    auto keys = parse_vmx((*files)[0].content);
    EXPECT_EQ(keys["guestinfo.ovfEnv"], plan.vms[0].environment_xml);
    EXPECT_EQ(keys["scsi0.virtualDev"], "pvscsi");
    EXPECT_EQ(keys["scsi0:0.fileName"], "web-vmdisk1.vmdk");
    EXPECT_EQ(keys["sata0:0.deviceType"], "cdrom-image");
    EXPECT_EQ(keys["sata0:0.fileName"], "web-ovf-env.iso");
    EXPECT_EQ(keys["memsize"], "2048");
    EXPECT_EQ(keys["numvcpus"], "2");
    EXPECT_EQ(keys["cpuid.coresPerSocket"], "2");
    EXPECT_EQ(keys["virtualHW.version"], "10");
    EXPECT_FALSE(keys.contains("firmware"));
    EXPECT_TRUE((*files)[0].content.starts_with(".encoding = \"UTF-8\"\n"));
}

TEST(VmwareVmx, WindowsEfiGolden) {
    PlanVm vm = kvm_debian();
    vm.name = "Windows Server";
    vm.os.row = &k_win2019;
    vm.firmware = Firmware::efi;
    vm.secure_boot = true;
    vm.environment_xml.clear();
    vm.cdroms[0].environment = false;
    vm.cdroms[0].file_name.clear();
    vm.controllers = {controller("5", Bus::sata, "ahci"), controller("6", Bus::ide, "piix4")};
    vm.disks = {disk("vmdisk1", "5", 0), disk("vmdisk2", "6", 1)};
    vm.cdroms[0].controller = "5";
    vm.cdroms[0].unit = 1;
    vm.nics = {nic("LAN", "e1000e"), nic("DMZ", "vmxnet3")};
    vm.nics[1].mac = "52:54:00:12:34:56";
    vm.description = "line one\nline two";
    auto plan = plan_of({vm});
    auto files = write_vmx_files(plan);
    ASSERT_TRUE(files) << files.error().message;
    EXPECT_EQ((*files)[0].name, "Windows_Server.vmx");
    expect_golden("windows-efi.vmx", (*files)[0].content);
    auto keys = parse_vmx((*files)[0].content);
    EXPECT_EQ(keys["firmware"], "efi");
    EXPECT_EQ(keys["uefi.secureBoot.enabled"], "TRUE");
    EXPECT_EQ(keys["virtualHW.version"], "13");
    EXPECT_EQ(keys["guestOS"], "windows2019srv-64");
    EXPECT_EQ(keys["annotation"], "line one\nline two");
    EXPECT_EQ(keys["ide0:1.deviceType"], "ata-hardDisk");
    EXPECT_EQ(keys["sata0:1.fileName"], "emptyBackingString");
    EXPECT_EQ(keys["ethernet1.addressType"], "static");
    EXPECT_EQ(keys["ethernet1.address"], "52:54:00:12:34:56");
    EXPECT_EQ(keys["ethernet1.checkMACAddress"], "FALSE");
    EXPECT_EQ(keys["ethernet0.addressType"], "generated");
    EXPECT_FALSE(keys.contains("guestinfo.ovfEnv"));
}

TEST(VmwareVmx, InjectionStaysLiteral) {
    const std::vector<std::string> hostile{
        "x\"\nscsi0:0.fileName = \"/dev/sda",
        "a|0A|22b",
        "$(reboot)`id`",
        "</domain><domain>",
        "\"; rm -rf / #",
        "tab\there\r\nend\x7f",
    };
    for (const auto& s : hostile) {
        PlanVm vm = kvm_debian();
        vm.name = s;
        vm.description = s;
        vm.nics[0].network = s;
        vm.environment_xml = "<Environment>" + s + "</Environment>";
        auto plan = plan_of({vm});
        auto files = write_vmx_files(plan);
        ASSERT_TRUE(files) << files.error().message;
        auto keys = parse_vmx((*files)[0].content);
        EXPECT_EQ(keys["displayName"], s);
        EXPECT_EQ(keys["annotation"], s);
        EXPECT_EQ(keys["ethernet0.networkName"], s);
        EXPECT_EQ(keys["guestinfo.ovfEnv"], "<Environment>" + s + "</Environment>");
        EXPECT_EQ(keys["scsi0:0.fileName"], "web-vmdisk1.vmdk");
        const std::string& name = (*files)[0].name;
        EXPECT_EQ(name.find('/'), std::string::npos) << name;
        EXPECT_EQ(name.find('"'), std::string::npos) << name;
        EXPECT_NE(name.front(), '.') << name;
    }
}

TEST(VmwareVmx, RefusesWhatItCannotName) {
    PlanVm vm = kvm_debian();
    vm.disks[0].file_name = "../etc/shadow";
    auto plan = plan_of({vm});
    auto files = write_vmx_files(plan);
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().code, Errc::invalid);

    PlanVm mac = kvm_debian();
    mac.nics[0].mac = "00:50:56:00:00:01\nethernet0.present";
    plan = plan_of({mac});
    files = write_vmx_files(plan);
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().code, Errc::invalid);

    // Not mapped: a model VMware lacks.
    ExportPlan raw;
    raw.vms = {kvm_debian()};
    raw.vms[0].machine = "vmx-13";
    files = write_vmx_files(raw);
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().code, Errc::invalid);
}

TEST(VmwareVmx, OneFilePerVmWithUniqueNames) {
    PlanVm a = kvm_debian();
    PlanVm b = kvm_debian();
    b.name = "WEB";
    PlanVm c = kvm_debian();
    c.name = "con";
    auto plan = plan_of({a, b, c});
    auto files = write_vmx_files(plan);
    ASSERT_TRUE(files) << files.error().message;
    ASSERT_EQ(files->size(), 3u);
    EXPECT_EQ((*files)[0].name, "web.vmx");
    EXPECT_EQ((*files)[1].name, "WEB-2.vmx");
    EXPECT_EQ((*files)[2].name, "vm-con.vmx");
}

TEST(VmwareVmx, FileStemAndEscape) {
    EXPECT_EQ(vmx_file_stem(""), "vm");
    EXPECT_EQ(vmx_file_stem("../../etc/passwd"), "_.._etc_passwd");
    EXPECT_EQ(vmx_file_stem("Ubuntu 22.04 LTS"), "Ubuntu_22.04_LTS");
    EXPECT_EQ(vmx_file_stem("ünïcode"), "n_code");
    EXPECT_EQ(vmx_file_stem(std::string(200, 'a')).size(), 64u);
    EXPECT_EQ(vmx_escape("a\"b|c\nd\te#"), "a|22b|7Cc|0Ad|09e#");
    EXPECT_EQ(vmx_escape("Grüße"), "Grüße");
}

} // namespace
} // namespace ovfkit::platform::vmware
