// CRC-32C (Castagnoli): the checksum of VHDX headers, region tables and log
// entries, also used by iSCSI and ext4.
//
// Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR
// 0xFFFFFFFF. zlib's crc32 and OpenSSL do not offer this polynomial, so it is
// implemented here: SSE4.2's crc32 instruction when the CPU has it (checked at
// run time), a slicing-by-8 table otherwise. Both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ovfkit {

// Returns the CRC-32C of `data`. To checksum data in pieces, pass the result
// of the previous piece as `crc` (the empty input has CRC 0).
[[nodiscard]] uint32_t crc32c(std::span<const std::byte> data, uint32_t crc = 0);

// The portable table-driven implementation, exposed so tests can compare it
// with the hardware path on the same inputs.
[[nodiscard]] uint32_t crc32c_portable(std::span<const std::byte> data, uint32_t crc = 0);

} // namespace ovfkit
