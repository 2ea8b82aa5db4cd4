// Tar headers as the OVA writer will emit them, read back by ovfkit's own
// index, GNU tar and Python's tarfile.
#include "support/temp_dir.hpp"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <ovfkit/io/file.hpp>
#include <ovfkit/package/tar_index.hpp>
#include <ovfkit/package/tar_writer.hpp>

namespace ovfkit::package {
namespace {

struct Built {
    std::string name;
    std::string data;
    bool patch = false;
};

// Writes the members in order with their headers, padding and the end.
void write_archive(const std::string& path, const std::vector<Built>& members) {
    std::vector<std::byte> out;
    for (const auto& m : members) {
        TarEntry e{m.name, m.patch ? 0 : m.data.size(), 1700000000, 0644, m.patch};
        auto h = tar_header(e);
        ASSERT_TRUE(h) << h.error().message;
        if (m.patch) {
            ASSERT_TRUE(patch_tar_size(*h, m.data.size()));
        }
        out.insert(out.end(), h->begin(), h->end());
        auto d = std::as_bytes(std::span(m.data.data(), m.data.size()));
        out.insert(out.end(), d.begin(), d.end());
        out.resize(out.size() + tar_padding(m.data.size()));
    }
    out.resize(out.size() + k_tar_end_bytes);
    test::write_file(path, out);
}

TEST(TarWriter, IndependentReadersAgree) {
    test::TempDir dir;
    std::string long_name = std::string(150, 'n') + ".vmdk";
    std::vector<Built> members = {{"vm.ovf", "<Envelope/>\n", false},
                                  {long_name, std::string(1000, 'x'), false},
                                  {"d\xc3\xafsk.vmdk", std::string(513, 'y'), false},
                                  {"patched.vmdk", std::string(4096, 'z'), true},
                                  {"empty.iso", "", false}};
    std::string ova = dir.file("t.ova");
    write_archive(ova, members);

    auto file = io::open_read(ova);
    ASSERT_TRUE(file);
    Diagnostics notes;
    auto index = TarIndex::build(**file, {}, &notes);
    ASSERT_TRUE(index) << index.error().message;
    EXPECT_TRUE(notes.empty());
    ASSERT_EQ(index->members().size(), members.size());
    for (size_t i = 0; i < members.size(); ++i) {
        EXPECT_EQ(index->members()[i].name, members[i].name);
        EXPECT_EQ(index->members()[i].size, members[i].data.size());
        EXPECT_EQ(index->members()[i].data_offset % 512, 0u);
        std::string got(members[i].data.size(), '\0');
        ASSERT_TRUE(io::read_exact(**file, std::as_writable_bytes(std::span(got)),
                                   index->members()[i].data_offset));
        EXPECT_EQ(got, members[i].data) << members[i].name;
    }

    std::string out;
    ASSERT_EQ(test::run("cd '" + dir.path() + "' && tar tvf t.ova 2>&1", &out), 0) << out;
    EXPECT_NE(out.find(long_name), std::string::npos) << out;
    EXPECT_EQ(out.find("warning"), std::string::npos) << out;
    EXPECT_EQ(out.find("Ignoring"), std::string::npos) << out;
    out.clear();
    ASSERT_EQ(test::run("mkdir '" + dir.file("x") + "' && cd '" + dir.file("x") +
                            "' && tar xf ../t.ova 2>&1",
                        &out),
              0)
        << out;
    EXPECT_EQ(out, "") << "GNU tar warned";
    EXPECT_EQ(test::read_text(dir.file("x/patched.vmdk")), members[3].data);
    EXPECT_EQ(test::read_text(dir.file("x/d\xc3\xafsk.vmdk")), members[2].data);

    std::string py = "import sys, tarfile\n"
                     "t = tarfile.open(sys.argv[1])\n"
                     "for m in t.getmembers():\n"
                     "    assert m.isreg(), m.name\n"
                     "    assert len(t.extractfile(m).read()) == m.size\n"
                     "    print(m.name, m.size, m.mtime)\n";
    test::write_text(dir.file("list.py"), py);
    out.clear();
    ASSERT_EQ(test::run("python3 '" + dir.file("list.py") + "' '" + ova + "' 2>&1", &out), 0)
        << out;
    EXPECT_NE(out.find("patched.vmdk 4096 1700000000"), std::string::npos) << out;
    EXPECT_NE(out.find(long_name + " 1000"), std::string::npos) << out;
}

TEST(TarWriter, MembersOf8GiBAndMoreCarryAPaxSize) {
    test::TempDir dir;
    const uint64_t size = (uint64_t{17} << 29) + 5; // 8.5 GiB and a bit
    for (bool patch : {false, true}) {
        TarEntry e{"big.vmdk", patch ? 0 : size, 0, 0644, patch};
        auto h = tar_header(e);
        ASSERT_TRUE(h);
        if (patch) {
            ASSERT_TRUE(patch_tar_size(*h, size));
        }
        // Header, a sparse hole for the data, padding and the end.
        std::string ova = dir.file(patch ? "p.ova" : "b.ova");
        int fd = ::open(ova.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, h->data(), h->size()), static_cast<ssize_t>(h->size()));
        ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(h->size() + size + tar_padding(size) +
                                                     k_tar_end_bytes)),
                  0);
        ::close(fd);
        auto file = io::open_read(ova);
        ASSERT_TRUE(file);
        auto index = TarIndex::build(**file);
        ASSERT_TRUE(index) << index.error().message;
        ASSERT_EQ(index->members().size(), 1u);
        EXPECT_EQ(index->members()[0].size, size);
        std::string out;
        ASSERT_EQ(test::run("tar tvf '" + ova + "' 2>&1", &out), 0) << out;
        EXPECT_NE(out.find(std::to_string(size)), std::string::npos) << out;
    }
}

TEST(TarWriter, RefusesUnsafeNamesAndUnpatchableHeaders) {
    for (const char* name : {"../x", "a/b", "", "..", "-x"}) {
        auto h = tar_header({name, 1, 0, 0644, false});
        ASSERT_FALSE(h) << name;
        EXPECT_EQ(h.error().code, Errc::refused);
    }
    auto plain = tar_header({"a.vmdk", 10, 0, 0644, false});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->size(), 512u);
    EXPECT_FALSE(patch_tar_size(*plain, 20));
    EXPECT_EQ(tar_padding(0), 0u);
    EXPECT_EQ(tar_padding(1), 511u);
    EXPECT_EQ(tar_padding(512), 0u);
}

} // namespace
} // namespace ovfkit::package
