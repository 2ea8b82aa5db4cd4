// `ovfkit info SOURCE [--json]`: what an appliance holds, for the default
// deployment option (ops/inspect.hpp reads it, ovf/summary.hpp decides the
// values); this file renders it.
//
// Every text that comes from the package goes through terminal_safe() in
// text mode; JSON escapes it. Values of password properties are never shown.
// Exit codes: 0, 1 when the descriptor does not read, 3 when the source
// cannot be opened, 4 when the input is refused.
#include <fmt/format.h>

#include <ovfkit/base/units.hpp>
#include <ovfkit/ops/inspect.hpp>

#include <cli/commands.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct InfoOptions {
    CommonOptions common;
    ops::InspectOptions op;
};

std::string size_text(uint64_t bytes) {
    return bytes < KiB ? fmt::format("{} bytes", bytes) : format_size(bytes);
}

// Prints "  label  value" with untrusted text made terminal-safe.
void line(std::string_view label, std::string_view value) {
    if (label.empty()) {
        fmt::print("  {}\n", terminal_safe(value));
        return;
    }
    fmt::print("  {:<13}{}\n", label, terminal_safe(value));
}

// Memory exactly: whole MiB as MiB, anything else in bytes.
std::string memory_text(uint64_t bytes) {
    return bytes % MiB == 0 ? fmt::format("{} MiB", bytes / MiB) : fmt::format("{} bytes", bytes);
}

// " (range MIN-MAX)" from ovf:bound items; empty without them.
template <class Show>
std::string range_text(const ovf::RangeSummary& r, Show show) {
    if (!r.min && !r.max) {
        return {};
    }
    return fmt::format(" (range {} to {})", r.min ? show(*r.min) : "-", r.max ? show(*r.max) : "-");
}

void print_system(const ovf::SystemSummary& vs) {
    std::string title =
        vs.name ? fmt::format("\"{}\" (id {})", *vs.name, vs.id) : fmt::format("id {}", vs.id);
    fmt::print("Virtual system {}\n", terminal_safe(title));
    if (!vs.parent.empty()) {
        line("In:", vs.path);
    }
    // An oVirt OS has a name and a description but no CIM id.
    std::string os = vs.os_id ? "CIM " + *vs.os_id : "";
    if (vs.os_description) {
        os += (os.empty() ? "" : " ") + *vs.os_description;
    }
    if (vs.os_type) {
        os += (os.empty() ? "[" : " [") + *vs.os_type + "]";
    }
    line("OS:", os.empty() ? "not stated" : os);
    std::string cpus = vs.cpus ? std::to_string(*vs.cpus) : "not stated";
    line("CPUs:", cpus + range_text(vs.cpus_range, [](uint64_t n) { return std::to_string(n); }));
    std::string memory = vs.memory_mib     ? fmt::format("{} MiB", *vs.memory_mib)
                         : vs.memory_bytes ? fmt::format("{} bytes", *vs.memory_bytes)
                                           : "not stated";
    line("Memory:", memory + range_text(vs.memory_range, memory_text));
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
        if (d.backing == "file") {
            text += "a file reference (ovf:/file/), no capacity stated";
        } else {
            text += d.capacity_bytes ? size_text(*d.capacity_bytes)
                                     : fmt::format("capacity \"{}\"", d.capacity);
            text += ", " + ops::disk_format_label(d.format);
        }
        text += d.file ? ", file " + *d.file : ", blank";
        if (d.controller_id) {
            text += fmt::format(", on {} {}:{}", d.controller.value_or("controller"),
                                *d.controller_id, d.address.value_or("?"));
        } else if (d.controller) {
            // A bus without a controller item (oVirt's ovf:disk-interface).
            text += ", on " + *d.controller;
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

void print_text(const ops::InspectReport& r) {
    const ovf::Summary& s = r.summary;
    if (r.kind == package::SourceKind::descriptor) {
        fmt::print("{}: OVF {} descriptor{}\n", terminal_safe(r.source), s.ovf_version,
                   r.origin == package::SourceOrigin::pipe ? " (from stdin, no files beside it)"
                                                           : "");
    } else {
        fmt::print("{}: {} with descriptor {}, OVF {}\n", terminal_safe(r.source),
                   r.kind == package::SourceKind::ova ? "OVA" : "package directory",
                   terminal_safe(r.descriptor), s.ovf_version);
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
    for (size_t i = 0; i < s.files.size(); ++i) {
        const auto& f = s.files[i];
        std::string text = fmt::format("{} (id {})", f.href, f.id);
        text += f.size ? ", " + size_text(*f.size) : ", size not stated";
        if (f.compression && !f.compression->empty()) {
            text += ", " + *f.compression;
        }
        if (auto stored = r.stored_sizes.at(i)) {
            text += fmt::format(", present ({} bytes stored)", *stored);
        } else if (r.kind != package::SourceKind::descriptor) {
            text += ", missing from the package";
        }
        line("", text);
    }
    fmt::print("Manifest: {}\n", terminal_safe(ops::manifest_status_text(r.integrity)));
    fmt::print("Signature: {}\n", terminal_safe(ops::signature_status_text(r.integrity)));
}

int run(const InfoOptions& opts) {
    RunningOperation job("hashing", opts.common);
    auto report = ops::inspect_appliance(opts.op, job.control);
    job.bar.finish(false);
    if (!report) {
        return report_error(report.error(), opts.common.json);
    }
    if (opts.common.json) {
        print_json(ops::to_json(*report));
        return 0;
    }
    if (!opts.common.quiet) {
        for (const auto& f : report->findings) {
            fmt::print(stderr, "{}\n", finding_text(f));
        }
    }
    print_text(*report);
    return 0;
}

} // namespace

void add_info_command(CLI::App& app, Action& action) {
    auto* sub =
        app.add_subcommand("info", "Show what an OVF descriptor, package directory or OVA holds");
    auto opts = std::make_shared<InfoOptions>();
    sub->add_option("SOURCE", opts->op.source,
                    "An .ovf file, a directory holding one, an .ova, - (stdin), an http(s) URL, "
                    "or a VM's own files (.vmx, domain XML, .vbox, .xva, qm config, .vma ...)")
        ->required();
    add_remote_options(*sub, opts->op.remote);
    add_import_options(*sub, opts->op.import);
    sub->add_flag("--keep-macs", opts->op.import.keep_macs,
                  "Importing a VM: keep its NICs' MAC addresses (as convert does)");
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
