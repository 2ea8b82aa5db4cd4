// Sizes as people write them ("64M", "2G", "512") and as ovfkit prints them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>

namespace ovfkit {

inline constexpr uint64_t KiB = 1024;
inline constexpr uint64_t MiB = 1024 * KiB;
inline constexpr uint64_t GiB = 1024 * MiB;
inline constexpr uint64_t TiB = 1024 * GiB;

// Parses a byte count with an optional binary suffix (K, M, G, T, with or
// without "iB"/"B"). Fails with Errc::usage naming the text.
Result<uint64_t> parse_size(std::string_view text);

// Formats a byte count for people: "512 B", "1.5 MiB", "64 GiB".
std::string format_size(uint64_t bytes);

} // namespace ovfkit
