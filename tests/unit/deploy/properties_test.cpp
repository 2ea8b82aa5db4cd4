// Deployment option choice, --prop key forms, type and qualifier checks of
// user values (hostile ones included), missing values, and password masking
// in errors and JSON.
#include "envelope.hpp"
#include <gtest/gtest.h>

#include <ovfkit/deploy/properties.hpp>

namespace ovfkit::deploy {
namespace {

using test::envelope_of;
using test::system_with;
using Overrides = std::vector<std::pair<std::string, std::string>>;

std::string options(const std::string& configurations) {
    return "  <DeploymentOptionSection>\n    <Info>o</Info>\n" + configurations +
           "  </DeploymentOptionSection>\n";
}

std::string configuration(const std::string& id, bool is_default = false) {
    return "    <Configuration ovf:id=\"" + id + "\"" +
           (is_default ? " ovf:default=\"true\"" : "") + "><Label>" + id + "</Label><Description>" +
           id + "</Description></Configuration>\n";
}

TEST(DeployOption, DefaultElseFirstElseNone) {
    auto with_default = system_with(
        "", "", options(configuration("small") + configuration("big", true) + configuration("x")));
    EXPECT_EQ(choose_deployment_option(with_default, std::nullopt).value(), "big");
    auto without_default =
        system_with("", "", options(configuration("small") + configuration("big")));
    EXPECT_EQ(choose_deployment_option(without_default, std::nullopt).value(), "small");
    auto none = system_with("");
    EXPECT_EQ(choose_deployment_option(none, std::nullopt).value(), "");
}

TEST(DeployOption, WantedMustExist) {
    auto env = system_with("", "", options(configuration("small") + configuration("big", true)));
    EXPECT_EQ(choose_deployment_option(env, "small").value(), "small");
    auto bad = choose_deployment_option(env, "huge");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::usage);
    EXPECT_NE(bad.error().message.find("\"huge\""), std::string::npos) << bad.error().message;
    EXPECT_NE(bad.error().message.find("\"small\", \"big\""), std::string::npos)
        << bad.error().message;
    auto none = choose_deployment_option(system_with(""), "small");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Errc::usage);
}

TEST(DeployProperties, ValueForTheChosenOption) {
    auto env = system_with(R"(      <Property ovf:key="cpus" ovf:type="uint8" ovf:value="1">
        <Value ovf:value="4" ovf:configuration="big"/>
      </Property>
)",
                           "", options(configuration("small", true) + configuration("big")));
    auto small = resolve_properties(env, "small", {});
    ASSERT_TRUE(small) << small.error().message;
    ASSERT_EQ(small->values.size(), 1u);
    EXPECT_EQ(small->values[0].value, "1");
    EXPECT_EQ(small->values[0].system_id, "vm");
    auto big = resolve_properties(env, "big", {});
    ASSERT_TRUE(big);
    EXPECT_EQ(big->values[0].value, "4");
    EXPECT_FALSE(big->values[0].from_user);
}

constexpr const char* k_qualified =
    R"(      <Property ovf:key="ip" ovf:type="string" ovf:userConfigurable="true"/>
)";

TEST(DeployProperties, KeyForms) {
    auto env = system_with(k_qualified, " ovf:class=\"vami\" ovf:instance=\"web\"");
    for (std::string key : {"vami.ip.web", "ip", "vami.ip", "ip.web"}) {
        auto r = resolve_properties(env, "", Overrides{{key, "192.0.2.1"}});
        ASSERT_TRUE(r) << key << ": " << r.error().message;
        ASSERT_EQ(r->values.size(), 1u);
        EXPECT_EQ(r->values[0].key, "vami.ip.web");
        EXPECT_EQ(r->values[0].value, "192.0.2.1") << key;
        EXPECT_TRUE(r->values[0].from_user);
        EXPECT_TRUE(r->missing.empty());
    }
    for (std::string key : {"web", "vami", "vami.web", "IP", "ip.vami", ""}) {
        auto r = resolve_properties(env, "", Overrides{{key, "x"}});
        ASSERT_FALSE(r) << key;
        EXPECT_EQ(r.error().code, Errc::usage);
        EXPECT_NE(r.error().message.find("vami.ip.web"), std::string::npos)
            << "the message lists the known keys: " << r.error().message;
    }
}

TEST(DeployProperties, ShortKeyMustBeUnambiguous) {
    auto env = envelope_of(R"(  <VirtualSystem ovf:id="vm">
    <Info>vm</Info>
    <ProductSection ovf:class="a"><Info>p</Info>
      <Property ovf:key="name" ovf:type="string" ovf:userConfigurable="true"/>
    </ProductSection>
    <ProductSection ovf:class="b"><Info>p</Info>
      <Property ovf:key="name" ovf:type="string" ovf:userConfigurable="true"/>
    </ProductSection>
    <ProductSection><Info>p</Info>
      <Property ovf:key="a.name" ovf:type="string" ovf:userConfigurable="true"/>
    </ProductSection>
  </VirtualSystem>
)");
    auto ambiguous = resolve_properties(env, "", Overrides{{"name", "x"}});
    ASSERT_FALSE(ambiguous);
    EXPECT_EQ(ambiguous.error().code, Errc::usage);
    EXPECT_NE(ambiguous.error().message.find("\"a.name\", \"b.name\""), std::string::npos)
        << ambiguous.error().message;
    // "a.name" is a full key of two properties (class a, and the bare key
    // "a.name"): the same environment name, so both get the value.
    auto full = resolve_properties(env, "", Overrides{{"a.name", "x"}, {"b.name", "y"}});
    ASSERT_TRUE(full) << full.error().message;
    ASSERT_EQ(full->values.size(), 3u);
    EXPECT_EQ(full->values[0].value, "x");
    EXPECT_EQ(full->values[1].value, "y");
    EXPECT_EQ(full->values[2].value, "x");
}

TEST(DeployProperties, NotUserConfigurableIsRefused) {
    auto env = system_with(
        R"(      <Property ovf:key="version" ovf:type="string" ovf:value="1.0"/>
      <Property ovf:key="fixed" ovf:type="string" ovf:userConfigurable="false" ovf:value="a"/>
)");
    for (std::string key : {"version", "fixed"}) {
        auto r = resolve_properties(env, "", Overrides{{key, "2.0"}});
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::usage);
        EXPECT_NE(r.error().message.find("\"" + key + "\" is not user-configurable"),
                  std::string::npos)
            << r.error().message;
    }
    auto r = resolve_properties(env, "", {});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->missing.empty()) << "non-configurable properties are never missing";
}

// The verdict for one value of a property of `type` with `qualifiers`:
// "" when accepted, else the error code's name.
std::string verdict(const std::string& type, const std::string& qualifiers,
                    const std::string& value) {
    auto env = system_with(
        "      <Property ovf:key=\"p\" ovf:type=\"" + type + "\" ovf:userConfigurable=\"true\"" +
        (qualifiers.empty() ? std::string() : " ovf:qualifiers=\"" + qualifiers + "\"") + "/>\n");
    auto r = resolve_properties(env, "", Overrides{{"p", value}});
    if (r) {
        EXPECT_EQ(r->values.at(0).value, value);
        return "";
    }
    EXPECT_NE(r.error().message.find("\"p\""), std::string::npos)
        << "the message names the key: " << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << "one line";
    return errc_name(r.error().code);
}

TEST(DeployProperties, IntegerTypes) {
    EXPECT_EQ(verdict("uint8", "", "0"), "");
    EXPECT_EQ(verdict("uint8", "", "255"), "");
    for (std::string bad : {"256", "-1", "", " 1", "1 ", "+1", "0x10", "1e2", "1.0", "\xef\xbc\x91",
                            "99999999999999999999999", "1\n", "1; reboot"}) {
        EXPECT_EQ(verdict("uint8", "", bad), "usage") << bad;
    }
    EXPECT_EQ(verdict("uint64", "", "18446744073709551615"), "");
    EXPECT_EQ(verdict("uint64", "", "18446744073709551616"), "usage");
    EXPECT_EQ(verdict("sint8", "", "-128"), "");
    EXPECT_EQ(verdict("sint8", "", "-129"), "usage");
    EXPECT_EQ(verdict("sint8", "", "128"), "usage");
    EXPECT_EQ(verdict("sint64", "", "-9223372036854775808"), "");
    EXPECT_EQ(verdict("uint16", "MinValue(10) MaxValue(1000)", "10"), "");
    EXPECT_EQ(verdict("uint16", "MinValue(10) MaxValue(1000)", "1000"), "");
    EXPECT_EQ(verdict("uint16", "MinValue(10) MaxValue(1000)", "9"), "usage");
    EXPECT_EQ(verdict("uint16", "MinValue(10) MaxValue(1000)", "1001"), "usage");
    EXPECT_EQ(verdict("uint8", "ValueMap{0,2,5..9}", "7"), "");
    EXPECT_EQ(verdict("uint8", "ValueMap{0,2,5..9}", "2"), "");
    EXPECT_EQ(verdict("uint8", "ValueMap{0,2,5..9}", "3"), "usage");
}

TEST(DeployProperties, RealAndBoolean) {
    EXPECT_EQ(verdict("real64", "", "1.5e3"), "");
    EXPECT_EQ(verdict("real32", "MinValue(1.0) MaxValue(10.67)", "10.67"), "");
    EXPECT_EQ(verdict("real32", "MinValue(1.0) MaxValue(10.67)", "10.68"), "usage");
    for (std::string bad : {"nan", "inf", "-inf", "1e400", "0x1p3", "", "1,5", " 1"}) {
        EXPECT_EQ(verdict("real64", "", bad), "usage") << bad;
    }
    EXPECT_EQ(verdict("real32", "", "1e39"), "usage");
    EXPECT_EQ(verdict("boolean", "", "true"), "");
    EXPECT_EQ(verdict("boolean", "", "false"), "");
    // Validation tolerates other cases in defaults; a user value is strict.
    for (std::string bad : {"True", "FALSE", "yes", "1", "", "true "}) {
        EXPECT_EQ(verdict("boolean", "", bad), "usage") << bad;
    }
}

TEST(DeployProperties, Strings) {
    EXPECT_EQ(verdict("string", "MinLen(2),MaxLen(3)", "ab"), "");
    EXPECT_EQ(verdict("string", "MinLen(2),MaxLen(3)", "a"), "usage");
    EXPECT_EQ(verdict("string", "MinLen(2),MaxLen(3)", "abcd"), "usage");
    // Lengths count characters, not bytes.
    EXPECT_EQ(verdict("string", "MaxLen(3)", "\xc3\xa9\xc3\xa9\xc3\xa9"), "");
    EXPECT_EQ(verdict("string", "ValueMap{&quot;a,b&quot;,&quot;c&quot;}", "a,b"), "");
    EXPECT_EQ(verdict("string", "ValueMap{&quot;a,b&quot;,&quot;c&quot;}", "a"), "usage");
    EXPECT_EQ(verdict("string", "ValueMap{&quot;a,b&quot;,&quot;c&quot;}", ""), "usage");
    // Text the environment carries literally (escaped when written).
    EXPECT_EQ(verdict("string", "", "</Environment><x a=\"1\"/>&amp; $(reboot) `id` | ;"), "");
    EXPECT_EQ(verdict("string", "", "line1\nline2\ttab\r"), "");
    // What XML 1.0 cannot carry at all is refused rather than altered.
    EXPECT_EQ(verdict("string", "", std::string("nul\0byte", 8)), "usage");
    EXPECT_EQ(verdict("string", "", "bell\x07"), "usage");
    EXPECT_EQ(verdict("string", "", "\xff\xfe"), "usage");
    EXPECT_EQ(verdict("string", "", "\xc3"), "usage");
}

TEST(DeployProperties, VmwareNetworkQualifiers) {
    for (std::string q : {"Ip", "Ip('VM Network')", "VimIp", "Gateway('Network 1')"}) {
        EXPECT_EQ(verdict("string", q, "192.0.2.10"), "") << q;
        EXPECT_EQ(verdict("string", q, "2001:db8::1"), "") << q;
        EXPECT_EQ(verdict("string", q, ""), "") << q << ": empty means DHCP";
        for (std::string bad : {"192.0.2.256", "192.0.2", "192.0.2.1/24", "host", "192.0.2.1 ",
                                "192.0.2.1; reboot", "::g"}) {
            EXPECT_EQ(verdict("string", q, bad), "usage") << q << " " << bad;
        }
    }
    EXPECT_EQ(verdict("string", "Netmask('Network 1')", "255.255.255.0"), "");
    EXPECT_EQ(verdict("string", "Netmask('Network 1')", "0.0.0.0"), "");
    EXPECT_EQ(verdict("string", "Netmask('Network 1')", "64"), "");
    EXPECT_EQ(verdict("string", "Netmask('Network 1')", "255.0.255.0"), "usage");
    EXPECT_EQ(verdict("string", "Netmask('Network 1')", "129"), "usage");
    EXPECT_EQ(verdict("string", "Dns('Network 1')", "192.0.2.53, 2001:db8::53"), "");
    EXPECT_EQ(verdict("string", "Dns('Network 1')", "192.0.2.53,192.0.2.54"), "");
    EXPECT_EQ(verdict("string", "Dns('Network 1')", "192.0.2.53,evil"), "usage");
    EXPECT_EQ(verdict("string", "Dns('Network 1')", ","), "usage");
}

TEST(DeployProperties, UnreadableTypeOrQualifiersAreTheAppliancesFault) {
    EXPECT_EQ(verdict("ip", "", "x"), "invalid");
    EXPECT_EQ(verdict("string", "MaxLen(x)", "a"), "invalid");
    EXPECT_EQ(verdict("string", "MinLen(3),MaxLen(2)", "ab"), "invalid");
    EXPECT_EQ(verdict("string", "ValueMap{&quot;a", "a"), "invalid");
    // Unknown qualifiers are not enforced.
    EXPECT_EQ(verdict("string", "Frobnicate(1)", "anything"), "");
}

TEST(DeployProperties, MissingValues) {
    auto env =
        system_with(R"(      <Property ovf:key="a" ovf:type="string" ovf:userConfigurable="true"/>
      <Property ovf:key="b" ovf:type="string" ovf:userConfigurable="true" ovf:value=""/>
      <Property ovf:key="c" ovf:type="string" ovf:userConfigurable="true" ovf:value="set"/>
      <Property ovf:key="d" ovf:type="string"/>
)");
    auto r = resolve_properties(env, "", Overrides{{"b", "given"}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->missing, std::vector<std::string>{"a"});
    ASSERT_EQ(r->values.size(), 4u);
    EXPECT_EQ(r->values[1].value, "given");
    EXPECT_EQ(r->values[2].value, "set");
    // An explicit empty value is the user's choice, not a missing one.
    auto empty = resolve_properties(env, "", Overrides{{"a", ""}});
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->missing, std::vector<std::string>{"b"});
}

constexpr const char* k_secret = "hunter2-\"secret\"";

TEST(DeployProperties, PasswordsAreNeverShown) {
    auto env = system_with(
        R"~(      <Property ovf:key="pw" ovf:type="string" ovf:password="true" ovf:userConfigurable="true" ovf:qualifiers="MinLen(20)"/>
      <Property ovf:key="pin" ovf:type="uint16" ovf:password="true" ovf:userConfigurable="true"/>
      <Property ovf:key="user" ovf:type="string" ovf:userConfigurable="true"/>
)~");
    for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"pw", k_secret}, {"pin", k_secret}, {"pw", std::string(k_secret) + "\x01"}}) {
        auto bad = resolve_properties(env, "", Overrides{{key, value}});
        ASSERT_FALSE(bad) << key;
        EXPECT_EQ(bad.error().code, Errc::usage);
        EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos) << bad.error().message;
        EXPECT_NE(bad.error().message.find(k_password_mask), std::string::npos)
            << bad.error().message;
    }
    std::string good = std::string(k_secret) + "-long-enough";
    auto r = resolve_properties(env, "", Overrides{{"pw", good}, {"pin", "1234"}, {"user", "u"}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->values[0].value, good) << "the value itself is kept for the environment";
    EXPECT_EQ(r->values[0].shown_value(), "********");
    EXPECT_EQ(r->values[2].shown_value(), "u");
    auto json = to_json(*r);
    std::string text = json.dump();
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_EQ(text.find("1234"), std::string::npos) << text;
    EXPECT_EQ(json["properties"][0]["value"], "********");
    EXPECT_EQ(json["properties"][0]["password"], true);
    EXPECT_EQ(json["properties"][0]["from_user"], true);
    EXPECT_EQ(json["properties"][2]["value"], "u");
    EXPECT_EQ(json["properties"][2]["type"], "string");
    EXPECT_EQ(json["properties"][2]["system_id"], "vm");
    EXPECT_EQ(json["missing"], nlohmann::json::array());
}

TEST(DeployProperties, OverrideParsing) {
    auto kv = parse_override("a.b=c=d");
    ASSERT_TRUE(kv);
    EXPECT_EQ(kv->first, "a.b");
    EXPECT_EQ(kv->second, "c=d");
    auto empty = parse_override("k=");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->second, "");
    EXPECT_FALSE(parse_override("novalue"));
    auto nokey = parse_override("=hunter2");
    ASSERT_FALSE(nokey);
    EXPECT_EQ(nokey.error().code, Errc::usage);
    EXPECT_EQ(nokey.error().message.find("hunter2"), std::string::npos);
}

TEST(DeployProperties, CollectionsKeepEachSystemsId) {
    auto env = envelope_of(R"(  <VirtualSystemCollection ovf:id="app">
    <Info>c</Info>
    <ProductSection><Info>p</Info>
      <Property ovf:key="domain" ovf:type="string" ovf:userConfigurable="true" ovf:value="example.org"/>
    </ProductSection>
    <VirtualSystem ovf:id="web"><Info>w</Info>
      <ProductSection ovf:class="web"><Info>p</Info>
        <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="80"/>
      </ProductSection>
    </VirtualSystem>
    <VirtualSystem ovf:id="db"><Info>d</Info>
      <ProductSection ovf:class="db"><Info>p</Info>
        <Property ovf:key="port" ovf:type="uint16" ovf:userConfigurable="true" ovf:value="5432"/>
      </ProductSection>
    </VirtualSystem>
  </VirtualSystemCollection>
)");
    auto r = resolve_properties(env, "", Overrides{{"web.port", "8080"}});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->values.size(), 3u);
    EXPECT_EQ(r->values[0].system_id, "app");
    EXPECT_EQ(r->values[1].system_id, "web");
    EXPECT_EQ(r->values[1].value, "8080");
    EXPECT_EQ(r->values[2].system_id, "db");
    EXPECT_EQ(r->values[2].value, "5432");
    auto ambiguous = resolve_properties(env, "", Overrides{{"port", "1"}});
    ASSERT_FALSE(ambiguous);
    EXPECT_EQ(ambiguous.error().code, Errc::usage);
}

} // namespace
} // namespace ovfkit::deploy
