// The shared part of the vendor dialects' envelopes; see dialect_envelope.hpp.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <ovfkit/platform/dialect_envelope.hpp>

namespace ovfkit::platform {

namespace {

// The Content of `out` at the place `target` has in `src` (same tree).
ovf::Content* counterpart(const ovf::Content& src, ovf::Content& out, const ovf::Content* target) {
    if (&src == target) {
        return &out;
    }
    for (size_t i = 0; i < src.children.size() && i < out.children.size(); ++i) {
        if (auto* found = counterpart(src.children[i], out.children[i], target)) {
            return found;
        }
    }
    return nullptr;
}

} // namespace

const ovf::Content* source_system(const ovf::Envelope& source, const PlanVm& vm) {
    // PlanVm::path is the ids from the root, "vapp/web"; a lone system is its id.
    const ovf::Content* by_id = nullptr;
    for (const ovf::Content* c : ovf::virtual_systems(source)) {
        if (c->id == vm.system_id && by_id == nullptr) {
            by_id = c;
        }
    }
    if (vm.path.empty() || vm.path == vm.system_id) {
        return by_id;
    }
    const ovf::Content* at = &source.content;
    std::string_view path = vm.path;
    bool first = true;
    for (size_t i = 0; i <= path.size();) {
        size_t end = std::min(path.find('/', i), path.size());
        std::string_view id = path.substr(i, end - i);
        if (!(first && at->id == id)) {
            auto it = std::find_if(at->children.begin(), at->children.end(),
                                   [&](const ovf::Content& c) { return c.id == id; });
            if (it == at->children.end()) {
                return by_id;
            }
            at = &*it;
        }
        first = false;
        i = end + 1;
    }
    return at->kind == ovf::ContentKind::virtual_system ? at : by_id;
}

void declare_namespace(ovf::Envelope& env, std::string_view prefix, std::string_view uri) {
    bool declared = std::any_of(env.namespaces.begin(), env.namespaces.end(),
                                [&](const ovf::NamespaceDecl& n) { return n.uri == uri; });
    if (!declared) {
        env.namespaces.push_back({std::string(prefix), std::string(uri)});
    }
}

void drop_placeholder_sizes(ovf::Envelope& env) {
    for (auto& f : env.references.files) {
        if (f.size &&
            (f.size->empty() || f.size->find_first_not_of("0123456789") != std::string::npos)) {
            f.size.reset();
        }
    }
}

std::map<std::string, std::string> environment_files(ovf::Envelope& env, const ExportPlan& plan) {
    std::map<std::string, std::string> out; // file name -> File id
    std::set<std::string> file_ids;
    for (const auto& f : env.references.files) {
        file_ids.insert(f.id);
    }
    for (const auto& vm : plan.vms) {
        const PlanCdrom* cd = environment_cdrom(vm);
        if (cd == nullptr || cd->file_name.empty() || out.contains(cd->file_name)) {
            continue;
        }
        std::string id;
        for (const auto& f : env.references.files) {
            if (f.href == cd->file_name) {
                id = f.id;
            }
        }
        if (id.empty()) {
            id = "ovf-env";
            for (int n = 2; file_ids.contains(id); ++n) {
                id = fmt::format("ovf-env-{}", n);
            }
            ovf::File f;
            f.id = id;
            f.href = cd->file_name;
            env.references.files.push_back(std::move(f));
            file_ids.insert(id);
        }
        out[cd->file_name] = id;
    }
    return out;
}

ovf::DiskSection plan_disks(const ExportPlan& plan, std::string info, std::string_view format_uri,
                            const std::function<void(const PlanDisk&, ovf::Disk&)>& decorate) {
    ovf::DiskSection disks;
    disks.header.info = msg(std::move(info));
    std::set<std::string> disk_ids;
    for (const auto& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            if (!disk_ids.insert(d.disk_id).second) {
                continue;
            }
            ovf::Disk disk;
            disk.disk_id = d.disk_id;
            if (!d.file_id.empty()) {
                disk.file_ref = d.file_id;
            }
            disk.capacity = fmt::format("{}", d.capacity_bytes);
            disk.capacity_allocation_units = "byte";
            if (!format_uri.empty()) {
                disk.format = std::string(format_uri);
            }
            if (decorate) {
                decorate(d, disk);
            }
            disks.disks.push_back(std::move(disk));
        }
    }
    return disks;
}

ovf::NetworkSection plan_networks(const ovf::Envelope& source, const ExportPlan& plan,
                                  std::string info, bool appliance_names,
                                  const std::function<std::string(const std::string&)>& describe) {
    const auto* src_networks = source.find<ovf::NetworkSection>();
    ovf::NetworkSection networks;
    networks.header.info = msg(std::move(info));
    std::set<std::string> names;
    for (const auto& vm : plan.vms) {
        for (const auto& nic : vm.nics) {
            const std::string& name = appliance_names ? nic.ovf_network : nic.network;
            if ((appliance_names && name.empty()) || !names.insert(name).second) {
                continue;
            }
            ovf::Network n;
            n.name = name;
            if (src_networks != nullptr) {
                for (const auto& s : src_networks->networks) {
                    if (s.name == nic.ovf_network) {
                        n.description = s.description;
                    }
                }
            }
            if (!n.description) {
                n.description = msg(describe(name));
            }
            networks.networks.push_back(std::move(n));
        }
    }
    return networks;
}

void splice_envelope_sections(ovf::Envelope& out, const ovf::Envelope& source,
                              ovf::DiskSection disks, ovf::NetworkSection networks,
                              const DropSection& drop) {
    std::vector<ovf::Section> sections;
    bool disks_done = false;
    bool networks_done = false;
    for (const auto& s : source.sections) {
        if (std::holds_alternative<ovf::DiskSection>(s)) {
            if (!disks_done && !disks.disks.empty()) {
                sections.emplace_back(disks);
            }
            disks_done = true;
        } else if (std::holds_alternative<ovf::NetworkSection>(s)) {
            if (!networks_done) {
                sections.emplace_back(networks.networks.empty() ? s : ovf::Section(networks));
            }
            networks_done = true;
        } else if (!std::holds_alternative<ovf::DeploymentOptionSection>(s) && !(drop && drop(s))) {
            sections.push_back(s);
        }
    }
    // DiskSection and NetworkSection come first in an envelope (DSP0243).
    if (!networks_done && !networks.networks.empty()) {
        sections.insert(sections.begin(), std::move(networks));
    }
    if (!disks_done && !disks.disks.empty()) {
        sections.insert(sections.begin(), std::move(disks));
    }
    // Unknown envelope elements keep their place only while the count of
    // modelled children is the same; otherwise they go last.
    if (sections.size() != source.sections.size()) {
        for (auto& e : out.extra.elements) {
            e.position = UINT32_MAX;
        }
    }
    out.sections = std::move(sections);
}

Result<void> rebuild_systems(
    ovf::Envelope& out, const ovf::Envelope& source, const ExportPlan& plan,
    std::string_view target,
    const std::function<Result<DialectSystem>(const PlanVm&, const ovf::Content&)>& build,
    const DropSection& drop) {
    for (const auto& vm : plan.vms) {
        const ovf::Content* src = source_system(source, vm);
        ovf::Content* dst =
            src != nullptr ? counterpart(source.content, out.content, src) : nullptr;
        if (dst == nullptr) {
            return fail(Errc::invalid, "{}: VM '{}' is not a VirtualSystem of the source", target,
                        vm.path);
        }
        OVFKIT_TRY_ASSIGN(DialectSystem parts, build(vm, *src));
        std::vector<ovf::Section> vs;
        bool os_done = false;
        bool hw_done = false;
        for (const auto& s : src->sections) {
            if (std::holds_alternative<ovf::OperatingSystemSection>(s)) {
                if (!os_done) {
                    vs.emplace_back(parts.os);
                }
                os_done = true;
            } else if (std::holds_alternative<ovf::VirtualHardwareSection>(s)) {
                if (!hw_done) {
                    vs.emplace_back(parts.hardware);
                }
                hw_done = true;
            } else if (std::holds_alternative<ovf::DeploymentOptionSection>(s) ||
                       (drop && drop(s))) {
                continue;
            } else if (const auto* p = std::get_if<ovf::ProductSection>(&s)) {
                ovf::ProductSection copy = *p;
                collapse_product(copy, plan);
                vs.emplace_back(std::move(copy));
            } else {
                vs.push_back(s);
            }
        }
        if (!hw_done) {
            vs.insert(vs.begin(), std::move(parts.hardware));
        }
        if (!os_done) {
            vs.insert(vs.begin(), std::move(parts.os));
        }
        if (parts.last) {
            vs.push_back(std::move(*parts.last));
        }
        // As on the envelope: unknown elements keep their place only while
        // the system's modelled children are the same.
        if (vs.size() != src->sections.size() || !src->name || parts.last) {
            for (auto& e : dst->extra.elements) {
                e.position = UINT32_MAX;
            }
        }
        dst->sections = std::move(vs);
        dst->name = msg(vm.name);
    }
    return {};
}

void collapse_product(ovf::ProductSection& product, const ExportPlan& plan) {
    const std::string& option = plan.deployment_option;
    for (auto& p : product.properties) {
        for (const auto& v : p.values) {
            if (!option.empty() && v.configuration && *v.configuration == option) {
                p.value = v.value;
            }
        }
        p.values.clear();
        p.configuration.reset();
        if (auto it = plan.user_properties.find(product.qualified_key(p));
            it != plan.user_properties.end()) {
            p.value = it->second;
        }
    }
}

} // namespace ovfkit::platform
