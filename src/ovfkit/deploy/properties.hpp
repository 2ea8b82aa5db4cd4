// The deployment option and the property values a deployment delivers.
//
// Values come from the property's <Value> for the chosen configuration, else
// its ovf:value, else the user's --prop KEY=VALUE. A user value is checked
// against the property's ovf:type and ovf:qualifiers with the rules
// validation uses (ovf/property_rules.hpp), plus VMware's network qualifiers
// (Ip, Netmask, Gateway, Dns). Values of password properties never appear in
// messages or JSON: they show as "********".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::deploy {

// What messages and JSON show instead of a password value.
inline constexpr std::string_view k_password_mask = "********";

struct PropertyValue {
    std::string key;       // full key as DSP0243 builds it: "[class.]key[.instance]"
    std::string value;     // the value to deliver (default for the option, or the user's)
    std::string type;      // ovf:type
    std::string system_id; // id of the VirtualSystem/Collection whose ProductSection holds it
    bool password = false; // never shown: to_json and any message print "********"
    bool user_configurable = false;
    bool from_user = false; // set with --prop

    // The value as text may show it: the value, or the mask for a password.
    std::string shown_value() const { return password ? std::string(k_password_mask) : value; }
};

// The deployment option to use: `wanted` when given (must exist, else
// Errc::usage with the list of valid ids), else the default Configuration,
// else the first, else "" when the envelope has none.
Result<std::string> choose_deployment_option(const ovf::Envelope& envelope,
                                             std::optional<std::string> wanted);

struct ResolvedProperties {
    std::vector<PropertyValue> values; // document order, depth first
    std::vector<std::string> missing;  // full keys of user-configurable properties without a value
};

// Every property with the value it gets for `option`, after `overrides`
// (KEY=VALUE pairs as given). A key is the full "[class.]key[.instance]", or
// the bare key, "class.key" or "key.instance" when only one property answers
// to it; a full key held by several systems of a collection sets them all.
// Errc::usage, one line naming the key (never a password's value), for an
// unknown or ambiguous key, a property that is not userConfigurable, or a
// value that is not of the property's type or breaks its qualifiers;
// Errc::invalid when the property's own type or qualifiers cannot be read.
// Properties that are userConfigurable, have no value and no override are
// listed in `missing`. Properties whose 2.x ovf:configuration does not list
// `option` are left out.
Result<ResolvedProperties>
resolve_properties(const ovf::Envelope& envelope, std::string_view option,
                   const std::vector<std::pair<std::string, std::string>>& overrides);

// Splits "KEY=VALUE" at the first '='; Errc::usage without one or with an
// empty key. The message never shows the value.
Result<std::pair<std::string, std::string>> parse_override(std::string_view text);

// JSON for reports: {"properties": [{key, value, type, system_id, password,
// user_configurable, from_user}], "missing": [...]}, password values masked.
nlohmann::json to_json(const ResolvedProperties& resolved);

} // namespace ovfkit::deploy
