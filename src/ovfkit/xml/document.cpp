// Hardened libxml2 loading; see document.hpp for the rules and why.
//
// Layers, in the order a document meets them:
//   1. byte checks (size, BOM, encoding declaration, UTF-8, NUL, DTD strings);
//   2. libxml2 with a private SAX handler: DTD events stop the parser, element
//      depth/count and attribute sizes are counted as elements start, errors go
//      to a collector instead of stderr;
//   3. a walk of the finished tree for text sizes and DTD subsets.
// Line numbers: libxml2 stores them in an unsigned short; the start-element
// hook records the real line of every element at or beyond 65535.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include <ovfkit/xml/document.hpp>

namespace ovfkit::xml {

struct DocumentImpl {
    std::string name;
    xmlDocPtr doc = nullptr;
    std::unordered_map<const xmlNode*, uint32_t> big_lines;

    ~DocumentImpl() {
        if (doc != nullptr) {
            xmlFreeDoc(doc);
        }
    }
};

namespace {

constexpr std::string_view k_xinclude_2001 = "http://www.w3.org/2001/XInclude";
constexpr std::string_view k_xinclude_2003 = "http://www.w3.org/2003/XInclude";

std::string_view view(const xmlChar* s) {
    return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

const xmlChar* xc(const char* s) {
    return reinterpret_cast<const xmlChar*>(s);
}

// ---- the entity loader -------------------------------------------------------

std::mutex g_allow_mutex;
std::vector<std::string> g_allowed_dirs;
std::atomic<ResourceLookup> g_resource_lookup{nullptr};

xmlParserInputPtr resource_input(const Resource& res, xmlParserCtxtPtr ctxt) {
    xmlParserInputBufferPtr buf = xmlParserInputBufferCreateMem(
        res.bytes.data(), static_cast<int>(res.bytes.size()), XML_CHAR_ENCODING_NONE);
    if (buf == nullptr) {
        return nullptr;
    }
    xmlParserInputPtr input = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE);
    if (input == nullptr) {
        xmlFreeParserInputBuffer(buf);
        return nullptr;
    }
    // The name is the base URL for relative imports inside the resource.
    input->filename = reinterpret_cast<const char*>(xmlStrdup(xc(res.url.c_str())));
    return input;
}

xmlParserInputPtr refusing_entity_loader(const char* url, const char* /*id*/,
                                         xmlParserCtxtPtr ctxt) {
    if (url != nullptr) {
        std::string_view u(url);
        std::lock_guard lock(g_allow_mutex);
        for (const auto& dir : g_allowed_dirs) {
            if (u.size() > dir.size() + 1 && u.substr(0, dir.size()) == dir &&
                u[dir.size()] == '/') {
                auto rest = u.substr(dir.size() + 1);
                if (rest.find('/') == std::string_view::npos && rest != "." && rest != ".." &&
                    rest.find(':') == std::string_view::npos) {
                    return xmlNewInputFromFile(ctxt, url);
                }
            }
        }
        if (auto lookup = g_resource_lookup.load()) {
            if (auto res = lookup(u)) {
                return resource_input(*res, ctxt);
            }
        }
    }
    return nullptr;
}

void silent_generic(void*, const char*, ...) {}

void init_libxml2() {
    static std::once_flag once;
    std::call_once(once, [] {
        xmlInitParser();
        xmlSetExternalEntityLoader(refusing_entity_loader);
    });
    // Per thread in threaded libxml2 builds: nothing may reach stderr.
    xmlSetGenericErrorFunc(nullptr, silent_generic);
}

// ---- byte checks ---------------------------------------------------------------

uint32_t line_at(std::string_view s, size_t offset) {
    return static_cast<uint32_t>(std::count(s.begin(), s.begin() + offset, '\n') + 1);
}

std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return r;
}

// Returns the offset of the first invalid UTF-8 sequence, or npos.
size_t find_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n) {
            return i;
        }
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

// The value of encoding="..." in a leading XML declaration, if any.
std::optional<std::string> declared_encoding(std::string_view s) {
    if (s.substr(0, 5) != "<?xml" || s.size() < 6 ||
        !(s[5] == ' ' || s[5] == '\t' || s[5] == '\r' || s[5] == '\n')) {
        return std::nullopt;
    }
    auto end = s.find("?>");
    if (end == std::string_view::npos) {
        return std::nullopt; // libxml2 reports the malformed declaration
    }
    auto decl = s.substr(0, end);
    auto pos = decl.find("encoding");
    if (pos == std::string_view::npos) {
        return std::nullopt;
    }
    pos += 8;
    while (pos < decl.size() && (decl[pos] == ' ' || decl[pos] == '\t' || decl[pos] == '\r' ||
                                 decl[pos] == '\n' || decl[pos] == '=')) {
        ++pos;
    }
    if (pos >= decl.size() || (decl[pos] != '"' && decl[pos] != '\'')) {
        return std::nullopt;
    }
    char quote = decl[pos];
    auto close = decl.find(quote, pos + 1);
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(decl.substr(pos + 1, close - pos - 1));
}

// Counts attributes per start tag and namespace declarations overall, in one
// linear pass that skips comments, CDATA sections and processing
// instructions. Malformed markup is left for libxml2 to report.
Result<void> check_tags(std::string_view s, const std::string& name, const Limits& limits) {
    uint64_t declarations = 0;
    uint64_t total = 0;
    size_t i = 0;
    const size_t n = s.size();
    auto skip_to = [&](size_t from, std::string_view end) {
        auto p = s.find(end, from);
        return p == std::string_view::npos ? n : p + end.size();
    };
    while ((i = s.find('<', i)) != std::string_view::npos) {
        auto rest = s.substr(i);
        if (rest.starts_with("<!--")) {
            i = skip_to(i + 4, "-->");
            continue;
        }
        if (rest.starts_with("<![CDATA[")) {
            i = skip_to(i + 9, "]]>");
            continue;
        }
        if (rest.starts_with("<?")) {
            i = skip_to(i + 2, "?>");
            continue;
        }
        if (rest.starts_with("</") || rest.starts_with("<!")) {
            i += 2;
            continue;
        }
        uint32_t attributes = 0;
        char quote = 0;
        bool after_space = false;
        size_t j = i + 1;
        for (; j < n; ++j) {
            char c = s[j];
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>' || c == '<') {
                break;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                after_space = true;
                continue;
            } else if (after_space) {
                if (s.substr(j, 5) == "xmlns" &&
                    ++declarations > limits.max_namespace_declarations) {
                    return fail(Errc::refused, "{}:{}: more than {} namespace declarations", name,
                                line_at(s, j), limits.max_namespace_declarations);
                }
            }
            if (c == '=') {
                if (++attributes > limits.max_attributes) {
                    return fail(Errc::refused, "{}:{}: element has more than {} attributes", name,
                                line_at(s, i), limits.max_attributes);
                }
                if (++total > limits.max_total_attributes) {
                    return fail(Errc::refused, "{}:{}: more than {} attributes", name,
                                line_at(s, i), limits.max_total_attributes);
                }
            }
            after_space = false;
        }
        i = j;
    }
    return {};
}

Result<void> check_bytes(std::string_view s, const std::string& name, const Limits& limits) {
    if (s.size() > limits.max_bytes) {
        return fail(Errc::refused, "{}: document is {} bytes, over the limit of {} bytes", name,
                    s.size(), limits.max_bytes);
    }
    if (s.empty()) {
        return fail(Errc::invalid, "{}:1: document is empty", name);
    }
    auto u = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0x100u; };
    if ((u(0) == 0xFF && u(1) == 0xFE) || (u(0) == 0xFE && u(1) == 0xFF) ||
        (u(0) == 0 && u(1) == 0 && u(2) == 0xFE && u(3) == 0xFF)) {
        return fail(Errc::invalid,
                    "{}:1: document is UTF-16 or UTF-32 (byte order mark); only UTF-8 and ASCII "
                    "are accepted",
                    name);
    }
    if ((u(0) == '<' && u(1) == 0) || (u(0) == 0 && u(1) == '<')) {
        return fail(Errc::invalid,
                    "{}:1: document is UTF-16 or UTF-32 encoded; only UTF-8 and ASCII are accepted",
                    name);
    }
    if (auto nul = s.find('\0'); nul != std::string_view::npos) {
        return fail(Errc::refused, "{}:{}: NUL byte at offset {} is refused", name, line_at(s, nul),
                    nul);
    }
    std::string_view body = s;
    bool bom = body.substr(0, 3) == "\xEF\xBB\xBF";
    if (bom) {
        body.remove_prefix(3);
    }
    bool ascii_declared = false;
    if (auto enc = declared_encoding(body)) {
        auto e = lower(*enc);
        if (e.starts_with("utf-16") || e.starts_with("utf-32") || e == "ucs-2" || e == "ucs-4" ||
            e == "utf16" || e == "utf32") {
            return fail(Errc::invalid,
                        "{}:1: XML declaration says encoding \"{}\" but the bytes are not "
                        "UTF-16/32; only UTF-8 and ASCII documents are accepted",
                        name, *enc);
        }
        if (e == "us-ascii" || e == "ascii") {
            ascii_declared = true;
        } else if (e != "utf-8" && e != "utf8") {
            return fail(Errc::invalid,
                        "{}:1: encoding \"{}\" is not accepted; only UTF-8 and ASCII are accepted",
                        name, *enc);
        }
        if (bom && ascii_declared) {
            return fail(Errc::invalid,
                        "{}:1: XML declaration says encoding \"{}\" but the document starts with "
                        "a UTF-8 byte order mark",
                        name, *enc);
        }
    }
    if (ascii_declared) {
        auto it = std::find_if(s.begin(), s.end(),
                               [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
        if (it != s.end()) {
            size_t off = static_cast<size_t>(it - s.begin());
            return fail(Errc::invalid,
                        "{}:{}: encoding is declared ASCII but byte 0x{:02X} at offset {} is not "
                        "ASCII",
                        name, line_at(s, off), static_cast<unsigned char>(*it), off);
        }
    }
    if (auto bad = find_invalid_utf8(s); bad != std::string_view::npos) {
        return fail(Errc::invalid,
                    "{}:{}: invalid UTF-8 at offset {} (only UTF-8 and ASCII are accepted)", name,
                    line_at(s, bad), bad);
    }
    OVFKIT_TRY(check_tags(s, name, limits));
    for (std::string_view needle : {std::string_view("<!DOCTYPE"), std::string_view("<!ENTITY")}) {
        if (auto pos = s.find(needle); pos != std::string_view::npos) {
            return fail(Errc::refused,
                        "{}:{}: {} is refused: no DTD or entity declarations allowed", name,
                        line_at(s, pos), needle);
        }
    }
    return {};
}

// ---- the SAX layer ---------------------------------------------------------------

struct ParseState {
    const Limits* limits = nullptr;
    const std::string* name = nullptr;
    DocumentImpl* impl = nullptr;
    uint32_t depth = 0;
    uint32_t elements = 0;
    std::optional<Error> refusal;  // first security refusal
    std::optional<Error> error;    // first libxml2 error
    std::optional<Error> ns_error; // first ambiguous namespace use (see on_structured_error)
    startElementNsSAX2Func start = nullptr;
    endElementNsSAX2Func end = nullptr;
};

thread_local ParseState* t_state = nullptr;

int current_line(xmlParserCtxtPtr ctxt) {
    return ctxt->input != nullptr ? ctxt->input->line : 0;
}

template <class... Args>
void refuse(xmlParserCtxtPtr ctxt, fmt::format_string<Args...> format, Args&&... args) {
    if (t_state != nullptr && !t_state->refusal) {
        t_state->refusal = Error{Errc::refused, fmt::format(format, std::forward<Args>(args)...)};
    }
    xmlStopParser(ctxt);
}

// The line of the '<' of the start tag just parsed: the current line minus
// the newlines between that '<' and the parser's position. Attribute values
// cannot contain '<', so the nearest one backwards opens the tag. Each byte
// belongs to one tag, so these scans are linear in the document overall.
int tag_start_line(xmlParserCtxtPtr ctxt, int line) {
    if (ctxt->input == nullptr || ctxt->input->cur == nullptr || ctxt->input->base == nullptr) {
        return line;
    }
    const xmlChar* p = ctxt->input->cur;
    const xmlChar* base = ctxt->input->base;
    int newlines = 0;
    while (p > base) {
        --p;
        if (*p == '<') {
            return line - newlines;
        }
        newlines += *p == '\n' ? 1 : 0;
    }
    return line;
}

void on_start(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
              int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
              const xmlChar** attributes) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    ParseState* st = t_state;
    if (st == nullptr || st->refusal) {
        xmlStopParser(ctxt);
        return;
    }
    const auto& lim = *st->limits;
    int line = current_line(ctxt);
    if (++st->elements > lim.max_elements) {
        refuse(ctxt, "{}:{}: more than {} elements", *st->name, line, lim.max_elements);
        return;
    }
    if (++st->depth > lim.max_depth) {
        refuse(ctxt, "{}:{}: elements nested deeper than {}", *st->name, line, lim.max_depth);
        return;
    }
    auto u = view(uri);
    if (u == k_xinclude_2001 || u == k_xinclude_2003) {
        refuse(ctxt, "{}:{}: XInclude element <{}> is refused", *st->name, line, view(localname));
        return;
    }
    for (int i = 0; i < nb_attributes; ++i) {
        const xmlChar* value = attributes[i * 5 + 3];
        const xmlChar* value_end = attributes[i * 5 + 4];
        auto len = static_cast<uint64_t>(value_end - value);
        if (len > lim.max_value) {
            refuse(ctxt, "{}:{}: attribute {} of <{}> is {} bytes, over the limit of {} bytes",
                   *st->name, line, view(attributes[i * 5]), view(localname), len, lim.max_value);
            return;
        }
    }
    st->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
              attributes);
    // libxml2 records the line where the start tag ends; report the line
    // where it begins, so multi-line tags point at their '<'.
    if (ctxt->node != nullptr) {
        int start_line = tag_start_line(ctxt, line);
        if (start_line >= 65535) {
            st->impl->big_lines[ctxt->node] = static_cast<uint32_t>(start_line);
            ctxt->node->line = 65535;
        } else {
            ctxt->node->line = static_cast<unsigned short>(start_line);
        }
    }
}

void on_end(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
    if (t_state != nullptr && t_state->depth > 0) {
        --t_state->depth;
    }
    if (t_state != nullptr) {
        t_state->end(ctx, localname, prefix, uri);
    }
}

void on_internal_subset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    refuse(ctxt, "{}:{}: document type declaration is refused", *t_state->name, current_line(ctxt));
}

void on_entity_decl(void* ctx, const xmlChar* name, int, const xmlChar*, const xmlChar*, xmlChar*) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    refuse(ctxt, "{}:{}: entity declaration {} is refused", *t_state->name, current_line(ctxt),
           view(name));
}

void on_unparsed_entity_decl(void* ctx, const xmlChar* name, const xmlChar*, const xmlChar*,
                             const xmlChar*) {
    on_entity_decl(ctx, name, 0, nullptr, nullptr, nullptr);
}

xmlParserInputPtr on_resolve_entity(void* ctx, const xmlChar*, const xmlChar* system_id) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    refuse(ctxt, "{}:{}: external entity {} is refused", *t_state->name, current_line(ctxt),
           view(system_id));
    return nullptr;
}

xmlEntityPtr on_get_parameter_entity(void* ctx, const xmlChar* name) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    refuse(ctxt, "{}:{}: parameter entity {} is refused", *t_state->name, current_line(ctxt),
           view(name));
    return nullptr;
}

void on_structured_error(void*, xmlErrorPtr err) {
    if (t_state == nullptr || err == nullptr || err->level < XML_ERR_ERROR) {
        return;
    }
    std::string msg = err->message != nullptr ? err->message : "unknown error";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
    }
    if (err->domain == XML_FROM_NAMESPACE) {
        // libxml2 keeps a document with these as well-formed and reads it
        // one way (an undeclared prefix as no namespace, the first of two
        // attributes given through two prefixes of one namespace); another
        // reader may read it the other way, so they fail the parse. Other
        // namespace complaints (a namespace name that is not a valid URI)
        // are tolerated: the OVF reader maps known misspellings. A name with
        // a second colon ("ovf:vmw:Config", whose local name libxml2 keeps
        // as "vmw:Config") or an empty prefix binding cannot be written back
        // as a QName either.
        if ((err->code == XML_NS_ERR_UNDEFINED_NAMESPACE ||
             err->code == XML_NS_ERR_ATTRIBUTE_REDEFINED || err->code == XML_NS_ERR_QNAME ||
             err->code == XML_NS_ERR_COLON || err->code == XML_NS_ERR_EMPTY) &&
            !t_state->ns_error) {
            t_state->ns_error =
                Error{Errc::invalid, fmt::format("{}:{}: XML namespaces are not well-formed: {}",
                                                 *t_state->name, err->line, msg)};
        }
        return;
    }
    if (!t_state->error) {
        t_state->error = Error{Errc::invalid, fmt::format("{}:{}: XML is not well-formed: {}",
                                                          *t_state->name, err->line, msg)};
    }
}

struct CtxtDeleter {
    void operator()(xmlParserCtxtPtr c) const { xmlFreeParserCtxt(c); }
};

// ---- post-parse walk -------------------------------------------------------------

Result<void> check_tree(const DocumentImpl& impl, const Limits& limits) {
    xmlDocPtr doc = impl.doc;
    if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
        return fail(Errc::refused, "{}: document has a DTD, which is refused", impl.name);
    }
    // Iterative pre-order walk over the whole tree.
    xmlNodePtr node = doc->children;
    while (node != nullptr) {
        if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE ||
            node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE) {
            size_t len = node->content != nullptr
                             ? std::strlen(reinterpret_cast<const char*>(node->content))
                             : 0;
            bool long_ok = node->parent != nullptr && node->parent->type == XML_ELEMENT_NODE &&
                           view(node->parent->name) == limits.long_text_element;
            uint64_t max = long_ok ? limits.max_eula : limits.max_value;
            if (len > max) {
                long line = xmlGetLineNo(node->parent != nullptr ? node->parent : node);
                return fail(Errc::refused, "{}:{}: text of <{}> is {} bytes, over the limit of {}",
                            impl.name, line,
                            node->parent != nullptr ? view(node->parent->name) : "", len, max);
            }
        } else if (node->type == XML_ENTITY_REF_NODE || node->type == XML_ENTITY_NODE ||
                   node->type == XML_DTD_NODE || node->type == XML_ENTITY_DECL) {
            return fail(Errc::refused, "{}:{}: entity reference is refused", impl.name,
                        xmlGetLineNo(node));
        }
        if (node->type == XML_ELEMENT_NODE && node->children != nullptr) {
            node = node->children;
            continue;
        }
        while (node != nullptr && node->next == nullptr) {
            node = node->parent;
            if (node != nullptr && node->type == XML_DOCUMENT_NODE) {
                node = nullptr;
            }
        }
        if (node != nullptr) {
            node = node->next;
        }
    }
    return {};
}

} // namespace

// ---- Document ----------------------------------------------------------------------

Document::Document() : m_impl(std::make_unique<DocumentImpl>()) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Result<Document> Document::parse(std::string_view text, std::string name, const Limits& limits) {
    return parse(std::as_bytes(std::span(text.data(), text.size())), std::move(name), limits);
}

Result<Document> Document::parse(std::span<const std::byte> bytes, std::string name,
                                 const Limits& limits) {
    std::string_view s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    OVFKIT_TRY(check_bytes(s, name, limits));
    if (s.size() > static_cast<size_t>(INT32_MAX)) {
        return fail(Errc::refused, "{}: document too large", name);
    }
    init_libxml2();

    Document out;
    out.m_impl->name = name;

    std::unique_ptr<xmlParserCtxt, CtxtDeleter> ctxt(xmlNewParserCtxt());
    if (!ctxt || ctxt->sax == nullptr) {
        return fail(Errc::io, "{}: out of memory creating the XML parser", name);
    }
    ParseState state;
    state.limits = &limits;
    state.name = &out.m_impl->name;
    state.impl = out.m_impl.get();
    xmlSAXHandler* sax = ctxt->sax;
    state.start = sax->startElementNs;
    state.end = sax->endElementNs;
    sax->startElementNs = on_start;
    sax->endElementNs = on_end;
    sax->internalSubset = on_internal_subset;
    sax->externalSubset = on_internal_subset;
    sax->entityDecl = on_entity_decl;
    sax->unparsedEntityDecl = on_unparsed_entity_decl;
    sax->resolveEntity = on_resolve_entity;
    sax->getParameterEntity = on_get_parameter_entity;
    sax->serror = on_structured_error;
    sax->warning = nullptr;
    sax->error = nullptr;
    sax->fatalError = nullptr;

    struct StateGuard {
        ParseState* prev;
        explicit StateGuard(ParseState* s) : prev(t_state) { t_state = s; }
        ~StateGuard() { t_state = prev; }
    } guard(&state);

    // No NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE, ever (R10).
    const int options =
        XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt.get(), s.data(), static_cast<int>(s.size()), nullptr,
                                      "UTF-8", options);
    if (state.refusal) {
        if (doc != nullptr) {
            xmlFreeDoc(doc);
        }
        return fail(*state.refusal);
    }
    if (doc == nullptr || !ctxt->wellFormed) {
        if (doc != nullptr) {
            xmlFreeDoc(doc);
        }
        if (state.error) {
            return fail(*state.error);
        }
        return fail(Errc::invalid, "{}: XML is not well-formed", name);
    }
    if (state.ns_error) {
        xmlFreeDoc(doc);
        return fail(*state.ns_error);
    }
    out.m_impl->doc = doc;
    if (xmlDocGetRootElement(doc) == nullptr) {
        return fail(Errc::invalid, "{}: document has no root element", name);
    }
    OVFKIT_TRY(check_tree(*out.m_impl, limits));
    return out;
}

Element Document::root() const {
    return Element(xmlDocGetRootElement(m_impl->doc), m_impl.get());
}

const std::string& Document::name() const {
    return m_impl->name;
}

std::string Document::where(uint32_t line) const {
    return fmt::format("{}:{}", m_impl->name, line);
}

_xmlDoc* Document::raw() const {
    return m_impl->doc;
}

std::optional<uint32_t> Document::declaration_line(std::string_view uri) const {
    const xmlNode* root = xmlDocGetRootElement(m_impl->doc);
    const xmlNode* node = root;
    while (node != nullptr) {
        if (node->type == XML_ELEMENT_NODE) {
            for (const xmlNs* ns = node->nsDef; ns != nullptr; ns = ns->next) {
                if (view(ns->href) == uri) {
                    return Element(node, m_impl.get()).line();
                }
            }
            if (node->children != nullptr) {
                node = node->children;
                continue;
            }
        }
        while (node != root && node->next == nullptr) {
            node = node->parent;
        }
        if (node == root) {
            break;
        }
        node = node->next;
    }
    return std::nullopt;
}

// ---- Element -------------------------------------------------------------------------

std::string_view Element::name() const {
    if (m_node == nullptr) {
        return std::string_view{};
    }
    return view(m_node->name);
}

std::string_view Element::ns() const {
    if (m_node == nullptr) {
        return std::string_view{};
    }
    return m_node->ns != nullptr ? view(m_node->ns->href) : std::string_view{};
}

std::string_view Element::prefix() const {
    if (m_node == nullptr) {
        return std::string_view{};
    }
    return m_node->ns != nullptr ? view(m_node->ns->prefix) : std::string_view{};
}

uint32_t Element::line() const {
    if (m_node == nullptr) {
        return 0;
    }
    if (m_node->line < 65535) {
        return m_node->line;
    }
    if (m_doc != nullptr) {
        if (auto it = m_doc->big_lines.find(m_node); it != m_doc->big_lines.end()) {
            return it->second;
        }
    }
    return static_cast<uint32_t>(xmlGetLineNo(m_node));
}

bool Element::is(std::string_view ns_uri, std::string_view local) const {
    return m_node != nullptr && name() == local && ns() == ns_uri;
}

namespace {

std::string attr_value(const xmlAttr* a) {
    std::string out;
    for (const xmlNode* c = a->children; c != nullptr; c = c->next) {
        if (c->type == XML_TEXT_NODE && c->content != nullptr) {
            out += reinterpret_cast<const char*>(c->content);
        }
    }
    return out;
}

} // namespace

std::optional<std::string> Element::attribute(std::string_view ns_uri,
                                              std::string_view local) const {
    if (m_node == nullptr) {
        return std::nullopt;
    }
    for (const xmlAttr* a = m_node->properties; a != nullptr; a = a->next) {
        auto a_ns = a->ns != nullptr ? view(a->ns->href) : std::string_view{};
        if (view(a->name) == local && a_ns == ns_uri) {
            return attr_value(a);
        }
    }
    return std::nullopt;
}

std::vector<Attribute> Element::attributes() const {
    if (m_node == nullptr) {
        return {};
    }
    std::vector<Attribute> out;
    for (const xmlAttr* a = m_node->properties; a != nullptr; a = a->next) {
        Attribute at;
        if (a->ns != nullptr) {
            at.ns = std::string(view(a->ns->href));
            at.prefix = std::string(view(a->ns->prefix));
        }
        at.name = std::string(view(a->name));
        at.value = attr_value(a);
        out.push_back(std::move(at));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Element::namespace_declarations() const {
    if (m_node == nullptr) {
        return {};
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (const xmlNs* ns = m_node->nsDef; ns != nullptr; ns = ns->next) {
        out.emplace_back(std::string(view(ns->prefix)), std::string(view(ns->href)));
    }
    return out;
}

std::string Element::text() const {
    if (m_node == nullptr) {
        return {};
    }
    std::string out;
    for (const xmlNode* c = m_node->children; c != nullptr; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content != nullptr) {
            out += reinterpret_cast<const char*>(c->content);
        }
    }
    return out;
}

bool Element::has_element_children() const {
    if (m_node == nullptr) {
        return false;
    }
    for (const xmlNode* c = m_node->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            return true;
        }
    }
    return false;
}

std::vector<Element> Element::children() const {
    if (m_node == nullptr) {
        return {};
    }
    std::vector<Element> out;
    for (const xmlNode* c = m_node->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            out.push_back(Element(c, m_doc));
        }
    }
    return out;
}

std::vector<Element> Element::children(std::string_view ns_uri, std::string_view local) const {
    if (m_node == nullptr) {
        return {};
    }
    std::vector<Element> out;
    for (const xmlNode* c = m_node->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            Element e(c, m_doc);
            if (e.is(ns_uri, local)) {
                out.push_back(e);
            }
        }
    }
    return out;
}

Element Element::first_child(std::string_view ns_uri, std::string_view local) const {
    if (m_node == nullptr) {
        return {};
    }
    for (const xmlNode* c = m_node->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            Element e(c, m_doc);
            if (e.is(ns_uri, local)) {
                return e;
            }
        }
    }
    return {};
}

Element Element::parent() const {
    if (m_node == nullptr) {
        return {};
    }
    if (m_node->parent == nullptr || m_node->parent->type != XML_ELEMENT_NODE) {
        return {};
    }
    return Element(m_node->parent, m_doc);
}

std::optional<std::string> Element::lookup_namespace(std::string_view prefix) const {
    if (m_node == nullptr) {
        return std::nullopt;
    }
    std::string p(prefix);
    xmlNsPtr ns = xmlSearchNs(m_node->doc, const_cast<xmlNodePtr>(m_node),
                              p.empty() ? nullptr : xc(p.c_str()));
    if (ns == nullptr || ns->href == nullptr) {
        return std::nullopt;
    }
    return std::string(view(ns->href));
}

namespace {

void set_href(xmlNsPtr ns, const NamespaceRenames& renames) {
    for (const auto& [from, to] : renames) {
        if (view(ns->href) == from) {
            xmlFree(const_cast<xmlChar*>(ns->href));
            ns->href = xmlStrdup(xc(to.c_str()));
            return;
        }
    }
}

// Applies renames to every namespace declaration in a subtree.
void rename_namespaces(xmlNodePtr root, const NamespaceRenames& renames) {
    if (renames.empty()) {
        return;
    }
    xmlNodePtr node = root;
    while (node != nullptr) {
        if (node->type == XML_ELEMENT_NODE) {
            for (xmlNsPtr ns = node->nsDef; ns != nullptr; ns = ns->next) {
                set_href(ns, renames);
            }
            if (node->children != nullptr) {
                node = node->children;
                continue;
            }
        }
        while (node != nullptr && node != root && node->next == nullptr) {
            node = node->parent;
        }
        if (node == nullptr || node == root) {
            break;
        }
        node = node->next;
    }
}

bool blank(const xmlChar* s) {
    if (s == nullptr) {
        return true;
    }
    for (; *s != 0; ++s) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            return false;
        }
    }
    return true;
}

// Removes whitespace-only text nodes from elements that have element
// children (indentation), so a fragment's text does not depend on how the
// document around it was indented.
void strip_indentation(xmlNodePtr root) {
    std::vector<xmlNodePtr> stack{root};
    while (!stack.empty()) {
        xmlNodePtr node = stack.back();
        stack.pop_back();
        bool has_elements = false;
        for (xmlNodePtr c = node->children; c != nullptr; c = c->next) {
            has_elements = has_elements || c->type == XML_ELEMENT_NODE;
        }
        for (xmlNodePtr c = node->children; c != nullptr;) {
            xmlNodePtr next = c->next;
            if (has_elements && c->type == XML_TEXT_NODE && blank(c->content)) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            } else if (c->type == XML_ELEMENT_NODE) {
                stack.push_back(c);
            }
            c = next;
        }
    }
}

// Sorts the namespace declarations of a node by prefix (default first).
void sort_ns_defs(xmlNodePtr node) {
    std::vector<xmlNsPtr> defs;
    for (xmlNsPtr ns = node->nsDef; ns != nullptr; ns = ns->next) {
        defs.push_back(ns);
    }
    std::stable_sort(defs.begin(), defs.end(),
                     [](xmlNsPtr a, xmlNsPtr b) { return view(a->prefix) < view(b->prefix); });
    node->nsDef = nullptr;
    xmlNsPtr* tail = &node->nsDef;
    for (xmlNsPtr ns : defs) {
        ns->next = nullptr;
        *tail = ns;
        tail = &ns->next;
    }
}

struct DocDeleter {
    void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
};
struct BufDeleter {
    void operator()(xmlBufferPtr b) const { xmlBufferFree(b); }
};

std::string dump(xmlDocPtr doc, xmlNodePtr node) {
    std::unique_ptr<xmlBuffer, BufDeleter> buf(xmlBufferCreate());
    xmlNodeDump(buf.get(), doc, node, 0, 0);
    return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                       static_cast<size_t>(xmlBufferLength(buf.get())));
}

// Drops a declaration on `node` when the same prefix is already bound to the
// same URI by an ancestor, re-pointing every user to the ancestor's binding.
void drop_redundant_ns(xmlDocPtr doc, xmlNodePtr node) {
    if (node->parent == nullptr || node->parent->type != XML_ELEMENT_NODE) {
        return;
    }
    xmlNsPtr* link = &node->nsDef;
    while (*link != nullptr) {
        xmlNsPtr ns = *link;
        xmlNsPtr outer = xmlSearchNs(doc, node->parent, ns->prefix);
        if (outer != nullptr && xmlStrEqual(outer->href, ns->href)) {
            // Re-point elements and attributes of the subtree that use `ns`.
            std::vector<xmlNodePtr> stack{node};
            while (!stack.empty()) {
                xmlNodePtr n = stack.back();
                stack.pop_back();
                if (n->ns == ns) {
                    n->ns = outer;
                }
                for (xmlAttrPtr a = n->properties; a != nullptr; a = a->next) {
                    if (a->ns == ns) {
                        a->ns = outer;
                    }
                }
                for (xmlNodePtr c = n->children; c != nullptr; c = c->next) {
                    if (c->type == XML_ELEMENT_NODE) {
                        stack.push_back(c);
                    }
                }
            }
            *link = ns->next;
            ns->next = nullptr;
            xmlFreeNs(ns);
        } else {
            link = &ns->next;
        }
    }
}

} // namespace

namespace {

// Puts every element of the subtree that is in no namespace into `uri`,
// declared on `root` under "ovf" or the first "ovfN" no element of the
// subtree declares (so no inner declaration can shadow it).
void qualify(xmlNodePtr root, std::string_view uri) {
    std::vector<xmlNodePtr> unqualified;
    std::set<std::string, std::less<>> prefixes;
    std::vector<xmlNodePtr> stack{root};
    while (!stack.empty()) {
        xmlNodePtr n = stack.back();
        stack.pop_back();
        if (n->ns == nullptr) {
            unqualified.push_back(n);
        }
        for (xmlNsPtr d = n->nsDef; d != nullptr; d = d->next) {
            prefixes.insert(std::string(view(d->prefix)));
        }
        for (xmlNodePtr c = n->children; c != nullptr; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                stack.push_back(c);
            }
        }
    }
    if (unqualified.empty()) {
        return;
    }
    std::string prefix = "ovf";
    for (int i = 1; prefixes.contains(prefix); ++i) {
        prefix = "ovf" + std::to_string(i);
    }
    std::string u(uri);
    xmlNsPtr ns = xmlNewNs(root, xc(u.c_str()), xc(prefix.c_str()));
    for (xmlNodePtr n : unqualified) {
        xmlSetNs(n, ns);
    }
}

// See SerializeOptions::unprefixed. Whether a declaration was replaced.
bool prefix_default(xmlNodePtr root, std::string_view uri) {
    std::set<std::string, std::less<>> prefixes;
    std::vector<xmlNodePtr> nodes;
    std::vector<xmlNodePtr> stack{root};
    bool found = false;
    while (!stack.empty()) {
        xmlNodePtr n = stack.back();
        stack.pop_back();
        nodes.push_back(n);
        for (xmlNsPtr d = n->nsDef; d != nullptr; d = d->next) {
            prefixes.insert(std::string(view(d->prefix)));
            found = found || (d->prefix == nullptr && view(d->href) == uri);
        }
        for (xmlNodePtr c = n->children; c != nullptr; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                stack.push_back(c);
            }
        }
    }
    if (!found) {
        return false;
    }
    // A prefix the copy's root already binds to the URI (an attribute in it
    // brought one), else a new one.
    xmlNsPtr ns = nullptr;
    for (xmlNsPtr d = root->nsDef; d != nullptr && ns == nullptr; d = d->next) {
        if (d->prefix != nullptr && view(d->href) == uri) {
            ns = d;
        }
    }
    if (ns == nullptr) {
        std::string prefix = "ovf";
        for (int i = 1; prefixes.contains(prefix); ++i) {
            prefix = "ovf" + std::to_string(i);
        }
        std::string u(uri);
        ns = xmlNewNs(root, xc(u.c_str()), xc(prefix.c_str()));
    }
    std::vector<xmlNsPtr> dropped;
    for (xmlNodePtr n : nodes) {
        xmlNsPtr* link = &n->nsDef;
        while (*link != nullptr) {
            xmlNsPtr d = *link;
            if (d->prefix == nullptr && view(d->href) == uri) {
                *link = d->next;
                d->next = nullptr;
                dropped.push_back(d);
            } else {
                link = &d->next;
            }
        }
    }
    for (xmlNodePtr n : nodes) {
        if (n->ns != nullptr && std::find(dropped.begin(), dropped.end(), n->ns) != dropped.end()) {
            n->ns = ns;
        }
    }
    for (xmlNsPtr d : dropped) {
        xmlFreeNs(d);
    }
    return true;
}

// Drops from each element of the subtree the attributes `shadowed` says
// another of the element's attributes stands for.
uint32_t drop_shadowed(xmlNodePtr root, const NamespaceRenames& shadowed) {
    uint32_t dropped = 0;
    std::vector<xmlNodePtr> stack{root};
    while (!stack.empty()) {
        xmlNodePtr n = stack.back();
        stack.pop_back();
        xmlAttrPtr a = n->properties;
        while (a != nullptr) {
            xmlAttrPtr next = a->next;
            bool drop = false;
            for (const auto& [from, into] : shadowed) {
                if (a->ns == nullptr || view(a->ns->href) != from) {
                    continue;
                }
                std::string into_uri(into);
                drop = xmlHasNsProp(n, a->name, xc(into_uri.c_str())) != nullptr;
                break;
            }
            if (drop) {
                xmlRemoveProp(a);
                ++dropped;
            }
            a = next;
        }
        for (xmlNodePtr c = n->children; c != nullptr; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                stack.push_back(c);
            }
        }
    }
    return dropped;
}

} // namespace

std::string Element::serialize(const SerializeOptions& options) const {
    const NamespaceRenames& renames = options.renames;
    std::string_view no_namespace = options.no_namespace;
    std::unique_ptr<xmlDoc, DocDeleter> tmp(xmlNewDoc(xc("1.0")));
    xmlNodePtr copy = xmlDocCopyNode(const_cast<xmlNodePtr>(m_node), tmp.get(), 1);
    if (copy == nullptr) {
        return {};
    }
    xmlDocSetRootElement(tmp.get(), copy);
    // Declarations on the original that repeat a binding of its parent carry
    // no information; dropping unused ones keeps the text independent of
    // where the element sat.
    xmlNsPtr* link = &copy->nsDef;
    while (*link != nullptr) {
        xmlNsPtr ns = *link;
        bool used = false;
        std::vector<xmlNodePtr> stack{copy};
        while (!stack.empty() && !used) {
            xmlNodePtr n = stack.back();
            stack.pop_back();
            used = n->ns == ns;
            for (xmlAttrPtr a = n->properties; a != nullptr && !used; a = a->next) {
                used = a->ns == ns;
            }
            for (xmlNodePtr c = n->children; c != nullptr; c = c->next) {
                if (c->type == XML_ELEMENT_NODE) {
                    stack.push_back(c);
                }
            }
        }
        xmlNsPtr outer = m_node->parent != nullptr && m_node->parent->type == XML_ELEMENT_NODE
                             ? xmlSearchNs(m_node->doc, m_node->parent, ns->prefix)
                             : nullptr;
        if (!used && outer != nullptr && xmlStrEqual(outer->href, ns->href)) {
            *link = ns->next;
            ns->next = nullptr;
            xmlFreeNs(ns);
        } else {
            link = &ns->next;
        }
    }
    strip_indentation(copy);
    if (!options.shadowed.empty()) {
        uint32_t dropped = drop_shadowed(copy, options.shadowed);
        if (options.dropped != nullptr) {
            *options.dropped += dropped;
        }
    }
    if (!no_namespace.empty()) {
        qualify(copy, no_namespace);
    }
    rename_namespaces(copy, renames);
    if (!options.unprefixed.empty()) {
        prefix_default(copy, options.unprefixed);
    }
    sort_ns_defs(copy);
    return dump(tmp.get(), copy);
}

void allow_entity_directory(std::string directory) {
    while (directory.size() > 1 && directory.back() == '/') {
        directory.pop_back();
    }
    std::lock_guard lock(g_allow_mutex);
    g_allowed_dirs.push_back(std::move(directory));
}

void set_resource_lookup(ResourceLookup lookup) {
    g_resource_lookup.store(lookup);
}

Result<void> append_fragment(_xmlNode* parent, std::string_view fragment, std::string_view name,
                             const NamespaceRenames& renames) {
    OVFKIT_TRY_ASSIGN(auto doc, Document::parse(fragment, std::string(name)));
    xmlNodePtr src = xmlDocGetRootElement(doc.raw());
    xmlNodePtr copy = xmlDocCopyNode(src, parent->doc, 1);
    if (copy == nullptr) {
        return fail(Errc::io, "{}: out of memory copying an XML fragment", name);
    }
    rename_namespaces(copy, renames);
    if (xmlAddChild(parent, copy) == nullptr) {
        xmlFreeNode(copy);
        return fail(Errc::io, "{}: cannot insert an XML fragment", name);
    }
    drop_redundant_ns(parent->doc, copy);
    return {};
}

namespace {

// Inserts `copy` (already owned by the target document) in place of
// `placeholder`, then tidies its namespace declarations.
void put_in_place(xmlNodePtr placeholder, xmlNodePtr copy, const NamespaceRenames& renames,
                  std::string_view unprefixed) {
    rename_namespaces(copy, renames);
    // Declarations in the order the reader's copy has them.
    if (!unprefixed.empty() && prefix_default(copy, unprefixed)) {
        sort_ns_defs(copy);
    }
    xmlReplaceNode(placeholder, copy);
    xmlFreeNode(placeholder);
    drop_redundant_ns(copy->doc, copy);
}

} // namespace

Result<void> replace_with_fragments(const std::vector<FragmentSlot>& slots,
                                    const NamespaceRenames& renames, std::string_view unprefixed) {
    if (slots.empty()) {
        return {};
    }
    std::string wrapper = "<w>";
    for (const auto& slot : slots) {
        wrapper += slot.xml;
    }
    wrapper += "</w>";
    // The fragments were checked when they were read; the batch only needs
    // room for all of them together and one more level of nesting.
    Limits limits;
    limits.max_bytes = std::max<uint64_t>(limits.max_bytes, wrapper.size());
    limits.max_depth += 1;
    limits.max_elements = UINT32_MAX;
    limits.max_total_attributes = UINT32_MAX;
    limits.max_namespace_declarations = UINT32_MAX;
    limits.max_attributes = 1024;
    auto doc = Document::parse(std::string_view(wrapper), "verbatim XML", limits);
    std::vector<xmlNodePtr> roots;
    if (doc) {
        for (xmlNodePtr c = xmlDocGetRootElement(doc->raw())->children; c != nullptr; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                roots.push_back(c);
            } else if (c->type == XML_TEXT_NODE) {
                roots.clear(); // text outside an element: not a clean batch
                break;
            }
        }
    }
    if (!doc || roots.size() != slots.size()) {
        for (const auto& slot : slots) {
            OVFKIT_TRY_ASSIGN(auto one, Document::parse(slot.xml, slot.name));
            xmlNodePtr copy =
                xmlDocCopyNode(xmlDocGetRootElement(one.raw()), slot.placeholder->doc, 1);
            if (copy == nullptr) {
                return fail(Errc::io, "{}: out of memory copying an XML fragment", slot.name);
            }
            put_in_place(slot.placeholder, copy, renames, unprefixed);
        }
        return {};
    }
    for (size_t i = 0; i < slots.size(); ++i) {
        xmlNodePtr copy = xmlDocCopyNode(roots[i], slots[i].placeholder->doc, 1);
        if (copy == nullptr) {
            return fail(Errc::io, "{}: out of memory copying an XML fragment", slots[i].name);
        }
        put_in_place(slots[i].placeholder, copy, renames, unprefixed);
    }
    return {};
}

} // namespace ovfkit::xml
