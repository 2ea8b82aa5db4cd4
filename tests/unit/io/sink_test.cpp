#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::io {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// The digest of `sink` after writing `text` through it into a MemFile.
std::string digest_of(std::string_view text, DigestAlgorithm algorithm) {
    MemFile file("out");
    FileSink inner(file);
    auto sink = DigestSink::create(inner, algorithm);
    EXPECT_TRUE(sink);
    EXPECT_TRUE((*sink)->write(bytes_of(text)));
    EXPECT_TRUE((*sink)->finish());
    return (*sink)->hex_digest();
}

// FIPS 180-2 appendix examples and the digests of the empty string.
TEST(DigestSink, KnownVectors) {
    EXPECT_EQ(digest_of("abc", DigestAlgorithm::sha1), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(digest_of("abc", DigestAlgorithm::sha256),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(digest_of("abc", DigestAlgorithm::sha512),
              "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    EXPECT_EQ(digest_of("", DigestAlgorithm::sha1), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(digest_of("", DigestAlgorithm::sha256),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(digest_of("", DigestAlgorithm::sha512),
              "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
              "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    EXPECT_EQ(digest_name(DigestAlgorithm::sha1), "SHA1");
    EXPECT_EQ(digest_name(DigestAlgorithm::sha256), "SHA256");
    EXPECT_EQ(digest_name(DigestAlgorithm::sha512), "SHA512");
}

TEST(DigestSink, IsEmptyUntilFinished) {
    MemFile file("out");
    FileSink inner(file);
    auto sink = DigestSink::create(inner, DigestAlgorithm::sha256);
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->write(bytes_of("abc")));
    EXPECT_EQ((*sink)->hex_digest(), "");
    EXPECT_EQ((*sink)->algorithm(), DigestAlgorithm::sha256);
}

// A 1 MiB pattern written in odd-sized pieces hashes as the one-shot digest
// of the whole, and every byte reaches the inner sink in order.
TEST(DigestSink, PiecesHashAsTheWhole) {
    std::vector<std::byte> data(1 << 20);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<std::byte>((i * 7 + i / 251) & 0xff);
    }
    const struct {
        DigestAlgorithm algorithm;
        const EVP_MD* md;
    } cases[] = {{DigestAlgorithm::sha1, EVP_sha1()},
                 {DigestAlgorithm::sha256, EVP_sha256()},
                 {DigestAlgorithm::sha512, EVP_sha512()}};
    for (const auto& c : cases) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        ASSERT_EQ(EVP_Digest(data.data(), data.size(), md, &length, c.md, nullptr), 1);
        std::string want;
        for (unsigned int i = 0; i < length; ++i) {
            char hex[3];
            std::snprintf(hex, sizeof hex, "%02x", md[i]);
            want += hex;
        }

        MemFile file("out");
        FileSink inner(file, 10);
        auto sink = DigestSink::create(inner, c.algorithm);
        ASSERT_TRUE(sink);
        size_t done = 0;
        const size_t pieces[] = {1, 0, 3, 4093, 65537, 7, 100003};
        for (size_t i = 0; done < data.size(); ++i) {
            size_t n = std::min(pieces[i % std::size(pieces)], data.size() - done);
            ASSERT_TRUE((*sink)->write(std::span(data).subspan(done, n)));
            done += n;
        }
        ASSERT_TRUE((*sink)->finish());
        EXPECT_EQ((*sink)->hex_digest(), want) << digest_name(c.algorithm);
        EXPECT_EQ((*sink)->bytes_written(), data.size());
        EXPECT_EQ(inner.bytes_written(), data.size());
        // The file sink started at offset 10 and wrote sequentially from there.
        ASSERT_EQ(file.data().size(), data.size() + 10);
        EXPECT_TRUE(std::equal(data.begin(), data.end(), file.data().begin() + 10));
    }
}

// A sink that accepts `budget` writes, then fails with a recognisable error.
class FailingSink final : public Sink {
public:
    explicit FailingSink(int budget, bool fail_finish = false)
        : m_budget(budget), m_fail_finish(fail_finish) {}
    const std::string& name() const override { return m_name; }
    Result<void> write(std::span<const std::byte> data) override {
        if (m_budget-- <= 0) {
            return fail(Errc::io, "inner: disk full after {} bytes", m_count);
        }
        m_count += data.size();
        return {};
    }
    Result<void> finish() override {
        if (m_fail_finish) {
            return fail(Errc::refused, "inner: cannot finish");
        }
        return {};
    }
    uint64_t bytes_written() const override { return m_count; }

private:
    std::string m_name = "inner";
    int m_budget;
    bool m_fail_finish;
    uint64_t m_count = 0;
};

TEST(DigestSink, InnerWriteErrorsPropagateAndBreakTheSink) {
    FailingSink inner(2);
    auto sink = DigestSink::create(inner, DigestAlgorithm::sha1);
    ASSERT_TRUE(sink);
    EXPECT_EQ((*sink)->name(), "inner");
    ASSERT_TRUE((*sink)->write(bytes_of("ab")));
    ASSERT_TRUE((*sink)->write(bytes_of("cde")));
    auto r = (*sink)->write(bytes_of("fgh"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_EQ(r.error().message, "inner: disk full after 5 bytes");
    EXPECT_EQ((*sink)->bytes_written(), 5u);
    auto again = (*sink)->write(bytes_of("x"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, "inner: an earlier write failed");
    EXPECT_FALSE((*sink)->finish());
    EXPECT_EQ((*sink)->hex_digest(), "");
}

TEST(DigestSink, InnerFinishErrorsPropagate) {
    FailingSink inner(10, true);
    auto sink = DigestSink::create(inner, DigestAlgorithm::sha512);
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->write(bytes_of("abc")));
    auto r = (*sink)->finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_EQ(r.error().message, "inner: cannot finish");
    EXPECT_EQ((*sink)->hex_digest(), "");
}

TEST(FileSink, RefusesWritesAfterFinish) {
    MemFile file("member.vmdk");
    FileSink sink(file);
    ASSERT_TRUE(sink.write(bytes_of("data")));
    ASSERT_TRUE(sink.finish());
    auto r = sink.write(bytes_of("more"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "member.vmdk: write after the output was finished");
    auto again = sink.finish();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, "member.vmdk: finish after the output was finished");
    EXPECT_EQ(sink.bytes_written(), 4u);
    EXPECT_EQ(file.data().size(), 4u);
}

TEST(FdSink, WritesThroughAPipe) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    FdSink sink(fds[1], "pipe");
    ASSERT_TRUE(sink.write(bytes_of("hello, ")));
    ASSERT_TRUE(sink.write(bytes_of("pipe")));
    ASSERT_TRUE(sink.finish());
    EXPECT_EQ(sink.bytes_written(), 11u);
    ::close(fds[1]);
    char buf[32] = {};
    EXPECT_EQ(::read(fds[0], buf, sizeof buf), 11);
    EXPECT_STREQ(buf, "hello, pipe");
    ::close(fds[0]);
}

TEST(FdSink, AClosedReaderIsAnError) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    // Without a reader, write(2) raises SIGPIPE, which ends the process
    // unless it is ignored; ignored, the write fails with EPIPE.
    auto* previous = std::signal(SIGPIPE, SIG_IGN);
    FdSink sink(fds[1], "stdout");
    auto r = sink.write(bytes_of("lost"));
    std::signal(SIGPIPE, previous);
    ::close(fds[1]);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_EQ(r.error().message, std::string("stdout: write of 4 bytes after 0 bytes failed: ") +
                                     std::strerror(EPIPE));
    EXPECT_FALSE(sink.write(bytes_of("x")));
}

TEST(HexDigest, KnownVectors) {
    std::string abc = "abc";
    auto bytes = std::as_bytes(std::span(abc.data(), abc.size()));
    EXPECT_EQ(hex_digest(bytes, DigestAlgorithm::sha1).value(),
              "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(hex_digest(bytes, DigestAlgorithm::sha256).value(),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex_digest({}, DigestAlgorithm::sha256).value(),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

} // namespace
} // namespace ovfkit::io
