#include <gtest/gtest.h>

#include <ovfkit/ovf/schema.hpp>
#include <ovfkit/xml/document.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::ovf {
namespace {

Diagnostics schema_findings(const std::string& corpus_file) {
    auto bytes = test::read_file(test::corpus_path(corpus_file));
    auto doc = xml::Document::parse(bytes, corpus_file);
    EXPECT_TRUE(doc) << doc.error().message;
    Diagnostics diag;
    if (doc) {
        validate_schema(*doc, diag);
    }
    return diag;
}

std::string codes(const Diagnostics& diag) {
    std::string out;
    for (const auto& f : diag.findings()) {
        out += fmt::format("{}@{} ", f.code, f.line);
    }
    return out;
}

TEST(Schema, SiblingsAfterAVendorElementAreStillChecked) {
    // The vendor section stops libxml2's check of what follows it; the
    // ProductSection after it lacks its required Info all the same.
    std::string t = test::read_text(std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny/tiny.ovf");
    t.replace(t.find("xmlns:vssd="), 0, "xmlns:vmw=\"http://www.vmware.com/schema/ovf\" ");
    t.replace(t.find("    <ProductSection>"), 0,
              "    <vmw:BootOrderSection ovf:required=\"false\"><Info>x</Info>"
              "</vmw:BootOrderSection>\n");
    auto info = t.find("      <Info>Settings applied at first boot</Info>\n");
    t.erase(info, t.find('\n', info) + 1 - info);
    auto doc = xml::Document::parse(std::string_view(t), "t.ovf");
    ASSERT_TRUE(doc) << doc.error().message;
    Diagnostics diag;
    EXPECT_TRUE(validate_schema(*doc, diag));
    ASSERT_EQ(diag.findings().size(), 2u) << codes(diag);
    EXPECT_EQ(diag.findings()[0].code, "OVF-SCHEMA-002");
    EXPECT_EQ(diag.findings()[1].code, "OVF-SCHEMA-001");
    EXPECT_NE(diag.findings()[1].message.find("Expected is ( ovf:Info )"), std::string::npos)
        << diag.findings()[1].message;
    EXPECT_GT(diag.findings()[1].line, diag.findings()[0].line);
}

TEST(Schema, ValidOvf1DescriptorsPass) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    for (const char* f :
         {"ovf/cot/minimal.ovf", "ovf/cot/input.ovf", "ovf/vmware-vsphere/efi-nvram.ovf",
          "ovf/vmware-vcenter/nested-vapp.ovf"}) {
        auto diag = schema_findings(f);
        EXPECT_TRUE(diag.empty()) << f << ": " << codes(diag);
    }
}

TEST(Schema, ReportsViolationsWithLines) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    // Same verdicts and lines as `xmllint --schema ovf-envelope-1.xsd`.
    auto diag = schema_findings("ovf/cot/invalid.ovf");
    ASSERT_EQ(diag.findings().size(), 1u) << codes(diag);
    EXPECT_EQ(diag.findings()[0].code, "OVF-SCHEMA-001");
    EXPECT_EQ(diag.findings()[0].severity, Severity::error);
    EXPECT_EQ(diag.findings()[0].line, 71u);
    EXPECT_NE(diag.findings()[0].message.find("Element 'rasd:InstanceID': This element is not "
                                              "expected."),
              std::string::npos)
        << diag.findings()[0].message;

    auto tmpl = schema_findings("ovf/open-vmdk/template-hw7.ovf");
    EXPECT_EQ(codes(tmpl), "OVF-SCHEMA-001@20 OVF-SCHEMA-001@52 OVF-SCHEMA-001@60 ");
}

TEST(Schema, VendorSectionsAreWarnings) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    auto diag = schema_findings("ovf/vmware-studio/VM_OVF10.ovf");
    ASSERT_EQ(diag.findings().size(), 1u) << codes(diag);
    EXPECT_EQ(diag.findings()[0].code, "OVF-SCHEMA-002");
    EXPECT_EQ(diag.findings()[0].severity, Severity::warning);
    EXPECT_EQ(diag.findings()[0].line, 13u);
}

TEST(Schema, Ovf2SchemaCompilesAndValidates) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    auto diag = schema_findings("ovf/cot/ubuntu.2.0.ovf");
    ASSERT_FALSE(diag.empty());
    for (const auto& f : diag.findings()) {
        EXPECT_NE(f.code, "OVF-SCHEMA-004") << f.message;
    }
    EXPECT_EQ(diag.findings()[0].code, "OVF-SCHEMA-001");
    EXPECT_EQ(diag.findings()[0].line, 34u);
}

TEST(Schema, NoSchemaForOvf09AndOvirt) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    auto diag = schema_findings("ovf/cot/v0.9.ovf");
    ASSERT_EQ(diag.findings().size(), 1u);
    EXPECT_EQ(diag.findings()[0].code, "OVF-SCHEMA-003");
    EXPECT_EQ(diag.findings()[0].severity, Severity::warning);
}

TEST(Schema, LoaderServesOnlyEmbeddedFiles) {
    EXPECT_TRUE(schema_resource("ovfkit:/schemas/ovf1/DSP8023.xsd"));
    EXPECT_TRUE(schema_resource("http://schemas.dmtf.org/wbem/wscim/1/common.xsd"));
    auto rasd = schema_resource(
        "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData.xsd");
    ASSERT_TRUE(rasd);
    EXPECT_EQ(rasd->url, "ovfkit:/schemas/ovf2/CIM_ResourceAllocationSettingData.xsd");
    for (const char* url :
         {"file:///etc/passwd", "/etc/passwd", "http://127.0.0.1:1/x.xsd",
          "ovfkit:/schemas/../../etc/passwd", "ovfkit:/schemas/ovf1/missing.xsd",
          "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/../../../x", "DSP8023.xsd"}) {
        EXPECT_FALSE(schema_resource(url)) << url;
    }
    EXPECT_GE(embedded_schemas().size(), 16u);
}

TEST(Schema, IgnoresSchemaLocationInTheDocument) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    std::string text = test::read_text(test::corpus_path("ovf/cot/minimal.ovf"));
    auto pos = text.find("<ovf:Envelope ");
    ASSERT_NE(pos, std::string::npos);
    text.insert(pos + 14,
                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\""
                "http://schemas.dmtf.org/ovf/envelope/1 http://127.0.0.1:1/evil.xsd\" ");
    auto doc = xml::Document::parse(text, "x.ovf");
    ASSERT_TRUE(doc) << doc.error().message;
    Diagnostics diag;
    validate_schema(*doc, diag);
    EXPECT_TRUE(diag.empty()) << codes(diag);
}

} // namespace
} // namespace ovfkit::ovf
