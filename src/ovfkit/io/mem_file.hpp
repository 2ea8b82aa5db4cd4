// A File held in memory, for tests and fuzzers.
#pragma once

#include <vector>

#include <ovfkit/io/file.hpp>

namespace ovfkit::io {

class MemFile final : public File {
public:
    explicit MemFile(std::string name = "mem", std::vector<std::byte> data = {})
        : m_name(std::move(name)), m_data(std::move(data)) {}

    const std::string& name() const override { return m_name; }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override;
    Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) override;
    Result<uint64_t> size() override { return m_data.size(); }
    Result<void> truncate(uint64_t size) override;
    Result<void> sync() override { return {}; }

    const std::vector<std::byte>& data() const { return m_data; }
    std::vector<std::byte>& data() { return m_data; }

    // Upper bound on the size, so a test or fuzzer driving a writer with
    // hostile parameters cannot exhaust memory.
    void set_limit(uint64_t limit) { m_limit = limit; }

private:
    std::string m_name;
    std::vector<std::byte> m_data;
    uint64_t m_limit = uint64_t{1} << 32;
};

} // namespace ovfkit::io
