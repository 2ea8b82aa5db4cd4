// ovf-env.xml: pinned bytes for a collection (tests/golden/deploy/), the
// values a system sees, and hostile text parsed back with the project's
// hardened XML reader. The ISO: deterministic, its volume descriptor, and
// written through OutputSet. (tests/cli/deploy/env.sh reads the ISO with an
// independent reader.)
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "envelope.hpp"
#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::deploy {
namespace {

namespace fs = std::filesystem;
using test::envelope_of;
using Overrides = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view k_oe = "http://schemas.dmtf.org/ovf/environment/1";

ovf::Envelope collection() {
    return envelope_of(R"(  <VirtualSystemCollection ovf:id="app">
    <Info>c</Info>
    <ProductSection><Info>p</Info>
      <Property ovf:key="domain" ovf:type="string" ovf:userConfigurable="true" ovf:value="example.org"/>
    </ProductSection>
    <VirtualSystem ovf:id="web"><Info>w</Info>
      <ProductSection ovf:class="vami" ovf:instance="web"><Info>p</Info>
        <Property ovf:key="ip0" ovf:type="string" ovf:userConfigurable="true" ovf:qualifiers="Ip"/>
        <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="80"/>
        <Property ovf:key="root-password" ovf:type="string" ovf:password="true" ovf:userConfigurable="true"/>
      </ProductSection>
    </VirtualSystem>
    <VirtualSystem ovf:id="db"><Info>d</Info>
      <ProductSection ovf:class="db"><Info>p</Info>
        <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="5432"/>
      </ProductSection>
    </VirtualSystem>
  </VirtualSystemCollection>
)");
}

std::string golden(const std::string& name, const std::string& actual) {
    fs::path path = fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "deploy" / name;
    if (const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN"); v != nullptr && *v == '1') {
        fs::create_directories(path.parent_path());
        ovfkit::test::write_text(path.string(), actual);
    }
    EXPECT_TRUE(fs::exists(path)) << path << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    return fs::exists(path) ? ovfkit::test::read_text(path.string()) : std::string();
}

// The golden files do not change with each release.
std::string without_version(std::string xml) {
    auto from = xml.find("<Version>") + 9;
    xml.replace(from, xml.find("</Version>") - from, "VERSION");
    return xml;
}

// key -> value of every Property, parsed with the hardened reader.
std::vector<std::pair<std::string, std::string>> parsed_properties(const std::string& xml,
                                                                   std::string* id = nullptr) {
    auto doc = xml::Document::parse(std::string_view(xml), "ovf-env.xml");
    EXPECT_TRUE(doc) << (doc ? "" : doc.error().message) << "\n" << xml;
    std::vector<std::pair<std::string, std::string>> out;
    if (!doc) {
        return out;
    }
    auto root = doc->root();
    EXPECT_TRUE(root.is(k_oe, "Environment"));
    if (id != nullptr) {
        *id = root.attribute(k_oe, "id").value_or("(none)");
    }
    EXPECT_EQ(root.children().size(), 2u) << "PlatformSection and PropertySection only";
    auto platform = root.first_child(k_oe, "PlatformSection");
    EXPECT_TRUE(platform);
    if (platform) {
        EXPECT_EQ(platform.first_child(k_oe, "Kind").text(), "ovfkit");
        EXPECT_EQ(platform.first_child(k_oe, "Locale").text(), "en_US");
    }
    auto section = root.first_child(k_oe, "PropertySection");
    EXPECT_TRUE(section);
    if (!section) {
        return out;
    }
    for (const auto& p : section.children()) {
        EXPECT_TRUE(p.is(k_oe, "Property"));
        out.emplace_back(p.attribute(k_oe, "key").value_or("(no key)"),
                         p.attribute(k_oe, "value").value_or("(no value)"));
    }
    return out;
}

TEST(DeployEnvironment, GoldenForASystemOfACollection) {
    auto env = collection();
    auto r =
        resolve_properties(env, "", Overrides{{"ip0", "192.0.2.10"}, {"root-password", "s3cret"}});
    ASSERT_TRUE(r) << r.error().message;
    std::string xml = environment_xml(env, "web", r->values);
    EXPECT_EQ(without_version(xml), golden("collection-web.xml", without_version(xml)));
    std::string id;
    auto props = parsed_properties(xml, &id);
    EXPECT_EQ(id, "web");
    // Its own and its collection's properties, collection first; not db's.
    decltype(props) want{{"domain", "example.org"},
                         {"vami.ip0.web", "192.0.2.10"},
                         {"vami.port.web", "80"},
                         {"vami.root-password.web", "s3cret"}};
    EXPECT_EQ(props, want);
}

TEST(DeployEnvironment, TheCollectionSeesOnlyItsOwn) {
    auto env = collection();
    auto r = resolve_properties(env, "", {});
    ASSERT_TRUE(r);
    auto props = parsed_properties(environment_xml(env, "app", r->values));
    decltype(props) want{{"domain", "example.org"}};
    EXPECT_EQ(props, want);
    auto db = parsed_properties(environment_xml(env, "db", r->values));
    decltype(props) want_db{{"domain", "example.org"}, {"db.port", "5432"}};
    EXPECT_EQ(db, want_db);
}

TEST(DeployEnvironment, HostileTextStaysLiteral) {
    const std::vector<std::string> hostile{
        "</Environment>",
        "\"/><Property oe:key=\"injected\" oe:value=\"1\"/>",
        "a & b &amp; &#10; &lt;",
        "line1\nline2\r\nline3\ttab",
        "'single' \"double\"",
        "<!-- comment --><![CDATA[x]]><?pi?>",
        "$(reboot) `id` | ; rm -rf /",
        "\xc3\xa9t\xc3\xa9 \xf0\x9f\x94\x91", // UTF-8 kept as is
        "  leading and trailing  ",
        "",
    };
    std::vector<PropertyValue> values;
    for (size_t i = 0; i < hostile.size(); ++i) {
        PropertyValue v;
        v.key = "k" + std::to_string(i) + hostile[i % 3]; // keys are attacker text too
        v.value = hostile[i];
        v.system_id = "vm\"<&>";
        values.push_back(v);
    }
    auto env = envelope_of("  <VirtualSystem ovf:id=\"vm&quot;&lt;&amp;&gt;\"><Info>x</Info>"
                           "</VirtualSystem>\n");
    std::string xml = environment_xml(env, "vm\"<&>", values);
    EXPECT_EQ(without_version(xml), golden("hostile.xml", without_version(xml)));
    std::string id;
    auto props = parsed_properties(xml, &id);
    EXPECT_EQ(id, "vm\"<&>");
    ASSERT_EQ(props.size(), hostile.size()) << xml;
    for (size_t i = 0; i < hostile.size(); ++i) {
        EXPECT_EQ(props[i].first, values[i].key);
        EXPECT_EQ(props[i].second, hostile[i]) << i;
    }
    // One Property per line: no raw newline inside an attribute.
    EXPECT_EQ(std::count(xml.begin(), xml.end(), '\n'), 10 + static_cast<long>(hostile.size()));
}

TEST(DeployEnvironment, TextXmlCannotHoldIsReplaced) {
    PropertyValue v;
    v.key = "k";
    v.system_id = "vm";
    // C0 controls, invalid UTF-8, an overlong '/', a surrogate, U+FFFE.
    v.value = std::string("a\0b\x01"
                          "c\x1b[31m\xff\xc0\xaf\xed\xa0\x80\xef\xbf\xbe"
                          "d",
                          20);
    auto env = envelope_of("  <VirtualSystem ovf:id=\"vm\"><Info>x</Info></VirtualSystem>\n");
    auto props = parsed_properties(environment_xml(env, "vm", {v}));
    ASSERT_EQ(props.size(), 1u);
    const std::string r = "\xef\xbf\xbd";
    EXPECT_EQ(props[0].second,
              "a" + r + "b" + r + "c" + r + "[31m" + r + // ESC, then 0xff
                  r + r +                                // the overlong pair, byte by byte
                  r + r + r + r + r + r + "d");          // the surrogate and U+FFFE
}

TEST(DeployEnvironment, DeterministicIso) {
    std::string xml = "<?xml version=\"1.0\"?>\n<Environment/>\n";
    auto a = environment_iso(xml);
    ASSERT_TRUE(a) << a.error().message;
    auto b = environment_iso(xml);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
    ASSERT_GE(a->size(), 17u * 2048);
    EXPECT_EQ(a->size() % 2048, 0u);
    // The primary volume descriptor (ECMA-119 8.4): sector 16.
    auto pvd = reinterpret_cast<const char*>(a->data()) + 16 * 2048;
    EXPECT_EQ(pvd[0], 1);
    EXPECT_EQ(std::string(pvd + 1, 5), "CD001");
    EXPECT_EQ(std::string(pvd + 40, 32), "OVF ENV" + std::string(25, ' '));
    // The file's bytes are in the image, whole.
    std::string image(reinterpret_cast<const char*>(a->data()), a->size());
    EXPECT_NE(image.find(xml), std::string::npos);
    auto other = environment_iso(xml + " ");
    ASSERT_TRUE(other);
    EXPECT_NE(*a, *other);
}

TEST(DeployEnvironment, IsoIsWrittenThroughOutputSet) {
    ovfkit::test::TempDir dir;
    std::string path = dir.file("env.iso");
    ASSERT_TRUE(write_environment_iso("<Environment/>", path, false));
    auto expected = environment_iso("<Environment/>");
    ASSERT_TRUE(expected);
    EXPECT_EQ(ovfkit::test::read_file(path), *expected);
    auto again = write_environment_iso("<Other/>", path, false);
    ASSERT_FALSE(again) << "an existing output needs force";
    EXPECT_EQ(ovfkit::test::read_file(path), *expected) << "and is left alone";
    ASSERT_TRUE(write_environment_iso("<Other/>", path, true));
    EXPECT_EQ(ovfkit::test::read_file(path), *environment_iso("<Other/>"));
    // A directory at the target is never replaced.
    fs::create_directory(dir.file("d.iso"));
    auto refused = write_environment_iso("<Environment/>", dir.file("d.iso"), true);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::refused);
    // Within a caller's set: nothing until the set commits, nothing at all
    // when it is abandoned.
    {
        io::OutputSet set;
        ASSERT_TRUE(write_environment_iso("<Environment/>", set, dir.file("late.iso")));
        EXPECT_FALSE(fs::exists(dir.file("late.iso")));
    }
    EXPECT_FALSE(fs::exists(dir.file("late.iso")));
    {
        io::OutputSet set;
        ASSERT_TRUE(write_environment_iso("<Environment/>", set, dir.file("late.iso")));
        ASSERT_TRUE(set.commit());
    }
    EXPECT_EQ(ovfkit::test::read_file(dir.file("late.iso")), *expected);
    // Nothing but the outputs in the directory: no temporaries left.
    size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) {
        ++entries;
    }
    EXPECT_EQ(entries, 3u);
}

} // namespace
} // namespace ovfkit::deploy
