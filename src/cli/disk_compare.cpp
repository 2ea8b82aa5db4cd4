// ovfkit disk compare A B [-f FMT] [-F FMT] [--strict] [--json]
#include <fmt/format.h>

#include <ovfkit/disk/compare.hpp>

#include <cli/disk.hpp>
#include <cli/output.hpp>
#include <cli/progress.hpp>

namespace ovfkit::cli {

namespace {

struct CompareOptions {
    CommonOptions common;
    ImageOptions a;
    ImageOptions b;
    bool strict = false;
    bool allow_parent = false;
};

std::string size_note(const disk::CompareResult& r) {
    return fmt::format("image sizes differ: {} bytes and {} bytes", r.size_a, r.size_b);
}

int run(CompareOptions& o) {
    o.a.allow_parent = o.b.allow_parent = o.allow_parent;
    auto a = open_image(o.a);
    if (!a) {
        return report_error(a.error(), o.common.json);
    }
    auto b = open_image(o.b);
    if (!b) {
        return report_error(b.error(), o.common.json);
    }
    print_warnings(a->findings, o.common);
    print_warnings(b->findings, o.common);
    disk::CompareOptions options;
    options.strict = o.strict;
    ProgressBar bar("comparing", !o.common.quiet && !o.common.json);
    if (bar.active()) {
        options.progress = [&bar](uint64_t done, uint64_t total) { bar.update(done, total); };
    }
    auto r = disk::compare_disks(*a->reader, *b->reader, options);
    bar.finish(false);
    if (!r) {
        return report_error(r.error(), o.common.json);
    }
    if (o.common.json) {
        nlohmann::json j = {
            {"identical", r->identical},
            {"first_difference",
             r->first_difference ? nlohmann::json(*r->first_difference) : nlohmann::json(nullptr)},
            {"size_a", r->size_a},
            {"size_b", r->size_b},
            {"sizes_differ", r->sizes_differ},
            {"strict", o.strict},
            {"format_a", a->reader->info().format},
            {"format_b", b->reader->info().format},
        };
        print_json(j);
    } else if (!o.common.quiet) {
        if (r->sizes_differ) {
            fmt::print("Warning: {}{}\n", size_note(*r),
                       o.strict ? "" : "; the rest of the larger one must read as zeros");
        }
        if (r->identical) {
            fmt::print("Images are identical.\n");
        } else if (r->difference_beyond_common && o.strict) {
            fmt::print("Images differ in size: first difference at offset {}.\n",
                       *r->first_difference);
        } else {
            fmt::print("Content mismatch at offset {}!\n", *r->first_difference);
        }
    }
    return r->identical ? 0 : 1;
}

} // namespace

void add_disk_compare_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("compare", "Compare what a guest sees in two disk images");
    auto opts = std::make_shared<CompareOptions>();
    add_image_options(*sub, opts->a, "A", "-f,--format");
    add_image_options(*sub, opts->b, "B", "-F,--format-b");
    sub->add_flag("-s,--strict", opts->strict,
                  "Images of different sizes differ (default: the extra bytes must be zeros)");
    add_allow_parent_option(*sub, opts->allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
