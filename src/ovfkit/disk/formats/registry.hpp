// The list of disk formats compiled into ovfkit.
#pragma once

#include <span>
#include <string_view>

#include <ovfkit/disk/format.hpp>

namespace ovfkit::disk::formats {

// Every driver, in the order detection reports ties.
std::span<const FormatDriver* const> all();

// The driver with this command-line name, or nullptr.
const FormatDriver* find(std::string_view name);

} // namespace ovfkit::disk::formats
