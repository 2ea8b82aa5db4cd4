// Synthetic readers and writers for the converter and compare tests: a disk
// described by its extents that refuses reads outside its data, and a writer
// that records what it is given.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include <ovfkit/disk/reader.hpp>
#include <ovfkit/disk/writer.hpp>

namespace ovfkit::test {

// A guest disk of `size` bytes; `stored` lists data and zero extents (sorted,
// not overlapping), everything else is unallocated. Data bytes are a function
// of the offset and the extent's seed (never zero unless the seed is 0).
class SyntheticDisk final : public disk::DiskReader {
public:
    struct Stored {
        uint64_t offset;
        uint64_t length;
        disk::ExtentKind kind;
        uint8_t seed; // data: 0 means stored zeros
    };

    SyntheticDisk(uint64_t size, std::vector<Stored> stored) : m_stored(std::move(stored)) {
        m_info.format = "synthetic";
        m_info.virtual_size = size;
        m_info.files.push_back("synthetic.img");
    }

    static std::byte byte_at(uint64_t offset, uint8_t seed) {
        if (seed == 0) {
            return std::byte{0};
        }
        return static_cast<std::byte>(((offset * 2654435761u) >> 11 ^ seed) | 1);
    }

    const disk::DiskInfo& info() const override { return m_info; }

    Result<std::vector<disk::Extent>> extents(uint64_t offset, uint64_t length) override {
        ++extents_calls;
        max_extents_length = std::max(max_extents_length, length);
        std::vector<disk::Extent> out;
        uint64_t end = std::min(m_info.virtual_size, offset + length);
        uint64_t pos = offset;
        for (const Stored& s : m_stored) {
            if (s.offset + s.length <= pos || s.offset >= end) {
                continue;
            }
            if (s.offset > pos) {
                disk::append_extent(out, {pos, s.offset - pos, disk::ExtentKind::unallocated});
                pos = s.offset;
            }
            uint64_t e = std::min(end, s.offset + s.length);
            disk::append_extent(out, {pos, e - pos, s.kind});
            pos = e;
        }
        if (pos < end) {
            disk::append_extent(out, {pos, end - pos, disk::ExtentKind::unallocated});
        }
        return out;
    }

    bool concurrent_reads() const override { return concurrent; }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override {
        if (fail_reads_at && offset <= *fail_reads_at && *fail_reads_at < offset + out.size()) {
            return fail(Errc::invalid, "synthetic.img: bad sector at offset {}", *fail_reads_at);
        }
        for (uint64_t pos = offset; pos < offset + out.size();) {
            const Stored* s = find(pos);
            if (s == nullptr || s->kind != disk::ExtentKind::data) {
                ADD_FAILURE() << "read of a range that is not data, at " << pos;
                return fail(Errc::invalid, "synthetic.img: read of non-data at {}", pos);
            }
            uint64_t e = std::min(offset + out.size(), s->offset + s->length);
            for (uint64_t i = pos; i < e; ++i) {
                out[i - offset] = byte_at(i, s->seed);
            }
            bytes_read += e - pos;
            pos = e;
        }
        return {};
    }

public:
    // The whole guest disk, for small disks.
    std::vector<std::byte> guest() const {
        std::vector<std::byte> g(m_info.virtual_size);
        for (const Stored& s : m_stored) {
            if (s.kind == disk::ExtentKind::data) {
                for (uint64_t i = s.offset; i < s.offset + s.length; ++i) {
                    g[i] = byte_at(i, s.seed);
                }
            }
        }
        return g;
    }

    uint64_t extents_calls = 0;
    uint64_t max_extents_length = 0;
    std::atomic<uint64_t> bytes_read{0};
    std::optional<uint64_t> fail_reads_at;
    bool concurrent = false; // claim concurrent_reads(), so the converter reads in parallel

private:
    const Stored* find(uint64_t pos) const {
        for (const Stored& s : m_stored) {
            if (pos >= s.offset && pos < s.offset + s.length) {
                return &s;
            }
        }
        return nullptr;
    }

    disk::DiskInfo m_info;
    std::vector<Stored> m_stored;
};

// Records the chunks it is given and checks the writer contract.
class RecordingWriter final : public disk::DiskWriter {
public:
    RecordingWriter(uint64_t size, uint64_t granularity, bool sequential)
        : m_size(size), m_caps{sequential, granularity} {}

    disk::WriterCaps capabilities() const override { return m_caps; }

    Result<void> write(const disk::Chunk& c) override {
        EXPECT_EQ(c.offset % m_caps.granularity, 0u);
        EXPECT_LE(c.offset + c.data.size(), m_size);
        EXPECT_TRUE(c.offset + c.data.size() == m_size || c.data.size() % m_caps.granularity == 0);
        EXPECT_GE(c.offset, m_next) << "chunks out of order";
        m_next = c.offset + c.data.size();
        uint64_t pos = c.offset;
        for (const auto& r : c.runs) {
            EXPECT_EQ(r.offset, pos) << "runs do not cover the chunk";
            EXPECT_EQ(r.offset % m_caps.granularity, 0u);
            if (r.kind == disk::ExtentKind::data) {
                data_bytes += r.length;
                if (keep) {
                    if (image.size() < m_size) {
                        image.resize(m_size);
                    }
                    std::memcpy(image.data() + r.offset, c.data.data() + (r.offset - c.offset),
                                r.length);
                }
            } else {
                auto z = c.data.subspan(r.offset - c.offset, r.length);
                EXPECT_TRUE(
                    std::all_of(z.begin(), z.end(), [](std::byte b) { return b == std::byte{0}; }))
                    << "a zero run holds data at " << r.offset;
            }
            pos += r.length;
        }
        EXPECT_EQ(pos, c.offset + c.data.size());
        ++chunks;
        return {};
    }

    Result<void> finish() override {
        finished = true;
        if (keep) {
            image.resize(m_size);
        }
        return {};
    }

    bool keep = true; // keep the written bytes (small disks only)
    std::vector<std::byte> image;
    uint64_t data_bytes = 0;
    uint64_t chunks = 0;
    bool finished = false;

private:
    uint64_t m_size;
    disk::WriterCaps m_caps;
    uint64_t m_next = 0;
};

} // namespace ovfkit::test
