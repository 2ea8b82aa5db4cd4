#include <string>
#include <string_view>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>

namespace ovfkit::ovf {
namespace {

Msg msg(std::string text) {
    Msg m;
    m.text = std::move(text);
    return m;
}

// A model built by hand, the way an importer builds one.
Envelope small_vm() {
    Envelope env;
    File f;
    f.id = "file1";
    f.href = "vm-disk1.vmdk";
    f.size = "4096";
    env.references.files.push_back(f);

    DiskSection disks;
    disks.header.info = msg("Virtual disks");
    Disk d;
    d.disk_id = "vmdisk1";
    d.file_ref = "file1";
    d.capacity = "16";
    d.capacity_allocation_units = "byte * 2^30";
    d.format = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";
    disks.disks.push_back(d);
    env.sections.emplace_back(disks);

    NetworkSection nets;
    nets.header.info = msg("Logical networks");
    Network n;
    n.name = "VM Network";
    nets.networks.push_back(n);
    env.sections.emplace_back(nets);

    env.content.id = "vm";
    env.content.info = msg("A virtual machine");
    env.content.name = msg("db <primary> & \"backup\"");

    VirtualHardwareSection hw;
    hw.header.info = msg("Virtual hardware");
    System sys;
    sys.set(k_vssd_ns, "VirtualSystemType", "vmx-13");
    sys.set(k_vssd_ns, "InstanceID", "0");
    sys.set(k_vssd_ns, "ElementName", "Virtual Hardware Family");
    hw.system = sys;
    Item cpu;
    cpu.set(k_rasd_ns, "ResourceType", "3");
    cpu.set(k_rasd_ns, "VirtualQuantity", "2");
    cpu.set(k_rasd_ns, "InstanceID", "1");
    cpu.set(k_rasd_ns, "ElementName", "2 virtual CPUs");
    hw.items.push_back(cpu);
    Item nic;
    nic.set(k_rasd_ns, "ResourceType", "10");
    nic.set(k_rasd_ns, "InstanceID", "2");
    nic.set(k_rasd_ns, "ElementName", "Network adapter 1");
    nic.add(k_rasd_ns, "Connection", "VM Network");
    nic.required = false;
    hw.items.push_back(nic);
    env.content.sections.emplace_back(hw);

    ProductSection product;
    product.header.info = msg("Product");
    product.product = msg("App");
    Property p;
    p.key = "greeting";
    p.type = "string";
    p.value = "a<b & 'c'\n";
    p.user_configurable = true;
    product.properties.push_back(p);
    env.content.sections.emplace_back(product);
    return env;
}

const char* k_expected_v1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <ovf:References>
    <ovf:File ovf:id="file1" ovf:href="vm-disk1.vmdk" ovf:size="4096"/>
  </ovf:References>
  <ovf:DiskSection>
    <ovf:Info>Virtual disks</ovf:Info>
    <ovf:Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="16" ovf:capacityAllocationUnits="byte * 2^30" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </ovf:DiskSection>
  <ovf:NetworkSection>
    <ovf:Info>Logical networks</ovf:Info>
    <ovf:Network ovf:name="VM Network"/>
  </ovf:NetworkSection>
  <ovf:VirtualSystem ovf:id="vm">
    <ovf:Info>A virtual machine</ovf:Info>
    <ovf:Name>db &lt;primary&gt; &amp; "backup"</ovf:Name>
    <ovf:VirtualHardwareSection>
      <ovf:Info>Virtual hardware</ovf:Info>
      <ovf:System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </ovf:System>
      <ovf:Item>
        <rasd:ElementName>2 virtual CPUs</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </ovf:Item>
      <ovf:Item ovf:required="false">
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>10</rasd:ResourceType>
      </ovf:Item>
    </ovf:VirtualHardwareSection>
    <ovf:ProductSection>
      <ovf:Info>Product</ovf:Info>
      <ovf:Product>App</ovf:Product>
      <ovf:Property ovf:key="greeting" ovf:type="string" ovf:userConfigurable="true" ovf:value="a&lt;b &amp; 'c'&#10;"/>
    </ovf:ProductSection>
  </ovf:VirtualSystem>
</ovf:Envelope>
)";

Result<Envelope> read(const std::string& text) {
    Diagnostics diag;
    return read_envelope(std::as_bytes(std::span(text.data(), text.size())), "w.ovf", diag);
}

TEST(OvfWriter, WritesOvf1WithConventionalPrefixesAndEscaping) {
    Envelope env = small_vm();
    auto out = write_envelope(env, OvfVersion::v1);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out, k_expected_v1);
    auto again = read(*out);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(*again == env);
}

TEST(OvfWriter, WritesOvf2) {
    Envelope env = small_vm();
    Item disk;
    disk.kind = ItemKind::storage_item;
    disk.set(k_sasd_ns, "ResourceType", "17");
    disk.set(k_sasd_ns, "InstanceID", "3");
    disk.add(k_sasd_ns, "HostResource", "ovf:/disk/vmdisk1");
    std::get<VirtualHardwareSection>(env.content.sections[0]).items.push_back(disk);
    auto out = write_envelope(env, OvfVersion::v2);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_NE(out->find("<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/2\" "
                        "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                        "CIM_ResourceAllocationSettingData\" "
                        "xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                        "CIM_VirtualSystemSettingData\" "
                        "xmlns:sasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                        "CIM_StorageAllocationSettingData\">"),
              std::string::npos)
        << *out;
    EXPECT_NE(out->find("      <ovf:StorageItem>\n"
                        "        <sasd:HostResource>ovf:/disk/vmdisk1</sasd:HostResource>\n"
                        "        <sasd:InstanceID>3</sasd:InstanceID>\n"
                        "        <sasd:ResourceType>17</sasd:ResourceType>\n"
                        "      </ovf:StorageItem>\n"),
              std::string::npos)
        << *out;
    auto again = read(*out);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->version, OvfVersion::v2);
    env.version = OvfVersion::v2;
    EXPECT_TRUE(*again == env);
}

TEST(OvfWriter, RefusesReadOnlyDialectsAsTargets) {
    auto r = write_envelope(small_vm(), OvfVersion::v0_9);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);
    EXPECT_EQ(r.error().message, "cannot write OVF 0.9: ovfkit writes OVF 1.x and 2.x only");
    EXPECT_FALSE(write_envelope(small_vm(), OvfVersion::ovirt));
}

TEST(OvfWriter, RefusesTextXmlCannotCarry) {
    Envelope env = small_vm();
    env.content.name = msg("bell\x07");
    auto r = write_envelope(env, OvfVersion::v1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_EQ(r.error().message, "cannot write text of <Name>: character U+0007 at offset 4 "
                                 "cannot be represented in XML 1.0");
    env = small_vm();
    env.references.files[0].href = "caf\xE9.vmdk"; // Latin-1, not UTF-8
    r = write_envelope(env, OvfVersion::v1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "cannot write attribute href of <File>: character U+00E9 at "
                                 "offset 3 cannot be represented in XML 1.0");
}

// Verbatim XML in a model built by code goes through the hardened loader
// too; a broken fragment names itself.
TEST(OvfWriter, RefusesBrokenVerbatimXml) {
    Envelope env = small_vm();
    UnknownSection good;
    good.element.xml = "<x:Ok xmlns:x=\"urn:x\"/>";
    good.element.name = "Ok";
    env.content.sections.emplace_back(good);
    UnknownSection bad;
    bad.element.xml = "<x:Bad xmlns:x=\"urn:x\"></x:Bda>";
    bad.element.name = "Bad";
    env.content.sections.emplace_back(bad);
    auto r = write_envelope(env, OvfVersion::v1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_EQ(r.error().message, "verbatim <Bad>:1: XML is not well-formed: Opening and ending "
                                 "tag mismatch: Bad line 1 and Bda");

    std::get<UnknownSection>(env.content.sections.back()).element.xml =
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>";
    r = write_envelope(env, OvfVersion::v1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);

    std::get<UnknownSection>(env.content.sections.back()).element.xml = "<a/><b/>";
    r = write_envelope(env, OvfVersion::v1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "verbatim <Bad>:1: XML is not well-formed: Extra content at "
                                 "the end of the document");
}

TEST(OvfWriter, VerbatimElementsKeepTheirPlace) {
    const std::string text =
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:x='urn:x'>"
        "<References/>"
        "<DiskSection x:a='1'><Info>d</Info><x:note>between</x:note>"
        "<Disk ovf:diskId='d1' ovf:capacity='1'/><x:tail/></DiskSection>"
        "<VirtualSystem ovf:id='vm'><x:Private ovf:required='false'><Info>i</Info></x:Private>"
        "</VirtualSystem></Envelope>";
    auto env = read(text);
    ASSERT_TRUE(env) << env.error().message;
    auto out = write_envelope(*env, OvfVersion::v1);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_NE(out->find("<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
                        "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                        "CIM_ResourceAllocationSettingData\" "
                        "xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                        "CIM_VirtualSystemSettingData\" xmlns:x=\"urn:x\">"),
              std::string::npos)
        << *out;
    EXPECT_NE(out->find("  <ovf:DiskSection x:a=\"1\">\n"
                        "    <ovf:Info>d</ovf:Info>\n"
                        "    <x:note>between</x:note>\n"
                        "    <ovf:Disk ovf:diskId=\"d1\" ovf:capacity=\"1\"/>\n"
                        "    <x:tail/>\n"
                        "  </ovf:DiskSection>\n"),
              std::string::npos)
        << *out;
    // The default-namespace Info inside the foreign section keeps its
    // namespace, now the target envelope's, under its prefix.
    EXPECT_NE(out->find("    <x:Private ovf:required=\"false\">\n"
                        "      <ovf:Info>i</ovf:Info>\n"
                        "    </x:Private>\n"),
              std::string::npos)
        << *out;
    auto v2 = write_envelope(*env, OvfVersion::v2);
    ASSERT_TRUE(v2);
    EXPECT_NE(v2->find("<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/2\""),
              std::string::npos)
        << *v2;
    EXPECT_NE(v2->find("<x:Private ovf:required=\"false\">\n      <ovf:Info>i</ovf:Info>"),
              std::string::npos)
        << *v2;
}

// What reads is written, the output reads again, and writing that gives the
// same bytes (the property fuzz/ovf_xml_fuzzer.cpp checks); returns the 1.x
// output.
std::string expect_fixed_point(const std::string& text) {
    auto env = read(text);
    EXPECT_TRUE(env) << env.error().message;
    if (!env) {
        return {};
    }
    std::string v1;
    for (OvfVersion v : {OvfVersion::v1, OvfVersion::v2}) {
        auto out = write_envelope(*env, v);
        EXPECT_TRUE(out) << out.error().message;
        if (!out) {
            continue;
        }
        auto again = read(*out);
        EXPECT_TRUE(again) << version_name(v) << ": " << again.error().message << "\n" << *out;
        if (again) {
            auto out2 = write_envelope(*again, v);
            EXPECT_TRUE(out2 && *out2 == *out) << version_name(v) << ":\n"
                                               << *out << "\nthen\n"
                                               << out2.value_or("(failed)");
        }
        if (v == OvfVersion::v1) {
            v1 = *out;
        }
    }
    return v1;
}

// A section in the other DMTF envelope namespace is the envelope's: kept
// verbatim, it came back from a 2.x output as a DiskSection and was written
// differently.
TEST(OvfWriterFixedPoint, ElementsOfTheOtherEnvelopeNamespaceAreModelled) {
    std::string out = expect_fixed_point(
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:o2='http://schemas.dmtf.org/ovf/envelope/2'><References/>"
        "<o2:DiskSection><o2:Info>x</o2:Info><o2:Disk o2:capacity='1' o2:diskId='d'/>"
        "</o2:DiskSection><VirtualSystem ovf:id='vm'><Info>x</Info></VirtualSystem></Envelope>");
    EXPECT_NE(out.find("<ovf:Disk ovf:diskId=\"d\" ovf:capacity=\"1\"/>"), std::string::npos)
        << out;
    // A 2.x section 1.x does not have stays in its namespace, as VMware writes it.
    out = expect_fixed_point(
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:ovf2='http://schemas.dmtf.org/ovf/envelope/2'><References/>"
        "<VirtualSystemCollection ovf:id='c'><Info>x</Info>"
        "<ovf2:ScaleOutSection ovf2:id='vm'><ovf2:Info>s</ovf2:Info></ovf2:ScaleOutSection>"
        "<VirtualSystem ovf:id='vm'><Info>x</Info></VirtualSystem></VirtualSystemCollection>"
        "</Envelope>");
    EXPECT_NE(out.find("    <ovf2:ScaleOutSection ovf2:id=\"vm\">\n"
                       "      <ovf2:Info>s</ovf2:Info>\n"),
              std::string::npos)
        << out;
}

// oVirt writes the envelope's children without a namespace; one kept
// verbatim (a second References, a section ovfkit does not model) is
// written in the envelope namespace, where a DMTF reader expects it.
TEST(OvfWriterFixedPoint, UnqualifiedOvirtEnvelopeChildrenAreQualified) {
    std::string out = expect_fixed_point(
        "<ovf:Envelope xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1/'"
        " xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'><References/>"
        "<FooSection><Info>x</Info><Bar xmlns:ovf='urn:x' ovf:a='1'/></FooSection>"
        "<Content ovf:id='vm' xsi:type='ovf:VirtualSystem_Type'><Name>x</Name>"
        "<TemplateId>0</TemplateId></Content><References/></ovf:Envelope>");
    // "ovf" is taken inside it, so the envelope gets another prefix there.
    EXPECT_NE(out.find("  <ovf1:FooSection xmlns:ovf1=\"http://schemas.dmtf.org/ovf/envelope/1\">\n"
                       "    <ovf1:Info>x</ovf1:Info>\n"
                       "    <ovf1:Bar xmlns:ovf=\"urn:x\" ovf:a=\"1\"/>\n"
                       "  </ovf1:FooSection>\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("  </ovf:VirtualSystem>\n  <ovf:References/>\n"), std::string::npos) << out;
    // Inside the content, oVirt's ad-hoc children stay as they are.
    EXPECT_NE(out.find("<TemplateId>0</TemplateId>"), std::string::npos) << out;
}

// A CIM URI and its ".xsd" alias read as one namespace, so an attribute
// given in both would be written twice; the alias's copy is dropped.
TEST(OvfWriterFixedPoint, AnAttributeTwiceThroughANamespaceAliasIsWrittenOnce) {
    std::string out =
        expect_fixed_point("<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
                           " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
                           " xmlns:b='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                           "CIM_ResourceAllocationSettingData.xsd'"
                           " xmlns:a='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                           "CIM_ResourceAllocationSettingData'><References>"
                           "<File ovf:id='f' ovf:href='x' b:x='1' a:x='2'/></References>"
                           "<VirtualSystem ovf:id='vm'><Info>x</Info></VirtualSystem></Envelope>");
    EXPECT_NE(out.find("<ovf:File ovf:id=\"f\" ovf:href=\"x\" rasd:x=\"1\"/>"), std::string::npos)
        << out;
}

// The URI the model stands for the envelope namespace with cannot be used by
// a document: its elements and attributes would become envelope ones.
TEST(OvfReader, ThePlaceholderNamespaceIsReserved) {
    auto env = read("<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
                    " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'><References>\n"
                    "<File xmlns:p='urn:ovfkit:ovf-envelope' ovf:id='f' ovf:href='x' p:id='2'/>"
                    "</References><VirtualSystem ovf:id='vm'/></Envelope>");
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, Errc::invalid);
    EXPECT_EQ(env.error().message,
              "w.ovf:2: namespace \"urn:ovfkit:ovf-envelope\" is reserved by ovfkit");
}

// A verbatim element with an attribute in both DMTF envelope namespaces: in
// a 2.x output both would be the envelope's; the envelope's own is kept.
TEST(OvfWriterFixedPoint, VerbatimAttributesInBothEnvelopeNamespacesAreKeptOnce) {
    std::string out = expect_fixed_point(
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
        " xmlns:o2='http://schemas.dmtf.org/ovf/envelope/2' xmlns:x='urn:x'><References/>"
        "<x:FooSection ovf:a='1' o2:a='2' o2:b='3'/>"
        "<VirtualSystem ovf:id='vm'><Info>x</Info></VirtualSystem></Envelope>");
    EXPECT_NE(out.find("  <x:FooSection xmlns:o2=\"http://schemas.dmtf.org/ovf/envelope/2\" "
                       "ovf:a=\"1\" o2:b=\"3\"/>\n"),
              std::string::npos)
        << out;
}

// The source binds "vssd" (and "ovf") to other URIs; the writer's own
// bindings take those prefixes, and the source's URIs are declared once on
// the root under others, not once per element under numbers that changed
// from one writing to the next (a fuzzer-found input).
TEST(OvfWriterFixedPoint, APrefixTheWriterTakesKeepsItsUriOnTheRoot) {
    std::string out = expect_fixed_point(
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' xmlns:ovf='a'"
        " xmlns:vssd='t'><References>r</References><NetworkSection><Network ovf:n=''/>"
        "</NetworkSection><VirtualSystem><VirtualHardwareSection><System>"
        "<vssd:InstanceID>0</vssd:InstanceID><vssd:ElementName>e</vssd:ElementName>"
        "</System></VirtualHardwareSection></VirtualSystem></Envelope>");
    EXPECT_NE(out.find(" xmlns:ns1=\"a\" xmlns:ns2=\"t\">"), std::string::npos) << out;
    EXPECT_NE(out.find("<ns2:ElementName>e</ns2:ElementName>"), std::string::npos) << out;
}

// How many times `needle` occurs in `hay`.
size_t count_of(const std::string& hay, std::string_view needle) {
    size_t n = 0;
    for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

// An envelope in which `n` elements each use namespaces the root does not
// declare (their parent section or collection does): modelled fields and
// attributes, and verbatim sections whose children are in the root's default
// (envelope) namespace.
std::string many_local_namespaces(int n) {
    std::string t = "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'"
                    " xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'"
                    " xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                    "CIM_ResourceAllocationSettingData'><References/>"
                    "<DiskSection xmlns:a='urn:attr'><Info>d</Info>";
    for (int i = 0; i < n; ++i) {
        t += fmt::format("<Disk ovf:diskId='d{}' ovf:capacity='1' a:x='{}'/>", i, i);
    }
    t += "</DiskSection><VirtualSystemCollection xmlns:v='urn:vendor' xmlns:f='urn:field'"
         " ovf:id='c'><Info>c</Info>";
    for (int i = 0; i < n; ++i) {
        t += fmt::format(
            "<VirtualSystem ovf:id='vm{0}'><Info>i</Info>"
            "<v:Private ovf:required='false'><Info>p{0}</Info></v:Private>"
            "<ovf:VirtualHardwareSection><Info>h</Info><Item>"
            "<rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>"
            "<f:Extra>{0}</f:Extra></Item>"
            "</ovf:VirtualHardwareSection></VirtualSystem>",
            i);
    }
    return t + "</VirtualSystemCollection></Envelope>";
}

// Every namespace is declared once, on the root, however many elements use
// it: an output that declared one per use passed the reader's limit of 256
// declarations past about 256 uses and did not read back.
TEST(OvfWriterFixedPoint, ManyElementsOfAnUndeclaredNamespaceAreDeclaredOnce) {
    size_t size_300 = 0;
    for (int n : {300, 3000}) {
        SCOPED_TRACE(n);
        std::string out = expect_fixed_point(many_local_namespaces(n));
        ASSERT_FALSE(out.empty());
        size_t root_end = out.find('>', out.find("<ovf:Envelope"));
        std::string root = out.substr(0, root_end);
        for (std::string_view uri : {"urn:attr", "urn:vendor", "urn:field"}) {
            EXPECT_EQ(count_of(root, fmt::format("=\"{}\"", uri)), 1u) << uri;
            EXPECT_EQ(count_of(out, fmt::format("=\"{}\"", uri)), 1u) << uri;
        }
        EXPECT_EQ(count_of(out, "xmlns"), count_of(root, "xmlns")) << root;
        EXPECT_EQ(count_of(out, "<ovf:Info>p"), static_cast<size_t>(n));
        EXPECT_EQ(count_of(out, ":Extra>"), 2u * static_cast<size_t>(n));
        if (n == 300) {
            size_300 = out.size();
        } else {
            // Linear: ten times the elements, about ten times the bytes.
            EXPECT_LT(out.size(), size_300 * 11);
        }
    }
}

} // namespace
} // namespace ovfkit::ovf
