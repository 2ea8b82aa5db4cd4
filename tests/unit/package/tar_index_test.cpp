#include "tar_builder.hpp"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/tar_index.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::package {
namespace {

using test::TarBuilder;
using test::TarEntry;

Result<TarIndex> index_of(TarBuilder& tar, Diagnostics* notes = nullptr,
                          const TarLimits& limits = {}) {
    io::MemFile f("x.ova", tar.bytes());
    return TarIndex::build(f, limits, notes);
}

// An archive that is damaged or ends early: Errc::invalid (exit 1).
std::string damage(TarBuilder& tar) {
    auto r = index_of(tar);
    if (r) {
        return "(accepted)";
    }
    EXPECT_EQ(r.error().code, Errc::invalid) << r.error().message;
    return r.error().message;
}

std::string refusal(TarBuilder& tar, const TarLimits& limits = {}) {
    auto r = index_of(tar, nullptr, limits);
    if (r) {
        return "(accepted)";
    }
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    return r.error().message;
}

TEST(TarIndex, IndexesRegularMembersWithTheirOffsets) {
    TarBuilder tar;
    tar.file("vm.ovf", "<Envelope/>").file("./disk.vmdk", std::string(1000, 'd')).end();
    Diagnostics notes;
    auto idx = index_of(tar, &notes);
    ASSERT_TRUE(idx) << idx.error().message;
    ASSERT_EQ(idx->members().size(), 2u);
    EXPECT_EQ(idx->members()[0].name, "vm.ovf");
    EXPECT_EQ(idx->members()[0].header_offset, 0u);
    EXPECT_EQ(idx->members()[0].data_offset, 512u);
    EXPECT_EQ(idx->members()[0].size, 11u);
    EXPECT_EQ(idx->members()[1].name, "disk.vmdk"); // "./" removed
    EXPECT_EQ(idx->members()[1].data_offset, 1536u);
    EXPECT_EQ(idx->members()[1].size, 1000u);
    EXPECT_NE(idx->find("disk.vmdk"), nullptr);
    EXPECT_EQ(idx->find("DISK.vmdk"), nullptr);
    EXPECT_TRUE(notes.empty());
}

TEST(TarIndex, AgreesWithGnuTarOnItsOwnArchives) {
    test::TempDir dir;
    test::write_text(dir.file("a.ovf"), "<Envelope/>");
    test::write_text(dir.file("b.vmdk"), std::string(5000, 'b'));
    std::string long_name(150, 'n');
    test::write_text(dir.file(long_name), "long");
    for (const char* format : {"ustar", "pax", "gnu"}) {
        bool ustar = std::string(format) == "ustar";
        std::string cmd =
            fmt::format("cd {} && tar --format={} -cf x.tar a.ovf b.vmdk {} 2>/dev/null",
                        dir.path(), format, ustar ? "" : long_name);
        ASSERT_EQ(test::run(cmd), 0) << cmd;
        auto file = io::open_read(dir.file("x.tar"));
        ASSERT_TRUE(file);
        auto idx = TarIndex::build(**file);
        ASSERT_TRUE(idx) << format << ": " << idx.error().message;
        ASSERT_EQ(idx->members().size(), ustar ? 2u : 3u) << format;
        EXPECT_EQ(idx->members()[1].name, "b.vmdk");
        EXPECT_EQ(idx->members()[1].size, 5000u);
        // The data offset points at the member's bytes.
        std::vector<std::byte> buf(4);
        ASSERT_TRUE(io::read_exact(**file, buf, idx->members()[1].data_offset));
        EXPECT_EQ(static_cast<char>(buf[0]), 'b');
        if (!ustar) {
            EXPECT_EQ(idx->members()[2].name, long_name) << format;
            ASSERT_TRUE(io::read_exact(**file, buf, idx->members()[2].data_offset));
            EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), 4), "long");
        }
    }
}

TEST(TarIndex, RefusesTraversalAndUnsafeNames) {
    struct Case {
        TarEntry entry;
        std::string message;
    };
    std::vector<Case> cases = {
        {{.name = "../etc/passwd", .data = "x"},
         "x.ova: member at offset 0: file name '../etc/passwd' has a path separator (only names "
         "inside the package are allowed)"},
        {{.name = "/etc/passwd", .data = "x"},
         "x.ova: member at offset 0: file name '/etc/passwd' has a path separator (only names "
         "inside the package are allowed)"},
        {{.name = "./../x", .data = "x"},
         "x.ova: member at offset 0: file name '../x' has a path separator (only names inside "
         "the package are allowed)"},
        {{.name = "..", .data = "x"}, "x.ova: member at offset 0: file name '..' is not a file"},
        {{.name = "disk.vmdk", .data = "x", .prefix = "dir"},
         "x.ova: member at offset 0: file name 'dir/disk.vmdk' has a path separator (only names "
         "inside the package are allowed)"},
        {{.name = "c:disk", .data = "x"},
         "x.ova: member at offset 0: file name 'c:disk' has ':' (URLs and protocols are "
         "refused)"},
        {{.name = "a\x01.vmdk", .data = "x"},
         "x.ova: member at offset 0: file name has a control character"},
        {{.name = "bad\xff.vmdk", .data = "x"},
         "x.ova: member at offset 0: name is not valid UTF-8"},
        {{.name = "", .data = "x"}, "x.ova: member at offset 0: empty file name"},
    };
    for (auto& c : cases) {
        TarBuilder tar;
        tar.add(c.entry).end();
        EXPECT_EQ(refusal(tar), c.message);
    }
}

TEST(TarIndex, RefusesLinksDevicesAndOtherNonRegularMembers) {
    struct Case {
        TarEntry entry;
        std::string message;
    };
    std::vector<Case> cases = {
        {{.name = "disk.vmdk", .type = '2', .linkname = "/etc/shadow"},
         "x.ova: member 'disk.vmdk' at offset 0 is a symbolic link to '/etc/shadow': links are "
         "not allowed in a package"},
        {{.name = "disk.vmdk", .type = '1', .linkname = "../../etc/passwd"},
         "x.ova: member 'disk.vmdk' at offset 0 is a hard link to '../../etc/passwd': links are "
         "not allowed in a package"},
        {{.name = "zero", .type = '3'},
         "x.ova: member 'zero' at offset 0 is a character device: only regular files are allowed"},
        {{.name = "sda", .type = '4'},
         "x.ova: member 'sda' at offset 0 is a block device: only regular files are allowed"},
        {{.name = "pipe", .type = '6'},
         "x.ova: member 'pipe' at offset 0 is a FIFO: only regular files are allowed"},
        {{.name = "sparse", .type = 'S', .gnu_magic = true},
         "x.ova: member 'sparse' at offset 0 is a GNU sparse file: only regular files are "
         "allowed"},
        {{.name = "odd", .type = 'Z'},
         "x.ova: member 'odd' at offset 0 has unknown entry type 0x5a: only regular files are "
         "allowed"},
        {{.name = "dir/", .data = "content", .type = '5'},
         "x.ova: directory entry 'dir/' at offset 0 has 7 bytes of content"},
    };
    for (auto& c : cases) {
        TarBuilder tar;
        tar.add(c.entry).end();
        EXPECT_EQ(refusal(tar), c.message);
    }
}

TEST(TarIndex, IgnoresEmptyDirectoryEntries) {
    TarBuilder tar;
    tar.add({.name = "./", .type = '5'}).file("./vm.ovf", "x").end();
    auto idx = index_of(tar);
    ASSERT_TRUE(idx) << idx.error().message;
    ASSERT_EQ(idx->members().size(), 1u);
    EXPECT_EQ(idx->members()[0].name, "vm.ovf");
}

TEST(TarIndex, RefusesDuplicateNamesAndCaseOrNormalisationCollisions) {
    TarBuilder dup;
    dup.file("disk.vmdk", "first").file("./disk.vmdk", "second").end();
    EXPECT_EQ(refusal(dup), "x.ova: member 'disk.vmdk' at offset 1024 has the same name as the "
                            "member at offset 0; duplicate names are refused");

    TarBuilder folded;
    folded.file("Disk.vmdk", "a").file("disk.vmdk", "b").end();
    EXPECT_EQ(refusal(folded),
              "x.ova: member 'disk.vmdk' at offset 1024 and member 'Disk.vmdk' at offset 0 are "
              "the same name after case folding and Unicode normalisation (NFC); they would "
              "overwrite each other when unpacked, so the archive is refused");

    // "café" precomposed (U+00E9, NFC) and decomposed (e + U+0301, NFD).
    TarBuilder nfd;
    nfd.file("caf\xc3\xa9.iso", "a").file("cafe\xcc\x81.iso", "b").end();
    auto r = index_of(nfd);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_NE(r.error().message.find("Unicode normalisation"), std::string::npos)
        << r.error().message;

    // Non-ASCII case folding too (U+00C9 and U+00E9), and a German sharp s
    // against "ss" (full folding).
    TarBuilder upper;
    upper.file("\xc3\x89t\xc3\xa9.iso", "a").file("\xc3\xa9t\xc3\xa9.iso", "b").end();
    EXPECT_FALSE(index_of(upper));
    TarBuilder sharp;
    sharp
        .file("stra\xc3\x9f"
              "e.iso",
              "a")
        .file("strasse.iso", "b")
        .end();
    EXPECT_FALSE(index_of(sharp));

    // Distinct names stay distinct.
    TarBuilder fine;
    fine.file("caf\xc3\xa9.iso", "a").file("cafe.iso", "b").end();
    Diagnostics notes;
    auto ok = index_of(fine, &notes);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->members().size(), 2u);
    EXPECT_TRUE(notes.findings().empty());
}

TEST(TarIndex, ChecksSizesAgainstTheFile) {
    TarBuilder negative;
    negative.add({.name = "a", .data = "x", .negative_size = true}).end();
    EXPECT_EQ(refusal(negative), "x.ova: header at offset 0: size field: negative base-256 number");

    TarBuilder past_end;
    past_end.add({.name = "disk.vmdk", .data = "x", .size_override = 1 << 20}).end();
    EXPECT_EQ(damage(past_end),
              "x.ova: entry at offset 0: data of 1048576 bytes runs past the end of the archive "
              "(2048 bytes); the archive is truncated or the size is wrong");

    TarBuilder huge;
    huge.add({.name = "a", .data = "x", .base256_size = true, .size_override = INT64_MAX}).end();
    EXPECT_EQ(damage(huge),
              "x.ova: entry at offset 0: data of 9223372036854775807 bytes runs past the end of "
              "the archive (2048 bytes); the archive is truncated or the size is wrong");

    TarBuilder big_octal;
    big_octal.add({.name = "a", .data = "x"}).end();
    // 12 octal digits without a terminator: 0o777777777777 is accepted as a
    // number but far beyond the file.
    std::memcpy(big_octal.bytes().data() + 124, "777777777777", 12);
    auto r = index_of(big_octal);
    ASSERT_FALSE(r);
    // The checksum no longer matches the edited header: refused before sizes.
    EXPECT_NE(r.error().message.find("checksum mismatch"), std::string::npos);

    TarBuilder b256;
    b256.add({.name = "disk.vmdk", .data = std::string(700, 'z'), .base256_size = true}).end();
    auto ok = index_of(b256);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->members()[0].size, 700u);
}

TEST(TarIndex, RefusesTruncatedArchivesAndBadChecksums) {
    TarBuilder tar;
    tar.file("vm.ovf", "<Envelope/>").file("disk.vmdk", std::string(2000, 'd')).end();
    auto cut_header = tar.bytes();
    cut_header.resize(1024 + 100);
    io::MemFile f1("x.ova", cut_header);
    auto r1 = TarIndex::build(f1);
    ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error().code, Errc::invalid);
    EXPECT_EQ(r1.error().message,
              "x.ova: truncated tar header at offset 1024: 100 bytes left, a header is 512");

    auto cut_data = tar.bytes();
    cut_data.resize(1024 + 512 + 1000);
    io::MemFile f2("x.ova", cut_data);
    auto r2 = TarIndex::build(f2);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, Errc::invalid);
    EXPECT_EQ(r2.error().message,
              "x.ova: entry at offset 1024: data of 2000 bytes runs past the end of the archive "
              "(2536 bytes); the archive is truncated or the size is wrong");

    TarBuilder bad;
    bad.add({.name = "vm.ovf", .data = "x", .corrupt_checksum = true}).end();
    EXPECT_NE(refusal(bad).find("x.ova: header at offset 0: checksum mismatch (stored "),
              std::string::npos);

    TarBuilder not_tar;
    not_tar.file("vm.ovf", "x").end();
    std::memcpy(not_tar.bytes().data() + 257, "xxxxx", 5);
    auto r3 = index_of(not_tar);
    ASSERT_FALSE(r3);
    EXPECT_EQ(r3.error().code, Errc::invalid);
    EXPECT_EQ(r3.error().message, "x.ova: header at offset 0: no ustar magic (not a tar header)");
}

TEST(TarIndex, ToleratesAMissingTrailerWithAWarning) {
    TarBuilder tar;
    tar.file("vm.ovf", "x");
    Diagnostics notes;
    auto idx = index_of(tar, &notes);
    ASSERT_TRUE(idx);
    ASSERT_EQ(notes.findings().size(), 1u);
    EXPECT_EQ(notes.findings()[0].message,
              "archive has no end-of-archive marker (two zero blocks) after offset 1024; it may "
              "be truncated");

    TarBuilder hidden;
    hidden.file("vm.ovf", "x").end().file("evil.vmdk", "hidden");
    Diagnostics notes2;
    auto idx2 = index_of(hidden, &notes2);
    ASSERT_TRUE(idx2);
    EXPECT_EQ(idx2->members().size(), 1u);
    ASSERT_EQ(notes2.findings().size(), 1u);
    EXPECT_EQ(notes2.findings()[0].message,
              "1024 bytes after the end-of-archive marker at offset 1024 are ignored");
}

TEST(TarIndex, BoundsMembersAndMetadata) {
    TarBuilder many;
    for (int i = 0; i < 4; ++i) {
        many.file(fmt::format("f{}", i), "x");
    }
    many.end();
    TarLimits limits;
    limits.max_members = 3;
    EXPECT_EQ(refusal(many, limits), "x.ova: more than 3 entries (limit)");

    TarBuilder long_gnu;
    long_gnu
        .add({.name = "././@LongLink",
              .data = std::string(70000, 'n'),
              .type = 'L',
              .gnu_magic = true})
        .file("x", "x")
        .end();
    EXPECT_EQ(refusal(long_gnu),
              "x.ova: GNU long name at offset 0 is 70000 bytes, more than 65536 (limit)");

    TarBuilder long_pax;
    long_pax.pax(TarBuilder::pax_record("path", std::string(70000, 'p'))).file("x", "x").end();
    EXPECT_EQ(refusal(long_pax),
              "x.ova: PAX header at offset 0: PAX path of 70000 bytes is longer than 65536");

    TarBuilder big_pax;
    big_pax.pax(TarBuilder::pax_record("comment", std::string(1100000, 'c'))).file("x", "x").end();
    EXPECT_EQ(refusal(big_pax),
              "x.ova: PAX header at offset 0 is 1100017 bytes, more than 1048576 (limit)");
}

TEST(TarIndex, HonoursPaxPathAndSizeAndRefusesNulAndGlobalOverrides) {
    TarBuilder tar;
    std::string records = TarBuilder::pax_record("path", "real-name.vmdk") +
                          TarBuilder::pax_record("size", "3") +
                          TarBuilder::pax_record("mtime", "1.5");
    tar.pax(records).add({.name = "short", .data = "abc", .size_override = 0}).end();
    auto idx = index_of(tar);
    ASSERT_TRUE(idx) << idx.error().message;
    ASSERT_EQ(idx->members().size(), 1u);
    EXPECT_EQ(idx->members()[0].name, "real-name.vmdk");
    EXPECT_EQ(idx->members()[0].size, 3u);
    EXPECT_EQ(idx->members()[0].header_offset, 0u);
    EXPECT_EQ(idx->members()[0].data_offset, 1536u);

    TarBuilder nul;
    nul.pax(TarBuilder::pax_record("path", std::string("a\0b", 3))).file("x", "x").end();
    EXPECT_EQ(refusal(nul), "x.ova: PAX header at offset 0: PAX path has a NUL byte");

    TarBuilder malformed;
    malformed.pax("99 path=x\n").file("x", "x").end();
    EXPECT_EQ(refusal(malformed), "x.ova: PAX header at offset 0: malformed PAX record at byte 0");

    TarBuilder global;
    global.add({.name = "g", .data = TarBuilder::pax_record("path", "x.vmdk"), .type = 'g'})
        .file("y", "y")
        .end();
    EXPECT_EQ(refusal(global), "x.ova: PAX global header at offset 0 sets a path or size for "
                               "every member (not supported)");

    TarBuilder orphan;
    orphan.pax(TarBuilder::pax_record("path", "x"));
    orphan.end();
    EXPECT_EQ(refusal(orphan), "x.ova: zero block at offset 1024 follows an extended header "
                               "instead of its member");
}

// An archive whose last member holds `size` bytes of holes: `headers` are
// written at 0, the member's data is never written (a sparse file), then a
// small member and the end-of-archive blocks follow it.
std::string sparse_archive(const test::TempDir& dir, TarBuilder& headers, uint64_t size) {
    std::string path = dir.file("big.ova");
    auto& head = headers.bytes();
    TarBuilder tail;
    tail.file("after.txt", "after").end();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::pwrite(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
    auto after = static_cast<off_t>(head.size() + (size + 511) / 512 * 512);
    EXPECT_EQ(::pwrite(fd, tail.bytes().data(), tail.bytes().size(), after),
              static_cast<ssize_t>(tail.bytes().size()));
    ::close(fd);
    return path;
}

TEST(TarIndex, ReadsMembersOver8GiBFromBase256AndPaxSizes) {
    constexpr uint64_t k_size = (uint64_t{9} << 30) + 123; // past ustar's 8 GiB - 1
    test::TempDir dir;

    TarBuilder gnu; // GNU tar's form: base-256 in the size field
    gnu.add({.name = "disk.vmdk",
             .gnu_magic = true,
             .base256_size = true,
             .size_override = static_cast<int64_t>(k_size)});
    auto f1 = io::open_read(sparse_archive(dir, gnu, k_size));
    ASSERT_TRUE(f1) << f1.error().message;
    auto i1 = TarIndex::build(**f1);
    ASSERT_TRUE(i1) << i1.error().message;
    ASSERT_EQ(i1->members().size(), 2u);
    EXPECT_EQ(i1->members()[0].size, k_size);
    EXPECT_EQ(i1->members()[0].data_offset, 512u);
    EXPECT_EQ(i1->members()[1].name, "after.txt");
    EXPECT_EQ(i1->members()[1].header_offset, 512 + (k_size + 511) / 512 * 512);

    TarBuilder pax; // POSIX form: a PAX size record, 0 in the header
    pax.pax(TarBuilder::pax_record("size", std::to_string(k_size)))
        .add({.name = "disk.vmdk", .size_override = 0});
    auto f2 = io::open_read(sparse_archive(dir, pax, k_size));
    ASSERT_TRUE(f2) << f2.error().message;
    auto i2 = TarIndex::build(**f2);
    ASSERT_TRUE(i2) << i2.error().message;
    ASSERT_EQ(i2->members().size(), 2u);
    EXPECT_EQ(i2->members()[0].size, k_size);
    EXPECT_EQ(i2->members()[0].header_offset, 0u);
    EXPECT_EQ(i2->members()[0].data_offset, 1536u);
    EXPECT_EQ(i2->members()[1].name, "after.txt");

    // The same PAX size one byte past the archive is refused, not clamped.
    TarBuilder lie;
    lie.pax(TarBuilder::pax_record("size", std::to_string(k_size + 8192)))
        .add({.name = "disk.vmdk", .size_override = 0});
    std::string path = sparse_archive(dir, lie, k_size);
    auto f3 = io::open_read(path);
    ASSERT_TRUE(f3);
    auto i3 = TarIndex::build(**f3);
    ASSERT_FALSE(i3);
    EXPECT_EQ(i3.error().code, Errc::invalid); // damaged or cut short: exit 1
    EXPECT_NE(i3.error().message.find("runs past the end of the archive"), std::string::npos)
        << i3.error().message;
}

TEST(TarIndex, RecognisesTarHeadersByContent) {
    TarBuilder tar;
    tar.file("vm.ovf", "x");
    EXPECT_TRUE(is_tar_header(tar.bytes()));
    std::vector<std::byte> xml(512, std::byte{' '});
    EXPECT_FALSE(is_tar_header(xml));
    tar.bytes()[0] = std::byte{'w'};
    EXPECT_FALSE(is_tar_header(tar.bytes())); // checksum no longer matches
}

} // namespace
} // namespace ovfkit::package
