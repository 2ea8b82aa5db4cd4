// The .vbox reader; see vbox_reader.hpp.
#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/virtualbox/vbox.hpp>
#include <ovfkit/platform/virtualbox/vbox_reader.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::virtualbox {

namespace {

constexpr size_t k_max_media = 4096;
constexpr size_t k_max_controllers = 16;
constexpr size_t k_max_chain = 64;      // differencing levels (VirtualBox has no bound)
constexpr unsigned k_max_slots = 36;    // ICH9's adapters; PIIX3 has 8
constexpr uint64_t k_max_cpus = 1024;   // past any VirtualBox release (64 today)
constexpr uint64_t k_max_ram = 2097152; // MiB, the settings schema's bound

struct ReadType {
    std::string_view type;
    unsigned ports;
    unsigned devices;
};

// Ports x devices per controller type (B1); legacy and reader-only types too.
constexpr std::array<ReadType, 11> k_read_types{{
    {"PIIX3", 2, 2},
    {"PIIX4", 2, 2},
    {"ICH6", 2, 2},
    {"AHCI", 30, 1},
    {"LsiLogic", 16, 1},
    {"BusLogic", 16, 1},
    {"LsiLogicSas", 255, 1},
    {"NVMe", 255, 1},
    {"VirtioSCSI", 256, 1},
    {"I82078", 1, 2},
    {"USB", 8, 1},
}};

constexpr std::array<std::string_view, 5> k_disk_formats{"VDI", "VMDK", "VHD", "VHDX", "RAW"};

struct AttachmentName {
    std::string_view element;
    std::string_view kind;
    std::string_view attribute; // what names it
};

constexpr std::array<AttachmentName, 9> k_attachments{{
    {"NAT", "nat", ""},
    {"BridgedInterface", "bridged", "name"},
    {"HostInterface", "bridged", "name"}, // settings before 1.5
    {"InternalNetwork", "intnet", "name"},
    {"HostOnlyInterface", "hostonly", "name"},
    {"NATNetwork", "natnetwork", "name"},
    {"GenericInterface", "generic", "driver"},
    {"HostOnlyNetwork", "hostonlynetwork", "name"},
    {"CloudNetwork", "cloud", "name"},
}};

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return out;
}

class Reader {
public:
    Reader(const xml::Document& doc) : m_doc(doc) {}

    Result<VboxMachine> machine(const xml::Element& m) {
        VboxMachine out;
        if (auto v = m.attribute("", "version")) {
            out.settings_version = std::string(v->substr(0, v->find('-')));
        }
        OVFKIT_TRY_ASSIGN(out.uuid, uuid(m, "uuid"));
        OVFKIT_TRY_ASSIGN(out.name, required(m, "name"));
        if (out.name.empty()) {
            return bad(m, "Machine has an empty name");
        }
        out.os_type = m.attribute("", "OSType").value_or("");
        out.snapshots = m.attribute("", "currentSnapshot") || child(m, "Snapshot");
        if (auto state = m.attribute("", "stateFile"); state && !state->empty()) {
            return bad(m, "the machine has a saved state; discard it in VirtualBox first");
        }
        if (auto d = child(m, "Description")) {
            out.description = d.text();
        } else if (auto a = m.attribute("", "Description")) {
            out.description = *a;
        }
        if (auto extra = child(m, "ExtraData")) {
            for (const auto& item : extra.children()) {
                if (item.name() == "ExtraDataItem" &&
                    item.attribute("", "name").value_or("") == k_os_extra_data) {
                    out.os_key = item.attribute("", "value").value_or("");
                }
            }
        }
        if (auto reg = child(m, "MediaRegistry")) {
            OVFKIT_TRY(media(reg, out));
        }
        auto hw = child(m, "Hardware");
        if (!hw) {
            return bad(m, "Machine has no Hardware");
        }
        OVFKIT_TRY(hardware(hw, out));
        // StorageControllers: under Machine before settings 1.17, under
        // Hardware from 1.17; either is read, not both.
        auto in_machine = child(m, "StorageControllers");
        auto in_hw = child(hw, "StorageControllers");
        if (in_machine && in_hw) {
            return bad(in_hw, "StorageControllers under both Machine and Hardware");
        }
        if (in_machine || in_hw) {
            OVFKIT_TRY(storage(in_machine ? in_machine : in_hw, out));
        }
        return out;
    }

private:
    template <typename... Args>
    tl::unexpected<Error> bad(const xml::Element& e, fmt::format_string<Args...> f,
                              Args&&... args) const {
        return fail(Errc::invalid, "{}: {}", m_doc.where(e),
                    fmt::format(f, std::forward<Args>(args)...));
    }

    static xml::Element child(const xml::Element& e, std::string_view name) {
        for (const auto& c : e.children()) {
            if (c.name() == name) {
                return c;
            }
        }
        return {};
    }

    static std::vector<xml::Element> all(const xml::Element& e, std::string_view name) {
        std::vector<xml::Element> out;
        for (const auto& c : e.children()) {
            if (c.name() == name) {
                out.push_back(c);
            }
        }
        return out;
    }

    Result<std::string> required(const xml::Element& e, std::string_view attr) const {
        auto v = e.attribute("", attr);
        if (!v) {
            return bad(e, "{} has no {} attribute", e.name(), attr);
        }
        return *v;
    }

    Result<uint64_t> number(const xml::Element& e, std::string_view attr, uint64_t min,
                            uint64_t max) const {
        OVFKIT_TRY_ASSIGN(std::string text, required(e, attr));
        auto n = parse_decimal(text);
        if (!n || *n < min || *n > max) {
            return bad(e, "{}@{} '{}' is not a number from {} to {}", e.name(), attr,
                       text.substr(0, 32), min, max);
        }
        return *n;
    }

    Result<std::string> uuid(const xml::Element& e, std::string_view attr) const {
        OVFKIT_TRY_ASSIGN(std::string text, required(e, attr));
        std::string_view s = text;
        if (s.size() == 38 && s.front() == '{' && s.back() == '}') {
            s = s.substr(1, 36);
        }
        bool ok = s.size() == 36;
        std::string out;
        for (size_t i = 0; ok && i < s.size(); ++i) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            ok = dash ? s[i] == '-' : hex_digit(s[i]) >= 0;
            out += ascii_lower(s[i]);
        }
        if (!ok) {
            return bad(e, "{}@{} '{}' is not a UUID", e.name(), attr, text.substr(0, 40));
        }
        if (out.find_first_not_of("0-") == std::string::npos) {
            return bad(e, "{}@{} is the nil UUID", e.name(), attr);
        }
        return out;
    }

    // Relative, without "..", '\\', a drive letter or a URL scheme.
    static bool inside(std::string_view path) {
        if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos ||
            path.find(':') != std::string_view::npos) {
            return false;
        }
        size_t i = 0;
        while (i <= path.size()) {
            size_t end = std::min(path.find('/', i), path.size());
            if (path.substr(i, end - i) == "..") {
                return false;
            }
            i = end + 1;
        }
        return true;
    }

    Result<void> medium(const xml::Element& e, MediumKind kind, VboxMachine& out,
                        const std::string& parent = {}, size_t depth = 0) {
        if (out.media.size() >= k_max_media) {
            return bad(e, "more than {} media", k_max_media);
        }
        if (depth > k_max_chain) {
            return fail(Errc::refused, "{}: differencing disks nested more than {} deep",
                        m_doc.where(e), k_max_chain);
        }
        VboxMedium m;
        m.kind = kind;
        m.parent = parent;
        m.line = e.line();
        OVFKIT_TRY_ASSIGN(m.uuid, uuid(e, "uuid"));
        OVFKIT_TRY_ASSIGN(m.location, required(e, "location"));
        for (char c : m.location) {
            if (static_cast<unsigned char>(c) < 0x20) {
                return bad(e, "{}@location holds a control character", e.name());
            }
        }
        if (m.location.empty()) {
            return bad(e, "{}@location is empty", e.name());
        }
        m.inside = inside(m.location);
        if (kind == MediumKind::hard_disk) {
            OVFKIT_TRY_ASSIGN(std::string format, required(e, "format"));
            m.format = upper(format);
            if (std::find(k_disk_formats.begin(), k_disk_formats.end(), m.format) ==
                k_disk_formats.end()) {
                return bad(e, "HardDisk format '{}' is not read (VDI, VMDK, VHD, VHDX, RAW)",
                           format.substr(0, 32));
            }
        }
        for (std::string up = parent; !up.empty();) {
            if (up == m.uuid) {
                return fail(Errc::refused,
                            "{}: HardDisk {} is nested under itself: the differencing chain "
                            "forms a loop",
                            m_doc.where(e), m.uuid);
            }
            const VboxMedium* p = out.medium(up);
            up = p != nullptr ? p->parent : std::string();
        }
        if (out.medium(m.uuid) != nullptr) {
            return bad(e, "medium UUID {} is registered twice", m.uuid);
        }
        std::string id = m.uuid;
        out.media.push_back(std::move(m));
        if (kind == MediumKind::hard_disk) {
            // Differencing children (snapshots), nested under their parent.
            for (const auto& c : all(e, "HardDisk")) {
                OVFKIT_TRY(medium(c, kind, out, id, depth + 1));
            }
        }
        return {};
    }

    Result<void> media(const xml::Element& reg, VboxMachine& out) {
        struct Group {
            std::string_view list, item;
            MediumKind kind;
        };
        for (Group g : {Group{"HardDisks", "HardDisk", MediumKind::hard_disk},
                        Group{"DVDImages", "Image", MediumKind::dvd},
                        Group{"FloppyImages", "Image", MediumKind::floppy}}) {
            for (const auto& list : all(reg, g.list)) {
                for (const auto& e : all(list, g.item)) {
                    OVFKIT_TRY(medium(e, g.kind, out));
                }
            }
        }
        return {};
    }

    Result<void> hardware(const xml::Element& hw, VboxMachine& out) {
        // 1.20+ keep the CPU under Platform; older files under Hardware.
        xml::Element cpu = child(hw, "CPU");
        if (auto platform = child(xml::Element(hw).parent(), "Platform"); !cpu && platform) {
            cpu = child(platform, "CPU");
        }
        if (cpu && cpu.attribute("", "count")) {
            OVFKIT_TRY_ASSIGN(out.cpus, number(cpu, "count", 1, k_max_cpus));
        }
        auto memory = child(hw, "Memory");
        if (!memory) {
            return bad(hw, "Hardware has no Memory");
        }
        OVFKIT_TRY_ASSIGN(out.memory_mib, number(memory, "RAMSize", 1, k_max_ram));
        if (auto fw = child(hw, "Firmware")) {
            std::string type = upper(fw.attribute("", "type").value_or("BIOS"));
            if (type != "BIOS" && type != "EFI" && type != "EFI32" && type != "EFI64" &&
                type != "EFIDUAL") {
                return bad(fw, "Firmware type '{}' is unknown", type.substr(0, 32));
            }
            out.firmware = type;
        }
        if (auto boot = child(hw, "Boot")) {
            std::array<std::string, 4> order;
            for (const auto& o : all(boot, "Order")) {
                OVFKIT_TRY_ASSIGN(uint64_t pos, number(o, "position", 1, 4));
                OVFKIT_TRY_ASSIGN(std::string device, required(o, "device"));
                if (!order[pos - 1].empty()) {
                    return bad(o, "boot position {} is given twice", pos);
                }
                if (device != "None" && device != "Floppy" && device != "DVD" &&
                    device != "HardDisk" && device != "Network") {
                    return bad(o, "boot device '{}' is unknown", device.substr(0, 32));
                }
                order[pos - 1] = device;
            }
            for (const auto& d : order) {
                if (!d.empty() && d != "None") {
                    out.boot_order.push_back(d);
                }
            }
        }
        if (auto tpm = child(hw, "TrustedPlatformModule")) {
            out.tpm = tpm.attribute("", "type").value_or("None") != "None";
        }
        // Devices OVF does not carry, for the importer to note.
        auto enabled = [](const xml::Element& e) {
            return e.attribute("", "enabled").value_or("false") == "true";
        };
        if (auto audio = child(hw, "AudioAdapter"); audio && enabled(audio)) {
            out.dropped.emplace_back("audio");
        }
        if (auto usb = child(hw, "USB")) {
            auto list = child(usb, "Controllers");
            if (list && child(list, "Controller")) {
                out.dropped.emplace_back("usb");
            }
        }
        if (auto sf = child(hw, "SharedFolders"); sf && child(sf, "SharedFolder")) {
            out.dropped.emplace_back("shared-folders");
        }
        for (auto [list, what] : {std::pair<std::string_view, std::string_view>{"UART", "serial"},
                                  {"LPT", "parallel"}}) {
            if (auto ports = child(hw, list)) {
                for (const auto& p : all(ports, "Port")) {
                    if (enabled(p)) {
                        out.dropped.emplace_back(what);
                        break;
                    }
                }
            }
        }
        if (auto net = child(hw, "Network")) {
            std::set<uint64_t> slots;
            for (const auto& a : all(net, "Adapter")) {
                OVFKIT_TRY_ASSIGN(uint64_t slot, number(a, "slot", 0, k_max_slots - 1));
                if (!slots.insert(slot).second) {
                    return bad(a, "adapter slot {} is given twice", slot);
                }
                if (a.attribute("", "enabled").value_or("false") != "true") {
                    continue; // VirtualBox's default: a disabled adapter is no adapter
                }
                OVFKIT_TRY_ASSIGN(auto adapter, read_adapter(a, static_cast<unsigned>(slot)));
                out.adapters.push_back(std::move(adapter));
            }
            std::sort(out.adapters.begin(), out.adapters.end(),
                      [](const auto& x, const auto& y) { return x.slot < y.slot; });
        }
        return {};
    }

    Result<VboxAdapter> read_adapter(const xml::Element& a, unsigned slot) const {
        VboxAdapter out;
        out.slot = slot;
        out.type = a.attribute("", "type").value_or("");
        if (out.type.size() > 32) {
            return bad(a, "adapter type is longer than 32 bytes");
        }
        if (auto mac = a.attribute("", "MACAddress"); mac && !mac->empty()) {
            std::string hex = upper(*mac);
            if (hex.size() != 12 ||
                hex.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
                return bad(a, "MACAddress '{}' is not 12 hex digits", mac->substr(0, 32));
            }
            out.mac = hex;
        }
        size_t attached = 0;
        for (const auto& c : a.children()) {
            for (const AttachmentName& n : k_attachments) {
                if (c.name() != n.element) {
                    continue;
                }
                ++attached;
                out.attachment = std::string(n.kind);
                if (!n.attribute.empty()) {
                    out.network = c.attribute("", n.attribute).value_or("");
                }
            }
        }
        if (auto disabled = child(a, "DisabledModes")) {
            if (auto in = child(disabled, "InternalNetwork")) {
                out.remembered = in.attribute("", "name").value_or("");
            }
        }
        if (attached > 1) {
            return bad(a, "adapter in slot {} has {} attachments", slot, attached);
        }
        return out;
    }

    Result<void> storage(const xml::Element& list, VboxMachine& out) {
        std::set<std::string> names;
        for (const auto& sc : all(list, "StorageController")) {
            if (out.controllers.size() >= k_max_controllers) {
                return bad(sc, "more than {} storage controllers", k_max_controllers);
            }
            VboxController c;
            OVFKIT_TRY_ASSIGN(c.name, required(sc, "name"));
            OVFKIT_TRY_ASSIGN(c.type, required(sc, "type"));
            if (!names.insert(c.name).second) {
                return bad(sc, "two storage controllers are named '{}'", c.name.substr(0, 64));
            }
            const ReadType* t = nullptr;
            for (const ReadType& r : k_read_types) {
                t = r.type == c.type ? &r : t;
            }
            if (t == nullptr) {
                return bad(sc, "storage controller type '{}' is unknown", c.type.substr(0, 32));
            }
            c.port_count = t->ports;
            if (sc.attribute("", "PortCount")) {
                OVFKIT_TRY_ASSIGN(uint64_t n, number(sc, "PortCount", 1, t->ports));
                c.port_count = static_cast<unsigned>(n);
            }
            std::set<std::pair<uint64_t, uint64_t>> taken;
            for (const auto& d : all(sc, "AttachedDevice")) {
                VboxDevice dev;
                OVFKIT_TRY_ASSIGN(dev.type, required(d, "type"));
                if (dev.type != "HardDisk" && dev.type != "DVD" && dev.type != "Floppy") {
                    return bad(d, "attached device type '{}' is unknown", dev.type.substr(0, 32));
                }
                OVFKIT_TRY_ASSIGN(uint64_t port, number(d, "port", 0, c.port_count - 1));
                OVFKIT_TRY_ASSIGN(uint64_t device, number(d, "device", 0, t->devices - 1));
                if (!taken.insert({port, device}).second) {
                    return bad(d, "port {} device {} of controller '{}' is used twice", port,
                               device, c.name.substr(0, 64));
                }
                dev.port = static_cast<unsigned>(port);
                dev.device = static_cast<unsigned>(device);
                if (auto image = child(d, "Image")) {
                    OVFKIT_TRY_ASSIGN(std::string u, uuid(image, "uuid"));
                    dev.image = u;
                } else if (child(d, "HostDrive")) {
                    dev.host_drive = true;
                } else if (dev.type == "HardDisk") {
                    return bad(d, "a HardDisk attachment without Image");
                }
                c.devices.push_back(std::move(dev));
            }
            out.controllers.push_back(std::move(c));
        }
        return {};
    }

    const xml::Document& m_doc;
};

// The declared encoding (lower case) of a leading XML declaration.
std::string declared(std::string_view s) {
    if (!s.starts_with("<?xml")) {
        return {};
    }
    auto end = s.find("?>");
    std::string_view decl = s.substr(0, end);
    auto at = decl.find("encoding");
    if (at == std::string_view::npos) {
        return {};
    }
    auto q = decl.find_first_of("\"'", at);
    if (q == std::string_view::npos) {
        return {};
    }
    auto close = decl.find(decl[q], q + 1);
    if (close == std::string_view::npos) {
        return {};
    }
    return ascii_lower(decl.substr(q + 1, close - q - 1));
}

} // namespace

const VboxMedium* VboxMachine::medium(std::string_view id) const {
    for (const auto& m : media) {
        if (m.uuid == id) {
            return &m;
        }
    }
    return nullptr;
}

Result<VboxMachine> read_machine(const xml::Document& doc, const xml::Element& machine) {
    return Reader(doc).machine(machine);
}

Result<VboxMachine> read_vbox(std::string_view bytes, std::string name) {
    return read_vbox(bytes, std::move(name), xml::Limits{});
}

Result<VboxMachine> read_vbox(std::string_view bytes, std::string name, const xml::Limits& limits) {
    // ISO-8859-1 maps byte for byte to U+0000-U+00FF: transcode, and say so
    // in the declaration, so the loader sees UTF-8 (it takes nothing else).
    std::string transcoded;
    std::string enc = declared(bytes);
    if (enc == "iso-8859-1" || enc == "latin1" || enc == "iso_8859-1") {
        if (bytes.size() > limits.max_bytes) {
            return fail(Errc::refused, "{}: {} bytes is more than the {}-byte limit", name,
                        bytes.size(), limits.max_bytes);
        }
        auto at = bytes.find("?>");
        std::string_view decl = bytes.substr(0, at);
        auto enc_at = decl.find("encoding");
        auto q = decl.find_first_of("\"'", enc_at);
        auto close = decl.find(decl[q], q + 1);
        transcoded.reserve(bytes.size() + bytes.size() / 4);
        transcoded.append(bytes.substr(0, q + 1));
        transcoded.append("UTF-8");
        for (char c : bytes.substr(close)) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x80) {
                transcoded += c;
            } else {
                transcoded += static_cast<char>(0xC0 | (u >> 6));
                transcoded += static_cast<char>(0x80 | (u & 0x3F));
            }
        }
        bytes = transcoded;
    }
    OVFKIT_TRY_ASSIGN(xml::Document doc, xml::Document::parse(bytes, name, limits));
    xml::Element root = doc.root();
    if (root.name() != "VirtualBox") {
        return fail(Errc::invalid, "{}: the root element is {}, not VirtualBox", doc.where(root),
                    root.name());
    }
    auto version = root.attribute("", "version");
    if (!version || version->size() <= 3) {
        return fail(Errc::invalid, "{}: VirtualBox has no settings version", doc.where(root));
    }
    std::vector<xml::Element> machines;
    for (const auto& c : root.children()) {
        if (c.name() == "Machine") {
            machines.push_back(c);
        }
    }
    if (machines.size() != 1) {
        return fail(Errc::invalid, "{}: {} Machine elements; a .vbox holds one", doc.where(root),
                    machines.size());
    }
    OVFKIT_TRY_ASSIGN(VboxMachine m, read_machine(doc, machines.front()));
    m.settings_version = std::string(version->substr(0, version->find('-')));
    return m;
}

} // namespace ovfkit::platform::virtualbox
