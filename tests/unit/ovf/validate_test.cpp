// Semantic validation: one descriptor that is clean, and one small edit of
// it per rule, each asserting the exact code, severity and line.
#include <algorithm>
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/validate.hpp>

namespace ovfkit::ovf {
namespace {

const std::string k_base = R"~(<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
          xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
          xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:id="file1" ovf:href="disk1.vmdk" ovf:size="1000"/>
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:diskId="disk1" ovf:fileRef="file1" ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks</Info>
    <Network ovf:name="VM Network"/>
  </NetworkSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <ProductSection>
      <Info>Settings</Info>
      <Property ovf:key="hostname" ovf:type="string" ovf:value="vm"/>
    </ProductSection>
    <VirtualHardwareSection>
      <Info>Hardware</Info>
      <Item>
        <rasd:ElementName>CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>Memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>256</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:ElementName>SCSI</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Disk</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/disk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:ElementName>NIC</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <!--MORE-ITEMS-->
    </VirtualHardwareSection>
    <!--MORE-SECTIONS-->
  </VirtualSystem>
</Envelope>
)~";

std::string edit(std::string text, std::string_view from, std::string_view to) {
    auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// The 1-based line of the first occurrence of `needle`.
uint32_t line_of(const std::string& text, std::string_view needle) {
    auto pos = text.find(needle);
    EXPECT_NE(pos, std::string::npos) << needle;
    return static_cast<uint32_t>(std::count(text.begin(), text.begin() + pos, '\n') + 1);
}

std::vector<Finding> check(const std::string& text, const DescriptorCheckOptions& options = {}) {
    Diagnostics diag;
    auto r = validate_descriptor(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag,
                                 options);
    EXPECT_TRUE(r) << r.error().message;
    return diag.findings();
}

std::string dump(const std::vector<Finding>& findings) {
    std::string out;
    for (const auto& f : findings) {
        out += fmt::format("{}:{}: {}: {} [{}]\n", f.file, f.line, severity_name(f.severity),
                           f.message, f.code);
    }
    return out;
}

// Exactly one finding, with this code, severity and line.
void expect_only(const std::vector<Finding>& findings, std::string_view code, Severity severity,
                 uint32_t line) {
    ASSERT_EQ(findings.size(), 1u) << dump(findings);
    EXPECT_EQ(findings[0].code, code) << dump(findings);
    EXPECT_EQ(findings[0].severity, severity) << dump(findings);
    EXPECT_EQ(findings[0].line, line) << dump(findings);
    EXPECT_EQ(findings[0].file, "t.ovf");
}

bool has(const std::vector<Finding>& findings, std::string_view code, uint32_t line) {
    return std::any_of(findings.begin(), findings.end(),
                       [&](const Finding& f) { return f.code == code && f.line == line; });
}

std::string with_items(std::string_view items) {
    return edit(k_base, "<!--MORE-ITEMS-->", items);
}

std::string with_sections(std::string_view sections) {
    return edit(k_base, "<!--MORE-SECTIONS-->", sections);
}

TEST(OvfValidate, CleanDescriptorHasNoFindings) {
    EXPECT_EQ(dump(check(k_base)), "");
}

TEST(OvfValidate, DuplicateFileId) {
    auto t = edit(k_base, "  </References>",
                  "    <File ovf:id=\"file1\" ovf:href=\"other.vmdk\"/>\n  </References>");
    auto f = check(t);
    EXPECT_TRUE(has(f, "OVF-ID-001", line_of(t, "other.vmdk"))) << dump(f);
}

TEST(OvfValidate, DanglingFileRef) {
    auto t = edit(k_base, "ovf:fileRef=\"file1\"", "ovf:fileRef=\"file9\"");
    auto f = check(t);
    EXPECT_TRUE(has(f, "OVF-REF-001", line_of(t, "file9"))) << dump(f);
    EXPECT_TRUE(has(f, "OVF-REF-010", line_of(t, "<File "))) << dump(f); // now unused
}

TEST(OvfValidate, DuplicateDiskIdAndNetworkName) {
    auto t = edit(k_base, "  </DiskSection>",
                  "    <Disk ovf:diskId=\"disk1\" ovf:capacity=\"1\" "
                  "ovf:format=\"http://www.vmware.com/interfaces/specifications/"
                  "vmdk.html#streamOptimized\"/>\n  </DiskSection>");
    t = edit(t, "  </NetworkSection>",
             "    <Network ovf:name=\"VM Network\"/>\n  </NetworkSection>");
    auto f = check(t);
    EXPECT_TRUE(has(f, "OVF-ID-002", line_of(t, "ovf:capacity=\"1\""))) << dump(f);
    EXPECT_TRUE(has(f, "OVF-ID-003", line_of(t, "<Network ovf:name=\"VM Network\"/>\n  </")))
        << dump(f);
}

TEST(OvfValidate, HostResourceForms) {
    auto t = edit(k_base, "ovf:/disk/disk1", "ovf:/disk/nope");
    auto f = check(t);
    EXPECT_TRUE(has(f, "OVF-REF-003", line_of(t, "ovf:/disk/nope"))) << dump(f);
    EXPECT_TRUE(has(f, "OVF-REF-011", line_of(t, "<Disk "))) << dump(f);

    t = edit(k_base, "ovf:/disk/disk1", "ovf://disk/disk1");
    expect_only(check(t), "OVF-REF-004", Severity::warning, line_of(t, "ovf://disk/disk1"));
    t = edit(k_base, "ovf:/disk/disk1", "/disk/disk1");
    expect_only(check(t), "OVF-REF-004", Severity::warning, line_of(t, ">/disk/disk1"));
    t = edit(k_base, "ovf:/disk/disk1", "nonexistent.vmdk");
    auto g = check(t);
    EXPECT_TRUE(has(g, "OVF-REF-005", line_of(t, "nonexistent.vmdk"))) << dump(g);
}

TEST(OvfValidate, ConnectionNamesANetwork) {
    auto t = edit(k_base, "<rasd:Connection>VM Network", "<rasd:Connection>Lab");
    expect_only(check(t), "OVF-REF-006", Severity::error, line_of(t, "<rasd:Connection>"));
}

TEST(OvfValidate, ParentMustResolveToAController) {
    auto t = edit(k_base, "<rasd:Parent>3", "<rasd:Parent>42");
    expect_only(check(t), "OVF-HW-004", Severity::error, line_of(t, "<rasd:Parent>"));
    t = edit(k_base, "<rasd:Parent>3", "<rasd:Parent>4");
    expect_only(check(t), "OVF-HW-004", Severity::error, line_of(t, "<rasd:Parent>"));
    t = edit(k_base, "<rasd:Parent>3", "<rasd:Parent>5");
    expect_only(check(t), "OVF-HW-008", Severity::warning, line_of(t, "<rasd:Parent>"));
}

TEST(OvfValidate, BusLimits) {
    auto t = edit(k_base, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>7");
    expect_only(check(t), "OVF-HW-006", Severity::error, line_of(t, "<rasd:AddressOnParent>"));
    t = edit(k_base, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>16");
    expect_only(check(t), "OVF-HW-006", Severity::error, line_of(t, "<rasd:AddressOnParent>"));
    t = edit(k_base, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>x");
    expect_only(check(t), "OVF-HW-006", Severity::error, line_of(t, "<rasd:AddressOnParent>"));

    auto ide = edit(k_base,
                    "<rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>\n        "
                    "<rasd:ResourceType>6<",
                    "<rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>\n        "
                    "<rasd:ResourceType>5<");
    EXPECT_EQ(dump(check(ide)), "");
    t = edit(ide, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>3");
    expect_only(check(t), "OVF-HW-010", Severity::warning, line_of(t, "<rasd:AddressOnParent>"));
    t = edit(ide, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>4");
    expect_only(check(t), "OVF-HW-006", Severity::error, line_of(t, "<rasd:AddressOnParent>"));

    auto sata = edit(k_base,
                     "<rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>\n        "
                     "<rasd:ResourceType>6<",
                     "<rasd:ResourceSubType>AHCI</rasd:ResourceSubType>\n        "
                     "<rasd:ResourceType>20<");
    t = edit(sata, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>29");
    EXPECT_EQ(dump(check(t)), "");
    t = edit(sata, "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>30");
    expect_only(check(t), "OVF-HW-006", Severity::error, line_of(t, "<rasd:AddressOnParent>"));
}

const char* k_second_disk = R"~(<Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Disk 2</rasd:ElementName>
        <rasd:InstanceID>6</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>)~";

TEST(OvfValidate, AddressOnParentIsUniquePerController) {
    auto t = with_items(k_second_disk);
    expect_only(check(t), "OVF-HW-005", Severity::error,
                line_of(t, "<rasd:AddressOnParent>0</rasd:AddressOnParent>\n        "
                           "<rasd:ElementName>Disk 2"));
    // A CD drive on a taken unit can be moved: a warning.
    t = with_items(edit(k_second_disk, "<rasd:ResourceType>17", "<rasd:ResourceType>15"));
    expect_only(check(t), "OVF-HW-009", Severity::warning,
                line_of(t, "<rasd:AddressOnParent>0</rasd:AddressOnParent>\n        "
                           "<rasd:ElementName>Disk 2"));
}

const char* k_options = R"~(<DeploymentOptionSection>
    <Info>Sizes</Info>
    <Configuration ovf:id="small" ovf:default="true"><Label>Small</Label><Description>1 CPU</Description></Configuration>
    <Configuration ovf:id="large"><Label>Large</Label><Description>4 CPUs</Description></Configuration>
  </DeploymentOptionSection>
  <VirtualSystem)~";

TEST(OvfValidate, InstanceIdsAreUniquePerConfiguration) {
    const char* cpu4 = R"~(<Item ovf:configuration="large">
        <rasd:ElementName>4 CPUs</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>4</rasd:VirtualQuantity>
      </Item>)~";
    // Without options, a second InstanceID 1 is a duplicate.
    auto t = with_items(edit(cpu4, " ovf:configuration=\"large\"", ""));
    expect_only(check(t), "OVF-ID-006", Severity::error,
                line_of(t, "<rasd:InstanceID>1</rasd:InstanceID>\n        <rasd:ResourceType>3<"
                           "/rasd:ResourceType>\n        <rasd:VirtualQuantity>4"));
    // With options, an item for "large" replaces the generic one there.
    t = edit(with_items(cpu4), "  <VirtualSystem", k_options);
    EXPECT_EQ(dump(check(t)), "");
    auto env = validate_descriptor(std::as_bytes(std::span(t.data(), t.size())), "t.ovf",
                                   *std::make_unique<Diagnostics>());
    ASSERT_TRUE(env && *env);
    EXPECT_EQ(summarize(**env).virtual_systems.at(0).cpus, 1u); // "small" is the default
    auto large = edit(t, "ovf:id=\"small\" ovf:default=\"true\"", "ovf:id=\"small\"");
    large =
        edit(large, "ovf:id=\"large\"><Label>", "ovf:id=\"large\" ovf:default=\"true\"><Label>");
    env = validate_descriptor(std::as_bytes(std::span(large.data(), large.size())), "t.ovf",
                              *std::make_unique<Diagnostics>());
    ASSERT_TRUE(env && *env);
    EXPECT_EQ(summarize(**env).virtual_systems.at(0).cpus, 4u);

    // Two items for the same configuration are duplicates.
    std::string two = std::string(cpu4) + "\n      " + cpu4;
    t = edit(with_items(two), "  <VirtualSystem", k_options);
    auto f = check(t);
    ASSERT_EQ(f.size(), 1u) << dump(f);
    EXPECT_EQ(f[0].code, "OVF-ID-006");
    EXPECT_NE(f[0].message.find("in configuration \"large\""), std::string::npos) << f[0].message;
}

TEST(OvfValidate, AddressesAreUniquePerConfiguration) {
    auto in = [](const char* config) {
        return edit(k_second_disk, "<Item>",
                    std::string("<Item ovf:configuration=\"") + config + "\">");
    };
    // A disk only "large" has, on the unit of the disk every configuration has.
    auto t = edit(with_items(in("large")), "  <VirtualSystem", k_options);
    auto f = check(t);
    ASSERT_EQ(f.size(), 1u) << dump(f);
    EXPECT_EQ(f[0].code, "OVF-HW-005");
    EXPECT_NE(f[0].message.find("in configuration \"large\""), std::string::npos) << f[0].message;
    // Listed in both: reported once, for the first configuration.
    t = edit(with_items(in("small large")), "  <VirtualSystem", k_options);
    f = check(t);
    ASSERT_EQ(f.size(), 1u) << dump(f);
    EXPECT_NE(f[0].message.find("in configuration \"large\""), std::string::npos) << f[0].message;
    // The same InstanceID as the common disk replaces it in "large": no clash.
    t = edit(with_items(edit(in("large"), "<rasd:InstanceID>6", "<rasd:InstanceID>4")),
             "  <VirtualSystem", k_options);
    EXPECT_EQ(dump(check(t)), "");
    // Two common disks on one unit clash where both are deployed: "large"
    // replaces one of them, "small" keeps both.
    std::string both = std::string(k_second_disk) + "\n      " +
                       edit(edit(in("large"), "<rasd:InstanceID>6", "<rasd:InstanceID>4"),
                            "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>1");
    t = edit(with_items(both), "  <VirtualSystem", k_options);
    f = check(t);
    ASSERT_EQ(f.size(), 1u) << dump(f);
    EXPECT_EQ(f[0].code, "OVF-HW-005");
    EXPECT_NE(f[0].message.find("in configuration \"small\""), std::string::npos) << f[0].message;
    // ... and when every configuration replaces one of them, nothing clashes.
    both = std::string(k_second_disk) + "\n      " +
           edit(edit(in("small large"), "<rasd:InstanceID>6", "<rasd:InstanceID>4"),
                "<rasd:AddressOnParent>0", "<rasd:AddressOnParent>1");
    t = edit(with_items(both), "  <VirtualSystem", k_options);
    EXPECT_EQ(dump(check(t)), "");
}

TEST(OvfValidate, ParentLoopsAreReportedForTheirMembersOnly) {
    // 7 -> 8 -> 9 -> 8: 8 and 9 loop; 7 runs into their loop.
    std::string items;
    for (auto [id, parent] : {std::pair{7, 8}, std::pair{8, 9}, std::pair{9, 8}}) {
        items += fmt::format("<Item>\n        <rasd:ElementName>C{0}</rasd:ElementName>\n"
                             "        <rasd:InstanceID>{0}</rasd:InstanceID>\n"
                             "        <rasd:Parent>{1}</rasd:Parent>\n"
                             "        <rasd:ResourceType>6</rasd:ResourceType>\n      </Item>\n",
                             id, parent);
    }
    auto f = check(with_items(items));
    std::vector<std::string> looping;
    for (const auto& x : f) {
        if (x.message.find("Parent chain loops back") != std::string::npos) {
            looping.push_back(x.message.substr(0, x.message.find(" (")));
        }
    }
    EXPECT_EQ(looping, (std::vector<std::string>{"<Item> \"C8\"", "<Item> \"C9\""})) << dump(f);
}

TEST(OvfValidate, TwoFilesForOnePackageFileAreAnError) {
    auto t = edit(k_base, R"(<File ovf:id="file1" ovf:href="disk1.vmdk" ovf:size="1000"/>)",
                  R"(<File ovf:id="file1" ovf:href="disk1.vmdk" ovf:size="1000"/>
    <File ovf:id="file2" ovf:href="disk%31.vmdk" ovf:size="1000"/>)");
    auto f = check(t);
    auto dup =
        std::find_if(f.begin(), f.end(), [](const Finding& x) { return x.code == "OVF-ID-007"; });
    ASSERT_NE(dup, f.end()) << dump(f);
    EXPECT_EQ(dup->severity, Severity::error);
    EXPECT_EQ(dup->line, line_of(t, "file2"));
    EXPECT_NE(dup->message.find(fmt::format("line {}", line_of(t, "file1"))), std::string::npos)
        << dup->message;
}

TEST(OvfValidate, RangeMarkersBoundTheirItem) {
    const char* cpu = R"~(<Item ovf:bound="BOUND">
        <rasd:ElementName>CPU</rasd:ElementName>
        <rasd:InstanceID>ID</rasd:InstanceID>
        <rasd:ResourceType>RT</rasd:ResourceType>
        <rasd:VirtualQuantity>4</rasd:VirtualQuantity>
      </Item>)~";
    auto marker = [&](const char* bound, const char* id, const char* rt) {
        return edit(edit(edit(cpu, "BOUND", bound), ">ID<", std::string(">") + id + "<"), ">RT<",
                    std::string(">") + rt + "<");
    };
    // A min and a max beside the normal CPU item: no duplicate InstanceID.
    auto t = with_items(marker("min", "1", "3") + "\n      " + marker("max", "1", "3"));
    EXPECT_EQ(dump(check(t)), "");
    // Each rule broken once.
    t = with_items(marker("min", "1", "3") + "\n      " + marker("min", "1", "3"));
    expect_only(check(t), "OVF-HW-012", Severity::error,
                line_of(t, "<Item ovf:bound=\"min\">") + 6); // the second marker
    t = with_items(marker("max", "1", "4"));
    expect_only(
        check(t), "OVF-HW-012", Severity::error,
        line_of(t, "<rasd:ResourceType>4</rasd:ResourceType>\n        <rasd:VirtualQuantity>4"));
    t = with_items(marker("max", "99", "3"));
    expect_only(check(t), "OVF-HW-012", Severity::error, line_of(t, "<Item ovf:bound=\"max\">"));
    t = with_items(marker("top", "1", "3"));
    auto f = check(t);
    ASSERT_FALSE(f.empty());
    EXPECT_EQ(f[0].code, "OVF-HW-012");
}

TEST(OvfValidate, ConfigurationIdsResolve) {
    auto t = edit(edit(k_base, "<Item>\n        <rasd:ElementName>CPU",
                       "<Item ovf:configuration=\"huge\">\n        <rasd:ElementName>CPU"),
                  "  <VirtualSystem", k_options);
    expect_only(check(t), "OVF-REF-007", Severity::error, line_of(t, "\"huge\""));
    t = edit(k_options, "<Configuration ovf:id=\"large\">",
             "<Configuration ovf:id=\"large\" ovf:default=\"true\">");
    t = edit(k_base, "  <VirtualSystem", t);
    expect_only(check(t), "OVF-CFG-001", Severity::error, line_of(t, "ovf:id=\"large\""));
}

TEST(OvfValidate, ResourceTypes) {
    const char* item = R"~(<Item>
        <rasd:ElementName>Gadget</rasd:ElementName>
        <rasd:InstanceID>9</rasd:InstanceID>
        <rasd:ResourceType>RT</rasd:ResourceType>
      </Item>)~";
    auto t = with_items(edit(item, "RT", "29"));
    expect_only(check(t), "OVF-REQ-002", Severity::error, line_of(t, "<rasd:ResourceType>29"));
    t = with_items(edit(edit(item, "RT", "29"), "<Item>", "<Item ovf:required=\"false\">"));
    EXPECT_EQ(dump(check(t)), "");
    t = with_items(edit(item, "RT", "35")); // VirtualBox's sound card
    expect_only(check(t), "OVF-HW-003", Severity::warning, line_of(t, "<rasd:ResourceType>35"));
    t = with_items(edit(item, "RT", "ten"));
    expect_only(check(t), "OVF-HW-002", Severity::error, line_of(t, "<rasd:ResourceType>ten"));
    t = with_items(edit(edit(item, "RT", "1"), "<rasd:InstanceID>9</rasd:InstanceID>", ""));
    auto f = check(t);
    EXPECT_TRUE(has(f, "OVF-HW-001", line_of(t, "<Item>\n        <rasd:ElementName>Gadget")))
        << dump(f);
}

TEST(OvfValidate, RequiredSections) {
    auto t = with_sections(
        R"~(<foo:BarSection xmlns:foo="urn:example:foo"><Info>x</Info></foo:BarSection>)~");
    expect_only(check(t), "OVF-REQ-001", Severity::error, line_of(t, "<foo:BarSection"));
    t = with_sections(
        R"~(<foo:BarSection xmlns:foo="urn:example:foo" ovf:required="false"><Info>x</Info></foo:BarSection>)~");
    EXPECT_EQ(dump(check(t)), "");
    t = with_sections(R"~(<vmw:BootOrderSection><Info>x</Info></vmw:BootOrderSection>)~");
    expect_only(check(t), "OVF-REQ-003", Severity::warning, line_of(t, "<vmw:BootOrderSection"));
}

TEST(OvfValidate, CapacitiesAndUnits) {
    auto t = edit(k_base, "ovf:capacityAllocationUnits=\"byte * 2^20\"",
                  "ovf:capacityAllocationUnits=\"hertz * 10^6\"");
    expect_only(check(t), "OVF-UNIT-001", Severity::error, line_of(t, "<Disk "));
    t = edit(k_base, "ovf:capacity=\"64\"", "ovf:capacity=\"sixty\"");
    expect_only(check(t), "OVF-NUM-001", Severity::error, line_of(t, "<Disk "));
    t = edit(k_base, "ovf:capacity=\"64\"", "ovf:capacity=\"#SIZE#\"");
    expect_only(check(t), "OVF-NUM-002", Severity::warning, line_of(t, "<Disk "));
    t = edit(k_base, "ovf:capacity=\"64\"", "ovf:capacity=\"${nope}\"");
    expect_only(check(t), "OVF-DISK-004", Severity::error, line_of(t, "<Disk "));
    t = edit(edit(k_base, "ovf:capacity=\"64\"", "ovf:capacity=\"${size}\""),
             "<Property ovf:key=\"hostname\"",
             "<Property ovf:key=\"size\" ovf:type=\"uint64\" ovf:value=\"128\"/>\n      "
             "<Property ovf:key=\"hostname\"");
    EXPECT_EQ(dump(check(t)), "");
    t = edit(k_base, "ovf:capacity=\"64\"", "ovf:capacity=\"99999999999999\"");
    expect_only(check(t), "OVF-UNIT-002", Severity::error, line_of(t, "<Disk "));
    t = edit(k_base, "ovf:capacityAllocationUnits=\"byte * 2^20\"",
             "ovf:capacityAllocationUnits=\"MegaBytes\"");
    expect_only(check(t), "OVF-UNIT-003", Severity::warning, line_of(t, "<Disk "));
    t = edit(k_base, "<rasd:AllocationUnits>byte * 2^20", "<rasd:AllocationUnits>percent");
    expect_only(check(t), "OVF-UNIT-001", Severity::error, line_of(t, "percent"));
    t = edit(k_base, "<rasd:VirtualQuantity>1<", "<rasd:VirtualQuantity>0<");
    expect_only(check(t), "OVF-HW-007", Severity::error, line_of(t, "<rasd:VirtualQuantity>0"));
}

TEST(OvfValidate, Hrefs) {
    auto t = edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"../../etc/shadow\"");
    expect_only(check(t), "OVF-HREF-001", Severity::error, line_of(t, "<File "));
    t = edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"http://127.0.0.1/disk1.vmdk\"");
    expect_only(check(t), "OVF-HREF-001", Severity::error, line_of(t, "<File "));
    t = edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"/etc/passwd\"");
    expect_only(check(t), "OVF-HREF-001", Severity::error, line_of(t, "<File "));
    t = edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"disks/disk1.vmdk\"");
    expect_only(check(t), "OVF-HREF-002", Severity::warning, line_of(t, "<File "));
}

TEST(OvfValidate, HrefsArePercentDecodedBeforeTheyAreChecked) {
    auto with_href = [](const std::string& href) {
        return edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"" + href + "\"");
    };
    EXPECT_EQ(dump(check(with_href("disk%201.vmdk"))), "");
    // Escapes that decode to a separator, "..", NUL, a control character or
    // ':' are refused like their plain forms.
    for (const char* href : {"..%2Fetc%2Fshadow", "%2e%2e/disk1.vmdk", "disk%00.vmdk",
                             "disk%0a.vmdk", "a%5Cb.vmdk", "%3A"}) {
        auto t = with_href(href);
        expect_only(check(t), "OVF-HREF-001", Severity::error, line_of(t, "<File "));
    }
    // A '%' that starts no escape (producers that do not escape names) is
    // taken literally, with a warning.
    for (const char* href : {"50% off.vmdk", "disk%zz.vmdk", "disk%2"}) {
        auto t = with_href(href);
        expect_only(check(t), "OVF-HREF-003", Severity::warning, line_of(t, "<File "));
    }
}

std::vector<Finding> check_property(const std::string& property) {
    auto t = edit(k_base, "<Property ovf:key=\"hostname\" ovf:type=\"string\" ovf:value=\"vm\"/>",
                  property);
    return check(t);
}

TEST(OvfValidate, PropertyTypesAndQualifiers) {
    auto code = [](const std::vector<Finding>& f) { return f.size() == 1 ? f[0].code : dump(f); };
    EXPECT_EQ(code(check_property(R"~(<Property ovf:key="n" ovf:type="uint8" ovf:value="300"/>)~")),
              "OVF-PROP-002");
    EXPECT_EQ(code(check_property(R"~(<Property ovf:key="n" ovf:type="uint8" ovf:value="255"/>)~")),
              "");
    EXPECT_EQ(
        code(check_property(R"~(<Property ovf:key="n" ovf:type="sint8" ovf:value="-129"/>)~")),
        "OVF-PROP-002");
    EXPECT_EQ(
        code(check_property(R"~(<Property ovf:key="n" ovf:type="sint8" ovf:value="-128"/>)~")), "");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="uint64" ovf:value="18446744073709551615"/>)~")),
        "");
    EXPECT_EQ(
        code(check_property(R"~(<Property ovf:key="n" ovf:type="real32" ovf:value="1.5e3"/>)~")),
        "");
    EXPECT_EQ(
        code(check_property(R"~(<Property ovf:key="n" ovf:type="real64" ovf:value="nan"/>)~")),
        "OVF-PROP-002");
    EXPECT_EQ(
        code(check_property(R"~(<Property ovf:key="n" ovf:type="boolean" ovf:value="yes"/>)~")),
        "OVF-PROP-002");
    EXPECT_EQ(
        code(check_property(R"~(<Property ovf:key="n" ovf:type="boolean" ovf:value="True"/>)~")),
        "OVF-PROP-007");
    EXPECT_EQ(code(check_property(R"~(<Property ovf:key="n" ovf:type="ip" ovf:value="x"/>)~")),
              "OVF-PROP-001");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="string" ovf:qualifiers="MinLen(2),MaxLen(3)" ovf:value="abcd"/>)~")),
        "OVF-PROP-003");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="uint16" ovf:qualifiers="MinValue(10) MaxValue(1000)" ovf:value="5"/>)~")),
        "OVF-PROP-003");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="string" ovf:qualifiers="ValueMap{&quot;a,b&quot;,&quot;c&quot;}" ovf:value="a,b"/>)~")),
        "");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="string" ovf:qualifiers="ValueMap{&quot;a&quot;,&quot;c&quot;}" ovf:value="b"/>)~")),
        "OVF-PROP-003");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="uint8" ovf:qualifiers="ValueMap{0,2,5..9}" ovf:value="7"/>)~")),
        "");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="string" ovf:qualifiers="MaxLen(x)" ovf:value="a"/>)~")),
        "OVF-PROP-004");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="string" ovf:qualifiers="Ip('VM Network')" ovf:value=""/>)~")),
        "");
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="string" ovf:qualifiers="Frobnicate" ovf:value=""/>)~")),
        "OVF-PROP-005");
    // An empty default the deployer must fill in is not a finding.
    EXPECT_EQ(
        code(check_property(
            R"~(<Property ovf:key="n" ovf:type="uint8" ovf:userConfigurable="true" ovf:value=""/>)~")),
        "");
    EXPECT_EQ(code(check_property(R"~(<Property ovf:key="n" ovf:type="string"/>
      <Property ovf:key="n" ovf:type="string"/>)~")),
              "OVF-PROP-006");
}

TEST(OvfValidate, PasswordValuesAreNeverQuoted) {
    auto f = check_property(
        R"~(<Property ovf:key="pw" ovf:type="string" ovf:password="true" ovf:qualifiers="MaxLen(3)" ovf:value="hunter2"/>)~");
    ASSERT_EQ(f.size(), 1u) << dump(f);
    EXPECT_EQ(f[0].code, "OVF-PROP-003");
    EXPECT_EQ(f[0].message.find("hunter2"), std::string::npos) << f[0].message;
}

TEST(OvfValidate, VirtualSystemNeedsHardware) {
    auto t = k_base;
    auto from = t.find("    <VirtualHardwareSection>");
    auto to = t.find("</VirtualHardwareSection>") + std::string("</VirtualHardwareSection>").size();
    t.erase(from, to - from);
    auto f = check(t);
    EXPECT_TRUE(has(f, "OVF-VS-001", line_of(t, "<VirtualSystem "))) << dump(f);
}

TEST(OvfValidate, PackageFileSizes) {
    std::map<std::string, uint64_t> present{{"disk1.vmdk", 1000}};
    PackageFiles pkg;
    pkg.complete = true;
    pkg.size = [&](std::string_view name) -> Result<std::optional<uint64_t>> {
        auto it = present.find(std::string(name));
        return it == present.end() ? std::nullopt : std::optional<uint64_t>(it->second);
    };
    DescriptorCheckOptions opts;
    opts.semantic.package = &pkg;
    EXPECT_EQ(dump(check(k_base, opts)), "");
    uint32_t file_line = line_of(k_base, "<File ");

    present["disk1.vmdk"] = 999;
    expect_only(check(k_base, opts), "OVF-FILE-003", Severity::error, file_line);
    present.clear();
    expect_only(check(k_base, opts), "OVF-FILE-001", Severity::error, file_line);
    pkg.complete = false;
    expect_only(check(k_base, opts), "OVF-FILE-002", Severity::warning, file_line);

    // Chunks: disk1.vmdk.000000000, .000000001 ... add up to ovf:size.
    pkg.complete = true;
    auto chunked = edit(k_base, "ovf:size=\"1000\"", "ovf:size=\"1000\" ovf:chunkSize=\"600\"");
    present = {{"disk1.vmdk.000000000", 600}, {"disk1.vmdk.000000001", 400}};
    EXPECT_EQ(dump(check(chunked, opts)), "");
    present.erase("disk1.vmdk.000000001");
    expect_only(check(chunked, opts), "OVF-FILE-003", Severity::error, file_line);

    // The package is asked for the decoded name.
    auto spaced = edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"disk%201.vmdk\"");
    present = {{"disk 1.vmdk", 1000}};
    EXPECT_EQ(dump(check(spaced, opts)), "");
    present = {{"disk%201.vmdk", 1000}};
    auto missing = check(spaced, opts);
    expect_only(missing, "OVF-FILE-001", Severity::error, file_line);
    EXPECT_NE(missing[0].message.find("\"disk 1.vmdk\" is not in the package"), std::string::npos)
        << missing[0].message;
    // A literal '%' is looked up literally.
    auto literal = edit(k_base, "ovf:href=\"disk1.vmdk\"", "ovf:href=\"50% off.vmdk\"");
    present = {{"50% off.vmdk", 1000}};
    expect_only(check(literal, opts), "OVF-HREF-003", Severity::warning, file_line);
}

TEST(OvfValidate, ParseFailuresAreFindingsAndRefusalsAreErrors) {
    std::string broken = "<?xml version=\"1.0\"?>\n<Envelope xmlns=\"http://schemas.dmtf.org/ovf/"
                         "envelope/1\">\n<References>\n</Envelope>\n";
    Diagnostics diag;
    auto r =
        validate_descriptor(std::as_bytes(std::span(broken.data(), broken.size())), "t.ovf", diag);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
    ASSERT_EQ(diag.findings().size(), 1u);
    EXPECT_EQ(diag.findings()[0].code, "OVF-PARSE-001");
    EXPECT_EQ(diag.findings()[0].line, 4u);
    EXPECT_EQ(diag.findings()[0].message.find("t.ovf"), std::string::npos);

    std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<x>&a;</x>";
    Diagnostics diag2;
    auto refused =
        validate_descriptor(std::as_bytes(std::span(bomb.data(), bomb.size())), "t.ovf", diag2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::refused);
    EXPECT_TRUE(diag2.empty());
}

TEST(OvfValidate, SchemaFindingsAreMerged) {
    DescriptorCheckOptions opts;
    opts.schema = true;
    EXPECT_EQ(dump(check(k_base, opts)), "");
    // An Item without the schema-required ElementName: the schema says so,
    // semantic validation does not care.
    auto t = edit(k_base, "<rasd:ElementName>NIC</rasd:ElementName>", "");
    auto f = check(t, opts);
    ASSERT_FALSE(f.empty());
    EXPECT_EQ(f[0].code, "OVF-SCHEMA-001") << dump(f);
    // OVF 0.9 has no bundled schema: a notice, not silence.
    auto v09 = edit(edit(k_base, "http://schemas.dmtf.org/ovf/envelope/1\"\n",
                         "http://www.vmware.com/schema/ovf/1/envelope\"\n"),
                    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"",
                    "xmlns:ovf=\"http://www.vmware.com/schema/ovf/1/envelope\"");
    auto g = check(v09, opts);
    EXPECT_TRUE(has(g, "OVF-SCHEMA-003", line_of(v09, "<Envelope"))) << dump(g);
}

TEST(OvfSummary, Tiny) {
    std::string t =
        with_items(R"~(<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>)~");
    Diagnostics diag;
    auto env = validate_descriptor(std::as_bytes(std::span(t.data(), t.size())), "t.ovf", diag);
    ASSERT_TRUE(env && *env);
    Summary s = summarize(**env);
    EXPECT_EQ(s.ovf_version, "1.x");
    ASSERT_EQ(s.virtual_systems.size(), 1u);
    const auto& vs = s.virtual_systems[0];
    EXPECT_EQ(vs.cpus, 1u);
    EXPECT_EQ(vs.memory_mib, 256u);
    EXPECT_EQ(vs.firmware, "efi");
    ASSERT_EQ(vs.disks.size(), 1u);
    EXPECT_EQ(vs.disks[0].capacity_bytes, uint64_t{64} << 20);
    EXPECT_EQ(vs.disks[0].file, "disk1.vmdk");
    EXPECT_EQ(vs.disks[0].controller, "SCSI");
    EXPECT_EQ(vs.disks[0].address, "0");
    ASSERT_EQ(vs.nics.size(), 1u);
    EXPECT_EQ(vs.nics[0].network, "VM Network");
    EXPECT_EQ(vs.nics[0].model, "E1000");
    ASSERT_EQ(s.properties.size(), 1u);
    EXPECT_EQ(s.properties[0].value, "vm");
    EXPECT_FALSE(s.eula);
}

} // namespace
} // namespace ovfkit::ovf
