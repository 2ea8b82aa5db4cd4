// Converts a disk image with libovfkit and prints one line about it:
//
//   ovfkit_consumer IN OUT FORMAT
//
// The library never prints; rendering the result (and the exit code, which
// is the Errc of a failure) is the program's business.
#include <cstdio>

#include <ovfkit/disk/convert.hpp>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s IN OUT FORMAT\n", argv[0]);
        return 2;
    }
    ovfkit::disk::ConvertRequest request;
    request.input = argv[1];
    request.output = argv[2];
    request.output_format = argv[3];
    auto result = ovfkit::disk::convert_image(request);
    if (!result) {
        std::fprintf(stderr, "error: %s\n", result.error().message.c_str());
        return static_cast<int>(result.error().code);
    }
    std::printf("converted %s (%s) to %s (%s): %llu guest bytes, %llu written\n", argv[1],
                result->input_format.c_str(), argv[2], result->output_format.c_str(),
                static_cast<unsigned long long>(result->stats.virtual_size),
                static_cast<unsigned long long>(result->stats.bytes_written));
    return 0;
}
