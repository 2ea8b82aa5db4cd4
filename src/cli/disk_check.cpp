// ovfkit disk check IMAGE [-f FORMAT] [--json]
#include <fmt/format.h>

#include <cli/disk.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct CheckOptions {
    CommonOptions common;
    ImageOptions image;
};

int run(const CheckOptions& o) {
    Diagnostics diag;
    std::string format;
    auto image = open_image(o.image);
    if (!image) {
        // An image too damaged to open is the strongest finding a check can
        // make; anything else (a missing file, a refusal) is an error.
        if (image.error().code != Errc::invalid) {
            return report_error(image.error(), o.common.json);
        }
        std::string message = image.error().message;
        if (message.starts_with(o.image.path + ": ")) {
            message.erase(0, o.image.path.size() + 2); // the finding names the file
        }
        diag.error("DISK-OPEN", message, o.image.path);
    } else {
        format = image->reader->info().format;
        for (const Finding& f : image->findings) {
            diag.add(f);
        }
        if (auto r = image->reader->check(diag); !r) {
            return report_error(r.error(), o.common.json);
        }
    }
    bool clean = !diag.has_errors();
    if (o.common.json) {
        nlohmann::json findings = nlohmann::json::array();
        for (const auto& f : diag.findings()) {
            findings.push_back(finding_json(f));
        }
        print_json({{"image", o.image.path},
                    {"format", format.empty() ? nlohmann::json(nullptr) : nlohmann::json(format)},
                    {"clean", clean},
                    {"errors", diag.count(Severity::error)},
                    {"warnings", diag.count(Severity::warning)},
                    {"findings", findings}});
    } else {
        for (const auto& f : diag.findings()) {
            if (f.severity == Severity::error || !o.common.quiet) {
                fmt::print("{}\n", finding_text(f));
            }
        }
        if (!o.common.quiet) {
            if (clean) {
                fmt::print("No errors were found on the image{}.\n",
                           diag.empty()
                               ? ""
                               : fmt::format(" ({} warnings)", diag.count(Severity::warning)));
            } else {
                fmt::print("{} errors and {} warnings were found on the image.\n",
                           diag.count(Severity::error), diag.count(Severity::warning));
            }
        }
    }
    return clean ? 0 : static_cast<int>(Errc::invalid);
}

} // namespace

void add_disk_check_command(CLI::App& disk, Action& action) {
    auto* sub = disk.add_subcommand("check", "Check the consistency of a disk image's metadata");
    auto opts = std::make_shared<CheckOptions>();
    add_image_options(*sub, opts->image, "IMAGE", "-f,--format");
    add_allow_parent_option(*sub, opts->image.allow_parent);
    add_common_options(*sub, opts->common);
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
