// ovfkit disk map IMAGE [-f FORMAT] [--json]
//
// The map is printed window by window as it is read, so a fragmented image
// never holds its whole map (or a JSON document of it) in memory.
#include <cstdio>

#include <fmt/format.h>

#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

// With 512-byte clusters a 64 MiB window maps to at most 128 Ki extents.
constexpr uint64_t k_window = uint64_t{64} << 20;

struct MapOptions {
    CommonOptions common;
    ImageOptions image;
};

class MapPrinter {
public:
    explicit MapPrinter(bool json) : m_json(json) {}

    void add(const disk::Extent& e) {
        if (m_pending && m_last.kind == e.kind && m_last.offset + m_last.length == e.offset) {
            m_last.length += e.length;
            return;
        }
        flush();
        m_last = e;
        m_pending = true;
    }

    void begin() {
        if (m_json) {
            std::fputs("[", stdout);
        } else {
            fmt::print("{:<20} {:<20} {}\n", "offset", "length", "kind");
        }
    }

    void end() {
        flush();
        std::fputs(m_json ? (m_count > 0 ? "\n]\n" : "]\n") : "", stdout);
    }

private:
    void flush() {
        if (!m_pending) {
            return;
        }
        const char* kind = disk::extent_kind_name(m_last.kind);
        if (m_json) {
            fmt::print("{}\n  {{\"offset\": {}, \"length\": {}, \"kind\": \"{}\"}}",
                       m_count > 0 ? "," : "", m_last.offset, m_last.length, kind);
        } else {
            fmt::print("{:<20} {:<20} {}\n", m_last.offset, m_last.length, kind);
        }
        ++m_count;
        m_pending = false;
    }

    bool m_json;
    bool m_pending = false;
    disk::Extent m_last;
    uint64_t m_count = 0;
};

int run(const MapOptions& o) {
    auto image = open_image(o.image);
    if (!image) {
        return report_error(image.error(), o.common.json);
    }
    print_warnings(image->findings, o.common);
    disk::DiskReader& r = *image->reader;
    // Read the first window before printing anything, so that an image whose
    // map fails at once gives an error and no partial output.
    uint64_t size = r.virtual_size();
    auto first = r.extents(0, std::min(size, k_window));
    if (!first) {
        return report_error(first.error(), o.common.json);
    }
    MapPrinter printer(o.common.json);
    printer.begin();
    for (const auto& e : *first) {
        printer.add(e);
    }
    for (uint64_t pos = std::min(size, k_window); pos < size; pos += k_window) {
        auto map = r.extents(pos, std::min(k_window, size - pos));
        if (!map) {
            std::fflush(stdout);
            fmt::print(stderr, "ovfkit: error: {}\n", terminal_safe(map.error().message));
            return static_cast<int>(map.error().code);
        }
        for (const auto& e : *map) {
            printer.add(e);
        }
    }
    printer.end();
    return 0;
}

} // namespace

void add_disk_map_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("map", "Print the allocation map of a disk image");
    auto opts = std::make_shared<MapOptions>();
    add_image_options(*sub, opts->image, "IMAGE", "-f,--format");
    add_allow_parent_option(*sub, opts->image.allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
