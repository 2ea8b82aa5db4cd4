// The neutral plan; see export_plan.hpp.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ops/export_plan.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/platform/guest_os.hpp>

namespace ovfkit::ops::export_detail {

using platform::Bus;
using platform::NoteAction;
using platform::PlanVm;

namespace {

// The tokens of a subtype list ("buslogic,lsilogic", "buslogic lsilogic"),
// at most a few: mapping.md §4 rule 5 and §10.
std::vector<std::string> tokens(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (!current.empty()) {
                out.push_back(std::move(current));
                current.clear();
            }
            if (out.size() == 8) {
                return out;
            }
            continue;
        }
        current += c;
    }
    if (!current.empty()) {
        out.push_back(std::move(current));
    }
    return out;
}

std::optional<std::string_view> known_scsi(std::string_view token) {
    std::string t = ascii_lower(token);
    if (t == "lsilogic") {
        return "lsilogic";
    }
    if (t == "lsilogicsas" || t == "lsisas1068") {
        return "lsilogicsas";
    }
    if (t == "buslogic") {
        return "buslogic";
    }
    if (t == "virtualscsi" || t == "pvscsi") {
        return "pvscsi";
    }
    if (t == "virtio-scsi" || t == "virtioscsi") {
        return "virtio-scsi";
    }
    return std::nullopt;
}

std::optional<uint64_t> decimal(std::string_view text) {
    text = trim(text);
    if (text.empty() || text.size() > 9) {
        return std::nullopt;
    }
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

bool listed(const std::optional<std::string>& configuration, const std::string& id) {
    if (!configuration) {
        return true;
    }
    for (const std::string& t : tokens(*configuration)) {
        if (t == id) {
            return true;
        }
    }
    return false;
}

struct Startup {
    unsigned order = 0;
    unsigned start_delay = 0;
    unsigned stop_delay = 0;
};

void collect_startup(const ovf::Content& content, std::map<std::string, Startup>& out) {
    if (const auto* s = content.find<ovf::StartupSection>()) {
        for (const ovf::StartupItem& item : s->items) {
            Startup st;
            auto num = [](const std::optional<std::string>& v) -> unsigned {
                if (!v) {
                    return 0;
                }
                auto n = decimal(*v);
                return n && *n < 1000000 ? static_cast<unsigned>(*n) : 0;
            };
            st.order = num(item.order);
            st.start_delay = num(item.start_delay);
            st.stop_delay = num(item.stop_delay);
            out.emplace(item.id, st);
        }
    }
    for (const ovf::Content& child : content.children) {
        collect_startup(child, out);
    }
}

std::string bus_of_summary(std::string_view bus) {
    return ascii_lower(bus);
}

std::optional<Bus> bus_from(std::string_view summary_bus) {
    std::string b = bus_of_summary(summary_bus);
    if (b == "ide") {
        return Bus::ide;
    }
    if (b == "sata") {
        return Bus::sata;
    }
    if (b == "scsi" || b == "fc" || b == "iscsi" || b == "infiniband") {
        return Bus::scsi;
    }
    if (b == "nvme") {
        return Bus::nvme;
    }
    if (b == "virtio") {
        return Bus::virtio;
    }
    return std::nullopt;
}

class Planner {
public:
    Planner(const ovf::Envelope& env, const PlanInputs& inputs, platform::PlanNotes& notes)
        : m_env(env), m_in(inputs), m_notes(notes) {}

    Result<std::vector<PlanVm>> run() {
        const ovf::Summary summary = ovf::summarize(m_env, m_in.configuration);
        m_config = summary.default_configuration.value_or("");
        for (const auto& entry : m_in.networks) {
            const std::string& from = entry.first;
            const std::string& to = entry.second;
            auto named = [&](const ovf::NetworkSummary& n) { return n.name == from; };
            if (std::none_of(summary.networks.begin(), summary.networks.end(), named)) {
                std::string known;
                for (const auto& n : summary.networks) {
                    known += known.empty() ? n.name : ", " + n.name;
                }
                return fail(Errc::usage, "--net {}={}: the appliance has no network called {} ({})",
                            from, to, from, known.empty() ? "it has none" : "it has: " + known);
            }
        }
        std::map<std::string, Startup> startup;
        collect_startup(m_env.content, startup);
        const auto systems = ovf::virtual_systems(m_env);

        std::vector<PlanVm> vms;
        for (const ovf::SystemSummary& s : summary.virtual_systems) {
            const ovf::Content* content = nullptr;
            for (const ovf::Content* c : systems) {
                if (c->id == s.id) {
                    content = c;
                    break;
                }
            }
            OVFKIT_TRY_ASSIGN(PlanVm vm, plan_vm(s, content, summary.virtual_systems.size()));
            if (auto it = startup.find(s.id); it != startup.end()) {
                vm.start_order = it->second.order;
                vm.start_delay_s = it->second.start_delay;
                vm.stop_delay_s = it->second.stop_delay;
            }
            vms.push_back(std::move(vm));
        }
        // Start order first (0: unordered, after the ordered ones), then
        // document order.
        std::stable_sort(vms.begin(), vms.end(), [](const PlanVm& a, const PlanVm& b) {
            auto key = [](const PlanVm& v) { return v.start_order == 0 ? ~0U : v.start_order; };
            return key(a) < key(b);
        });
        return vms;
    }

private:
    const ovf::Envelope& m_env;
    const PlanInputs& m_in;
    platform::PlanNotes& m_notes;
    std::string m_config;

    Result<PlanVm> plan_vm(const ovf::SystemSummary& s, const ovf::Content* content, size_t count) {
        PlanVm vm;
        vm.system_id = s.id;
        vm.path = s.path;
        std::string own = s.name && !trim(*s.name).empty() ? std::string(trim(*s.name)) : s.id;
        if (m_in.name) {
            vm.name = count == 1 ? *m_in.name : *m_in.name + "-" + own;
        } else {
            vm.name = own;
        }
        if (s.disks.size() > k_max_devices_per_vm || s.nics.size() > k_max_devices_per_vm ||
            s.controllers.size() > k_max_devices_per_vm) {
            return fail(Errc::invalid,
                        "virtual system {}: {} disks, {} NICs and {} controllers; ovfkit plans at "
                        "most {} of each",
                        s.id, s.disks.size(), s.nics.size(), s.controllers.size(),
                        k_max_devices_per_vm);
        }
        guest_os(vm, s);
        sizing(vm, s);
        firmware(vm, s);
        controllers(vm, s);
        disks(vm, s);
        nics(vm, s);
        if (content != nullptr) {
            other_items(vm, *content);
            if (const auto* a = content->find<ovf::AnnotationSection>()) {
                if (a->annotation) {
                    vm.description = a->annotation->text;
                }
            }
        }
        return vm;
    }

    void guest_os(PlanVm& vm, const ovf::SystemSummary& s) {
        platform::GuestOsHints hints = platform::guest_os_hints(s);
        vm.os = platform::resolve_guest_os(hints);
        std::string said;
        for (const auto* h : {&hints.vbox, &hints.vmware, &hints.vendor_os_type, &hints.cim_id}) {
            if (*h) {
                said += said.empty() ? **h : " / " + **h;
            }
        }
        vm.os_hint = said;
        if (vm.os.conflict) {
            m_notes.add("os-conflict", NoteAction::info, vm, "OperatingSystemSection",
                        *vm.os.conflict);
        }
        if (vm.os.decided_by == "none") {
            m_notes.add("os-unmapped", NoteAction::info, vm, "OperatingSystemSection",
                        said.empty()
                            ? "the appliance names no guest OS; planned as "
                            : fmt::format("{} is not in the guest OS table; planned as ", said) +
                                  std::string(vm.os.row->display));
        }
    }

    void sizing(PlanVm& vm, const ovf::SystemSummary& s) {
        if (m_in.cpus) {
            vm.cpus = *m_in.cpus;
        } else if (s.cpus && *s.cpus > 0) {
            vm.cpus = *s.cpus;
        } else {
            vm.cpus = 1;
            m_notes.add("cpus-default", NoteAction::info, vm, "Processor",
                        "the appliance states no CPU count; planned with 1");
        }
        if (m_in.memory_bytes) {
            vm.memory_bytes = *m_in.memory_bytes;
        } else if (s.memory_bytes && *s.memory_bytes > 0) {
            vm.memory_bytes = *s.memory_bytes;
        } else {
            vm.memory_bytes = uint64_t{1} << 30;
            m_notes.add("memory-default", NoteAction::info, vm, "Memory",
                        "the appliance states no memory size; planned with 1 GiB");
        }
        if (m_in.memory_min_bytes || m_in.memory_max_bytes) {
            vm.memory_min_bytes = m_in.memory_min_bytes.value_or(vm.memory_bytes);
            vm.memory_max_bytes = m_in.memory_max_bytes.value_or(vm.memory_bytes);
        }
    }

    void firmware(PlanVm& vm, const ovf::SystemSummary& s) {
        if (s.firmware) {
            vm.firmware_stated = true;
            vm.firmware = *s.firmware == "efi" ? platform::Firmware::efi : platform::Firmware::bios;
        } else if (vm.os.row->uefi_required) {
            vm.firmware = platform::Firmware::efi;
            m_notes.add(
                "fw-from-os", NoteAction::info, vm, "firmware",
                fmt::format("no element states the firmware; {} needs UEFI", vm.os.row->display));
        }
        if (vm.os.row->uefi_required) {
            vm.secure_boot = vm.firmware == platform::Firmware::efi;
            vm.tpm = true;
        }
    }

    static std::string item_name(std::string_view kind, const std::string& id,
                                 std::string_view what) {
        return what.empty() ? fmt::format("{} {}", kind, id)
                            : fmt::format("{} {} ({})", kind, id, what);
    }

    platform::PlanController& synthetic(PlanVm& vm, Bus bus, std::string_view model) {
        std::string id = fmt::format("plan-{}", platform::bus_name(bus));
        for (auto& c : vm.controllers) {
            if (c.id == id) {
                return c;
            }
        }
        unsigned index = 0;
        for (const auto& c : vm.controllers) {
            index += c.bus == bus ? 1 : 0;
        }
        vm.controllers.push_back({id, bus, std::string(model), index});
        return vm.controllers.back();
    }

    void controllers(PlanVm& vm, const ovf::SystemSummary& s) {
        for (const ovf::ControllerSummary& c : s.controllers) {
            auto bus = bus_from(c.bus);
            if (!bus) {
                continue;
            }
            // VirtualBox writes its virtio-scsi controller as an "other
            // storage device" (20), which the summary reads as SATA.
            if (*bus == Bus::sata && controller_model("scsi", c.model) == "virtio-scsi") {
                bus = Bus::scsi;
            }
            std::string b = bus_of_summary(c.bus);
            if (b == "fc" || b == "iscsi" || b == "infiniband") {
                m_notes.add("ctrl-host-bus", NoteAction::translated, vm,
                            item_name("controller", c.instance_id, c.bus),
                            fmt::format("a {} adapter is a host device; its disks are planned "
                                        "on a SCSI controller",
                                        c.bus));
            }
            unsigned index = 0;
            for (const auto& other : vm.controllers) {
                index += other.bus == *bus ? 1 : 0;
            }
            vm.controllers.push_back(
                {c.instance_id, *bus, controller_model(platform::bus_name(*bus), c.model), index});
        }
    }

    std::string file_id_for(const ovf::DiskSummary& d) const {
        if (d.backing == "file") {
            return d.id;
        }
        const auto& files = m_env.references.files;
        for (const auto* ds : ovf::find_all<ovf::DiskSection>(m_env.sections)) {
            for (const ovf::Disk& disk : ds->disks) {
                if (disk.disk_id != d.id || !disk.file_ref) {
                    continue;
                }
                for (const ovf::File& f : files) {
                    if (f.id == *disk.file_ref) {
                        return f.id;
                    }
                }
                // oVirt's fileRef names the File's href ("image/volume").
                for (const ovf::File& f : files) {
                    if (f.href == *disk.file_ref) {
                        return f.id;
                    }
                }
            }
        }
        if (d.file) {
            for (const ovf::File& f : m_env.references.files) {
                if (f.href == *d.file) {
                    return f.id;
                }
            }
        }
        return {};
    }

    // The first unit of `controller` nothing uses yet.
    static unsigned free_unit(const PlanVm& vm, const std::string& controller) {
        std::set<unsigned> used;
        for (const auto& d : vm.disks) {
            if (d.controller == controller) {
                used.insert(d.unit);
            }
        }
        for (const auto& c : vm.cdroms) {
            if (c.controller == controller) {
                used.insert(c.unit);
            }
        }
        unsigned u = 0;
        while (used.contains(u)) {
            ++u;
        }
        return u;
    }

    static bool unit_used(const PlanVm& vm, const std::string& controller, unsigned unit) {
        for (const auto& d : vm.disks) {
            if (d.controller == controller && d.unit == unit) {
                return true;
            }
        }
        for (const auto& c : vm.cdroms) {
            if (c.controller == controller && c.unit == unit) {
                return true;
            }
        }
        return false;
    }

    void disks(PlanVm& vm, const ovf::SystemSummary& s) {
        for (const ovf::DiskSummary& d : s.disks) {
            platform::PlanDisk pd;
            pd.disk_id = d.id;
            pd.file_id = file_id_for(d);
            pd.capacity_bytes = d.capacity_bytes.value_or(0);
            if (d.controller_id && vm.controller(*d.controller_id) != nullptr) {
                pd.controller = *d.controller_id;
            } else {
                // oVirt names a bus, not a controller; a broken Parent names
                // nothing: a controller of that bus (else IDE) is planned.
                Bus bus = d.controller ? bus_from(*d.controller).value_or(Bus::ide) : Bus::ide;
                std::string model =
                    controller_model(platform::bus_name(bus), d.controller_model.value_or(""));
                pd.controller = synthetic(vm, bus, model).id;
                if (m_env.version != ovf::OvfVersion::ovirt) {
                    m_notes.add("ctrl-missing", NoteAction::added, vm, item_name("disk", d.id, ""),
                                fmt::format("its controller is not among the VM's items; planned "
                                            "on a {} controller",
                                            platform::bus_name(bus)));
                }
            }
            auto unit = d.address ? decimal(*d.address) : std::nullopt;
            if (unit && *unit < 64 && !unit_used(vm, pd.controller, static_cast<unsigned>(*unit))) {
                pd.unit = static_cast<unsigned>(*unit);
            } else {
                pd.unit = free_unit(vm, pd.controller);
            }
            if (pd.file_id.empty()) {
                m_notes.add("disk-blank", NoteAction::info, vm, item_name("disk", d.id, ""),
                            "no file holds its data: a blank disk of its capacity is written");
            }
            vm.disks.push_back(std::move(pd));
        }
        if (!vm.disks.empty()) {
            vm.disks.front().boot = true;
        }
    }

    void nics(PlanVm& vm, const ovf::SystemSummary& s) {
        for (const ovf::NicSummary& n : s.nics) {
            platform::PlanNic pn;
            pn.ovf_network = n.network;
            auto it = m_in.networks.find(n.network);
            pn.network = it != m_in.networks.end() ? it->second : n.network;
            pn.model = nic_model(n.model);
            if (n.mac && (m_in.keep_macs || !m_in.rebuilds_hardware)) {
                pn.mac = n.mac;
            } else if (n.mac) {
                m_notes.add("nic-mac", NoteAction::info, vm,
                            fmt::format("NIC {} ({})", vm.nics.size(), *n.mac),
                            "the fixed MAC address is not carried (the target generates one; "
                            "--keep-macs keeps it)");
            }
            vm.nics.push_back(std::move(pn));
        }
    }

    // Items the summary does not model: CD drives are carried (empty), the
    // rest is noted.
    void other_items(PlanVm& vm, const ovf::Content& content) {
        const auto* hw = content.find<ovf::VirtualHardwareSection>();
        if (hw == nullptr) {
            return;
        }
        std::set<std::string> overridden;
        for (const ovf::Item& item : hw->items) {
            if (item.configuration && !m_config.empty() && listed(item.configuration, m_config)) {
                overridden.insert(item.instance_id().value_or(""));
            }
        }
        for (const ovf::Item& item : hw->items) {
            if (item.bound && *item.bound != "normal") {
                continue;
            }
            if (!m_config.empty() && !listed(item.configuration, m_config)) {
                continue;
            }
            if (!item.configuration && overridden.contains(item.instance_id().value_or(""))) {
                continue;
            }
            auto type = item.resource_type_id();
            if (!type) {
                continue;
            }
            std::string id = item.instance_id().value_or("?");
            std::string what = item.display_name().value_or("");
            if (*type == 1 && iequals(trim(item.resource_sub_type().value_or("")), "vmware.vtpm")) {
                vm.tpm = true;
                m_notes.add("tpm-state", NoteAction::info, vm, item_name("TPM", id, what),
                            "the VM gets a new, empty TPM 2.0: keys sealed in the old one "
                            "(BitLocker, LUKS) need their recovery keys");
                continue;
            }
            if (*type == 15 || *type == 16) {
                cdrom(vm, item, id, what);
                continue;
            }
            if (!m_in.rebuilds_hardware) {
                continue; // carried as they are
            }
            switch (*type) {
            case 14:
                m_notes.add("devices-misc", NoteAction::dropped, vm,
                            item_name("floppy drive", id, what), "floppy drives are not carried");
                break;
            case 21:
            case 22:
                m_notes.add("passthrough", NoteAction::dropped, vm,
                            item_name(*type == 21 ? "serial port" : "parallel port", id, what),
                            "ports wired to the host are not carried");
                break;
            case 23:
                m_notes.add("devices-misc", NoteAction::dropped, vm,
                            item_name("USB controller", id, what),
                            "USB controllers are not carried (the target adds its own)");
                break;
            case 35:
                m_notes.add("devices-misc", NoteAction::dropped, vm,
                            item_name("sound card", id, what), "sound cards are not carried");
                break;
            case 24:
                m_notes.add("devices-misc", NoteAction::info, vm, item_name("video card", id, what),
                            "the target's default video device is used");
                break;
            case 1:
            case 12:
            case 13:
            case 18:
            case 25:
                m_notes.add("devices-misc", NoteAction::dropped, vm,
                            item_name("device", id,
                                      what.empty() ? item.resource_sub_type().value_or("") : what),
                            fmt::format("resource type {} is not carried", *type));
                break;
            default:
                break;
            }
        }
    }

    void cdrom(PlanVm& vm, const ovf::Item& item, const std::string& id, const std::string& what) {
        platform::PlanCdrom cd;
        auto parent = item.parent();
        if (parent && vm.controller(*parent) != nullptr) {
            cd.controller = *parent;
        } else {
            cd.controller = synthetic(vm, Bus::ide, "piix4").id;
        }
        auto unit = item.address_on_parent() ? decimal(*item.address_on_parent()) : std::nullopt;
        if (unit && *unit < 64 && !unit_used(vm, cd.controller, static_cast<unsigned>(*unit))) {
            cd.unit = static_cast<unsigned>(*unit);
        } else {
            cd.unit = free_unit(vm, cd.controller);
        }
        for (const std::string& r : item.host_resources()) {
            if (!trim(r).empty() && m_in.rebuilds_hardware) {
                m_notes.add("cdrom-media", NoteAction::dropped, vm, item_name("CD drive", id, what),
                            fmt::format("the medium {} is not carried; the drive is empty", r));
                break;
            }
        }
        vm.cdroms.push_back(std::move(cd));
    }
};

} // namespace

std::string controller_model(std::string_view bus, std::string_view sub_type) {
    if (bus == "scsi") {
        for (const std::string& t : tokens(sub_type)) {
            if (auto m = known_scsi(t)) {
                return std::string(*m);
            }
        }
        return trim(sub_type).empty() ? "lsilogic" : std::string(trim(sub_type));
    }
    if (bus == "ide") {
        return "piix4";
    }
    if (bus == "sata") {
        return "ahci";
    }
    if (bus == "nvme") {
        return "nvme";
    }
    if (bus == "virtio") {
        return "virtio-blk";
    }
    return std::string(trim(sub_type));
}

std::string nic_model(std::string_view sub_type) {
    for (const std::string& token : tokens(sub_type)) {
        std::string t = ascii_lower(token);
        if (t == "e1000" || t == "e10000" || t == "82540em" || t == "82543gc" || t == "82545em" ||
            t == "i82540em" || t == "i82543gc" || t == "i82545em") {
            return "e1000";
        }
        if (t == "e1000e" || t == "82574l") {
            return "e1000e";
        }
        if (t == "vmxnet3") {
            return "vmxnet3";
        }
        if (t == "vmxnet" || t == "vmxnet2") {
            return "vmxnet";
        }
        if (t == "pcnet32" || t == "pcnet" || t == "am79c970a" || t == "am79c973") {
            return "pcnet";
        }
        if (t == "virtio" || t == "virtio-net" || t == "pv" || t == "virtio_net") {
            return "virtio";
        }
        if (t == "rtl8139" || t == "rtl8139_pv") {
            return "rtl8139";
        }
    }
    std::string lower = ascii_lower(trim(sub_type));
    if (lower.find("synthetic ethernet") != std::string::npos) {
        return "hyperv-synthetic";
    }
    if (lower.find("emulated ethernet") != std::string::npos) {
        return "hyperv-legacy";
    }
    return std::string(trim(sub_type));
}

Result<std::vector<PlanVm>> neutral_plan(const ovf::Envelope& envelope, const PlanInputs& inputs,
                                         platform::PlanNotes& notes) {
    return Planner(envelope, inputs, notes).run();
}

} // namespace ovfkit::ops::export_detail
