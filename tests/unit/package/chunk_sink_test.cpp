// package::ChunkSink: bytes of unknown length cut into chunks of exactly the
// chunk size (the last one shorter), opened and closed in order; an empty
// file is one empty chunk.
#include <gtest/gtest.h>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/chunk_sink.hpp>

namespace ovfkit::package {
namespace {

struct Chunks {
    std::vector<std::unique_ptr<io::MemFile>> files;
    std::vector<std::pair<uint64_t, uint64_t>> closed; // index, size

    ChunkSink sink(uint64_t chunk) {
        return ChunkSink(
            "f", chunk,
            [this](uint64_t i) -> Result<io::File*> {
                EXPECT_EQ(i, files.size());
                files.push_back(std::make_unique<io::MemFile>());
                return files.back().get();
            },
            [this](uint64_t i, uint64_t size) -> Result<void> {
                closed.emplace_back(i, size);
                return {};
            });
    }
};

TEST(ChunkSink, CutsAtExactlyTheChunkSize) {
    Chunks c;
    auto sink = c.sink(10);
    std::vector<std::byte> data(25);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<std::byte>(i);
    }
    ASSERT_TRUE(sink.write(std::span(data).first(7)));
    ASSERT_TRUE(sink.write(std::span(data).subspan(7)));
    ASSERT_TRUE(sink.finish());
    ASSERT_EQ(c.files.size(), 3u);
    EXPECT_EQ((std::vector<std::pair<uint64_t, uint64_t>>{{0, 10}, {1, 10}, {2, 5}}), c.closed);
    std::vector<std::byte> joined;
    for (const auto& f : c.files) {
        joined.insert(joined.end(), f->data().begin(), f->data().end());
    }
    EXPECT_EQ(joined, data);
    EXPECT_EQ(sink.bytes_written(), 25u);
    EXPECT_FALSE(sink.write(std::span(data).first(1)));
}

TEST(ChunkSink, AnExactMultipleHasNoEmptyTail) {
    Chunks c;
    auto sink = c.sink(4);
    std::vector<std::byte> data(8);
    ASSERT_TRUE(sink.write(data));
    ASSERT_TRUE(sink.finish());
    EXPECT_EQ((std::vector<std::pair<uint64_t, uint64_t>>{{0, 4}, {1, 4}}), c.closed);
}

TEST(ChunkSink, AnEmptyFileIsOneEmptyChunk) {
    Chunks c;
    auto sink = c.sink(4);
    ASSERT_TRUE(sink.finish());
    EXPECT_EQ((std::vector<std::pair<uint64_t, uint64_t>>{{0, 0}}), c.closed);
}

} // namespace
} // namespace ovfkit::package
