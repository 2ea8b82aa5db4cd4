// OVF 1.x <-> 2.x conversion over the whole corpus: every descriptor the
// DMTF schema of its own version accepts is, once converted and written,
// accepted by the other version's schema (xmllint, an independent reader,
// and ovfkit's own schema check),
// or the conversion refuses with its reason; converting back, and reading
// the written descriptor back, give the same appliance summary (`info`).
// Golden files pin the exact output for three descriptors.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include <ovfkit/ops/inspect.hpp>
#include <ovfkit/ovf/schema.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/version_convert.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/xml/document.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::ovf {
namespace {

OvfVersion other(OvfVersion v) {
    return v == OvfVersion::v1 ? OvfVersion::v2 : OvfVersion::v1;
}

// The facts `ovfkit info --json` reports, without the version itself.
nlohmann::json facts(const Envelope& env) {
    ops::InspectReport r;
    r.summary = summarize(env);
    r.stored_sizes.resize(r.summary.files.size());
    nlohmann::json j = ops::to_json(r);
    j.erase("ovf_version");
    j.erase("warnings");
    return j;
}

Result<Envelope> read_text(const std::string& text, const std::string& name) {
    Diagnostics diag;
    return read_envelope(std::as_bytes(std::span(text.data(), text.size())), name, diag);
}

class VersionConvert : public testing::TestWithParam<std::string> {};

TEST_P(VersionConvert, OtherVersionIsSchemaValidAndKeepsTheFacts) {
    const std::string& rel = GetParam();
    std::string src = test::corpus_path("ovf/" + rel);
    auto bytes = test::read_file(src);
    Diagnostics read_diag;
    auto env = read_envelope(bytes, rel, read_diag);
    if (!env || (env->version != OvfVersion::v1 && env->version != OvfVersion::v2)) {
        Diagnostics d;
        if (env) {
            auto r = convert_version(*env, OvfVersion::v2, d);
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error().code, Errc::usage);
        }
        GTEST_SKIP() << "not a 1.x or 2.x descriptor";
    }
    const OvfVersion own = env->version;
    const OvfVersion target = other(own);
    Diagnostics diag;
    auto converted = convert_version(*env, target, diag);
    if (!converted) {
        EXPECT_EQ(converted.error().code, Errc::invalid);
        EXPECT_FALSE(converted.error().message.empty());
        GTEST_SKIP() << "refused: " << converted.error().message;
    }
    EXPECT_EQ(converted->version, target);
    for (const auto& f : diag.findings()) {
        EXPECT_EQ(f.severity, Severity::warning) << f.message;
        EXPECT_TRUE(f.code.starts_with("OVF-CONV-")) << f.code;
    }
    auto text = write_envelope(*converted, target);
    ASSERT_TRUE(text) << text.error().message;

    // The baseline: the original, or ovfkit's rewrite of it in its own
    // version (which maps producers' namespace aliases to the DMTF URIs, so
    // VirtualBox-style 2.x files take part too), is schema-valid.
    auto own_text = write_envelope(*env, own);
    ASSERT_TRUE(own_text) << own_text.error().message;
    test::TempDir dir;
    test::write_text(dir.file("own.ovf"), *own_text);
    if (test::have_xmllint() && !rel.starts_with("broken/") &&
        (test::xmllint_schema_valid(src, own == OvfVersion::v2) ||
         test::xmllint_schema_valid(dir.file("own.ovf"), own == OvfVersion::v2))) {
        test::write_text(dir.file("out.ovf"), *text);
        EXPECT_TRUE(test::xmllint_schema_valid(dir.file("out.ovf"), target == OvfVersion::v2))
            << rel << " as OVF " << version_name(target) << " is not schema-valid:\n"
            << *text;
        // `ovfkit validate --schema` agrees: no DMTF vocabulary error.
        auto doc = xml::Document::parse(std::string_view(*text), rel);
        ASSERT_TRUE(doc) << doc.error().message;
        Diagnostics schema_diag;
        EXPECT_TRUE(validate_schema(*doc, schema_diag));
        for (const auto& f : schema_diag.findings()) {
            EXPECT_NE(f.code, "OVF-SCHEMA-001") << rel << ":" << f.line << ": " << f.message;
        }
    }

    auto reread = read_text(*text, rel);
    ASSERT_TRUE(reread) << reread.error().message;
    EXPECT_EQ(reread->version, target);
    EXPECT_EQ(facts(*reread), facts(*env)) << rel << " as OVF " << version_name(target);

    Diagnostics back_diag;
    auto back = convert_version(*reread, own, back_diag);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(facts(*back), facts(*env)) << rel << " back to OVF " << version_name(own);
    auto back_text = write_envelope(*back, own);
    ASSERT_TRUE(back_text) << back_text.error().message;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VersionConvert);
INSTANTIATE_TEST_SUITE_P(All, VersionConvert, testing::ValuesIn(test::corpus_descriptors()),
                         test::corpus_param_name);

// ---- golden outputs --------------------------------------------------------------

bool updating() {
    const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN");
    return v != nullptr && std::string_view(v) == "1";
}

// Converts `source` (a corpus path, or the example) to `target` and compares
// the descriptor and the findings with tests/golden/convert/<golden>.
void check_golden(const std::string& source, OvfVersion target, const std::string& golden) {
    auto bytes = test::read_file(source);
    Diagnostics rd;
    auto env = read_envelope(bytes, golden, rd);
    ASSERT_TRUE(env) << env.error().message;
    Diagnostics diag;
    auto converted = convert_version(*env, target, diag);
    ASSERT_TRUE(converted) << converted.error().message;
    auto text = write_envelope(*converted, target);
    ASSERT_TRUE(text) << text.error().message;
    std::string findings;
    for (const auto& f : diag.findings()) {
        findings += fmt::format("line {}: {} [{}]\n", f.line, f.message, f.code);
    }
    std::filesystem::path dir =
        std::filesystem::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "convert";
    std::string ovf_path = (dir / (golden + ".ovf")).string();
    std::string txt_path = (dir / (golden + ".findings.txt")).string();
    if (updating()) {
        std::filesystem::create_directories(dir);
        test::write_text(ovf_path, *text);
        test::write_text(txt_path, findings);
        return;
    }
    EXPECT_EQ(*text, test::read_text(ovf_path)) << golden;
    EXPECT_EQ(findings, test::read_text(txt_path)) << golden;
}

TEST(VersionConvertGolden, VirtualBoxStyle2xTo1x) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    check_golden(test::corpus_path("ovf/cot/ubuntu.2.0.ovf"), OvfVersion::v1, "ubuntu.2.0-to-1");
}

TEST(VersionConvertGolden, DmtfCollection2xTo1x) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    check_golden(
        test::corpus_path("ovf/dmtf-spec/dsp0243-2.1.1-example3-virtualsystemcollection.ovf"),
        OvfVersion::v1, "dsp0243-example3-to-1");
}

TEST(VersionConvertGolden, Example1xTo2x) {
    check_golden(std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny/tiny.ovf", OvfVersion::v2,
                 "tiny-to-2");
}

// ---- hand-made cases -----------------------------------------------------------------

TEST(VersionConvert, RefusesWhatHasNoForm) {
    Envelope env;
    env.version = OvfVersion::v2;
    UnknownSection enc;
    enc.element.ns = std::string(k_envelope_ns_placeholder);
    enc.element.name = "EncryptionSection";
    enc.element.xml = "<ovf:EncryptionSection xmlns:ovf=\"urn:ovfkit:ovf-envelope\"/>";
    env.sections.emplace_back(enc);
    Diagnostics diag;
    auto r = convert_version(env, OvfVersion::v1, diag);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_NE(r.error().message.find("EncryptionSection"), std::string::npos);

    enc.required = false;
    env.sections[0] = enc;
    auto kept = convert_version(env, OvfVersion::v1, diag);
    ASSERT_TRUE(kept) << kept.error().message;
    const auto& s = std::get<UnknownSection>(kept->sections[0]);
    EXPECT_EQ(s.element.ns, k_ovf2_ns);
    EXPECT_NE(s.element.xml.find(std::string(k_ovf2_ns)), std::string::npos);

    Envelope startup;
    startup.version = OvfVersion::v1;
    StartupSection ss;
    StartupItem it;
    it.id = "vm";
    it.start_delay = "70000";
    ss.items.push_back(it);
    startup.sections.emplace_back(ss);
    auto big = convert_version(startup, OvfVersion::v2, diag);
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("unsignedShort"), std::string::npos);

    Envelope ovirt;
    ovirt.version = OvfVersion::ovirt;
    EXPECT_EQ(convert_version(ovirt, OvfVersion::v1, diag).error().code, Errc::usage);
    EXPECT_EQ(convert_version(startup, OvfVersion::v0_9, diag).error().code, Errc::usage);
}

TEST(VersionConvert, StorageAndEthernetItemsBecomeRasdItems) {
    Envelope env;
    env.version = OvfVersion::v2;
    VirtualHardwareSection vhs;
    Item disk;
    disk.kind = ItemKind::storage_item;
    disk.add(k_sasd_ns, "ResourceType", "17");
    disk.add(k_sasd_ns, "InstanceID", "3");
    disk.add(k_sasd_ns, "ElementName", "disk");
    disk.add(k_sasd_ns, "Access", "3");
    disk.add(k_sasd_ns, "HostResource", "ovf:/disk/d1");
    disk.add(k_vmw_ns, "Config", "x");
    vhs.items.push_back(disk);
    Content vs;
    vs.sections.emplace_back(vhs);
    env.content = vs;
    Diagnostics diag;
    auto r = convert_version(env, OvfVersion::v1, diag);
    ASSERT_TRUE(r) << r.error().message;
    const auto& item = std::get<VirtualHardwareSection>(r->content.sections[0]).items[0];
    EXPECT_EQ(item.kind, ItemKind::item);
    EXPECT_EQ(item.host_resources(), std::vector<std::string>{"ovf:/disk/d1"});
    EXPECT_EQ(item.get("Access"), std::nullopt);
    for (const auto& f : item.fields) {
        EXPECT_TRUE(f.ns == k_rasd_ns || f.ns == k_vmw_ns) << f.ns << " " << f.name;
    }
    ASSERT_EQ(diag.findings().size(), 1u);
    EXPECT_EQ(diag.findings()[0].code, "OVF-CONV-001");
    EXPECT_NE(diag.findings()[0].message.find("Access"), std::string::npos);
}

} // namespace
} // namespace ovfkit::ovf
