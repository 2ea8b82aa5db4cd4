// The neutral plan (ops/export_plan.cpp): what each virtual system holds, in
// the appliance's vocabulary, for the chosen deployment option and the
// user's overrides; what is not carried is a note, never silence.
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/export_plan.hpp>
#include <ovfkit/ovf/xml_reader.hpp>

namespace ovfkit::ops::export_detail {
namespace {

using platform::Bus;
using platform::NoteAction;

const char* const k_appliance = R"(<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
    xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:id="f1" ovf:href="system.vmdk"/>
    <File ovf:id="f2" ovf:href="data.vmdk"/>
  </References>
  <DiskSection>
    <Info>Disks</Info>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="16" ovf:capacityAllocationUnits="byte * 2^30"/>
    <Disk ovf:diskId="d2" ovf:fileRef="f2" ovf:capacity="1073741824"/>
  </DiskSection>
  <NetworkSection>
    <Info>Networks</Info>
    <Network ovf:name="Management"><Description>admin</Description></Network>
    <Network ovf:name="Data"><Description>traffic</Description></Network>
  </NetworkSection>
  <DeploymentOptionSection>
    <Info>Sizes</Info>
    <Configuration ovf:id="small" ovf:default="true"><Label>Small</Label><Description>s</Description></Configuration>
    <Configuration ovf:id="large"><Label>Large</Label><Description>l</Description></Configuration>
  </DeploymentOptionSection>
  <VirtualSystem ovf:id="app">
    <Info>The appliance</Info>
    <Name>My Appliance</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian12_64Guest">
      <Info>The guest</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:ElementName>2 CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item ovf:configuration="large"><rasd:ElementName>8 CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>8</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>Memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2048</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>IDE 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI 0</rasd:ElementName><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceSubType>buslogic,lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Disk 1</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>5</rasd:InstanceID><rasd:Parent>4</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Disk 2</rasd:ElementName><rasd:HostResource>ovf:/disk/d2</rasd:HostResource><rasd:InstanceID>6</rasd:InstanceID><rasd:Parent>4</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:Address>00:50:56:01:02:03</rasd:Address><rasd:Connection>Management</rasd:Connection><rasd:ElementName>NIC 1</rasd:ElementName><rasd:InstanceID>7</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      <Item><rasd:Connection>Data</rasd:Connection><rasd:ElementName>NIC 2</rasd:ElementName><rasd:InstanceID>8</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:ElementName>CD</rasd:ElementName><rasd:HostResource>ovf:/file/f9</rasd:HostResource><rasd:InstanceID>9</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>15</rasd:ResourceType></Item>
      <Item><rasd:ElementName>USB</rasd:ElementName><rasd:InstanceID>10</rasd:InstanceID><rasd:ResourceType>23</rasd:ResourceType></Item>
      <Item><rasd:ElementName>Sound</rasd:ElementName><rasd:InstanceID>11</rasd:InstanceID><rasd:ResourceType>35</rasd:ResourceType></Item>
    </VirtualHardwareSection>
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

const platform::PlanNote* note(const platform::PlanNotes& notes, std::string_view code) {
    for (const auto& n : notes.all()) {
        if (n.code == code) {
            return &n;
        }
    }
    return nullptr;
}

TEST(ExportPlan, DefaultOptionGivesTheApplianceAsItIs) {
    ovf::Envelope env = read(k_appliance);
    platform::PlanNotes notes;
    PlanInputs in;
    in.configuration = "small";
    auto vms = neutral_plan(env, in, notes);
    ASSERT_TRUE(vms) << vms.error().message;
    ASSERT_EQ(vms->size(), 1u);
    const platform::PlanVm& vm = vms->front();
    EXPECT_EQ(vm.name, "My Appliance");
    EXPECT_EQ(vm.cpus, 2u);
    EXPECT_EQ(vm.memory_bytes, uint64_t{2048} << 20);
    EXPECT_EQ(vm.os.row->key, "debian12-64");
    EXPECT_EQ(vm.firmware, platform::Firmware::bios);
    ASSERT_EQ(vm.controllers.size(), 2u);
    EXPECT_EQ(vm.controllers[0].bus, Bus::ide);
    EXPECT_EQ(vm.controllers[1].bus, Bus::scsi);
    EXPECT_EQ(vm.controllers[1].model, "buslogic"); // the first known token of the list
    ASSERT_EQ(vm.disks.size(), 2u);
    EXPECT_EQ(vm.disks[0].file_id, "f1");
    EXPECT_EQ(vm.disks[0].capacity_bytes, uint64_t{16} << 30);
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_FALSE(vm.disks[1].boot);
    // Both disks ask for unit 0: the second gets the next free one.
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_EQ(vm.disks[1].unit, 1u);
    ASSERT_EQ(vm.nics.size(), 2u);
    EXPECT_EQ(vm.nics[0].model, "vmxnet3");
    EXPECT_EQ(vm.nics[0].network, "Management");
    EXPECT_FALSE(vm.nics[0].mac); // not kept unless asked
    EXPECT_EQ(vm.nics[1].model, "e1000");
    ASSERT_EQ(vm.cdroms.size(), 1u);
    EXPECT_EQ(vm.cdroms[0].controller, "3");
    EXPECT_EQ(vm.cdroms[0].unit, 1u);
    EXPECT_TRUE(vm.cdroms[0].file_name.empty());

    ASSERT_NE(note(notes, "nic-mac"), nullptr);
    ASSERT_NE(note(notes, "cdrom-media"), nullptr);
    EXPECT_EQ(note(notes, "cdrom-media")->action, NoteAction::dropped);
    size_t misc = 0;
    for (const auto& n : notes.all()) {
        misc += n.code == "devices-misc" && n.action == NoteAction::dropped ? 1 : 0;
    }
    EXPECT_EQ(misc, 2u); // USB and sound
    EXPECT_EQ(notes.dropped(), 3u);
}

TEST(ExportPlan, ChosenOptionAndOverridesApply) {
    ovf::Envelope env = read(k_appliance);
    platform::PlanNotes notes;
    PlanInputs in;
    in.configuration = "large";
    in.networks["Data"] = "br-data";
    in.name = "web";
    in.memory_bytes = uint64_t{3} << 30;
    in.keep_macs = true;
    auto vms = neutral_plan(env, in, notes);
    ASSERT_TRUE(vms) << vms.error().message;
    const platform::PlanVm& vm = vms->front();
    EXPECT_EQ(vm.cpus, 8u);
    EXPECT_EQ(vm.memory_bytes, uint64_t{3} << 30);
    EXPECT_EQ(vm.name, "web");
    EXPECT_EQ(vm.nics[1].ovf_network, "Data");
    EXPECT_EQ(vm.nics[1].network, "br-data");
    ASSERT_TRUE(vm.nics[0].mac);
    EXPECT_EQ(*vm.nics[0].mac, "00:50:56:01:02:03");
    EXPECT_EQ(note(notes, "nic-mac"), nullptr);
}

TEST(ExportPlan, UnknownNetworkIsAUsageError) {
    ovf::Envelope env = read(k_appliance);
    platform::PlanNotes notes;
    PlanInputs in;
    in.networks["Nope"] = "x";
    auto vms = neutral_plan(env, in, notes);
    ASSERT_FALSE(vms);
    EXPECT_EQ(vms.error().code, Errc::usage);
    EXPECT_NE(vms.error().message.find("Management, Data"), std::string::npos)
        << vms.error().message;
}

TEST(ExportPlan, ModelsAreNormalised) {
    EXPECT_EQ(nic_model("VmxNet3"), "vmxnet3");
    EXPECT_EQ(nic_model("VMXNET3"), "vmxnet3");
    EXPECT_EQ(nic_model("E1000e"), "e1000e");
    EXPECT_EQ(nic_model("E10000"), "e1000");
    EXPECT_EQ(nic_model("PCNet32"), "pcnet");
    EXPECT_EQ(nic_model("Microsoft:Hyper-V:Synthetic Ethernet Port"), "hyperv-synthetic");
    EXPECT_EQ(nic_model("mystery"), "mystery");
    EXPECT_EQ(controller_model("scsi", "VirtualSCSI"), "pvscsi");
    EXPECT_EQ(controller_model("scsi", "lsilogicsas"), "lsilogicsas");
    EXPECT_EQ(controller_model("scsi", ""), "lsilogic");
    EXPECT_EQ(controller_model("scsi", "buslogic lsilogic"), "buslogic");
    EXPECT_EQ(controller_model("sata", "vmware.sata.ahci"), "ahci");
}

TEST(ExportPlan, VirtualBoxVirtioScsiIsScsi) {
    std::string text = k_appliance;
    text.replace(text.find("<rasd:ResourceSubType>buslogic,lsilogic</"
                           "rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType>"),
                 std::string("<rasd:ResourceSubType>buslogic,lsilogic</"
                             "rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType>")
                     .size(),
                 "<rasd:ResourceSubType>VirtioSCSI</rasd:ResourceSubType><rasd:ResourceType>20</"
                 "rasd:ResourceType>");
    ovf::Envelope env = read(text);
    platform::PlanNotes notes;
    auto vms = neutral_plan(env, {}, notes);
    ASSERT_TRUE(vms) << vms.error().message;
    ASSERT_EQ(vms->front().controllers.size(), 2u);
    EXPECT_EQ(vms->front().controllers[1].bus, Bus::scsi);
    EXPECT_EQ(vms->front().controllers[1].model, "virtio-scsi");
}

TEST(ExportPlan, ManyDevicesAreRefusedBeforeAllocation) {
    std::string items;
    for (int i = 0; i < 70; ++i) {
        items +=
            "<Item><rasd:Connection>n</rasd:Connection><rasd:ElementName>NIC</rasd:ElementName>"
            "<rasd:InstanceID>" +
            std::to_string(100 + i) +
            "</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType></Item>";
    }
    std::string text = k_appliance;
    text.replace(text.find("</VirtualHardwareSection>"), 0, items);
    ovf::Envelope env = read(text);
    platform::PlanNotes notes;
    auto vms = neutral_plan(env, {}, notes);
    ASSERT_FALSE(vms);
    EXPECT_EQ(vms.error().code, Errc::invalid);
}

TEST(ExportPlan, CollectionsAreOrderedByTheirStartupSection) {
    const char* text = R"(<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References/>
  <VirtualSystemCollection ovf:id="vapp">
    <Info>Two tiers</Info>
    <StartupSection>
      <Info>Order</Info>
      <Item ovf:id="web" ovf:order="2" ovf:startDelay="30"/>
      <Item ovf:id="db" ovf:order="1" ovf:stopDelay="10"/>
    </StartupSection>
    <VirtualSystem ovf:id="web"><Info>w</Info></VirtualSystem>
    <VirtualSystem ovf:id="db"><Info>d</Info></VirtualSystem>
  </VirtualSystemCollection>
</Envelope>
)";
    ovf::Envelope env = read(text);
    platform::PlanNotes notes;
    PlanInputs in;
    in.name = "shop";
    auto vms = neutral_plan(env, in, notes);
    ASSERT_TRUE(vms) << vms.error().message;
    ASSERT_EQ(vms->size(), 2u);
    EXPECT_EQ((*vms)[0].system_id, "db");
    EXPECT_EQ((*vms)[0].start_order, 1u);
    EXPECT_EQ((*vms)[0].stop_delay_s, 10u);
    EXPECT_EQ((*vms)[1].system_id, "web");
    EXPECT_EQ((*vms)[1].start_delay_s, 30u);
    EXPECT_EQ((*vms)[1].name, "shop-web");
    // Nothing said: 1 CPU and 1 GiB, each noted.
    EXPECT_EQ((*vms)[0].cpus, 1u);
    EXPECT_EQ((*vms)[0].memory_bytes, uint64_t{1} << 30);
    EXPECT_NE(note(notes, "memory-default"), nullptr);
}

} // namespace
} // namespace ovfkit::ops::export_detail
