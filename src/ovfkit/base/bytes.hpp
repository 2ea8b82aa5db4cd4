// Tests on raw byte buffers shared by the disk formats, the converter and the
// tar reader.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>

namespace ovfkit {

// True when every byte of `b` is zero. The first 16 bytes are compared with
// zeros, then the buffer with itself shifted by 16: two memcmp calls, which
// the C library vectorises, instead of a byte loop.
inline bool is_all_zero(std::span<const std::byte> b) {
    constexpr size_t k_head = 16;
    if (b.size() <= k_head) {
        return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
    }
    static constexpr std::byte k_zeros[k_head] = {};
    return std::memcmp(b.data(), k_zeros, k_head) == 0 &&
           std::memcmp(b.data(), b.data() + k_head, b.size() - k_head) == 0;
}

} // namespace ovfkit
