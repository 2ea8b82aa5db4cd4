// What a ProductSection property accepts: its ovf:type and ovf:qualifiers.
//
// DSP0243 (ProductSection, "Property elements") and the CIM qualifier
// grammar: ovf:type is one of uint8..uint64, sint8..sint64, boolean,
// string, real32, real64; ovf:qualifiers is a list of MinLen(n), MaxLen(n),
// MinValue(n), MaxValue(n) and ValueMap{v, ...} (quoted strings for string
// properties, numbers or ranges "a..b" for numeric ones). Producers separate
// qualifiers with commas or spaces; VMware adds its IP-pool qualifiers (Ip,
// Ip('Network 1'), Netmask, Gateway, Dns, DomainName, SearchPath, HostPrefix,
// HttpProxy, VimIp).
//
// Validation (validate_properties.cpp) checks a descriptor's defaults with
// these rules; deployment (deploy/properties.cpp) checks the values a user
// gives. Both share this parsing so that they accept the same values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ovfkit::ovf {

enum class PropertyKind { uint, sint, boolean, string, real, unknown };

struct PropertyType {
    PropertyKind kind = PropertyKind::unknown;
    uint32_t bits = 0; // integer and real widths
    bool numeric() const {
        return kind == PropertyKind::uint || kind == PropertyKind::sint ||
               kind == PropertyKind::real;
    }
};

// The type an ovf:type names; kind unknown for anything else.
PropertyType property_type(std::string_view type);

// A number of a numeric property type as a double (exact enough for range
// comparisons: qualifier bounds are small); nullopt when `text` is not a
// number of that type (syntax, range, inf/nan, hex floats, spaces).
std::optional<double> parse_property_number(std::string_view text, PropertyType type);

// "0 to 255", "-2^7 to 2^7-1", "a finite 32-bit float".
std::string property_range_text(PropertyType type);

struct PropertyQualifier {
    std::string name;
    std::string args; // inside (...) or {...}
    bool braces = false;
};

// Splits "MinLen(1),MaxLen(63)" or "MinValue(10) MaxValue(1000)" at top-level
// commas and spaces, respecting quotes, parentheses and braces. nullopt when
// brackets or quotes do not close.
std::optional<std::vector<PropertyQualifier>> parse_property_qualifiers(std::string_view text);

// ValueMap entries: "a","b" or 0,2 or 1..10 (quotes removed).
std::vector<std::string> split_value_map(std::string_view args);

// True for VMware's IP-pool qualifier names.
bool is_vmware_qualifier(std::string_view name);

// Length in characters (UTF-8 code points), what MinLen/MaxLen count.
uint64_t property_char_length(std::string_view text);

// What VMware's network qualifiers say the value is. Empty values are
// accepted for all of them (VMware's convention for "use DHCP").
enum class NetworkValue {
    none,
    ip,      // Ip, Ip('net'), VimIp, Gateway: one IPv4 or IPv6 address
    netmask, // Netmask: an IPv4 mask with contiguous bits, or an IPv6 prefix length
    ip_list, // Dns: IP addresses separated by commas and/or spaces
};

// The constraints of one property, read from its type and qualifiers.
struct PropertyRules {
    PropertyType type;
    std::optional<uint64_t> min_len, max_len;
    std::optional<double> min_value, max_value;
    std::optional<std::vector<std::string>> value_map;
    NetworkValue network = NetworkValue::none;
};

// A problem with the qualifiers themselves.
struct QualifierProblem {
    enum class Severity { error, warning } severity = Severity::error;
    // True when the problem makes the rules unusable (validation stops
    // checking the property; deployment refuses values for it).
    bool fatal = false;
    std::string message; // "qualifier MinLen(x) needs a length"
};

struct ParsedRules {
    PropertyRules rules;
    std::vector<QualifierProblem> problems;
    bool usable() const {
        for (const auto& p : problems) {
            if (p.fatal) {
                return false;
            }
        }
        return true;
    }
};

// Reads `qualifiers` (may be empty) for a property of `type` (which must be
// known). Unknown qualifiers are warnings; misplaced ones (MinLen on a
// number) errors that do not stop the others; unreadable ones fatal.
ParsedRules parse_property_rules(PropertyType type, std::string_view qualifiers);

// Why a value does not satisfy the rules.
struct ValueProblem {
    enum class Kind { type, qualifier } kind = Kind::type;
    // For Kind::type: what is expected ("\"true\" or \"false\"", a range);
    // for Kind::qualifier: the rule broken ("its ValueMap").
    std::string rule;
};

// Checks `value` strictly: booleans are "true" or "false" only, numbers
// within the type and MinValue/MaxValue and ValueMap, strings within
// MinLen/MaxLen and ValueMap, network values well formed.
std::optional<ValueProblem> check_property_value(const PropertyRules& rules,
                                                 std::string_view value);

} // namespace ovfkit::ovf
