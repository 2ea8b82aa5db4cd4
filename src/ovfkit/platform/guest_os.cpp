// Lookups in the guest-OS table and the resolution of an envelope's OS
// hints; see guest_os.hpp. The table itself is guest_os_table.cpp.
#include <algorithm>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/platform/guest_os.hpp>
#include <ovfkit/platform/guest_os_table.hpp>

namespace ovfkit::platform {

namespace {

using detail::Vocabulary;

// mapping.md 10: vendor ids and versions are capped and restricted to a
// plain alphabet before they are looked up; descriptions are only searched.
constexpr size_t k_max_id = 128;
constexpr size_t k_max_description = 1024;

constexpr bool id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ',' || c == ' ' || c == ':' || c == '+' || c == '-';
}

// `value` for a message: at most 40 bytes, quotes, backslashes, control and
// non-ASCII bytes escaped, so hostile text cannot break the line.
std::string quoted(std::string_view value) {
    std::string out = "\"";
    size_t shown = 0;
    for (char ch : value) {
        if (shown++ == 40) {
            out += "...";
            break;
        }
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c >= 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

// A vendor id or version fit to look up, trimmed; nullopt when absent or
// empty, and also when malformed, which adds a line to `ignored`.
std::optional<std::string_view> clean_id(const std::optional<std::string>& value,
                                         std::string_view hint, std::vector<std::string>& ignored) {
    if (!value) {
        return std::nullopt;
    }
    std::string_view v = trim(*value);
    if (v.empty()) {
        return std::nullopt;
    }
    if (v.size() > k_max_id) {
        ignored.push_back(fmt::format("{} {} ({} bytes) ignored: longer than {} bytes", hint,
                                      quoted(v), v.size(), k_max_id));
        return std::nullopt;
    }
    for (char c : v) {
        if (!id_char(c)) {
            ignored.push_back(fmt::format("{} {} ignored: characters outside [A-Za-z0-9._, :+-]",
                                          hint, quoted(v)));
            return std::nullopt;
        }
    }
    return v;
}

std::string_view field(const GuestOsRow& row, Vocabulary vocabulary) {
    switch (vocabulary) {
    case Vocabulary::vmware:
        return row.vmware;
    case Vocabulary::vmx:
        return row.vmx;
    case Vocabulary::vbox:
        return row.vbox;
    case Vocabulary::osinfo:
        return row.osinfo;
    case Vocabulary::pve:
        return row.pve;
    case Vocabulary::ovirt:
        return row.ovirt;
    }
    return {};
}

// Every row carrying `id` in `vocabulary`, in table order; else the row an
// alias names. Empty for anything else.
std::vector<const GuestOsRow*> rows_with(Vocabulary vocabulary, std::string_view id) {
    std::vector<const GuestOsRow*> out;
    if (id.empty() || id.size() > k_max_id) {
        return out;
    }
    for (const auto& row : detail::rows()) {
        if (iequals(field(row, vocabulary), id)) {
            out.push_back(&row);
        }
    }
    if (out.empty()) {
        for (const auto& alias : detail::aliases()) {
            if (alias.vocabulary == vocabulary && iequals(alias.alias, id)) {
                if (const auto* row = find_guest_os(alias.key)) {
                    out.push_back(row);
                }
                break;
            }
        }
    }
    return out;
}

// The first row of rows_with(), or its first 64-bit row when `prefer_x64`.
const GuestOsRow* first_with(Vocabulary vocabulary, std::string_view id, bool prefer_x64) {
    auto rows = rows_with(vocabulary, id);
    if (rows.empty()) {
        return nullptr;
    }
    if (prefer_x64) {
        for (const auto* row : rows) {
            if (row->x64) {
                return row;
            }
        }
    }
    return rows.front();
}

// The length of the longest of `row`'s description needles found in
// `lower` (a lowercased description), 0 when none is.
size_t needle_length(const GuestOsRow& row, std::string_view lower) {
    size_t best = 0;
    std::string_view list = row.describes;
    while (!list.empty()) {
        auto bar = list.find('|');
        std::string_view needle = list.substr(0, bar);
        if (needle.size() > best && lower.find(needle) != std::string_view::npos) {
            best = needle.size();
        }
        list = bar == std::string_view::npos ? std::string_view() : list.substr(bar + 1);
    }
    return best;
}

// The bitness a description states, if it does.
std::optional<bool> described_x64(std::string_view lower) {
    for (std::string_view s : {"64-bit", "64 bit", "64bit", "x64", "amd64", "x86_64", "x86-64"}) {
        if (lower.find(s) != std::string_view::npos) {
            return true;
        }
    }
    for (std::string_view s : {"32-bit", "32 bit", "32bit", "i386", "i686"}) {
        if (lower.find(s) != std::string_view::npos) {
            return false;
        }
    }
    return std::nullopt;
}

// The candidate the description names with the longest needle; among equal
// ones the bitness the text states, else `x64`. Null when none is named.
const GuestOsRow* by_description(const std::vector<const GuestOsRow*>& candidates,
                                 std::string_view lower, bool x64) {
    bool want_x64 = described_x64(lower).value_or(x64);
    const GuestOsRow* best = nullptr;
    size_t best_length = 0;
    for (const auto* row : candidates) {
        size_t length = needle_length(*row, lower);
        if (length == 0) {
            continue;
        }
        if (length > best_length ||
            (length == best_length && row->x64 == want_x64 && best->x64 != want_x64)) {
            best = row;
            best_length = length;
        }
    }
    return best;
}

std::vector<const GuestOsRow*> all_rows_of(OsFamily family) {
    std::vector<const GuestOsRow*> out;
    for (const auto& row : detail::rows()) {
        if (row.family == family) {
            out.push_back(&row);
        }
    }
    return out;
}

// The rows an ovf:id (+ version) stands for: those with the version, else
// those without one, else every row with the id.
std::vector<const GuestOsRow*> cim_rows(uint16_t id, std::string_view version) {
    std::vector<const GuestOsRow*> exact;
    std::vector<const GuestOsRow*> versionless;
    std::vector<const GuestOsRow*> any;
    for (const auto& row : detail::rows()) {
        if (row.cim != id) {
            continue;
        }
        any.push_back(&row);
        if (!version.empty() && iequals(row.cim_version, version)) {
            exact.push_back(&row);
        }
        if (row.cim_version.empty()) {
            versionless.push_back(&row);
        }
    }
    return !exact.empty() ? exact : !versionless.empty() ? versionless : any;
}

// The first of `rows` with the wanted bitness, else the first. CIM 18 and
// 105 name both bitnesses; without a word on it the 64-bit type is chosen,
// which also runs a 32-bit guest (the reverse may not boot).
const GuestOsRow* pick_bitness(const std::vector<const GuestOsRow*>& rows, bool x64) {
    for (const auto* row : rows) {
        if (row->x64 == x64) {
            return row;
        }
    }
    return rows.empty() ? nullptr : rows.front();
}

const detail::GuestOsCimRange* cim_windows_range(uint16_t id) {
    for (const auto& range : detail::cim_windows()) {
        if (range.id == id) {
            return &range;
        }
    }
    return nullptr;
}

// What one vendor hint says.
struct Opinion {
    std::string_view hint; // the name decided_by reports
    std::string_view value;
    std::vector<const GuestOsRow*> rows;  // rows carrying the id; first is canonical
    const GuestOsRow* inferred = nullptr; // rule 4 when the id is in no table
    bool x64 = false;                     // the spelling's bitness (rule 2.2)
};

// The first vocabulary that knows `value` (an exact vendor string of
// unknown origin): VirtualBox, vSphere, .vmx, libosinfo, oVirt.
Opinion vendor_opinion(std::string_view value) {
    Opinion op{"os_type", value, {}, nullptr, false};
    struct Try {
        Vocabulary vocabulary;
        std::string_view hint;
    };
    for (Try t : {Try{Vocabulary::vbox, "vbox:OSType"}, Try{Vocabulary::vmware, "vmw:osType"},
                  Try{Vocabulary::vmx, "vmx:guestOS"}, Try{Vocabulary::osinfo, "osinfo"},
                  Try{Vocabulary::ovirt, "ovirt:os"}}) {
        if (t.vocabulary == Vocabulary::osinfo) {
            if (const auto* row = first_with(t.vocabulary, value, true)) {
                op.rows = {row};
            }
        } else {
            op.rows = rows_with(t.vocabulary, value);
        }
        if (!op.rows.empty()) {
            op.hint = t.hint;
            return op;
        }
    }
    return op;
}

// Rule 4 for an id in no table: the release-less row its spelling names,
// and its bitness (a "64" anywhere, as in _64, -64, 64Guest, x64).
void infer(Opinion& op) {
    std::string lower = ascii_lower(op.value);
    op.x64 = lower.find("64") != std::string::npos;
    if (!op.rows.empty()) {
        return;
    }
    for (const auto& p : detail::patterns()) {
        bool hit = p.anywhere ? lower.find(p.text) != std::string::npos : lower.starts_with(p.text);
        if (hit) {
            op.inferred = find_guest_os(op.x64 ? p.key64 : p.key32);
            return;
        }
    }
}

// The family an opinion states, nullopt when it states none.
std::optional<OsFamily> family_of(const Opinion& op) {
    if (!op.rows.empty()) {
        return op.rows.front()->family;
    }
    if (op.inferred != nullptr) {
        return op.inferred->family;
    }
    return std::nullopt;
}

} // namespace

std::string_view os_family_name(OsFamily family) {
    switch (family) {
    case OsFamily::other:
        return "other";
    case OsFamily::windows:
        return "windows";
    case OsFamily::linux:
        return "linux";
    case OsFamily::bsd:
        return "bsd";
    case OsFamily::solaris:
        return "solaris";
    }
    return "other";
}

std::string_view os_confidence_name(OsConfidence confidence) {
    switch (confidence) {
    case OsConfidence::low:
        return "low";
    case OsConfidence::medium:
        return "medium";
    case OsConfidence::high:
        return "high";
    }
    return "low";
}

std::span<const GuestOsRow> guest_os_table() {
    return detail::rows();
}

const GuestOsRow* find_guest_os(std::string_view key) {
    for (const auto& row : detail::rows()) {
        if (row.key == key) {
            return &row;
        }
    }
    return nullptr;
}

const GuestOsRow* guest_os_by_vmware(std::string_view id) {
    return first_with(Vocabulary::vmware, id, false);
}

const GuestOsRow* guest_os_by_vmx(std::string_view key) {
    return first_with(Vocabulary::vmx, key, false);
}

const GuestOsRow* guest_os_by_vbox(std::string_view id) {
    return first_with(Vocabulary::vbox, id, false);
}

const GuestOsRow* guest_os_by_ovirt(std::string_view name) {
    return first_with(Vocabulary::ovirt, name, false);
}

const GuestOsRow* guest_os_by_osinfo(std::string_view id) {
    if (iequals(id, "unknown")) {
        return find_guest_os("other-64");
    }
    return first_with(Vocabulary::osinfo, id, true);
}

const GuestOsRow* guest_os_by_pve(std::string_view id) {
    // Proxmox's generic ids stay generic (rule 3); the first 64-bit row of
    // "l26" would otherwise be a distribution.
    if (iequals(id, "l26")) {
        return find_guest_os("linux-64");
    }
    if (iequals(id, "l24")) {
        return find_guest_os("linux24-64");
    }
    if (iequals(id, "other")) {
        return find_guest_os("other-64");
    }
    return first_with(Vocabulary::pve, id, true);
}

const GuestOsRow* guest_os_by_cim(uint16_t id, std::string_view version) {
    if (const auto* range = cim_windows_range(id)) {
        return find_guest_os(range->oldest);
    }
    return pick_bitness(cim_rows(id, version), true);
}

std::optional<uint16_t> parse_cim_os_id(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    auto value = parse_decimal(text);
    if (!value || *value > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(*value);
}

const GuestOsRow& fallback_guest_os(OsFamily family, bool x64) {
    std::string_view key = x64 ? "other-64" : "other";
    switch (family) {
    case OsFamily::other:
        break;
    case OsFamily::windows:
        key = x64 ? "windows-64" : "windows";
        break;
    case OsFamily::linux:
        key = x64 ? "linux-64" : "linux";
        break;
    case OsFamily::bsd:
        key = x64 ? "freebsd-64" : "freebsd";
        break;
    case OsFamily::solaris:
        key = x64 ? "solaris10-64" : "solaris10";
        break;
    }
    return *find_guest_os(key);
}

GuestOsHints guest_os_hints(const ovf::SystemSummary& system) {
    GuestOsHints hints;
    hints.cim_id = system.os_id;
    hints.cim_version = system.os_version;
    hints.vendor_os_type = system.os_type;
    hints.description = system.os_description;
    return hints;
}

GuestOs resolve_guest_os(const GuestOsHints& hints) {
    GuestOs out;
    std::string_view decided_value; // the deciding hint's text, for the conflict line

    // Every hint is validated first (mapping.md 10).
    auto vbox = clean_id(hints.vbox, "vbox:OSType", out.ignored);
    auto vmware = clean_id(hints.vmware, "vmw:osType", out.ignored);
    auto vendor = clean_id(hints.vendor_os_type, "OS type", out.ignored);
    auto version = clean_id(hints.cim_version, "ovf:version", out.ignored);
    uint16_t cim = 0; // 0 is CIM's "Unknown": no information
    if (hints.cim_id) {
        if (auto id = parse_cim_os_id(*hints.cim_id)) {
            cim = *id;
        } else {
            out.ignored.push_back(fmt::format(
                "ovf:id {} ignored: not a decimal number from 0 to 65535", quoted(*hints.cim_id)));
        }
    }
    std::optional<std::string> description;
    if (hints.description) {
        std::string_view d = trim(*hints.description);
        if (d.size() > k_max_description) {
            out.ignored.push_back(
                fmt::format("Description ({} bytes) ignored: longer than {} bytes", d.size(),
                            k_max_description));
        } else if (!d.empty()) {
            description = ascii_lower(d);
        }
    }
    std::string_view version_text = version.value_or(std::string_view());

    // Vendor hints, in priority order (2.1: VirtualBox, then VMware).
    std::vector<Opinion> opinions;
    if (vbox) {
        opinions.push_back({"vbox:OSType", *vbox, rows_with(Vocabulary::vbox, *vbox)});
    }
    if (vmware) {
        Opinion op{"vmw:osType", *vmware, rows_with(Vocabulary::vmware, *vmware)};
        if (op.rows.empty()) {
            op.rows = rows_with(Vocabulary::vmx, *vmware); // a .vmx key where the enum belongs
        }
        opinions.push_back(op);
    }
    if (vendor) {
        opinions.push_back(vendor_opinion(*vendor));
    }
    for (auto& op : opinions) {
        infer(op);
    }

    // The CIM id's answer, for when no vendor id is known.
    const GuestOsRow* cim_row = nullptr;
    const GuestOsRow* cim_newest = nullptr;
    std::string_view cim_decided;
    OsConfidence cim_confidence = OsConfidence::medium;
    if (cim != 0) {
        if (const auto* range = cim_windows_range(cim)) {
            // Rule 2.1.2: the release comes from the description if it names
            // one, else the oldest candidate with low confidence.
            const GuestOsRow* named = nullptr;
            if (description) {
                named = by_description(all_rows_of(OsFamily::windows), *description,
                                       find_guest_os(range->oldest)->x64);
            }
            if (named != nullptr && !named->generic) {
                cim_row = cim_newest = named;
                cim_decided = "description";
            } else {
                cim_row = find_guest_os(range->oldest);
                cim_newest = find_guest_os(range->newest);
                cim_decided = "ovf:id";
                cim_confidence = OsConfidence::low;
            }
        } else {
            auto rows = cim_rows(cim, version_text);
            bool exact = !rows.empty() && !version_text.empty() &&
                         iequals(rows.front()->cim_version, version_text);
            bool x64 = true;
            if (description) {
                x64 = described_x64(*description).value_or(true);
            }
            cim_row = cim_newest = pick_bitness(rows, x64);
            cim_decided = exact ? "ovf:id+ovf:version" : "ovf:id";
            cim_confidence = exact ? OsConfidence::high : OsConfidence::medium;
        }
    }

    const Opinion* authority = nullptr;
    for (const auto& op : opinions) {
        if (family_of(op)) {
            authority = &op;
            break;
        }
    }

    if (authority != nullptr && !authority->rows.empty()) {
        // A known vendor id decides. When several rows share it, ovf:version
        // and then the description may pick among them, unless the id is
        // generic (rule 3: never invent a distribution).
        const auto& rows = authority->rows;
        const GuestOsRow* row = rows.front();
        std::string_view refined;
        if (rows.size() > 1 && !row->generic) {
            const GuestOsRow* by_version = nullptr;
            if (!version_text.empty()) {
                for (const auto* r : rows) {
                    if (iequals(r->cim_version, version_text) && r->cim == cim) {
                        by_version = r;
                        break;
                    }
                }
                for (const auto* r : rows) {
                    if (by_version == nullptr && iequals(r->cim_version, version_text)) {
                        by_version = r;
                    }
                }
            }
            if (by_version != nullptr) {
                row = by_version;
                refined = "+ovf:version";
            } else if (description) {
                if (const auto* named = by_description(rows, *description, row->x64)) {
                    row = named;
                    refined = "+description";
                }
            }
            if (row == rows.front()) {
                refined = {};
            }
        }
        out.row = row;
        out.decided_by = std::string(authority->hint) + std::string(refined);
        decided_value = authority->value;
        out.confidence = OsConfidence::high;
    } else if (authority != nullptr) {
        // The vendor id is in no table but names its family (rule 4): the
        // CIM id may say which release, if it agrees on family and bitness.
        const GuestOsRow* inferred = authority->inferred;
        if (cim_row != nullptr && cim_row->family == inferred->family &&
            cim_row->x64 == inferred->x64) {
            out.row = cim_row;
            out.newest = cim_newest;
            out.decided_by = cim_decided;
            out.confidence = std::min(cim_confidence, OsConfidence::medium);
            decided_value = *hints.cim_id;
        } else {
            out.row = inferred;
            out.decided_by = authority->hint;
            decided_value = authority->value;
            out.confidence = OsConfidence::low;
        }
    } else if (cim_row != nullptr) {
        out.row = cim_row;
        out.newest = cim_newest;
        out.decided_by = cim_decided;
        out.confidence = cim_confidence;
        decided_value = *hints.cim_id;
    } else {
        // Nothing names a row: a description may, else an unknown vendor
        // id's bitness picks Other, else Other 64-bit (rule 4).
        const GuestOsRow* named = nullptr;
        if (description) {
            std::vector<const GuestOsRow*> every;
            for (const auto& row : detail::rows()) {
                every.push_back(&row);
            }
            named = by_description(every, *description, true);
        }
        if (named != nullptr) {
            out.row = named;
            out.decided_by = "description";
        } else if (!opinions.empty()) {
            out.row = &fallback_guest_os(OsFamily::other, opinions.front().x64);
            out.decided_by = opinions.front().hint;
        } else {
            out.row = &fallback_guest_os(OsFamily::other, true);
            out.decided_by = "none";
        }
        out.confidence = OsConfidence::low;
    }
    if (out.newest == nullptr) {
        out.newest = out.row;
    }

    // Rule 2.1.1: a hint naming another family than the chosen row's is
    // reported (Other names no family).
    if (out.row->family != OsFamily::other) {
        auto report = [&](std::string_view hint, std::string_view value, OsFamily family) {
            if (out.conflict || family == OsFamily::other || family == out.row->family) {
                return;
            }
            out.conflict = fmt::format(
                "the guest OS hints disagree on the family: {} {} is {}, {} {} is {}; {} wins",
                out.decided_by, quoted(decided_value), os_family_name(out.row->family), hint,
                quoted(value), os_family_name(family), out.decided_by);
        };
        for (const auto& op : opinions) {
            if (auto family = family_of(op)) {
                report(op.hint, op.value, *family);
            }
        }
        if (cim_row != nullptr) {
            report("ovf:id", *hints.cim_id, cim_row->family);
        }
    }
    return out;
}

} // namespace ovfkit::platform
