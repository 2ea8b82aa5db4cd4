// `ovfkit hyperv-collector [-o FILE]`: the PowerShell script that collects a
// Hyper-V VM's settings as the JSON `ovfkit convert` imports with the
// exported VM (docs/import.md, "Hyper-V"). The script is library data
// (platform/hyperv/collector.cpp); this only prints or writes it.
#include <cstdio>

#include <fmt/format.h>

#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/platform/hyperv/import.hpp>

#include <cli/commands.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

struct CollectorOptions {
    std::string output;
    bool force = false;
};

int run(const CollectorOptions& o) {
    std::string_view script = platform::hyperv::collector_script();
    if (o.output.empty()) {
        fmt::print("{}", script);
        return std::fflush(stdout) == 0 ? 0 : 3;
    }
    io::OutputSet outputs(o.force);
    auto write = [&]() -> Result<void> {
        OVFKIT_TRY_ASSIGN(io::File * f, outputs.create(o.output));
        OVFKIT_TRY(f->pwrite(std::as_bytes(std::span(script)), 0));
        return outputs.commit();
    };
    if (auto ok = write(); !ok) {
        return report_error(ok.error(), false);
    }
    return 0;
}

} // namespace

void add_hyperv_collector_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand(
        "hyperv-collector",
        "Print the PowerShell script that collects a Hyper-V VM's settings for import");
    auto opts = std::make_shared<CollectorOptions>();
    sub->add_option("-o,--output", opts->output, "Write the script to this file (.ps1)");
    sub->add_flag("--force", opts->force, "Replace an existing output file");
    sub->final_callback([opts, &action] { action = [opts] { return run(*opts); }; });
}

} // namespace ovfkit::cli
