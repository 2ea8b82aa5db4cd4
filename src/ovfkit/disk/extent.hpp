// The allocation map of a virtual disk.
#pragma once

#include <cstdint>
#include <vector>

namespace ovfkit::disk {

enum class ExtentKind {
    data,        // stored bytes (may still be zeros; the converter tests them)
    zero,        // stored as "reads as zeros" (qcow2 zero flag, VMDK zeroed grain, ...)
    unallocated, // not stored; reads as zeros (or from a parent, already resolved)
};

constexpr const char* extent_kind_name(ExtentKind k) {
    switch (k) {
    case ExtentKind::data:
        return "data";
    case ExtentKind::zero:
        return "zero";
    case ExtentKind::unallocated:
        return "unallocated";
    }
    return "?";
}

struct Extent {
    uint64_t offset = 0;
    uint64_t length = 0;
    ExtentKind kind = ExtentKind::data;
    bool operator==(const Extent&) const = default;
};

// Appends an extent, merging it with the last one when contiguous and of the
// same kind, so maps stay short.
inline void append_extent(std::vector<Extent>& map, Extent e) {
    if (e.length == 0) {
        return;
    }
    if (!map.empty() && map.back().kind == e.kind &&
        map.back().offset + map.back().length == e.offset) {
        map.back().length += e.length;
        return;
    }
    map.push_back(e);
}

} // namespace ovfkit::disk
