// Semantic validation: ProductSection properties.
//
// The type and qualifier grammar is ovf/property_rules.hpp, shared with
// deployment (deploy/properties.cpp) so both accept the same values.
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
#include <map>

#include <ovfkit/ovf/property_rules.hpp>
#include <ovfkit/ovf/validate_internal.hpp>

namespace ovfkit::ovf::detail {

namespace {

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
        PropertyType type = property_type(m_p.type);
        if (type.kind == PropertyKind::unknown) {
            m_ctx.error("OVF-PROP-001", line,
                        fmt::format("<Property> {} ovf:type {} is not an OVF property type "
                                    "(uint8..uint64, sint8..sint64, boolean, string, real32, "
                                    "real64)",
                                    quote(m_p.key), quote(m_p.type)));
            return;
        }
        if (!read_qualifiers(type)) {
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
    PropertyRules m_rules;

    std::string name() const { return quote(m_section.qualified_key(m_p)); }

    bool read_qualifiers(PropertyType type) {
        ParsedRules parsed = parse_property_rules(type, m_p.qualifiers.value_or(""));
        for (const auto& problem : parsed.problems) {
            bool warning = problem.severity == QualifierProblem::Severity::warning;
            std::string message = fmt::format("<Property> {} {}", name(), problem.message);
            if (warning) {
                m_ctx.warning("OVF-PROP-005", m_p.line.number, std::move(message));
            } else {
                m_ctx.error("OVF-PROP-004", m_p.line.number, std::move(message));
            }
        }
        m_rules = std::move(parsed.rules);
        // VMware fills network values from its IP pools at deployment;
        // defaults are not held to them (deploy/ checks what users give).
        m_rules.network = NetworkValue::none;
        return parsed.usable();
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
        PropertyKind kind = m_rules.type.kind;
        if (kind != PropertyKind::string && is_placeholder(value)) {
            m_ctx.warning("OVF-NUM-002", line,
                          fmt::format("<Property> {} {} is the placeholder {}; fill it in before "
                                      "deployment",
                                      name(), where, shown(value)));
            return;
        }
        if (kind == PropertyKind::boolean &&
            (value == "True" || value == "False" || value == "TRUE" || value == "FALSE")) {
            m_ctx.warning("OVF-PROP-007", line,
                          fmt::format("<Property> {} {} is {}; booleans are \"true\" or "
                                      "\"false\" (VMware also reads other cases)",
                                      name(), where, shown(value)));
            return;
        }
        auto problem = check_property_value(m_rules, value);
        if (!problem) {
            return;
        }
        if (problem->kind == ValueProblem::Kind::type) {
            m_ctx.error("OVF-PROP-002", line,
                        fmt::format("<Property> {} {} {} is not a valid {} ({} expected)", name(),
                                    where, shown(value), m_p.type, problem->rule));
            return;
        }
        m_ctx.error("OVF-PROP-003", line,
                    fmt::format("<Property> {} {} {} does not satisfy {}{}", name(), where,
                                shown(value), problem->rule,
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
