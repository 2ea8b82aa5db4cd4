// Hardened XML loading for every XML format ovfkit reads (OVF descriptors,
// libvirt domain XML, .vbox, XVA ova.xml, Hyper-V XML).
//
// All of these arrive from untrusted packages, so parsing follows
// docs/SECURITY.md R10-R12 with libxml2 2.9.x:
//   - the input is a bounded memory buffer (never xmlReadFile, which would
//     transparently gunzip), at most Limits::max_bytes;
//   - only UTF-8 and ASCII are accepted (an optional UTF-8 BOM is fine); UTF-16,
//     UTF-32, any other declared encoding and a declaration that disagrees with
//     the bytes are refused before libxml2 sees the document; NUL bytes too;
//   - the byte strings "<!DOCTYPE" and "<!ENTITY" are refused before parsing;
//     SAX hooks on every DTD event stop the parser as a backstop, a process-wide
//     external entity loader refuses every URI, XML_PARSE_NONET is set and
//     NOENT, DTDLOAD, DTDVALID, XINCLUDE and HUGE never are; after parsing the
//     document must have neither an internal nor an external subset;
//   - attributes per element and namespace declarations per document are
//     counted on the bytes (libxml2 2.9 spends quadratic time on both);
//   - element depth, element count and attribute sizes are checked while the
//     parser runs (a SAX hook), text sizes right after, so a hostile document
//     never grows past the limits in memory; XInclude elements are refused.
// libxml2 never prints: errors are collected by a structured error handler and
// the first one is reported as "NAME:LINE: what".
//
// Exit codes: security refusals (DTD, entity, XInclude, size, depth, count,
// NUL byte) are Errc::refused; malformed XML and unsupported encodings are
// Errc::invalid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/base/units.hpp>

struct _xmlNode;
struct _xmlDoc;

namespace ovfkit::xml {

struct Limits {
    uint64_t max_bytes = 16 * MiB;  // whole document
    uint32_t max_depth = 128;       // element nesting
    uint32_t max_elements = 200000; // elements in the document
    uint64_t max_value = 1 * MiB;   // one attribute value or text node
    uint64_t max_eula = 4 * MiB;    // text of a `long_text_element` element
    // Checked on the bytes before parsing: libxml2 2.9 checks duplicate
    // attributes and resolves prefixes with linear scans, so unbounded
    // counts would cost quadratic time.
    uint32_t max_attributes = 256;             // attributes of one element (xmlns included)
    uint32_t max_total_attributes = 400000;    // attributes in the document
    uint32_t max_namespace_declarations = 256; // xmlns declarations in the document
    // Local name of the element whose text may reach max_eula (OVF License).
    std::string long_text_element = "License";
};

// Well-known namespace URIs shared by several formats.
inline constexpr std::string_view k_xml_ns = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view k_xsi_ns = "http://www.w3.org/2001/XMLSchema-instance";

struct Attribute {
    std::string ns;     // namespace URI, empty when unqualified
    std::string prefix; // prefix as written, a hint for writers
    std::string name;   // local name
    std::string value;
};

// Namespace URIs replaced while serializing a fragment (from -> to).
using NamespaceRenames = std::vector<std::pair<std::string, std::string>>;

class Document;
struct DocumentImpl;

// How Element::serialize changes the copy.
struct SerializeOptions {
    // Namespace URIs rewritten (first -> second).
    NamespaceRenames renames;
    // Elements in no namespace are put in this one, under a prefix the
    // subtree does not use (oVirt's unqualified envelope elements).
    std::string_view no_namespace;
    // A default declaration of this URI (after `renames`) is replaced by a
    // prefixed one, "ovf" or the first "ovfN" the subtree does not declare:
    // the text then no longer depends on whether the source used a default
    // namespace, and a writer can bind the URI once for many fragments.
    std::string_view unprefixed;
    // (from, into): an attribute in `from` is dropped from an element that
    // has one of the same local name in `into` (namespaces a writer will
    // merge); `dropped` counts them.
    NamespaceRenames shadowed;
    uint32_t* dropped = nullptr;
};

// A non-owning view of one element of a Document. Valid while the Document
// lives (moving the Document is fine). A default-constructed Element is null:
// every accessor of a null Element answers empty (no name, no children, no
// attributes), so a walk over a missing part of untrusted XML cannot crash.
class Element {
public:
    Element() = default;

    explicit operator bool() const { return m_node != nullptr; }
    std::string_view name() const;   // local name
    std::string_view ns() const;     // namespace URI, "" when none
    std::string_view prefix() const; // "" when none
    uint32_t line() const;           // 1-based, exact beyond 65535
    bool is(std::string_view ns_uri, std::string_view local) const;

    // The value of the attribute {ns_uri}local; ns_uri "" is an unqualified
    // attribute. nullopt when absent.
    std::optional<std::string> attribute(std::string_view ns_uri, std::string_view local) const;
    // Every attribute in document order (namespace declarations excluded).
    std::vector<Attribute> attributes() const;

    // Namespace declarations made on this element: (prefix, URI) in order,
    // prefix "" for a default namespace.
    std::vector<std::pair<std::string, std::string>> namespace_declarations() const;

    // Concatenated text of the direct text children (CDATA is merged).
    std::string text() const;
    bool has_element_children() const;

    std::vector<Element> children() const; // element children in order
    std::vector<Element> children(std::string_view ns_uri, std::string_view local) const;
    Element first_child(std::string_view ns_uri, std::string_view local) const;
    Element parent() const; // null for the root element

    // Resolves a QName prefix in scope ("" = default namespace); nullopt when
    // unbound. Used for QName-valued attributes such as xsi:type.
    std::optional<std::string> lookup_namespace(std::string_view prefix) const;

    // This element and its subtree as one self-contained, compact XML string:
    // every namespace it uses is declared on it (sorted by prefix),
    // whitespace-only text between elements is dropped, comments are kept.
    // See SerializeOptions.
    std::string serialize(const SerializeOptions& options = {}) const;

    const _xmlNode* raw() const { return m_node; }

private:
    friend class Document;
    Element(const _xmlNode* node, const DocumentImpl* doc) : m_node(node), m_doc(doc) {}
    const _xmlNode* m_node = nullptr;
    const DocumentImpl* m_doc = nullptr;
};

// An owned, parsed, checked document.
class Document {
public:
    // Parses `bytes` (the name is used in messages) under the rules above.
    // Fails with "NAME:LINE: why" (Errc::refused for security refusals,
    // Errc::invalid for malformed XML and unsupported encodings).
    static Result<Document> parse(std::span<const std::byte> bytes, std::string name,
                                  const Limits& limits = {});
    static Result<Document> parse(std::string_view text, std::string name,
                                  const Limits& limits = {});

    Document(Document&&) noexcept;
    Document& operator=(Document&&) noexcept;
    ~Document();

    Element root() const;
    const std::string& name() const;
    // "NAME:LINE" for messages.
    std::string where(uint32_t line) const;
    std::string where(const Element& element) const { return where(element.line()); }

    _xmlDoc* raw() const;

    // The line of the first element that declares namespace `uri` (a walk
    // of the whole tree); nullopt when none does.
    std::optional<uint32_t> declaration_line(std::string_view uri) const;

private:
    Document();
    std::unique_ptr<DocumentImpl> m_impl;
};

// Lets the process-wide entity loader open files directly inside `directory`
// (an absolute path), e.g. bundled XSDs for schema validation (R13). Every
// other URI, and every entity of a parsed document, stays refused.
void allow_entity_directory(std::string directory);

// A file the entity loader may serve from memory (bundled schemas, R13).
struct Resource {
    std::string url;        // canonical URL: the base for relative references inside it
    std::string_view bytes; // must outlive every parse that loads it
};

// Installs a process-wide lookup that the entity loader consults for each URI
// it is asked to open; nullopt keeps the refusal. Documents parsed with
// Document::parse never get that far: their entities are refused before.
using ResourceLookup = std::optional<Resource> (*)(std::string_view url);
void set_resource_lookup(ResourceLookup lookup);

// Copies a fragment produced by Element::serialize() under `parent` (a node
// of a document being written), after `renames`; namespace declarations that
// repeat an identical binding already in scope are dropped. `name` is used in
// error messages. The fragment is parsed with the same hardening as input.
Result<void> append_fragment(_xmlNode* parent, std::string_view fragment, std::string_view name,
                             const NamespaceRenames& renames = {});

// Batch form of append_fragment for writers with many verbatim elements:
// each slot's placeholder node (already in the tree) is replaced by its
// fragment. All fragments are parsed in one pass; when any is not a single
// well-formed element, the slots are processed one by one so the error
// names the fragment.
struct FragmentSlot {
    _xmlNode* placeholder = nullptr;
    std::string_view xml;
    std::string name; // for messages
};
// `unprefixed`: a default declaration of this URI (after `renames`) in a
// fragment is made a prefixed one (SerializeOptions::unprefixed), so the
// text is what reading the written document back would keep.
Result<void> replace_with_fragments(const std::vector<FragmentSlot>& slots,
                                    const NamespaceRenames& renames = {},
                                    std::string_view unprefixed = {});

} // namespace ovfkit::xml
