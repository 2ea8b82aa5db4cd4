// A File that can only be written front to back, over a Sink (a pipe,
// stdout): for writers that append, such as the OVA writer streaming a
// package to a pipe. A write past the current end first sends the zeros of
// the gap (a hole skipped by the copy), a write behind it fails (a pipe
// cannot seek), and reading fails.
#pragma once

#include <ovfkit/io/sink.hpp>

namespace ovfkit::io {

class SinkFile final : public File {
public:
    explicit SinkFile(Sink& sink) : m_sink(sink) {}

    const std::string& name() const override { return m_sink.name(); }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override;
    Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) override;
    Result<uint64_t> size() override { return m_end; }
    Result<void> truncate(uint64_t size) override;
    Result<void> sync() override { return {}; }
    Result<void> write_zeroes(uint64_t offset, uint64_t length) override;

private:
    Result<void> zeros_to(uint64_t offset);

    Sink& m_sink;
    uint64_t m_end = 0;
};

} // namespace ovfkit::io
