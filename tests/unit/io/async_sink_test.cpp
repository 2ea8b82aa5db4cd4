// io::AsyncSink: what reaches the inner sink is what was written, in order,
// whatever the write sizes; an inner failure comes back to the writer; a sink
// dropped unfinished does not hang.
#include <random>

#include <gtest/gtest.h>

#include <ovfkit/io/async_sink.hpp>

namespace ovfkit::io {
namespace {

// Keeps every byte; fails from the `fail_at`-th write on.
class Collect final : public Sink {
public:
    explicit Collect(size_t fail_at = SIZE_MAX) : m_fail_at(fail_at) {}
    const std::string& name() const override { return m_name; }
    Result<void> write(std::span<const std::byte> data) override {
        if (++m_writes >= m_fail_at) {
            return fail(Errc::io, "collect: disk full");
        }
        bytes.insert(bytes.end(), data.begin(), data.end());
        return {};
    }
    Result<void> finish() override {
        finished = true;
        return {};
    }
    uint64_t bytes_written() const override { return bytes.size(); }

    std::vector<std::byte> bytes;
    bool finished = false;

private:
    std::string m_name = "collect";
    size_t m_fail_at;
    size_t m_writes = 0;
};

TEST(AsyncSink, PassesEveryByteInOrder) {
    std::mt19937 rng(7);
    std::vector<std::byte> data(3'000'000);
    for (auto& b : data) {
        b = static_cast<std::byte>(rng());
    }
    Collect inner;
    {
        AsyncSink async(inner, 3, 4096);
        for (size_t pos = 0; pos < data.size();) {
            size_t n = std::min<size_t>(rng() % 20000, data.size() - pos);
            ASSERT_TRUE(async.write(std::span(data).subspan(pos, n)));
            pos += n;
        }
        ASSERT_TRUE(async.finish());
        EXPECT_EQ(async.bytes_written(), data.size());
        EXPECT_FALSE(async.write(std::span(data).first(1))); // after finish
    }
    EXPECT_TRUE(inner.finished);
    EXPECT_EQ(inner.bytes, data);
}

TEST(AsyncSink, AnInnerFailureReachesTheWriter) {
    Collect inner(3);
    AsyncSink async(inner, 2, 1024);
    std::vector<std::byte> piece(1024);
    bool failed = false;
    for (int i = 0; i < 100 && !failed; ++i) {
        failed = !async.write(piece);
    }
    if (!failed) {
        auto r = async.finish();
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find("disk full"), std::string::npos);
    }
    EXPECT_FALSE(inner.finished);
}

TEST(AsyncSink, DroppedUnfinishedDoesNotHang) {
    Collect inner;
    {
        AsyncSink async(inner, 2, 16);
        std::vector<std::byte> piece(100);
        ASSERT_TRUE(async.write(piece));
    }
    EXPECT_FALSE(inner.finished);
}

} // namespace
} // namespace ovfkit::io
