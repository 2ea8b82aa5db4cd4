// ova.xml, the XVA's metadata (formats/kvm-xen-hyperv.md 5.2, 5.3): one
// XML-RPC value, {version, objects}, every record with the fields xapi's
// generated decoders need. Reproducible: the UUIDs are derived from the
// plan (xapi gives an imported VM new ones unless it is a restore).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include <ovfkit/io/sink.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>
#include <ovfkit/xml/escape.hpp>

namespace ovfkit::platform::xenserver {

namespace {

constexpr uint64_t k_vdi_base = 1'000'000;

// Text content, escaped; what XML cannot carry (controls but tab, LF and
// CR; DEL; invalid UTF-8) is refused rather than altered.
Result<std::string> text(std::string_view s, std::string_view what) {
    if (auto why = xml::unfit(s, true, true); !why.empty()) {
        return fail(Errc::invalid, "ova.xml: {} holds {}", what, why);
    }
    return xml::escaped(s);
}

// A UUID made from `name` (SHA-1, RFC 9562 version 5 layout).
std::string uuid_of(const std::string& name) {
    auto hex = io::hex_digest(std::as_bytes(std::span(name.data(), name.size())),
                              io::DigestAlgorithm::sha1);
    std::string h = hex ? *hex : std::string(40, '0');
    h[12] = '5';
    const char variant[] = "89ab";
    h[16] = variant[(h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0') & 3];
    return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                       h.substr(16, 4), h.substr(20, 12));
}

// Builds one XML-RPC struct; values are pre-rendered <value> elements.
class Struct {
public:
    Struct& raw(std::string_view name, std::string value) {
        m_out += fmt::format("<member><name>{}</name>{}</member>", name, value);
        return *this;
    }
    Struct& str(std::string_view name, std::string_view escaped) {
        return raw(name, fmt::format("<value>{}</value>", escaped));
    }
    Struct& num(std::string_view name, uint64_t v) { return str(name, std::to_string(v)); }
    Struct& inum(std::string_view name, int64_t v) { return str(name, std::to_string(v)); }
    Struct& boolean(std::string_view name, bool v) {
        return raw(name, fmt::format("<value><boolean>{}</boolean></value>", v ? 1 : 0));
    }
    Struct& empty_struct(std::string_view name) { return raw(name, "<value><struct/></value>"); }
    Struct& array(std::string_view name, const std::vector<std::string>& escaped) {
        std::string data;
        for (const auto& e : escaped) {
            data += fmt::format("<value>{}</value>", e);
        }
        return raw(name, fmt::format("<value><array><data>{}</data></array></value>", data));
    }
    Struct& map(std::string_view name, const std::vector<std::pair<std::string, std::string>>& kv) {
        std::string body;
        for (const auto& [k, v] : kv) {
            body += fmt::format("<member><name>{}</name><value>{}</value></member>", k, v);
        }
        return raw(name, fmt::format("<value><struct>{}</struct></value>", body));
    }
    std::string value() const { return "<value><struct>" + m_out + "</struct></value>"; }

private:
    std::string m_out;
};

std::string object(std::string_view cls, const std::string& id, const Struct& snapshot) {
    return Struct().str("class", cls).str("id", id).raw("snapshot", snapshot.value()).value();
}

constexpr std::string_view k_null = "OpaqueRef:NULL";
constexpr std::string_view k_epoch =
    "<value><dateTime.iso8601>19700101T00:00:00Z</dateTime.iso8601></value>";

} // namespace

std::string vdi_ref(size_t index) {
    return fmt::format("Ref:{}", k_vdi_base + index);
}

Result<std::string> ova_xml(const ExportPlan& plan, std::span<const uint64_t> disk_sizes) {
    size_t total_disks = 0;
    for (const PlanVm& vm : plan.vms) {
        total_disks += vm.disks.size();
    }
    if (disk_sizes.size() != total_disks) {
        return fail(Errc::usage, "ova.xml: {} disk sizes for {} disks", disk_sizes.size(),
                    total_disks);
    }
    if (total_disks >= k_vdi_base * 9) {
        return fail(Errc::invalid, "ova.xml: {} disks", total_disks);
    }
    unsigned next_ref = 1;
    auto ref = [&] { return fmt::format("Ref:{}", next_ref++); };
    const std::string sr = ref();
    std::vector<std::string> objects;
    std::vector<std::string> sr_vdis;
    std::map<std::string, std::pair<std::string, std::vector<std::string>>>
        networks; // name -> ref, VIFs
    size_t disk_index = 0;
    for (const PlanVm& vm : plan.vms) {
        const std::string where = vm.path.empty() ? vm.name : vm.path;
        if (vm.machine != "hvm" && vm.machine != "hvm-uefi") {
            return fail(Errc::invalid, "ova.xml: VM {} was not mapped for XenServer (machine {})",
                        where, vm.machine);
        }
        const size_t vm_at = objects.size(); // the VM's record goes before its devices'
        const std::string vm_ref = ref();
        const std::string seed = plan.target + "/" + vm.path + "/" + vm.system_id;
        OVFKIT_TRY_ASSIGN(std::string name, text(vm.name, "the VM name of " + where));
        OVFKIT_TRY_ASSIGN(std::string description,
                          text(vm.description, "the description of " + where));
        std::vector<std::string> vbds, vifs;
        std::vector<bool> used(k_max_userdevices, false);
        auto claim = [&](unsigned unit, const std::string& what) -> Result<void> {
            if (unit >= k_max_userdevices || used[unit]) {
                return fail(Errc::invalid,
                            "ova.xml: {} of {} at userdevice {}: out of range or "
                            "taken",
                            what, where, unit);
            }
            used[unit] = true;
            return {};
        };
        for (const PlanDisk& d : vm.disks) {
            OVFKIT_TRY(claim(d.unit, "disk " + d.disk_id));
            if (d.controller != k_vbd_controller) {
                return fail(Errc::invalid, "ova.xml: disk {} of {} is not on a VBD", d.disk_id,
                            where);
            }
            const uint64_t size = disk_sizes[disk_index];
            if ((size + k_block - 1) / k_block > k_max_blocks) {
                return fail(Errc::invalid,
                            "ova.xml: disk {} of {} ({} bytes) has more 1 MiB blocks than an XVA "
                            "numbers (8 digits)",
                            d.disk_id, where, size);
            }
            const std::string vdi = vdi_ref(disk_index++);
            const std::string vbd = ref();
            vbds.push_back(vbd);
            sr_vdis.push_back(vdi);
            const size_t position = vbds.size(); // disks come first: 1, 2 ...
            Struct v;
            v.str("uuid", uuid_of(seed + "/vdi/" + d.disk_id + "/" + vdi))
                .str("name_label", fmt::format("{} disk {}", name, position))
                .str("name_description", "")
                .array("allowed_operations", {})
                .empty_struct("current_operations")
                .str("SR", sr)
                .array("VBDs", {vbd})
                .array("crash_dumps", {})
                .num("virtual_size", size)
                .num("physical_utilisation", size)
                .str("type", "user")
                .boolean("sharable", false)
                .boolean("read_only", false)
                .empty_struct("other_config")
                .boolean("storage_lock", false)
                .str("location", "")
                .boolean("managed", true)
                .boolean("missing", false)
                .str("parent", k_null)
                .empty_struct("xenstore_data")
                .empty_struct("sm_config")
                .boolean("is_a_snapshot", false)
                .str("snapshot_of", k_null)
                .array("snapshots", {})
                .raw("snapshot_time", std::string(k_epoch))
                .array("tags", {})
                .str("on_boot", "persist")
                .boolean("allow_caching", false)
                .str("metadata_of_pool", k_null);
            objects.push_back(object("VDI", vdi, v));
            Struct b;
            b.str("uuid", uuid_of(seed + "/vbd/" + std::to_string(d.unit)))
                .array("allowed_operations", {})
                .empty_struct("current_operations")
                .str("VM", vm_ref)
                .str("VDI", vdi)
                .str("device", fmt::format("xvd{}", static_cast<char>('a' + d.unit)))
                .str("userdevice", std::to_string(d.unit))
                .boolean("bootable", d.boot)
                .str("mode", "RW")
                .str("type", "Disk")
                .boolean("unpluggable", false)
                .boolean("storage_lock", false)
                .boolean("empty", false)
                .empty_struct("other_config")
                .boolean("currently_attached", false)
                .num("status_code", 0)
                .str("status_detail", "")
                .empty_struct("runtime_properties")
                .str("qos_algorithm_type", "")
                .empty_struct("qos_algorithm_params")
                .array("qos_supported_algorithms", {})
                .str("metrics", k_null);
            objects.push_back(object("VBD", vbd, b));
        }
        for (const PlanCdrom& c : vm.cdroms) {
            OVFKIT_TRY(claim(c.unit, "the CD-ROM drive"));
            const std::string vbd = ref();
            vbds.push_back(vbd);
            Struct b;
            b.str("uuid", uuid_of(seed + "/vbd/" + std::to_string(c.unit)))
                .array("allowed_operations", {})
                .empty_struct("current_operations")
                .str("VM", vm_ref)
                .str("VDI", k_null)
                .str("device", fmt::format("xvd{}", static_cast<char>('a' + c.unit)))
                .str("userdevice", std::to_string(c.unit))
                .boolean("bootable", false)
                .str("mode", "RO")
                .str("type", "CD")
                .boolean("unpluggable", true)
                .boolean("storage_lock", false)
                .boolean("empty", true)
                .empty_struct("other_config")
                .boolean("currently_attached", false)
                .num("status_code", 0)
                .str("status_detail", "")
                .empty_struct("runtime_properties")
                .str("qos_algorithm_type", "")
                .empty_struct("qos_algorithm_params")
                .array("qos_supported_algorithms", {})
                .str("metrics", k_null);
            objects.push_back(object("VBD", vbd, b));
        }
        if (vm.nics.size() > k_max_vifs) {
            return fail(Errc::invalid, "ova.xml: {} has {} NICs, xapi takes {}", where,
                        vm.nics.size(), k_max_vifs);
        }
        for (size_t i = 0; i < vm.nics.size(); ++i) {
            const PlanNic& n = vm.nics[i];
            if (n.network.find_first_of("\"\\") != std::string::npos) {
                return fail(Errc::invalid, "ova.xml: NIC {} of {}: network name with '\"' or '\\'",
                            i + 1, where);
            }
            OVFKIT_TRY_ASSIGN(std::string net_name, text(n.network, "a network name of " + where));
            auto [it, fresh] = networks.try_emplace(n.network);
            if (fresh) {
                it->second.first = ref();
            }
            const std::string vif = ref();
            it->second.second.push_back(vif);
            vifs.push_back(vif);
            OVFKIT_TRY_ASSIGN(std::string mac, text(n.mac.value_or(""), "a MAC of " + where));
            Struct f;
            f.str("uuid", uuid_of(seed + "/vif/" + std::to_string(i)))
                .array("allowed_operations", {})
                .empty_struct("current_operations")
                .str("device", std::to_string(i))
                .str("network", it->second.first)
                .str("VM", vm_ref)
                .str("MAC", mac)
                .num("MTU", 1500)
                .empty_struct("other_config")
                .boolean("currently_attached", false)
                .num("status_code", 0)
                .str("status_detail", "")
                .empty_struct("runtime_properties")
                .str("qos_algorithm_type", "")
                .empty_struct("qos_algorithm_params")
                .array("qos_supported_algorithms", {})
                .str("metrics", k_null)
                .boolean("MAC_autogenerated", !n.mac.has_value())
                .str("locking_mode", "network_default");
            objects.push_back(object("VIF", vif, f));
        }
        const auto platform = platform_keys(vm);
        const auto boot = boot_params(vm);
        KeyValues other;
        if (vm.os.row != nullptr) {
            other.emplace_back(std::string(k_os_key), std::string(vm.os.row->key));
        }
        const uint64_t mem = vm.memory_bytes;
        Struct s;
        s.str("uuid", uuid_of(seed + "/vm"))
            .array("allowed_operations", {})
            .empty_struct("current_operations")
            .str("power_state", "Halted")
            .str("name_label", name)
            .str("name_description", description)
            .num("user_version", 1)
            .boolean("is_a_template", false)
            .str("suspend_VDI", k_null)
            .str("resident_on", k_null)
            .str("affinity", k_null)
            .num("memory_overhead", 0)
            .num("memory_target", mem)
            .num("memory_static_max", mem)
            .num("memory_dynamic_max", mem)
            .num("memory_dynamic_min", mem)
            .num("memory_static_min", mem)
            .empty_struct("VCPUs_params")
            .num("VCPUs_max", vm.cpus)
            .num("VCPUs_at_startup", vm.cpus)
            .str("actions_after_shutdown", "destroy")
            .str("actions_after_reboot", "restart")
            .str("actions_after_crash", "restart")
            .array("consoles", {})
            .array("VIFs", vifs)
            .array("VBDs", vbds)
            .array("crash_dumps", {})
            .array("VTPMs", {})
            .array("VGPUs", {})
            .array("attached_PCIs", {})
            .str("PV_bootloader", "")
            .str("PV_kernel", "")
            .str("PV_ramdisk", "")
            .str("PV_args", "")
            .str("PV_bootloader_args", "")
            .str("PV_legacy_args", "")
            .str("HVM_boot_policy", "BIOS order")
            .map("HVM_boot_params", boot)
            .raw("HVM_shadow_multiplier", "<value><double>1.0</double></value>")
            .map("platform", platform)
            .str("PCI_bus", "")
            .map("other_config", other)
            .inum("domid", -1)
            .str("domarch", "")
            .empty_struct("last_boot_CPU_flags")
            .boolean("is_control_domain", false)
            .str("metrics", k_null)
            .str("guest_metrics", k_null)
            .str("last_booted_record", "")
            .str("recommendations", "")
            .empty_struct("xenstore_data")
            .boolean("ha_always_run", false)
            .str("ha_restart_priority", "")
            .boolean("is_a_snapshot", false)
            .str("snapshot_of", k_null)
            .array("snapshots", {})
            .raw("snapshot_time", std::string(k_epoch))
            .str("transportable_snapshot_id", "")
            .empty_struct("blobs")
            .array("tags", {})
            .empty_struct("blocked_operations")
            .empty_struct("snapshot_info")
            .str("snapshot_metadata", "")
            .str("parent", k_null)
            .array("children", {})
            .empty_struct("bios_strings")
            .str("protection_policy", k_null)
            .boolean("is_snapshot_from_vmpp", false)
            .str("appliance", k_null)
            .num("start_delay", vm.start_delay_s)
            .num("shutdown_delay", vm.stop_delay_s)
            .num("order", vm.start_order)
            .str("suspend_SR", k_null)
            .num("version", 0)
            .str("generation_id", "")
            .num("hardware_platform_version", 0)
            .boolean("has_vendor_device", false);
        objects.insert(objects.begin() + static_cast<std::ptrdiff_t>(vm_at),
                       object("VM", vm_ref, s));
    }
    for (const auto& [net_name, refs] : networks) {
        OVFKIT_TRY_ASSIGN(std::string label, text(net_name, "a network name"));
        Struct n;
        n.str("uuid", uuid_of(plan.target + "/network/" + net_name))
            .str("name_label", label)
            .str("name_description", "")
            .array("allowed_operations", {})
            .empty_struct("current_operations")
            .array("VIFs", refs.second)
            .array("PIFs", {})
            .num("MTU", 1500)
            .empty_struct("other_config")
            .str("bridge", net_name == k_default_network ? std::string(k_default_bridge) : "")
            .empty_struct("blobs")
            .array("tags", {});
        objects.push_back(object("network", refs.first, n));
    }
    Struct s;
    s.str("uuid", uuid_of(plan.target + "/sr"))
        .str("name_label", "ovfkit export")
        .str("name_description", "")
        .array("allowed_operations", {})
        .empty_struct("current_operations")
        .array("VDIs", sr_vdis)
        .array("PBDs", {})
        .num("virtual_allocation", 0)
        .num("physical_utilisation", 0)
        .num("physical_size", 0)
        .str("type", "lvm")
        .str("content_type", "user")
        .boolean("shared", false)
        .empty_struct("other_config")
        .array("tags", {})
        .empty_struct("sm_config")
        .empty_struct("blobs")
        .boolean("local_cache_enabled", false)
        .str("introduced_by", k_null);
    objects.push_back(object("SR", sr, s));

    Struct version;
    version.str("hostname", "ovfkit")
        .str("date", "2024-01-01")
        .str("product_version", "8.2.0")
        .str("product_brand", "XenServer")
        .str("build_number", "ovfkit")
        .num("xapi_major", 1)
        .num("xapi_minor", 1)
        .num("export_vsn", 2);
    std::string body;
    for (const auto& o : objects) {
        body += o;
        body += '\n';
    }
    return "<value><struct><member><name>version</name>" + version.value() +
           "</member>\n<member><name>objects</name><value><array><data>\n" + body +
           "</data></array></value></member></struct></value>\n";
}

} // namespace ovfkit::platform::xenserver
