// Writing a chunked file (ovf:chunkSize): the stored bytes cut into members
// of exactly `chunk_size` bytes (the last one 1..chunk_size; an empty file
// is one empty chunk), each opened when its first byte arrives and closed
// when full, so a file of unknown length (a disk converted on the way,
// gzip output) is split in one pass. Members are named by
// chunk_member_name() (references.hpp); the caller opens and closes them.
#pragma once

#include <functional>

#include <ovfkit/io/sink.hpp>

namespace ovfkit::package {

class ChunkSink final : public io::Sink {
public:
    // open(i): the file chunk i is written into, from offset 0.
    // close(i, size): chunk i is complete with `size` bytes.
    using Open = std::function<Result<io::File*>(uint64_t index)>;
    using Close = std::function<Result<void>(uint64_t index, uint64_t size)>;

    ChunkSink(std::string name, uint64_t chunk_size, Open open, Close close)
        : m_name(std::move(name)), m_chunk(chunk_size), m_open(std::move(open)),
          m_close(std::move(close)) {}

    const std::string& name() const override { return m_name; }
    Result<void> write(std::span<const std::byte> data) override;
    Result<void> finish() override;
    uint64_t bytes_written() const override { return m_count; }
    uint64_t chunks() const { return m_index; }

private:
    std::string m_name;
    uint64_t m_chunk;
    Open m_open;
    Close m_close;
    io::File* m_current = nullptr;
    uint64_t m_index = 0;   // chunks closed
    uint64_t m_in_part = 0; // bytes in the open chunk
    uint64_t m_count = 0;
    bool m_finished = false;
};

} // namespace ovfkit::package
