// ops::convert_package as a long-running service would run it: progress
// that ends at its total, cancellation that leaves nothing behind, and two
// conversions at once in one process giving the same bytes as one alone.
#include <atomic>
#include <filesystem>
#include <thread>

#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/ops/convert.hpp>
#include <ovfkit/ops/verify.hpp>

namespace ovfkit::ops {
namespace {

const std::string k_tiny = std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny";

ConvertOptions pack_tiny(const std::string& target, std::string disk_format = {}) {
    ConvertOptions o;
    o.source = k_tiny + "/tiny.ovf";
    o.target = target;
    o.disk_format = std::move(disk_format);
    o.mtime = 1700000000;
    return o;
}

TEST(OpsPackageConvert, ProgressEndsAtItsTotalAndThePackageVerifies) {
    test::TempDir dir;
    JobControl control;
    uint64_t last = 0;
    uint64_t total = 0;
    bool backwards = false;
    control.progress = [&](const Progress& p) {
        EXPECT_EQ(p.phase, "writing");
        backwards = backwards || p.done < last;
        last = p.done;
        total = p.total;
    };
    auto r = convert_package(pack_tiny(dir.file("t.ova"), "qcow2"), control);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(backwards);
    EXPECT_EQ(total, uint64_t{64} << 20); // the disk's guest bytes
    EXPECT_EQ(last, total);
    ASSERT_EQ(r->files.size(), 1u);
    EXPECT_TRUE(r->files[0].converted);
    EXPECT_EQ(r->files[0].name, "tiny.qcow2");
    EXPECT_TRUE(r->descriptor_rewritten);
    auto v = verify_package({dir.file("t.ova"), "", false});
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->manifest_ok);
}

TEST(OpsPackageConvert, CancelledLeavesNothing) {
    test::TempDir dir;
    JobControl control;
    control.progress = [&](const Progress& p) {
        if (p.done > 0) {
            control.cancel.cancel();
        }
    };
    auto r = convert_package(pack_tiny(dir.file("t.ova"), "vdi"), control);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cancelled"), std::string::npos) << r.error().message;
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

    auto d = convert_package(pack_tiny(dir.file("unpacked"), "qcow2"), control);
    ASSERT_FALSE(d);
    EXPECT_FALSE(std::filesystem::exists(dir.file("unpacked"))); // the directory it made is gone
}

TEST(OpsPackageConvert, TwoAtOnceGiveTheBytesOfOneAlone) {
    test::TempDir dir;
    // qcow2: the formats with a disk UUID (vmdk, vhd, vhdx, vdi) differ by it.
    ASSERT_TRUE(convert_package(pack_tiny(dir.file("solo.ova"), "qcow2")));
    std::atomic<int> ok{0};
    auto run = [&](const std::string& name) {
        if (convert_package(pack_tiny(dir.file(name), "qcow2"))) {
            ++ok;
        }
    };
    std::thread a(run, "a.ova");
    std::thread b(run, "b.ova");
    a.join();
    b.join();
    EXPECT_EQ(ok.load(), 2);
    EXPECT_EQ(test::read_file(dir.file("a.ova")), test::read_file(dir.file("solo.ova")));
    EXPECT_EQ(test::read_file(dir.file("b.ova")), test::read_file(dir.file("solo.ova")));
}

} // namespace
} // namespace ovfkit::ops
