#include <algorithm>
#include <cctype>
// Sequential sinks; see sink.hpp.
#include <cerrno>
#include <cstring>

#include <openssl/evp.h>
#include <unistd.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::io {

namespace {

// The common refusals of every sink, so each says them the same way.
// `what` is the refused call: "write" or "finish".
Result<void> check_open(const std::string& name, bool finished, bool broken,
                        std::string_view what) {
    if (broken) {
        return fail(Errc::io, "{}: an earlier write failed", name);
    }
    if (finished) {
        return fail(Errc::io, "{}: {} after the output was finished", name, what);
    }
    return {};
}

} // namespace

Result<void> FileSink::write(std::span<const std::byte> data) {
    OVFKIT_TRY(check_open(name(), m_finished, m_broken, "write"));
    if (auto r = m_file.pwrite(data, m_offset); !r) {
        m_broken = true;
        return fail(std::move(r).error());
    }
    m_offset += data.size();
    m_count += data.size();
    return {};
}

Result<void> FileSink::finish() {
    OVFKIT_TRY(check_open(name(), m_finished, m_broken, "finish"));
    m_finished = true;
    return {};
}

Result<void> FdSink::write(std::span<const std::byte> data) {
    OVFKIT_TRY(check_open(m_name, m_finished, m_broken, "write"));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            m_broken = true;
            return fail(Errc::io, "{}: write of {} bytes after {} bytes failed: {}", m_name,
                        data.size() - done, m_count + done, std::strerror(err));
        }
        done += static_cast<size_t>(n);
    }
    m_count += data.size();
    return {};
}

Result<void> FdSink::finish() {
    OVFKIT_TRY(check_open(m_name, m_finished, m_broken, "finish"));
    m_finished = true;
    return {};
}

namespace {

struct DigestInfo {
    DigestAlgorithm algorithm;
    std::string_view name;
    size_t hex;
    const EVP_MD* (*md)();
};

constexpr DigestInfo k_digests[] = {
    {DigestAlgorithm::sha1, "SHA1", 40, EVP_sha1},
    {DigestAlgorithm::sha256, "SHA256", 64, EVP_sha256},
    {DigestAlgorithm::sha512, "SHA512", 128, EVP_sha512},
};

const DigestInfo& info_of(DigestAlgorithm algorithm) {
    for (const auto& d : k_digests) {
        if (d.algorithm == algorithm) {
            return d;
        }
    }
    return k_digests[1];
}

} // namespace

std::string_view digest_name(DigestAlgorithm algorithm) {
    return info_of(algorithm).name;
}

std::optional<DigestAlgorithm> digest_from_name(std::string_view name) {
    for (const auto& d : k_digests) {
        if (iequals(d.name, name)) {
            return d.algorithm;
        }
    }
    return std::nullopt;
}

size_t digest_hex_length(DigestAlgorithm algorithm) {
    return info_of(algorithm).hex;
}

const evp_md_st* digest_md(DigestAlgorithm algorithm) {
    return info_of(algorithm).md();
}

Result<std::unique_ptr<DigestSink>> DigestSink::create(Sink& inner, DigestAlgorithm algorithm) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) {
        return fail(Errc::io, "{}: cannot allocate a {} context", inner.name(),
                    digest_name(algorithm));
    }
    if (EVP_DigestInit_ex(ctx, digest_md(algorithm), nullptr) != 1) {
        EVP_MD_CTX_free(ctx);
        return fail(Errc::io, "{}: OpenSSL cannot start a {} digest", inner.name(),
                    digest_name(algorithm));
    }
    return std::unique_ptr<DigestSink>(new DigestSink(inner, algorithm, ctx));
}

DigestSink::DigestSink(Sink& inner, DigestAlgorithm algorithm, evp_md_ctx_st* ctx)
    : m_inner(inner), m_algorithm(algorithm), m_ctx(ctx) {}

DigestSink::~DigestSink() {
    EVP_MD_CTX_free(m_ctx);
}

Result<void> DigestSink::write(std::span<const std::byte> data) {
    OVFKIT_TRY(check_open(name(), m_finished, m_broken, "write"));
    // Forward first: only bytes the inner sink accepted are hashed, so a
    // digest always describes what was written.
    if (auto r = m_inner.write(data); !r) {
        m_broken = true;
        return fail(std::move(r).error());
    }
    if (EVP_DigestUpdate(m_ctx, data.data(), data.size()) != 1) {
        m_broken = true;
        return fail(Errc::io, "{}: {} digest update failed", name(), digest_name(m_algorithm));
    }
    m_count += data.size();
    return {};
}

Result<void> DigestSink::finish() {
    OVFKIT_TRY(check_open(name(), m_finished, m_broken, "finish"));
    if (auto r = m_inner.finish(); !r) {
        m_broken = true;
        return fail(std::move(r).error());
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(m_ctx, md, &length) != 1) {
        m_broken = true;
        return fail(Errc::io, "{}: {} digest failed", name(), digest_name(m_algorithm));
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    m_hex.clear();
    m_hex.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        m_hex.push_back(k_hex[md[i] >> 4]);
        m_hex.push_back(k_hex[md[i] & 0xf]);
    }
    m_finished = true;
    return {};
}

Result<std::string> hex_digest(std::span<const std::byte> data, DigestAlgorithm algorithm) {
    NullSink nowhere("memory");
    OVFKIT_TRY_ASSIGN(auto sink, DigestSink::create(nowhere, algorithm));
    OVFKIT_TRY(sink->write(data));
    OVFKIT_TRY(sink->finish());
    return sink->hex_digest();
}

} // namespace ovfkit::io
