#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/deploy/properties.hpp>
#include <ovfkit/ovf/property_rules.hpp>

namespace ovfkit::deploy {

namespace {

// Untrusted text for a one-line message: control characters as \xNN, cut
// to a readable length on a UTF-8 boundary.
std::string quote(std::string_view text) {
    constexpr size_t k_max = 80;
    size_t cut = text.size();
    if (cut > k_max) {
        cut = k_max;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
            --cut;
        }
    }
    std::string out = "\"";
    for (char c : text.substr(0, cut)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\x{:02x}", u);
        } else {
            out += c;
        }
    }
    out += '"';
    if (cut < text.size()) {
        out += fmt::format("... ({} bytes)", text.size());
    }
    return out;
}

// "a, b, c" of at most `limit` entries ("... and N more").
std::string list_text(const std::vector<std::string>& items, size_t limit = 20) {
    std::string out;
    for (size_t i = 0; i < items.size() && i < limit; ++i) {
        out += (i == 0 ? "" : ", ") + quote(items[i]);
    }
    if (items.size() > limit) {
        out += fmt::format(" and {} more", items.size() - limit);
    }
    return out;
}

bool listed(const std::optional<std::string>& list, std::string_view id) {
    if (!list) {
        return false;
    }
    std::string_view rest = *list;
    while (!rest.empty()) {
        auto start = rest.find_first_not_of(" \t\r\n");
        if (start == rest.npos) {
            break;
        }
        rest.remove_prefix(start);
        auto end = rest.find_first_of(" \t\r\n");
        if (rest.substr(0, end) == id) {
            return true;
        }
        if (end == rest.npos) {
            break;
        }
        rest.remove_prefix(end);
    }
    return false;
}

// One property of the envelope with where it sits.
struct Entry {
    const ovf::ProductSection* section = nullptr;
    const ovf::Property* property = nullptr;
    PropertyValue value;
};

void collect(const ovf::Content& content, std::string_view option, std::vector<Entry>& out,
             uint32_t depth) {
    for (const auto* ps : content.find_all<ovf::ProductSection>()) {
        for (const auto& p : ps->properties) {
            if (p.key.empty()) {
                continue; // nothing a guest could look it up by
            }
            if (p.configuration && !option.empty() && !listed(p.configuration, option)) {
                continue; // a 2.x property of other configurations
            }
            Entry e;
            e.section = ps;
            e.property = &p;
            e.value.key = ps->qualified_key(p);
            e.value.value = p.value.value_or("");
            for (const auto& v : p.values) {
                if (!option.empty() && listed(v.configuration, option)) {
                    e.value.value = v.value;
                }
            }
            e.value.type = p.type;
            e.value.system_id = content.id;
            e.value.password = p.password == true;
            e.value.user_configurable = p.user_configurable == true;
            out.push_back(std::move(e));
        }
    }
    if (content.kind == ovf::ContentKind::collection && depth < ovf::k_max_collection_depth) {
        for (const auto& child : content.children) {
            collect(child, option, out, depth + 1);
        }
    }
}

// The names a property answers to: its full key, its bare key, and the
// bare key with only the class or only the instance.
std::vector<std::string> names_of(const Entry& e) {
    const auto& ps = *e.section;
    const auto& key = e.property->key;
    bool has_class = ps.product_class && !ps.product_class->empty();
    bool has_instance = ps.instance && !ps.instance->empty();
    std::vector<std::string> names{e.value.key, key};
    if (has_class && has_instance) {
        names.push_back(*ps.product_class + "." + key);
        names.push_back(key + "." + *ps.instance);
    }
    return names;
}

// Characters an XML 1.0 document cannot carry: the environment could not
// deliver such a value as given.
bool has_unrepresentable(std::string_view value) {
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') {
            return true;
        }
    }
    return false;
}

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        if (len == 0 || i + len > s.size()) {
            return false;
        }
        for (size_t k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

Result<void> check_override(const Entry& e, std::string_view value) {
    const ovf::Property& p = *e.property;
    const std::string name = quote(e.value.key);
    // What a message may say about the value.
    const std::string shown = e.value.password ? std::string(k_password_mask) : quote(value);
    if (!e.value.user_configurable) {
        return fail(Errc::usage,
                    "property {} is not user-configurable (ovf:userConfigurable is not \"true\"); "
                    "the appliance fixes its value",
                    name);
    }
    if (!valid_utf8(value) || has_unrepresentable(value)) {
        return fail(Errc::usage,
                    "property {}: the value {} holds a control character or invalid UTF-8, which "
                    "the OVF environment (XML) cannot carry",
                    name, e.value.password ? std::string(k_password_mask) : std::string("given"));
    }
    ovf::PropertyType type = ovf::property_type(p.type);
    if (type.kind == ovf::PropertyKind::unknown) {
        return fail(Errc::invalid,
                    "property {} has ovf:type {}, not an OVF property type, so no value can be "
                    "checked against it",
                    name, quote(p.type));
    }
    ovf::ParsedRules parsed = ovf::parse_property_rules(type, p.qualifiers.value_or(""));
    if (!parsed.usable()) {
        std::string why;
        for (const auto& problem : parsed.problems) {
            if (problem.fatal) {
                why = problem.message;
                break;
            }
        }
        return fail(Errc::invalid,
                    "property {}: its ovf:qualifiers {}, so no value can be checked against them",
                    name, why);
    }
    auto problem = ovf::check_property_value(parsed.rules, value);
    if (!problem) {
        return {};
    }
    if (problem->kind == ovf::ValueProblem::Kind::type) {
        return fail(Errc::usage, "property {}: {} is not a valid {} ({} expected)", name, shown,
                    p.type, problem->rule);
    }
    return fail(Errc::usage, "property {}: {} does not satisfy {} (ovf:qualifiers {})", name, shown,
                problem->rule, quote(p.qualifiers.value_or("")));
}

} // namespace

Result<std::string> choose_deployment_option(const ovf::Envelope& envelope,
                                             std::optional<std::string> wanted) {
    std::vector<const ovf::Configuration*> configurations;
    for (const auto* dos : ovf::find_all<ovf::DeploymentOptionSection>(envelope.sections)) {
        for (const auto& c : dos->configurations) {
            configurations.push_back(&c);
        }
    }
    if (wanted) {
        std::vector<std::string> ids;
        for (const auto* c : configurations) {
            if (c->id == *wanted) {
                return c->id;
            }
            ids.push_back(c->id);
        }
        if (ids.empty()) {
            return fail(Errc::usage,
                        "deployment option {}: the appliance has no DeploymentOptionSection, so "
                        "it has no options to choose from",
                        quote(*wanted));
        }
        return fail(Errc::usage, "deployment option {} is not one of the appliance's: {}",
                    quote(*wanted), list_text(ids));
    }
    for (const auto* c : configurations) {
        if (c->is_default == true) {
            return c->id;
        }
    }
    return configurations.empty() ? std::string() : configurations.front()->id;
}

Result<std::pair<std::string, std::string>> parse_override(std::string_view text) {
    auto eq = text.find('=');
    if (eq == text.npos) {
        return fail(Errc::usage, "--prop {}: write KEY=VALUE", quote(text));
    }
    if (eq == 0) {
        return fail(Errc::usage, "--prop has no key before '=': write KEY=VALUE");
    }
    return std::pair<std::string, std::string>(std::string(text.substr(0, eq)),
                                               std::string(text.substr(eq + 1)));
}

Result<ResolvedProperties>
resolve_properties(const ovf::Envelope& envelope, std::string_view option,
                   const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<Entry> entries;
    collect(envelope.content, option, entries, 0);

    for (const auto& [key, value] : overrides) {
        // A full key wins over the short forms; among short forms the key
        // must name one full key.
        std::vector<size_t> exact, partial;
        std::set<std::string> partial_keys;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].value.key == key) {
                exact.push_back(i);
                continue;
            }
            auto names = names_of(entries[i]);
            if (std::find(names.begin() + 1, names.end(), key) != names.end()) {
                partial.push_back(i);
                partial_keys.insert(entries[i].value.key);
            }
        }
        const std::vector<size_t>* targets = &exact;
        if (exact.empty()) {
            if (partial_keys.size() > 1) {
                return fail(
                    Errc::usage,
                    "--prop {}: several properties answer to this key ({}); give the "
                    "full key",
                    quote(key),
                    list_text(std::vector<std::string>(partial_keys.begin(), partial_keys.end())));
            }
            targets = &partial;
        }
        if (targets->empty()) {
            std::vector<std::string> known;
            for (const auto& e : entries) {
                if (e.value.user_configurable &&
                    std::find(known.begin(), known.end(), e.value.key) == known.end()) {
                    known.push_back(e.value.key);
                }
            }
            if (known.empty()) {
                return fail(Errc::usage,
                            "--prop {}: the appliance has no such property, and none it has is "
                            "user-configurable",
                            quote(key));
            }
            return fail(Errc::usage,
                        "--prop {}: the appliance has no such property; user-configurable ones: "
                        "{}",
                        quote(key), list_text(known));
        }
        for (size_t i : *targets) {
            OVFKIT_TRY(check_override(entries[i], value));
        }
        for (size_t i : *targets) {
            entries[i].value.value = value;
            entries[i].value.from_user = true;
        }
    }

    ResolvedProperties out;
    for (auto& e : entries) {
        if (e.value.user_configurable && e.value.value.empty() && !e.value.from_user &&
            std::find(out.missing.begin(), out.missing.end(), e.value.key) == out.missing.end()) {
            out.missing.push_back(e.value.key);
        }
        out.values.push_back(std::move(e.value));
    }
    return out;
}

nlohmann::json to_json(const ResolvedProperties& resolved) {
    nlohmann::json properties = nlohmann::json::array();
    for (const auto& v : resolved.values) {
        properties.push_back({{"key", v.key},
                              {"value", v.shown_value()},
                              {"type", v.type},
                              {"system_id", v.system_id},
                              {"password", v.password},
                              {"user_configurable", v.user_configurable},
                              {"from_user", v.from_user}});
    }
    return {{"properties", std::move(properties)}, {"missing", resolved.missing}};
}

} // namespace ovfkit::deploy
