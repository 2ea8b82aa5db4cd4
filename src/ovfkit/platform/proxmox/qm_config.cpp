// The qemu-server config reader; see qm_config.hpp.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/proxmox/qm_config.hpp>

namespace ovfkit::platform::proxmox {

namespace {

// qemu-server's key pattern: [a-z][a-z_-]*\d*
bool is_key(std::string_view k) {
    if (k.empty() || k[0] < 'a' || k[0] > 'z') {
        return false;
    }
    size_t i = 1;
    while (i < k.size() && ((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_' || k[i] == '-')) {
        ++i;
    }
    while (i < k.size() && k[i] >= '0' && k[i] <= '9') {
        ++i;
    }
    return i == k.size();
}

std::string_view strip(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

const QmEntry* QmConfig::find(std::string_view key) const {
    for (const auto& e : entries) {
        if (e.key == key) {
            return &e;
        }
    }
    return nullptr;
}

std::optional<std::string_view> QmConfig::get(std::string_view key) const {
    const QmEntry* e = find(key);
    return e == nullptr ? std::nullopt : std::optional<std::string_view>(e->value);
}

std::string decode_text(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        int hi = text[i] == '%' && i + 2 < text.size() + 0 ? hex_digit(text[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

Result<QmConfig> parse_qm_config(std::string_view text, std::string_view name) {
    if (text.size() > k_import_max_config) {
        return fail(Errc::refused, "{}: {} bytes; a qm config is at most {} bytes", name,
                    text.size(), k_import_max_config);
    }
    QmConfig cfg;
    size_t start = 0;
    size_t line = 0;
    bool in_section = false;
    bool description_done = false;
    std::unordered_map<std::string, size_t> index; // key -> entries position
    while (start < text.size()) {
        ++line;
        size_t nl = text.find('\n', start);
        size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view l = text.substr(start, end - start);
        start = end + 1;
        if (l.size() > k_import_max_line) {
            return fail(Errc::refused, "{}:{}: a line of {} bytes; ovfkit reads at most {}", name,
                        line, l.size(), k_import_max_line);
        }
        if (auto nul = l.find('\0'); nul != std::string_view::npos) {
            return fail(Errc::refused, "{}:{}: NUL byte at column {}; a qm config is text", name,
                        line, nul + 1);
        }
        if (cfg.entries.size() + cfg.duplicates.size() + cfg.unparsed.size() +
                cfg.dump_map.size() >=
            k_import_max_keys) {
            return fail(Errc::refused, "{}:{}: more than {} entries; ovfkit reads at most {}", name,
                        line, k_import_max_keys, k_import_max_keys);
        }
        std::string_view s = strip(l);
        if (s.starts_with('[')) {
            // A snapshot, [PENDING] or [special:...]: not the current config.
            in_section = true;
            if (cfg.sections.size() < 64) {
                cfg.sections.emplace_back(s.substr(
                    1, s.find(']') == std::string_view::npos ? s.size() - 1 : s.find(']') - 1));
            }
            continue;
        }
        if (in_section) {
            continue;
        }
        if (s.starts_with("#qmdump#map:")) {
            // virtdev:devname:storeid:format:
            std::string_view rest = s.substr(12);
            std::vector<std::string> parts;
            size_t p = 0;
            while (p <= rest.size() && parts.size() < 5) {
                size_t c = rest.find(':', p);
                if (c == std::string_view::npos) {
                    c = rest.size();
                }
                parts.emplace_back(rest.substr(p, c - p));
                p = c + 1;
            }
            if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) {
                return fail(Errc::invalid, "{}:{}: a #qmdump#map line without drive and device",
                            name, line);
            }
            parts.resize(4);
            cfg.dump_map.push_back({parts[0], parts[1], parts[2], parts[3], line});
            continue;
        }
        if (s.starts_with("#qmdump#") || s.starts_with("#vzdump#")) {
            continue;
        }
        if (s.starts_with('#')) {
            // The description is the comment block before the first key.
            if (!description_done) {
                if (!cfg.description.empty()) {
                    cfg.description += '\n';
                }
                cfg.description += decode_text(s.substr(1));
            }
            continue;
        }
        if (s.empty()) {
            continue;
        }
        description_done = true;
        size_t colon = s.find(':');
        std::string_view key = colon == std::string_view::npos ? s : s.substr(0, colon);
        if (colon == std::string_view::npos || !is_key(key)) {
            cfg.unparsed.push_back(line);
            continue;
        }
        std::string value(strip(s.substr(colon + 1)));
        auto [it, fresh] = index.try_emplace(std::string(key), cfg.entries.size());
        if (fresh) {
            cfg.entries.push_back({std::string(key), std::move(value), line});
        } else {
            // qemu-server keeps the last value.
            cfg.duplicates.emplace_back(std::string(key), line);
            cfg.entries[it->second].value = std::move(value);
            cfg.entries[it->second].line = line;
        }
    }
    if (auto d = cfg.get("description")) {
        cfg.description = decode_text(*d);
    }
    return cfg;
}

Result<QmConfig> read_qm_config(const std::string& path) {
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
    // Read at most one byte past the bound: a long line is named before
    // the size.
    size_t n = static_cast<size_t>(std::min<uint64_t>(size, k_import_max_config + 1));
    std::string text(n, '\0');
    OVFKIT_TRY(io::read_exact(*file, std::as_writable_bytes(std::span(text.data(), n)), 0));
    if (size > k_import_max_config) {
        size_t nl = text.find('\n');
        if (nl == std::string::npos || nl > k_import_max_line) {
            return fail(Errc::refused,
                        "{}:1: a line of more than {} bytes; ovfkit reads at most {}", path,
                        k_import_max_line, k_import_max_line);
        }
        auto partial = parse_qm_config(std::string_view(text).substr(0, k_import_max_config), path);
        if (!partial) {
            return partial;
        }
        return fail(Errc::refused, "{}: {} bytes; a qm config is at most {} bytes", path, size,
                    k_import_max_config);
    }
    return parse_qm_config(text, path);
}

std::optional<std::vector<QmProperty>> parse_property_string(std::string_view value,
                                                             std::string_view default_key) {
    std::vector<QmProperty> out;
    size_t p = 0;
    bool default_used = false;
    while (p <= value.size()) {
        size_t c = value.find(',', p);
        if (c == std::string_view::npos) {
            c = value.size();
        }
        std::string_view item = value.substr(p, c - p);
        p = c + 1;
        if (item.empty()) {
            continue;
        }
        size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            if (default_used || default_key.empty()) {
                return std::nullopt;
            }
            default_used = true;
            out.push_back({std::string(default_key), std::string(item)});
            continue;
        }
        if (eq == 0) {
            return std::nullopt;
        }
        out.push_back({std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))});
    }
    return out;
}

const QmProperty* find_property(const std::vector<QmProperty>& props, std::string_view key) {
    for (const auto& p : props) {
        if (p.key == key) {
            return &p;
        }
    }
    return nullptr;
}

} // namespace ovfkit::platform::proxmox
