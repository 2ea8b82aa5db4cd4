#include <cstring>

#include <ovfkit/disk/convert.hpp>

#include <support/disk_images.hpp>

namespace ovfkit::test {

namespace {

// A guest disk held in memory, every byte stored as data: what the converter
// reads when a test writes `guest` through a driver.
class MemoryDisk final : public disk::DiskReader {
public:
    explicit MemoryDisk(const std::vector<std::byte>& guest) : m_guest(guest) {
        m_info.format = "memory";
        m_info.virtual_size = guest.size();
        m_info.allocated_size = guest.size();
        m_info.files.push_back("memory.img");
    }
    const disk::DiskInfo& info() const override { return m_info; }
    Result<std::vector<disk::Extent>> extents(uint64_t offset, uint64_t length) override {
        uint64_t end = std::min(m_guest.size(), offset + length);
        if (offset >= end) {
            return std::vector<disk::Extent>{};
        }
        return std::vector<disk::Extent>{{offset, end - offset, disk::ExtentKind::data}};
    }
    bool concurrent_reads() const override { return true; }

protected:
    Result<void> read_range(uint64_t offset, std::span<std::byte> out) override {
        std::memcpy(out.data(), m_guest.data() + offset, out.size());
        return {};
    }

private:
    const std::vector<std::byte>& m_guest;
    disk::DiskInfo m_info;
};

} // namespace

Result<void> write_image(const std::string& driver, io::File& file, const std::string& path,
                         const std::vector<std::byte>& guest, unsigned threads,
                         uint64_t cluster_size) {
    const disk::FormatDriver* d = disk::formats::find(driver);
    if (d == nullptr || d->create == nullptr) {
        return fail(Errc::usage, "no writable driver {}", driver);
    }
    disk::CreateContext ctx{&file, path, nullptr, {}};
    ctx.options.virtual_size = guest.size();
    ctx.options.cluster_size = cluster_size;
    OVFKIT_TRY_ASSIGN(auto writer, d->create(ctx));
    MemoryDisk in(guest);
    disk::ConvertOptions options;
    options.threads = threads;
    OVFKIT_TRY(disk::copy_disk(in, *writer, options));
    return {};
}

} // namespace ovfkit::test
