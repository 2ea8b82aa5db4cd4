// UTF-16 text in binary layouts (VHD parent names and locators, VHDX
// metadata, PowerShell's Out-File) to UTF-8.
#pragma once

#include <bit>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace ovfkit {

// What a NUL code unit means in the text.
enum class Utf16Nul {
    ends,    // a fixed-size field padded with NULs: the text stops there
    refused, // the text must hold none: nullopt
    kept,    // an ordinary character (a later parser judges it)
};

// Decodes the size/2 code units of `bytes` (a trailing odd byte is ignored;
// callers that must refuse it check the size) in byte order `order`.
// Returns nullopt on an unpaired surrogate or a NUL that `nul` refuses.
std::optional<std::string> utf16_to_utf8(std::span<const std::byte> bytes, std::endian order,
                                         Utf16Nul nul);

} // namespace ovfkit
