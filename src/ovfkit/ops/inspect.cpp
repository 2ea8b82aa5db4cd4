#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/ops/inspect.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/references.hpp>

namespace ovfkit::ops {

namespace {

// The bytes the package stores for `f`: the member, or the sum of its chunks
// when they are complete and well formed.
std::optional<uint64_t> stored_size(const package::Source& src, const ovf::File& f,
                                    std::optional<package::MemberLookup>& lookup) {
    if (!io::check_member_name(f.href)) {
        return std::nullopt;
    }
    if (!f.chunk_size) {
        auto size = src.file_size(f.href);
        return size ? *size : std::nullopt;
    }
    if (!lookup) {
        auto l = package::member_lookup(src);
        if (!l) {
            return std::nullopt;
        }
        lookup = std::move(*l);
    }
    ovf::File stored = f;
    stored.size.reset();
    stored.compression.reset();
    auto layout = package::stored_layout(*lookup, stored);
    return layout ? std::optional<uint64_t>(layout->stored_size) : std::nullopt;
}

// null without markers, else {"min", "max"} (either may be null).
nlohmann::json range_json(const ovf::RangeSummary& r) {
    if (!r.min && !r.max) {
        return nullptr;
    }
    return {{"min", optional_json(r.min)}, {"max", optional_json(r.max)}};
}

nlohmann::json system_json(const ovf::SystemSummary& vs) {
    nlohmann::json disks = nlohmann::json::array();
    for (const auto& d : vs.disks) {
        disks.push_back({{"id", d.id},
                         {"capacity", d.capacity},
                         {"capacity_bytes", optional_json(d.capacity_bytes)},
                         {"populated_bytes", optional_json(d.populated_bytes)},
                         {"format", optional_json(d.format)},
                         {"file", optional_json(d.file)},
                         {"controller", optional_json(d.controller)},
                         {"controller_id", optional_json(d.controller_id)},
                         {"controller_model", optional_json(d.controller_model)},
                         {"address", optional_json(d.address)},
                         {"backing", d.backing}});
    }
    nlohmann::json nics = nlohmann::json::array();
    for (const auto& n : vs.nics) {
        nics.push_back({{"network", n.network}, {"model", n.model}, {"mac", optional_json(n.mac)}});
    }
    nlohmann::json controllers = nlohmann::json::array();
    for (const auto& c : vs.controllers) {
        controllers.push_back({{"id", c.instance_id}, {"bus", c.bus}, {"model", c.model}});
    }
    return {{"id", vs.id},
            {"path", vs.path},
            {"parent", vs.parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(vs.parent)},
            {"name", optional_json(vs.name)},
            {"os",
             {{"id", optional_json(vs.os_id)},
              {"description", optional_json(vs.os_description)},
              {"type", optional_json(vs.os_type)}}},
            {"cpus", optional_json(vs.cpus)},
            {"memory_mib", optional_json(vs.memory_mib)},
            {"memory_bytes", optional_json(vs.memory_bytes)},
            {"cpus_range", range_json(vs.cpus_range)},
            {"memory_bytes_range", range_json(vs.memory_range)},
            {"firmware", optional_json(vs.firmware)},
            {"virtual_system_type", optional_json(vs.virtual_system_type)},
            {"hardware_sections", vs.hardware_sections},
            {"eula", vs.eula},
            {"disks", disks},
            {"nics", nics},
            {"controllers", controllers}};
}

} // namespace

Result<InspectReport> inspect_appliance(const InspectOptions& options, const JobControl& control) {
    Diagnostics diag;
    OVFKIT_TRY_ASSIGN(package::Source src,
                      open_package(options.source, diag, options.remote, &control, options.import));
    if (control.cancel.cancelled()) {
        return fail(cancelled_error(options.source));
    }
    OVFKIT_TRY_ASSIGN(ovf::Envelope env,
                      ovf::read_descriptor(src.descriptor(), src.descriptor_name(), diag));
    InspectReport report;
    report.source = src.path();
    report.kind = src.kind();
    report.origin = src.origin();
    report.spooled = src.spooled();
    report.descriptor = src.descriptor_name();
    report.summary = ovf::summarize(env);
    std::optional<package::MemberLookup> lookup;
    for (const auto& f : env.references.files) {
        report.stored_sizes.push_back(stored_size(src, f, lookup));
    }
    OVFKIT_TRY(check_package_layout(src, env, false, diag));
    report.findings = diag.findings();
    Diagnostics integrity;
    VerifyOptions verify;
    verify.source = options.source;
    OVFKIT_TRY_ASSIGN(report.integrity, verify_source(src, env, verify, control, integrity));
    return report;
}

nlohmann::json to_json(const InspectReport& r) {
    const ovf::Summary& s = r.summary;
    nlohmann::json systems = nlohmann::json::array();
    for (const auto& vs : s.virtual_systems) {
        systems.push_back(system_json(vs));
    }
    nlohmann::json networks = nlohmann::json::array();
    for (const auto& n : s.networks) {
        networks.push_back({{"name", n.name}, {"description", optional_json(n.description)}});
    }
    nlohmann::json files = nlohmann::json::array();
    for (size_t i = 0; i < s.files.size(); ++i) {
        const auto& f = s.files[i];
        files.push_back({{"id", f.id},
                         {"href", f.href},
                         {"size", optional_json(f.size)},
                         {"stored_size", optional_json(r.stored_sizes.at(i))},
                         {"compression", optional_json(f.compression)},
                         {"chunk_size", optional_json(f.chunk_size)}});
    }
    nlohmann::json properties = nlohmann::json::array();
    for (const auto& p : s.properties) {
        properties.push_back(
            {{"key", p.key},
             {"type", p.type},
             {"default", p.password ? nlohmann::json(nullptr) : optional_json(p.value)},
             {"label", optional_json(p.label)},
             {"user_configurable", p.user_configurable},
             {"password", p.password},
             {"virtual_system", p.virtual_system}});
    }
    nlohmann::json deployment = nlohmann::json::array();
    for (const auto& o : s.deployment_options) {
        deployment.push_back({{"id", o.id}, {"label", o.label}, {"default", o.is_default}});
    }
    nlohmann::json doc = json_document();
    doc.update({{"source", r.source},
                {"kind", package::source_kind_name(r.kind)},
                {"origin", package::source_origin_name(r.origin)},
                {"spooled", r.spooled},
                {"descriptor", r.descriptor},
                {"ovf_version", s.ovf_version},
                {"virtual_systems", systems},
                {"networks", networks},
                {"files", files},
                {"properties", properties},
                {"deployment_options", deployment},
                {"default_deployment_option", optional_json(s.default_configuration)},
                {"eula", s.eula},
                {"warnings", findings_json(r.findings)}});
    doc.update(integrity_json(r.integrity));
    return doc;
}

std::string disk_format_label(const std::optional<std::string>& uri) {
    if (!uri) {
        return "format not stated";
    }
    const disk::FormatDriver* driver = disk::format_for_uri(*uri);
    if (driver == nullptr) {
        return disk::normalized_uri(*uri).find("ecma-119") != std::string::npos ? "iso" : *uri;
    }
    // VMDK's URIs name the subformat in the fragment, as producers spell it.
    if (driver->family == "vmdk") {
        auto hash = uri->find('#');
        return hash == std::string::npos ? "vmdk" : "vmdk " + uri->substr(hash + 1);
    }
    return std::string(driver->family == "vpc" ? "vhd" : driver->family);
}

} // namespace ovfkit::ops
