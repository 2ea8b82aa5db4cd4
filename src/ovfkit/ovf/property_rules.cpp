#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <arpa/inet.h>
#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/property_rules.hpp>
#include <ovfkit/ovf/units.hpp>

namespace ovfkit::ovf {

PropertyType property_type(std::string_view t) {
    struct Entry {
        std::string_view name;
        PropertyType info;
    };
    static constexpr Entry k_types[] = {
        {"uint8", {PropertyKind::uint, 8}},      {"uint16", {PropertyKind::uint, 16}},
        {"uint32", {PropertyKind::uint, 32}},    {"uint64", {PropertyKind::uint, 64}},
        {"sint8", {PropertyKind::sint, 8}},      {"sint16", {PropertyKind::sint, 16}},
        {"sint32", {PropertyKind::sint, 32}},    {"sint64", {PropertyKind::sint, 64}},
        {"boolean", {PropertyKind::boolean, 0}}, {"string", {PropertyKind::string, 0}},
        {"real32", {PropertyKind::real, 32}},    {"real64", {PropertyKind::real, 64}},
    };
    for (const auto& e : k_types) {
        if (e.name == t) {
            return e.info;
        }
    }
    return {};
}

std::optional<double> parse_property_number(std::string_view text, PropertyType info) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (info.kind == PropertyKind::uint) {
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
    if (info.kind == PropertyKind::sint) {
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
    if (info.kind == PropertyKind::real) {
        // strtod needs a terminated string; the character check bounds what
        // it may see (no "inf", "nan", hex floats or spaces).
        if (text.size() > 4096 || text.find_first_not_of("0123456789+-.eE") != text.npos) {
            return std::nullopt;
        }
        std::string s(text);
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

std::string property_range_text(PropertyType info) {
    if (info.kind == PropertyKind::uint) {
        return info.bits == 64 ? "0 to 2^64-1"
                               : fmt::format("0 to {}", (uint64_t{1} << info.bits) - 1);
    }
    if (info.kind == PropertyKind::sint) {
        return fmt::format("-2^{} to 2^{}-1", info.bits - 1, info.bits - 1);
    }
    return info.bits == 32 ? "a finite 32-bit float" : "a finite 64-bit float";
}

std::optional<std::vector<PropertyQualifier>> parse_property_qualifiers(std::string_view text) {
    std::vector<PropertyQualifier> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        if (i >= text.size()) {
            break;
        }
        PropertyQualifier q;
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

uint64_t property_char_length(std::string_view s) {
    uint64_t n = 0;
    for (char c : s) {
        n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    }
    return n;
}

namespace {

std::string qualifier_text(const PropertyQualifier& q) {
    return fmt::format("{}{}{}{}", q.name, q.braces ? "{" : "(", q.args, q.braces ? "}" : ")");
}

bool is_ip(std::string_view text) {
    if (text.empty() || text.size() > 64) {
        return false;
    }
    std::string s(text);
    unsigned char buf[16];
    return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool is_netmask(std::string_view text) {
    if (auto prefix = parse_decimal(text)) {
        return *prefix <= 128; // an IPv6 prefix length (VMware writes masks for IPv4)
    }
    if (text.size() > 15) {
        return false;
    }
    std::string s(text);
    in_addr addr{};
    if (::inet_pton(AF_INET, s.c_str(), &addr) != 1) {
        return false;
    }
    uint32_t mask = ntohl(addr.s_addr);
    // Contiguous ones then zeros: the complement plus one is a power of two.
    uint32_t inverted = ~mask;
    return (inverted & (inverted + 1)) == 0;
}

bool is_ip_list(std::string_view text) {
    size_t i = 0;
    bool any = false;
    while (i < text.size()) {
        size_t end = text.find_first_of(", ", i);
        if (end == text.npos) {
            end = text.size();
        }
        if (end > i) {
            if (!is_ip(text.substr(i, end - i))) {
                return false;
            }
            any = true;
        }
        i = end + 1;
    }
    return any;
}

bool in_numeric_map(const std::vector<std::string>& map, double v) {
    for (const auto& entry : map) {
        if (auto dots = entry.find(".."); dots != std::string::npos) {
            auto lo = parse_property_number(trim(std::string_view(entry).substr(0, dots)),
                                            PropertyType{PropertyKind::real, 64});
            auto hi = parse_property_number(trim(std::string_view(entry).substr(dots + 2)),
                                            PropertyType{PropertyKind::real, 64});
            if ((!lo || v >= *lo) && (!hi || v <= *hi)) {
                return true;
            }
        } else if (auto n = parse_property_number(entry, PropertyType{PropertyKind::real, 64});
                   n && *n == v) {
            return true;
        }
    }
    return false;
}

} // namespace

ParsedRules parse_property_rules(PropertyType type, std::string_view qualifiers) {
    ParsedRules out;
    out.rules.type = type;
    if (trim(qualifiers).empty()) {
        return out;
    }
    auto problem = [&out](QualifierProblem::Severity severity, bool fatal, std::string message) {
        out.problems.push_back({severity, fatal, std::move(message)});
    };
    using Sev = QualifierProblem::Severity;
    auto qs = parse_property_qualifiers(qualifiers);
    if (!qs) {
        problem(Sev::error, true, "has an unclosed bracket or quote");
        return out;
    }
    PropertyRules& r = out.rules;
    for (const auto& q : *qs) {
        if (q.name == "MinLen" || q.name == "MaxLen") {
            auto n = parse_u64(trim(q.args), q.name);
            if (!n) {
                problem(Sev::error, true,
                        fmt::format("qualifier {} needs a length", qualifier_text(q)));
                return out;
            }
            if (type.kind != PropertyKind::string) {
                problem(Sev::error, false,
                        fmt::format("qualifier {} applies to string properties only",
                                    qualifier_text(q)));
                continue;
            }
            (q.name == "MinLen" ? r.min_len : r.max_len) = *n;
        } else if (q.name == "MinValue" || q.name == "MaxValue") {
            if (!type.numeric()) {
                problem(Sev::error, false,
                        fmt::format("qualifier {} applies to numeric properties only",
                                    qualifier_text(q)));
                continue;
            }
            auto v = parse_property_number(trim(q.args), PropertyType{PropertyKind::real, 64});
            if (!v) {
                problem(Sev::error, true,
                        fmt::format("qualifier {} needs a number", qualifier_text(q)));
                return out;
            }
            (q.name == "MinValue" ? r.min_value : r.max_value) = *v;
        } else if (q.name == "ValueMap") {
            if (!q.braces) {
                problem(Sev::error, true,
                        fmt::format("qualifier {} lists its values in braces: "
                                    "ValueMap{{\"a\",\"b\"}}",
                                    qualifier_text(q)));
                return out;
            }
            r.value_map = split_value_map(q.args);
        } else if (is_vmware_qualifier(q.name)) {
            if (type.kind == PropertyKind::string) {
                if (q.name == "Ip" || q.name == "VimIp" || q.name == "Gateway") {
                    r.network = NetworkValue::ip;
                } else if (q.name == "Netmask") {
                    r.network = NetworkValue::netmask;
                } else if (q.name == "Dns") {
                    r.network = NetworkValue::ip_list;
                }
            }
        } else {
            problem(Sev::warning, false,
                    fmt::format("qualifier \"{}\" is not one ovfkit knows (MinLen, MaxLen, "
                                "MinValue, MaxValue, ValueMap and VMware's Ip, Netmask, ...); it "
                                "is not enforced",
                                q.name));
        }
    }
    if (r.min_len && r.max_len && *r.min_len > *r.max_len) {
        problem(Sev::error, true,
                fmt::format("has MinLen({}) above MaxLen({}): no value can satisfy both",
                            *r.min_len, *r.max_len));
    }
    if (r.min_value && r.max_value && *r.min_value > *r.max_value) {
        problem(Sev::error, true, "has MinValue above MaxValue: no value can satisfy both");
    }
    return out;
}

std::optional<ValueProblem> check_property_value(const PropertyRules& rules,
                                                 std::string_view value) {
    using Kind = ValueProblem::Kind;
    switch (rules.type.kind) {
    case PropertyKind::boolean:
        if (value == "true" || value == "false") {
            return std::nullopt;
        }
        return ValueProblem{Kind::type, "\"true\" or \"false\""};
    case PropertyKind::uint:
    case PropertyKind::sint:
    case PropertyKind::real: {
        auto v = parse_property_number(value, rules.type);
        if (!v) {
            return ValueProblem{Kind::type, property_range_text(rules.type)};
        }
        if ((rules.min_value && *v < *rules.min_value) ||
            (rules.max_value && *v > *rules.max_value)) {
            return ValueProblem{
                Kind::qualifier,
                fmt::format("the range MinValue/MaxValue {}..{}",
                            rules.min_value ? fmt::format("{}", *rules.min_value) : "",
                            rules.max_value ? fmt::format("{}", *rules.max_value) : "")};
        }
        if (rules.value_map && !in_numeric_map(*rules.value_map, *v)) {
            return ValueProblem{Kind::qualifier, "its ValueMap"};
        }
        return std::nullopt;
    }
    case PropertyKind::string: {
        uint64_t len = property_char_length(value);
        if ((rules.min_len && len < *rules.min_len) || (rules.max_len && len > *rules.max_len)) {
            return ValueProblem{Kind::qualifier,
                                fmt::format("length {}: MinLen {} MaxLen {}", len,
                                            rules.min_len ? std::to_string(*rules.min_len) : "-",
                                            rules.max_len ? std::to_string(*rules.max_len) : "-")};
        }
        if (rules.value_map && std::find(rules.value_map->begin(), rules.value_map->end(), value) ==
                                   rules.value_map->end()) {
            return ValueProblem{Kind::qualifier, "its ValueMap"};
        }
        if (!value.empty()) {
            switch (rules.network) {
            case NetworkValue::none:
                break;
            case NetworkValue::ip:
                if (!is_ip(value)) {
                    return ValueProblem{Kind::qualifier, "its Ip qualifier (an IPv4 or IPv6 "
                                                         "address)"};
                }
                break;
            case NetworkValue::netmask:
                if (!is_netmask(value)) {
                    return ValueProblem{Kind::qualifier, "its Netmask qualifier (an IPv4 mask "
                                                         "such as 255.255.255.0)"};
                }
                break;
            case NetworkValue::ip_list:
                if (!is_ip_list(value)) {
                    return ValueProblem{Kind::qualifier, "its Dns qualifier (IP addresses "
                                                         "separated by commas)"};
                }
                break;
            }
        }
        return std::nullopt;
    }
    case PropertyKind::unknown:
        return ValueProblem{Kind::type, "a known ovf:type"};
    }
    return std::nullopt;
}

} // namespace ovfkit::ovf
