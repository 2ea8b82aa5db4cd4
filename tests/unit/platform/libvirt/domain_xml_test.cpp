// The libvirt writer: golden domain files for hand-built plans (mapped
// first), the same files checked by virt-xml-validate when it is
// installed, appliance strings carried literally, and refusals.
#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "plans.hpp"
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/map.hpp>
#include <ovfkit/xml/document.hpp>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::platform::libvirt {
namespace {

namespace fs = std::filesystem;
using namespace ovfkit::test::libvirt_plans;

constexpr std::string_view k_dir = "/var/lib/ovfkit/export";

std::string_view action_name(NoteAction a) {
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

struct Case {
    std::string name;
    std::vector<PlanVm> vms;
    std::string collection;
};

std::vector<Case> cases() {
    Case collection{"collection", {debian_lsilogic(), ubuntu_virtio_scsi()}, "web tier\n# x"};
    collection.vms[0].name = "web/1";
    collection.vms[0].start_order = 1;
    collection.vms[0].stop_delay_s = 10;
    collection.vms[1].name = "web 1"; // a domain of its own, but its file would be web_1.xml
    collection.vms[1].start_order = 2;
    collection.vms[1].start_delay_s = 30;
    return {
        {"debian-bios-lsilogic", {debian_lsilogic()}, ""},
        {"windows2019-bios-ide", {windows_ide()}, ""},
        {"windows11-uefi-secureboot", {windows11_efi()}, ""},
        {"ubuntu-uefi-virtio-scsi", {ubuntu_virtio_scsi()}, ""},
        {"other-eight-sata-disks", {other_many_disks()}, ""},
        collection,
    };
}

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

struct Rendered {
    ExportPlan plan;
    std::string notes;
    std::vector<OutputFile> files;
};

Rendered render(Case c, std::string_view format = "qcow2") {
    Rendered r;
    r.plan.target = "libvirt";
    r.plan.directory = std::string(k_dir);
    r.plan.disk_format = std::string(format);
    r.plan.collection_name = c.collection;
    for (auto& vm : c.vms) {
        for (auto& d : vm.disks) {
            d.format = std::string(format);
        }
        for (const auto& n : map_vm(vm, MapContext{format})) {
            r.notes += fmt::format("{} {} {} [{}]: {}\n", vm.path, n.code, action_name(n.action),
                                   n.item, n.reason);
        }
        r.plan.vms.push_back(std::move(vm));
    }
    auto files = write_files(r.plan);
    EXPECT_TRUE(files.has_value()) << (files ? "" : files.error().message);
    if (files) {
        r.files = std::move(*files);
    }
    return r;
}

std::string golden_text(const Rendered& r) {
    std::string s = "# notes\n" + r.notes;
    for (const auto& f : r.files) {
        s += fmt::format("==> {} <==\n{}", f.name, f.content);
    }
    return s;
}

bool updating() {
    const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN");
    return v != nullptr && std::string_view(v) == "1";
}

class LibvirtGolden : public testing::TestWithParam<Case> {};

TEST_P(LibvirtGolden, DomainFilesMatchTheGoldenFile) {
    const Case& c = GetParam();
    std::string actual = golden_text(render(c));
    fs::path path =
        fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "libvirt" / (c.name + ".txt");
    if (updating()) {
        fs::create_directories(path.parent_path());
        test::write_text(path.string(), actual);
        return;
    }
    ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    EXPECT_EQ(test::read_text(path.string()), actual)
        << "the libvirt output for " << c.name << " changed; if intended, regenerate with "
        << "OVFKIT_UPDATE_GOLDEN=1 and review the diff";
}

// Every domain the goldens pin is one libvirt's own grammar accepts.
TEST_P(LibvirtGolden, VirtXmlValidateAcceptsEveryDomain) {
    if (!test::have_tool("virt-xml-validate")) {
        GTEST_SKIP() << "virt-xml-validate is not installed (Debian: libvirt-clients)";
    }
    for (std::string_view format : {"qcow2", "raw"}) {
        Rendered r = render(GetParam(), format);
        ASSERT_FALSE(r.files.empty());
        test::TempDir dir;
        for (const auto& f : r.files) {
            if (f.name == "start-order.txt") {
                continue;
            }
            test::write_text(dir.file(f.name), f.content);
            std::string out;
            EXPECT_EQ(test::run_tool("virt-xml-validate '" + dir.file(f.name) + "' domain", &out),
                      0)
                << f.name << ":\n"
                << out << f.content;
        }
    }
}

// The tab-indented lines of a --print-source section.
std::vector<std::string> entries(const std::string& section) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < section.size()) {
        size_t nl = section.find('\n', pos);
        std::string line = section.substr(pos, nl == std::string::npos ? nl : nl - pos);
        if (line.starts_with("\t")) {
            lines.push_back(line);
        }
        pos = nl == std::string::npos ? section.size() : nl + 1;
    }
    return lines;
}

// What virt-v2v's libvirt input reads back from each domain: the CPUs,
// memory, disks (on the mapped bus), CD-ROMs and NICs the plan chose.
TEST_P(LibvirtGolden, VirtV2vReadsTheChosenHardware) {
    for (const char* tool : {"virt-v2v", "nbdkit", "qemu-img"}) {
        if (!test::have_tool(tool)) {
            GTEST_SKIP() << tool << " is not installed (Debian: virt-v2v, nbdkit, qemu-utils)";
        }
    }
    test::TempDir dir;
    Case c = GetParam();
    Rendered r = render(c);
    // The files the domains name, so that virt-v2v can open them.
    r.plan.directory = dir.path();
    auto files = write_files(r.plan);
    ASSERT_TRUE(files.has_value()) << files.error().message;
    for (size_t k = 0; k < r.plan.vms.size(); ++k) {
        const PlanVm& vm = r.plan.vms[k];
        for (const auto& d : vm.disks) {
            ASSERT_EQ(test::run("qemu-img create -q -f qcow2 '" + dir.file(d.file_name) + "' 1M"),
                      0);
        }
        for (const auto& cd : vm.cdroms) {
            if (!cd.file_name.empty()) {
                test::write_text(dir.file(cd.file_name), std::string(2048, 'x'));
            }
        }
        const OutputFile& f = (*files)[k];
        test::write_text(dir.file(f.name), f.content);
        std::string out;
        ASSERT_EQ(test::run_tool(
                      "virt-v2v -q -i libvirtxml '" + dir.file(f.name) + "' --print-source", &out),
                  0)
            << out;
        EXPECT_NE(out.find(fmt::format("memory: {} (bytes)", vm.memory_bytes)), std::string::npos)
            << out;
        EXPECT_NE(out.find(fmt::format("nr vCPUs: {}", vm.cpus)), std::string::npos) << out;
        if (vm.firmware == Firmware::efi) {
            EXPECT_NE(out.find("firmware: uefi"), std::string::npos) << out;
        } else {
            EXPECT_EQ(out.find("firmware: uefi"), std::string::npos) << out;
        }
        // "disks:" lists one line per disk with its bus, "NICs:" one per NIC.
        auto section = [&](std::string_view head, std::string_view next) {
            auto a = out.find(head);
            auto b = out.find(next, a);
            return a == std::string::npos ? std::string()
                                          : out.substr(a + head.size(), b - a - head.size());
        };
        std::string disks = section("disks:\n", "removable media:");
        std::string media = section("removable media:\n", "NICs:");
        std::string nics = section("NICs:\n", "\n\n");
        for (size_t i = 0; i < vm.disks.size(); ++i) {
            const PlanController* ctrl = nullptr;
            for (const auto& pc : vm.controllers) {
                ctrl = pc.id == vm.disks[i].controller ? &pc : ctrl;
            }
            ASSERT_NE(ctrl, nullptr);
            std::string bus = ctrl->bus == Bus::virtio ? "virtio-blk"
                              : ctrl->bus == Bus::sata ? "sata"
                              : ctrl->bus == Bus::ide  ? "ide"
                                                      : "virtio-scsi"; // the only SCSI model mapped
            EXPECT_NE(disks.find(fmt::format("{} [{}]", i, bus)), std::string::npos)
                << "disk " << i << " on " << bus << " in\n"
                << out;
        }
        EXPECT_EQ(entries(disks).size(), vm.disks.size()) << out;
        EXPECT_EQ(entries(media).size(), vm.cdroms.size()) << out;
        auto nic_lines = entries(nics);
        ASSERT_EQ(nic_lines.size(), vm.nics.size()) << out;
        for (size_t i = 0; i < vm.nics.size(); ++i) {
            const PlanNic& nic = vm.nics[i];
            EXPECT_TRUE(nic_lines[i].starts_with(fmt::format("\tNetwork \"{}\"", nic.network)))
                << nic_lines[i];
            EXPECT_TRUE(nic_lines[i].ends_with(fmt::format("[{}]", nic.model))) << nic_lines[i];
            if (nic.mac) {
                EXPECT_NE(nic_lines[i].find("mac: " + *nic.mac), std::string::npos) << nic_lines[i];
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Plans, LibvirtGolden, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& param) {
                             std::string n = param.param.name;
                             for (char& ch : n) {
                                 ch = ch == '-' ? '_' : ch;
                             }
                             return n;
                         });

// The hostile strings of the brief, in the VM name, a network name and the
// description, come back from an XML parser exactly as given.
TEST(LibvirtDomainXml, AppliancesStringsStayLiteral) {
    const std::string hostile =
        "x'\"</domain><name>evil</name>$(rm -rf ~)|`id`; \"; rm -rf / &amp;";
    // '/' is the one byte a domain name loses (map_test).
    const std::string hostile_name = "x'\"<name>evil<name>$(rm -rf ~)|`id`; \"; rm -rf ~ &amp;";
    PlanVm vm = debian_lsilogic();
    vm.name = hostile_name;
    vm.nics[0].network = hostile;
    vm.description = hostile + "\nline two\ttab";
    map_vm(vm, MapContext{"qcow2"});
    ASSERT_EQ(vm.name, hostile_name);
    ExportPlan plan;
    plan.directory = std::string(k_dir);
    plan.disk_format = "qcow2";
    plan.vms.push_back(vm);
    auto files = write_files(plan);
    ASSERT_TRUE(files.has_value()) << files.error().message;
    ASSERT_EQ(files->size(), 1U);
    const OutputFile& f = files->front();
    EXPECT_EQ(f.name.find('/'), std::string::npos);
    EXPECT_TRUE(f.name.ends_with(".xml"));
    auto doc = xml::Document::parse(f.content, f.name);
    ASSERT_TRUE(doc.has_value()) << doc.error().message;
    auto root = doc->root();
    EXPECT_EQ(root.name(), "domain");
    auto names = root.children("", "name");
    ASSERT_EQ(names.size(), 1U);
    EXPECT_EQ(names[0].text(), hostile_name);
    EXPECT_EQ(root.first_child("", "description").text(), vm.description);
    auto iface = root.first_child("", "devices").first_child("", "interface");
    EXPECT_EQ(iface.first_child("", "source").attribute("", "network"), hostile);
    if (test::have_tool("virt-xml-validate")) {
        test::TempDir dir;
        test::write_text(dir.file("d.xml"), f.content);
        std::string out;
        EXPECT_EQ(test::run_tool("virt-xml-validate '" + dir.file("d.xml") + "' domain", &out), 0)
            << out;
    }
}

TEST(LibvirtDomainXml, RefusesWhatItCannotCarry) {
    auto plan_with = [](auto change) {
        PlanVm vm = debian_lsilogic();
        map_vm(vm, MapContext{"qcow2"});
        ExportPlan plan;
        plan.directory = std::string(k_dir);
        plan.disk_format = "qcow2";
        change(plan, vm);
        plan.vms.push_back(vm);
        return write_files(plan);
    };
    auto expect_invalid = [](const Result<std::vector<OutputFile>>& r, std::string_view what) {
        ASSERT_FALSE(r.has_value()) << what;
        EXPECT_EQ(r.error().code, Errc::invalid) << what;
        EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
    };
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.nics[0].network = "a\nb"; }),
                   "newline in a network name");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.nics[0].network = "\xff\xfe"; }),
                   "invalid UTF-8");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.name = "a\nb"; }),
                   "unmapped newline in the name");
    expect_invalid(plan_with([](ExportPlan& p, PlanVm&) { p.directory = "relative/dir"; }),
                   "relative directory");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.disks[0].file_name = "../x"; }),
                   "file name with a slash");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.disks[0].file_name = ""; }),
                   "no file name");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.memory_bytes = 0; }), "no memory");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.cpus = 0; }), "no CPU");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.disks[0].format = "vmdk"; }),
                   "a disk format libvirt's target does not write");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.nics[0].model = "vmxnet3"; }),
                   "an unmapped NIC model");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.nics[0].mac = "01:00:00:00:00:00"; }),
                   "a multicast MAC");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.disks[0].controller = "gone"; }),
                   "an unknown controller");
    expect_invalid(plan_with([](ExportPlan&, PlanVm& vm) { vm.machine = "pc'/>"; }),
                   "an unknown machine");
    expect_invalid(plan_with([](ExportPlan& p, PlanVm& vm) { p.vms.push_back(vm); }),
                   "two VMs of one name");
}

TEST(LibvirtDomainXml, FileNamesArePlainAndUnique) {
    EXPECT_EQ(domain_file_name("web", {}), "web.xml");
    EXPECT_EQ(domain_file_name("a b/c'd", {}), "a_b_c_d.xml");
    EXPECT_EQ(domain_file_name(".hidden", {}), "_.hidden.xml");
    EXPECT_EQ(domain_file_name("", {}), "_.xml");
    EXPECT_EQ(domain_file_name("web", {"web.xml"}), "web-2.xml");
    EXPECT_EQ(domain_file_name("web", {"web.xml", "web-2.xml"}), "web-3.xml");
    EXPECT_LE(domain_file_name(std::string(1000, 'x'), {}).size(), 204U);
}

TEST(LibvirtDomainXml, SourcesAreTheDirectoryAndTheFileNames) {
    PlanVm vm = debian_lsilogic();
    ExportPlan plan;
    plan.directory = "/srv/out/";
    auto s = file_sources(plan, vm);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->disks[0], "/srv/out/debian-disk1.qcow2");
    EXPECT_EQ(s->cdroms[0], "/srv/out/debian-ovf-env.iso");
}

} // namespace
} // namespace ovfkit::platform::libvirt
