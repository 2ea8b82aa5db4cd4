// Builds tar archives byte by byte for tests, including hostile ones that no
// tar program would write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace ovfkit::test {

struct TarEntry {
    std::string name{};
    std::string data{};
    char type = '0';
    std::string linkname{};
    std::string prefix{};
    bool gnu_magic = false;
    bool base256_size = false;
    bool negative_size = false;
    int64_t size_override = -1; // header size field differs from the data
    bool corrupt_checksum = false;
};

class TarBuilder {
public:
    TarBuilder& add(const TarEntry& e) {
        std::vector<std::byte> h(512);
        auto put = [&](size_t off, const std::string& s, size_t len) {
            std::memcpy(h.data() + off, s.data(), std::min(s.size(), len));
        };
        put(0, e.name, 100);
        put(100, "0000644", 8);
        put(108, "0000000", 8);
        put(116, "0000000", 8);
        uint64_t size =
            e.size_override >= 0 ? static_cast<uint64_t>(e.size_override) : e.data.size();
        if (e.negative_size) {
            for (size_t i = 124; i < 136; ++i) {
                h[i] = std::byte{0xff};
            }
        } else if (e.base256_size) {
            h[124] = std::byte{0x80};
            for (size_t i = 0; i < 8; ++i) {
                h[135 - i] = static_cast<std::byte>((size >> (8 * i)) & 0xff);
            }
        } else {
            put(124, fmt::format("{:011o}", size), 12);
        }
        put(136, "00000000000", 12);
        h[156] = static_cast<std::byte>(e.type);
        put(157, e.linkname, 100);
        if (e.gnu_magic) {
            put(257, std::string("ustar  \0", 8), 8);
        } else {
            put(257,
                std::string("ustar\0"
                            "00",
                            8),
                8);
        }
        put(345, e.prefix, 155);
        uint32_t sum = 0;
        for (size_t i = 0; i < 512; ++i) {
            sum += (i >= 148 && i < 156) ? ' ' : static_cast<uint8_t>(h[i]);
        }
        if (e.corrupt_checksum) {
            sum += 1;
        }
        put(148, fmt::format("{:06o}", sum), 7);
        h[155] = std::byte{' '};
        m_bytes.insert(m_bytes.end(), h.begin(), h.end());
        append_data(e.data);
        return *this;
    }
    TarBuilder& file(const std::string& name, const std::string& data) {
        return add({.name = name, .data = data});
    }
    // A PAX extended header whose records apply to the next entry.
    TarBuilder& pax(const std::string& records) {
        return add({.name = "PaxHeaders/x", .data = records, .type = 'x'});
    }
    static std::string pax_record(const std::string& key, const std::string& value) {
        std::string body = " " + key + "=" + value + "\n";
        size_t len = body.size() + 1;
        while (std::to_string(len).size() + body.size() != len) {
            ++len;
        }
        return std::to_string(len) + body;
    }
    TarBuilder& end() {
        m_bytes.resize(m_bytes.size() + 1024);
        return *this;
    }
    std::vector<std::byte>& bytes() { return m_bytes; }

private:
    void append_data(const std::string& data) {
        for (char c : data) {
            m_bytes.push_back(static_cast<std::byte>(c));
        }
        m_bytes.resize((m_bytes.size() + 511) / 512 * 512);
    }
    std::vector<std::byte> m_bytes;
};

} // namespace ovfkit::test
