#include <span>

#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/ops/environment.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ovf/validate.hpp>

namespace ovfkit::ops {

namespace {

// Every content id, depth first, with whether it is a VirtualSystem.
void content_ids(const ovf::Content& c, std::vector<std::pair<std::string, bool>>& out,
                 uint32_t depth) {
    out.emplace_back(c.id, c.kind == ovf::ContentKind::virtual_system);
    if (c.kind == ovf::ContentKind::collection && depth < ovf::k_max_collection_depth) {
        for (const auto& child : c.children) {
            content_ids(child, out, depth + 1);
        }
    }
}

std::string id_list(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
        out += (out.empty() ? "\"" : ", \"") + id + "\"";
    }
    return out;
}

Result<std::string> choose_system(const ovf::Envelope& env, const std::string& wanted) {
    std::vector<std::pair<std::string, bool>> ids;
    content_ids(env.content, ids, 0);
    std::vector<std::string> systems, all;
    for (const auto& [id, vs] : ids) {
        all.push_back(id);
        if (vs) {
            systems.push_back(id);
        }
    }
    if (!wanted.empty()) {
        for (const auto& id : all) {
            if (id == wanted) {
                return id;
            }
        }
        return fail(Errc::usage,
                    "--system \"{}\": no VirtualSystem or collection has this id; "
                    "the appliance has {}",
                    wanted, id_list(all));
    }
    if (systems.size() == 1) {
        return systems.front();
    }
    return fail(Errc::usage,
                "the appliance has {} virtual systems ({}); name the one the environment is for "
                "with --system",
                systems.size(), id_list(systems));
}

} // namespace

Result<EnvironmentReport> make_environment(const EnvironmentOptions& options,
                                           const JobControl& control) {
    if (options.output.empty() && !options.xml_only) {
        return fail(Errc::usage, "name the ISO to write with -o");
    }
    Diagnostics diag;
    OVFKIT_TRY_ASSIGN(package::Source src,
                      open_package(options.source, diag, options.remote, &control));
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(options.source));
    }
    OVFKIT_TRY_ASSIGN(ovf::Envelope env,
                      ovf::read_descriptor(src.descriptor(), src.descriptor_name(), diag));
    EnvironmentReport report;
    report.source = src.path();
    report.descriptor = src.descriptor_name();
    OVFKIT_TRY_ASSIGN(report.deployment_option,
                      deploy::choose_deployment_option(env, options.deployment_option));
    OVFKIT_TRY_ASSIGN(report.system, choose_system(env, options.system));
    OVFKIT_TRY_ASSIGN(report.properties, deploy::resolve_properties(env, report.deployment_option,
                                                                    options.properties));
    report.xml = deploy::environment_xml(env, report.system, report.properties.values);
    report.format = options.xml_only ? "xml" : "iso";
    report.output = options.output;
    if (options.xml_only) {
        if (!options.output.empty()) {
            io::OutputSet outputs(options.force);
            OVFKIT_TRY_ASSIGN(io::File * file, outputs.create(options.output));
            OVFKIT_TRY(
                file->pwrite(std::as_bytes(std::span(report.xml.data(), report.xml.size())), 0));
            OVFKIT_TRY(outputs.commit());
        }
    } else {
        OVFKIT_TRY(deploy::write_environment_iso(report.xml, options.output, options.force));
    }
    report.findings = diag.findings();
    return report;
}

nlohmann::json to_json(const EnvironmentReport& r) {
    nlohmann::json doc = json_document();
    doc["source"] = r.source;
    doc["descriptor"] = r.descriptor;
    doc["system"] = r.system;
    doc["deployment_option"] = r.deployment_option;
    doc["output"] = r.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.output);
    doc["format"] = r.format;
    auto props = deploy::to_json(r.properties);
    doc["properties"] = std::move(props["properties"]);
    doc["missing"] = std::move(props["missing"]);
    doc["findings"] = findings_json(r.findings);
    return doc;
}

} // namespace ovfkit::ops
