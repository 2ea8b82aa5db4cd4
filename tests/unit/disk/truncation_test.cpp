// Truncated images, every format: a generator writes a valid image with the
// real writer, records every byte range the reader reads from it (headers,
// tables, blocks, grains, footers: its structures), and cuts the image at
// each structure's start and end +-1 and at evenly spaced offsets. Every cut
// must be refused when opening or reading; the whole image must read back.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/mem_file.hpp>

#include <support/disk_images.hpp>

namespace ovfkit::disk {
namespace {

using test::k_mib;

// A MemFile that records the byte ranges read from it.
class RecordingFile final : public io::File {
public:
    explicit RecordingFile(std::vector<std::byte> data) : m_file("disk.img", std::move(data)) {}
    const std::string& name() const override { return m_file.name(); }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override {
        reads.emplace_back(offset, offset + out.size());
        return m_file.pread(out, offset);
    }
    Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) override {
        return m_file.pwrite(data, offset);
    }
    Result<uint64_t> size() override { return m_file.size(); }
    Result<void> truncate(uint64_t size) override { return m_file.truncate(size); }
    Result<void> sync() override { return {}; }
    std::vector<std::pair<uint64_t, uint64_t>> reads;

private:
    io::MemFile m_file;
};

// Data in the first block, one sector in the middle, data across a block
// boundary and the last sector, so a cut can fall into tables, data blocks
// and the last block.
std::vector<std::byte> guest(uint64_t size) {
    std::vector<std::byte> d(size);
    auto fill = [&](uint64_t from, uint64_t len, uint32_t seed) {
        for (uint64_t i = from; i < std::min(size, from + len); ++i) {
            d[i] = static_cast<std::byte>(((i * 2654435761u + seed) >> 13) | 1);
        }
    };
    fill(0, 70000, 1);
    fill(3 * k_mib / 2, 512, 2);
    fill(3 * k_mib - 700, 2000, 3);
    fill(size - 512, 512, 4);
    return d;
}

struct Outcome {
    bool opened = false;
    bool read = false;
    Errc code = Errc::ok;
    std::string message;
    std::vector<std::byte> bytes;
    std::vector<MissingRange> missing;
};

// Opens `image` with `driver` and reads every data extent.
Outcome open_and_read(const FormatDriver& driver, std::vector<std::byte> image,
                      OpenPolicy policy = {}) {
    Outcome out;
    auto file = std::make_unique<RecordingFile>(std::move(image));
    OpenContext ctx{std::move(file), nullptr, policy, 0};
    auto reader = driver.open(ctx);
    if (!reader) {
        out.code = reader.error().code;
        out.message = reader.error().message;
        return out;
    }
    out.opened = true;
    DiskReader& r = **reader;
    out.bytes.assign(r.virtual_size(), std::byte{0});
    auto map = r.extents(0, r.virtual_size());
    if (!map) {
        out.message = map.error().message;
        return out;
    }
    for (const Extent& e : *map) {
        if (e.kind != ExtentKind::data) {
            continue;
        }
        auto ok = r.read_at(e.offset, std::span(out.bytes).subspan(e.offset, e.length));
        if (!ok) {
            out.code = ok.error().code;
            out.message = ok.error().message;
            return out;
        }
    }
    out.read = true;
    out.missing = r.missing();
    return out;
}

// Formats whose readers can salvage a truncated image (OpenPolicy::salvage).
bool salvages(std::string_view format) {
    return format == "qcow2" || format == "vhd" || format.starts_with("vhdx") || format == "vdi" ||
           format == "vmdk" || format == "vmdk-stream";
}

class Truncation : public testing::TestWithParam<const char*> {};

TEST_P(Truncation, EveryCutIsRefused) {
    const FormatDriver* d = formats::find(GetParam());
    ASSERT_NE(d, nullptr);
    const uint64_t vsize = 4 * k_mib;
    auto g = guest(vsize);
    uint64_t cluster = 0;
    if (d->cluster_sizes.min != 0 && d->cluster_sizes.max != UINT64_MAX) {
        cluster = std::max<uint64_t>(d->cluster_sizes.min, 65536);
        cluster = std::min(cluster, d->cluster_sizes.max);
    }
    auto image = test::write_image_mem(GetParam(), g, cluster);
    ASSERT_FALSE(image.empty());

    // The whole image reads back; its reads are its structures.
    std::vector<std::pair<uint64_t, uint64_t>> reads;
    {
        auto file = std::make_unique<RecordingFile>(image);
        RecordingFile* rec = file.get();
        OpenContext ctx{std::move(file), nullptr, {}, 0};
        auto reader = d->open(ctx);
        ASSERT_TRUE(reader) << reader.error().message;
        auto bytes = test::read_all(**reader);
        bytes.resize(vsize);
        EXPECT_EQ(bytes, g);
        // check() reads what reading the disk need not (refcount blocks).
        Diagnostics diag;
        ASSERT_TRUE((*reader)->check(diag));
        EXPECT_EQ(diag.count(Severity::error), 0u);
        reads = rec->reads;
    }
    std::set<uint64_t> cuts;
    for (auto [from, to] : reads) {
        for (uint64_t b : {from, to}) {
            for (int64_t delta : {-1, 0, 1}) {
                uint64_t c = b + delta;
                if (c < image.size() && (b > 0 || delta >= 0)) {
                    cuts.insert(c);
                }
            }
        }
    }
    for (uint64_t i = 0; i < 64; ++i) {
        cuts.insert(image.size() * i / 64);
    }
    cuts.insert(image.size() - 1);
    cuts.erase(cuts.lower_bound(image.size()), cuts.end());
    size_t accepted = 0;
    size_t salvaged = 0;
    OpenPolicy salvage;
    salvage.salvage = true;
    for (uint64_t cut : cuts) {
        std::vector<std::byte> cut_image(image.begin(), image.begin() + static_cast<long>(cut));
        Outcome o = open_and_read(*d, cut_image);
        if (o.read) {
            ++accepted;
            ADD_FAILURE() << GetParam() << ": cut at " << cut << " of " << image.size()
                          << " accepted";
        } else {
            // Damaged input: exit 1, never an I/O error or a refusal.
            EXPECT_EQ(o.code, Errc::invalid) << "cut at " << cut << ": " << o.message;
        }
        if (accepted > 5) {
            break;
        }
        // Salvaged: whatever opens reads the bytes that are there, zeros
        // exactly where it says data is missing, and says something is.
        Outcome s = open_and_read(*d, std::move(cut_image), salvage);
        if (!s.read) {
            EXPECT_EQ(s.code, Errc::invalid) << "salvage, cut at " << cut << ": " << s.message;
            continue;
        }
        ++salvaged;
        EXPECT_FALSE(s.missing.empty()) << "salvage, cut at " << cut << ": nothing listed";
        std::vector<bool> lost(vsize, false);
        for (const auto& m : s.missing) {
            ASSERT_LE(m.offset + m.length, s.bytes.size());
            std::fill(lost.begin() + static_cast<long>(m.offset),
                      lost.begin() + static_cast<long>(m.offset + m.length), true);
        }
        for (uint64_t i = 0; i < vsize; ++i) {
            std::byte want = lost[i] ? std::byte{0} : g[i];
            if (s.bytes[i] != want) {
                ADD_FAILURE() << GetParam() << ": salvage, cut at " << cut << ": guest byte " << i
                              << (lost[i] ? " (listed missing)" : "") << " reads wrong";
                break;
            }
        }
    }
    if (salvages(GetParam())) {
        EXPECT_GT(salvaged, cuts.size() / 4) << "few cuts were salvaged";
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, Truncation,
                         testing::Values("qcow2", "vhd", "vhd-fixed", "vhdx", "vhdx-fixed", "vdi",
                                         "vdi-fixed", "vmdk", "vmdk-stream"),
                         [](const auto& param_info) {
                             std::string n = param_info.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

} // namespace
} // namespace ovfkit::disk
