// Overflow-checked 64-bit arithmetic for sizes and offsets read from files.
//
// Every offset * size and count * entry_size computed from untrusted header
// fields goes through these helpers (SECURITY.md R15). They return nullopt on
// overflow; callers turn that into an Error naming the field.
#pragma once

#include <cstdint>
#include <optional>

namespace ovfkit {

[[nodiscard]] inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr bool is_power_of_two(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

// Rounds up to a multiple of `align` (a power of two); nullopt on overflow.
[[nodiscard]] inline std::optional<uint64_t> align_up(uint64_t v, uint64_t align) {
    auto r = checked_add(v, align - 1);
    if (!r) {
        return std::nullopt;
    }
    return *r & ~(align - 1);
}

constexpr uint64_t div_round_up(uint64_t a, uint64_t b) {
    return a / b + (a % b != 0 ? 1 : 0);
}

} // namespace ovfkit
