// oVirt's dialect read as the engine reads it (platform/ovirt/dialect.hpp):
// small descriptors in the oVirt envelope namespace, summarised.
#include <string>

#include "../descriptor.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/platform/ovirt/dialect.hpp>
#include <ovfkit/platform/registry.hpp>

namespace ovfkit::platform::ovirt {
namespace {

// An oVirt export: `disks` inside its DiskSection, `settings` and `items`
// in the virtual system; `ns` replaces the envelope namespace.
std::string ovirt_descriptor(const std::string& items, const std::string& settings = "",
                             const std::string& disks = "") {
    return "<?xml version='1.0' encoding='utf-8'?>\n"
           "<ovf:Envelope xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
           "CIM_ResourceAllocationSettingData' "
           "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
           "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1/' ovf:version='4.4.0.0'>\n"
           "  <References>\n"
           "    <File ovf:href='GROUP/VOL' ovf:id='VOL' ovf:size='1073741824'/>\n"
           "    <File ovf:href='GROUP2/VOL2' ovf:id='VOL2'/>\n"
           "  </References>\n"
           "  <Section xsi:type='ovf:DiskSection_Type'>\n"
           "    <Info>Disks</Info>\n" +
           disks +
           "  </Section>\n"
           "  <Content ovf:id='out' xsi:type='ovf:VirtualSystem_Type'>\n"
           "    <Name>vm</Name>\n" +
           settings +
           "    <Section ovf:id='6a1f7a5c-0000-0000-0000-000000000001' ovf:required='false' "
           "xsi:type='ovf:OperatingSystemSection_Type'>\n"
           "      <Info>Red Hat Enterprise Linux 9.x x64</Info>\n"
           "      <Description>rhel_9x64</Description>\n"
           "    </Section>\n"
           "    <Section xsi:type='ovf:VirtualHardwareSection_Type'>\n"
           "      <Info>hardware</Info>\n" +
           items +
           "    </Section>\n"
           "  </Content>\n"
           "</ovf:Envelope>\n";
}

ovf::SystemSummary summary_of(const std::string& text) {
    Diagnostics diag;
    auto env =
        ovf::read_envelope(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    if (!env) {
        return {};
    }
    auto s = ovf::summarize(*env);
    EXPECT_EQ(s.virtual_systems.size(), 1u);
    return s.virtual_systems.empty() ? ovf::SystemSummary{} : s.virtual_systems.front();
}

std::string item(const std::string& type, const std::string& fields) {
    return "      <Item>\n        <rasd:ResourceType>" + type + "</rasd:ResourceType>\n" + fields +
           "      </Item>\n";
}

const std::string k_video = item("20", "        <rasd:InstanceId>v1</rasd:InstanceId>\n"
                                       "        <Type>video</Type><Device>qxl</Device>\n"
                                       "        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>\n");

TEST(OvirtDialect, IsThePlatformOfTheOvirtNamespaceOnly) {
    const auto* readers = dialect_readers(ovf::OvfVersion::ovirt);
    ASSERT_NE(readers, nullptr);
    EXPECT_EQ(readers, &find("ovirt")->dialect_readers);
    EXPECT_EQ(dialect_readers(ovf::OvfVersion::v1), nullptr);
    EXPECT_EQ(dialect_readers(ovf::OvfVersion::v2), nullptr);
    EXPECT_EQ(dialect_readers(ovf::OvfVersion::v0_9), nullptr);
}

TEST(OvirtDialect, CpusAreSocketsTimesCoresTimesThreads) {
    auto s = summary_of(
        ovirt_descriptor(item("3", "        <rasd:InstanceId>1</rasd:InstanceId>\n"
                                   "        <rasd:VirtualQuantity>99</rasd:VirtualQuantity>\n"
                                   "        <rasd:num_of_sockets>2</rasd:num_of_sockets>\n"
                                   "        <rasd:cpu_per_socket>4</rasd:cpu_per_socket>\n"
                                   "        <rasd:threads_per_cpu>2</rasd:threads_per_cpu>\n")));
    EXPECT_EQ(s.cpus, 16u);
    // Without num_of_sockets the engine takes VirtualQuantity as the sockets.
    s = summary_of(
        ovirt_descriptor(item("3", "        <rasd:InstanceId>1</rasd:InstanceId>\n"
                                   "        <rasd:VirtualQuantity>3</rasd:VirtualQuantity>\n"
                                   "        <rasd:cpu_per_socket>2</rasd:cpu_per_socket>\n")));
    EXPECT_EQ(s.cpus, 6u);
    // A count that is not a number, or a product past 2^64, says nothing.
    s = summary_of(
        ovirt_descriptor(item("3", "        <rasd:num_of_sockets>2</rasd:num_of_sockets>\n"
                                   "        <rasd:cpu_per_socket>x</rasd:cpu_per_socket>\n")));
    EXPECT_EQ(s.cpus, std::nullopt);
    s = summary_of(ovirt_descriptor(
        item("3", "        <rasd:num_of_sockets>4294967296</rasd:num_of_sockets>\n"
                  "        <rasd:cpu_per_socket>4294967296</rasd:cpu_per_socket>\n")));
    EXPECT_EQ(s.cpus, std::nullopt);
}

TEST(OvirtDialect, ResourceType20IsTheVideoCardNotASataController) {
    auto s = summary_of(ovirt_descriptor(k_video));
    EXPECT_TRUE(s.controllers.empty());
    ovf::Item video;
    video.set(ovf::k_rasd_ns, "ResourceType", "20");
    EXPECT_EQ(resource_type(video), 32768u);
    video.set(ovf::k_rasd_ns, "ResourceType", "26");
    EXPECT_EQ(resource_type(video), 24u);
    video.set(ovf::k_rasd_ns, "ResourceType", "17");
    EXPECT_EQ(resource_type(video), 17u);
    // The same item in a DMTF descriptor is DSP0243's SATA controller.
    auto dmtf = ovf::summarize(test::envelope_of(
        "", "      <Item><rasd:InstanceID xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/"
            "cim-schema/2/CIM_ResourceAllocationSettingData'>v1</rasd:InstanceID>"
            "<rasd:ResourceType xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
            "CIM_ResourceAllocationSettingData'>20</rasd:ResourceType></Item>\n"));
    ASSERT_EQ(dmtf.virtual_systems.size(), 1u);
    ASSERT_EQ(dmtf.virtual_systems[0].controllers.size(), 1u);
    EXPECT_EQ(dmtf.virtual_systems[0].controllers[0].bus, "SATA");
}

TEST(OvirtDialect, DiskFromVolumeIdAndImageGroup) {
    const std::string disk_item =
        item("17", "        <rasd:InstanceId>VOL</rasd:InstanceId>\n"
                   "        <rasd:HostResource>GROUP/VOL</rasd:HostResource>\n"
                   "        <rasd:Parent>00000000-0000-0000-0000-000000000000</rasd:Parent>\n");
    auto s = summary_of(
        ovirt_descriptor(disk_item, "",
                         "    <Disk ovf:diskId='VOL' ovf:size='3' ovf:capacity='2147483648' "
                         "ovf:fileRef='GROUP/VOL' ovf:format='http://en.wikipedia.org/wiki/Byte' "
                         "ovf:disk-interface='VirtIO_SCSI'/>\n"));
    ASSERT_EQ(s.disks.size(), 1u);
    const auto& d = s.disks[0];
    EXPECT_EQ(d.id, "VOL");
    EXPECT_EQ(d.file, "GROUP/VOL");
    EXPECT_EQ(d.capacity_bytes, uint64_t{2} << 30); // ovf:capacity, exact, wins
    EXPECT_EQ(d.format, "http://en.wikipedia.org/wiki/Byte");
    EXPECT_EQ(d.controller, "SCSI");
    EXPECT_EQ(d.controller_model, "virtio-scsi");
    // rasd:Parent is the parent volume, not a controller.
    EXPECT_EQ(d.controller_id, std::nullopt);
    EXPECT_EQ(d.backing, "disk");

    // Without ovf:capacity, ovf:size in GiB; without ovf:disk-interface, IDE.
    s = summary_of(ovirt_descriptor(disk_item, "", "    <Disk ovf:diskId='VOL' ovf:size='3'/>\n"));
    ASSERT_EQ(s.disks.size(), 1u);
    EXPECT_EQ(s.disks[0].capacity_bytes, uint64_t{3} << 30);
    EXPECT_EQ(s.disks[0].controller, "IDE");

    // virt-v2v -o vdsm puts the image group in ovf:diskId: the Disk naming
    // the volume's File is taken.
    s = summary_of(
        ovirt_descriptor(disk_item, "",
                         "    <Disk ovf:diskId='GROUP' ovf:capacity='1048576' ovf:fileRef='VOL' "
                         "ovf:disk-interface='VirtIO'/>\n"));
    ASSERT_EQ(s.disks.size(), 1u);
    EXPECT_EQ(s.disks[0].capacity_bytes, uint64_t{1} << 20);
    EXPECT_EQ(s.disks[0].controller, "VirtIO");

    // A disk item whose volume has no Disk is still listed, capacity unknown.
    s = summary_of(ovirt_descriptor(disk_item));
    ASSERT_EQ(s.disks.size(), 1u);
    EXPECT_EQ(s.disks[0].file, "GROUP/VOL");
    EXPECT_EQ(s.disks[0].capacity_bytes, std::nullopt);
}

TEST(OvirtDialect, FirmwareFromBiosType) {
    auto firmware_for = [](const std::string& value) {
        return summary_of(ovirt_descriptor("", "    <BiosType>" + value + "</BiosType>\n"))
            .firmware;
    };
    EXPECT_EQ(firmware_for("0"), "bios"); // i440fx SeaBIOS
    EXPECT_EQ(firmware_for("1"), "bios"); // Q35 SeaBIOS
    EXPECT_EQ(firmware_for("2"), "efi");  // Q35 OVMF
    EXPECT_EQ(firmware_for("3"), "efi");  // Q35 OVMF with Secure Boot
    EXPECT_EQ(firmware_for("4"), std::nullopt);
    EXPECT_EQ(firmware_for("uefi"), std::nullopt);
    EXPECT_EQ(summary_of(ovirt_descriptor("")).firmware, std::nullopt);
}

TEST(OvirtDialect, OsIsTheOvirtNameNotTheVmId) {
    auto s = summary_of(ovirt_descriptor(""));
    EXPECT_EQ(s.os_id, std::nullopt);
    EXPECT_EQ(s.os_type, "rhel_9x64");
    EXPECT_EQ(s.os_description, "Red Hat Enterprise Linux 9.x x64");
}

TEST(OvirtDialect, NicModelCodesAreNamed) {
    EXPECT_EQ(nic_model("0"), "rtl8139_pv");
    EXPECT_EQ(nic_model("1"), "rtl8139");
    EXPECT_EQ(nic_model("2"), "e1000");
    EXPECT_EQ(nic_model("3"), "virtio");
    EXPECT_EQ(nic_model("4"), "spapr-vlan");
    EXPECT_EQ(nic_model("5"), "pci-passthrough");
    EXPECT_EQ(nic_model(""), "virtio"); // the engine's default
    EXPECT_EQ(nic_model("7"), "7");
    EXPECT_EQ(nic_model("e1000e"), "e1000e");
    auto s = summary_of(ovirt_descriptor(
        item("10", "        <rasd:InstanceId>n1</rasd:InstanceId>\n"
                   "        <rasd:ResourceSubType>2</rasd:ResourceSubType>\n"
                   "        <rasd:Connection>ovirtmgmt</rasd:Connection>\n"
                   "        <rasd:MACAddress>56:6f:00:00:00:01</rasd:MACAddress>\n")));
    ASSERT_EQ(s.nics.size(), 1u);
    EXPECT_EQ(s.nics[0].model, "e1000");
    EXPECT_EQ(s.nics[0].network, "ovirtmgmt");
    EXPECT_EQ(s.nics[0].mac, "56:6f:00:00:00:01");
}

} // namespace
} // namespace ovfkit::platform::ovirt
