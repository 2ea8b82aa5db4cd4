// A file written inside another at an offset, hashed while it is written.
//
// A disk converted on its way into an OVA is written by its format's writer
// straight into its tar member: the writer sees a file that starts at 0,
// the bytes land at `base` in the archive. The member's manifest digest is
// computed from the writes themselves as long as they append (streamOptimized
// VMDK, raw with holes: a gap is hashed as the zeros it reads as). A writer
// that goes back to patch a table makes the window re-read the member once
// at the end instead (reread() says so), so the digest is always of the bytes
// as stored.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <ovfkit/io/async_sink.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::io {

class WriteWindow final : public File {
public:
    // `under` is borrowed and must outlive the window; the window owns
    // [base, base + size()) of it and everything after (it is the last
    // member being written). No digest when `algorithm` is nullopt.
    static Result<std::unique_ptr<WriteWindow>> create(File& under, uint64_t base, std::string name,
                                                       std::optional<DigestAlgorithm> algorithm);

    const std::string& name() const override { return m_name; }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override;
    Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) override;
    Result<uint64_t> size() override { return m_end; }
    Result<void> truncate(uint64_t size) override;
    Result<void> sync() override { return m_under.sync(); }
    Result<uint64_t> next_data(uint64_t offset) override;
    Result<uint64_t> next_hole(uint64_t offset) override;
    Result<void> write_zeroes(uint64_t offset, uint64_t length) override;

    // The digest of the member's bytes [0, size()), re-reading them when the
    // writes did not append. Call once, after the writer finished.
    Result<std::string> finish_digest();

    // True when finish_digest() had to read the member back.
    bool reread() const { return m_reread; }

private:
    WriteWindow(File& under, uint64_t base, std::string name)
        : m_under(under), m_base(base), m_name(std::move(name)) {}

    // Feeds [m_hashed, offset) as zeros and then `data` to the digest, or
    // gives up on hashing in order when `offset` is behind m_hashed.
    Result<void> hash(std::span<const std::byte> data, uint64_t offset);
    Result<void> hash_zeros(uint64_t count);

    File& m_under;
    uint64_t m_base;
    std::string m_name;
    uint64_t m_end = 0;    // the member's size so far
    uint64_t m_hashed = 0; // bytes [0, m_hashed) are in the digest
    std::optional<DigestAlgorithm> m_algorithm;
    std::unique_ptr<NullSink> m_nowhere;
    std::unique_ptr<DigestSink> m_digest;
    std::unique_ptr<AsyncSink> m_async; // feeds m_digest on its own thread
    bool m_out_of_order = false;
    bool m_reread = false;
};

} // namespace ovfkit::io
