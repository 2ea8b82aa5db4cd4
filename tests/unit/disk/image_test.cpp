// Opening images by path: strict content detection (one confident probe or a
// refusal), raw never guessed, detected images never follow references, and
// stated formats never reinterpreted.
#include <cstring>

#include "support/disk_images.hpp"

#include <ovfkit/base/endian.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/atomic_output.hpp>

namespace ovfkit::disk {
namespace {

using namespace ovfkit::test;

// Fake drivers whose probes give fixed scores.
int probe_100(const ProbeInput&) {
    return 100;
}
int probe_60(const ProbeInput&) {
    return 60;
}
int probe_30(const ProbeInput&) {
    return 30;
}
int probe_0(const ProbeInput&) {
    return 0;
}
int probe_silly(const ProbeInput&) {
    return 1000; // out of range: clamped
}

FormatDriver fake(std::string_view name, int (*probe)(const ProbeInput&)) {
    return FormatDriver{name, "fake", name, probe, nullptr, nullptr, 0, false};
}

ProbeInput empty_input() {
    return ProbeInput{{}, {}, 0};
}

TEST(Detect, OneConfidentMatchWins) {
    FormatDriver a = fake("a", probe_0);
    FormatDriver b = fake("b", probe_60);
    FormatDriver c = fake("c", probe_30);
    FormatDriver raw = fake("raw", nullptr);
    const FormatDriver* list[] = {&raw, &a, &b, &c};
    auto d = detect_format(empty_input(), list, "x.img");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ((*d)->name, "b");
}

TEST(Detect, TwoConfidentMatchesAreRefusedEvenWithDifferentScores) {
    FormatDriver a = fake("alpha", probe_100);
    FormatDriver b = fake("beta", probe_60);
    const FormatDriver* list[] = {&a, &b};
    auto d = detect_format(empty_input(), list, "poly.img");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::refused);
    EXPECT_EQ(d.error().message,
              "poly.img: ambiguous disk format: the content matches alpha (100), beta (60) (a "
              "file that carries several formats' headers is refused); name the format with -f "
              "(raw is never guessed)");
}

TEST(Detect, ATieIsRefused) {
    FormatDriver a = fake("alpha", probe_100);
    FormatDriver b = fake("beta", probe_silly);
    const FormatDriver* list[] = {&a, &b};
    auto d = detect_format(empty_input(), list, "tie.img");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::refused);
    EXPECT_NE(d.error().message.find("alpha (100), beta (100)"), std::string::npos)
        << d.error().message;
}

TEST(Detect, NoConfidentMatchAsksForTheFormat) {
    FormatDriver a = fake("alpha", probe_30);
    FormatDriver b = fake("beta", probe_0);
    FormatDriver raw = fake("raw", nullptr);
    const FormatDriver* weak[] = {&raw, &a, &b};
    auto d = detect_format(empty_input(), weak, "w.img");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::invalid);
    EXPECT_EQ(d.error().message,
              "w.img: unknown disk format: no format recognises the content (closest: alpha, "
              "score 30 of 100); name the format with -f (raw is never guessed)");

    const FormatDriver* only_raw[] = {&raw};
    d = detect_format(empty_input(), only_raw, "r.img");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message, "r.img: unknown disk format: no format recognises the content; "
                                 "name the format with -f (raw is never guessed)");
}

TEST(Detect, InjectedDriversAreUsedByOpenImage) {
    TempDir dir;
    write_file(dir.file("disk.img"), std::vector<std::byte>(4096));
    FormatDriver a = fake("alpha", probe_100);
    FormatDriver b = fake("beta", probe_100);
    const FormatDriver* list[] = {&a, &b};
    OpenImageOptions o;
    o.drivers = list;
    auto img = open_image(dir.file("disk.img"), o);
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_TRUE(img.error().message.starts_with(dir.file("disk.img") + ": ambiguous disk format"))
        << img.error().message;
}

TEST(DriverByName, UnknownNamesListTheKnownOnes) {
    auto d = driver_by_name("qcow3");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::usage);
    EXPECT_EQ(d.error().message,
              "unknown disk format 'qcow3' (known: raw, qcow2, vhd, vhd-fixed, vhdx, vhdx-fixed, "
              "vdi, vdi-fixed, vmdk, vmdk-stream, vmdk-flat)");
    ASSERT_TRUE(driver_by_name("vmdk-stream"));
}

// Every writable format, written by ovfkit, is detected as the driver that
// reports it (vhdx-fixed is detected through its family driver "vhdx") and
// reads back the same guest bytes.
TEST(OpenImage, DetectsEveryWrittenFormat) {
    TempDir dir;
    auto guest = guest_pattern(6 * k_mib);
    for (const FormatDriver* d : formats::all()) {
        if (d->create == nullptr || d->probe == nullptr) {
            continue;
        }
        std::string path = dir.file(std::string("disk-") + std::string(d->name) + ".img");
        {
            io::OutputSet outputs;
            CreateOptions co;
            co.virtual_size = guest.size();
            auto w = create_image(outputs, path, *d, co);
            ASSERT_TRUE(w) << d->name << ": " << w.error().message;
            // Feed the writer directly: one chunk per granularity-aligned MiB.
            uint64_t g = (*w)->capabilities().granularity;
            uint64_t step = std::max(g, k_mib / g * g);
            for (uint64_t off = 0; off < guest.size(); off += step) {
                Chunk c;
                c.offset = off;
                c.data = std::span(guest).subspan(off, std::min(step, guest.size() - off));
                ASSERT_TRUE((*w)->encode(c));
                ASSERT_TRUE((*w)->write(c)) << d->name;
            }
            ASSERT_TRUE((*w)->finish()) << d->name;
            ASSERT_TRUE(outputs.commit());
        }
        auto img = open_image(path, {});
        ASSERT_TRUE(img) << d->name << ": " << img.error().message;
        EXPECT_TRUE(img->detected);
        std::string want = d->name == "vhdx-fixed" ? "vhdx" : std::string(d->name);
        EXPECT_EQ(img->driver->name, want);
        EXPECT_EQ(img->reader->info().format, d->name);
        EXPECT_TRUE(padded(read_all(*img->reader), guest.size()) ==
                    padded(guest, img->reader->virtual_size()))
            << d->name;
        EXPECT_TRUE(img->findings.empty());
    }
}

// The guest of a raw disk writes a qcow2 header into its first sector, naming
// a host file as the backing file.
std::vector<std::byte> raw_disk_with_qcow2_header(const std::string& backing) {
    auto q = write_image_mem("qcow2", guest_pattern(2 * k_mib));
    be64 off(0x200);
    std::memcpy(q.data() + 8, &off, 8);
    be32 len(static_cast<uint32_t>(backing.size()));
    std::memcpy(q.data() + 16, &len, 4);
    std::memcpy(q.data() + 0x200, backing.data(), backing.size());
    std::vector<std::byte> disk(8 * k_mib);
    std::memcpy(disk.data(), q.data(), std::min(q.size(), disk.size()));
    return disk;
}

TEST(OpenImage, GuestWrittenQcow2HeaderIsDetectedAndItsBackingFileRefused) {
    TempDir dir;
    auto disk = raw_disk_with_qcow2_header("/etc/passwd");
    write_file(dir.file("guest.img"), disk);

    auto probe = io::open_read(dir.file("guest.img"));
    ASSERT_TRUE(probe);
    auto buffers = read_probe_buffers(**probe);
    ASSERT_TRUE(buffers);
    auto d = detect_format(buffers->input(), formats::all(), "guest.img");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ((*d)->name, "qcow2");

    // Detected: parents are off even when the policy allows them.
    for (bool allow : {false, true}) {
        OpenImageOptions o;
        o.policy.allow_parent = allow;
        auto img = open_image(dir.file("guest.img"), o);
        ASSERT_FALSE(img);
        EXPECT_EQ(img.error().code, Errc::refused);
        EXPECT_EQ(img.error().message,
                  dir.file("guest.img") +
                      ": backing file '/etc/passwd' (named at offset 0x200): not opened: parent "
                      "and backing chains are refused unless parents are allowed (--allow-parent) "
                      "(the format qcow2 was detected from the content, so files it names are not "
                      "followed; name the format with -f)");
    }

    // Stated qcow2 with parents allowed: the name itself is refused.
    OpenImageOptions q;
    q.format = "qcow2";
    q.policy.allow_parent = true;
    auto img = open_image(dir.file("guest.img"), q);
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message, dir.file("guest.img") +
                                       ": backing file '/etc/passwd' (named at offset 0x200): not "
                                       "a plain file name beside the image: file name "
                                       "'/etc/passwd' has a path separator (only names inside the "
                                       "package are allowed)");

    // Stated raw: read as raw, byte for byte, with a warning.
    OpenImageOptions r;
    r.format = "raw";
    auto raw = open_image(dir.file("guest.img"), r);
    ASSERT_TRUE(raw) << raw.error().message;
    EXPECT_FALSE(raw->detected);
    EXPECT_EQ(raw->reader->info().format, "raw");
    EXPECT_TRUE(read_all(*raw->reader) == disk);
    ASSERT_EQ(raw->findings.size(), 1u);
    EXPECT_EQ(raw->findings[0].severity, Severity::warning);
    EXPECT_EQ(raw->findings[0].code, "DISK-RAW-LOOKS-LIKE");
    EXPECT_EQ(raw->findings[0].file, dir.file("guest.img"));
    EXPECT_EQ(raw->findings[0].message, dir.file("guest.img") +
                                            ": opened as raw as requested, but its content looks "
                                            "like qcow2; it is not read as qcow2");
}

TEST(OpenImage, PolyglotOfQcow2AndFixedVhdIsRefused) {
    TempDir dir;
    // A fixed VHD (footer at the end) whose first sector the guest made a
    // qcow2 header.
    auto vhd = write_image_mem("vhd-fixed", guest_pattern(2 * k_mib));
    auto q = write_image_mem("qcow2", guest_pattern(2 * k_mib));
    std::memcpy(vhd.data(), q.data(), 512);
    write_file(dir.file("poly.vhd"), vhd);
    auto img = open_image(dir.file("poly.vhd"), {});
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::refused);
    EXPECT_EQ(img.error().message,
              dir.file("poly.vhd") +
                  ": ambiguous disk format: the content matches qcow2 (100), vhd-fixed (100) (a "
                  "file that carries several formats' headers is refused); name the format with "
                  "-f (raw is never guessed)");
    // Named, each reads as what it was named.
    OpenImageOptions o;
    o.format = "vhd-fixed";
    auto fixed = open_image(dir.file("poly.vhd"), o);
    ASSERT_TRUE(fixed) << fixed.error().message;
    EXPECT_EQ(fixed->reader->info().format, "vhd-fixed");
}

TEST(OpenImage, ErrorsSayWhatAndWhere) {
    TempDir dir;
    OpenImageOptions o;
    auto missing = open_image(dir.file("none.img"), o);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::io);
    EXPECT_EQ(missing.error().message,
              dir.file("none.img") + ": cannot open: No such file or directory");

    o.format = "qcow3";
    auto unknown = open_image(dir.file("none.img"), o);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Errc::usage);

    // A directory is not an image.
    o.format = "raw";
    auto d = open_image(dir.path(), o);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::refused);
}

TEST(OpenImage, FlatVmdkOpensItsExtentBesideTheDescriptor) {
    TempDir dir;
    auto guest = guest_pattern(3 * k_mib);
    {
        io::OutputSet outputs;
        CreateOptions co;
        co.virtual_size = guest.size();
        auto w = create_image(outputs, dir.file("d.vmdk"), *formats::find("vmdk-flat"), co);
        ASSERT_TRUE(w) << w.error().message;
        Chunk c{0, guest, {}, nullptr};
        ASSERT_TRUE((*w)->write(c));
        ASSERT_TRUE((*w)->finish());
        ASSERT_TRUE(outputs.commit());
    }
    auto img = open_image(dir.file("d.vmdk"), {});
    ASSERT_TRUE(img) << img.error().message;
    // The image (and its directory) can move; the reader keeps working.
    Image moved = std::move(*img);
    EXPECT_EQ(moved.reader->info().format, "vmdk-flat");
    EXPECT_EQ(moved.reader->info().files.size(), 2u);
    EXPECT_TRUE(read_all(*moved.reader) == guest);
}

} // namespace
} // namespace ovfkit::disk
