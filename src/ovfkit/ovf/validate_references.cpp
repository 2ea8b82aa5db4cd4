// Semantic validation: ids and the references between envelope elements,
// file names and, when the package is at hand, file presence and sizes.
//
// DSP0243 ids live in separate spaces: File ovf:id, Disk ovf:diskId,
// Network ovf:name, Configuration ovf:id and Content ovf:id must each be
// unique in the envelope. References into them: Disk/@ovf:fileRef and
// @ovf:parentRef, Icon/@ovf:fileRef, Strings/@ovf:fileRef, Msg/@ovf:fileRef,
// StartupSection/Item/@ovf:id; the hardware ones (HostResource, Connection,
// ovf:configuration) are checked in validate_hardware.cpp.
//
// A File is "used" when anything names it, including vendor elements kept
// verbatim (VMware's <vmw:ExtraConfig vmw:value="ovf:/file/file2"> for an
// NVRAM file, 2.x EnvironmentFilesSection's ovf:fileRef): those are scanned
// as text, because ovfkit does not model them.
#include <algorithm>
#include <map>
#include <set>

#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/ovf_uri.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/ovf/units.hpp>
#include <ovfkit/ovf/validate_internal.hpp>

namespace ovfkit::ovf::detail {

namespace {

constexpr uint64_t k_max_capacity = uint64_t{64} << 40; // SECURITY.md R16
constexpr uint32_t k_max_chunks = 10'000;

// ISO images are referenced as disks too (CD-ROM media), and have no disk
// driver; every other format URI is the disk drivers' (disk/ovf_uri.hpp).
constexpr std::string_view k_iso_uri = "ecma-international.org/publications/standards/ecma-119.htm";

bool known_disk_format(std::string_view uri) {
    return disk::format_for_uri(uri) != nullptr || disk::normalized_uri(uri) == k_iso_uri;
}

enum class HrefKind { plain, subdirectory, unsafe };

struct HrefCheck {
    HrefKind kind = HrefKind::plain;
    std::string why;
    std::string member;           // plain hrefs: the file name, %-escapes decoded
    bool literal_percent = false; // a '%' that starts no escape, taken literally
};

HrefCheck unsafe_href(std::string why) {
    return {HrefKind::unsafe, std::move(why), {}, false};
}

// An href is a URI reference (RFC 3986): "disk%201.vmdk" names "disk 1.vmdk".
// Returns false on a '%' not followed by two hex digits.
bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        int hi = i + 2 < in.size() ? hex_digit(in[i + 1]) : -1;
        int lo = i + 2 < in.size() ? hex_digit(in[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            return false;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

bool has_scheme(std::string_view href) {
    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    if (href.empty() || !std::isalpha(static_cast<unsigned char>(href[0]))) {
        return false;
    }
    for (size_t i = 1; i < href.size(); ++i) {
        auto c = static_cast<unsigned char>(href[i]);
        if (c == ':') {
            return true;
        }
        if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    return false;
}

// SECURITY.md R1-R3: an href names a file inside the package and nothing
// else. Directories inside the package are legal OVF but ovfkit keeps
// packages flat (an OVA has no directories), so they are only a warning.
HrefCheck check_href(std::string_view href) {
    if (href.empty()) {
        return unsafe_href("is empty");
    }
    if (has_scheme(href)) {
        return unsafe_href(
            "is a URL; ovfkit reads only files inside the package and never the network");
    }
    if (href.front() == '/' || href.front() == '\\') {
        return unsafe_href("is an absolute path; it must name a file inside the package");
    }
    if (href.find('\\') != std::string_view::npos) {
        return unsafe_href("has a backslash; use plain file names");
    }
    bool subdir = false;
    bool literal_percent = false;
    size_t start = 0;
    std::string decoded;
    while (start <= href.size()) {
        size_t slash = href.find('/', start);
        std::string_view part = href.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        // Producers that do not escape (VirtualBox writes names as they
        // are) can leave a '%' that starts no escape: such a segment is the
        // literal name, and the validator says so.
        if (!percent_decode(part, decoded)) {
            decoded.assign(part);
            literal_percent = true;
        }
        if (decoded == "..") {
            return unsafe_href("has a '..' segment that leaves the package");
        }
        // Checked after decoding: "%2F" and "%00" must not smuggle a
        // separator or a NUL into a file name.
        if (auto ok = io::check_member_name(decoded); !ok) {
            return unsafe_href(ok.error().message);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        subdir = true;
        start = slash + 1;
    }
    if (subdir) {
        return {HrefKind::subdirectory, {}, {}, literal_percent};
    }
    return {HrefKind::plain, {}, std::move(decoded), literal_percent};
}

// ${key} references resolve against the full property names, then (for
// producers that write the short key) against the plain keys.
const Property* find_property(const Context& ctx, std::string_view key) {
    if (auto it = ctx.properties.find(key); it != ctx.properties.end()) {
        return it->second;
    }
    for (const auto& [full, p] : ctx.properties) {
        if (p->key == key) {
            return p;
        }
    }
    return nullptr;
}

// Finds "ovf:/file/ID" and "fileRef=\"ID\"" in verbatim XML.
void scan_file_references(std::string_view xml, std::set<std::string, std::less<>>& out) {
    auto take_until = [&](size_t pos, std::string_view stops) {
        size_t end = xml.find_first_of(stops, pos);
        return xml.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    };
    for (std::string_view marker : {std::string_view("ovf:/file/"), std::string_view("ovf://file/"),
                                    std::string_view("/file/")}) {
        for (size_t pos = xml.find(marker); pos != std::string_view::npos;
             pos = xml.find(marker, pos + 1)) {
            out.insert(std::string(take_until(pos + marker.size(), "\"'<> \t\r\n")));
        }
    }
    for (size_t pos = xml.find("fileRef=\""); pos != std::string_view::npos;
         pos = xml.find("fileRef=\"", pos + 1)) {
        out.insert(std::string(take_until(pos + 9, "\"")));
    }
}

void scan_extras(const Extras& extra, std::set<std::string, std::less<>>& out) {
    for (const auto& e : extra.elements) {
        scan_file_references(e.element.xml, out);
    }
}

void index_files(Context& ctx) {
    std::map<std::string, uint32_t, std::less<>> hrefs; // the file each names -> line
    for (const auto& f : ctx.env.references.files) {
        uint32_t line = f.line.number;
        if (f.id.empty()) {
            ctx.error("OVF-ATTR-001", line,
                      fmt::format("<File> ovf:href {} has no ovf:id; give every File a unique id",
                                  quote(f.href)));
        } else if (!ctx.files.emplace(f.id, &f).second) {
            ctx.error("OVF-ID-001", line,
                      fmt::format("<File> ovf:id {} is already used by the File on line {}; "
                                  "File ids must be unique",
                                  quote(f.id), ctx.files[f.id]->line.number));
        }
        auto href = check_href(f.href);
        if (href.kind == HrefKind::unsafe) {
            ctx.error(
                "OVF-HREF-001", line,
                fmt::format("<File> {} ovf:href {} {}", quote(f.id), quote(f.href), href.why));
        } else if (href.kind == HrefKind::subdirectory && ctx.env.version != OvfVersion::ovirt) {
            ctx.warning("OVF-HREF-002", line,
                        fmt::format("<File> {} ovf:href {} is in a subdirectory; ovfkit "
                                    "packages are flat (an OVA has no directories), so it is not "
                                    "checked and cannot be packed as is",
                                    quote(f.id), quote(f.href)));
        }
        if (href.kind != HrefKind::unsafe) {
            // Two Files for one package file: each would be written, hashed
            // and sized on its own, and readers disagree on which one wins.
            std::string key = href.kind == HrefKind::plain ? href.member : f.href;
            auto [it, fresh] = hrefs.emplace(std::move(key), line);
            if (!fresh) {
                ctx.error("OVF-ID-007", line,
                          fmt::format("<File> {} ovf:href {} names the same file as the File on "
                                      "line {}; reference one File from every disk that uses it",
                                      quote(f.id), quote(f.href), it->second));
            }
        }
        if (href.literal_percent) {
            ctx.warning("OVF-HREF-003", line,
                        fmt::format("<File> {} ovf:href {} has a '%' that starts no %-escape; "
                                    "it is taken literally (escape it as %25)",
                                    quote(f.id), quote(f.href)));
        }
        if (f.size) {
            if (is_placeholder(*f.size)) {
                ctx.warning("OVF-NUM-002", line,
                            fmt::format("<File> {} ovf:size is the placeholder {}; fill it in "
                                        "before the package is deployed",
                                        quote(f.id), quote(*f.size)));
            } else if (!parse_u64(*f.size, "ovf:size")) {
                ctx.error("OVF-NUM-001", line,
                          fmt::format("<File> {} ovf:size {} is not a byte count (an unsigned "
                                      "decimal number)",
                                      quote(f.id), quote(*f.size)));
            }
        }
        if (f.compression && !f.compression->empty() && *f.compression != "gzip") {
            ctx.error("OVF-FILE-005", line,
                      fmt::format("<File> {} ovf:compression {} is not supported (only \"gzip\" "
                                  "is); store the file uncompressed or gzip it",
                                  quote(f.id), quote(*f.compression)));
        }
        if (f.chunk_size) {
            auto n = parse_u64(*f.chunk_size, "ovf:chunkSize");
            if (!n || *n == 0) {
                ctx.error("OVF-NUM-001", line,
                          fmt::format("<File> {} ovf:chunkSize {} is not a positive byte count",
                                      quote(f.id), quote(*f.chunk_size)));
            }
        }
    }
}

void index_properties(Context& ctx) {
    for (const auto& ref : ctx.all_contents) {
        for (const auto* ps : ref.content->find_all<ProductSection>()) {
            for (const auto& p : ps->properties) {
                ctx.properties.emplace(ps->qualified_key(p), &p);
            }
            for (const auto& icon : ps->icons) {
                ctx.referenced_files.insert(icon.file_ref);
                if (!ctx.files.contains(icon.file_ref)) {
                    ctx.error("OVF-REF-008", icon.line.number,
                              fmt::format("<Icon> ovf:fileRef {} names no <File> in "
                                          "<References>; add the File or remove the Icon",
                                          quote(icon.file_ref)));
                }
            }
        }
    }
}

void check_capacity(Context& ctx, const Disk& d) {
    uint32_t line = d.line.number;
    std::string units = d.capacity_allocation_units.value_or("byte");
    if (auto factor = parse_allocation_units(units); !factor) {
        ctx.error("OVF-UNIT-001", line,
                  fmt::format("<Disk> {} ovf:capacityAllocationUnits {} is not a byte unit; "
                              "write \"byte\", \"byte * 2^20\" or \"byte * 2^30\"",
                              quote(d.disk_id), quote(units)));
        return;
    } else if (d.capacity_allocation_units && !ascii_lower(units).starts_with("byte")) {
        ctx.warning("OVF-UNIT-003", line,
                    fmt::format("<Disk> {} ovf:capacityAllocationUnits {} is not a DSP0004 "
                                "programmatic unit (read as {} bytes); strict consumers want "
                                "\"byte * 2^N\"",
                                quote(d.disk_id), quote(units), *factor));
    }
    std::string capacity = d.capacity;
    if (capacity.empty()) {
        ctx.error(
            "OVF-ATTR-001", line,
            fmt::format("<Disk> {} has no ovf:capacity; state the virtual size", quote(d.disk_id)));
        return;
    }
    if (auto key = property_reference(capacity); !key.empty()) {
        const Property* p = find_property(ctx, key);
        if (p == nullptr) {
            ctx.error("OVF-DISK-004", line,
                      fmt::format("<Disk> {} ovf:capacity {} names no property; define a "
                                  "ProductSection property with that key or write a number",
                                  quote(d.disk_id), quote(capacity)));
            return;
        }
        if (!p->value || !parse_u64(*p->value, "value")) {
            return; // no usable default; the property checks say why
        }
        capacity = *p->value;
    } else if (is_placeholder(capacity)) {
        ctx.warning("OVF-NUM-002", line,
                    fmt::format("<Disk> {} ovf:capacity is the placeholder {}; it must be "
                                "filled in before the package can be deployed",
                                quote(d.disk_id), quote(capacity)));
        return;
    }
    if (!parse_u64(capacity, "ovf:capacity")) {
        ctx.error("OVF-NUM-001", line,
                  fmt::format("<Disk> {} ovf:capacity {} is not an unsigned decimal number or "
                              "a ${{property}} reference",
                              quote(d.disk_id), quote(capacity)));
        return;
    }
    auto bytes = capacity_bytes(capacity, units);
    if (!bytes) {
        ctx.error("OVF-UNIT-002", line,
                  fmt::format("<Disk> {}: {}", quote(d.disk_id), bytes.error().message));
        return;
    }
    if (*bytes == 0) {
        ctx.warning("OVF-DISK-003", line,
                    fmt::format("<Disk> {} has capacity 0; {}", quote(d.disk_id),
                                d.file_ref ? "the size will be taken from the disk image"
                                           : "a blank disk of 0 bytes is useless"));
    } else if (*bytes > k_max_capacity) {
        ctx.warning("OVF-DISK-005", line,
                    fmt::format("<Disk> {} capacity is {} bytes, more than 64 TiB; ovfkit refuses "
                                "to convert disks that large unless told to",
                                quote(d.disk_id), *bytes));
    }
}

// The disks whose parentRef chain never ends (it runs into a loop, whether
// or not the disk is part of it). Each disk has one parent, so one walk per
// disk, each disk visited once overall, finds them all.
std::set<const Disk*>
endless_parent_chains(const std::map<std::string, const Disk*, std::less<>>& disks) {
    std::set<const Disk*> endless;
    std::map<const Disk*, int> state; // 1: on the current walk, 2: done
    for (const auto& [_, start] : disks) {
        std::vector<const Disk*> walk;
        bool loops = false;
        for (const Disk* cur = start; cur != nullptr;) {
            int& st = state[cur];
            if (st == 2) {
                loops = endless.contains(cur);
                break;
            }
            if (st == 1) {
                loops = true;
                break;
            }
            st = 1;
            walk.push_back(cur);
            if (!cur->parent_ref || cur->parent_ref->empty()) {
                break;
            }
            auto next = disks.find(*cur->parent_ref);
            cur = next == disks.end() ? nullptr : next->second;
        }
        for (const Disk* d : walk) {
            state[d] = 2;
            if (loops) {
                endless.insert(d);
            }
        }
    }
    return endless;
}

void index_disks(Context& ctx) {
    std::vector<const Disk*> all;
    auto collect = [&](const std::vector<Section>& sections) {
        for (const auto* ds : find_all<DiskSection>(sections)) {
            for (const auto& d : ds->disks) {
                all.push_back(&d);
            }
        }
    };
    collect(ctx.env.sections);
    for (const auto& ref : ctx.all_contents) {
        collect(ref.content->sections); // 2.x allows DiskSection inside content
    }
    for (const Disk* d : all) {
        uint32_t line = d->line.number;
        if (d->disk_id.empty()) {
            ctx.error("OVF-ATTR-001", line,
                      "<Disk> has no ovf:diskId; give every Disk a unique id");
        } else if (!ctx.disks.emplace(d->disk_id, d).second) {
            ctx.error("OVF-ID-002", line,
                      fmt::format("<Disk> ovf:diskId {} is already used by the Disk on line {}; "
                                  "disk ids must be unique",
                                  quote(d->disk_id), ctx.disks[d->disk_id]->line.number));
        }
        if (d->file_ref && d->file_ref->empty()) {
            ctx.warning("OVF-REF-012", line,
                        fmt::format("<Disk> {} has an empty ovf:fileRef; read as a blank disk "
                                    "with no file (leave the attribute out to say so)",
                                    quote(d->disk_id)));
        } else if (d->file_ref) {
            const File* file = nullptr;
            if (auto it = ctx.files.find(*d->file_ref); it != ctx.files.end()) {
                file = it->second;
            } else if (ctx.env.version == OvfVersion::ovirt) {
                // oVirt's fileRef is the File's href ("image/volume"), not its id.
                for (const auto& f : ctx.env.references.files) {
                    if (f.href == *d->file_ref) {
                        file = &f;
                    }
                }
            }
            if (file != nullptr) {
                ctx.referenced_files.insert(file->id);
            } else {
                ctx.error("OVF-REF-001", line,
                          fmt::format("<Disk> {} ovf:fileRef {} names no <File> in <References>; "
                                      "add the File or correct the reference",
                                      quote(d->disk_id), quote(*d->file_ref)));
            }
        }
        check_capacity(ctx, *d);
        if (d->populated_size && !is_placeholder(*d->populated_size) &&
            !parse_u64(*d->populated_size, "ovf:populatedSize")) {
            ctx.error("OVF-NUM-001", line,
                      fmt::format("<Disk> {} ovf:populatedSize {} is not a byte count",
                                  quote(d->disk_id), quote(*d->populated_size)));
        }
        if (!d->format || d->format->empty()) {
            ctx.warning("OVF-DISK-002", line,
                        fmt::format("<Disk> {} has no ovf:format; consumers such as VirtualBox "
                                    "require it (the format will be detected from the file)",
                                    quote(d->disk_id)));
        } else if (!known_disk_format(*d->format)) {
            ctx.warning("OVF-DISK-001", line,
                        fmt::format("<Disk> {} ovf:format {} is not a disk format URI ovfkit "
                                    "knows; the format will be detected from the file",
                                    quote(d->disk_id), quote(*d->format)));
        }
    }
    // parentRef needs every disk indexed first.
    std::set<const Disk*> endless = endless_parent_chains(ctx.disks);
    for (const Disk* d : all) {
        if (!d->parent_ref || d->parent_ref->empty()) {
            continue; // oVirt writes ovf:parentRef="" for "no parent"
        }
        auto it = ctx.disks.find(*d->parent_ref);
        if (it == ctx.disks.end()) {
            ctx.error("OVF-REF-002", d->line.number,
                      fmt::format("<Disk> {} ovf:parentRef {} names no <Disk>; a delta disk needs "
                                  "its parent in the DiskSection",
                                  quote(d->disk_id), quote(*d->parent_ref)));
            continue;
        }
        ctx.referenced_disks.insert(*d->parent_ref);
        if (endless.contains(d)) {
            ctx.error("OVF-REF-002", d->line.number,
                      fmt::format("<Disk> {} ovf:parentRef chain loops back on itself",
                                  quote(d->disk_id)));
        }
    }
}

void index_networks_and_configurations(Context& ctx) {
    for (const auto* ns : find_all<NetworkSection>(ctx.env.sections)) {
        for (const auto& n : ns->networks) {
            if (n.name.empty()) {
                ctx.error("OVF-ATTR-001", n.line.number,
                          "<Network> has no ovf:name; NICs refer to networks by name");
            } else if (!ctx.networks.emplace(n.name, &n).second) {
                ctx.error("OVF-ID-003", n.line.number,
                          fmt::format("<Network> ovf:name {} is already used by the Network on "
                                      "line {}; network names must be unique",
                                      quote(n.name), ctx.networks[n.name]->line.number));
            }
        }
    }
    for (const auto* dos : find_all<DeploymentOptionSection>(ctx.env.sections)) {
        const Configuration* first_default = nullptr;
        for (const auto& c : dos->configurations) {
            if (c.id.empty()) {
                ctx.error("OVF-ATTR-001", c.line.number,
                          "<Configuration> has no ovf:id; items and properties refer to it by id");
            } else if (!ctx.configurations.emplace(c.id, &c).second) {
                ctx.error("OVF-ID-005", c.line.number,
                          fmt::format("<Configuration> ovf:id {} is already used by the "
                                      "Configuration on line {}; ids must be unique",
                                      quote(c.id), ctx.configurations[c.id]->line.number));
            }
            if (c.is_default == true) {
                if (first_default != nullptr) {
                    ctx.error("OVF-CFG-001", c.line.number,
                              fmt::format("<Configuration> {} is ovf:default=\"true\" but so is "
                                          "{} on line {}; mark exactly one as the default",
                                          quote(c.id), quote(first_default->id),
                                          first_default->line.number));
                } else {
                    first_default = &c;
                }
            }
        }
        if (dos->configurations.empty()) {
            ctx.warning("OVF-CFG-002", dos->header.line.number,
                        "<DeploymentOptionSection> lists no <Configuration>; remove it or add "
                        "the options");
        }
    }
}

void index_contents(Context& ctx) {
    for (const auto& ref : ctx.all_contents) {
        const Content& c = *ref.content;
        std::string_view what =
            c.kind == ContentKind::collection ? "<VirtualSystemCollection>" : "<VirtualSystem>";
        if (c.id.empty()) {
            ctx.error("OVF-ATTR-001", c.line.number,
                      fmt::format("{} has no ovf:id; it is the name users and "
                                  "StartupSection see",
                                  what));
        } else if (!ctx.contents.emplace(c.id, &c).second) {
            ctx.error("OVF-ID-004", c.line.number,
                      fmt::format("{} ovf:id {} is already used on line {}; virtual system ids "
                                  "must be unique in the package",
                                  what, quote(c.id), ctx.contents[c.id]->line.number));
        }
    }
}

void check_startup(Context& ctx, const std::vector<Section>& sections) {
    for (const auto* ss : find_all<StartupSection>(sections)) {
        for (const auto& item : ss->items) {
            if (!ctx.contents.contains(item.id)) {
                ctx.error("OVF-REF-009", item.line.number,
                          fmt::format("<StartupSection> <Item> ovf:id {} names no virtual system "
                                      "of the package",
                                      quote(item.id)));
            }
            if (!item.order || !parse_u64(*item.order, "ovf:order")) {
                ctx.error("OVF-NUM-001", item.line.number,
                          fmt::format("<StartupSection> <Item> {} ovf:order {} is not a number",
                                      quote(item.id), quote(item.order.value_or(""))));
            }
        }
    }
}

void check_strings(Context& ctx) {
    for (const auto& s : ctx.env.strings) {
        if (s.file_ref) {
            ctx.referenced_files.insert(*s.file_ref);
            if (!ctx.files.contains(*s.file_ref)) {
                ctx.error("OVF-REF-008", s.line.number,
                          fmt::format("<Strings> ovf:fileRef {} names no <File> in <References>",
                                      quote(*s.file_ref)));
            }
        }
        for (const auto& m : s.messages) {
            if (m.file_ref) {
                ctx.referenced_files.insert(*m.file_ref);
                if (!ctx.files.contains(*m.file_ref)) {
                    ctx.error("OVF-REF-008", m.line.number,
                              fmt::format("<Msg> {} ovf:fileRef {} names no <File> in "
                                          "<References>",
                                          quote(m.msgid), quote(*m.file_ref)));
                }
            }
        }
    }
}

void scan_verbatim(Context& ctx) {
    auto scan_sections = [&](const std::vector<Section>& sections) {
        for (const auto& s : sections) {
            if (const auto* u = std::get_if<UnknownSection>(&s)) {
                scan_file_references(u->element.xml, ctx.referenced_files);
            } else if (const auto* vhs = std::get_if<VirtualHardwareSection>(&s)) {
                scan_extras(vhs->header.extra, ctx.referenced_files);
                for (const auto& item : vhs->items) {
                    for (const auto& f : item.fields) {
                        if (f.verbatim) {
                            scan_file_references(f.verbatim->xml, ctx.referenced_files);
                        }
                    }
                }
            }
        }
    };
    scan_sections(ctx.env.sections);
    scan_extras(ctx.env.extra, ctx.referenced_files);
    for (const auto& ref : ctx.all_contents) {
        scan_sections(ref.content->sections);
        scan_extras(ref.content->extra, ctx.referenced_files);
    }
}

// The size of a chunked file: members href.000000000, href.000000001 ...
// nullopt when the first chunk is absent.
Result<std::optional<uint64_t>> chunked_size(const PackageFiles& pkg, const std::string& href,
                                             std::string& problem) {
    uint64_t total = 0;
    uint32_t n = 0;
    for (; n < k_max_chunks; ++n) {
        OVFKIT_TRY_ASSIGN(auto size, pkg.size(fmt::format("{}.{:09}", href, n)));
        if (!size) {
            break;
        }
        total += *size;
    }
    if (n == 0) {
        return std::optional<uint64_t>{};
    }
    if (n == k_max_chunks) {
        problem = fmt::format("has more than {} chunks", k_max_chunks);
    }
    return std::optional<uint64_t>{total};
}

} // namespace

void index_and_check_references(Context& ctx) {
    index_files(ctx);
    index_properties(ctx);
    index_disks(ctx);
    index_networks_and_configurations(ctx);
    index_contents(ctx);
    check_startup(ctx, ctx.env.sections);
    for (const auto& ref : ctx.all_contents) {
        check_startup(ctx, ref.content->sections);
    }
    check_strings(ctx);
    scan_verbatim(ctx);
}

void check_files(Context& ctx) {
    for (const auto& [id, f] : ctx.files) {
        if (!ctx.referenced_files.contains(id)) {
            ctx.warning("OVF-REF-010", f->line.number,
                        fmt::format("<File> {} ({}) is not referenced by any Disk, device, Icon "
                                    "or Strings; remove it or reference it",
                                    quote(id), quote(f->href)));
        }
    }
    for (const auto& [id, d] : ctx.disks) {
        // oVirt attaches disks by its own image/volume paths, not ovf:/disk/.
        if (!ctx.referenced_disks.contains(id) && ctx.env.version != OvfVersion::ovirt) {
            ctx.warning("OVF-REF-011", d->line.number,
                        fmt::format("<Disk> {} is not attached to any virtual hardware item "
                                    "(no HostResource names ovf:/disk/{}); it will not be "
                                    "deployed",
                                    quote(id), id));
        }
    }
    const PackageFiles* pkg = ctx.options.package;
    if (pkg == nullptr || !pkg->size) {
        return;
    }
    for (const auto& f : ctx.env.references.files) {
        HrefCheck href = check_href(f.href);
        if (href.kind != HrefKind::plain) {
            continue; // reported already; never touch such a name
        }
        const std::string& name = href.member;
        uint32_t line = f.line.number;
        std::string problem;
        Result<std::optional<uint64_t>> actual =
            f.chunk_size ? chunked_size(*pkg, name, problem) : pkg->size(name);
        if (!actual) {
            ctx.error("OVF-FILE-004", line,
                      fmt::format("<File> {} {}: {}", quote(f.id), quote(f.href),
                                  actual.error().message));
            continue;
        }
        if (!*actual) {
            std::string what = f.chunk_size ? fmt::format("{}.000000000", name) : name;
            if (pkg->complete) {
                ctx.error(
                    "OVF-FILE-001", line,
                    fmt::format("<File> {}: {} is not in the package", quote(f.id), quote(what)));
            } else {
                ctx.warning("OVF-FILE-002", line,
                            fmt::format("<File> {}: {} is not beside the descriptor; its "
                                        "presence and size are not checked",
                                        quote(f.id), quote(what)));
            }
            continue;
        }
        if (!problem.empty()) {
            ctx.error("OVF-FILE-004", line,
                      fmt::format("<File> {} {} {}", quote(f.id), quote(f.href), problem));
        }
        if (!f.size) {
            continue;
        }
        auto declared = parse_u64(*f.size, "ovf:size");
        if (!declared || *declared == **actual) {
            continue;
        }
        if (f.compression == "gzip") {
            // Some producers declare the uncompressed size (formats/ovf-ova.md 6).
            ctx.warning("OVF-FILE-003", line,
                        fmt::format("<File> {} ovf:size is {} but the stored (gzip) file is {} "
                                    "bytes; DSP0243 means the stored size",
                                    quote(f.id), *declared, **actual));
        } else {
            std::string what = f.chunk_size ? fmt::format("the chunks of {} hold", quote(f.href))
                                            : fmt::format("{} is", quote(f.href));
            ctx.error("OVF-FILE-003", line,
                      fmt::format("<File> {} ovf:size is {} but {} {} bytes; the file was "
                                  "changed or truncated, or the descriptor is wrong",
                                  quote(f.id), *declared, what, **actual));
        }
    }
}

} // namespace ovfkit::ovf::detail

namespace ovfkit::ovf {

Result<std::string> href_member(std::string_view href) {
    detail::HrefCheck check = detail::check_href(href);
    if (check.kind == detail::HrefKind::unsafe) {
        return fail(Errc::refused, "ovf:href \"{}\" {}", href, check.why);
    }
    if (check.kind == detail::HrefKind::subdirectory) {
        return fail(Errc::refused, "ovf:href \"{}\" names a subdirectory", href);
    }
    return check.member;
}

} // namespace ovfkit::ovf
