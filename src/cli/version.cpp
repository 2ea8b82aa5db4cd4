#include <fmt/format.h>

#include <ovfkit/disk/formats/registry.hpp>

#include <cli/commands.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

nlohmann::json version_json() {
    nlohmann::json formats = nlohmann::json::array();
    for (const auto* d : disk::formats::all()) {
        formats.push_back({{"name", d->name},
                           {"description", d->description},
                           {"family", d->family},
                           {"read", d->open != nullptr},
                           {"write", d->create != nullptr}});
    }
    return {{"version", OVFKIT_VERSION}, {"disk_formats", formats}};
}

} // namespace

std::string version_text() {
    std::string text = fmt::format("ovfkit {}\ndisk formats:", OVFKIT_VERSION);
    for (const auto* d : disk::formats::all()) {
        text += fmt::format("\n  {:<12} {}{}", d->name, d->open ? "r" : "-", d->create ? "w" : "-");
    }
    return text;
}

void add_version_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("version", "Show the version and the compiled-in disk formats");
    auto opts = std::make_shared<CommonOptions>();
    add_common_options(*sub, *opts);
    sub->final_callback([opts, &action] {
        action = [opts] {
            if (opts->json) {
                print_json(version_json());
            } else {
                fmt::print("{}\n", version_text());
            }
            return 0;
        };
    });
}

} // namespace ovfkit::cli
