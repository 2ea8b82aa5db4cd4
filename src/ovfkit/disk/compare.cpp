#include <algorithm>
#include <cstring>
#include <vector>

#include <ovfkit/disk/compare.hpp>

namespace ovfkit::disk {

namespace {

constexpr uint64_t k_window = uint64_t{64} << 20; // map queried per window
constexpr size_t k_buffer = size_t{1} << 20;      // bytes read per step, per disk

std::string name_of(const DiskReader& r) {
    return r.info().files.empty() ? r.info().format : r.info().files.front();
}

std::optional<size_t> first_nonzero(std::span<const std::byte> s) {
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != std::byte{0}) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<size_t> first_mismatch(std::span<const std::byte> x, std::span<const std::byte> y) {
    constexpr size_t k_step = 4096;
    for (size_t i = 0; i < x.size(); i += k_step) {
        size_t n = std::min(k_step, x.size() - i);
        if (std::memcmp(x.data() + i, y.data() + i, n) != 0) {
            for (size_t j = i; j < i + n; ++j) {
                if (x[j] != y[j]) {
                    return j;
                }
            }
        }
    }
    return std::nullopt;
}

// The map of [at, at+len) from `r`, checked to cover the range in order.
Result<std::vector<Extent>> window_map(DiskReader& r, uint64_t at, uint64_t len) {
    OVFKIT_TRY_ASSIGN(auto map, r.extents(at, len));
    uint64_t pos = at;
    for (const Extent& e : map) {
        if (e.offset != pos || e.length == 0 || e.length > at + len - pos) {
            return fail(Errc::invalid, "{}: the allocation map of [{}, {}) is not contiguous at {}",
                        name_of(r), at, at + len, pos);
        }
        pos += e.length;
    }
    if (pos != at + len) {
        return fail(Errc::invalid, "{}: the allocation map of [{}, {}) stops at offset {}",
                    name_of(r), at, at + len, pos);
    }
    return map;
}

// Walks one map in step with a position.
struct MapWalk {
    const std::vector<Extent>& map;
    size_t index = 0;
    // The extent holding `pos` (the map covers it, checked by window_map).
    const Extent& at(uint64_t pos) {
        while (map[index].offset + map[index].length <= pos) {
            ++index;
        }
        return map[index];
    }
};

Result<void> poll_cancel(const CompareOptions& options) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
        return fail(Errc::io, "comparison interrupted");
    }
    return {};
}

class Comparer {
public:
    Comparer(DiskReader& a, DiskReader& b, CompareResult& result)
        : m_a(a), m_b(b), m_result(result), m_buf_a(k_buffer), m_buf_b(k_buffer) {}

    // Compares [from, to) of both disks; the first difference, if any.
    Result<std::optional<uint64_t>> common(uint64_t from, uint64_t to,
                                           const CompareOptions& options, uint64_t total) {
        for (uint64_t w = from; w < to; w += std::min(k_window, to - w)) {
            OVFKIT_TRY(poll_cancel(options));
            uint64_t len = std::min(k_window, to - w);
            OVFKIT_TRY_ASSIGN(auto ma, window_map(m_a, w, len));
            OVFKIT_TRY_ASSIGN(auto mb, window_map(m_b, w, len));
            MapWalk wa{ma};
            MapWalk wb{mb};
            for (uint64_t pos = w; pos < w + len;) {
                const Extent& ea = wa.at(pos);
                const Extent& eb = wb.at(pos);
                uint64_t end = std::min(ea.offset + ea.length, eb.offset + eb.length);
                bool da = ea.kind == ExtentKind::data;
                bool db = eb.kind == ExtentKind::data;
                if (da || db) {
                    OVFKIT_TRY_ASSIGN(auto diff, range(pos, end, da, db));
                    if (diff) {
                        return diff;
                    }
                }
                pos = end;
            }
            if (options.progress) {
                options.progress(w + len, total);
            }
        }
        return std::nullopt;
    }

    // [from, to) of `r` alone must read as zeros.
    Result<std::optional<uint64_t>> zeros(DiskReader& r, uint64_t from, uint64_t to,
                                          const CompareOptions& options, uint64_t total) {
        for (uint64_t w = from; w < to; w += std::min(k_window, to - w)) {
            OVFKIT_TRY(poll_cancel(options));
            uint64_t len = std::min(k_window, to - w);
            OVFKIT_TRY_ASSIGN(auto map, window_map(r, w, len));
            for (const Extent& e : map) {
                if (e.kind != ExtentKind::data) {
                    continue;
                }
                for (uint64_t pos = e.offset; pos < e.offset + e.length;) {
                    size_t n = static_cast<size_t>(
                        std::min<uint64_t>(k_buffer, e.offset + e.length - pos));
                    auto buf = std::span(m_buf_a).first(n);
                    OVFKIT_TRY(r.read_at(pos, buf));
                    m_result.bytes_read += n;
                    if (auto at = first_nonzero(buf)) {
                        return pos + *at;
                    }
                    pos += n;
                }
            }
            if (options.progress) {
                options.progress(w + len, total);
            }
        }
        return std::nullopt;
    }

private:
    // [from, to) where a holds data (da) and/or b does; the other reads as zeros.
    Result<std::optional<uint64_t>> range(uint64_t from, uint64_t to, bool da, bool db) {
        for (uint64_t pos = from; pos < to;) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(k_buffer, to - pos));
            auto x = std::span(m_buf_a).first(n);
            auto y = std::span(m_buf_b).first(n);
            if (da) {
                OVFKIT_TRY(m_a.read_at(pos, x));
                m_result.bytes_read += n;
            }
            if (db) {
                OVFKIT_TRY(m_b.read_at(pos, y));
                m_result.bytes_read += n;
            }
            std::optional<size_t> at = da && db ? first_mismatch(x, y)
                                       : da     ? first_nonzero(x)
                                                : first_nonzero(y);
            if (at) {
                return pos + *at;
            }
            pos += n;
        }
        return std::nullopt;
    }

    DiskReader& m_a;
    DiskReader& m_b;
    CompareResult& m_result;
    std::vector<std::byte> m_buf_a;
    std::vector<std::byte> m_buf_b;
};

} // namespace

Result<CompareResult> compare_disks(DiskReader& a, DiskReader& b, const CompareOptions& options) {
    CompareResult result;
    result.size_a = a.virtual_size();
    result.size_b = b.virtual_size();
    result.sizes_differ = result.size_a != result.size_b;
    const uint64_t common = std::min(result.size_a, result.size_b);
    const uint64_t total = std::max(result.size_a, result.size_b);

    Comparer cmp(a, b, result);
    OVFKIT_TRY_ASSIGN(auto diff, cmp.common(0, common, options, total));
    if (!diff && result.sizes_differ) {
        if (options.strict) {
            diff = common;
            result.difference_beyond_common = true;
        } else {
            DiskReader& larger = result.size_a > result.size_b ? a : b;
            OVFKIT_TRY_ASSIGN(diff, cmp.zeros(larger, common, total, options, total));
            result.difference_beyond_common = diff.has_value();
        }
    }
    result.first_difference = diff;
    result.identical = !diff;
    return result;
}

} // namespace ovfkit::disk
