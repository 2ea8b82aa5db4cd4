// Endian-typed integers for on-disk layouts.
//
// Layout structs declare their fields as le32, be64, ... and static_assert
// their size; reading a field converts from the file's byte order. The value
// is kept as raw bytes (memcpy), so the types are unaligned-safe and may sit
// anywhere in a packed header. No other code byte-swaps.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ovfkit {

template <class T, std::endian E>
class EndianInt {
    static_assert(std::is_unsigned_v<T>);

public:
    constexpr EndianInt() = default;
    EndianInt(T value) { set(value); } // NOLINT: implicit by design

    T get() const {
        T v;
        std::memcpy(&v, m_bytes, sizeof(T));
        if constexpr (E != std::endian::native) {
            v = byteswap(v);
        }
        return v;
    }
    void set(T value) {
        if constexpr (E != std::endian::native) {
            value = byteswap(value);
        }
        std::memcpy(m_bytes, &value, sizeof(T));
    }
    operator T() const { return get(); } // NOLINT: implicit by design
    EndianInt& operator=(T value) {
        set(value);
        return *this;
    }

private:
    static T byteswap(T v) {
        if constexpr (sizeof(T) == 1) {
            return v;
        } else if constexpr (sizeof(T) == 2) {
            return static_cast<T>(__builtin_bswap16(v));
        } else if constexpr (sizeof(T) == 4) {
            return __builtin_bswap32(v);
        } else {
            return __builtin_bswap64(v);
        }
    }
    unsigned char m_bytes[sizeof(T)] = {};
};

using le16 = EndianInt<uint16_t, std::endian::little>;
using le32 = EndianInt<uint32_t, std::endian::little>;
using le64 = EndianInt<uint64_t, std::endian::little>;
using be16 = EndianInt<uint16_t, std::endian::big>;
using be32 = EndianInt<uint32_t, std::endian::big>;
using be64 = EndianInt<uint64_t, std::endian::big>;

static_assert(sizeof(le64) == 8 && alignof(le64) == 1);

// Reads a layout struct from raw bytes (no alignment requirement).
template <class T>
T load(const void* bytes) {
    static_assert(std::is_trivially_copyable_v<T>);
    T out;
    std::memcpy(&out, bytes, sizeof(T));
    return out;
}

} // namespace ovfkit
