// XVA block checksums; see block_sum.hpp.
#include <fmt/format.h>
#include <xxhash.h>

#include <ovfkit/io/sink.hpp>
#include <ovfkit/platform/xenserver/block_sum.hpp>

namespace ovfkit::platform::xenserver {

std::optional<BlockSum> block_sum_named(std::string_view name) {
    if (name == "sha1") {
        return BlockSum::sha1;
    }
    if (name == "xxhash") {
        return BlockSum::xxhash;
    }
    return std::nullopt;
}

std::string_view block_sum_suffix(BlockSum sum) {
    return sum == BlockSum::sha1 ? ".checksum" : ".xxhash";
}

std::string_view block_sum_label(BlockSum sum) {
    return sum == BlockSum::sha1 ? "SHA-1" : "XXH64";
}

size_t block_sum_digits(BlockSum sum) {
    return sum == BlockSum::sha1 ? 40 : 16;
}

Result<std::string> block_sum(BlockSum sum, std::span<const std::byte> data) {
    if (sum == BlockSum::sha1) {
        return io::hex_digest(data, io::DigestAlgorithm::sha1);
    }
    // xapi formats it with %016LX: upper case, zero-padded.
    return fmt::format("{:016X}", xxh64(data));
}

uint64_t xxh64(std::span<const std::byte> data) {
    return XXH64(data.data(), data.size(), 0);
}

} // namespace ovfkit::platform::xenserver
