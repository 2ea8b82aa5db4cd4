#include <algorithm>

#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform {

std::string_view bus_name(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return "ide";
    case Bus::sata:
        return "sata";
    case Bus::scsi:
        return "scsi";
    case Bus::nvme:
        return "nvme";
    case Bus::virtio:
        return "virtio";
    }
    return "ide";
}

std::string_view bus_label(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return "IDE";
    case Bus::sata:
        return "SATA";
    case Bus::scsi:
        return "SCSI";
    case Bus::nvme:
        return "NVMe";
    case Bus::virtio:
        return "virtio";
    }
    return "?";
}

std::string_view note_action_name(NoteAction action) {
    switch (action) {
    case NoteAction::translated:
        return "translated";
    case NoteAction::dropped:
        return "dropped";
    case NoteAction::added:
        return "added";
    case NoteAction::info:
        return "info";
    case NoteAction::refused:
        return "refused";
    }
    return "info";
}

std::string file_stem(std::string_view name, std::string_view fallback) {
    std::string out;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (c == '.' && !out.empty());
        out += ok ? c : '_';
        if (out.size() == 64) {
            break;
        }
    }
    if (out.empty() || out.find_first_not_of('_') == std::string::npos) {
        return fallback.empty() ? std::string("vm") : file_stem(fallback, {});
    }
    return out;
}

const PlanCdrom* environment_cdrom(const PlanVm& vm) {
    for (const auto& c : vm.cdroms) {
        if (c.environment) {
            return &c;
        }
    }
    return nullptr;
}

const PlanController* PlanVm::controller(const std::string& id) const {
    auto it = std::find_if(controllers.begin(), controllers.end(),
                           [&](const PlanController& c) { return c.id == id; });
    return it == controllers.end() ? nullptr : &*it;
}

void PlanNotes::add(std::string code, NoteAction action, const PlanVm& vm, std::string item,
                    std::string reason) {
    m_notes.push_back({std::move(code), action, vm.path, std::move(item), std::move(reason)});
}

size_t PlanNotes::dropped() const {
    return static_cast<size_t>(std::count_if(m_notes.begin(), m_notes.end(), [](const PlanNote& n) {
        return n.action == NoteAction::dropped;
    }));
}

nlohmann::json to_json(const PlanNote& note) {
    return {{"code", note.code},
            {"action", note_action_name(note.action)},
            {"vm", note.vm},
            {"item", note.item},
            {"reason", note.reason}};
}

nlohmann::json to_json(const PlanVm& vm) {
    nlohmann::json controllers = nlohmann::json::array();
    for (const PlanController& c : vm.controllers) {
        controllers.push_back(
            {{"id", c.id}, {"bus", bus_name(c.bus)}, {"model", c.model}, {"index", c.index}});
    }
    nlohmann::json disks = nlohmann::json::array();
    for (const PlanDisk& d : vm.disks) {
        disks.push_back({{"disk_id", d.disk_id},
                         {"file_id", d.file_id},
                         {"capacity_bytes", d.capacity_bytes},
                         {"controller", d.controller},
                         {"unit", d.unit},
                         {"boot", d.boot},
                         {"file", d.file_name},
                         {"format", d.format}});
        if (d.target_capacity_bytes != 0) {
            disks.back()["target_capacity_bytes"] = d.target_capacity_bytes;
        }
    }
    nlohmann::json cdroms = nlohmann::json::array();
    for (const PlanCdrom& c : vm.cdroms) {
        cdroms.push_back(
            {{"controller", c.controller},
             {"unit", c.unit},
             {"file", c.file_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.file_name)},
             {"environment", c.environment}});
    }
    nlohmann::json nics = nlohmann::json::array();
    for (const PlanNic& n : vm.nics) {
        nics.push_back({{"ovf_network", n.ovf_network},
                        {"network", n.network},
                        {"model", n.model},
                        {"mac", n.mac ? nlohmann::json(*n.mac) : nlohmann::json(nullptr)}});
    }
    nlohmann::json os{{"key", vm.os.row != nullptr ? vm.os.row->key : std::string_view{}},
                      {"display", vm.os.row != nullptr ? vm.os.row->display : std::string_view{}},
                      {"decided_by", vm.os.decided_by},
                      {"confidence", vm.os.confidence == OsConfidence::high     ? "high"
                                     : vm.os.confidence == OsConfidence::medium ? "medium"
                                                                                : "low"}};
    nlohmann::json out{{"system_id", vm.system_id},
                       {"path", vm.path},
                       {"name", vm.name},
                       {"os", std::move(os)},
                       {"cpus", vm.cpus},
                       {"memory_bytes", vm.memory_bytes},
                       {"firmware", vm.firmware == Firmware::efi ? "efi" : "bios"},
                       {"secure_boot", vm.secure_boot},
                       {"tpm", vm.tpm},
                       {"machine", vm.machine},
                       {"controllers", std::move(controllers)},
                       {"disks", std::move(disks)},
                       {"cdroms", std::move(cdroms)},
                       {"nics", std::move(nics)},
                       {"environment", !vm.environment_xml.empty()},
                       {"start_order", vm.start_order}};
    if (vm.memory_min_bytes != 0 || vm.memory_max_bytes != 0) {
        out["memory_min_bytes"] = vm.memory_min_bytes;
        out["memory_max_bytes"] = vm.memory_max_bytes;
    }
    return out;
}

} // namespace ovfkit::platform
