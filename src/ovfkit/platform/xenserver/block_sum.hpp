// The checksum member that follows each block of an XVA (formats/
// kvm-xen-hyperv.md 6.1): `.checksum`, the lower-case hex SHA-1 that every
// xapi reads, or `.xxhash`, the upper-case hex XXH64 (seed 0) that xapi
// writes since Citrix Hypervisor 8.1 / XCP-ng 8.1 and that costs a fraction
// of a SHA-1 to compute. The writer (xva.cpp) and the reader
// (xva_archive.cpp) both go through here, so they cannot disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>

namespace ovfkit::platform::xenserver {

enum class BlockSum : uint8_t { sha1, xxhash };

// "sha1" or "xxhash" (what --xva-checksum takes); nullopt for anything else.
std::optional<BlockSum> block_sum_named(std::string_view name);
std::string_view block_sum_suffix(BlockSum sum); // ".checksum", ".xxhash"
std::string_view block_sum_label(BlockSum sum);  // "SHA-1", "XXH64", for messages
size_t block_sum_digits(BlockSum sum);           // 40, 16

// The member's text for `data`, exactly as xapi writes it.
Result<std::string> block_sum(BlockSum sum, std::span<const std::byte> data);

// XXH64 with seed 0 (libxxhash).
uint64_t xxh64(std::span<const std::byte> data);

} // namespace ovfkit::platform::xenserver
