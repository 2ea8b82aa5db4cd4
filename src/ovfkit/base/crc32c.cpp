// CRC-32C: slicing-by-8 tables built at compile time, plus the SSE4.2 crc32
// instruction selected once at run time on x86-64.
#include <array>
#include <cstring>

#include <ovfkit/base/crc32c.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ovfkit {

namespace {

constexpr uint32_t k_poly = 0x82F63B78u; // 0x1EDC6F41 bit-reflected

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
    Tables t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1) != 0 ? (c >> 1) ^ k_poly : c >> 1;
        }
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
        for (size_t s = 1; s < 8; ++s) {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
        }
    }
    return t;
}

constexpr Tables k_tables = make_tables();

uint32_t update_portable(uint32_t c, const unsigned char* p, size_t n) {
    // Slicing-by-8 consumes 8 bytes per step; the byte order of the 64-bit
    // load is fixed by assembling it explicitly, so big-endian hosts agree.
    while (n >= 8) {
        uint32_t lo = c ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                           uint32_t{p[3]} << 24);
        uint32_t hi =
            uint32_t{p[4]} | uint32_t{p[5]} << 8 | uint32_t{p[6]} << 16 | uint32_t{p[7]} << 24;
        c = k_tables[7][lo & 0xff] ^ k_tables[6][(lo >> 8) & 0xff] ^
            k_tables[5][(lo >> 16) & 0xff] ^ k_tables[4][lo >> 24] ^ k_tables[3][hi & 0xff] ^
            k_tables[2][(hi >> 8) & 0xff] ^ k_tables[1][(hi >> 16) & 0xff] ^ k_tables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) {
        c = (c >> 8) ^ k_tables[0][(c ^ *p++) & 0xff];
    }
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t update_sse42(uint32_t c, const unsigned char* p,
                                                        size_t n) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8); // x86 is little-endian, as the instruction expects
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        n -= 8;
    }
    c = static_cast<uint32_t>(c64);
    while (n-- > 0) {
        c = _mm_crc32_u8(c, *p++);
    }
    return c;
}

bool have_sse42() {
    static const bool have = __builtin_cpu_supports("sse4.2");
    return have;
}
#endif

} // namespace

uint32_t crc32c_portable(std::span<const std::byte> data, uint32_t crc) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    return ~update_portable(~crc, p, data.size());
}

uint32_t crc32c(std::span<const std::byte> data, uint32_t crc) {
#if defined(__x86_64__)
    if (have_sse42()) {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data());
        return ~update_sse42(~crc, p, data.size());
    }
#endif
    return crc32c_portable(data, crc);
}

} // namespace ovfkit
