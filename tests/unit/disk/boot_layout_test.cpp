// Boot layout inspection (formats/clouds.md 5): partition tables written by
// sfdisk (an independent writer) read as the firmware that can start them;
// hand-made GPTs for 4 KiB sectors and hostile headers.
#include <array>
#include <cstring>

#include <gtest/gtest.h>
#include <zlib.h>

#include <ovfkit/base/endian.hpp>
#include <ovfkit/disk/boot_layout.hpp>
#include <ovfkit/disk/image.hpp>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::disk {
namespace {

using test::TempDir;

// A raw disk of `mib` MiB partitioned by sfdisk from `script`; with
// `boot_code`, bytes 0-439 of sector 0 hold a (fake) loader.
std::string partitioned(const TempDir& dir, const std::string& name, unsigned mib,
                        const std::string& script, bool boot_code) {
    std::string path = dir.file(name);
    EXPECT_EQ(test::run("truncate -s " + std::to_string(mib) + "M '" + path + "'"), 0);
    std::string out;
    EXPECT_EQ(test::run("printf '" + script + "' | sfdisk -q '" + path + "' 2>&1", &out), 0) << out;
    if (boot_code) {
        std::vector<std::byte> data = test::read_file(path);
        for (size_t i = 0; i < 440; ++i) {
            data[i] = std::byte{static_cast<uint8_t>(0x90 + i % 7)};
        }
        test::write_file(path, data);
    }
    return path;
}

BootLayout inspect(const std::string& path) {
    OpenImageOptions options;
    options.format = "raw";
    auto image = open_image(path, options);
    EXPECT_TRUE(image) << image.error().message;
    auto layout = inspect_boot_layout(*image->reader);
    EXPECT_TRUE(layout) << layout.error().message;
    return layout ? *layout : BootLayout{};
}

class BootLayoutTest : public testing::Test {
protected:
    void SetUp() override {
        if (!test::have_tool("sfdisk") || !test::have_tool("truncate")) {
            GTEST_SKIP() << "sfdisk is not installed (Debian: fdisk)";
        }
    }
    TempDir dir;
};

TEST_F(BootLayoutTest, AnMbrWithBootCodeBootsWithBios) {
    auto l = inspect(partitioned(dir, "mbr.raw", 8, "label: dos\\n,,83,*\\n", true));
    EXPECT_TRUE(l.mbr);
    EXPECT_FALSE(l.gpt);
    EXPECT_EQ(l.firmware, BootFirmware::bios);
    EXPECT_EQ(l.summary, "MBR with boot code in sector 0");
}

TEST_F(BootLayoutTest, AnMbrWithoutBootCodeBootsWithNothing) {
    auto l = inspect(partitioned(dir, "mbr.raw", 8, "label: dos\\n,,83,*\\n", false));
    EXPECT_TRUE(l.mbr);
    EXPECT_EQ(l.firmware, BootFirmware::none);
}

TEST_F(BootLayoutTest, AnMbrEfiPartitionBootsWithUefi) {
    auto l = inspect(partitioned(dir, "mbr-esp.raw", 8, "label: dos\\n,,ef\\n", false));
    EXPECT_TRUE(l.esp);
    EXPECT_EQ(l.firmware, BootFirmware::uefi);
}

TEST_F(BootLayoutTest, AGptWithAnEspBootsWithUefi) {
    auto l = inspect(partitioned(dir, "gpt.raw", 8, "label: gpt\\n,2M,U\\n,,L\\n", false));
    EXPECT_TRUE(l.gpt);
    EXPECT_TRUE(l.protective_mbr);
    EXPECT_FALSE(l.hybrid_mbr);
    EXPECT_TRUE(l.gpt_checksum_ok);
    EXPECT_EQ(l.sector_size, 512u);
    EXPECT_EQ(l.firmware, BootFirmware::uefi);
    EXPECT_EQ(l.summary, "GPT with an EFI system partition");
}

TEST_F(BootLayoutTest, AGptWithEspAndBiosBootPartitionBootsBothWays) {
    auto l = inspect(partitioned(
        dir, "both.raw", 8,
        "label: gpt\\n,1M,21686148-6449-6E6F-744E-656564454649\\n,2M,U\\n,,L\\n", true));
    EXPECT_TRUE(l.bios_boot_partition);
    EXPECT_TRUE(l.esp);
    EXPECT_EQ(l.firmware, BootFirmware::both);
    EXPECT_EQ(l.summary,
              "GPT with an EFI system partition, a BIOS boot partition and boot code in sector 0");
}

TEST_F(BootLayoutTest, ALegacyBiosBootableGptPartitionBootsWithBios) {
    auto l = inspect(partitioned(dir, "legacy.raw", 8,
                                 "label: gpt\\ntype=L, attrs=\"LegacyBIOSBootable\"\\n", true));
    EXPECT_EQ(l.firmware, BootFirmware::bios);
    // Without the attribute, boot code alone does not make a GPT disk BIOS-bootable.
    auto plain = inspect(partitioned(dir, "plain.raw", 8, "label: gpt\\n,,L\\n", true));
    EXPECT_EQ(plain.firmware, BootFirmware::none);
    EXPECT_TRUE(plain.mbr_boot_code);
}

TEST_F(BootLayoutTest, AnEmptyDiskHasNoTable) {
    std::string path = dir.file("empty.raw");
    ASSERT_EQ(test::run("truncate -s 1M '" + path + "'"), 0);
    auto l = inspect(path);
    EXPECT_FALSE(l.mbr);
    EXPECT_EQ(l.firmware, BootFirmware::none);
    EXPECT_EQ(l.summary, "no partition table");
}

// A GPT header at `sector` (512 or 4096) with `count` entries of 128 bytes
// at LBA 2, the first an ESP; checksums right.
std::vector<std::byte> hand_gpt(uint32_t sector, uint32_t count, size_t disk_bytes) {
    std::vector<std::byte> d(disk_bytes);
    d[510] = std::byte{0x55};
    d[511] = std::byte{0xAA};
    d[446 + 4] = std::byte{0xEE};
    std::byte* entries = d.data() + 2 * sector;
    const std::array<uint8_t, 16> esp{0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                      0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};
    size_t entry_bytes = std::min<size_t>(size_t{count} * 128, disk_bytes - 2 * sector);
    if (entry_bytes >= 128) {
        std::memcpy(entries, esp.data(), esp.size());
    }
    std::byte* h = d.data() + sector;
    std::memcpy(h, "EFI PART", 8);
    auto put32 = [&](size_t off, uint32_t v) {
        EndianInt<uint32_t, std::endian::little> x(v);
        std::memcpy(h + off, &x, 4);
    };
    auto put64 = [&](size_t off, uint64_t v) {
        EndianInt<uint64_t, std::endian::little> x(v);
        std::memcpy(h + off, &x, 8);
    };
    put32(8, 0x00010000);
    put32(12, 92);
    put64(24, 1);
    put64(72, 2);
    put32(80, count);
    put32(84, 128);
    put32(88, static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(entries),
                                            static_cast<uInt>(entry_bytes))));
    put32(16, static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(h), 92)));
    return d;
}

TEST(BootLayout, AGptFor4KiBSectorsIsFoundAtByte4096) {
    TempDir dir;
    std::string path = dir.file("4k.raw");
    test::write_file(path, hand_gpt(4096, 4, 1 << 20));
    auto l = inspect(path);
    EXPECT_TRUE(l.gpt);
    EXPECT_EQ(l.sector_size, 4096u);
    EXPECT_TRUE(l.gpt_checksum_ok);
    EXPECT_EQ(l.firmware, BootFirmware::uefi);
    EXPECT_EQ(l.summary, "GPT with an EFI system partition, for 4096-byte sectors");
}

TEST(BootLayout, HostileHeadersGiveNoneWithoutReadingPastTheDisk) {
    TempDir dir;
    // 4 billion entries: more than the 1 MiB read bound and the disk.
    std::string path = dir.file("huge.raw");
    test::write_file(path, hand_gpt(512, 0xFFFFFFFFu, 64 << 10));
    auto l = inspect(path);
    EXPECT_TRUE(l.gpt);
    EXPECT_EQ(l.firmware, BootFirmware::none);
    EXPECT_EQ(l.summary, "GPT whose partition entries lie outside the disk");
    // A header whose size field is past the sector.
    auto d = hand_gpt(512, 4, 64 << 10);
    d[512 + 12] = std::byte{0xFF};
    d[512 + 13] = std::byte{0xFF};
    test::write_file(path, d);
    EXPECT_EQ(inspect(path).summary, "GPT header with an impossible size");
    // A damaged checksum is reported, the entries still read.
    d = hand_gpt(512, 4, 64 << 10);
    d[512 + 16] ^= std::byte{1};
    test::write_file(path, d);
    auto damaged = inspect(path);
    EXPECT_FALSE(damaged.gpt_checksum_ok);
    EXPECT_EQ(damaged.firmware, BootFirmware::uefi);
    EXPECT_NE(damaged.summary.find("checksums do not match"), std::string::npos);
    // Smaller than two sectors.
    test::write_file(path, std::vector<std::byte>(700));
    EXPECT_EQ(inspect(path).summary, "a disk smaller than two sectors");
}

} // namespace
} // namespace ovfkit::disk
