// Conformance: what every registered driver must do, run once per driver
// from the registry, so a new format is covered by adding it there.
//
// For every driver that reads and writes: a synthetic guest written through
// the converter reads back byte for byte; reads outside the virtual size are
// refused by DiskReader::read_at with one message before the driver sees
// them; a file cut inside its header is refused when opened.
#include <filesystem>

#include "support/disk_images.hpp"

#include <ovfkit/disk/convert.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/atomic_output.hpp>

namespace ovfkit::disk {
namespace {

using namespace ovfkit::test;

std::vector<std::string> read_write_drivers() {
    std::vector<std::string> out;
    for (const FormatDriver* d : formats::all()) {
        if (d->open != nullptr && d->create != nullptr) {
            out.emplace_back(d->name);
        }
    }
    return out;
}

class Conformance : public ::testing::TestWithParam<std::string> {
protected:
    // Converts a raw guest into this format in `m_dir`; returns the path.
    std::string write(const std::vector<std::byte>& guest) {
        std::string src = m_dir.file("src.raw");
        write_file(src, guest);
        std::string out = m_dir.file("disk." + GetParam());
        ConvertRequest r;
        r.input = src;
        r.input_format = "raw";
        r.output = out;
        r.output_format = GetParam();
        r.force = true;
        r.pipeline.threads = 1;
        auto s = convert_image(r);
        EXPECT_TRUE(s) << (s ? "" : s.error().message);
        return out;
    }

    Result<Image> open(const std::string& path) {
        OpenImageOptions o;
        o.format = GetParam();
        return open_image(path, o);
    }

    TempDir m_dir;
};

TEST_P(Conformance, WrittenThroughTheConverterReadsBack) {
    auto guest = guest_pattern(6 * k_mib + 512);
    auto img = open(write(guest));
    ASSERT_TRUE(img) << img.error().message;
    DiskReader& r = *img->reader;
    ASSERT_GE(r.virtual_size(), guest.size());
    auto back = read_all(r);
    EXPECT_TRUE(back == padded(guest, back.size()));
    expect_map_consistent(r, back);
}

TEST_P(Conformance, ReadsOutsideTheVirtualSizeAreRefusedBeforeTheDriver) {
    auto img = open(write(guest_pattern(2 * k_mib)));
    ASSERT_TRUE(img) << img.error().message;
    DiskReader& r = *img->reader;
    const uint64_t size = r.virtual_size();
    const std::string name = r.info().files.front();
    EXPECT_EQ(name, m_dir.file("disk." + GetParam()));
    std::vector<std::byte> buf(512);

    auto past = r.read_at(size - 256, buf);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().code, Errc::usage);
    EXPECT_EQ(past.error().message, fmt::format("{}: read of 512 bytes at offset {} beyond the "
                                                "virtual size {}",
                                                name, size - 256, size));
    // offset + size wraps around: still refused, not read at a small offset.
    auto wraps = r.read_at(~uint64_t{0} - 100, buf);
    ASSERT_FALSE(wraps);
    EXPECT_EQ(wraps.error().code, Errc::usage);
    auto after = r.read_at(size + 1, std::span(buf).first(0));
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, Errc::usage);
    // The last byte and an empty read at the end are inside.
    EXPECT_TRUE(r.read_at(size - 1, std::span(buf).first(1)));
    EXPECT_TRUE(r.read_at(size, std::span(buf).first(0)));
}

TEST_P(Conformance, AFileCutInsideItsHeaderIsRefused) {
    if (GetParam() == "raw") {
        GTEST_SKIP() << "raw has no header";
    }
    std::string path = write(guest_pattern(2 * k_mib));
    auto bytes = read_file(path);
    ASSERT_GT(bytes.size(), 300u);
    // 300 bytes hold no format's whole header (VMDK descriptor files too
    // are longer than that).
    bytes.resize(300);
    std::filesystem::remove(path);
    write_file(path, bytes);
    auto img = open(path);
    ASSERT_FALSE(img);
    EXPECT_NE(img.error().code, Errc::ok);
    EXPECT_EQ(img.error().message.rfind(path, 0), 0u) << img.error().message;
}

TEST_P(Conformance, TheDeclaredDefaultClusterSizeIsWhatTheWriterUses) {
    const FormatDriver& d = *formats::find(GetParam());
    auto img = open(write(guest_pattern(2 * k_mib)));
    ASSERT_TRUE(img) << img.error().message;
    // Flat and fixed layouts report no cluster (0) or their own unit; the
    // others report the declared default.
    const uint64_t got = img->reader->info().cluster_size;
    if (got != 0 && d.cluster_sizes.default_size != 0 && GetParam() != "vmdk-flat") {
        EXPECT_EQ(got, d.cluster_sizes.default_size);
    }
}

TEST_P(Conformance, CreateOptionsAreCheckedAgainstTheDeclaration) {
    const FormatDriver& d = *formats::find(GetParam());
    const ClusterSizes& c = d.cluster_sizes;
    CreateOptions o;
    o.virtual_size = k_mib;
    o.cluster_size = 3000; // no format's cluster size
    auto odd = check_create_options(d, o, "x.img");
    if (c.max == 0 || c.power_of_two) {
        ASSERT_FALSE(odd);
        EXPECT_EQ(odd.error().code, Errc::usage);
        EXPECT_TRUE(odd.error().message.starts_with("x.img: " + GetParam() + " "))
            << odd.error().message;
    }
    if (c.default_size != 0) {
        o.cluster_size = c.default_size;
        EXPECT_TRUE(check_create_options(d, o, "x.img"));
    }
    o.cluster_size = 0;
    o.compress = true;
    EXPECT_EQ(static_cast<bool>(check_create_options(d, o, "x.img")), d.supports_compression);
    // create_image applies the same check before anything is created.
    io::OutputSet outputs(true, false);
    o.cluster_size = 3000;
    o.compress = false;
    auto w = create_image(outputs, m_dir.file("never.img"), d, o);
    EXPECT_EQ(static_cast<bool>(w), static_cast<bool>(check_create_options(d, o, "x.img")));
    EXPECT_FALSE(std::filesystem::exists(m_dir.file("never.img")));
}

INSTANTIATE_TEST_SUITE_P(Drivers, Conformance, ::testing::ValuesIn(read_write_drivers()),
                         [](const auto& p) {
                             std::string n = p.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

} // namespace
} // namespace ovfkit::disk
