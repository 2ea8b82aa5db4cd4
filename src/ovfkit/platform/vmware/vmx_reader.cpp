// The .vmx reader; see vmx_reader.hpp.
#include <algorithm>
#include <span>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/vmware/vmx_reader.hpp>

namespace ovfkit::platform::vmware {

namespace {

bool key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == ':' || c == '_' || c == '-';
}

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool valid_utf8(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        size_t len = 0;
        uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > text.size()) {
            return false;
        }
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

} // namespace

std::optional<std::string> vmx_unescape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '|') {
            out += value[i];
            continue;
        }
        int hi = i + 1 < value.size() ? hex_digit(value[i + 1]) : -1;
        int lo = i + 2 < value.size() ? hex_digit(value[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::optional<std::string_view> VmxConfig::get(std::string_view key) const {
    auto it = m_index.find(ascii_lower(key));
    if (it == m_index.end()) {
        return std::nullopt;
    }
    return std::string_view(m_entries[it->second].value);
}

std::optional<bool> VmxConfig::get_bool(std::string_view key) const {
    auto v = get(key);
    if (!v) {
        return std::nullopt;
    }
    std::string t = ascii_lower(trim(*v));
    if (t == "true" || t == "yes" || t == "1") {
        return true;
    }
    if (t == "false" || t == "no" || t == "0") {
        return false;
    }
    return std::nullopt;
}

unsigned VmxConfig::line(std::string_view key) const {
    auto it = m_index.find(ascii_lower(key));
    return it == m_index.end() ? 0 : m_entries[it->second].line;
}

Result<VmxConfig> parse_vmx(std::string_view text, std::string_view name, const VmxLimits& limits) {
    // Bounds first, in the order a reader meets them: a long line is named
    // as such even when the file is also too large.
    {
        size_t start = 0;
        unsigned number = 1;
        while (start < text.size()) {
            size_t end = text.find('\n', start);
            size_t len = (end == std::string_view::npos ? text.size() : end) - start;
            if (len > limits.max_line) {
                return fail(Errc::refused, "{}:{}: a line of {}{} bytes; a .vmx line is at most {}",
                            name, number, len, end == std::string_view::npos ? "+" : "",
                            limits.max_line);
            }
            if (end == std::string_view::npos) {
                break;
            }
            start = end + 1;
            ++number;
        }
    }
    if (text.size() > limits.max_bytes) {
        return fail(Errc::refused, "{}: larger than {} bytes; not a .vmx ovfkit reads", name,
                    limits.max_bytes);
    }
    if (auto nul = text.find('\0'); nul != std::string_view::npos) {
        return fail(Errc::refused, "{}: byte {}: a NUL byte; a .vmx is text", name, nul);
    }
    if (!valid_utf8(text)) {
        return fail(Errc::invalid, "{}: not UTF-8 text", name);
    }
    VmxConfig config;
    size_t start = 0;
    unsigned number = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        std::string_view line = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        start = end == std::string_view::npos ? text.size() + 1 : end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        line = trim(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            return fail(Errc::invalid, "{}:{}: no '=' in the line; a .vmx line is key = \"value\"",
                        name, number);
        }
        std::string_view key = trim(line.substr(0, eq));
        std::string_view rest = trim(line.substr(eq + 1));
        if (key.empty()) {
            return fail(Errc::invalid, "{}:{}: no key before '='", name, number);
        }
        for (char c : key) {
            if (!key_char(c)) {
                return fail(Errc::invalid,
                            "{}:{}: a key may hold only letters, digits and . : _ -; this one has "
                            "byte 0x{:02X}",
                            name, number, static_cast<unsigned char>(c));
            }
        }
        std::string_view raw;
        if (!rest.empty() && rest.front() == '"') {
            size_t close = rest.find('"', 1);
            if (close == std::string_view::npos) {
                return fail(Errc::invalid, "{}:{}: the value of {} does not close its quote", name,
                            number, key);
            }
            raw = rest.substr(1, close - 1);
            std::string_view after = trim(rest.substr(close + 1));
            if (!after.empty() && after.front() != '#') {
                return fail(Errc::invalid, "{}:{}: text after the closing quote of {}", name,
                            number, key);
            }
        } else {
            // Unquoted (hand-written): up to a comment.
            raw = trim(rest.substr(0, rest.find('#')));
        }
        auto value = vmx_unescape(raw);
        if (!value) {
            return fail(Errc::invalid,
                        "{}:{}: the value of {} has a '|' not followed by two hex digits", name,
                        number, key);
        }
        if (value->find('\0') != std::string::npos) {
            return fail(Errc::refused, "{}:{}: the value of {} decodes to a NUL byte (|00)", name,
                        number, key);
        }
        if (config.m_entries.size() >= limits.max_keys) {
            return fail(Errc::refused, "{}:{}: more than {} entries; not a .vmx ovfkit reads", name,
                        number, limits.max_keys);
        }
        std::string lower = ascii_lower(key);
        if (config.m_index.contains(lower)) {
            config.m_duplicates.emplace_back(lower, number);
        } else {
            config.m_index.emplace(lower, config.m_entries.size());
        }
        config.m_entries.push_back({std::string(key), std::move(*value), number});
    }
    if (auto enc = config.get(".encoding")) {
        std::string e = ascii_lower(trim(*enc));
        if (e != "utf-8" && e != "utf8") {
            return fail(Errc::invalid,
                        "{}:{}: .encoding \"{}\": ovfkit reads UTF-8 .vmx files only (re-save the "
                        "VM with a current VMware product)",
                        name, config.line(".encoding"), *enc);
        }
    }
    return config;
}

Result<VmxConfig> read_vmx(const std::string& path, const VmxLimits& limits) {
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
    // Read one byte past the bound, so an oversized file is told from a full one.
    uint64_t want = std::min<uint64_t>(size, static_cast<uint64_t>(limits.max_bytes) + 1);
    std::string text(static_cast<size_t>(want), '\0');
    // parse_vmx sees the first max_bytes + 1 bytes: a long line is named,
    // else the size is.
    OVFKIT_TRY(
        io::read_exact(*file, std::as_writable_bytes(std::span(text.data(), text.size())), 0));
    return parse_vmx(text, path, limits);
}

} // namespace ovfkit::platform::vmware
