#include <openssl/err.h>
#include <openssl/rand.h>

#include <ovfkit/base/uuid.hpp>

namespace ovfkit {

Result<Uuid> random_uuid() {
    Uuid u{};
    if (RAND_bytes(u.data(), static_cast<int>(u.size())) != 1) {
        return fail(Errc::io, "cannot get random bytes for a UUID: OpenSSL error {:#x}",
                    ERR_get_error());
    }
    // Version 4 in the high nibble of byte 6, variant 10 in the top bits of
    // byte 8 (RFC 9562 section 5.4).
    u[6] = static_cast<uint8_t>((u[6] & 0x0F) | 0x40);
    u[8] = static_cast<uint8_t>((u[8] & 0x3F) | 0x80);
    return u;
}

Uuid as_guid_bytes(const Uuid& u) {
    return {u[3], u[2], u[1],  u[0],  u[5],  u[4],  u[7],  u[6],
            u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]};
}

std::string uuid_text(const Uuid& u) {
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                       "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                       u[12], u[13], u[14], u[15]);
}

} // namespace ovfkit
