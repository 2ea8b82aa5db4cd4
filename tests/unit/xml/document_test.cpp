#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/xml/document.hpp>

namespace ovfkit::xml {
namespace {

constexpr const char* k_ns = "urn:test";

// Parses `text` and checks the whole refusal happens quickly: hostile inputs
// must cost bounded time (SECURITY.md: refusals in under 5 s).
Result<Document> timed_parse(const std::string& text, const Limits& limits = {}) {
    auto start = std::chrono::steady_clock::now();
    auto r = Document::parse(text, "t.xml", limits);
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, std::chrono::seconds(5));
    return r;
}

void expect_error(const Result<Document>& r, Errc code, const std::string& message) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().message, message);
}

TEST(XmlDocument, ParsesNamespacesAttributesAndText) {
    auto r = Document::parse(std::string_view("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                              "<r xmlns='urn:test' xmlns:p='urn:p' p:a='1' b='2'>\n"
                                              "  <c>hello <![CDATA[<world>]]></c>\n"
                                              "  <p:d/>\n"
                                              "  <c>x</c>\n"
                                              "</r>\n"),
                             "t.xml");
    ASSERT_TRUE(r) << r.error().message;
    auto root = r->root();
    EXPECT_TRUE(root.is(k_ns, "r"));
    EXPECT_EQ(root.attribute("urn:p", "a"), "1");
    EXPECT_EQ(root.attribute("", "b"), "2");
    EXPECT_FALSE(root.attribute(k_ns, "b"));
    auto cs = root.children(k_ns, "c");
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].text(), "hello <world>");
    EXPECT_EQ(cs[0].line(), 3u);
    EXPECT_EQ(root.children().size(), 3u);
    EXPECT_EQ(root.first_child("urn:p", "d").line(), 4u);
    EXPECT_FALSE(root.first_child(k_ns, "d"));
    EXPECT_EQ(root.lookup_namespace("p"), "urn:p");
    EXPECT_EQ(root.lookup_namespace(""), k_ns);
    EXPECT_FALSE(root.lookup_namespace("q"));
    auto attrs = root.attributes();
    ASSERT_EQ(attrs.size(), 2u);
    EXPECT_EQ(attrs[0].ns, "urn:p");
    EXPECT_EQ(attrs[0].prefix, "p");
    EXPECT_EQ(attrs[0].name, "a");
    EXPECT_EQ(r->where(cs[1]), "t.xml:5");
}

TEST(XmlDocument, AcceptsUtf8BomAndAscii) {
    EXPECT_TRUE(Document::parse(std::string_view("\xEF\xBB\xBF<r/>"), "t.xml"));
    EXPECT_TRUE(
        Document::parse(std::string_view("<?xml version='1.0' encoding='US-ASCII'?><r/>"), "t"));
    EXPECT_TRUE(Document::parse(std::string_view("<r>caf\xC3\xA9</r>"), "t.xml"));
}

TEST(XmlDocument, LineNumbersBeyond65535AreExact) {
    std::string text = "<r>";
    text.append(70000, '\n');
    text += "<a/>\n<b/></r>";
    auto r = Document::parse(text, "t.xml");
    ASSERT_TRUE(r) << r.error().message;
    auto kids = r->root().children();
    ASSERT_EQ(kids.size(), 2u);
    EXPECT_EQ(kids[0].line(), 70001u);
    EXPECT_EQ(kids[1].line(), 70002u);
}

TEST(XmlDocument, MalformedXmlIsInvalidWithLine) {
    expect_error(Document::parse(std::string_view("<r>\n<a>\n</r>"), "t.xml"), Errc::invalid,
                 "t.xml:3: XML is not well-formed: Opening and ending tag mismatch: a line 2 and "
                 "r");
    expect_error(Document::parse(std::string_view(""), "t.xml"), Errc::invalid,
                 "t.xml:1: document is empty");
    expect_error(Document::parse(std::string_view("<r>&foo;</r>"), "t.xml"), Errc::invalid,
                 "t.xml:1: XML is not well-formed: Entity 'foo' not defined");
}

// A QName whose local part is not a name ("w:5555") or that has two colons:
// libxml2 keeps it as a local name with a colon, which no writer can put
// back as a QName.
TEST(XmlDocument, NamesThatAreNotQNamesAreInvalid) {
    for (std::string_view text :
         {"<r xmlns:w='urn:w'><w:5555/></r>", "<r xmlns:a='urn:a' xmlns:b='urn:b'><a:b:c/></r>"}) {
        auto d = Document::parse(text, "q.xml");
        ASSERT_FALSE(d) << text;
        EXPECT_EQ(d.error().code, Errc::invalid);
        EXPECT_NE(d.error().message.find("q.xml:1: XML namespaces are not well-formed: "),
                  std::string::npos)
            << d.error().message;
    }
}

TEST(XmlDocument, AmbiguousNamespaceUseIsInvalid) {
    // One attribute through two prefixes bound to one namespace: libxml2
    // would keep the first value, another reader the second.
    auto r = Document::parse(std::string_view("<r xmlns:a=\"urn:x\" xmlns:b=\"urn:x\">\n"
                                              "<e a:k=\"1\" b:k=\"2\"/></r>"),
                             "t.xml");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_EQ(r.error().message.rfind("t.xml:2: XML namespaces are not well-formed", 0), 0u)
        << r.error().message;
    // An undeclared prefix, on an element or on an attribute.
    for (const char* text : {"<r>\n\n<z:e/></r>", "<r>\n\n<e z:k=\"1\"/></r>"}) {
        auto u = Document::parse(std::string_view(text), "t.xml");
        ASSERT_FALSE(u) << text;
        EXPECT_EQ(u.error().code, Errc::invalid);
        EXPECT_NE(u.error().message.find("t.xml:3:"), std::string::npos) << u.error().message;
        EXPECT_NE(u.error().message.find("not defined"), std::string::npos) << u.error().message;
    }
    // A namespace name that is not a valid URI is tolerated (producers
    // misspell the CIM ones; the OVF reader maps them).
    EXPECT_TRUE(Document::parse(std::string_view("<r xmlns:a=\"urn:x y\"><a:e/></r>"), "t.xml"));
}

TEST(XmlHostile, BillionLaughs) {
    std::string text = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
    for (int i = 1; i < 10; ++i) {
        text += fmt::format(" <!ENTITY lol{} \"", i);
        for (int k = 0; k < 10; ++k) {
            text += i == 1 ? "&lol;" : fmt::format("&lol{};", i - 1);
        }
        text += "\">\n";
    }
    text += "]>\n<lolz a=\"&lol9;\">&lol9;</lolz>\n";
    expect_error(timed_parse(text), Errc::refused,
                 "t.xml:2: <!DOCTYPE is refused: no DTD or entity declarations allowed");
}

TEST(XmlHostile, QuadraticBlowup) {
    std::string text = "<!DOCTYPE r [<!ENTITY a \"" + std::string(100000, 'a') + "\">]>\n<r>";
    for (int i = 0; i < 10000; ++i) {
        text += "&a;";
    }
    text += "</r>";
    expect_error(timed_parse(text), Errc::refused,
                 "t.xml:1: <!DOCTYPE is refused: no DTD or entity declarations allowed");
}

TEST(XmlHostile, ExternalEntity) {
    expect_error(timed_parse("<?xml version=\"1.0\"?>\n"
                             "<!DOCTYPE r [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
                             "<r>&xxe;</r>"),
                 Errc::refused,
                 "t.xml:2: <!DOCTYPE is refused: no DTD or entity declarations allowed");
}

TEST(XmlHostile, ExternalDtd) {
    expect_error(timed_parse("<?xml version=\"1.0\"?>\n\n"
                             "<!DOCTYPE r SYSTEM \"http://example.invalid/evil.dtd\">\n<r/>"),
                 Errc::refused,
                 "t.xml:3: <!DOCTYPE is refused: no DTD or entity declarations allowed");
}

TEST(XmlHostile, ParameterEntities) {
    expect_error(timed_parse("<!ENTITY % p SYSTEM \"file:///etc/passwd\">\n<r/>"), Errc::refused,
                 "t.xml:1: <!ENTITY is refused: no DTD or entity declarations allowed");
}

TEST(XmlHostile, XInclude) {
    expect_error(timed_parse("<r xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
                             "  <xi:include href=\"file:///etc/passwd\" parse=\"text\"/>\n</r>"),
                 Errc::refused, "t.xml:2: XInclude element <include> is refused");
}

TEST(XmlHostile, DeepNesting) {
    std::string text;
    for (int i = 0; i < 10000; ++i) {
        text += "<a>";
    }
    for (int i = 0; i < 10000; ++i) {
        text += "</a>";
    }
    expect_error(timed_parse(text), Errc::refused, "t.xml:1: elements nested deeper than 128");
}

TEST(XmlHostile, OversizeDocument) {
    std::string text = "<r>" + std::string(16 * MiB, ' ') + "</r>";
    expect_error(timed_parse(text), Errc::refused,
                 "t.xml: document is 16777223 bytes, over the limit of 16777216 bytes");
}

TEST(XmlHostile, TooManyElements) {
    std::string text = "<r>";
    for (int i = 0; i < 200001; ++i) {
        text += "<a/>";
    }
    text += "</r>";
    expect_error(timed_parse(text), Errc::refused, "t.xml:1: more than 200000 elements");
}

// libxml2 2.9 spends time per attribute and per in-scope namespace on every
// element; the byte-level counts keep both bounded.
TEST(XmlHostile, TooManyAttributesOnOneElement) {
    std::string text = "<r>\n<e";
    for (int i = 0; i < 200000; ++i) {
        text += fmt::format(" a{}=\"\"", i);
    }
    text += "/></r>";
    expect_error(timed_parse(text), Errc::refused, "t.xml:2: element has more than 256 attributes");
}

TEST(XmlHostile, TooManyAttributesInTheDocument) {
    std::string attrs;
    for (int i = 0; i < 100; ++i) {
        attrs += fmt::format(" a{}='x'", i);
    }
    std::string text = "<r>";
    for (int i = 0; i < 4001; ++i) {
        text += "<e" + attrs + "/>";
    }
    text += "</r>";
    expect_error(timed_parse(text), Errc::refused, "t.xml:1: more than 400000 attributes");
}

TEST(XmlHostile, TooManyNamespaceDeclarations) {
    std::string text = "<r>\n";
    for (int i = 0; i < 300; ++i) {
        text += fmt::format("<e xmlns:p{}='urn:{}'>\n", i, i);
    }
    expect_error(timed_parse(text), Errc::refused,
                 "t.xml:258: more than 256 namespace declarations");
}

TEST(XmlHostile, AttributeCountIgnoresCommentsAndCdata) {
    std::string many;
    for (int i = 0; i < 300; ++i) {
        many += " a=b";
    }
    EXPECT_TRUE(timed_parse("<r><!--<e" + many + "/>--><![CDATA[<e" + many + ">]]></r>"));
}

TEST(XmlHostile, Utf16Document) {
    std::string utf16 = "\xFF\xFE";
    for (char c : std::string("<r/>")) {
        utf16 += c;
        utf16 += '\0';
    }
    expect_error(timed_parse(utf16), Errc::invalid,
                 "t.xml:1: document is UTF-16 or UTF-32 (byte order mark); only UTF-8 and ASCII "
                 "are accepted");
    expect_error(timed_parse(utf16.substr(2)), Errc::invalid,
                 "t.xml:1: document is UTF-16 or UTF-32 encoded; only UTF-8 and ASCII are "
                 "accepted");
    // A declaration that lies about the bytes (XenServer writes this).
    expect_error(timed_parse("<?xml version=\"1.0\" encoding=\"utf-16\"?><r/>"), Errc::invalid,
                 "t.xml:1: XML declaration says encoding \"utf-16\" but the bytes are not "
                 "UTF-16/32; only UTF-8 and ASCII documents are accepted");
}

TEST(XmlHostile, Latin1Document) {
    expect_error(timed_parse("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r>caf\xE9</r>"),
                 Errc::invalid,
                 "t.xml:1: encoding \"ISO-8859-1\" is not accepted; only UTF-8 and ASCII are "
                 "accepted");
    expect_error(timed_parse("<r>\ncaf\xE9</r>"), Errc::invalid,
                 "t.xml:2: invalid UTF-8 at offset 7 (only UTF-8 and ASCII are accepted)");
    expect_error(timed_parse("<?xml version=\"1.0\" encoding=\"ascii\"?>\n<r>caf\xC3\xA9</r>"),
                 Errc::invalid,
                 "t.xml:2: encoding is declared ASCII but byte 0xC3 at offset 45 is not ASCII");
}

TEST(XmlHostile, NulBytes) {
    std::string text = "<r>\nab";
    text += '\0';
    text += "cd</r>";
    expect_error(timed_parse(text), Errc::refused, "t.xml:2: NUL byte at offset 6 is refused");
}

TEST(XmlHostile, HugeAttribute) {
    std::string text = "<r>\n<a v=\"" + std::string(2 * MiB, 'x') + "\"/></r>";
    expect_error(timed_parse(text), Errc::refused,
                 "t.xml:2: attribute v of <a> is 2097152 bytes, over the limit of 1048576 bytes");
}

TEST(XmlHostile, HugeTextButLicenseMayBeLonger) {
    std::string text = "<r>\n<a>" + std::string(2 * MiB, 'x') + "</a></r>";
    expect_error(timed_parse(text), Errc::refused,
                 "t.xml:2: text of <a> is 2097152 bytes, over the limit of 1048576");
    std::string eula = "<r>\n<License>" + std::string(2 * MiB, 'x') + "</License></r>";
    EXPECT_TRUE(timed_parse(eula));
    std::string too_long = "<r>\n<License>" + std::string(5 * MiB, 'x') + "</License></r>";
    expect_error(timed_parse(too_long), Errc::refused,
                 "t.xml:2: text of <License> is 5242880 bytes, over the limit of 4194304");
}

TEST(XmlHostile, LimitsAreConfigurable) {
    Limits tight;
    tight.max_depth = 2;
    expect_error(timed_parse("<a><b><c/></b></a>", tight), Errc::refused,
                 "t.xml:1: elements nested deeper than 2");
}

TEST(XmlFragment, SerializeIsSelfContainedAndIndentationFree) {
    auto a = Document::parse(std::string_view("<r xmlns='urn:r' xmlns:v='urn:v' xmlns:z='urn:z'>\n"
                                              "  <v:x v:k='1'>\n    <v:y>t</v:y>\n  </v:x>\n</r>"),
                             "a.xml");
    auto b = Document::parse(
        std::string_view("<r xmlns='urn:r' xmlns:v='urn:v'><v:x v:k='1'><v:y>t</v:y></v:x></r>"),
        "b.xml");
    ASSERT_TRUE(a && b);
    auto fa = a->root().children()[0].serialize();
    auto fb = b->root().children()[0].serialize();
    EXPECT_EQ(fa, "<v:x xmlns:v=\"urn:v\" v:k=\"1\"><v:y>t</v:y></v:x>");
    EXPECT_EQ(fa, fb);
    SerializeOptions rename;
    rename.renames = {{"urn:v", "urn:w"}};
    EXPECT_EQ(a->root().children()[0].serialize(rename),
              "<v:x xmlns:v=\"urn:w\" v:k=\"1\"><v:y>t</v:y></v:x>");
}

// The options the OVF reader uses for verbatim copies: unqualified elements
// put in a namespace, an attribute another of the element stands for dropped.
TEST(XmlFragment, SerializeQualifiesAndDropsShadowedAttributes) {
    auto d = Document::parse(std::string_view("<r xmlns:a='urn:a' xmlns:b='urn:b'>"
                                              "<x a:k='1' b:k='2' b:j='3'><y xmlns:ovf='urn:o'/>"
                                              "<a:z/></x></r>"),
                             "d.xml");
    ASSERT_TRUE(d);
    SerializeOptions options;
    options.no_namespace = "urn:q";
    options.shadowed = {{"urn:b", "urn:a"}};
    uint32_t dropped = 0;
    options.dropped = &dropped;
    // "ovf" is declared inside, so the new namespace takes "ovf1".
    EXPECT_EQ(d->root().children()[0].serialize(options),
              "<ovf1:x xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" xmlns:ovf1=\"urn:q\" a:k=\"1\" "
              "b:j=\"3\"><ovf1:y xmlns:ovf=\"urn:o\"/><a:z/></ovf1:x>");
    EXPECT_EQ(dropped, 1u);
}

TEST(XmlFragment, AppendDropsRedundantDeclarations) {
    auto d = Document::parse(std::string_view("<r xmlns:v='urn:v'/>"), "d.xml");
    ASSERT_TRUE(d);
    auto* root = const_cast<_xmlNode*>(d->root().raw());
    ASSERT_TRUE(append_fragment(root, "<v:x xmlns:v=\"urn:v\" xmlns:q=\"urn:q\" q:a=\"1\"/>", "f"));
    EXPECT_EQ(d->root().serialize(), "<r xmlns:v=\"urn:v\"><v:x xmlns:q=\"urn:q\" q:a=\"1\"/></r>");
    auto bad = append_fragment(root, "<!DOCTYPE x><x/>", "f");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::refused);
}

TEST(XmlElement, ANullElementAnswersEmpty) {
    Element none;
    EXPECT_FALSE(none);
    EXPECT_TRUE(none.children().empty());
    EXPECT_TRUE(none.children("", "x").empty());
    EXPECT_FALSE(none.first_child("", "x"));
    EXPECT_EQ(none.text(), "");
    EXPECT_EQ(none.name(), "");
    EXPECT_FALSE(none.attribute("", "a"));
    EXPECT_TRUE(none.attributes().empty());
    EXPECT_FALSE(none.parent());
    EXPECT_FALSE(none.has_element_children());
}

} // namespace
} // namespace ovfkit::xml
