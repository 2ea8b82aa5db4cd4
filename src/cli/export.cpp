// ovfkit convert SOURCE TARGET --to PLATFORM [--dry-run] [--strict]
//     [--deployment-option ID] [--prop KEY=VALUE]... [--net OVF=TARGET]...
//     [--name NAME] [--cpus N] [--memory SIZE] [--memory-min SIZE --memory-max SIZE]
//     [--accept-eula] [--keep-macs]
//     [--define URI --pool NAME] [--xva-checksum sha1|xxhash]
//
// Exit codes: 0 written (or planned, with --dry-run); 1 the plan drops
// something under --strict, or the appliance cannot be planned or carried;
// 2 usage (unknown target, option, property or network, a bad value);
// 3 I/O; 4 refused (a license agreement not accepted, files that do not
// match the source's manifest, an existing target without --force).
#include <tuple>

#include <fmt/format.h>

#include <ovfkit/base/units.hpp>
#include <ovfkit/deploy/properties.hpp>
#include <ovfkit/platform/export_target.hpp>

#include <cli/eula_prompt.hpp>
#include <cli/export.hpp>
#include <cli/operation.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

std::string target_list() {
    std::string out;
    for (const auto& t : platform::export_targets()) {
        out += out.empty() ? std::string(t.name) : ", " + std::string(t.name);
    }
    return out;
}

Result<std::pair<std::string, std::string>> split_pair(const std::string& text,
                                                       std::string_view option) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        return fail(Errc::usage, "{} {}: write OVF_NAME=TARGET_NAME", option, text);
    }
    return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

void print_plan(const ops::ExportReport& r, std::FILE* to) {
    const platform::ExportPlan& plan = r.plan;
    fmt::print(to, "{} -> {} ({}){}{}\n", terminal_safe(r.source), terminal_safe(r.target), r.to,
               plan.deployment_option.empty()
                   ? ""
                   : fmt::format(", deployment option {}", terminal_safe(plan.deployment_option)),
               plan.disk_format.empty() ? "" : fmt::format(", disks as {}", plan.disk_format));
    for (const platform::PlanVm& vm : plan.vms) {
        fmt::print(to, "  VM {}: {}, {} CPU{}, {} memory, {}{}{}\n", terminal_safe(vm.name),
                   vm.os.row != nullptr ? vm.os.row->display : "?", vm.cpus,
                   vm.cpus == 1 ? "" : "s", format_size(vm.memory_bytes),
                   vm.firmware == platform::Firmware::efi ? "UEFI" : "BIOS",
                   vm.secure_boot ? " + Secure Boot" : "",
                   vm.machine.empty() ? "" : fmt::format(", {}", vm.machine));
        for (const platform::PlanDisk& d : vm.disks) {
            const platform::PlanController* c = vm.controller(d.controller);
            fmt::print(to, "    disk {} on {} {}:{}{}{}\n", terminal_safe(d.disk_id),
                       c != nullptr ? platform::bus_name(c->bus) : "?",
                       c != nullptr ? c->model : "?", d.unit,
                       d.file_name.empty() ? "" : " -> " + terminal_safe(d.file_name),
                       d.boot ? " (boot)" : "");
        }
        for (const platform::PlanCdrom& cd : vm.cdroms) {
            const platform::PlanController* c = vm.controller(cd.controller);
            fmt::print(to, "    CD-ROM on {}:{}{}\n",
                       c != nullptr ? platform::bus_name(c->bus) : "?", cd.unit,
                       cd.environment ? " with the OVF environment " + terminal_safe(cd.file_name)
                                      : "");
        }
        for (const platform::PlanNic& n : vm.nics) {
            fmt::print(to, "    NIC {} on network {}\n", n.model.empty() ? "(default)" : n.model,
                       terminal_safe(n.network.empty() ? "(none)" : n.network));
        }
    }
    for (const platform::PlanNote& n : plan.notes) {
        fmt::print(to, "  {}: {}: {}: {} [{}]\n", platform::note_action_name(n.action),
                   terminal_safe(n.vm), terminal_safe(n.item), terminal_safe(n.reason), n.code);
    }
    for (const ops::EulaAcceptance& e : r.eulas) {
        if (!e.how.empty()) {
            fmt::print(to, "  license {}accepted ({}), sha256 {}\n",
                       e.system_id.empty() ? "" : terminal_safe(e.system_id) + " ", e.how,
                       e.sha256);
        }
    }
}

} // namespace

void add_export_options(CLI::App& sub, ExportCliOptions& o) {
    sub.add_option("--to", o.to,
                   fmt::format("Write what this target imports and runs: {}", target_list()));
    sub.add_flag("--dry-run", o.op.dry_run, "With --to: print the plan, write nothing");
    sub.add_flag("--strict", o.op.strict,
                 "With --to: fail when the plan drops anything (a device, a setting)");
    sub.add_option("--deployment-option", o.op.deployment_option,
                   "With --to: the DeploymentOptionSection configuration to deploy");
    sub.add_option("--prop", o.props,
                   "With --to: set a property, KEY=VALUE (checked against its type)");
    sub.add_option("--net", o.nets, "With --to: connect OVF network NAME to TARGET, NAME=TARGET");
    sub.add_option("--name", o.op.name, "With --to: the VM's name (a prefix with several VMs)");
    sub.add_option("--cpus", o.op.cpus, "With --to: virtual CPUs")->check(CLI::Range(1u, 4096u));
    sub.add_option("--memory", o.memory, "With --to: memory, e.g. 4G or 4096M");
    sub.add_option("--memory-min", o.memory_min,
                   "With --to: dynamic memory, the least the VM may have (targets that "
                   "balloon: hyperv; the others note and ignore it)");
    sub.add_option("--memory-max", o.memory_max,
                   "With --to: dynamic memory, the most the VM may have (as --memory-min)");
    sub.add_flag("--accept-eula", o.op.accept_eula,
                 "With --to: accept the appliance's license agreements");
    sub.add_flag("--keep-macs", o.op.keep_macs,
                 "With --to, or importing a VM: keep the NICs' MAC addresses");
    sub.add_option("--define", o.op.define_uri,
                   "With --to libvirt: also define the domains at this libvirt URI");
    sub.add_option("--pool", o.op.pool, "With --define: the storage pool for the disks");
    sub.add_option("--xva-checksum", o.op.block_checksum,
                   "With --to xenserver: the blocks' checksums, sha1 (default: every xapi reads "
                   "it) or xxhash (faster; XenServer/Citrix Hypervisor 8.1+, XCP-ng 8.1+)");
}

int run_export(ExportCliOptions& o, const ops::ConvertOptions& package,
               const CommonOptions& common) {
    o.op.source = package.source;
    o.op.target = package.target;
    o.op.to = o.to;
    o.op.disk_format = package.disk_format;
    o.op.force = package.force;
    o.op.threads = package.threads;
    o.op.remote = package.remote;
    o.op.package = package;
    for (const std::string& p : o.props) {
        auto kv = deploy::parse_override(p);
        if (!kv) {
            return report_error(kv.error(), common.json);
        }
        o.op.properties.push_back(std::move(*kv));
    }
    for (const std::string& n : o.nets) {
        auto kv = split_pair(n, "--net");
        if (!kv) {
            return report_error(kv.error(), common.json);
        }
        o.op.networks.push_back(std::move(*kv));
    }
    if (!o.memory.empty()) {
        auto m = parse_size(o.memory);
        if (!m || *m == 0) {
            return report_error(
                Error{Errc::usage, fmt::format("--memory {}: write a size, e.g. 4G", o.memory)},
                common.json);
        }
        o.op.memory_bytes = *m;
    }
    for (auto [text, option, out] :
         {std::tuple{&o.memory_min, "--memory-min", &o.op.memory_min_bytes},
          std::tuple{&o.memory_max, "--memory-max", &o.op.memory_max_bytes}}) {
        if (text->empty()) {
            continue;
        }
        auto m = parse_size(*text);
        if (!m || *m == 0) {
            return report_error(
                Error{Errc::usage, fmt::format("{} {}: write a size, e.g. 1G", option, *text)},
                common.json);
        }
        *out = *m;
    }
    if (o.op.memory_min_bytes && o.op.memory_max_bytes &&
        *o.op.memory_min_bytes > *o.op.memory_max_bytes) {
        return report_error(
            Error{Errc::usage, fmt::format("--memory-min {} is more than --memory-max {}",
                                           o.memory_min, o.memory_max)},
            common.json);
    }
    if (o.op.target == "-") {
        return report_error(Error{Errc::usage, "--to writes files; name a target, not -"},
                            common.json);
    }
    if (!o.op.accept_eula && !common.json) {
        o.op.confirm_eulas = [](const std::vector<deploy::Eula>& eulas) {
            return accept_eulas_interactively(eulas);
        };
    }
    RunningOperation job("writing", common);
    auto report = ops::export_appliance(o.op, job.control);
    job.bar.finish(report.has_value());
    if (!report) {
        return report_error(report.error(), common.json);
    }
    print_warnings(report->findings, common.quiet, common.json);
    if (common.json) {
        print_json(ops::to_json(*report));
    } else if (!common.quiet) {
        print_plan(*report, stdout);
        if (!report->dry_run) {
            fmt::print("  written: {} disk file{}, {} other file{}, {}\n", report->files.size(),
                       report->files.size() == 1 ? "" : "s", report->extra_files.size(),
                       report->extra_files.size() == 1 ? "" : "s",
                       format_size(report->bytes_written));
        }
    }
    return 0;
}

} // namespace ovfkit::cli
