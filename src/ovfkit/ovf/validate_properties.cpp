// Semantic validation: ProductSection properties.
//
// DSP0243 (ProductSection, "Property elements") and the CIM qualifier
// grammar: ovf:type is one of uint8..uint64, sint8..sint64, boolean,
// string, real32, real64; ovf:qualifiers is a list of MinLen(n), MaxLen(n),
// MinValue(n), MaxValue(n) and ValueMap{v, ...} (quoted strings for string
// properties, numbers or ranges "a..b" for numeric ones). Producers separate
// qualifiers with commas or, in one VMware test file, spaces; VMware adds
// its own IP-pool qualifiers (Ip, Ip('Network 1'), Netmask, Gateway, Dns,
// DomainName, SearchPath, HostPrefix, HttpProxy, VimIp), known and accepted.
//
// Each default (ovf:value, and every <Value> for a configuration) must be
// of the property's type and satisfy its qualifiers. An empty default of a
// user-configurable property is not a finding: the deployer supplies the
// value (VMware appliances leave passwords empty with MinLen(8)).
// Messages never quote the value of a password property.
//
// Keys: the full name "[class.]key[.instance]" is what the OVF environment
// and vSphere use, so two properties with the same full name in one
// virtual system collide.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate_internal.hpp>

namespace ovfkit::ovf::detail {

namespace {

enum class Type { uint, sint, boolean, string, real, unknown };

struct TypeInfo {
    Type type = Type::unknown;
    uint32_t bits = 0;
};

TypeInfo type_info(std::string_view t) {
    struct Entry {
        std::string_view name;
        TypeInfo info;
    };
    static constexpr Entry k_types[] = {
        {"uint8", {Type::uint, 8}},      {"uint16", {Type::uint, 16}},
        {"uint32", {Type::uint, 32}},    {"uint64", {Type::uint, 64}},
        {"sint8", {Type::sint, 8}},      {"sint16", {Type::sint, 16}},
        {"sint32", {Type::sint, 32}},    {"sint64", {Type::sint, 64}},
        {"boolean", {Type::boolean, 0}}, {"string", {Type::string, 0}},
        {"real32", {Type::real, 32}},    {"real64", {Type::real, 64}},
    };
    for (const auto& e : k_types) {
        if (e.name == t) {
            return e.info;
        }
    }
    return {};
}

// A number of a numeric property type, as a double for range comparisons
// (exact enough: qualifier bounds are small) plus an exactness flag.
std::optional<double> parse_number(std::string_view text, TypeInfo info) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (info.type == Type::uint) {
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || p != text.data() + text.size()) {
            return std::nullopt;
        }
        if (info.bits < 64 && v >= (uint64_t{1} << info.bits)) {
            return std::nullopt;
        }
        return static_cast<double>(v);
    }
    if (info.type == Type::sint) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || p != text.data() + text.size()) {
            return std::nullopt;
        }
        if (info.bits < 64) {
            int64_t lim = int64_t{1} << (info.bits - 1);
            if (v < -lim || v >= lim) {
                return std::nullopt;
            }
        }
        return static_cast<double>(v);
    }
    if (info.type == Type::real) {
        // strtod needs a terminated string; the text is short.
        std::string s(text);
        if (s.find_first_not_of("0123456789+-.eE") != std::string::npos) {
            return std::nullopt; // no "inf", "nan", hex floats or spaces
        }
        char* end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (end != s.c_str() + s.size() || !std::isfinite(v)) {
            return std::nullopt;
        }
        if (info.bits == 32 && std::fabs(v) > 3.4028234663852886e38) {
            return std::nullopt;
        }
        return v;
    }
    return std::nullopt;
}

std::string range_text(TypeInfo info) {
    if (info.type == Type::uint) {
        return info.bits == 64 ? "0 to 2^64-1"
                               : fmt::format("0 to {}", (uint64_t{1} << info.bits) - 1);
    }
    if (info.type == Type::sint) {
        return fmt::format("-2^{} to 2^{}-1", info.bits - 1, info.bits - 1);
    }
    return info.bits == 32 ? "a finite 32-bit float" : "a finite 64-bit float";
}

struct Qualifier {
    std::string name;
    std::string args; // inside (...) or {...}
    bool braces = false;
};

// Splits "MinLen(1),MaxLen(63)" or "MinValue(10) MaxValue(1000)" at top-level
// commas and spaces, respecting quotes, parentheses and braces. Returns
// nullopt when brackets or quotes do not close.
std::optional<std::vector<Qualifier>> parse_qualifiers(std::string_view text) {
    std::vector<Qualifier> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        if (i >= text.size()) {
            break;
        }
        Qualifier q;
        while (i < text.size() && text[i] != '(' && text[i] != '{' && text[i] != ',' &&
               text[i] != ' ' && text[i] != '\t') {
            q.name += text[i++];
        }
        if (i < text.size() && (text[i] == '(' || text[i] == '{')) {
            char close = text[i] == '(' ? ')' : '}';
            q.braces = text[i] == '{';
            ++i;
            char quote_char = 0;
            bool closed = false;
            while (i < text.size()) {
                char c = text[i++];
                if (quote_char != 0) {
                    if (c == '\\' && i < text.size()) {
                        q.args += c;
                        c = text[i++]; // an escaped character, kept as written
                    } else if (c == quote_char) {
                        quote_char = 0;
                    }
                } else if (c == '"' || c == '\'') {
                    quote_char = c;
                } else if (c == close) {
                    closed = true;
                    break;
                }
                q.args += c;
            }
            if (!closed) {
                return std::nullopt;
            }
        }
        if (q.name.empty()) {
            return std::nullopt;
        }
        out.push_back(std::move(q));
    }
    return out;
}

// ValueMap entries: "a","b" or 0,2 or 1..10.
std::vector<std::string> split_value_map(std::string_view args) {
    std::vector<std::string> out;
    std::string cur;
    char quote_char = 0;
    bool quoted = false;
    bool escaped = false;
    for (char c : args) {
        if (quote_char != 0) {
            if (escaped) {
                cur += c;
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == quote_char) {
                quote_char = 0;
            } else {
                cur += c;
            }
        } else if (c == '"' || c == '\'') {
            quote_char = c;
            quoted = true;
        } else if (c == ',') {
            out.push_back(quoted ? cur : std::string(trim(cur)));
            cur.clear();
            quoted = false;
        } else {
            cur += c;
        }
    }
    if (!cur.empty() || quoted || !out.empty()) {
        out.push_back(quoted ? cur : std::string(trim(cur)));
    }
    return out;
}

bool is_vmware_qualifier(std::string_view name) {
    for (std::string_view k : {"Ip", "Netmask", "Gateway", "Dns", "DomainName", "SearchPath",
                               "HostPrefix", "HttpProxy", "VimIp", "Password"}) {
        if (name == k) {
            return true;
        }
    }
    return false;
}

// Length in characters (UTF-8 code points), what MinLen/MaxLen count.
uint64_t char_length(std::string_view s) {
    uint64_t n = 0;
    for (char c : s) {
        n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    }
    return n;
}

class PropertyChecker {
public:
    PropertyChecker(Context& ctx, const ProductSection& section, const Property& p)
        : m_ctx(ctx), m_section(section), m_p(p) {}

    void run() {
        uint32_t line = m_p.line.number;
        if (m_p.key.empty()) {
            m_ctx.error("OVF-ATTR-001", line,
                        "<Property> has no ovf:key; the key is how the guest finds the value");
        }
        if (m_p.type.empty()) {
            m_ctx.error("OVF-ATTR-001", line,
                        fmt::format("<Property> {} has no ovf:type; write one of uint8..uint64, "
                                    "sint8..sint64, boolean, string, real32, real64",
                                    quote(m_p.key)));
            return;
        }
        m_info = type_info(m_p.type);
        if (m_info.type == Type::unknown) {
            m_ctx.error("OVF-PROP-001", line,
                        fmt::format("<Property> {} ovf:type {} is not an OVF property type "
                                    "(uint8..uint64, sint8..sint64, boolean, string, real32, "
                                    "real64)",
                                    quote(m_p.key), quote(m_p.type)));
            return;
        }
        if (!read_qualifiers()) {
            return;
        }
        check_configuration(m_p.configuration, line);
        check_value(m_p.value.value_or(""), line, "ovf:value");
        for (const auto& v : m_p.values) {
            check_configuration(v.configuration, v.line.number);
            check_value(v.value, v.line.number,
                        v.configuration
                            ? fmt::format("<Value> for configuration {}", quote(*v.configuration))
                            : std::string("<Value>"));
        }
    }

private:
    Context& m_ctx;
    const ProductSection& m_section;
    const Property& m_p;
    TypeInfo m_info;
    std::optional<uint64_t> m_min_len, m_max_len;
    std::optional<double> m_min_value, m_max_value;
    std::optional<std::vector<std::string>> m_value_map;

    std::string name() const { return quote(m_section.qualified_key(m_p)); }

    bool read_qualifiers() {
        if (!m_p.qualifiers || trim(*m_p.qualifiers).empty()) {
            return true;
        }
        uint32_t line = m_p.line.number;
        auto qs = parse_qualifiers(*m_p.qualifiers);
        if (!qs) {
            m_ctx.error("OVF-PROP-004", line,
                        fmt::format("<Property> {} ovf:qualifiers {} has an unclosed bracket or "
                                    "quote",
                                    name(), quote(*m_p.qualifiers)));
            return false;
        }
        bool numeric =
            m_info.type == Type::uint || m_info.type == Type::sint || m_info.type == Type::real;
        for (const auto& q : *qs) {
            if (q.name == "MinLen" || q.name == "MaxLen") {
                auto n = parse_u64(trim(q.args), q.name);
                if (!n) {
                    bad_qualifier(q, "needs a length");
                    return false;
                }
                if (m_info.type != Type::string) {
                    bad_qualifier(q, "applies to string properties only");
                    continue;
                }
                (q.name == "MinLen" ? m_min_len : m_max_len) = *n;
            } else if (q.name == "MinValue" || q.name == "MaxValue") {
                if (!numeric) {
                    bad_qualifier(q, "applies to numeric properties only");
                    continue;
                }
                auto v = parse_number(trim(q.args), TypeInfo{Type::real, 64});
                if (!v) {
                    bad_qualifier(q, "needs a number");
                    return false;
                }
                (q.name == "MinValue" ? m_min_value : m_max_value) = *v;
            } else if (q.name == "ValueMap") {
                if (!q.braces) {
                    bad_qualifier(q, "lists its values in braces: ValueMap{\"a\",\"b\"}");
                    return false;
                }
                m_value_map = split_value_map(q.args);
            } else if (!is_vmware_qualifier(q.name)) {
                m_ctx.warning("OVF-PROP-005", line,
                              fmt::format("<Property> {} qualifier {} is not one ovfkit knows "
                                          "(MinLen, MaxLen, MinValue, MaxValue, ValueMap and "
                                          "VMware's Ip, Netmask, ...); it is not enforced",
                                          name(), quote(q.name)));
            }
        }
        if (m_min_len && m_max_len && *m_min_len > *m_max_len) {
            m_ctx.error("OVF-PROP-004", line,
                        fmt::format("<Property> {} has MinLen({}) above MaxLen({}): no value "
                                    "can satisfy both",
                                    name(), *m_min_len, *m_max_len));
            return false;
        }
        if (m_min_value && m_max_value && *m_min_value > *m_max_value) {
            m_ctx.error("OVF-PROP-004", line,
                        fmt::format("<Property> {} has MinValue above MaxValue: no value can "
                                    "satisfy both",
                                    name()));
            return false;
        }
        return true;
    }

    void bad_qualifier(const Qualifier& q, std::string_view why) {
        m_ctx.error("OVF-PROP-004", m_p.line.number,
                    fmt::format("<Property> {} qualifier {}{}{}{} {}", name(), q.name,
                                q.braces ? "{" : "(", q.args, q.braces ? "}" : ")", why));
    }

    void check_configuration(const std::optional<std::string>& configuration, uint32_t line) {
        if (!configuration) {
            return;
        }
        for (auto id : split_spaces(*configuration)) {
            if (!m_ctx.configurations.contains(id)) {
                m_ctx.error("OVF-REF-007", line,
                            fmt::format("<Property> {} ovf:configuration names {}, which no "
                                        "<DeploymentOptionSection> <Configuration> defines",
                                        name(), quote(id)));
            }
        }
    }

    // The value as a message may show it.
    std::string shown(std::string_view value) const {
        return m_p.password == true ? std::string("(a password, not shown)") : quote(value);
    }

    void check_value(std::string_view value, uint32_t line, const std::string& where) {
        if (value.empty() && m_p.user_configurable == true) {
            return; // the deployer must supply it
        }
        if (m_info.type != Type::string && is_placeholder(value)) {
            m_ctx.warning("OVF-NUM-002", line,
                          fmt::format("<Property> {} {} is the placeholder {}; fill it in before "
                                      "deployment",
                                      name(), where, shown(value)));
            return;
        }
        switch (m_info.type) {
        case Type::boolean:
            if (value == "true" || value == "false") {
                return;
            }
            if (value == "True" || value == "False" || value == "TRUE" || value == "FALSE") {
                m_ctx.warning("OVF-PROP-007", line,
                              fmt::format("<Property> {} {} is {}; booleans are \"true\" or "
                                          "\"false\" (VMware also reads other cases)",
                                          name(), where, shown(value)));
                return;
            }
            type_error(value, line, where, "\"true\" or \"false\"");
            return;
        case Type::uint:
        case Type::sint:
        case Type::real: {
            auto v = parse_number(value, m_info);
            if (!v) {
                type_error(value, line, where, range_text(m_info));
                return;
            }
            if ((m_min_value && *v < *m_min_value) || (m_max_value && *v > *m_max_value)) {
                qualifier_error(value, line, where,
                                fmt::format("the range MinValue/MaxValue {}..{}",
                                            m_min_value ? fmt::format("{}", *m_min_value) : "",
                                            m_max_value ? fmt::format("{}", *m_max_value) : ""));
                return;
            }
            if (m_value_map && !in_numeric_map(*v)) {
                qualifier_error(value, line, where, "its ValueMap");
            }
            return;
        }
        case Type::string: {
            uint64_t len = char_length(value);
            if ((m_min_len && len < *m_min_len) || (m_max_len && len > *m_max_len)) {
                qualifier_error(value, line, where,
                                fmt::format("length {}: MinLen {} MaxLen {}", len,
                                            m_min_len ? std::to_string(*m_min_len) : "-",
                                            m_max_len ? std::to_string(*m_max_len) : "-"));
                return;
            }
            if (m_value_map && (!value.empty() || m_p.user_configurable != true) &&
                std::find(m_value_map->begin(), m_value_map->end(), value) == m_value_map->end()) {
                qualifier_error(value, line, where, "its ValueMap");
            }
            return;
        }
        case Type::unknown:
            return;
        }
    }

    bool in_numeric_map(double v) const {
        for (const auto& entry : *m_value_map) {
            if (auto dots = entry.find(".."); dots != std::string::npos) {
                auto lo = parse_number(trim(std::string_view(entry).substr(0, dots)),
                                       TypeInfo{Type::real, 64});
                auto hi = parse_number(trim(std::string_view(entry).substr(dots + 2)),
                                       TypeInfo{Type::real, 64});
                if ((!lo || v >= *lo) && (!hi || v <= *hi)) {
                    return true;
                }
            } else if (auto n = parse_number(entry, TypeInfo{Type::real, 64}); n && *n == v) {
                return true;
            }
        }
        return false;
    }

    void type_error(std::string_view value, uint32_t line, const std::string& where,
                    std::string_view expected) {
        m_ctx.error("OVF-PROP-002", line,
                    fmt::format("<Property> {} {} {} is not a valid {} ({} expected)", name(),
                                where, shown(value), m_p.type, expected));
    }

    void qualifier_error(std::string_view value, uint32_t line, const std::string& where,
                         std::string_view rule) {
        m_ctx.error("OVF-PROP-003", line,
                    fmt::format("<Property> {} {} {} does not satisfy {}{}", name(), where,
                                shown(value), rule,
                                m_p.user_configurable == true
                                    ? "; fix the default (the deployer may change it)"
                                    : "; the property is not user-configurable, so no "
                                      "deployment can fix it"));
    }
};

} // namespace

void check_properties(Context& ctx) {
    for (const auto& ref : ctx.all_contents) {
        std::map<std::string, const Property*, std::less<>> keys;
        for (const auto* ps : ref.content->find_all<ProductSection>()) {
            for (const auto& p : ps->properties) {
                PropertyChecker(ctx, *ps, p).run();
                if (p.key.empty()) {
                    continue;
                }
                auto full = ps->qualified_key(p);
                auto [it, fresh] = keys.emplace(full, &p);
                if (!fresh) {
                    ctx.error("OVF-PROP-006", p.line.number,
                              fmt::format("<Property> {} is defined again (first on line {}); "
                                          "consumers keep one or drop both, so give each "
                                          "property of a virtual system its own key",
                                          quote(full), it->second->line.number));
                }
            }
        }
    }
}

} // namespace ovfkit::ovf::detail
