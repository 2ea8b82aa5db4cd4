// The vmware-ova descriptor (ova_envelope.cpp): a VirtualBox-style source
// with what vSphere rejects, its notes in `map`, the rebuilt descriptor
// pinned as a golden file and read back.
#include "plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/platform/vmware/ova_envelope.hpp>

namespace ovfkit::platform::vmware {
namespace {

using namespace test;

const char* k_source = R"(<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
    xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
    <File ovf:id="file-vmdisk1" ovf:href="disk1.vmdk"/>
  </References>
  <DiskSection>
    <Info>Disks</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file-vmdisk1" ovf:capacity="8" ovf:capacityAllocationUnits="byte * 2^30" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="1234"/>
  </DiskSection>
  <NetworkSection>
    <Info>Networks</Info>
    <Network ovf:name="NAT"><Description>The NAT network</Description></Network>
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
      <Product>Web "appliance" &lt;/domain&gt;</Product>
      <Property ovf:key="motd" ovf:type="string" ovf:userConfigurable="true" ovf:value="hi">
        <Value ovf:value="small hi" ovf:configuration="small"/>
        <Value ovf:value="large hi" ovf:configuration="large"/>
      </Property>
    </ProductSection>
    <AnnotationSection><Info>Notes</Info><Annotation>keep me</Annotation></AnnotationSection>
    <OperatingSystemSection ovf:id="96">
      <Info>The guest</Info>
      <vbox:OSType ovf:required="false">Debian12_64</vbox:OSType>
    </OperatingSystemSection>
    <VirtualHardwareSection ovf:transport="iso">
      <Info>Hardware</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>web</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType>
      </System>
      <Item><rasd:ElementName>4 CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
      <Item><rasd:ElementName>sound</rasd:ElementName><rasd:InstanceID>7</rasd:InstanceID><rasd:ResourceSubType>ensoniq1371</rasd:ResourceSubType><rasd:ResourceType>35</rasd:ResourceType></Item>
      <Item><rasd:ElementName>usb</rasd:ElementName><rasd:InstanceID>8</rasd:InstanceID><rasd:ResourceType>23</rasd:ResourceType></Item>
      <Item ovf:configuration="small"><rasd:ElementName>floppy</rasd:ElementName><rasd:InstanceID>9</rasd:InstanceID><rasd:ResourceType>14</rasd:ResourceType></Item>
    </VirtualHardwareSection>
    <vbox:Machine ovf:required="true"><Info>VirtualBox machine</Info></vbox:Machine>
    <vbox:Extra ovf:required="false"><Info>harmless</Info></vbox:Extra>
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

struct Export {
    ExportPlan plan;
    std::vector<MapNote> notes;
};

Export plan_for(const ovf::Envelope& source, std::string option) {
    Export e;
    e.plan.target = "vmware-ova";
    e.plan.disk_format = "vmdk-stream";
    e.plan.deployment_option = option;
    PlanVm vm = kvm_debian();
    vm.disks[0].file_id = "file-vmdisk1";
    vm.nics = {nic("NAT", "e1000"), nic("NAT", "virtio")};
    vm.nics[0].network = "Port \"Group\" </a>";
    vm.nics[1].network = "VM Network";
    MapContext context;
    context.source = &source;
    context.deployment_option = e.plan.deployment_option;
    e.notes = map_vm(vm, context, Flavor::ova);
    e.plan.vms.push_back(std::move(vm));
    return e;
}

TEST(VmwareOva, NotesWhatTheEnvelopeLeavesOut) {
    auto source = read(k_source);
    auto e = plan_for(source, "large");
    EXPECT_TRUE(has_note(e.notes, "vendor-section", NoteAction::dropped)) << notes_text(e.notes);
    EXPECT_TRUE(has_note(e.notes, "deployment-option", NoteAction::info)) << notes_text(e.notes);
    size_t misc = 0;
    size_t vendor = 0;
    for (const auto& n : e.notes) {
        misc += n.code == "devices-misc";
        vendor += n.code == "vendor-section";
    }
    // Sound, USB and floppy are the engine's neutral plan's to note; vbox:Extra is optional.
    EXPECT_EQ(misc, 0u) << notes_text(e.notes);
    EXPECT_EQ(vendor, 1u) << notes_text(e.notes);
}

TEST(VmwareOva, EnvelopeGoldenAndReadBack) {
    auto source = read(k_source);
    auto e = plan_for(source, "large");
    auto env = vsphere_envelope(source, e.plan);
    ASSERT_TRUE(env) << env.error().message;
    auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
    ASSERT_TRUE(text) << text.error().message;
    expect_golden("linux.ovf", *text);

    // The project's validator (schema included) accepts it.
    Diagnostics diag;
    ovf::DescriptorCheckOptions opts;
    opts.schema = true;
    auto checked = ovf::validate_descriptor(std::as_bytes(std::span(text->data(), text->size())),
                                            "linux.ovf", diag, opts);
    ASSERT_TRUE(checked) << checked.error().message;
    for (const auto& f : diag.findings()) {
        EXPECT_NE(f.severity, Severity::error)
            << f.line << ": " << f.message << " [" << f.code << "]";
    }

    auto back = read(*text);
    EXPECT_EQ(back.find<ovf::DeploymentOptionSection>(), nullptr);
    auto systems = ovf::virtual_systems(back);
    ASSERT_EQ(systems.size(), 1u);
    const auto* hw = systems[0]->find<ovf::VirtualHardwareSection>();
    ASSERT_NE(hw, nullptr);
    EXPECT_EQ(hw->system->virtual_system_type(), "vmx-10");
    EXPECT_EQ(hw->transport, "iso");
    std::vector<std::string> types;
    for (const auto& it : hw->items) {
        types.push_back(it.resource_type().value_or("") + ":" +
                        it.resource_sub_type().value_or(""));
    }
    std::vector<std::string> want{
        "3:", "4:", "6:VirtualSCSI", "5:", "17:", "15:", "10:E1000", "10:VmxNet3"};
    EXPECT_EQ(types, want);
    // The environment CD is backed by the ISO, added to References.
    EXPECT_EQ(hw->items[5].host_resources(), std::vector<std::string>{"ovf:/file/ovf-env"});
    ASSERT_EQ(back.references.files.size(), 2u);
    EXPECT_EQ(back.references.files[1].href, "web-ovf-env.iso");
    EXPECT_EQ(hw->items[6].connections(), std::vector<std::string>{"Port \"Group\" </a>"});
    const auto* os = systems[0]->find<ovf::OperatingSystemSection>();
    ASSERT_NE(os, nullptr);
    EXPECT_EQ(os->id, "96");
    EXPECT_EQ(os->version, "12");
    EXPECT_EQ(os->vmw_os_type, "debian12_64Guest");
    const auto* nets = back.find<ovf::NetworkSection>();
    ASSERT_NE(nets, nullptr);
    ASSERT_EQ(nets->networks.size(), 2u);
    EXPECT_EQ(nets->networks[0].name, "Port \"Group\" </a>");
    EXPECT_EQ(nets->networks[0].description->text, "The NAT network");
    const auto* disks = back.find<ovf::DiskSection>();
    ASSERT_NE(disks, nullptr);
    ASSERT_EQ(disks->disks.size(), 1u);
    EXPECT_EQ(disks->disks[0].capacity, std::to_string(8 * k_gib));
    const auto* product = systems[0]->find<ovf::ProductSection>();
    ASSERT_NE(product, nullptr);
    ASSERT_EQ(product->properties.size(), 1u);
    EXPECT_EQ(product->properties[0].value, "large hi");
    EXPECT_TRUE(product->properties[0].values.empty());
    EXPECT_NE(systems[0]->find<ovf::AnnotationSection>(), nullptr);
    for (const auto& s : systems[0]->sections) {
        if (const auto* u = std::get_if<ovf::UnknownSection>(&s)) {
            EXPECT_EQ(u->element.name, "Extra");
        }
    }
    EXPECT_EQ(text->find("Machine"), std::string::npos);
    EXPECT_EQ(text->find("virtualbox-2.2"), std::string::npos);
}

TEST(VmwareOva, EfiWindowsKeepsItsControllers) {
    auto source = read(k_source);
    Export e;
    e.plan.disk_format = "vmdk-stream";
    PlanVm vm = kvm_debian();
    vm.os.row = &k_win2019;
    vm.firmware = Firmware::efi;
    vm.secure_boot = true;
    vm.controllers = {controller("3", Bus::scsi, "lsilogicsas"),
                      controller("4", Bus::sata, "ahci")};
    vm.disks = {disk("vmdisk1", "3", 0), disk("vmdisk2", "4", 0)};
    vm.cdroms[0].controller = "4";
    vm.cdroms[0].unit = 1;
    vm.cdroms[0].environment = false;
    vm.cdroms[0].file_name.clear();
    map_vm(vm, {}, Flavor::ova);
    e.plan.vms.push_back(vm);
    auto env = vsphere_envelope(source, e.plan);
    ASSERT_TRUE(env) << env.error().message;
    auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
    ASSERT_TRUE(text) << text.error().message;
    expect_golden("windows-efi.ovf", *text);
    EXPECT_NE(text->find("vmw:key=\"firmware\" vmw:value=\"efi\""), std::string::npos) << *text;
    EXPECT_NE(text->find("vmw:key=\"bootOptions.efiSecureBootEnabled\" vmw:value=\"true\""),
              std::string::npos);
    EXPECT_NE(text->find("<rasd:ResourceSubType>lsilogicsas</rasd:ResourceSubType>"),
              std::string::npos);
    EXPECT_NE(text->find("<rasd:ResourceSubType>vmware.sata.ahci</rasd:ResourceSubType>"),
              std::string::npos);
    EXPECT_NE(text->find("vmw:osType=\"windows2019srv_64Guest\""), std::string::npos);
    EXPECT_NE(text->find("<vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>"),
              std::string::npos);
    // The empty CD moved to IDE, and waits for media.
    auto back = read(*text);
    const auto* hw = ovf::virtual_systems(back)[0]->find<ovf::VirtualHardwareSection>();
    bool cd = false;
    for (const auto& it : hw->items) {
        if (it.resource_type() == "15") {
            cd = true;
            EXPECT_TRUE(it.host_resources().empty());
            EXPECT_EQ(it.automatic_allocation(), "false");
        }
    }
    EXPECT_TRUE(cd);
}

TEST(VmwareOva, RefusesAPlanItCannotPlace) {
    auto source = read(k_source);
    ExportPlan plan;
    PlanVm vm = kvm_debian();
    map_vm(vm, {}, Flavor::ova);
    vm.system_id = "nope";
    vm.path = "nope";
    plan.vms.push_back(vm);
    auto env = vsphere_envelope(source, plan);
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, Errc::invalid);
}

} // namespace
} // namespace ovfkit::platform::vmware
