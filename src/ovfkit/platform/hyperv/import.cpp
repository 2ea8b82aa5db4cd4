// The Hyper-V importer; see import.hpp.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/base/utf16.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/hyperv/import.hpp>
#include <ovfkit/platform/hyperv/map.hpp>

namespace ovfkit::platform::hyperv {

namespace {

using json = nlohmann::json;

constexpr uint64_t k_max_memory = k_max_memory_gen2;

// --- bytes to JSON -------------------------------------------------------

// UTF-16LE (after its BOM) to UTF-8; nullopt on a lone surrogate or an odd
// byte count.
std::optional<std::string> utf16le_to_utf8(std::string_view in) {
    if (in.size() % 2 != 0) {
        return std::nullopt;
    }
    // A NUL is kept: the JSON parser refuses it with its place.
    return utf16_to_utf8(std::as_bytes(std::span(in.data(), in.size())), std::endian::little,
                         Utf16Nul::kept);
}

// Windows PowerShell 5.1 writes UTF-16LE with a BOM (Out-File), 7.x and
// the collector UTF-8: both are read; other encodings are refused.
Result<std::string> decode(std::string_view bytes, const std::string& path) {
    if (bytes.starts_with("\xEF\xBB\xBF")) {
        return std::string(bytes.substr(3));
    }
    if (bytes.starts_with("\xFF\xFE")) {
        auto text = utf16le_to_utf8(bytes.substr(2));
        if (!text) {
            return fail(Errc::invalid,
                        "{}: UTF-16LE text with an odd byte count or a lone "
                        "surrogate",
                        path);
        }
        return std::move(*text);
    }
    if (bytes.starts_with("\xFE\xFF")) {
        return fail(Errc::invalid, "{}: UTF-16BE text; the collector writes UTF-8", path);
    }
    return std::string(bytes);
}

struct Stop {
    Error error;
};

// Parses with the bounds of import_source.hpp checked while parsing: keys,
// string length, depth, and no key twice in an object (compared without
// case, as PowerShell compares property names).
Result<json> parse_bounded(const std::string& text, const std::string& path) {
    size_t keys = 0;
    std::vector<std::set<std::string>> objects;
    std::string last_key;
    auto stop = [&](Errc code, std::string message) {
        throw Stop{Error{code, std::move(message)}};
    };
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
        switch (event) {
        case json::parse_event_t::object_start:
        case json::parse_event_t::array_start:
            if (static_cast<size_t>(depth) >= k_collector_max_depth) {
                stop(Errc::refused, fmt::format("{}: nested deeper than {} levels (after key "
                                                "\"{}\"); the collector writes at most 8",
                                                path, k_collector_max_depth, shown(last_key, 64)));
            }
            if (event == json::parse_event_t::object_start) {
                objects.emplace_back();
            }
            break;
        case json::parse_event_t::object_end:
            if (!objects.empty()) {
                objects.pop_back();
            }
            break;
        case json::parse_event_t::key: {
            if (++keys > k_import_max_keys) {
                stop(Errc::refused,
                     fmt::format("{}: more than {} keys; the collector writes a few dozen per VM",
                                 path, k_import_max_keys));
            }
            const auto& k = parsed.get_ref<const std::string&>();
            if (k.size() > k_import_max_line) {
                stop(Errc::refused, fmt::format("{}: a key of {} bytes, more than the limit of {}",
                                                path, k.size(), k_import_max_line));
            }
            last_key = k;
            if (!objects.empty() && !objects.back().insert(ascii_lower(k)).second) {
                stop(Errc::invalid,
                     fmt::format("{}: key \"{}\" appears twice in one object (PowerShell "
                                 "property names ignore case)",
                                 path, shown(k, 64)));
            }
            break;
        }
        case json::parse_event_t::value:
            if (parsed.is_string() &&
                parsed.get_ref<const std::string&>().size() > k_import_max_line) {
                stop(Errc::refused,
                     fmt::format("{}: the value of \"{}\" is a string of {} bytes, more than the "
                                 "limit of {}",
                                 path, shown(last_key, 64),
                                 parsed.get_ref<const std::string&>().size(), k_import_max_line));
            }
            break;
        case json::parse_event_t::array_end:
            break;
        }
        return true;
    };
    try {
        return json::parse(text, cb);
    } catch (const Stop& s) {
        return fail(s.error);
    } catch (const json::parse_error& e) {
        return fail(Errc::invalid, "{}: byte {}: not JSON: {}", path, e.byte,
                    shown(std::string_view(e.what()), 160));
    }
}

// --- typed access ----------------------------------------------------------

// Reads fields of the document, naming each by its path ("vms[0].Memory").
class Fields {
public:
    explicit Fields(const std::string& path) : m_path(path) {}

    std::string at(std::string_view where) const { return fmt::format("{}: {}", m_path, where); }

    // The member `name` of `obj` (case-insensitive); null when absent.
    static const json* member(const json& obj, std::string_view name) {
        if (!obj.is_object()) {
            return nullptr;
        }
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (iequals(it.key(), name)) {
                return &it.value();
            }
        }
        return nullptr;
    }

    // What ConvertTo-Json writes for an object nested deeper than -Depth.
    Result<void> not_truncated(const json& v, std::string_view where) const {
        if (v.is_string() && v.get_ref<const std::string&>().starts_with("Microsoft.HyperV.")) {
            return fail(Errc::invalid,
                        "{}: a .NET type name where an object belongs: the JSON was cut at "
                        "ConvertTo-Json's depth; run the collector (`ovfkit hyperv-collector`) "
                        "again",
                        at(where));
        }
        return {};
    }

    Result<const json*> object(const json& obj, std::string_view name, std::string_view where,
                               bool required) const {
        const json* v = member(obj, name);
        std::string w = fmt::format("{}.{}", where, name);
        if (v == nullptr || v->is_null()) {
            if (required) {
                return fail(Errc::invalid, "{}: missing", at(w));
            }
            return static_cast<const json*>(nullptr);
        }
        OVFKIT_TRY(not_truncated(*v, w));
        if (!v->is_object()) {
            return fail(Errc::invalid, "{}: {} where an object belongs", at(w), v->type_name());
        }
        return v;
    }

    // A collection: an array, or one object alone (PowerShell writes a
    // single item without brackets); absent or null is empty.
    Result<std::vector<const json*>> items(const json& obj, std::string_view name,
                                           std::string_view where) const {
        std::vector<const json*> out;
        const json* v = member(obj, name);
        std::string w = fmt::format("{}.{}", where, name);
        if (v == nullptr || v->is_null()) {
            return out;
        }
        OVFKIT_TRY(not_truncated(*v, w));
        if (v->is_object()) {
            out.push_back(v);
            return out;
        }
        if (!v->is_array()) {
            return fail(Errc::invalid, "{}: {} where an array belongs", at(w), v->type_name());
        }
        if (v->size() > k_import_max_devices) {
            return fail(Errc::refused, "{}: {} entries; ovfkit imports at most {}", at(w),
                        v->size(), k_import_max_devices);
        }
        for (size_t i = 0; i < v->size(); ++i) {
            const json& e = (*v)[i];
            std::string wi = fmt::format("{}[{}]", w, i);
            OVFKIT_TRY(not_truncated(e, wi));
            if (!e.is_object()) {
                return fail(Errc::invalid, "{}: {} where an object belongs", at(wi), e.type_name());
            }
            out.push_back(&e);
        }
        return out;
    }

    Result<std::optional<std::string>> string(const json& obj, std::string_view name,
                                              std::string_view where, bool required) const {
        const json* v = member(obj, name);
        std::string w = fmt::format("{}.{}", where, name);
        if (v == nullptr || v->is_null()) {
            if (required) {
                return fail(Errc::invalid, "{}: missing", at(w));
            }
            return std::optional<std::string>();
        }
        if (!v->is_string()) {
            return fail(Errc::invalid, "{}: {} where a string belongs", at(w), v->type_name());
        }
        const std::string& s = v->get_ref<const std::string&>();
        if (s.find('\0') != std::string::npos) {
            return fail(Errc::refused, "{}: a NUL character", at(w));
        }
        return std::optional<std::string>(s);
    }

    Result<std::optional<int64_t>> integer(const json& obj, std::string_view name,
                                           std::string_view where, int64_t min, int64_t max,
                                           bool required) const {
        const json* v = member(obj, name);
        std::string w = fmt::format("{}.{}", where, name);
        if (v == nullptr || v->is_null()) {
            if (required) {
                return fail(Errc::invalid, "{}: missing", at(w));
            }
            return std::optional<int64_t>();
        }
        int64_t n = 0;
        if (v->is_number_unsigned() && v->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
            n = static_cast<int64_t>(v->get<uint64_t>());
        } else if (v->is_number_integer()) {
            n = v->get<int64_t>();
        } else {
            return fail(Errc::invalid, "{}: {} where an integer belongs", at(w), v->type_name());
        }
        if (n < min || n > max) {
            return fail(Errc::invalid, "{}: {} is not between {} and {}", at(w), n, min, max);
        }
        return std::optional<int64_t>(n);
    }

    Result<bool> boolean(const json& obj, std::string_view name, std::string_view where) const {
        const json* v = member(obj, name);
        if (v == nullptr || v->is_null()) {
            return false;
        }
        if (!v->is_boolean()) {
            return fail(Errc::invalid, "{}: {} where true or false belongs",
                        at(fmt::format("{}.{}", where, name)), v->type_name());
        }
        return v->get<bool>();
    }

    // An enum as ConvertTo-Json writes it: its name, or by default its
    // integer (Hyper-V module's values, formats/...-vmcx.md 2.7).
    struct EnumValue {
        std::string_view name;
        int64_t value;
    };
    Result<std::optional<std::string_view>> enumeration(const json& obj, std::string_view name,
                                                        std::string_view where,
                                                        std::span<const EnumValue> values,
                                                        bool required) const {
        const json* v = member(obj, name);
        std::string w = fmt::format("{}.{}", where, name);
        if (v == nullptr || v->is_null()) {
            if (required) {
                return fail(Errc::invalid, "{}: missing", at(w));
            }
            return std::optional<std::string_view>();
        }
        for (const EnumValue& e : values) {
            if ((v->is_string() && iequals(v->get_ref<const std::string&>(), e.name)) ||
                (v->is_number_integer() && v->get<int64_t>() == e.value)) {
                return std::optional<std::string_view>(e.name);
            }
        }
        std::string known;
        for (const EnumValue& e : values) {
            known += fmt::format("{}{} ({})", known.empty() ? "" : ", ", e.name, e.value);
        }
        return fail(Errc::invalid, "{}: {} is not one of {}", at(w),
                    shown(v->dump(-1, ' ', false, json::error_handler_t::replace), 64), known);
    }

private:
    const std::string& m_path;
};

constexpr std::array<Fields::EnumValue, 3> k_controller_types{
    {{"IDE", 0}, {"SCSI", 1}, {"PMEM", 2}}};
constexpr std::array<Fields::EnumValue, 2> k_on_off{{{"On", 0}, {"Off", 1}}};
constexpr std::array<Fields::EnumValue, 3> k_dvd_media{
    {{"None", 0}, {"ISO", 1}, {"PassThrough", 2}}};

// --- the mapping ------------------------------------------------------------

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) != nullptr) {
        return buf;
    }
    return dir;
}

// "00155D010203" (or with ':'/'-' separators) as "00:15:5d:01:02:03"; ""
// when it is not 12 hex digits, or all zeros (not assigned).
std::string mac_text(std::string_view raw) {
    std::string hex;
    for (char c : raw) {
        if (c == ':' || c == '-') {
            continue;
        }
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!ok || hex.size() == 12) {
            return {};
        }
        hex += static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    if (hex.size() != 12 || hex == "000000000000") {
        return {};
    }
    std::string out;
    for (size_t i = 0; i < 12; i += 2) {
        out += (i == 0 ? "" : ":") + hex.substr(i, 2);
    }
    return out;
}

class Importer {
public:
    Importer(const json& doc, const std::string& path, const std::string& disks_dir,
             const ImportOptions& options)
        : m_doc(doc), m_path(path), m_disks_dir(disks_dir), m_opt(options), m_f(path) {}

    Result<ImportedAppliance> run() {
        if (!m_doc.is_object()) {
            return fail(Errc::invalid, "{}: the document is {}, not an object", m_path,
                        m_doc.type_name());
        }
        OVFKIT_TRY_ASSIGN(auto schema, m_f.string(m_doc, "schema", "(top)", false));
        if (!schema || *schema != k_collector_schema) {
            return fail(Errc::invalid,
                        "{}: schema {}: not the collector's \"{}\"; run `ovfkit hyperv-collector` "
                        "on the host and import its output",
                        m_path, schema ? fmt::format("\"{}\"", shown(*schema, 64)) : "missing",
                        k_collector_schema);
        }
        OVFKIT_TRY_ASSIGN(auto vms, m_f.items(m_doc, "vms", "(top)"));
        if (vms.empty()) {
            return fail(Errc::invalid, "{}: vms: no VM", m_path);
        }
        ImportedAppliance app;
        app.platform = "hyperv";
        app.config = m_path;
        app.directory = m_disks_dir;
        std::set<std::string> paths;
        for (size_t i = 0; i < vms.size(); ++i) {
            OVFKIT_TRY_ASSIGN(ImportedVm vm,
                              read_vm(*vms[i], fmt::format("vms[{}]", i), app.notes));
            std::string p = vm.vm.path;
            for (int n = 2; !paths.insert(vm.vm.path).second; ++n) {
                vm.vm.path = fmt::format("{}-{}", p, n);
                vm.vm.system_id = vm.vm.path;
            }
            app.vms.push_back(std::move(vm));
        }
        return app;
    }

private:
    const json& m_doc;
    const std::string& m_path;
    const std::string& m_disks_dir;
    const ImportOptions& m_opt;
    Fields m_f;
    std::unique_ptr<io::Directory> m_dir;
    unsigned m_disk_number = 0;

    Result<ImportedVm> read_vm(const json& o, const std::string& w, PlanNotes& notes) {
        ImportedVm ivm;
        PlanVm& vm = ivm.vm;
        OVFKIT_TRY_ASSIGN(auto name, m_f.string(o, "Name", w, true));
        vm.name = *name;
        vm.system_id = file_stem(vm.name, "vm");
        vm.path = vm.system_id;
        OVFKIT_TRY_ASSIGN(auto gen, m_f.integer(o, "Generation", w, 1, 2, true));
        const int generation = static_cast<int>(*gen);
        ivm.vendor.push_back({"Generation", std::to_string(generation)});
        OVFKIT_TRY_ASSIGN(auto version, m_f.string(o, "Version", w, false));
        if (version && !version->empty()) {
            ivm.vendor.push_back({"Version", *version});
        }
        // VMState by name or number (Off is 3).
        const json* st = Fields::member(o, "State");
        std::optional<std::string> state;
        if (st != nullptr && st->is_number_integer()) {
            state = std::to_string(st->get<int64_t>());
        } else if (st != nullptr && !st->is_null()) {
            OVFKIT_TRY_ASSIGN(state, m_f.string(o, "State", w, false));
        }
        if (state && !state->empty() && !iequals(*state, "Off") && *state != "3") {
            notes.add("vm-state", NoteAction::info, vm, "State",
                      fmt::format("the VM was \"{}\" when the settings were collected; the "
                                  "export's disks are what Export-VM copied",
                                  shown(*state, 32)));
        }
        OVFKIT_TRY_ASSIGN(auto notes_text, m_f.string(o, "Notes", w, false));
        vm.description = notes_text.value_or("");
        // Hyper-V records no guest OS: the notes may name it.
        GuestOsHints hints;
        if (!vm.description.empty()) {
            hints.description = vm.description;
        }
        vm.os = resolve_guest_os(hints);
        if (vm.os.decided_by == "none") {
            notes.add(
                "os-unmapped", NoteAction::info, vm, "guest OS",
                fmt::format("Hyper-V records no guest OS; imported as {}", vm.os.row->display));
        }
        OVFKIT_TRY_ASSIGN(auto cpus, m_f.integer(o, "ProcessorCount", w, 1,
                                                 static_cast<int64_t>(k_max_cpus_gen2), true));
        vm.cpus = static_cast<uint64_t>(*cpus);
        OVFKIT_TRY(memory(o, w, vm));
        OVFKIT_TRY(firmware(o, w, generation, ivm, notes));
        OVFKIT_TRY(drives(o, w, generation, ivm, notes));
        OVFKIT_TRY(adapters(o, w, generation, vm, notes));
        return ivm;
    }

    Result<void> memory(const json& o, const std::string& w, PlanVm& vm) {
        OVFKIT_TRY_ASSIGN(const json* m, m_f.object(o, "Memory", w, true));
        std::string mw = w + ".Memory";
        const auto max = static_cast<int64_t>(k_max_memory);
        OVFKIT_TRY_ASSIGN(auto startup, m_f.integer(*m, "Startup", mw, 1, max, true));
        vm.memory_bytes = static_cast<uint64_t>(*startup);
        OVFKIT_TRY_ASSIGN(bool dynamic, m_f.boolean(*m, "DynamicMemoryEnabled", mw));
        if (!dynamic) {
            return {}; // Minimum and Maximum are noise then
        }
        OVFKIT_TRY_ASSIGN(auto lo, m_f.integer(*m, "Minimum", mw, 1, max, true));
        OVFKIT_TRY_ASSIGN(auto hi, m_f.integer(*m, "Maximum", mw, 1, max, true));
        if (!(*lo <= *startup && *startup <= *hi)) {
            return fail(Errc::invalid,
                        "{}: dynamic memory: Minimum {} <= Startup {} <= Maximum {} does not hold",
                        m_f.at(mw), *lo, *startup, *hi);
        }
        vm.memory_min_bytes = static_cast<uint64_t>(*lo);
        vm.memory_max_bytes = static_cast<uint64_t>(*hi);
        return {};
    }

    Result<void> firmware(const json& o, const std::string& w, int generation, ImportedVm& ivm,
                          PlanNotes& notes) {
        PlanVm& vm = ivm.vm;
        vm.firmware_stated = true;
        vm.firmware = generation == 2 ? Firmware::efi : Firmware::bios;
        OVFKIT_TRY_ASSIGN(const json* fw, m_f.object(o, "Firmware", w, false));
        if (fw != nullptr && generation == 2) {
            std::string fwn = w + ".Firmware";
            OVFKIT_TRY_ASSIGN(auto sb, m_f.enumeration(*fw, "SecureBoot", fwn, k_on_off, false));
            // Hyper-V creates generation 2 VMs with Secure Boot on.
            vm.secure_boot = !sb || *sb == "On";
            OVFKIT_TRY_ASSIGN(auto tmpl, m_f.string(*fw, "SecureBootTemplate", fwn, false));
            if (tmpl && !tmpl->empty()) {
                ivm.vendor.push_back({"SecureBootTemplate", *tmpl});
            }
        } else if (generation == 2) {
            vm.secure_boot = true;
            notes.add("fw-secureboot", NoteAction::info, vm, "firmware",
                      "the JSON has no Firmware: Secure Boot on, Hyper-V's default");
        }
        OVFKIT_TRY_ASSIGN(const json* sec, m_f.object(o, "Security", w, false));
        if (sec != nullptr) {
            OVFKIT_TRY_ASSIGN(vm.tpm, m_f.boolean(*sec, "TpmEnabled", w + ".Security"));
            if (vm.tpm && generation == 1) {
                return fail(Errc::invalid, "{}: a virtual TPM on a generation 1 VM",
                            m_f.at(w + ".Security.TpmEnabled"));
            }
        }
        return {};
    }

    PlanController& controller(PlanVm& vm, Bus bus, unsigned number) {
        std::string id = fmt::format("{}{}", bus == Bus::ide ? "ide" : "scsi", number);
        for (auto& c : vm.controllers) {
            if (c.id == id) {
                return c;
            }
        }
        // Hyper-V's emulated IDE is a PIIX4; its SCSI is synthetic (VMBus),
        // carried as "hyperv-scsi" (the hyperv exporter takes it as is).
        vm.controllers.push_back(PlanController{
            id, bus, bus == Bus::ide ? std::string("piix4") : std::string(k_scsi_model), number});
        return vm.controllers.back();
    }

    struct Drive {
        Bus bus = Bus::ide;
        unsigned number = 0;
        unsigned location = 0;
    };

    Result<Drive> address(const json& d, const std::string& w, int generation,
                          std::set<std::tuple<Bus, unsigned, unsigned>>& taken) {
        OVFKIT_TRY_ASSIGN(auto type,
                          m_f.enumeration(d, "ControllerType", w, k_controller_types, true));
        if (*type == "PMEM") {
            return fail(Errc::refused, "{}: a persistent-memory (PMEM) drive cannot be imported",
                        m_f.at(w + ".ControllerType"));
        }
        Drive out;
        out.bus = *type == "IDE" ? Bus::ide : Bus::scsi;
        if (out.bus == Bus::ide && generation == 2) {
            return fail(Errc::invalid, "{}: IDE on a generation 2 VM (it has SCSI only)",
                        m_f.at(w + ".ControllerType"));
        }
        const bool ide = out.bus == Bus::ide;
        OVFKIT_TRY_ASSIGN(auto n,
                          m_f.integer(d, "ControllerNumber", w, 0,
                                      ide ? k_ide_controllers - 1 : k_scsi_controllers - 1, true));
        OVFKIT_TRY_ASSIGN(auto l,
                          m_f.integer(d, "ControllerLocation", w, 0,
                                      ide ? k_ide_locations - 1 : k_scsi_locations - 1, true));
        out.number = static_cast<unsigned>(*n);
        out.location = static_cast<unsigned>(*l);
        if (!taken.insert({out.bus, out.number, out.location}).second) {
            return fail(Errc::invalid, "{}: {} {}:{} holds another drive already", m_f.at(w), *type,
                        out.number, out.location);
        }
        return out;
    }

    // The file a Windows path names, in the export's "Virtual Hard Disks".
    Result<std::string> disk_file(std::string_view path, const std::string& w) {
        std::string where = m_f.at(w + ".Path");
        if (path.starts_with('/')) {
            return fail(Errc::refused,
                        "{}: \"{}\": not a Windows path; disks are looked for by "
                        "name in \"{}\" only",
                        where, shown(path, 120), k_disks_folder);
        }
        size_t start = 0;
        std::string_view last;
        while (start <= path.size()) {
            size_t end = path.find_first_of("\\/", start);
            std::string_view part = path.substr(
                start, end == std::string_view::npos ? std::string_view::npos : end - start);
            if (part == "..") {
                return fail(Errc::refused,
                            "{}: \"{}\": a '..' component; disks are looked for by name in \"{}\" "
                            "only",
                            where, shown(path, 120), k_disks_folder);
            }
            last = part;
            if (end == std::string_view::npos) {
                break;
            }
            start = end + 1;
        }
        if (auto ok = io::check_member_name(last); !ok) {
            return fail(Errc::refused, "{}: \"{}\" names no file: {}", where, shown(path, 120),
                        ok.error().message);
        }
        std::string lower = ascii_lower(last);
        if (!lower.ends_with(".vhdx") && !lower.ends_with(".avhdx") && !lower.ends_with(".vhd") &&
            !lower.ends_with(".avhd")) {
            return fail(Errc::invalid, "{}: \"{}\" is not a .vhdx, .avhdx or .vhd disk", where,
                        shown(path, 120));
        }
        if (!m_dir) {
            OVFKIT_TRY_ASSIGN(auto dir, io::Directory::open(m_disks_dir));
            m_dir = std::make_unique<io::Directory>(std::move(dir));
        }
        if (!m_dir->exists(last)) {
            return fail(Errc::refused,
                        "{}: \"{}\": the export holds no '{}' in {} (a disk outside the exported "
                        "VM is not read)",
                        where, shown(path, 120), last, m_disks_dir);
        }
        return std::string(last);
    }

    Result<void> drives(const json& o, const std::string& w, int generation, ImportedVm& ivm,
                        PlanNotes& notes) {
        PlanVm& vm = ivm.vm;
        std::set<std::tuple<Bus, unsigned, unsigned>> taken;
        OVFKIT_TRY_ASSIGN(auto disks, m_f.items(o, "HardDrives", w));
        struct Found {
            Drive at;
            PlanDisk disk;
            ImportDisk src;
        };
        std::vector<Found> found;
        for (size_t i = 0; i < disks.size(); ++i) {
            const json& d = *disks[i];
            std::string dw = fmt::format("{}.HardDrives[{}]", w, i);
            OVFKIT_TRY_ASSIGN(Drive at, address(d, dw, generation, taken));
            OVFKIT_TRY_ASSIGN(auto path, m_f.string(d, "Path", dw, false));
            OVFKIT_TRY_ASSIGN(auto number, m_f.integer(d, "DiskNumber", dw, 0, INT32_MAX, false));
            if (!path || path->empty()) {
                return fail(Errc::refused,
                            "{}: a pass-through disk (host disk {}) cannot be imported", m_f.at(dw),
                            number ? std::to_string(*number) : "unknown");
            }
            OVFKIT_TRY_ASSIGN(std::string file, disk_file(*path, dw));
            Found f;
            f.at = at;
            f.disk.disk_id = fmt::format("hvdisk{}", ++m_disk_number);
            f.src.disk_id = f.disk.disk_id;
            std::string lower = ascii_lower(file);
            f.src.format = lower.ends_with("vhdx") ? "vhdx" : "vhd";
            if (lower.ends_with(".avhdx") || lower.ends_with(".avhd")) {
                notes.add("disk-checkpoint", NoteAction::info, vm, file,
                          "a checkpoint's differencing disk: read flattened through its "
                          "parents in the export");
            }
            f.src.path = std::move(file);
            found.push_back(std::move(f));
        }
        // In the order the firmware looks: generation 1 boots from IDE 0:0.
        std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
            return std::tuple(a.at.bus != Bus::ide, a.at.number, a.at.location) <
                   std::tuple(b.at.bus != Bus::ide, b.at.number, b.at.location);
        });
        for (Found& f : found) {
            f.disk.controller = controller(vm, f.at.bus, f.at.number).id;
            f.disk.unit = f.at.location;
            vm.disks.push_back(std::move(f.disk));
            ivm.disks.push_back(std::move(f.src));
        }
        if (!vm.disks.empty()) {
            vm.disks.front().boot = true;
        }
        OVFKIT_TRY_ASSIGN(auto dvds, m_f.items(o, "DvdDrives", w));
        for (size_t i = 0; i < dvds.size(); ++i) {
            const json& d = *dvds[i];
            std::string dw = fmt::format("{}.DvdDrives[{}]", w, i);
            OVFKIT_TRY_ASSIGN(Drive at, address(d, dw, generation, taken));
            OVFKIT_TRY_ASSIGN(auto media,
                              m_f.enumeration(d, "DvdMediaType", dw, k_dvd_media, false));
            OVFKIT_TRY_ASSIGN(auto path, m_f.string(d, "Path", dw, false));
            if (path && !path->empty()) {
                notes.add("cdrom-media", NoteAction::dropped, vm, fmt::format("DVD {}", i),
                          fmt::format("the medium {} ({}) is not carried; the drive is empty",
                                      shown(*path, 120), media.value_or("ISO")));
            }
            PlanCdrom cd;
            cd.controller = controller(vm, at.bus, at.number).id;
            cd.unit = at.location;
            vm.cdroms.push_back(std::move(cd));
        }
        std::sort(vm.controllers.begin(), vm.controllers.end(),
                  [](const PlanController& a, const PlanController& b) {
                      return std::tuple(a.bus != Bus::ide, a.index) <
                             std::tuple(b.bus != Bus::ide, b.index);
                  });
        return {};
    }

    Result<void> adapters(const json& o, const std::string& w, int generation, PlanVm& vm,
                          PlanNotes& notes) {
        OVFKIT_TRY_ASSIGN(auto nics, m_f.items(o, "NetworkAdapters", w));
        for (size_t i = 0; i < nics.size(); ++i) {
            const json& n = *nics[i];
            std::string nw = fmt::format("{}.NetworkAdapters[{}]", w, i);
            OVFKIT_TRY_ASSIGN(bool legacy, m_f.boolean(n, "IsLegacy", nw));
            if (legacy && generation == 2) {
                return fail(Errc::invalid, "{}: a legacy adapter on a generation 2 VM",
                            m_f.at(nw + ".IsLegacy"));
            }
            PlanNic nic;
            OVFKIT_TRY_ASSIGN(auto name, m_f.string(n, "Name", nw, false));
            nic.source_item = name.value_or(fmt::format("adapter {}", i));
            nic.model = std::string(legacy ? k_legacy : k_synthetic);
            OVFKIT_TRY_ASSIGN(auto sw, m_f.string(n, "SwitchName", nw, false));
            nic.network = sw.value_or("");
            nic.ovf_network = nic.network;
            OVFKIT_TRY_ASSIGN(auto mac, m_f.string(n, "MacAddress", nw, false));
            OVFKIT_TRY_ASSIGN(bool dynamic, m_f.boolean(n, "DynamicMacAddressEnabled", nw));
            std::string item = fmt::format("NIC {} ({})", i, shown(nic.source_item, 64));
            if (mac && !mac->empty()) {
                std::string m = mac_text(*mac);
                if (m.empty()) {
                    if (mac->find_first_not_of("0:-") != std::string::npos) {
                        notes.add("nic-mac", NoteAction::dropped, vm, item,
                                  fmt::format("\"{}\" is not a MAC address; not carried",
                                              shown(*mac, 32)));
                    }
                } else if (m_opt.keep_macs) {
                    nic.mac = m;
                } else {
                    notes.add("nic-mac", NoteAction::info, vm, fmt::format("{} {}", item, m),
                              fmt::format("the {} MAC address is not carried (the target "
                                          "generates one; --keep-macs keeps it)",
                                          dynamic ? "dynamic" : "static"));
                }
            }
            vm.nics.push_back(std::move(nic));
        }
        return {};
    }
};

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The collector JSON of an export directory: the one *.json in it.
Result<std::string> find_json(const std::string& dir) {
    OVFKIT_TRY_ASSIGN(auto d, io::Directory::open(dir));
    OVFKIT_TRY_ASSIGN(auto names, d.names(io::k_max_directory_entries));
    std::vector<std::string> found;
    for (const auto& n : names) {
        if (ascii_lower(n).ends_with(".json")) {
            found.push_back(n);
        }
    }
    if (found.empty()) {
        return fail(Errc::refused,
                    "{}: a Hyper-V export without the collector's JSON: ovfkit does not read "
                    ".vmcx; run `ovfkit hyperv-collector` on the host to get the script, run it "
                    "for this VM and put its output in this directory",
                    dir);
    }
    if (found.size() > 1) {
        return fail(Errc::usage, "{}: {} .json files; name the collector's output to import", dir,
                    found.size());
    }
    return (dir.ends_with('/') ? dir : dir + "/") + found.front();
}

bool claims(const std::string& path, bool is_dir, std::span<const std::byte> head) {
    if (is_dir) {
        // Claimed also when the folder is a link, so that read() refuses it
        // with a message.
        struct stat st {};
        std::string disks = path + "/" + std::string(k_disks_folder);
        return ::lstat(disks.c_str(), &st) == 0 && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode));
    }
    if (!ascii_lower(path).ends_with(".json")) {
        return false;
    }
    // UTF-8, or UTF-16LE whose NUL high bytes are dropped for the look.
    std::string text;
    for (std::byte b : head) {
        if (b != std::byte{0}) {
            text += static_cast<char>(b);
        }
    }
    return text.find(k_collector_schema) != std::string::npos;
}

Result<ImportedAppliance> read(const std::string& path, const ImportOptions& options) {
    std::string file = path;
    if (is_directory(path)) {
        OVFKIT_TRY_ASSIGN(file, find_json(path));
    }
    std::string export_dir = directory_of(file);
    std::string disks_dir = export_dir + "/" + std::string(k_disks_folder);
    struct stat st {};
    if (::lstat(disks_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return fail(Errc::refused,
                    "{}: no \"{}\" folder beside it (a link is not followed): put the collector's "
                    "JSON in the directory Export-VM wrote",
                    file, k_disks_folder);
    }
    OVFKIT_TRY_ASSIGN(auto f, io::open_read(file));
    OVFKIT_TRY_ASSIGN(uint64_t size, f->size());
    if (size > k_import_max_config) {
        return fail(Errc::refused, "{}: {} bytes, more than the limit of {} bytes", file, size,
                    k_import_max_config);
    }
    std::string bytes(static_cast<size_t>(size), '\0');
    OVFKIT_TRY(
        io::read_exact(*f, std::as_writable_bytes(std::span(bytes.data(), bytes.size())), 0));
    return import_collector(bytes, file, disks_dir, options);
}

} // namespace

Result<ImportedAppliance> import_collector(std::string_view bytes, const std::string& json_path,
                                           const std::string& disks_dir,
                                           const ImportOptions& options) {
    if (bytes.size() > k_import_max_config) {
        return fail(Errc::refused, "{}: {} bytes, more than the limit of {} bytes", json_path,
                    bytes.size(), k_import_max_config);
    }
    OVFKIT_TRY_ASSIGN(std::string text, decode(bytes, json_path));
    OVFKIT_TRY_ASSIGN(json doc, parse_bounded(text, json_path));
    return Importer(doc, json_path, disks_dir, options).run();
}

const ImportSource hyperv_import_source{
    .name = "hyperv",
    .platform = "hyperv",
    .description = "a Hyper-V export directory with the collector's JSON (ovfkit hyperv-collector)",
    .claims = claims,
    .read = read,
};

} // namespace ovfkit::platform::hyperv
