// Sequential output: bytes appended in order to something that may not seek.
//
// A File is positional; a Sink is the stream-shaped counterpart for outputs
// written front to back once: a pipe or stdout, a member of an OVA written in
// one pass, a manifest. Writers that only append (streamOptimized VMDK, the
// tar writer to come) can then produce into any of them, and a DigestSink in
// between computes the SHA digest an OVF manifest (.mf) records for each
// file while the bytes go past, without reading the file again.
//
// Sinks are thread-compatible: one sink is used by one thread at a time, and
// distinct sinks share nothing (no globals, no OpenSSL state beyond their
// own context). After write() or finish() fails the sink is broken and every
// later call fails; finish() is called once, and writes after it fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>

// OpenSSL's digest and digest context, kept out of this header (see sink.cpp).
struct evp_md_st;
struct evp_md_ctx_st;

namespace ovfkit::io {

class Sink {
public:
    virtual ~Sink() = default;

    // The name used in messages (a path, "stdout", a member name).
    virtual const std::string& name() const = 0;

    // Appends all of `data`, or fails (Errc::io with what and where).
    virtual Result<void> write(std::span<const std::byte> data) = 0;

    // Ends the output: no more writes. Flushes what the sink holds; it does
    // not fsync (an OutputSet syncs its files on commit).
    virtual Result<void> finish() = 0;

    // Bytes accepted by write() so far.
    virtual uint64_t bytes_written() const = 0;
};

// Appends to an io::File from `start` on (a disk image, a tar member at its
// offset inside an OVA). The file is borrowed and must outlive the sink.
class FileSink final : public Sink {
public:
    explicit FileSink(File& file, uint64_t start = 0) : m_file(file), m_offset(start) {}

    const std::string& name() const override { return m_file.name(); }
    Result<void> write(std::span<const std::byte> data) override;
    Result<void> finish() override;
    uint64_t bytes_written() const override { return m_count; }

private:
    File& m_file;
    uint64_t m_offset;
    uint64_t m_count = 0;
    bool m_finished = false;
    bool m_broken = false;
};

// write(2) to a descriptor that may not seek: a pipe, a socket, stdout. The
// descriptor is borrowed: the sink neither closes nor syncs it. Short writes
// and EINTR are retried; EPIPE (a reader that went away) is an error, as is
// every other failure.
class FdSink final : public Sink {
public:
    FdSink(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}

    const std::string& name() const override { return m_name; }
    Result<void> write(std::span<const std::byte> data) override;
    Result<void> finish() override;
    uint64_t bytes_written() const override { return m_count; }

private:
    int m_fd;
    std::string m_name;
    uint64_t m_count = 0;
    bool m_finished = false;
    bool m_broken = false;
};

// The digests OVF manifests use (DSP0243 5.1: SHA1 in 1.x, SHA256 and
// SHA512 since 2.0).
enum class DigestAlgorithm { sha1, sha256, sha512 };

// "SHA1", "SHA256", "SHA512": the name as a manifest line spells it.
std::string_view digest_name(DigestAlgorithm algorithm);
// From the manifest spelling or the command-line one ("sha256"), any case.
std::optional<DigestAlgorithm> digest_from_name(std::string_view name);
// The digest's length in hex digits: 40, 64, 128.
size_t digest_hex_length(DigestAlgorithm algorithm);
// OpenSSL's EVP_MD for the algorithm (for signing and verifying).
const evp_md_st* digest_md(DigestAlgorithm algorithm);

// The lower-case hex digest of `data` (a descriptor in memory).
Result<std::string> hex_digest(std::span<const std::byte> data, DigestAlgorithm algorithm);

// Accepts and discards everything: a DigestSink over it hashes bytes that go
// nowhere else (verifying a package's files).
class NullSink final : public Sink {
public:
    explicit NullSink(std::string name) : m_name(std::move(name)) {}
    const std::string& name() const override { return m_name; }
    Result<void> write(std::span<const std::byte> data) override {
        m_count += data.size();
        return {};
    }
    Result<void> finish() override { return {}; }
    uint64_t bytes_written() const override { return m_count; }

private:
    std::string m_name;
    uint64_t m_count = 0;
};

// Forwards every byte to an inner sink and hashes what the inner sink
// accepted. finish() finishes the inner sink, then makes the lowercase hex
// digest available. An error of the inner sink is returned unchanged; the
// digest is then never produced.
class DigestSink final : public Sink {
public:
    // Fails (Errc::io) only when OpenSSL cannot set up the digest.
    static Result<std::unique_ptr<DigestSink>> create(Sink& inner, DigestAlgorithm algorithm);

    ~DigestSink() override;
    DigestSink(const DigestSink&) = delete;
    DigestSink& operator=(const DigestSink&) = delete;

    const std::string& name() const override { return m_inner.name(); }
    Result<void> write(std::span<const std::byte> data) override;
    Result<void> finish() override;
    uint64_t bytes_written() const override { return m_count; }

    DigestAlgorithm algorithm() const { return m_algorithm; }
    // The hex digest after a successful finish(), empty before.
    const std::string& hex_digest() const { return m_hex; }

private:
    DigestSink(Sink& inner, DigestAlgorithm algorithm, evp_md_ctx_st* ctx);

    Sink& m_inner;
    DigestAlgorithm m_algorithm;
    evp_md_ctx_st* m_ctx; // owned; freed by the destructor
    uint64_t m_count = 0;
    std::string m_hex;
    bool m_finished = false;
    bool m_broken = false;
};

} // namespace ovfkit::io
