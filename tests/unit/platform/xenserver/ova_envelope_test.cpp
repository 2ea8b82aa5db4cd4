// The `xenserver-ova` descriptor (ova_envelope.cpp): a hand-built plan
// mapped for XenServer, the rebuilt descriptor pinned as a golden file,
// validated and read back; appliance strings stay literal; the platform
// data agrees with the XVA's ova.xml (one mapping for both targets).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/platform/xenserver/ova_envelope.hpp>
#include <ovfkit/platform/xenserver/target.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::xenserver {
namespace {

constexpr uint64_t k_gib = uint64_t{1} << 30;

GuestOsRow row(std::string_view key, OsFamily family, bool virtio, unsigned cim,
               std::string_view display) {
    GuestOsRow r{};
    r.key = key;
    r.family = family;
    r.x64 = true;
    r.virtio = virtio;
    r.cim = cim;
    r.display = display;
    return r;
}
const GuestOsRow k_debian12 = row("debian12-64", OsFamily::linux, true, 96, "Debian 12 (64-bit)");
const GuestOsRow k_win2019 =
    row("win2k19", OsFamily::windows, false, 116, "Windows Server 2019 (64-bit)");

const char* k_source = R"(<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
    xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:id="file-system" ovf:href="system.vmdk" ovf:size="@@SIZE@@"/>
    <File ovf:id="file-data" ovf:href="data.vmdk"/>
  </References>
  <DiskSection>
    <Info>Disks</Info>
    <Disk ovf:diskId="system" ovf:fileRef="file-system" ovf:capacity="8" ovf:capacityAllocationUnits="byte * 2^30" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
    <Disk ovf:diskId="data" ovf:fileRef="file-data" ovf:capacity="4" ovf:capacityAllocationUnits="byte * 2^30" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>Networks</Info>
    <Network ovf:name="VM Network"><Description>The VM network</Description></Network>
  </NetworkSection>
  <DeploymentOptionSection>
    <Info>Sizes</Info>
    <Configuration ovf:id="small"><Label>Small</Label><Description>1 CPU</Description></Configuration>
    <Configuration ovf:id="large" ovf:default="true"><Label>Large</Label><Description>4 CPUs</Description></Configuration>
  </DeploymentOptionSection>
  <VirtualSystem ovf:id="web">
    <Info>A virtual machine</Info>
    <ProductSection>
      <Info>Product</Info>
      <Product>Web appliance</Product>
      <Property ovf:key="motd" ovf:type="string" ovf:userConfigurable="true" ovf:value="hi">
        <Value ovf:value="small hi" ovf:configuration="small"/>
        <Value ovf:value="large hi" ovf:configuration="large"/>
      </Property>
    </ProductSection>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian12_64Guest">
      <Info>The guest</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection ovf:transport="iso">
      <Info>Hardware</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item><rasd:ElementName>4 CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
    </VirtualHardwareSection>
    <AnnotationSection><Info>Notes</Info><Annotation>keep me</Annotation></AnnotationSection>
  </VirtualSystem>
</Envelope>
)";

ovf::Envelope read(const std::string& text) {
    Diagnostics diag;
    auto env =
        ovf::read_envelope(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    return env ? std::move(*env) : ovf::Envelope{};
}

PlanDisk disk(std::string id, std::string controller, unsigned unit, uint64_t bytes) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.capacity_bytes = bytes;
    d.controller = std::move(controller);
    d.unit = unit;
    return d;
}

PlanNic nic(std::string network, std::string model, std::optional<std::string> mac = {}) {
    PlanNic n;
    n.ovf_network = network;
    n.network = std::move(network);
    n.model = std::move(model);
    n.mac = std::move(mac);
    return n;
}

// A Debian web server as a vSphere appliance has it: two SCSI disks (the
// second the boot disk), an empty CD drive on SATA, two NICs.
PlanVm debian() {
    PlanVm vm;
    vm.system_id = "web";
    vm.path = "web";
    vm.name = "web";
    vm.os.row = &k_debian12;
    vm.cpus = 4;
    vm.memory_bytes = 2 * k_gib;
    vm.controllers = {{"3", Bus::scsi, "lsilogic", 0}, {"plan-1", Bus::sata, "ahci", 0}};
    vm.disks = {disk("data", "3", 1, 4 * k_gib), disk("system", "3", 0, 8 * k_gib)};
    vm.disks[1].boot = true;
    PlanCdrom cd; // the engine adds no environment CD for a package target
    cd.controller = "plan-1";
    vm.cdroms = {cd};
    vm.nics = {nic("VM Network", "vmxnet3", "00:50:56:AB:CD:EF"), nic("", "e1000")};
    return vm;
}

struct Export {
    ExportPlan plan;
    PlanNotes notes;
};

Export plan_for(const ovf::Envelope& source, PlanVm vm) {
    Export e;
    e.plan.target = "xenserver-ova";
    e.plan.disk_format = "vhd";
    e.plan.deployment_option = "large";
    MapContext context;
    context.source = &source;
    context.deployment_option = e.plan.deployment_option;
    map_vm(vm, context, Flavor::ova, e.notes);
    e.plan.vms.push_back(std::move(vm));
    e.plan.notes = e.notes.all();
    return e;
}

void expect_golden(const std::string& name, const std::string& text) {
    namespace fs = std::filesystem;
    fs::path path =
        fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "export" / "xenserver-ova" / name;
    const char* update = std::getenv("OVFKIT_UPDATE_GOLDEN");
    if (update != nullptr && std::string_view(update) == "1") {
        fs::create_directories(path.parent_path());
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

void expect_valid(const std::string& text) {
    Diagnostics diag;
    ovf::DescriptorCheckOptions opts;
    opts.schema = true;
    auto checked = ovf::validate_descriptor(std::as_bytes(std::span(text.data(), text.size())),
                                            "xen.ovf", diag, opts);
    ASSERT_TRUE(checked) << checked.error().message;
    for (const auto& f : diag.findings()) {
        EXPECT_NE(f.severity, Severity::error)
            << f.line << ": " << f.message << " [" << f.code << "]";
    }
}

// The xenovf:VirtualSystemOtherConfigurationData values by Name, as
// XenOvf reads them.
std::map<std::string, std::string> other_config(const std::string& text) {
    std::map<std::string, std::string> out;
    auto doc = xml::Document::parse(std::string_view(text), "xen.ovf");
    EXPECT_TRUE(doc) << (doc ? "" : doc.error().message);
    if (!doc) {
        return out;
    }
    std::function<void(xml::Element)> walk = [&](xml::Element e) {
        if (e.ns() == ovf::k_xenovf_ns && e.name() == "VirtualSystemOtherConfigurationData") {
            out[std::string(e.attribute("", "Name").value_or(""))] =
                e.first_child(ovf::k_xenovf_ns, "Value").text();
        }
        for (xml::Element c : e.children()) {
            walk(c);
        }
    };
    walk(doc->root());
    return out;
}

TEST(XenServerOva, EnvelopeGoldenValidAndReadBack) {
    auto source = read(k_source);
    auto e = plan_for(source, debian());
    EXPECT_TRUE(std::ranges::any_of(e.notes.all(), [](const PlanNote& n) {
        return n.code == "deployment-option" && n.action == NoteAction::info;
    }));
    // The source has properties; XenCenter gives the guest no environment.
    EXPECT_TRUE(std::ranges::any_of(e.notes.all(), [](const PlanNote& n) {
        return n.code == "env-none" && n.action == NoteAction::info;
    }));
    auto env = xencenter_envelope(source, e.plan);
    ASSERT_TRUE(env) << env.error().message;
    auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
    ASSERT_TRUE(text) << text.error().message;
    expect_golden("debian.ovf", *text);
    expect_valid(*text);

    auto back = read(*text);
    EXPECT_EQ(back.find<ovf::DeploymentOptionSection>(), nullptr);
    auto systems = ovf::virtual_systems(back);
    ASSERT_EQ(systems.size(), 1u);
    const auto* hw = systems[0]->find<ovf::VirtualHardwareSection>();
    ASSERT_NE(hw, nullptr);
    EXPECT_EQ(hw->system->virtual_system_type(), "hvm-3.0-unknown");
    EXPECT_EQ(hw->transport, "iso");
    std::vector<std::string> items;
    for (const auto& it : hw->items) {
        auto c = it.connections();
        items.push_back(it.resource_type().value_or("") + ":" + (c.empty() ? "" : c[0]));
    }
    // The boot disk at device 0, the other at 1, the CD at 3, the VIFs.
    std::vector<std::string> want{"3:",
                                  "4:",
                                  "19:device=0",
                                  "19:device=1",
                                  "15:device=3",
                                  "10:VM Network",
                                  "10:Pool-wide network associated with eth0"};
    EXPECT_EQ(items, want);
    EXPECT_EQ(hw->items[2].host_resources(), std::vector<std::string>{"ovf:/disk/system"});
    EXPECT_TRUE(hw->items[4].host_resources().empty());
    ASSERT_EQ(back.references.files.size(), 2u);
    EXPECT_FALSE(back.references.files[0].size); // "@@SIZE@@" is no size
    const auto* disks = back.find<ovf::DiskSection>();
    ASSERT_NE(disks, nullptr);
    ASSERT_EQ(disks->disks.size(), 2u);
    EXPECT_EQ(disks->disks[0].disk_id, "system");
    EXPECT_EQ(disks->disks[0].format, std::string(k_vhd_uri));
    EXPECT_EQ(disks->disks[0].capacity, std::to_string(8 * k_gib));
    const auto* os = systems[0]->find<ovf::OperatingSystemSection>();
    ASSERT_NE(os, nullptr);
    EXPECT_EQ(os->id, "96");
    EXPECT_FALSE(os->vmw_os_type);
    const auto* product = systems[0]->find<ovf::ProductSection>();
    ASSERT_NE(product, nullptr);
    EXPECT_EQ(product->properties[0].value, "large hi");
    EXPECT_NE(systems[0]->find<ovf::AnnotationSection>(), nullptr);
    EXPECT_EQ(text->find("vmx-13"), std::string::npos);

    // The same platform and boot maps as the XVA's ova.xml.
    auto config = other_config(*text);
    EXPECT_EQ(config["platform"],
              "acpi=1;apic=true;device_id=0001;hpet=true;nx=true;pae=true;vga=std;videoram=8;"
              "viridian=false;");
    EXPECT_EQ(config["HVM_boot_policy"], "BIOS order");
    EXPECT_EQ(config["HVM_boot_params"], "order=cdn;");
    std::vector<uint64_t> sizes{8 * k_gib, 4 * k_gib};
    auto xva = ova_xml(e.plan, sizes);
    ASSERT_TRUE(xva) << xva.error().message;
    EXPECT_NE(xva->find("<name>viridian</name><value>false</value>"), std::string::npos);
}

TEST(XenServerOva, WindowsUefiPlatformData) {
    auto source = read(k_source);
    PlanVm vm = debian();
    vm.os.row = &k_win2019;
    vm.firmware = Firmware::efi;
    vm.secure_boot = true;
    auto e = plan_for(source, std::move(vm));
    auto env = xencenter_envelope(source, e.plan);
    ASSERT_TRUE(env) << env.error().message;
    auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
    ASSERT_TRUE(text) << text.error().message;
    expect_golden("windows-uefi.ovf", *text);
    expect_valid(*text);
    auto config = other_config(*text);
    EXPECT_EQ(config["platform"],
              "acpi=1;apic=true;device_id=0002;hpet=true;nx=true;pae=true;secureboot=true;"
              "vga=std;videoram=8;viridian=true;");
    EXPECT_EQ(config["HVM_boot_params"], "order=cdn;firmware=uefi;");
}

TEST(XenServerOva, InjectionStaysLiteral) {
    const std::vector<std::string> hostile{
        "x\"/><xenovf:Value>evil</xenovf:Value>", "a]]>b&amp;c&lt;", "$(reboot)`id`",
        "</rasd:Connection></Item><Item>",        "\"; rm -rf / #",
    };
    auto source = read(k_source);
    for (const auto& s : hostile) {
        PlanVm vm = debian();
        vm.name = s;
        vm.nics[0].network = s;
        auto e = plan_for(source, std::move(vm));
        auto env = xencenter_envelope(source, e.plan);
        ASSERT_TRUE(env) << env.error().message;
        auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
        ASSERT_TRUE(text) << text.error().message;
        auto back = read(*text);
        auto systems = ovf::virtual_systems(back);
        ASSERT_EQ(systems.size(), 1u);
        ASSERT_TRUE(systems[0]->name);
        EXPECT_EQ(systems[0]->name->text, s);
        const auto* hw = systems[0]->find<ovf::VirtualHardwareSection>();
        ASSERT_NE(hw, nullptr);
        std::string network = s;
        std::erase_if(network, [](char c) { return c == '"' || c == '\\'; });
        EXPECT_EQ(hw->items[5].connections(), std::vector<std::string>{network});
        auto config = other_config(*text);
        EXPECT_EQ(config.size(), 3u);
        EXPECT_EQ(config["HVM_boot_policy"], "BIOS order");
    }
}

TEST(XenServerOva, RefusesUnmappedPlans) {
    auto source = read(k_source);
    ExportPlan plan;
    plan.vms = {debian()};
    EXPECT_FALSE(xencenter_envelope(source, plan));
}

TEST(XenServerOva, IsInTheTable) {
    const ExportTarget* t = find_export_target("xenserver-ova");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->form, TargetForm::package);
    EXPECT_EQ(t->platform, "xenserver");
    EXPECT_EQ(t->default_disk_format, "vhd");
    EXPECT_NE(t->envelope, nullptr);
    EXPECT_EQ(disk_format_uri("vhd-fixed"), k_vhd_uri);
}

} // namespace
} // namespace ovfkit::platform::xenserver
