// `ovfkit env SOURCE [--prop K=V]... [--deployment-option ID] [--system ID]
// -o OUT.iso [--xml-only] [--force] [--json]`: the OVF environment
// (ovf-env.xml, DSP8027) of one virtual system, on an ISO 9660 image a
// hypervisor attaches as a CD-ROM; with --xml-only the XML alone, to OUT or
// to stdout.
//
// Password values are never printed: not in messages, not in JSON (the XML
// itself carries them, as it must). Exit codes: 0; 1 a descriptor that does
// not read; 2 usage (options, unknown keys, values the property refuses);
// 3 I/O; 4 refused.
#include <cstdio>

#include <fmt/format.h>

#include <ovfkit/ops/environment.hpp>

#include <cli/commands.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct EnvOptions {
    CommonOptions common;
    ops::EnvironmentOptions op;
    std::vector<std::string> props;
    std::string deployment_option;
};

int run(EnvOptions& o) {
    if (o.op.xml_only && o.op.output.empty() && o.common.json) {
        return report_error(Error{Errc::usage, "--xml-only without -o prints the XML on stdout, "
                                               "where --json prints its report; name a file "
                                               "with -o"},
                            o.common.json);
    }
    for (const auto& text : o.props) {
        auto kv = deploy::parse_override(text);
        if (!kv) {
            return report_error(kv.error(), o.common.json);
        }
        o.op.properties.push_back(std::move(*kv));
    }
    if (!o.deployment_option.empty()) {
        o.op.deployment_option = o.deployment_option;
    }
    RunningOperation job("reading", o.common);
    auto report = ops::make_environment(o.op, job.control);
    job.bar.finish(report.has_value());
    if (!report) {
        return report_error(report.error(), o.common.json);
    }
    if (o.common.json) {
        print_json(ops::to_json(*report));
        return 0;
    }
    print_warnings(report->findings, o.common.quiet, false);
    if (!o.common.quiet && !report->properties.missing.empty()) {
        std::string keys;
        for (const auto& key : report->properties.missing) {
            keys += (keys.empty() ? "" : ", ") + key;
        }
        fmt::print(stderr,
                   "ovfkit: warning: {} user-configurable propert{} no value and get{} an empty "
                   "one (set with --prop KEY=VALUE): {}\n",
                   report->properties.missing.size(),
                   report->properties.missing.size() == 1 ? "y has" : "ies have",
                   report->properties.missing.size() == 1 ? "s" : "", terminal_safe(keys));
    }
    if (o.op.xml_only && o.op.output.empty()) {
        std::fwrite(report->xml.data(), 1, report->xml.size(), stdout);
        return 0;
    }
    if (!o.common.quiet) {
        size_t from_user = 0;
        for (const auto& v : report->properties.values) {
            from_user += v.from_user ? 1 : 0;
        }
        fmt::print("{}: OVF environment of \"{}\"{} ({} properties, {} set with --prop) written "
                   "as {}\n",
                   terminal_safe(report->output), terminal_safe(report->system),
                   report->deployment_option.empty()
                       ? std::string()
                       : fmt::format(", deployment option \"{}\"",
                                     terminal_safe(report->deployment_option)),
                   report->properties.values.size(), from_user,
                   report->format == "iso" ? "an ISO 9660 image" : "ovf-env.xml");
    }
    return 0;
}

} // namespace

void add_env_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "env", "Write the OVF environment (ovf-env.xml) of an appliance on an ISO image");
    auto opts = std::make_shared<EnvOptions>();
    sub->add_option("SOURCE", opts->op.source,
                    "An .ovf file, a directory holding one, an .ova, - (stdin) or an http(s) URL")
        ->required();
    sub->add_option("--prop", opts->props,
                    "KEY=VALUE for a user-configurable property (repeatable); KEY is the full "
                    "[class.]key[.instance] or a shorter form when unambiguous")
        ->allow_extra_args(false);
    sub->add_option("--deployment-option", opts->deployment_option,
                    "The Configuration to deploy (default: the appliance's default)");
    sub->add_option("--system", opts->op.system,
                    "The VirtualSystem (or collection) id the environment is for (needed when "
                    "there are several)");
    sub->add_option("-o,--output", opts->op.output, "The ISO to write (with --xml-only: the XML)");
    sub->add_flag("--xml-only", opts->op.xml_only,
                  "Write ovf-env.xml itself instead of an ISO (to stdout without -o)");
    sub->add_flag("--force", opts->op.force, "Replace an existing output");
    add_remote_options(*sub, opts->op.remote);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
