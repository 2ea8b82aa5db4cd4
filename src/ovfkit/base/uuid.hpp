// Random UUIDs for the images ovfkit writes (VHD unique_id, VHDX GUIDs,
// VDI creation and modification UUIDs).
//
// One generator for every writer: OpenSSL's RAND_bytes (the process's
// CSPRNG, seeded from the kernel), version 4 and the RFC 9562 variant.
// Formats store UUIDs in two byte orders: RFC order (every field
// big-endian; VHD) and Microsoft GUID order (the first three fields
// little-endian; VHDX, VDI), which as_guid_bytes() converts to.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <ovfkit/base/error.hpp>

namespace ovfkit {

using Uuid = std::array<uint8_t, 16>; // RFC 9562 byte order

// A random version 4 UUID; Errc::io when no random bytes can be had.
Result<Uuid> random_uuid();

// `u` in Microsoft GUID byte order (Data1, Data2, Data3 little-endian).
Uuid as_guid_bytes(const Uuid& u);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" of 16 bytes in RFC order.
std::string uuid_text(const Uuid& u);

} // namespace ovfkit
