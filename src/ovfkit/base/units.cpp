#include <cctype>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/units.hpp>

namespace ovfkit {

Result<uint64_t> parse_size(std::string_view text) {
    std::string_view digits = text;
    size_t i = 0;
    uint64_t value = 0;
    while (i < digits.size() && std::isdigit(static_cast<unsigned char>(digits[i])) != 0) {
        auto next = checked_mul(value, 10);
        next = next ? checked_add(*next, static_cast<uint64_t>(digits[i] - '0')) : next;
        if (!next) {
            return fail(Errc::usage, "size '{}' is too large", text);
        }
        value = *next;
        ++i;
    }
    if (i == 0) {
        return fail(Errc::usage, "size '{}' does not start with a number", text);
    }
    std::string suffix;
    for (char c : digits.substr(i)) {
        suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    uint64_t unit = 1;
    if (suffix.empty() || suffix == "B") {
        unit = 1;
    } else if (suffix == "K" || suffix == "KB" || suffix == "KIB") {
        unit = KiB;
    } else if (suffix == "M" || suffix == "MB" || suffix == "MIB") {
        unit = MiB;
    } else if (suffix == "G" || suffix == "GB" || suffix == "GIB") {
        unit = GiB;
    } else if (suffix == "T" || suffix == "TB" || suffix == "TIB") {
        unit = TiB;
    } else {
        return fail(Errc::usage, "size '{}' has an unknown unit (use K, M, G or T)", text);
    }
    auto bytes = checked_mul(value, unit);
    if (!bytes) {
        return fail(Errc::usage, "size '{}' is too large", text);
    }
    return *bytes;
}

std::string format_size(uint64_t bytes) {
    static constexpr const char* k_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < KiB) {
        return fmt::format("{} B", bytes);
    }
    double v = static_cast<double>(bytes);
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(k_units)) {
        v /= 1024.0;
        ++u;
    }
    if (v == static_cast<double>(static_cast<uint64_t>(v))) {
        return fmt::format("{} {}", static_cast<uint64_t>(v), k_units[u]);
    }
    return fmt::format("{:.1f} {}", v, k_units[u]);
}

} // namespace ovfkit
