#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include <ovfkit/ops/json.hpp>

#include <cli/output.hpp>

namespace ovfkit::cli {

int report_error(const Error& error, bool json) {
    int code = static_cast<int>(error.code);
    if (json) {
        print_json(ops::failure_json(error));
    } else {
        std::fflush(stdout);
        fmt::print(stderr, "ovfkit: error: {}\n", terminal_safe(error.message));
    }
    return code;
}

void print_json(const nlohmann::json& doc) {
    // Replace invalid UTF-8 instead of throwing: input text is untrusted.
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                out += fmt::format("\\x{:02x}", c);
            } else {
                out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        // Validate one UTF-8 sequence; escape the lead byte if it is broken.
        size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = len != 0 && i + len <= text.size();
        for (size_t k = 1; ok && k < len; ++k) {
            ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        }
        if (ok) {
            // C1 controls (U+0080-U+009F: 0x9b is a one-byte CSI on some
            // terminals) and bidirectional overrides, which reorder what a
            // person reads, are shown escaped too.
            uint32_t cp =
                len == 2   ? ((c & 0x1fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3fu)
                : len == 3 ? ((c & 0x0fu) << 12) |
                                 ((static_cast<unsigned char>(text[i + 1]) & 0x3fu) << 6) |
                                 (static_cast<unsigned char>(text[i + 2]) & 0x3fu)
                           : 0;
            if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
                (cp >= 0x2066 && cp <= 0x2069)) {
                out += fmt::format("\\u{:04x}", cp);
            } else {
                out.append(text.substr(i, len));
            }
            i += len;
        } else {
            out += fmt::format("\\x{:02x}", c);
            ++i;
        }
    }
    return out;
}

std::string finding_text(const Finding& f) {
    std::string where;
    if (!f.file.empty()) {
        where = f.line > 0 ? fmt::format("{}:{}: ", f.file, f.line) : fmt::format("{}: ", f.file);
    }
    return terminal_safe(
        fmt::format("{}{}: {} [{}]", where, severity_name(f.severity), f.message, f.code));
}

void print_warnings(const std::vector<Finding>& findings, bool quiet, bool json) {
    if (json) {
        return;
    }
    for (const auto& f : findings) {
        if (quiet && f.severity != Severity::error) {
            continue; // -q silences warnings, never errors
        }
        fmt::print(stderr, "ovfkit: {}: {} [{}]\n", severity_name(f.severity),
                   terminal_safe(f.message), terminal_safe(f.code));
    }
}

} // namespace ovfkit::cli
