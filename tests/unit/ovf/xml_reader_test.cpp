#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>

namespace ovfkit::ovf {
namespace {

const std::string k_head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
                           "    xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
                           "    xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                           "CIM_ResourceAllocationSettingData\"\n"
                           "    xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                           "CIM_VirtualSystemSettingData\"\n"
                           "    xmlns:vmw=\"http://www.vmware.com/schema/ovf\">\n"; // lines 1-6

// A VMware-style 1.0 descriptor; line numbers matter to the tests below.
const std::string k_minimal =
    k_head +                                                                        // 1-6
    "  <References>\n"                                                              // 7
    "    <File ovf:id=\"file1\" ovf:href=\"disk1.vmdk\" ovf:size=\"123456789\"/>\n" // 8
    "  </References>\n"                                                             // 9
    "  <DiskSection>\n"                                                             // 10
    "    <Info>Virtual disks</Info>\n"                                              // 11
    "    <Disk ovf:diskId=\"vmdisk1\" ovf:fileRef=\"file1\" ovf:capacity=\"16\"\n"
    "          ovf:capacityAllocationUnits=\"byte * 2^30\"\n"
    "          ovf:format=\"http://www.vmware.com/interfaces/specifications/"
    "vmdk.html#streamOptimized\"/>\n" // 12-14
    "  </DiskSection>\n"              // 15
    "  <NetworkSection>\n"            // 16
    "    <Info>Logical networks</Info>\n"
    "    <Network ovf:name=\"VM Network\"><Description>Primary</Description></Network>\n"
    "  </NetworkSection>\n" // 19
    "  <VirtualSystem ovf:id=\"vm\">\n"
    "    <Info>A virtual machine</Info>\n"
    "    <Name>web &amp; db</Name>\n"
    "    <OperatingSystemSection ovf:id=\"101\" vmw:osType=\"otherLinux64Guest\">\n"
    "      <Info>Guest OS</Info>\n"
    "    </OperatingSystemSection>\n" // 25
    "    <VirtualHardwareSection ovf:transport=\"iso com.vmware.guestInfo\">\n"
    "      <Info>Virtual hardware</Info>\n"
    "      <System>\n"
    "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
    "        <vssd:InstanceID>0</vssd:InstanceID>\n" // 30
    "        <vssd:VirtualSystemType>vmx-10 vmx-13</vssd:VirtualSystemType>\n"
    "      </System>\n"
    "      <Item>\n" // 33
    "        <rasd:ResourceType>17</rasd:ResourceType>\n"
    "        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>\n"
    "        <rasd:InstanceID>4</rasd:InstanceID>\n"
    "        <rasd:ElementName>Hard Disk 1</rasd:ElementName>\n"
    "        <vmw:Config ovf:required=\"false\" vmw:key=\"backing.writeThrough\" "
    "vmw:value=\"false\"/>\n"
    "        <rasd:AddressOnParent> 0 </rasd:AddressOnParent>\n"
    "      </Item>\n" // 40
    "      <Item ovf:required=\"false\" ovf:configuration=\"small large\">\n"
    "        <rasd:Connection>VM Network</rasd:Connection>\n"
    "        <rasd:Connection>Other</rasd:Connection>\n"
    "        <rasd:InstanceID>5</rasd:InstanceID>\n"
    "        <rasd:ResourceType>10</rasd:ResourceType>\n" // 45
    "      </Item>\n"
    "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"efi\"/>\n"
    "    </VirtualHardwareSection>\n"
    "  </VirtualSystem>\n"
    "</Envelope>\n"; // 50

Result<Envelope> read(const std::string& text, Diagnostics& diag) {
    return read_envelope(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag);
}

Result<Envelope> read(const std::string& text) {
    Diagnostics diag;
    return read(text, diag);
}

void expect_error(const Result<Envelope>& r, Errc code, const std::string& message) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().message, message);
}

TEST(OvfReader, ReadsTheCoreSections) {
    Diagnostics diag;
    auto env = read(k_minimal, diag);
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_TRUE(diag.empty());
    EXPECT_EQ(env->version, OvfVersion::v1);

    ASSERT_EQ(env->references.files.size(), 1u);
    const File& f = env->references.files[0];
    EXPECT_EQ(f.id, "file1");
    EXPECT_EQ(f.href, "disk1.vmdk");
    EXPECT_EQ(f.size, "123456789");
    EXPECT_FALSE(f.compression);
    EXPECT_EQ(f.line.number, 8u);

    const auto* disks = env->find<DiskSection>();
    ASSERT_NE(disks, nullptr);
    EXPECT_EQ(disks->header.info->text, "Virtual disks");
    EXPECT_EQ(disks->header.line.number, 10u);
    ASSERT_EQ(disks->disks.size(), 1u);
    EXPECT_EQ(disks->disks[0].disk_id, "vmdisk1");
    EXPECT_EQ(disks->disks[0].capacity, "16");
    EXPECT_EQ(disks->disks[0].capacity_allocation_units, "byte * 2^30");
    EXPECT_EQ(disks->disks[0].line.number, 12u); // where the multi-line tag begins

    const auto* nets = env->find<NetworkSection>();
    ASSERT_NE(nets, nullptr);
    EXPECT_EQ(nets->networks.at(0).name, "VM Network");
    EXPECT_EQ(nets->networks.at(0).description->text, "Primary");

    const Content& vm = env->content;
    EXPECT_EQ(vm.kind, ContentKind::virtual_system);
    EXPECT_EQ(vm.id, "vm");
    EXPECT_EQ(vm.name->text, "web & db");
    const auto* os = vm.find<OperatingSystemSection>();
    ASSERT_NE(os, nullptr);
    EXPECT_EQ(os->id, "101");
    EXPECT_EQ(os->vmw_os_type, "otherLinux64Guest");
    EXPECT_TRUE(os->header.extra.empty());

    const auto* hw = vm.find<VirtualHardwareSection>();
    ASSERT_NE(hw, nullptr);
    EXPECT_EQ(hw->transport, "iso com.vmware.guestInfo");
    EXPECT_EQ(hw->system->virtual_system_type(), "vmx-10 vmx-13");
    EXPECT_EQ(hw->system->instance_id(), "0");
    ASSERT_EQ(hw->items.size(), 2u);
    const Item& disk = hw->items[0];
    EXPECT_EQ(disk.line.number, 33u);
    EXPECT_EQ(disk.resource_type_id(), 17u);
    EXPECT_EQ(disk.instance_id(), "4");
    EXPECT_EQ(disk.display_name(), "Hard Disk 1");
    EXPECT_EQ(disk.address_on_parent(), "0"); // trimmed
    EXPECT_EQ(disk.host_resources(), std::vector<std::string>{"ovf:/disk/vmdisk1"});
    // CIM properties in schema (alphabetical) order, foreign children last.
    std::vector<std::string> names;
    for (const auto& field : disk.fields) {
        names.push_back(field.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"AddressOnParent", "ElementName", "HostResource",
                                               "InstanceID", "ResourceType", "Config"}));
    EXPECT_EQ(disk.fields[5].ns, k_vmw_ns);
    EXPECT_EQ(disk.fields[5].line.number, 38u);
    ASSERT_EQ(disk.fields[5].attributes.size(), 3u);
    EXPECT_EQ(disk.fields[5].attributes[0].ns, k_envelope_ns_placeholder);
    EXPECT_EQ(disk.fields[5].attributes[0].name, "required");

    const Item& nic = hw->items[1];
    EXPECT_EQ(nic.required, false);
    EXPECT_EQ(nic.configuration, "small large");
    EXPECT_EQ(nic.connections(), (std::vector<std::string>{"VM Network", "Other"}));
    EXPECT_FALSE(nic.element_name());

    // The section-level vmw:Config is kept verbatim after Info, System and
    // both items.
    ASSERT_EQ(hw->header.extra.elements.size(), 1u);
    const Extension& ext = hw->header.extra.elements[0];
    EXPECT_EQ(ext.position, 4u);
    EXPECT_EQ(ext.element.name, "Config");
    EXPECT_EQ(ext.element.line.number, 47u);
    EXPECT_EQ(ext.element.xml,
              "<vmw:Config xmlns:ovf=\"urn:ovfkit:ovf-envelope\" "
              "xmlns:vmw=\"http://www.vmware.com/schema/ovf\" ovf:required=\"false\" "
              "vmw:key=\"firmware\" vmw:value=\"efi\"/>");
}

// Modelled content is matched by namespace URI. (Verbatim elements keep the
// prefixes they were written with, so the vmw:Config lines are left out.)
TEST(OvfReader, MatchesNamespacesByUriNotPrefix) {
    std::string base = k_minimal;
    for (size_t p; (p = base.find("<vmw:Config")) != std::string::npos;) {
        base.erase(p, base.find("/>", p) + 2 - p);
    }
    std::string renamed = base;
    // Bind the envelope to "e:" only, and rasd to "r:".
    auto replace_all = [&](const std::string& from, const std::string& to) {
        for (size_t p = renamed.find(from); p != std::string::npos;
             p = renamed.find(from, p + to.size())) {
            renamed.replace(p, from.size(), to);
        }
    };
    replace_all("xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"\n", "");
    replace_all("xmlns:ovf=", "xmlns:e=");
    replace_all("ovf:", "e:");
    replace_all("e:/disk/", "ovf:/disk/"); // HostResource text is not a QName
    replace_all("<", "<e:");
    replace_all("<e:/", "</e:");
    replace_all("<e:?xml", "<?xml");
    replace_all("<e:rasd:", "<r:");
    replace_all("</e:rasd:", "</r:");
    replace_all("<e:vssd:", "<vssd:");
    replace_all("</e:vssd:", "</vssd:");
    replace_all("<e:vmw:", "<vmw:");
    replace_all("xmlns:rasd=", "xmlns:r=");
    auto a = read(base);
    auto b = read(renamed);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message << "\n" << renamed;
    EXPECT_EQ(b->content.find<VirtualHardwareSection>()->items[1].connections().size(), 2u);
    EXPECT_TRUE(*a == *b);
}

TEST(OvfReader, LinesDoNotTakePartInEquality) {
    std::string spaced = k_minimal;
    spaced.insert(spaced.find("  <References>"), "\n\n\n");
    auto a = read(k_minimal);
    auto b = read(spaced);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(b->references.files[0].line.number, 11u);
    EXPECT_TRUE(*a == *b);
}

TEST(OvfReader, LineNumbersBeyond65535) {
    std::string text = k_minimal;
    text.insert(text.find("      <Item ovf:required"), std::string(70000, '\n'));
    auto env = read(text);
    ASSERT_TRUE(env) << env.error().message;
    const auto* hw = env->content.find<VirtualHardwareSection>();
    EXPECT_EQ(hw->items[1].line.number, 70041u);
    EXPECT_EQ(hw->items[1].fields[0].line.number, 70042u);
}

TEST(OvfReader, Ovf09SectionsByXsiType) {
    auto env = read(
        "<ovf:Envelope xmlns:ovf=\"http://www.vmware.com/schema/ovf/1/envelope\"\n"
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ovf:version=\"0.9\">\n"
        " <ovf:References/>\n"
        " <ovf:Section xsi:type=\"ovf:DiskSection_Type\"><ovf:Info>d</ovf:Info>\n"
        "  <ovf:Disk ovf:diskId=\"d1\" ovf:capacity=\"1\"/></ovf:Section>\n"
        " <ovf:Content ovf:id=\"vm\" xsi:type=\"ovf:VirtualSystem_Type\">\n"
        "  <ovf:Section xsi:type=\"ovf:VirtualHardwareSection_Type\"><ovf:Item/></ovf:Section>\n"
        "  <ovf:Section xsi:type=\"ovf:FancySection_Type\"/>\n"
        " </ovf:Content>\n"
        "</ovf:Envelope>");
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_EQ(env->version, OvfVersion::v0_9);
    EXPECT_EQ(env->version_attribute, "0.9");
    ASSERT_NE(env->find<DiskSection>(), nullptr);
    EXPECT_EQ(env->find<DiskSection>()->disks[0].disk_id, "d1");
    EXPECT_TRUE(env->find<DiskSection>()->header.extra.empty()); // xsi:type consumed
    ASSERT_EQ(env->content.sections.size(), 2u);
    EXPECT_EQ(env->content.find<VirtualHardwareSection>()->items.size(), 1u);
    const auto* unknown = std::get_if<UnknownSection>(&env->content.sections[1]);
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(unknown->element.name, "Section");
}

TEST(OvfReader, OvirtDialectWithWarning) {
    Diagnostics diag;
    auto env = read("<ovf:Envelope xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1/'\n"
                    " xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' ovf:version='0.9'>\n"
                    " <References><File ovf:id='v' ovf:href='d/v'/></References>\n"
                    " <Content ovf:id='out' xsi:type='ovf:VirtualSystem_Type'>\n"
                    "  <Name>vm</Name><TemplateId>0</TemplateId>\n"
                    " </Content>\n"
                    "</ovf:Envelope>",
                    diag);
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_EQ(env->version, OvfVersion::ovirt);
    EXPECT_EQ(env->references.files.at(0).href, "d/v");
    EXPECT_EQ(env->content.name->text, "vm");
    ASSERT_EQ(env->content.extra.elements.size(), 1u);
    EXPECT_EQ(env->content.extra.elements[0].element.xml, "<TemplateId>0</TemplateId>");
    ASSERT_EQ(diag.findings().size(), 1u);
    EXPECT_EQ(diag.findings()[0].code, "OVF-NS-ALIAS");
    EXPECT_EQ(diag.findings()[0].line, 1u); // where the root start tag begins
    EXPECT_EQ(diag.findings()[0].severity, Severity::warning);
}

TEST(OvfReader, AttributesInTheOtherEnvelopeNamespaceAreTheEnvelopes) {
    // The default namespace switched to OVF 2 while ovf: stays OVF 1.
    std::string t = R"(<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/2"
 xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:o2="http://schemas.dmtf.org/ovf/envelope/2">
  <References>
    <File ovf:id="f1" ovf:href="a.vmdk" ovf:size="7"/>
    <File ovf:id="f2" o2:href="b.vmdk" ovf:href="c.vmdk" ovf:extra="1"/>
  </References>
  <VirtualSystem ovf:id="vm"><Info>x</Info></VirtualSystem>
</Envelope>)";
    Diagnostics diag;
    auto env = read(t, diag);
    ASSERT_TRUE(env) << env.error().message;
    ASSERT_EQ(env->references.files.size(), 2u);
    EXPECT_EQ(env->references.files[0].id, "f1");
    EXPECT_EQ(env->references.files[0].href, "a.vmdk");
    EXPECT_EQ(env->references.files[0].size, "7");
    EXPECT_EQ(env->references.files[1].href, "b.vmdk") << "the envelope's own namespace wins";
    size_t mixed = 0;
    for (const auto& f : diag.findings()) {
        mixed += f.code == "OVF-NS-MIXED" ? 1 : 0;
    }
    EXPECT_EQ(mixed, 2u) << "one for the namespace, one for the dropped c.vmdk";
    // Written back, each attribute appears once, and the writer is a fixed point.
    for (OvfVersion v : {OvfVersion::v1, OvfVersion::v2}) {
        auto out = write_envelope(*env, v);
        ASSERT_TRUE(out) << out.error().message;
        auto again = read(*out);
        ASSERT_TRUE(again) << again.error().message << "\n" << *out;
        EXPECT_EQ(again->references.files[1].href, "b.vmdk");
        EXPECT_EQ(write_envelope(*again, v).value(), *out);
    }
}

TEST(OvfReader, CimNamespaceAliasesAreMappedWithAWarning) {
    Diagnostics diag;
    auto env =
        read("<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/2'\n"
             " xmlns:sasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
             "CIM_StorageAllocationSettingData.xsd'\n"
             " xmlns:epasd='http://schemas.dmtf.org/wbem/wscim/1/cim2608 schema/2/"
             "CIM_EthernetPortAllocationSettingData'>\n"
             " <References/><VirtualSystem><VirtualHardwareSection>\n"
             "  <StorageItem><sasd:ResourceType>17</sasd:ResourceType></StorageItem>\n"
             "  <EthernetPortItem><epasd:ResourceType>10</epasd:ResourceType></EthernetPortItem>\n"
             " </VirtualHardwareSection></VirtualSystem></Envelope>",
             diag);
    ASSERT_TRUE(env) << env.error().message;
    const auto* hw = env->content.find<VirtualHardwareSection>();
    ASSERT_EQ(hw->items.size(), 2u);
    // Schema order: EthernetPortItem before StorageItem.
    EXPECT_EQ(hw->items[0].kind, ItemKind::ethernet_port_item);
    EXPECT_EQ(hw->items[0].fields[0].ns, k_epasd_ns);
    EXPECT_EQ(hw->items[0].resource_type_id(), 10u);
    EXPECT_EQ(hw->items[1].kind, ItemKind::storage_item);
    EXPECT_EQ(hw->items[1].fields[0].ns, k_sasd_ns);
    ASSERT_EQ(diag.findings().size(), 2u);
    EXPECT_EQ(diag.findings()[0].message,
              "namespace \"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
              "CIM_StorageAllocationSettingData.xsd\" is not the DMTF URI; read as "
              "\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
              "CIM_StorageAllocationSettingData\"");
    EXPECT_EQ(diag.findings()[0].line, 1u); // declared on the root
}

TEST(OvfReader, UnknownSectionsAndAttributesAreKept) {
    auto env = read(k_head +
                    " <References/>\n"
                    " <vmw:IpAssignmentSection ovf:required=\"false\" vmw:protocols=\"IPv4\">\n"
                    "   <Info>IP</Info>\n"
                    " </vmw:IpAssignmentSection>\n"
                    " <ScaleOutSection ovf:id=\"x\"><Info>2.x</Info></ScaleOutSection>\n"
                    " <VirtualSystem ovf:id=\"vm\" vmw:foo=\"bar\"><Info>i</Info></VirtualSystem>\n"
                    "</Envelope>");
    ASSERT_TRUE(env) << env.error().message;
    ASSERT_EQ(env->sections.size(), 2u);
    const auto& ip = std::get<UnknownSection>(env->sections[0]);
    EXPECT_EQ(ip.required, false);
    EXPECT_EQ(ip.element.ns, k_vmw_ns);
    EXPECT_EQ(ip.element.name, "IpAssignmentSection");
    EXPECT_EQ(section_name(env->sections[0]), "IpAssignmentSection");
    EXPECT_EQ(section_line(env->sections[0]), 8u);
    EXPECT_EQ(
        ip.element.xml,
        // The default namespace becomes the envelope's prefix: the text no
        // longer depends on which form the source used.
        "<vmw:IpAssignmentSection "
        "xmlns:ovf=\"urn:ovfkit:ovf-envelope\" xmlns:vmw=\"http://www.vmware.com/schema/ovf\" "
        "ovf:required=\"false\" vmw:protocols=\"IPv4\"><ovf:Info>IP</ovf:Info>"
        "</vmw:IpAssignmentSection>");
    const auto& scale = std::get<UnknownSection>(env->sections[1]);
    EXPECT_EQ(scale.element.ns, k_envelope_ns_placeholder);
    EXPECT_FALSE(scale.required);
    ASSERT_EQ(env->content.extra.attributes.size(), 1u);
    EXPECT_EQ(env->content.extra.attributes[0].value, "bar");
}

TEST(OvfReader, ProductSectionProperties) {
    auto env = read(
        k_head + " <References/>\n"
                 " <VirtualSystem ovf:id=\"vm\">\n"
                 "  <ProductSection ovf:class=\"com.example\" ovf:instance=\"1\">\n"
                 "   <Info>p</Info><Product>App</Product><Vendor>Example</Vendor>\n"
                 "   <Icon ovf:fileRef=\"icon\" ovf:height=\"32\"/>\n"
                 "   <Property ovf:key=\"a\" ovf:type=\"string\"/>\n"
                 "   <Category>Network</Category>\n"
                 "   <Property ovf:key=\"ip\" ovf:type=\"string\" ovf:userConfigurable=\"true\"\n"
                 "     ovf:qualifiers=\"MinLen(0),MaxLen(15)\" ovf:value=\"&lt;none&gt;\" "
                 "ovf:password=\"yes\">\n"
                 "     <Label>IP</Label><Description>address</Description>\n"
                 "     <Value ovf:value=\"10.0.0.1\" ovf:configuration=\"small\"/>\n"
                 "   </Property>\n"
                 "  </ProductSection>\n"
                 " </VirtualSystem>\n"
                 "</Envelope>");
    ASSERT_TRUE(env) << env.error().message;
    const auto* p = env->content.find<ProductSection>();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->product->text, "App");
    EXPECT_EQ(p->vendor->text, "Example");
    EXPECT_EQ(p->icons.at(0).file_ref, "icon");
    EXPECT_EQ(p->icons.at(0).height, "32");
    ASSERT_EQ(p->properties.size(), 2u);
    ASSERT_EQ(p->categories.size(), 1u);
    EXPECT_EQ(p->categories[0].text.text, "Network");
    EXPECT_EQ(p->categories[0].position, 1u);
    const Property& ip = p->properties[1];
    EXPECT_EQ(p->qualified_key(ip), "com.example.ip.1");
    EXPECT_EQ(ip.user_configurable, true);
    EXPECT_EQ(ip.value, "<none>");
    EXPECT_EQ(ip.qualifiers, "MinLen(0),MaxLen(15)");
    EXPECT_EQ(ip.label->text, "IP");
    ASSERT_EQ(ip.values.size(), 1u);
    EXPECT_EQ(ip.values[0].configuration, "small");
    // "yes" is not an xs:boolean: kept verbatim, not guessed.
    EXPECT_FALSE(ip.password);
    ASSERT_EQ(ip.extra.attributes.size(), 1u);
    EXPECT_EQ(ip.extra.attributes[0].name, "password");
    EXPECT_EQ(ip.extra.attributes[0].value, "yes");
}

TEST(OvfReader, CollectionsNestAndAreBounded) {
    auto nest = [&](int depth) {
        std::string text = k_head + "<References/>\n";
        for (int i = 0; i < depth; ++i) {
            text += fmt::format("<VirtualSystemCollection ovf:id=\"c{}\">\n", i);
        }
        text += "<VirtualSystem ovf:id=\"vm\"/>\n";
        for (int i = 0; i < depth; ++i) {
            text += "</VirtualSystemCollection>\n";
        }
        return text + "</Envelope>";
    };
    auto ok = read(nest(15));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(virtual_systems(*ok).size(), 1u);
    expect_error(read(nest(17)), Errc::refused,
                 "t.ovf:24: VirtualSystemCollection nesting deeper than 16");
}

TEST(OvfReader, StructuralErrors) {
    expect_error(read("<?xml version='1.0'?>\n<Envelope "
                      "xmlns='http://schemas.dmtf.org/ovf/envelope/3'/>"),
                 Errc::invalid,
                 "t.ovf:2: unsupported OVF namespace \"http://schemas.dmtf.org/ovf/envelope/3\" "
                 "(ovfkit reads OVF 0.9, 1.x, 2.x and the oVirt dialect)");
    expect_error(read("<domain type='kvm'/>"), Errc::invalid,
                 "t.ovf:1: root element is <domain>, not an OVF <Envelope>");
    expect_error(read(k_head + "<VirtualSystem ovf:id='x'/>\n</Envelope>"), Errc::invalid,
                 "t.ovf:2: <Envelope> has no <References> element");
    expect_error(read(k_head + "<References/>\n</Envelope>"), Errc::invalid,
                 "t.ovf:2: <Envelope> has no <VirtualSystem> or <VirtualSystemCollection>");
    expect_error(read("<ovf:Envelope xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'>\n"
                      "  <References/>\n</ovf:Envelope>"),
                 Errc::invalid,
                 "t.ovf:2: <References> has no namespace; expected the envelope namespace "
                 "\"http://schemas.dmtf.org/ovf/envelope/1\"");
}

TEST(OvfReader, MalformedXmlNamesTheLine) {
    std::string text = k_minimal;
    text.replace(text.find("</DiskSection>"), 14, "</DiskSectio>");
    expect_error(read(text), Errc::invalid,
                 "t.ovf:15: XML is not well-formed: Opening and ending tag mismatch: DiskSection "
                 "line 10 and DiskSectio");
    std::string attr = k_minimal;
    attr.replace(attr.find("ovf:size=\"123456789\""), 20, "ovf:size=123456789");
    expect_error(read(attr), Errc::invalid,
                 "t.ovf:8: XML is not well-formed: AttValue: \" or ' expected");
}

// Hostile documents through the OVF entry point: exit code and time.
void expect_refusal(const std::string& text, Errc code) {
    auto start = std::chrono::steady_clock::now();
    auto r = read(text);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code) << r.error().message;
}

TEST(OvfReaderHostile, ExternalEntityInADescriptor) {
    std::string text = k_minimal;
    text.insert(text.find("<Envelope"),
                "<!DOCTYPE Envelope [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n");
    text.replace(text.find("Primary"), 7, "&x;");
    expect_refusal(text, Errc::refused);
}

TEST(OvfReaderHostile, DeepItemNesting) {
    std::string text = k_minimal;
    std::string deep;
    for (int i = 0; i < 10000; ++i) {
        deep += "<vmw:x>";
    }
    text.insert(text.find("</Item>"), deep);
    expect_refusal(text, Errc::refused);
}

TEST(OvfReaderHostile, NonUtf8Descriptor) {
    std::string text = k_minimal;
    text.replace(text.find("Primary"), 7, "Prim\xE4r");
    expect_refusal(text, Errc::invalid);
}

} // namespace
} // namespace ovfkit::ovf
