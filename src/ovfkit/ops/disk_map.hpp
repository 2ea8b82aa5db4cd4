// `ovfkit disk map`: the allocation map of a disk image, streamed.
//
// The map is delivered window by window as it is read, so a fragmented
// image never holds its whole map (or a JSON document of it) in memory.
// Opening the image and reading the first window happen before anything is
// delivered, so an image whose map fails at once gives an error and no
// partial output; a later failure ends a map already under way.
#pragma once

#include <functional>
#include <string_view>

#include <ovfkit/ops/disk_image.hpp>
#include <ovfkit/ops/job.hpp>

namespace ovfkit::ops {

struct DiskMapOptions {
    ImageRef image;
};

struct DiskMapHeader {
    std::string image;
    std::string format;
    uint64_t virtual_size = 0;
    std::vector<Finding> findings;
};

class DiskMap {
public:
    // Opens the image and reads the first window of its map.
    static Result<DiskMap> open(const DiskMapOptions& options);

    DiskMap(DiskMap&&) noexcept;
    DiskMap& operator=(DiskMap&&) noexcept;
    ~DiskMap();

    const DiskMapHeader& header() const { return m_header; }

    // Calls `sink` for each extent in ascending order, adjacent extents of
    // one kind merged. Fails with the first window that does not read (the
    // extents before it were delivered) or on cancellation (progress phase
    // "mapping"). Call once.
    Result<uint64_t> stream(const std::function<void(const disk::Extent&)>& sink,
                            const JobControl& control = {});

private:
    DiskMap() = default;

    DiskMapHeader m_header;
    disk::Image m_image;
    std::vector<disk::Extent> m_first;
};

// The JSON form of a map, written piece by piece to `out`:
//   {"schema": "ovfkit/1", "image": ..., "format": ..., "virtual_size": N,
//    "warnings": [...], "extents": [{"offset", "length", "kind"}, ...]}
// A map cut short by an error is left unclosed, so no parser takes it for a
// whole one.
class DiskMapJson {
public:
    explicit DiskMapJson(std::function<void(std::string_view)> out) : m_out(std::move(out)) {}
    void begin(const DiskMapHeader& header);
    void extent(const disk::Extent& e);
    void end();

private:
    std::function<void(std::string_view)> m_out;
    uint64_t m_count = 0;
};

} // namespace ovfkit::ops
