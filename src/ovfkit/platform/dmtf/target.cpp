// The neutral targets; see target.hpp.
#include <functional>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/platform/dmtf/target.hpp>

namespace ovfkit::platform::dmtf {

namespace {

bool listed(const std::optional<std::string>& configuration, std::string_view id) {
    if (!configuration) {
        return true;
    }
    std::string_view rest = *configuration;
    while (!rest.empty()) {
        auto space = rest.find_first_of(" \t\r\n");
        std::string_view token = rest.substr(0, space);
        if (token == id) {
            return true;
        }
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    }
    return false;
}

ovf::Content* find_content(ovf::Content& content, const std::string& id) {
    if (content.id == id) {
        return &content;
    }
    for (ovf::Content& child : content.children) {
        if (ovf::Content* c = find_content(child, id)) {
            return c;
        }
    }
    return nullptr;
}

void for_each_content(ovf::Content& content, const std::function<void(ovf::Content&)>& f) {
    f(content);
    for (ovf::Content& child : content.children) {
        for_each_content(child, f);
    }
}

// The items of `hw` a deployment of `option` uses (DSP0243 9.8): those for
// the option, and the generic ones no item for the option replaces.
std::vector<ovf::Item*> active_items(ovf::VirtualHardwareSection& hw, const std::string& option) {
    std::set<std::string> overridden;
    for (const ovf::Item& item : hw.items) {
        if (item.configuration && !option.empty() && listed(item.configuration, option)) {
            overridden.insert(item.instance_id().value_or(""));
        }
    }
    std::vector<ovf::Item*> out;
    for (ovf::Item& item : hw.items) {
        if (item.bound && *item.bound != "normal") {
            continue;
        }
        if (!option.empty() && !listed(item.configuration, option)) {
            continue;
        }
        if (!item.configuration && overridden.contains(item.instance_id().value_or(""))) {
            continue;
        }
        out.push_back(&item);
    }
    return out;
}

void apply_sizes(ovf::Content& system, const PlanVm& vm, const std::string& option) {
    for (ovf::Section& section : system.sections) {
        auto* hw = std::get_if<ovf::VirtualHardwareSection>(&section);
        if (hw == nullptr) {
            continue;
        }
        for (ovf::Item* item : active_items(*hw, option)) {
            auto type = item->resource_type_id();
            auto quantity = item->virtual_quantity();
            if (type == 3u) {
                auto n = quantity ? ovf::parse_u64(trim(*quantity), "cpus")
                                  : Result<uint64_t>(fail(Errc::invalid, "none"));
                if (!n || *n != vm.cpus) {
                    item->set(item->cim_ns(), "VirtualQuantity", std::to_string(vm.cpus));
                }
            } else if (type == 4u) {
                std::optional<uint64_t> bytes;
                if (quantity) {
                    auto b = ovf::capacity_bytes(trim(*quantity),
                                                 item->allocation_units().value_or("byte * 2^20"));
                    if (b) {
                        bytes = *b;
                    }
                }
                if (bytes != vm.memory_bytes) {
                    const uint64_t mib = uint64_t{1} << 20;
                    bool whole = vm.memory_bytes % mib == 0;
                    item->set(item->cim_ns(), "AllocationUnits", whole ? "byte * 2^20" : "byte");
                    item->set(item->cim_ns(), "VirtualQuantity",
                              std::to_string(whole ? vm.memory_bytes / mib : vm.memory_bytes));
                }
            }
        }
        break; // the first hardware section is the one planned
    }
}

void rename_networks(ovf::Envelope& env, const std::map<std::string, std::string>& renames) {
    if (renames.empty()) {
        return;
    }
    for (ovf::Section& section : env.sections) {
        if (auto* ns = std::get_if<ovf::NetworkSection>(&section)) {
            for (ovf::Network& n : ns->networks) {
                if (auto it = renames.find(n.name); it != renames.end()) {
                    n.name = it->second;
                }
            }
        }
    }
    for_each_content(env.content, [&](ovf::Content& c) {
        for (ovf::Section& section : c.sections) {
            auto* hw = std::get_if<ovf::VirtualHardwareSection>(&section);
            if (hw == nullptr) {
                continue;
            }
            for (ovf::Item& item : hw->items) {
                for (ovf::ItemField& f : item.fields) {
                    if (f.name != "Connection") {
                        continue;
                    }
                    if (auto it = renames.find(std::string(trim(f.value))); it != renames.end()) {
                        f.value = it->second;
                    }
                }
            }
        }
    });
}

void set_properties(ovf::Envelope& env, const std::map<std::string, std::string>& values) {
    if (values.empty()) {
        return;
    }
    auto apply = [&](std::vector<ovf::Section>& sections) {
        for (ovf::Section& section : sections) {
            auto* product = std::get_if<ovf::ProductSection>(&section);
            if (product == nullptr) {
                continue;
            }
            for (ovf::Property& p : product->properties) {
                if (auto it = values.find(product->qualified_key(p)); it != values.end()) {
                    p.value = it->second;
                    p.values.clear(); // the user's value holds for every option
                }
            }
        }
    };
    apply(env.sections);
    for_each_content(env.content, [&](ovf::Content& c) { apply(c.sections); });
}

void choose_option(ovf::Envelope& env, const std::string& option) {
    if (option.empty()) {
        return;
    }
    for (ovf::Section& section : env.sections) {
        if (auto* dos = std::get_if<ovf::DeploymentOptionSection>(&section)) {
            for (ovf::Configuration& c : dos->configurations) {
                if (c.id == option) {
                    c.is_default = true;
                } else if (c.is_default) {
                    c.is_default.reset();
                }
            }
        }
    }
}

void map_nothing(PlanVm&, const MapContext&, PlanNotes&) {}

} // namespace

Result<ovf::Envelope> plan_applied(const ovf::Envelope& source, const ExportPlan& plan) {
    ovf::Envelope env = source;
    choose_option(env, plan.deployment_option);
    set_properties(env, plan.user_properties);
    std::map<std::string, std::string> renames;
    for (const PlanVm& vm : plan.vms) {
        for (const PlanNic& n : vm.nics) {
            if (!n.ovf_network.empty() && n.network != n.ovf_network) {
                renames[n.ovf_network] = n.network;
            }
        }
        ovf::Content* system = find_content(env.content, vm.system_id);
        if (system == nullptr) {
            continue;
        }
        std::string own = system->name ? std::string(trim(system->name->text)) : system->id;
        if (vm.name != own) {
            if (!system->name) {
                system->name = ovf::Msg{};
            }
            system->name->text = vm.name;
            system->name->msgid.reset();
        }
        apply_sizes(*system, vm, plan.deployment_option);
    }
    rename_networks(env, renames);
    return env;
}

const ExportTarget ovf_target{
    "ovf",
    "",
    "an OVF directory (descriptor, manifest, files) with the plan applied",
    TargetForm::package,
    "",
    {},
    map_nothing,
    nullptr,
    plan_applied,
    false,
};

const ExportTarget ova_target{
    "ova",
    "",
    "an OVA (one tar file) with the plan applied",
    TargetForm::package,
    "",
    {},
    map_nothing,
    nullptr,
    plan_applied,
    false,
};

} // namespace ovfkit::platform::dmtf
