// Numbers and programmatic units as OVF writes them.
//
// DSP0004 Annex C "programmatic units" (used by Disk/@ovf:capacityAllocationUnits
// and rasd:AllocationUnits): a base unit followed by "*" multipliers, spaces
// allowed around operators: "byte", "byte * 2^30", "byte*2^20", "byte * 10^9",
// "byte * 1024". Producers also write words that are not programmatic units;
// the ones with an unambiguous byte meaning are accepted: KiloBytes,
// MegaBytes, GigaBytes, TeraBytes (binary multiples, as VirtualBox, oVirt and
// COT mean them). Everything else ("hertz * 10^6", "Processor Cores",
// "percent") is not a byte unit and is refused.
#pragma once

#include <cstdint>
#include <string_view>

#include <ovfkit/base/error.hpp>

namespace ovfkit::ovf {

// Largest byte count ovfkit accepts from a descriptor (2^63 - 1).
inline constexpr uint64_t k_max_bytes = (uint64_t{1} << 63) - 1;

// Returns how many bytes one unit of `units` is ("byte * 2^30" -> 2^30).
// Empty text means "byte". Fails (Errc::invalid) naming the text when it is not
// a byte unit, when an exponent is out of range (2^N: N <= 62, 10^N: N <= 18)
// or when the product overflows 2^63 - 1.
Result<uint64_t> parse_allocation_units(std::string_view units);

// Parses a plain unsigned decimal (no sign, no spaces, no leading "+",
// at most 2^64 - 1). Fails (Errc::invalid) with "<what> \"text\" is not ...".
Result<uint64_t> parse_u64(std::string_view text, std::string_view what);

// capacity x units in bytes, with overflow checks (<= 2^63 - 1). `capacity`
// may not be a ${property} reference here; resolve those first.
Result<uint64_t> capacity_bytes(std::string_view capacity, std::string_view units);

} // namespace ovfkit::ovf
