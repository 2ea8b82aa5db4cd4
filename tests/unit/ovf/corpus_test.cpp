// Every descriptor of the shared corpus, found by listing the directory:
// known-broken ones must fail with their exact message, every other one must
// read, and survive write -> read unchanged in both OVF 1.x and 2.x.
#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::ovf {
namespace {

struct Broken {
    Errc code;
    std::string message;
};

// Descriptors that must not read, with the exact reason.
const std::map<std::string, Broken>& known_broken() {
    static const std::map<std::string, Broken> k{
        {"broken/vmware-jeos_corrupted.ovf",
         {Errc::invalid, "broken/vmware-jeos_corrupted.ovf:1: XML is not well-formed: Start tag "
                         "expected, '<' not found"}},
        {"broken/ovftool-invalid_namespace.ovf",
         {Errc::invalid,
          "broken/ovftool-invalid_namespace.ovf:3: <References> has no namespace; expected the "
          "envelope namespace \"http://www.vmware.com/schema/ovf/1/envelope\""}},
        // ovftool's duplicate-diskId test shares the unqualified-element fault.
        {"broken/ovftool-dup_diskid.ovf",
         {Errc::invalid,
          "broken/ovftool-dup_diskid.ovf:3: <References> has no namespace; expected the "
          "envelope namespace \"http://www.vmware.com/schema/ovf/1/envelope\""}},
        {"cot/ersatz_ovf_3.0.ovf",
         {Errc::invalid, "cot/ersatz_ovf_3.0.ovf:2: unsupported OVF namespace "
                         "\"http://schemas.dmtf.org/ovf/envelope/3\" (ovfkit reads OVF 0.9, 1.x, "
                         "2.x and the oVirt dialect)"}},
        {"xenserver/sample_app.ovf",
         {Errc::invalid, "xenserver/sample_app.ovf:1: XML declaration says encoding \"utf-16\" "
                         "but the bytes are not UTF-16/32; only UTF-8 and ASCII documents are "
                         "accepted"}},
    };
    return k;
}

Result<Envelope> read(const std::string& text, const std::string& name, Diagnostics& diag) {
    return read_envelope(std::as_bytes(std::span(text.data(), text.size())), name, diag);
}

bool have_xmllint() {
    return test::have_xmllint();
}

bool schema_valid(const std::string& path, OvfVersion version) {
    return test::xmllint_schema_valid(path, version == OvfVersion::v2);
}

class OvfCorpus : public testing::TestWithParam<std::string> {};

TEST(OvfCorpusListing, FindsTheWholeCorpus) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    auto all = test::corpus_descriptors();
    EXPECT_GE(all.size(), 50u);
    for (const auto& [name, _] : known_broken()) {
        EXPECT_NE(std::find(all.begin(), all.end(), name), all.end()) << name;
    }
}

// Whatever the DMTF 1.x schema accepts as input, it also accepts after
// ovfkit rewrote it as 1.x, and the 2.0.1 schema accepts the 2.x rewrite.
TEST_P(OvfCorpus, RewritesStaySchemaValid) {
    const std::string& rel = GetParam();
    if (!have_xmllint()) {
        GTEST_SKIP() << "xmllint not installed";
    }
    std::string src = test::corpus_path("ovf/" + rel);
    if (known_broken().contains(rel) || !schema_valid(src, OvfVersion::v1)) {
        GTEST_SKIP() << "the original is not valid OVF 1.x";
    }
    auto bytes = test::read_file(src);
    Diagnostics diag;
    auto env = read_envelope(bytes, rel, diag);
    ASSERT_TRUE(env) << env.error().message;
    test::TempDir dir;
    for (OvfVersion target : {OvfVersion::v1, OvfVersion::v2}) {
        auto out = write_envelope(*env, target);
        ASSERT_TRUE(out) << out.error().message;
        std::string path = dir.file(fmt::format("out-{}.ovf", version_name(target)));
        test::write_text(path, *out);
        EXPECT_TRUE(schema_valid(path, target))
            << "OVF " << version_name(target) << " rewrite is not schema-valid:\n"
            << *out;
    }
}

TEST_P(OvfCorpus, ReadsOrFailsAsExpected) {
    const std::string& rel = GetParam();
    auto bytes = test::read_file(test::corpus_path("ovf/" + rel));
    std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    Diagnostics diag;
    auto env = read(text, rel, diag);
    auto broken = known_broken().find(rel);
    if (broken != known_broken().end()) {
        ASSERT_FALSE(env) << rel << " unexpectedly read";
        EXPECT_EQ(env.error().code, broken->second.code);
        EXPECT_EQ(env.error().message, broken->second.message);
        return;
    }
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_FALSE(diag.has_errors());

    // Same-version round trip (0.9 and oVirt are read-only; they go to 1.x).
    OvfVersion same = env->version == OvfVersion::v2 ? OvfVersion::v2 : OvfVersion::v1;
    for (OvfVersion target : {same, same == OvfVersion::v1 ? OvfVersion::v2 : OvfVersion::v1}) {
        SCOPED_TRACE(version_name(target));
        auto out = write_envelope(*env, target);
        ASSERT_TRUE(out) << out.error().message;
        Diagnostics diag2;
        auto again = read(*out, rel + ".out", diag2);
        ASSERT_TRUE(again) << again.error().message << "\n" << *out;
        EXPECT_EQ(again->version, target);
        // Writing is deterministic and a fixed point.
        auto out2 = write_envelope(*again, target);
        ASSERT_TRUE(out2);
        EXPECT_EQ(*out, *out2);
        auto out3 = write_envelope(*env, target);
        ASSERT_TRUE(out3);
        EXPECT_EQ(*out, *out3);
        if (target == same) {
            Envelope expected = *env;
            expected.version = target;
            if (env->version != target) {
                expected.version_attribute.reset();
            }
            // The writer declares on the root a namespace the source
            // declared on several elements: the root's declarations may
            // grow, keeping every one the source had.
            for (const auto& d : env->namespaces) {
                EXPECT_NE(std::find(again->namespaces.begin(), again->namespaces.end(), d),
                          again->namespaces.end())
                    << "xmlns:" << d.prefix << "=\"" << d.uri << "\" lost";
            }
            expected.namespaces = again->namespaces;
            EXPECT_TRUE(expected == *again) << "model changed in the round trip\n" << *out;
        }
    }
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OvfCorpus);
INSTANTIATE_TEST_SUITE_P(All, OvfCorpus, testing::ValuesIn(test::corpus_descriptors()),
                         test::corpus_param_name);

} // namespace
} // namespace ovfkit::ovf
