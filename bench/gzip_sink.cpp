// Compresses a file to stdout through io::GzipSink, for bench/gzip.sh:
//   ovfkit_gzip_bench IN [LEVEL [THREADS [BLOCK_KIB]]] > OUT.gz
#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

#include <ovfkit/io/file.hpp>
#include <ovfkit/io/gzip_sink.hpp>
#include <ovfkit/io/sink.hpp>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: ovfkit_gzip_bench IN [LEVEL [THREADS [BLOCK_KIB]]] > OUT.gz\n");
        return 2;
    }
    using namespace ovfkit;
    auto in = io::open_read(argv[1]);
    if (!in) {
        std::fprintf(stderr, "%s\n", in.error().message.c_str());
        return 3;
    }
    io::FdSink out(STDOUT_FILENO, "stdout");
    io::GzipOptions options;
    if (argc > 2) {
        options.level = std::stoi(argv[2]);
    }
    if (argc > 3) {
        options.threads = static_cast<unsigned>(std::stoul(argv[3]));
    }
    if (argc > 4) {
        options.block_size = std::stoul(argv[4]) << 10;
    }
    auto gz = io::GzipSink::create(out, options);
    if (!gz) {
        std::fprintf(stderr, "%s\n", gz.error().message.c_str());
        return 2;
    }
    std::vector<std::byte> buf(size_t{1} << 20);
    for (uint64_t at = 0;;) {
        auto n = (*in)->pread(buf, at);
        if (!n) {
            std::fprintf(stderr, "%s\n", n.error().message.c_str());
            return 3;
        }
        if (*n == 0) {
            break;
        }
        if (auto r = (*gz)->write(std::span(buf).first(*n)); !r) {
            std::fprintf(stderr, "%s\n", r.error().message.c_str());
            return 3;
        }
        at += *n;
    }
    if (auto r = (*gz)->finish(); !r) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return 3;
    }
    return 0;
}
