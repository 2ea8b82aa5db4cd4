// Converts a disk image through libovfkit's operations layer and prints one
// line about it, with progress on stderr:
//
//   ovfkit_consumer IN OUT FORMAT
//
// The library never prints; rendering the report (and the exit code, which
// is the Errc of a failure) is the program's business.
#include <cstdio>

#include <ovfkit/ops/disk_convert.hpp>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s IN OUT FORMAT\n", argv[0]);
        return 2;
    }
    ovfkit::ops::DiskConvertOptions options;
    options.input.path = argv[1];
    options.output = argv[2];
    options.output_format = argv[3];
    ovfkit::ops::JobControl control;
    unsigned reports = 0;
    control.progress = [&reports](const ovfkit::ops::Progress&) { ++reports; };
    auto report = ovfkit::ops::convert_disk(options, control);
    if (!report) {
        std::fprintf(stderr, "error: %s\n", report.error().message.c_str());
        return static_cast<int>(report.error().code);
    }
    const auto& s = report->summary;
    std::printf("converted %s (%s) to %s (%s): %llu guest bytes, %llu written, %u progress "
                "reports\n",
                argv[1], s.input_format.c_str(), argv[2], s.output_format.c_str(),
                static_cast<unsigned long long>(s.stats.virtual_size),
                static_cast<unsigned long long>(s.stats.bytes_written), reports);
    // The same report as `ovfkit disk convert --json` prints it.
    std::printf("%s\n", ovfkit::ops::to_json(*report).dump().c_str());
    return 0;
}
