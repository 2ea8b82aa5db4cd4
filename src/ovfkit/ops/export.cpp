// The export engine; see export.hpp.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/ops/export.hpp>
#include <ovfkit/ops/export_archive.hpp>
#include <ovfkit/ops/export_plan.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/libvirt/connect.hpp>

namespace ovfkit::ops {

using platform::ExportPlan;
using platform::NoteAction;
using platform::PlanVm;

namespace {

// Whether `uri` is one of the URIs the disk driver `driver` answers to.
bool names_driver(std::string_view uri, std::string_view driver) {
    const std::string want = disk::normalized_uri(uri);
    for (const disk::FormatDriver* d : disk::formats::all()) {
        if (d->name != driver) {
            continue;
        }
        for (std::string_view u : d->ovf_uris) {
            if (disk::normalized_uri(u) == want) {
                return true;
            }
        }
    }
    return false;
}

std::string known_targets() {
    std::string out;
    for (const platform::ExportTarget& t : platform::export_targets()) {
        out += out.empty() ? std::string(t.name) : ", " + std::string(t.name);
    }
    return out;
}

std::string unique(std::string name, std::set<std::string>& taken) {
    if (taken.insert(name).second) {
        return name;
    }
    auto dot = name.rfind('.');
    std::string stem = dot == std::string::npos ? name : name.substr(0, dot);
    std::string ext = dot == std::string::npos ? std::string{} : name.substr(dot);
    for (unsigned i = 2;; ++i) {
        std::string candidate = fmt::format("{}-{}{}", stem, i, ext);
        if (taken.insert(candidate).second) {
            return candidate;
        }
    }
}

// Where the environment CD goes before the target maps the VM: a free slot
// of an IDE controller the VM has (units 0-1), else a new SATA controller.
// True when it added that controller (noted once the target has mapped
// the VM: the target may move the drive, as Hyper-V and Proxmox do).
bool add_environment_cdrom(PlanVm& vm) {
    platform::PlanCdrom cd;
    cd.environment = true;
    for (const platform::PlanController& c : vm.controllers) {
        if (c.bus != platform::Bus::ide) {
            continue;
        }
        for (unsigned unit = 0; unit < 2; ++unit) {
            bool used = std::any_of(vm.disks.begin(), vm.disks.end(),
                                    [&](const auto& d) {
                                        return d.controller == c.id && d.unit == unit;
                                    }) ||
                        std::any_of(vm.cdroms.begin(), vm.cdroms.end(), [&](const auto& d) {
                            return d.controller == c.id && d.unit == unit;
                        });
            if (!used) {
                cd.controller = c.id;
                cd.unit = unit;
                vm.cdroms.push_back(std::move(cd));
                return false;
            }
        }
    }
    unsigned index = 0;
    for (const auto& c : vm.controllers) {
        index += c.bus == platform::Bus::sata ? 1 : 0;
    }
    std::string id = "plan-environment";
    vm.controllers.push_back({id, platform::Bus::sata, "ahci", index});
    cd.controller = id;
    cd.unit = 0;
    vm.cdroms.push_back(std::move(cd));
    return true;
}

// The note for a controller added for the environment CD, where the
// target's mapping left the drive (none when the target dropped it).
void note_environment_cdrom(const PlanVm& vm, platform::PlanNotes& notes) {
    for (const platform::PlanCdrom& cd : vm.cdroms) {
        const platform::PlanController* c = cd.environment ? vm.controller(cd.controller) : nullptr;
        if (c != nullptr) {
            notes.add("env-cdrom", NoteAction::added, vm,
                      fmt::format("{} controller", platform::bus_label(c->bus)),
                      "holds the CD-ROM drive of the OVF environment ISO");
            return;
        }
    }
}

Result<void> check_eulas(const ExportOptions& options, const ovf::Envelope& env,
                         ExportReport& report) {
    std::vector<deploy::Eula> eulas = deploy::eulas(env);
    if (eulas.empty()) {
        return {};
    }
    std::string how;
    if (options.accept_eula) {
        how = "--accept-eula";
    } else if (options.confirm_eulas && !options.dry_run) {
        if (!options.confirm_eulas(eulas)) {
            return fail(Errc::refused,
                        "{}: the license agreement was not accepted; nothing "
                        "was written",
                        options.source);
        }
        how = "interactive";
    } else if (options.dry_run) {
        how = "";
    } else {
        return fail(Errc::refused,
                    "{}: the appliance has {} license agreement{}; read {} (ovfkit info --eula) "
                    "and pass --accept-eula to accept {}",
                    options.source, eulas.size(), eulas.size() == 1 ? "" : "s",
                    eulas.size() == 1 ? "it" : "them", eulas.size() == 1 ? "it" : "them");
    }
    for (const deploy::Eula& e : eulas) {
        report.eulas.push_back({e.system_id, e.sha256, how});
    }
    return {};
}

// File names in the target: disks "<vm>-disk<N><ext>", environment ISOs
// "<vm>-env.iso"; unique in the directory.
Result<void> name_files(ExportPlan& plan, const disk::FormatDriver* driver) {
    std::set<std::string> taken;
    std::map<std::string, std::string> by_file; // a file two disks share is written once
    std::map<std::string, Uuid> uuid_by_file;
    std::string_view ext = driver != nullptr ? disk::file_extension(*driver) : "";
    for (PlanVm& vm : plan.vms) {
        std::string stem = platform::file_stem(vm.name, vm.system_id);
        unsigned n = 0;
        for (platform::PlanDisk& d : vm.disks) {
            ++n;
            if (driver == nullptr) {
                continue;
            }
            d.format = std::string(driver->name);
            if (auto it = by_file.find(d.file_id); !d.file_id.empty() && it != by_file.end()) {
                d.file_name = it->second;
                d.uuid = uuid_by_file[d.file_id];
                continue;
            }
            d.file_name = unique(fmt::format("{}-disk{}{}", stem, n, ext), taken);
            OVFKIT_TRY_ASSIGN(Uuid id, random_uuid());
            d.uuid = id;
            if (!d.file_id.empty()) {
                by_file[d.file_id] = d.file_name;
                uuid_by_file[d.file_id] = id;
            }
        }
        for (platform::PlanCdrom& c : vm.cdroms) {
            if (c.environment) {
                c.file_name = unique(stem + "-env.iso", taken);
            }
        }
    }
    return {};
}

std::string absolute(const std::string& path) {
    if (!path.empty() && path.front() == '/') {
        return path;
    }
    std::string cwd;
    if (char* d = ::getcwd(nullptr, 0)) {
        cwd = d;
        ::free(d);
    }
    return cwd + "/" + path;
}

// A plan the target refuses (NoteAction::refused: a cloud's documented
// limit) is not written, nor shown as a plan that would work: one line
// naming every refusal, Errc::refused.
Result<void> check_refusals(const ExportPlan& plan) {
    std::string what;
    size_t count = 0;
    for (const platform::PlanNote& n : plan.notes) {
        if (n.action == NoteAction::refused) {
            ++count;
            what += fmt::format("{}{}: {}: {} ({})", what.empty() ? "" : "; ", n.vm, n.item,
                                n.reason, n.code);
        }
    }
    if (count == 0) {
        return {};
    }
    return fail(Errc::refused, "--to {} refuses the plan ({} refusal{}): {}", plan.target, count,
                count == 1 ? "" : "s", what);
}

} // namespace

Result<ExportReport> export_appliance(const ExportOptions& options, const JobControl& control) {
    const platform::ExportTarget* target = platform::find_export_target(options.to);
    if (target == nullptr) {
        return fail(Errc::usage, "--to {}: unknown target (known: {})", options.to,
                    known_targets());
    }
    std::string format = options.disk_format.empty() ? std::string(target->default_disk_format)
                                                     : options.disk_format;
    if (!options.disk_format.empty() && !target->disk_formats.empty() &&
        std::find(target->disk_formats.begin(), target->disk_formats.end(), options.disk_format) ==
            target->disk_formats.end()) {
        std::string allowed;
        for (std::string_view f : target->disk_formats) {
            allowed += allowed.empty() ? std::string(f) : ", " + std::string(f);
        }
        return fail(Errc::usage, "--disk-format {}: --to {} takes {}", options.disk_format,
                    target->name, allowed);
    }
    if (target->form == platform::TargetForm::archive && target->disk_formats.empty() &&
        !options.disk_format.empty()) {
        return fail(Errc::usage, "--disk-format {}: --to {} lays its disks out itself",
                    options.disk_format, target->name);
    }
    const disk::FormatDriver* driver = nullptr;
    if (!format.empty()) {
        OVFKIT_TRY_ASSIGN(driver, disk::driver_by_name(format));
    }
    if (!options.define_uri.empty() && target->name != "libvirt") {
        return fail(Errc::usage, "--define: only --to libvirt defines domains");
    }
    if (!options.block_checksum.empty()) {
        const auto& sums = target->block_checksums;
        if (sums.empty()) {
            return fail(Errc::usage, "--xva-checksum: --to {} writes no block checksums",
                        target->name);
        }
        if (std::find(sums.begin(), sums.end(), options.block_checksum) == sums.end()) {
            return fail(Errc::usage, "--xva-checksum {}: --to {} takes {}", options.block_checksum,
                        target->name, fmt::join(sums, ", "));
        }
    }

    ExportReport report;
    report.source = options.source;
    report.target = options.target;
    report.to = std::string(target->name);
    report.dry_run = options.dry_run;

    Diagnostics diag;
    platform::ImportOptions import = options.package.import;
    import.keep_macs = import.keep_macs || options.keep_macs;
    OVFKIT_TRY_ASSIGN(package::Source src,
                      open_package(options.source, diag, options.remote, &control, import));
    Diagnostics read_diag;
    OVFKIT_TRY_ASSIGN(ovf::Envelope env,
                      ovf::read_descriptor(src.descriptor(), src.descriptor_name(), read_diag));

    // Deployment inputs.
    OVFKIT_TRY_ASSIGN(std::string option,
                      deploy::choose_deployment_option(env, options.deployment_option));
    OVFKIT_TRY_ASSIGN(report.properties,
                      deploy::resolve_properties(env, option, options.properties));
    OVFKIT_TRY(check_eulas(options, env, report));

    // The plan.
    ExportPlan& plan = report.plan;
    plan.target = std::string(target->name);
    plan.deployment_option = option;
    plan.disk_format = format;
    plan.directory =
        target->form == platform::TargetForm::directory ? absolute(options.target) : std::string{};
    if (env.content.kind == ovf::ContentKind::collection) {
        plan.collection_name = env.content.name ? env.content.name->text : env.content.id;
    }
    for (const deploy::PropertyValue& v : report.properties.values) {
        if (v.from_user) {
            plan.user_properties[v.key] = v.value;
        }
    }
    export_detail::PlanInputs inputs;
    inputs.configuration = option;
    for (const auto& [from, to] : options.networks) {
        inputs.networks[from] = to;
    }
    inputs.name = options.name;
    inputs.cpus = options.cpus;
    inputs.memory_bytes = options.memory_bytes;
    inputs.memory_min_bytes = options.memory_min_bytes;
    inputs.memory_max_bytes = options.memory_max_bytes;
    inputs.keep_macs = options.keep_macs;
    inputs.rebuilds_hardware = target->rebuilds_hardware;
    platform::PlanNotes notes;
    OVFKIT_TRY_ASSIGN(plan.vms, export_detail::neutral_plan(env, inputs, notes));
    if (plan.vms.empty()) {
        return fail(Errc::invalid, "{}: the appliance has no virtual system to export",
                    options.source);
    }
    for (PlanVm& vm : plan.vms) {
        if (vm.memory_min_bytes == 0 && vm.memory_max_bytes == 0) {
            continue;
        }
        if (vm.memory_min_bytes > vm.memory_bytes || vm.memory_max_bytes < vm.memory_bytes) {
            return fail(Errc::usage,
                        "--memory-min/--memory-max: {} starts with {} bytes of memory, outside "
                        "the range {}-{} bytes",
                        vm.path, vm.memory_bytes, vm.memory_min_bytes, vm.memory_max_bytes);
        }
        if (!target->dynamic_memory) {
            notes.add("memory-dynamic", NoteAction::info, vm, "Memory",
                      fmt::format("--to {} gives the VM a fixed memory size; --memory-min and "
                                  "--memory-max are ignored",
                                  target->name));
            vm.memory_min_bytes = 0;
            vm.memory_max_bytes = 0;
        }
    }
    const bool directory = target->form == platform::TargetForm::directory;
    const bool archive = target->form == platform::TargetForm::archive;
    for (const std::string& key : report.properties.missing) {
        notes.add("property-missing", NoteAction::info, plan.vms.front(), key,
                  "user-configurable and without a value: the guest gets none (--prop " + key +
                      "=VALUE sets one)");
    }
    for (PlanVm& vm : plan.vms) {
        bool added_controller = false;
        if ((directory || archive) && !report.properties.values.empty()) {
            vm.environment_xml =
                deploy::environment_xml(env, vm.system_id, report.properties.values);
            added_controller = add_environment_cdrom(vm);
        }
        platform::MapContext context;
        context.disk_format = format;
        context.source = &env;
        context.deployment_option = option;
        context.boot_layout = [&](const platform::PlanDisk& d) -> Result<disk::BootLayout> {
            // Chunked or compressed references spool beside the target.
            std::string spool = std::filesystem::path(options.target).parent_path().string();
            OVFKIT_TRY_ASSIGN(auto image, export_detail::open_plan_disk(
                                              src, env, d, spool.empty() ? "." : spool));
            return disk::inspect_boot_layout(*image->reader);
        };
        target->map(vm, context, notes);
        if (added_controller) {
            note_environment_cdrom(vm, notes);
        }
    }
    OVFKIT_TRY(name_files(plan, directory || archive ? driver : nullptr));
    plan.notes = notes.all();
    report.findings = diag.findings();
    OVFKIT_TRY(check_refusals(plan));

    if (options.dry_run) {
        return report;
    }
    if (options.strict && notes.dropped() > 0) {
        for (const platform::PlanNote& n : plan.notes) {
            if (n.action == NoteAction::dropped) {
                return fail(Errc::invalid,
                            "--strict: the plan drops {} item{}, first {} of {}: {} ({})",
                            notes.dropped(), notes.dropped() == 1 ? "" : "s", n.item, n.vm,
                            n.reason, n.code);
            }
        }
    }

    // The writing.
    if (archive) {
        export_detail::ArchiveRequest request;
        request.path = options.target;
        request.force = options.force;
        request.threads = options.threads;
        request.mtime = options.package.mtime.value_or(0);
        request.block_checksum = options.block_checksum;
        if (!options.package.mtime) {
            struct stat st {};
            if (::stat((src.path() + "/" + src.descriptor_name()).c_str(), &st) == 0 ||
                ::stat(src.path().c_str(), &st) == 0) {
                request.mtime = static_cast<uint64_t>(st.st_mtime);
            }
        }
        OVFKIT_TRY_ASSIGN(auto written,
                          export_detail::write_archive(*target, plan, src, env, request, control));
        ConvertedFile f;
        f.name = std::string(base_name(options.target));
        f.size = written.size;
        f.converted = true;
        f.format = std::string(target->name);
        report.files.push_back(std::move(f));
        report.extra_files = std::move(written.beside);
        report.bytes_written = written.size + written.beside_bytes;
        return report;
    }
    ConvertOptions copts = options.package;
    copts.source = options.source;
    copts.target = options.target;
    copts.force = options.force;
    copts.threads = options.threads;
    copts.remote = options.remote;
    copts.disk_format = format;
    if (directory) {
        // Only the disks the plan uses are carried.
        auto shaped = std::make_shared<ovf::Envelope>(env);
        std::set<std::string> used;
        for (const PlanVm& vm : plan.vms) {
            for (const platform::PlanDisk& d : vm.disks) {
                if (!d.file_id.empty()) {
                    used.insert(d.file_id);
                    copts.shape.file_names[d.file_id] = d.file_name;
                    if (d.target_capacity_bytes != 0) {
                        copts.shape.capacities[d.file_id] = d.target_capacity_bytes;
                    }
                    if (d.uuid) {
                        copts.shape.disk_uuids[d.file_id] = *d.uuid;
                    }
                } else {
                    copts.shape.blank_disks.push_back(
                        {d.file_name, d.format, std::max(d.capacity_bytes, d.target_capacity_bytes),
                         d.uuid});
                }
            }
        }
        auto& files = shaped->references.files;
        files.erase(std::remove_if(files.begin(), files.end(),
                                   [&](const ovf::File& f) { return !used.contains(f.id); }),
                    files.end());
        copts.form = PackageForm::directory;
        copts.shape.envelope = std::move(shaped);
        copts.shape.files_only = true;
        copts.no_manifest = true;
        const ExportPlan* final_plan = &plan;
        copts.shape.extra =
            [target, final_plan](
                const std::vector<ConvertedFile>& written) -> Result<std::vector<ExtraFile>> {
            // The configs state each disk's size as written (a descriptor's
            // capacity may be smaller than its disk's, a target may round).
            ExportPlan as_written = *final_plan;
            for (PlanVm& vm : as_written.vms) {
                for (platform::PlanDisk& d : vm.disks) {
                    for (const ConvertedFile& f : written) {
                        if (f.name == d.file_name && f.virtual_size != 0) {
                            d.capacity_bytes = f.virtual_size;
                        }
                    }
                }
            }
            std::vector<ExtraFile> out;
            for (const PlanVm& vm : final_plan->vms) {
                for (const platform::PlanCdrom& c : vm.cdroms) {
                    if (c.environment) {
                        OVFKIT_TRY_ASSIGN(auto iso, deploy::environment_iso(vm.environment_xml));
                        out.push_back(
                            {c.file_name,
                             std::string(reinterpret_cast<const char*>(iso.data()), iso.size()),
                             false});
                    }
                }
            }
            OVFKIT_TRY_ASSIGN(auto configs, target->write_files(as_written));
            for (platform::OutputFile& f : configs) {
                out.push_back({std::move(f.name), std::move(f.content), f.executable});
            }
            return out;
        };
    } else {
        OVFKIT_TRY_ASSIGN(ovf::Envelope shaped, target->envelope(env, plan));
        // The disks are read as the source describes them; the converter
        // writes each converted disk's new format URI itself.
        std::map<std::string, std::optional<std::string>> source_formats;
        for (const auto* ds : ovf::find_all<ovf::DiskSection>(env.sections)) {
            for (const ovf::Disk& d : ds->disks) {
                source_formats.emplace(d.disk_id, d.format);
            }
        }
        // A target that spells the written driver's URI its own way (one
        // the driver answers to, not its first) keeps its spelling.
        std::map<std::string, std::string> own_uris;
        for (ovf::Section& section : shaped.sections) {
            if (auto* ds = std::get_if<ovf::DiskSection>(&section)) {
                for (ovf::Disk& d : ds->disks) {
                    if (d.format && names_driver(*d.format, plan.disk_format)) {
                        own_uris[d.disk_id] = *d.format;
                    }
                    if (auto it = source_formats.find(d.disk_id); it != source_formats.end()) {
                        d.format = it->second;
                    }
                }
            }
        }
        copts.shape.disk_format_uris = std::move(own_uris);
        if (!(shaped == env)) {
            // Unchanged, the descriptor (and a manifest, a signature) is
            // carried byte for byte.
            copts.shape.envelope = std::make_shared<ovf::Envelope>(std::move(shaped));
        }
        if (target->name == "ova" || target->name == "aws" || target->name.ends_with("-ova")) {
            copts.form = PackageForm::ova;
        } else if (target->name == "ovf") {
            copts.form = PackageForm::directory;
        }
    }
    OVFKIT_TRY_ASSIGN(ConvertReport written, convert_opened(copts, src, diag, control));
    report.files = std::move(written.files);
    report.extra_files = std::move(written.extra_files);
    report.bytes_written = written.bytes_written;
    report.findings = std::move(written.findings);
    if (!options.define_uri.empty()) {
        // After the export is whole on disk: the volumes are uploaded from
        // the files just written (platform/libvirt/connect.hpp).
        OVFKIT_TRY_ASSIGN(auto defined,
                          platform::libvirt::define_in_libvirt(
                              plan, options.define_uri, options.pool, options.force, control));
        for (const auto& d : defined.domains) {
            report.defined.push_back(d.name);
            for (const auto& v : d.volumes) {
                report.defined.push_back(v.path);
            }
        }
    }
    return report;
}

nlohmann::json to_json(const ExportReport& r) {
    nlohmann::json doc = json_document();
    nlohmann::json vms = nlohmann::json::array();
    for (const PlanVm& vm : r.plan.vms) {
        vms.push_back(platform::to_json(vm));
    }
    nlohmann::json notes = nlohmann::json::array();
    for (const platform::PlanNote& n : r.plan.notes) {
        notes.push_back(platform::to_json(n));
    }
    nlohmann::json eulas = nlohmann::json::array();
    for (const EulaAcceptance& e : r.eulas) {
        eulas.push_back({{"system_id", e.system_id},
                         {"sha256", e.sha256},
                         {"accepted", !e.how.empty()},
                         {"how", e.how.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.how)}});
    }
    nlohmann::json files = nlohmann::json::array();
    for (const ConvertedFile& f : r.files) {
        nlohmann::json j{{"name", f.name},
                         {"source_name", f.source_name},
                         {"size", f.size},
                         {"action", f.converted ? "converted" : "copied"}};
        if (!f.format.empty()) {
            j["format"] = f.format;
        }
        files.push_back(std::move(j));
    }
    nlohmann::json props = deploy::to_json(r.properties);
    doc.update({{"source", r.source},
                {"target", r.target},
                {"to", r.to},
                {"dry_run", r.dry_run},
                {"deployment_option", r.plan.deployment_option.empty()
                                          ? nlohmann::json(nullptr)
                                          : nlohmann::json(r.plan.deployment_option)},
                {"disk_format", r.plan.disk_format},
                {"vms", std::move(vms)},
                {"notes", std::move(notes)},
                {"properties", props.value("properties", nlohmann::json::array())},
                {"missing_properties", props.value("missing", nlohmann::json::array())},
                {"eulas", std::move(eulas)},
                {"files", std::move(files)},
                {"extra_files", r.extra_files},
                {"bytes_written", r.bytes_written},
                {"defined", r.defined},
                {"findings", findings_json(r.findings)}});
    return doc;
}

} // namespace ovfkit::ops
