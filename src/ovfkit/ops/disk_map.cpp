#include <optional>

#include <fmt/format.h>

#include <ovfkit/ops/disk_map.hpp>
#include <ovfkit/ops/json.hpp>

namespace ovfkit::ops {

namespace {

// With 512-byte clusters a 64 MiB window maps to at most 128 Ki extents.
constexpr uint64_t k_window = uint64_t{64} << 20;

} // namespace

DiskMap::DiskMap(DiskMap&&) noexcept = default;
DiskMap& DiskMap::operator=(DiskMap&&) noexcept = default;
DiskMap::~DiskMap() = default;

Result<DiskMap> DiskMap::open(const DiskMapOptions& options) {
    DiskMap map;
    OVFKIT_TRY_ASSIGN(map.m_image, open_disk(options.image));
    disk::DiskReader& r = *map.m_image.reader;
    map.m_header.image = options.image.path;
    map.m_header.format = r.info().format;
    map.m_header.virtual_size = r.virtual_size();
    map.m_header.findings = image_findings(map.m_image, options.image.path);
    OVFKIT_TRY_ASSIGN(map.m_first, r.extents(0, std::min(r.virtual_size(), k_window)));
    return map;
}

Result<uint64_t> DiskMap::stream(const std::function<void(const disk::Extent&)>& sink,
                                 const JobControl& control) {
    // The last extent is held back until the next one cannot extend it.
    std::optional<disk::Extent> pending;
    uint64_t delivered = 0;
    auto add = [&](const disk::Extent& e) {
        if (e.length == 0) {
            return;
        }
        if (pending && pending->kind == e.kind && pending->offset + pending->length == e.offset) {
            pending->length += e.length;
            return;
        }
        if (pending) {
            sink(*pending);
            ++delivered;
        }
        pending = e;
    };
    for (const auto& e : m_first) {
        add(e);
    }
    m_first.clear();
    disk::DiskReader& r = *m_image.reader;
    uint64_t size = r.virtual_size();
    for (uint64_t pos = std::min(size, k_window); pos < size; pos += k_window) {
        if (control.cancel.cancelled()) {
            return fail(cancelled_error(m_header.image));
        }
        control.report("mapping", pos, size);
        OVFKIT_TRY_ASSIGN(auto window, r.extents(pos, std::min(k_window, size - pos)));
        for (const auto& e : window) {
            add(e);
        }
    }
    if (pending) {
        sink(*pending);
        ++delivered;
    }
    control.report("mapping", size, size);
    return delivered;
}

void DiskMapJson::begin(const DiskMapHeader& h) {
    nlohmann::json head = json_document();
    head.update({{"image", h.image},
                 {"format", h.format},
                 {"virtual_size", h.virtual_size},
                 {"warnings", findings_json(h.findings)}});
    // The header's members, then the extents array left open.
    std::string text = head.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    text.pop_back(); // the closing brace
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    m_out(text);
    m_out(",\n  \"extents\": [");
}

void DiskMapJson::extent(const disk::Extent& e) {
    m_out(fmt::format("{}\n    {{\"offset\": {}, \"length\": {}, \"kind\": \"{}\"}}",
                      m_count > 0 ? "," : "", e.offset, e.length, disk::extent_kind_name(e.kind)));
    ++m_count;
}

void DiskMapJson::end() {
    m_out(m_count > 0 ? "\n  ]\n}\n" : "]\n}\n");
}

} // namespace ovfkit::ops
