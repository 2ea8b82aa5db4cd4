#include <string>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/ovf/units.hpp>

namespace ovfkit::ovf {

namespace {

std::string squeeze_lower(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

std::optional<uint64_t> digits(std::string_view s) {
    if (s.empty() || s.size() > 20) {
        return std::nullopt;
    }
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        auto m = checked_mul(v, 10);
        if (!m) {
            return std::nullopt;
        }
        auto a = checked_add(*m, static_cast<uint64_t>(c - '0'));
        if (!a) {
            return std::nullopt;
        }
        v = *a;
    }
    return v;
}

} // namespace

Result<uint64_t> parse_u64(std::string_view text, std::string_view what) {
    auto v = digits(text);
    if (!v) {
        return fail(Errc::invalid, "{} \"{}\" is not an unsigned decimal number below 2^64", what,
                    text);
    }
    return *v;
}

Result<uint64_t> parse_allocation_units(std::string_view units) {
    std::string s = squeeze_lower(units);
    if (s.empty() || s == "byte" || s == "bytes") {
        return uint64_t{1};
    }
    if (s == "kilobytes") {
        return uint64_t{1} << 10;
    }
    if (s == "megabytes") {
        return uint64_t{1} << 20;
    }
    if (s == "gigabytes") {
        return uint64_t{1} << 30;
    }
    if (s == "terabytes") {
        return uint64_t{1} << 40;
    }
    if (!s.starts_with("byte*")) {
        return fail(Errc::invalid, "allocation units \"{}\" are not a byte unit", units);
    }
    uint64_t factor = 1;
    std::string_view rest = std::string_view(s).substr(4); // "*..."
    while (!rest.empty()) {
        if (rest[0] != '*') {
            return fail(Errc::invalid, "allocation units \"{}\" are malformed", units);
        }
        rest.remove_prefix(1);
        auto next = rest.find('*');
        auto term = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next);
        uint64_t mult;
        if (auto caret = term.find('^'); caret != std::string_view::npos) {
            auto base = digits(term.substr(0, caret));
            auto exp = digits(term.substr(caret + 1));
            if (!base || !exp || (*base != 2 && *base != 10)) {
                return fail(Errc::invalid, "allocation units \"{}\" are malformed", units);
            }
            if ((*base == 2 && *exp > 62) || (*base == 10 && *exp > 18)) {
                return fail(Errc::invalid, "allocation units \"{}\": exponent {} is too large",
                            units, *exp);
            }
            mult = 1;
            for (uint64_t i = 0; i < *exp; ++i) {
                mult *= *base;
            }
        } else {
            auto v = digits(term);
            if (!v || *v == 0) {
                return fail(Errc::invalid, "allocation units \"{}\" are malformed", units);
            }
            mult = *v;
        }
        auto f = checked_mul(factor, mult);
        if (!f || *f > k_max_bytes) {
            return fail(Errc::invalid, "allocation units \"{}\" exceed 2^63 - 1 bytes", units);
        }
        factor = *f;
    }
    return factor;
}

Result<uint64_t> capacity_bytes(std::string_view capacity, std::string_view units) {
    OVFKIT_TRY_ASSIGN(uint64_t value, parse_u64(capacity, "capacity"));
    OVFKIT_TRY_ASSIGN(uint64_t factor, parse_allocation_units(units));
    auto bytes = checked_mul(value, factor);
    if (!bytes || *bytes > k_max_bytes) {
        return fail(Errc::invalid, "capacity {} x \"{}\" exceeds 2^63 - 1 bytes", capacity, units);
    }
    return *bytes;
}

} // namespace ovfkit::ovf
