// VMDK descriptor grammar (VMware "Virtual Disk Format 5.0", "The Descriptor
// File"; docs/disk-formats/vmdk.md section "Descriptor").
//
// Reading is strict where laxness would be dangerous and liberal where real
// producers differ:
//   - keys and keywords compare case-insensitively (VMware does);
//   - spaces around '=' are accepted; CRLF line ends are accepted;
//   - control bytes other than TAB/CR/LF, over-long lines and file names,
//     unknown line shapes and malformed numbers are errors, each naming the
//     line;
//   - device createTypes and extent types (fullDevice, vmfsRaw, VMFSRDM, ...)
//     are refused: they name host devices (SECURITY.md R1);
//   - ESXi's delta-link types (createType vmfsSparse / seSparse, extent types
//     VMFSSPARSE / SESPARSE) are not supported; hosted sparse delta links
//     are (reader.cpp follows parentFileNameHint).
// Writing follows VMware's template so that qemu's substring matching
// (`createType="`) and ESXi's importer both accept the result.
#include <algorithm>
#include <array>
#include <charconv>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/formats/vmdk/descriptor.hpp>

namespace ovfkit::disk::formats::vmdk {

namespace {

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::optional<uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 20) {
        return std::nullopt;
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

// qemu writes CIDs with "%x" (no leading zeros), VMware with 8 digits.
std::optional<uint32_t> parse_cid(std::string_view s) {
    if (s.empty() || s.size() > 8) {
        return std::nullopt;
    }
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

// Removes one pair of surrounding double quotes; nullopt when the value is
// quoted but the quotes do not close at the end.
std::optional<std::string_view> unquote(std::string_view v, bool required) {
    if (v.empty() || v.front() != '"') {
        if (required || v.find('"') != std::string_view::npos) {
            return std::nullopt;
        }
        return v;
    }
    if (v.size() < 2 || v.back() != '"' || v.substr(1, v.size() - 2).find('"') != v.npos) {
        return std::nullopt;
    }
    return v.substr(1, v.size() - 2);
}

struct CreateTypeInfo {
    std::string_view name;
    bool refused;   // names host devices
    bool supported; // ovfkit reads it
};

constexpr std::array<CreateTypeInfo, 22> k_create_types{{
    {"monolithicSparse", false, true},
    {"monolithicFlat", false, true},
    {"twoGbMaxExtentSparse", false, true},
    {"2GbMaxExtentSparse", false, true},
    {"twoGbMaxExtentFlat", false, true},
    {"2GbMaxExtentFlat", false, true},
    {"streamOptimized", false, true},
    {"vmfs", false, true},
    {"vmfsPreallocated", false, true},
    {"vmfsEagerZeroedThick", false, true},
    {"vmfsThin", false, true},
    {"vmfsThick", false, true},
    {"custom", false, true},
    {"vmfsSparse", false, false},
    {"seSparse", false, false},
    {"fullDevice", true, false},
    {"partitionedDevice", true, false},
    {"vmfsRaw", true, false},
    {"vmfsRDM", true, false},
    {"vmfsRDMP", true, false},
    {"vmfsRawDeviceMap", true, false},
    {"vmfsPassthroughRawDeviceMap", true, false},
}};

// Separates whitespace-delimited tokens; a token starting with '"' runs to
// the closing quote (file names may contain spaces).
Result<std::vector<std::string_view>> split_extent_line(std::string_view line,
                                                        std::string_view where, uint32_t line_no) {
    std::vector<std::string_view> tokens;
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ' || line[i] == '\t') {
            ++i;
            continue;
        }
        size_t start = i;
        if (line[i] == '"') {
            size_t close = line.find('"', i + 1);
            if (close == std::string_view::npos) {
                return fail(Errc::invalid, "{}: line {}: extent file name has no closing quote",
                            where, line_no);
            }
            i = close + 1;
        } else {
            while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
                ++i;
            }
        }
        tokens.push_back(line.substr(start, i - start));
        if (tokens.size() > 8) {
            return fail(Errc::invalid, "{}: line {}: too many fields in extent line", where,
                        line_no);
        }
    }
    return tokens;
}

Result<DescriptorExtent> parse_extent(std::string_view line, std::string_view where,
                                      uint32_t line_no) {
    OVFKIT_TRY_ASSIGN(auto tokens, split_extent_line(line, where, line_no));
    DescriptorExtent e;
    e.line = line_no;
    if (tokens.size() < 3) {
        return fail(Errc::invalid, "{}: line {}: extent line needs access, size and type", where,
                    line_no);
    }
    if (iequals(tokens[0], "RW")) {
        e.access = Access::rw;
    } else if (iequals(tokens[0], "RDONLY")) {
        e.access = Access::rdonly;
    } else {
        e.access = Access::noaccess;
    }
    auto sectors = parse_decimal(tokens[1]);
    if (!sectors || *sectors == 0 || *sectors > k_max_extent_sectors) {
        return fail(Errc::invalid,
                    "{}: line {}: extent size '{}' is not a sector count between 1 and 2^40", where,
                    line_no, tokens[1].substr(0, 32));
    }
    e.sectors = *sectors;
    std::string_view type = tokens[2];
    if (iequals(type, "FLAT")) {
        e.type = ExtentType::flat;
    } else if (iequals(type, "SPARSE")) {
        e.type = ExtentType::sparse;
    } else if (iequals(type, "ZERO")) {
        e.type = ExtentType::zero;
    } else if (iequals(type, "VMFS")) {
        e.type = ExtentType::vmfs;
    } else if (iequals(type, "VMFSRDM") || iequals(type, "VMFSRAW")) {
        return fail(Errc::refused,
                    "{}: line {}: extent type {} maps a host device; device extents are refused",
                    where, line_no, type);
    } else if (iequals(type, "VMFSSPARSE") || iequals(type, "SESPARSE")) {
        return fail(Errc::invalid,
                    "{}: line {}: extent type {} (an ESXi snapshot delta) is not supported; "
                    "consolidate the snapshots on ESXi first",
                    where, line_no, type);
    } else {
        return fail(Errc::invalid, "{}: line {}: unknown extent type '{}'", where, line_no,
                    type.substr(0, 32));
    }
    if (e.type == ExtentType::zero) {
        if (tokens.size() > 3) {
            return fail(Errc::invalid, "{}: line {}: a ZERO extent takes no file name", where,
                        line_no);
        }
        return e;
    }
    if (tokens.size() < 4) {
        return fail(Errc::invalid, "{}: line {}: extent has no file name", where, line_no);
    }
    auto name = unquote(tokens[3], true);
    if (!name) {
        return fail(Errc::invalid, "{}: line {}: extent file name must be double-quoted", where,
                    line_no);
    }
    if (name->empty() || name->size() > k_max_extent_name_bytes) {
        return fail(Errc::invalid, "{}: line {}: extent file name is empty or longer than {} bytes",
                    where, line_no, k_max_extent_name_bytes);
    }
    e.file_name = std::string(*name);
    if (tokens.size() >= 5) {
        auto offset = parse_decimal(tokens[4]);
        if (!offset || *offset > k_max_extent_sectors) {
            return fail(Errc::invalid, "{}: line {}: extent offset '{}' is not a sector count",
                        where, line_no, tokens[4].substr(0, 32));
        }
        if (e.type != ExtentType::flat && *offset != 0) {
            return fail(Errc::invalid, "{}: line {}: only FLAT extents may have an offset", where,
                        line_no);
        }
        e.offset = *offset;
    }
    // Further fields (partition UUIDs on Windows device extents) are ignored.
    return e;
}

} // namespace

std::optional<std::string_view> Descriptor::ddb_value(std::string_view key) const {
    for (const auto& [k, v] : ddb) {
        if (iequals(k, key)) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

bool looks_like_descriptor(std::string_view head) {
    while (!head.empty()) {
        size_t eol = head.find('\n');
        std::string_view line = trim(head.substr(0, eol));
        if (!line.empty() && line.front() != '#') {
            return line == "version=1" || line == "version=2" || line == "version=3";
        }
        if (eol == std::string_view::npos) {
            return false;
        }
        head.remove_prefix(eol + 1);
    }
    return false;
}

Result<Descriptor> parse_descriptor(std::string_view text, std::string_view where) {
    if (text.size() > k_max_descriptor_bytes) {
        return fail(Errc::refused, "{}: descriptor is {} bytes, more than the limit of {} bytes",
                    where, text.size(), k_max_descriptor_bytes);
    }
    Descriptor d;
    bool have_version = false;
    bool have_cid = false;
    bool have_create_type = false;
    uint64_t total_sectors = 0;
    uint32_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        ++line_no;
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) {
            eol = text.size();
        }
        std::string_view raw = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (raw.size() > k_max_line_bytes) {
            return fail(Errc::invalid, "{}: line {}: longer than {} bytes", where, line_no,
                        k_max_line_bytes);
        }
        for (char c : raw) {
            auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t' && c != '\r') || u == 0x7f) {
                return fail(Errc::invalid, "{}: line {}: control character 0x{:02x}", where,
                            line_no, u);
            }
        }
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (starts_with_icase(line, "ddb.")) {
            size_t eq = line.find('=');
            if (eq == std::string_view::npos) {
                return fail(Errc::invalid, "{}: line {}: disk database entry without '='", where,
                            line_no);
            }
            auto value = unquote(trim(line.substr(eq + 1)), true);
            if (!value) {
                return fail(Errc::invalid, "{}: line {}: disk database value must be quoted", where,
                            line_no);
            }
            d.ddb.emplace_back(std::string(trim(line.substr(0, eq))), std::string(*value));
            continue;
        }
        size_t first_space = line.find_first_of(" \t");
        std::string_view first = line.substr(0, first_space);
        if (iequals(first, "RW") || iequals(first, "RDONLY") || iequals(first, "NOACCESS")) {
            if (d.extents.size() >= k_max_extents) {
                return fail(Errc::invalid, "{}: line {}: more than {} extents", where, line_no,
                            k_max_extents);
            }
            OVFKIT_TRY_ASSIGN(auto extent, parse_extent(line, where, line_no));
            auto sum = checked_add(total_sectors, extent.sectors);
            if (!sum) {
                return fail(Errc::invalid, "{}: line {}: total extent size overflows", where,
                            line_no);
            }
            total_sectors = *sum;
            d.extents.push_back(std::move(extent));
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            return fail(Errc::invalid, "{}: line {}: not a key=value, extent or ddb line", where,
                        line_no);
        }
        std::string_view key = trim(line.substr(0, eq));
        std::string_view raw_value = trim(line.substr(eq + 1));
        auto value = unquote(raw_value, false);
        if (!value) {
            return fail(Errc::invalid, "{}: line {}: unbalanced quotes in value of '{}'", where,
                        line_no, key.substr(0, 64));
        }
        if (iequals(key, "version")) {
            auto v = parse_decimal(*value);
            if (!v || *v < 1 || *v > 3) {
                return fail(Errc::invalid, "{}: line {}: descriptor version '{}' is not 1, 2 or 3",
                            where, line_no, value->substr(0, 32));
            }
            d.version = static_cast<uint32_t>(*v);
            have_version = true;
        } else if (iequals(key, "CID") || iequals(key, "parentCID")) {
            auto v = parse_cid(*value);
            if (!v) {
                return fail(Errc::invalid, "{}: line {}: {} '{}' is not 1 to 8 hex digits", where,
                            line_no, key, value->substr(0, 32));
            }
            if (iequals(key, "CID")) {
                d.cid = *v;
                have_cid = true;
            } else {
                d.parent_cid = *v;
            }
        } else if (iequals(key, "createType")) {
            d.create_type = std::string(*value);
            have_create_type = true;
        } else if (iequals(key, "parentFileNameHint")) {
            d.parent_hint = std::string(*value);
        }
        // Other header keys (encoding, isNativeSnapshot, change tracking) do
        // not affect the guest data and are ignored.
    }
    if (!have_version) {
        return fail(Errc::invalid, "{}: descriptor has no 'version' line", where);
    }
    if (!have_create_type) {
        return fail(Errc::invalid, "{}: descriptor has no 'createType' line", where);
    }
    (void)have_cid; // qemu and VMware tolerate a missing CID; so do we.
    auto type =
        std::find_if(k_create_types.begin(), k_create_types.end(),
                     [&](const CreateTypeInfo& t) { return iequals(t.name, d.create_type); });
    if (type != k_create_types.end() && type->refused) {
        return fail(Errc::refused,
                    "{}: createType \"{}\" maps a host device; device disks are refused", where,
                    d.create_type);
    }
    if (type != k_create_types.end() && !type->supported) {
        return fail(Errc::invalid,
                    "{}: createType \"{}\" (an ESXi snapshot delta) is not supported; consolidate "
                    "the snapshots on ESXi first",
                    where, d.create_type);
    }
    if (type == k_create_types.end()) {
        return fail(Errc::invalid, "{}: createType \"{}\" is not supported", where,
                    d.create_type.substr(0, 64));
    }
    return d;
}

Geometry geometry_for(uint64_t capacity_sectors, std::string_view adapter_type) {
    Geometry g;
    g.sectors = 63;
    bool ide = iequals(adapter_type, "ide");
    g.heads = ide ? 16 : 255;
    uint64_t cylinders = capacity_sectors / (uint64_t{g.heads} * g.sectors);
    g.cylinders = std::min<uint64_t>(cylinders, ide ? 16383 : 65535);
    return g;
}

std::string render_descriptor(const DescriptorSpec& spec) {
    std::string out;
    out += "# Disk DescriptorFile\n";
    out += "version=1\n";
    out += "encoding=\"UTF-8\"\n";
    out += fmt::format("CID={:08x}\n", spec.cid);
    out += "parentCID=ffffffff\n";
    out += fmt::format("createType=\"{}\"\n", spec.create_type);
    out += "\n# Extent description\n";
    for (const auto& e : spec.extents) {
        const char* type = e.type == ExtentType::sparse ? "SPARSE"
                           : e.type == ExtentType::vmfs ? "VMFS"
                           : e.type == ExtentType::zero ? "ZERO"
                                                        : "FLAT";
        if (e.type == ExtentType::zero) {
            out += fmt::format("RW {} ZERO\n", e.sectors);
        } else if (e.type == ExtentType::flat) {
            out += fmt::format("RW {} {} \"{}\" {}\n", e.sectors, type, e.file_name, e.offset);
        } else {
            out += fmt::format("RW {} {} \"{}\"\n", e.sectors, type, e.file_name);
        }
    }
    Geometry g = geometry_for(spec.capacity_sectors, spec.adapter_type);
    out += "\n# The Disk Data Base\n#DDB\n\n";
    // The 128-bit content ID ends in the CID (as open-vmdk writes it); the
    // rest is derived from the CID so that output bytes depend only on input.
    uint64_t mix = spec.cid * 0x9E3779B97F4A7C15ull;
    mix ^= mix >> 29;
    out += fmt::format("ddb.longContentID = \"{:016x}{:08x}{:08x}\"\n", mix,
                       static_cast<uint32_t>(mix >> 17), spec.cid);
    out += fmt::format("ddb.virtualHWVersion = \"{}\"\n", spec.hw_version);
    out += fmt::format("ddb.geometry.cylinders = \"{}\"\n", g.cylinders);
    out += fmt::format("ddb.geometry.heads = \"{}\"\n", g.heads);
    out += fmt::format("ddb.geometry.sectors = \"{}\"\n", g.sectors);
    out += fmt::format("ddb.adapterType = \"{}\"\n", spec.adapter_type);
    if (spec.tools_version && !spec.tools_version->empty()) {
        out += "ddb.toolsInstallType = \"4\"\n";
        out += fmt::format("ddb.toolsVersion = \"{}\"\n", *spec.tools_version);
    }
    return out;
}

} // namespace ovfkit::disk::formats::vmdk
