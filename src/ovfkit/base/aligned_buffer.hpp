// A fixed-size byte buffer whose address is aligned, for I/O that goes past
// the page cache (O_DIRECT needs page-aligned memory).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace ovfkit {

class AlignedBuffer {
public:
    static constexpr size_t k_page = 4096;

    AlignedBuffer() = default;
    // `size` bytes at an address that is a multiple of `align` (a power of
    // two); the contents are left uninitialised.
    explicit AlignedBuffer(size_t size, size_t align = k_page) : m_size(size) {
        if (size == 0) {
            return;
        }
        size_t rounded = (size + align - 1) / align * align;
        void* p = std::aligned_alloc(align, rounded);
        if (p == nullptr) {
            throw std::bad_alloc();
        }
        m_data.reset(static_cast<std::byte*>(p));
    }

    std::byte* data() { return m_data.get(); }
    const std::byte* data() const { return m_data.get(); }
    size_t size() const { return m_size; }
    std::span<std::byte> span() { return {m_data.get(), m_size}; }
    std::span<const std::byte> span() const { return {m_data.get(), m_size}; }

private:
    struct Free {
        void operator()(std::byte* p) const { std::free(p); }
    };
    std::unique_ptr<std::byte, Free> m_data;
    size_t m_size = 0;
};

} // namespace ovfkit
