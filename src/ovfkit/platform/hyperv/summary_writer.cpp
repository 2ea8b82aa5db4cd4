// hyperv.json: what import.ps1 creates, for people and tools that check an
// export before running it on a host (schema "ovfkit/1"; the fields are in
// docs/export.md, "hyperv").
#include <nlohmann/json.hpp>

#include <ovfkit/platform/hyperv/map.hpp>

namespace ovfkit::platform::hyperv {

namespace {

nlohmann::json drive_address(const std::string& controller, unsigned unit) {
    std::string_view type;
    unsigned number = 0;
    controller_address(controller, type, number);
    return {
        {"controller_type", type}, {"controller_number", number}, {"controller_location", unit}};
}

nlohmann::json vm_json(const PlanVm& vm) {
    const int gen = generation(vm);
    nlohmann::json memory{{"startup_bytes", vm.memory_bytes},
                          {"dynamic", vm.memory_min_bytes != 0 || vm.memory_max_bytes != 0}};
    if (memory["dynamic"].get<bool>()) {
        memory["minimum_bytes"] = vm.memory_min_bytes;
        memory["maximum_bytes"] = vm.memory_max_bytes;
    }
    nlohmann::json firmware{{"type", gen == 2 ? "uefi" : "bios"}};
    if (gen == 2) {
        firmware["secure_boot"] = vm.secure_boot;
        firmware["secure_boot_template"] = secure_boot_template(vm);
        firmware["tpm"] = vm.tpm;
    }
    nlohmann::json disks = nlohmann::json::array();
    nlohmann::json boot = nullptr;
    for (const PlanDisk& d : vm.disks) {
        nlohmann::json j = drive_address(d.controller, d.unit);
        j["file"] = d.file_name;
        j["format"] = d.format;
        j["capacity_bytes"] = d.capacity_bytes;
        j["boot"] = d.boot;
        j["source_disk_id"] = d.disk_id;
        if (d.boot) {
            boot = {{"device", "disk"}, {"file", d.file_name}};
        }
        disks.push_back(std::move(j));
    }
    nlohmann::json dvds = nlohmann::json::array();
    for (const PlanCdrom& c : vm.cdroms) {
        nlohmann::json j = drive_address(c.controller, c.unit);
        j["file"] = c.file_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.file_name);
        j["environment"] = c.environment;
        dvds.push_back(std::move(j));
    }
    nlohmann::json nics = nlohmann::json::array();
    for (size_t i = 0; i < vm.nics.size(); ++i) {
        const PlanNic& n = vm.nics[i];
        std::string mac = n.mac ? static_mac(*n.mac) : std::string();
        nics.push_back(
            {{"name", "net" + std::to_string(i)},
             {"legacy", n.model == k_legacy},
             {"switch", n.network.empty() ? nlohmann::json(nullptr) : nlohmann::json(n.network)},
             {"ovf_network", n.ovf_network},
             {"static_mac", mac.empty() ? nlohmann::json(nullptr) : nlohmann::json(mac)}});
    }
    nlohmann::json out{{"name", vm.name},
                       {"system_id", vm.system_id},
                       {"path", vm.path},
                       {"generation", gen},
                       {"guest_os", vm.os.row != nullptr ? vm.os.row->key : std::string_view{}},
                       {"processors", vm.cpus},
                       {"memory", std::move(memory)},
                       {"firmware", std::move(firmware)},
                       {"disks", std::move(disks)},
                       {"dvd_drives", std::move(dvds)},
                       {"network_adapters", std::move(nics)},
                       {"boot", std::move(boot)}};
    if (gen == 1) {
        out["bios_startup_order"] = {"IDE", "CD", "LegacyNetworkAdapter", "Floppy"};
    }
    if (!vm.description.empty()) {
        out["notes"] = vm.description;
    }
    return out;
}

} // namespace

Result<std::string> write_summary(const ExportPlan& plan) {
    nlohmann::json vms = nlohmann::json::array();
    for (const PlanVm& vm : plan.vms) {
        OVFKIT_TRY(check_mapped(plan, vm));
        vms.push_back(vm_json(vm));
    }
    nlohmann::json notes = nlohmann::json::array();
    for (const PlanNote& n : plan.notes) {
        notes.push_back(to_json(n));
    }
    nlohmann::json doc{{"schema", "ovfkit/1"},    {"target", "hyperv"},
                       {"script", k_script_name}, {"disk_format", plan.disk_format},
                       {"vms", std::move(vms)},   {"notes", std::move(notes)}};
    // Invalid UTF-8 in appliance text becomes U+FFFD rather than an error.
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace ovfkit::platform::hyperv
