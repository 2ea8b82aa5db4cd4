// ovfkit disk map IMAGE [-f FORMAT] [--json]
//
// The map is printed window by window as the library delivers it, so a
// fragmented image never holds its whole map in memory.
#include <cstdio>

#include <fmt/format.h>

#include <ovfkit/ops/disk_map.hpp>

#include <cli/disk.hpp>
#include <cli/interrupt.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct MapOptions {
    CommonOptions common;
    ops::DiskMapOptions op;
};

int run(const MapOptions& o) {
    auto map = ops::DiskMap::open(o.op);
    if (!map) {
        return report_error(map.error(), o.common.json);
    }
    print_warnings(map->header().findings, o.common.quiet, o.common.json);
    ops::JobControl control;
    InterruptGuard guard(control.cancel);
    ops::DiskMapJson json(
        [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); });
    Result<uint64_t> done;
    if (o.common.json) {
        json.begin(map->header());
        done = map->stream([&json](const disk::Extent& e) { json.extent(e); }, control);
    } else {
        fmt::print("{:<20} {:<20} {}\n", "offset", "length", "kind");
        done = map->stream(
            [](const disk::Extent& e) {
                fmt::print("{:<20} {:<20} {}\n", e.offset, e.length,
                           disk::extent_kind_name(e.kind));
            },
            control);
    }
    if (!done) {
        // The map printed so far stays; the JSON is left unclosed on purpose.
        std::fflush(stdout);
        fmt::print(stderr, "ovfkit: error: {}\n", terminal_safe(done.error().message));
        return static_cast<int>(done.error().code);
    }
    if (o.common.json) {
        json.end();
    }
    return 0;
}

} // namespace

void add_disk_map_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("map", "Print the allocation map of a disk image");
    auto opts = std::make_shared<MapOptions>();
    add_image_options(*sub, opts->op.image, "IMAGE", "-f,--format");
    add_allow_parent_option(*sub, opts->op.image.allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
