// libFuzzer target for the decompressors of vzdump archives
// (platform/proxmox/vma_input.cpp): plain, zstd, gzip and the lzop
// container with its LZO1X blocks. The input is the archive file; it is
// read to its end (at most 64 MiB of output) in reads of changing sizes.
// An error is one line, and a read never returns more than was asked.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/platform/proxmox/vma_stream.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    auto bytes = std::as_bytes(std::span(data, size));
    std::vector<std::byte> copy(bytes.begin(), bytes.end());
    auto one_line = [](const Error& e) {
        if (e.message.empty() || e.message.find('\n') != std::string::npos) {
            std::abort();
        }
    };
    auto in = platform::proxmox::VmaInput::open(std::make_unique<io::MemFile>("fuzz.vma", copy));
    if (!in) {
        one_line(in.error());
        return 0;
    }
    std::vector<std::byte> buf(1 << 16);
    uint64_t total = 0;
    size_t want = 1;
    while (total < (uint64_t{64} << 20)) {
        want = want % buf.size() + 1 + (want * 7919) % 4096;
        want = std::min(want, buf.size());
        auto n = (*in)->read(std::span(buf).first(want));
        if (!n) {
            one_line(n.error());
            return 0;
        }
        if (*n > want) {
            std::abort();
        }
        if (*n < want) {
            break; // the end
        }
        total += *n;
    }
    return 0;
}
