#include <cli/command.hpp>

namespace ovfkit::cli {

void add_common_options(CLI::App& sub, CommonOptions& options) {
    sub.add_flag("--json", options.json, "Print machine-readable JSON on stdout");
    sub.add_flag("-q,--quiet", options.quiet, "No progress or warnings on stderr");
}

} // namespace ovfkit::cli
