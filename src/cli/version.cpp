#include <fmt/format.h>

#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/ops/version.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/registry.hpp>

#include <cli/commands.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

std::string version_text() {
    std::string text = fmt::format("ovfkit {}\ndisk formats:", OVFKIT_VERSION);
    for (const auto* d : disk::formats::all()) {
        text += fmt::format("\n  {:<12} {}{}", d->name, d->open ? "r" : "-", d->create ? "w" : "-");
    }
    text += "\nexport targets (convert --to):";
    for (const auto& t : platform::export_targets()) {
        text += fmt::format("\n  {:<12} {}", t.name, t.description);
    }
    text += "\nimport sources (convert SOURCE):";
    for (const auto& s : platform::import_sources()) {
        text += fmt::format("\n  {:<12} {}", s.name, s.description);
    }
    text += "\nplatforms:";
    for (const auto& p : platform::all()) {
        text += fmt::format("\n  {:<12} {}", p.name, p.display_name);
    }
    return text;
}

void add_version_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "version", "Show the version, the compiled-in disk formats, export targets and platforms");
    auto opts = std::make_shared<CommonOptions>();
    add_common_options(*sub, *opts);
    sub->final_callback([opts, &action] {
        action = [opts] {
            if (opts->json) {
                print_json(ops::to_json(ops::version()));
            } else {
                fmt::print("{}\n", version_text());
            }
            return 0;
        };
    });
}

} // namespace ovfkit::cli
