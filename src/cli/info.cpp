// `ovfkit info SOURCE [--json]`: what an appliance holds, for the default
// deployment option (ovf/summary.hpp decides the values).
//
// Every text that comes from the package goes through terminal_safe() in
// text mode; JSON escapes it. Values of password properties are never shown.
// Exit codes: 0, 1 when the descriptor does not read, 3 when the source
// cannot be opened, 4 when the input is refused.
#include <fmt/format.h>

#include <ovfkit/io/file.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/source.hpp>

#include <cli/commands.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct InfoOptions {
    CommonOptions common;
    std::string source;
};

std::string size_text(uint64_t bytes) {
    constexpr const char* k_units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        return fmt::format("{} bytes", bytes);
    }
    int unit = 0;
    double v = static_cast<double>(bytes);
    while (v >= 1024 && unit < 6) {
        v /= 1024;
        ++unit;
    }
    if (bytes % (uint64_t{1} << (10 * unit)) == 0) {
        return fmt::format("{} {}", bytes >> (10 * unit), k_units[unit]);
    }
    return fmt::format("{:.1f} {}", v, k_units[unit]);
}

// The short name of a format URI ("vmdk streamOptimized").
std::string format_text(const std::optional<std::string>& uri) {
    if (!uri) {
        return "format not stated";
    }
    std::string l = *uri;
    for (auto& c : l) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (l.find("vmdk") != std::string::npos) {
        auto hash = uri->find('#');
        return hash == std::string::npos ? "vmdk" : "vmdk " + uri->substr(hash + 1);
    }
    if (l.find("137171") != std::string::npos || l.find("vhdspec") != std::string::npos ||
        l == "vhd") {
        return "vhd";
    }
    if (l.find("wiki/byte") != std::string::npos) {
        return "raw";
    }
    if (l.find("qcow") != std::string::npos) {
        return "qcow2";
    }
    if (l.find("ecma-119") != std::string::npos) {
        return "iso";
    }
    return *uri;
}

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// The stored size of a package file, when the package has it.
std::optional<uint64_t> stored_size(const package::Source& src, const std::string& href) {
    if (!io::check_member_name(href)) {
        return std::nullopt;
    }
    auto size = src.file_size(href);
    return size ? *size : std::nullopt;
}

nlohmann::json info_json(const package::Source& src, const ovf::Summary& s,
                         const Diagnostics& diag) {
    nlohmann::json systems = nlohmann::json::array();
    for (const auto& vs : s.virtual_systems) {
        nlohmann::json disks = nlohmann::json::array();
        for (const auto& d : vs.disks) {
            disks.push_back({{"id", d.id},
                             {"capacity", d.capacity},
                             {"capacity_bytes", opt(d.capacity_bytes)},
                             {"populated_bytes", opt(d.populated_bytes)},
                             {"format", opt(d.format)},
                             {"file", opt(d.file)},
                             {"controller", opt(d.controller)},
                             {"controller_id", opt(d.controller_id)},
                             {"controller_model", opt(d.controller_model)},
                             {"address", opt(d.address)}});
        }
        nlohmann::json nics = nlohmann::json::array();
        for (const auto& n : vs.nics) {
            nics.push_back({{"network", n.network}, {"model", n.model}, {"mac", opt(n.mac)}});
        }
        nlohmann::json controllers = nlohmann::json::array();
        for (const auto& c : vs.controllers) {
            controllers.push_back({{"id", c.instance_id}, {"bus", c.bus}, {"model", c.model}});
        }
        systems.push_back(
            {{"id", vs.id},
             {"path", vs.path},
             {"parent", vs.parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(vs.parent)},
             {"name", opt(vs.name)},
             {"os",
              {{"id", opt(vs.os_id)},
               {"description", opt(vs.os_description)},
               {"type", opt(vs.os_type)}}},
             {"cpus", opt(vs.cpus)},
             {"memory_mib", opt(vs.memory_mib)},
             {"firmware", opt(vs.firmware)},
             {"virtual_system_type", opt(vs.virtual_system_type)},
             {"hardware_sections", vs.hardware_sections},
             {"eula", vs.eula},
             {"disks", disks},
             {"nics", nics},
             {"controllers", controllers}});
    }
    nlohmann::json networks = nlohmann::json::array();
    for (const auto& n : s.networks) {
        networks.push_back({{"name", n.name}, {"description", opt(n.description)}});
    }
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : s.files) {
        files.push_back({{"id", f.id},
                         {"href", f.href},
                         {"size", opt(f.size)},
                         {"stored_size", opt(stored_size(src, f.href))},
                         {"compression", opt(f.compression)},
                         {"chunk_size", opt(f.chunk_size)}});
    }
    nlohmann::json properties = nlohmann::json::array();
    for (const auto& p : s.properties) {
        properties.push_back({{"key", p.key},
                              {"type", p.type},
                              {"default", p.password ? nlohmann::json(nullptr) : opt(p.value)},
                              {"label", opt(p.label)},
                              {"user_configurable", p.user_configurable},
                              {"password", p.password},
                              {"virtual_system", p.virtual_system}});
    }
    nlohmann::json options = nlohmann::json::array();
    for (const auto& o : s.deployment_options) {
        options.push_back({{"id", o.id}, {"label", o.label}, {"default", o.is_default}});
    }
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& f : diag.findings()) {
        warnings.push_back(finding_json(f));
    }
    return {{"source", src.path()},
            {"kind", package::source_kind_name(src.kind())},
            {"descriptor", src.descriptor_name()},
            {"ovf_version", s.ovf_version},
            {"virtual_systems", systems},
            {"networks", networks},
            {"files", files},
            {"properties", properties},
            {"deployment_options", options},
            {"default_deployment_option", opt(s.default_configuration)},
            {"eula", s.eula},
            {"warnings", warnings}};
}

// Prints "  label  value" with untrusted text made terminal-safe.
void line(std::string_view label, std::string_view value) {
    if (label.empty()) {
        fmt::print("  {}\n", terminal_safe(value));
        return;
    }
    fmt::print("  {:<13}{}\n", label, terminal_safe(value));
}

void print_system(const ovf::SystemSummary& vs) {
    std::string title =
        vs.name ? fmt::format("\"{}\" (id {})", *vs.name, vs.id) : fmt::format("id {}", vs.id);
    fmt::print("Virtual system {}\n", terminal_safe(title));
    if (!vs.parent.empty()) {
        line("In:", vs.path);
    }
    std::string os = vs.os_id ? "CIM " + *vs.os_id : "not stated";
    if (vs.os_description) {
        os += " " + *vs.os_description;
    }
    if (vs.os_type) {
        os += " [" + *vs.os_type + "]";
    }
    line("OS:", os);
    line("CPUs:", vs.cpus ? std::to_string(*vs.cpus) : "not stated");
    line("Memory:", vs.memory_mib ? fmt::format("{} MiB", *vs.memory_mib) : "not stated");
    line("Firmware:", vs.firmware ? *vs.firmware : "not stated (BIOS assumed)");
    if (vs.virtual_system_type) {
        line("Hardware:", vs.hardware_sections > 1
                              ? fmt::format("{} (first of {} hardware sections)",
                                            *vs.virtual_system_type, vs.hardware_sections)
                              : *vs.virtual_system_type);
    }
    if (vs.hardware_sections == 0) {
        line("Hardware:", "none (no VirtualHardwareSection)");
    }
    for (const auto& c : vs.controllers) {
        line("Controller:", fmt::format("{} {} (InstanceID {})", c.bus,
                                        c.model.empty() ? "-" : c.model, c.instance_id));
    }
    for (const auto& d : vs.disks) {
        std::string text = d.id + "  ";
        text += d.capacity_bytes ? size_text(*d.capacity_bytes)
                                 : fmt::format("capacity \"{}\"", d.capacity);
        text += ", " + format_text(d.format);
        text += d.file ? ", file " + *d.file : ", blank";
        if (d.controller_id) {
            text += fmt::format(", on {} {}:{}", d.controller.value_or("controller"),
                                *d.controller_id, d.address.value_or("?"));
        }
        line("Disk:", text);
    }
    for (const auto& n : vs.nics) {
        line("NIC:", fmt::format("{} on {}", n.model.empty() ? "(model not stated)" : n.model,
                                 n.network.empty() ? "no network" : "\"" + n.network + "\""));
    }
    if (vs.eula) {
        line("EULA:", "yes (acceptance required)");
    }
}

void print_text(const package::Source& src, const ovf::Summary& s) {
    if (src.kind() == package::SourceKind::descriptor) {
        fmt::print("{}: OVF {} descriptor\n", terminal_safe(src.path()), s.ovf_version);
    } else {
        fmt::print("{}: {} with descriptor {}, OVF {}\n", terminal_safe(src.path()),
                   src.kind() == package::SourceKind::ova ? "OVA" : "package directory",
                   terminal_safe(src.descriptor_name()), s.ovf_version);
    }
    for (const auto& vs : s.virtual_systems) {
        print_system(vs);
    }
    fmt::print("Networks:\n");
    if (s.networks.empty()) {
        line("", "none");
    }
    for (const auto& n : s.networks) {
        line("", n.description ? n.name + " - " + *n.description : n.name);
    }
    fmt::print("Properties:\n");
    if (s.properties.empty()) {
        line("", "none");
    }
    for (const auto& p : s.properties) {
        std::string value = p.password ? "(password, not shown)"
                            : p.value  ? "\"" + *p.value + "\""
                                       : "(no default)";
        line("", fmt::format("{} ({}) = {}{}", p.key, p.type, value,
                             p.user_configurable ? " [user-configurable]" : ""));
    }
    fmt::print("Deployment options:\n");
    if (s.deployment_options.empty()) {
        line("", "none");
    }
    for (const auto& o : s.deployment_options) {
        line("", fmt::format("{}{}{}", o.id, o.label.empty() ? "" : " - " + o.label,
                             o.is_default ? " (default)" : ""));
    }
    fmt::print("EULA: {}\n", s.eula ? "yes (acceptance required)" : "no");
    fmt::print("Files:\n");
    if (s.files.empty()) {
        line("", "none");
    }
    for (const auto& f : s.files) {
        std::string text = fmt::format("{} (id {})", f.href, f.id);
        text += f.size ? ", " + size_text(*f.size) : ", size not stated";
        if (f.compression && !f.compression->empty()) {
            text += ", " + *f.compression;
        }
        if (auto stored = stored_size(src, f.href)) {
            text += fmt::format(", present ({} bytes stored)", *stored);
        } else if (src.kind() != package::SourceKind::descriptor) {
            text += ", missing from the package";
        }
        line("", text);
    }
}

int run(const InfoOptions& opts) {
    Diagnostics diag;
    auto src = package::Source::open(opts.source, {}, &diag);
    if (!src) {
        return report_error(src.error(), opts.common.json);
    }
    auto env = ovf::read_descriptor(src->descriptor(), src->descriptor_name(), diag);
    if (!env) {
        return report_error(env.error(), opts.common.json);
    }
    ovf::Summary summary = ovf::summarize(*env);
    if (opts.common.json) {
        print_json(info_json(*src, summary, diag));
        return 0;
    }
    if (!opts.common.quiet) {
        for (const auto& f : diag.findings()) {
            fmt::print(stderr, "{}\n", finding_text(f));
        }
    }
    print_text(*src, summary);
    return 0;
}

} // namespace

void add_info_command(CLI::App& app, Action& action) {
    auto* sub =
        app.add_subcommand("info", "Show what an OVF descriptor, package directory or OVA holds");
    auto opts = std::make_shared<InfoOptions>();
    sub->add_option("SOURCE", opts->source, "An .ovf file, a directory holding one, or an .ova")
        ->required();
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
