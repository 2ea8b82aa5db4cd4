#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/package/manifest.hpp>

namespace ovfkit::package {

namespace {

constexpr size_t k_max_line = 4096;

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_blank(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

const ManifestEntry* Manifest::find(std::string_view name) const {
    for (const auto& e : entries) {
        if (e.name == name) {
            return &e;
        }
    }
    return nullptr;
}

Result<Manifest> parse_manifest(std::span<const std::byte> bytes, std::string_view name,
                                Diagnostics& diag) {
    if (bytes.size() > k_max_manifest_bytes) {
        return fail(Errc::refused, "{}: manifest is {} bytes, more than the {} byte limit", name,
                    bytes.size(), k_max_manifest_bytes);
    }
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (text.find('\0') != std::string_view::npos) {
        return fail(Errc::refused, "{}: manifest holds a NUL byte", name);
    }
    Manifest out;
    std::set<std::string, std::less<>> names;
    bool warned_spaced = false;
    uint32_t number = 0;
    while (!text.empty()) {
        ++number;
        size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        if (line.size() > k_max_line) {
            return fail(Errc::refused, "{}:{}: line longer than {} bytes", name, number,
                        k_max_line);
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (trim_blanks(line).empty()) {
            continue;
        }
        // ALGORITHM [blanks] "(" NAME ")" [blanks] "=" [blanks] HEX
        auto open = line.find('(');
        auto eq = line.rfind('=');
        auto close = eq == std::string_view::npos ? eq : line.rfind(')', eq);
        if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
            !trim_blanks(line.substr(close + 1, eq - close - 1)).empty()) {
            return fail(Errc::refused,
                        "{}:{}: not a manifest line (expected \"SHA256(name)= hex\")", name,
                        number);
        }
        std::string_view algo_text = line.substr(0, open);
        bool spaced = !algo_text.empty() && is_blank(algo_text.back());
        algo_text = trim_blanks(algo_text);
        std::string_view file = line.substr(open + 1, close - open - 1);
        std::string_view before_eq = line.substr(close + 1, eq - close - 1);
        std::string_view after_eq = line.substr(eq + 1);
        spaced = spaced || !before_eq.empty() || after_eq.size() < 2 || after_eq[0] != ' ' ||
                 is_blank(after_eq[1]);
        std::string_view hex = trim_blanks(after_eq);
        auto algorithm = io::digest_from_name(algo_text);
        if (!algorithm) {
            return fail(Errc::refused, "{}:{}: digest algorithm \"{}\" is {}", name, number,
                        algo_text,
                        iequals(algo_text, "MD5") ? "refused (MD5 proves nothing against tampering)"
                                                  : "not one of SHA1, SHA256, SHA512");
        }
        if (auto ok = io::check_member_name(file); !ok) {
            return fail(Errc::refused, "{}:{}: file name \"{}\": {}", name, number, file,
                        ok.error().message);
        }
        if (hex.size() != io::digest_hex_length(*algorithm) ||
            !std::all_of(hex.begin(), hex.end(),
                         [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
            return fail(Errc::refused, "{}:{}: {} digest of {} is not {} hex digits", name, number,
                        io::digest_name(*algorithm), file, io::digest_hex_length(*algorithm));
        }
        if (!names.emplace(file).second) {
            return fail(Errc::refused, "{}:{}: {} is listed twice", name, number, file);
        }
        if (spaced && !warned_spaced) {
            warned_spaced = true;
            diag.warning("MF-SPACED",
                         fmt::format("manifest line \"{}\" is in the spaced form; ovftool and "
                                     "vSphere expect \"{}({})= hex\"",
                                     line.substr(0, std::min<size_t>(line.size(), 80)),
                                     io::digest_name(*algorithm), file),
                         std::string(name), number);
        }
        ManifestEntry e;
        e.algorithm = *algorithm;
        e.name = std::string(file);
        e.digest.reserve(hex.size());
        for (char c : hex) {
            e.digest += ascii_lower(c);
        }
        e.line = number;
        out.entries.push_back(std::move(e));
    }
    return out;
}

std::string write_manifest(const std::vector<ManifestEntry>& entries) {
    std::string out;
    for (const auto& e : entries) {
        out += fmt::format("{}({})= {}\n", io::digest_name(e.algorithm), e.name, e.digest);
    }
    return out;
}

std::vector<ManifestFileCheck> check_manifest(const Manifest& manifest,
                                              std::string_view manifest_name,
                                              const std::vector<FileDigest>& computed,
                                              Diagnostics& diag) {
    std::vector<ManifestFileCheck> out;
    std::set<std::string, std::less<>> seen;
    const std::string where(manifest_name);
    for (const auto& f : computed) {
        seen.insert(f.name);
        ManifestFileCheck c;
        c.name = f.name;
        c.present = true;
        const ManifestEntry* e = manifest.find(f.name);
        if (e == nullptr) {
            diag.error(
                "MF-UNLISTED",
                fmt::format("{} is part of the package but not listed in the manifest", f.name),
                where, 0);
        } else {
            c.listed = true;
            c.algorithm = e->algorithm;
            c.ok = e->digest == f.digest;
            if (!c.ok) {
                diag.error("MF-MISMATCH",
                           fmt::format("{}: {} digest {} does not match the manifest's {}", f.name,
                                       io::digest_name(e->algorithm), f.digest, e->digest),
                           where, e->line);
            }
        }
        out.push_back(std::move(c));
    }
    for (const auto& e : manifest.entries) {
        if (!seen.contains(e.name)) {
            diag.error("MF-MISSING",
                       fmt::format("{} is listed in the manifest but is not a file of the package",
                                   e.name),
                       where, e.line);
            ManifestFileCheck c;
            c.name = e.name;
            c.algorithm = e.algorithm;
            c.listed = true;
            out.push_back(std::move(c));
        }
    }
    return out;
}

} // namespace ovfkit::package
