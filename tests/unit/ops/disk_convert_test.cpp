// The operations layer as a service would drive it: several conversions in
// one process, each with its own progress and cancellation.
#include <atomic>
#include <random>
#include <thread>

#include "support/temp_dir.hpp"
#include <dirent.h>
#include <gtest/gtest.h>

#include <ovfkit/ops/disk_compare.hpp>
#include <ovfkit/ops/disk_convert.hpp>

namespace ovfkit::ops {
namespace {

// A raw image of `mib` MiB whose every 4 KiB page holds data, so that every
// chunk of the pipeline is read, encoded and written.
void make_raw(const std::string& path, size_t mib) {
    std::vector<std::byte> data(mib << 20);
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < data.size(); i += 8) {
        uint64_t v = rng() % 5 == 0 ? 0 : rng(); // some all-zero words, never whole pages
        std::memcpy(data.data() + i, &v, 8);
    }
    test::write_file(path, data);
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    while (auto* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") {
            out.push_back(name);
        }
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

DiskConvertOptions options(const std::string& in, const std::string& out) {
    DiskConvertOptions o;
    o.input = {in, "raw", false};
    o.output = out;
    o.compress = true; // slow enough to cancel halfway, and multi-threaded
    return o;
}

TEST(OpsConvert, TwoConcurrentConversionsOneCancelledHalfway) {
    test::TempDir dir;
    make_raw(dir.file("in.raw"), 48);

    // The reference: the same conversion alone.
    auto solo = convert_disk(options(dir.file("in.raw"), dir.file("solo.qcow2")));
    ASSERT_TRUE(solo) << solo.error().message;

    JobControl keep;
    std::atomic<uint64_t> keep_reports{0};
    keep.progress = [&](const Progress& p) {
        EXPECT_EQ(p.phase, "converting");
        keep_reports.fetch_add(1);
    };
    JobControl stop;
    std::atomic<uint64_t> stop_done{0};
    stop.progress = [&](const Progress& p) {
        stop_done.store(p.done);
        if (p.done >= p.total / 2) {
            stop.cancel.cancel(); // from the pipeline's own thread, as a service would
        }
    };
    Result<DiskConvertReport> kept = fail(Errc::io, "not run");
    Result<DiskConvertReport> stopped = fail(Errc::io, "not run");
    std::thread a(
        [&] { kept = convert_disk(options(dir.file("in.raw"), dir.file("a.qcow2")), keep); });
    std::thread b(
        [&] { stopped = convert_disk(options(dir.file("in.raw"), dir.file("b.qcow2")), stop); });
    a.join();
    b.join();

    ASSERT_TRUE(kept) << kept.error().message;
    EXPECT_GT(keep_reports.load(), 2u);
    EXPECT_EQ(test::read_file(dir.file("a.qcow2")), test::read_file(dir.file("solo.qcow2")));

    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().code, Errc::io);
    EXPECT_NE(stopped.error().message.find("interrupted"), std::string::npos)
        << stopped.error().message;
    EXPECT_GE(stop_done.load(), (uint64_t{48} << 20) / 2);
    EXPECT_LT(stop_done.load(), uint64_t{48} << 20) << "cancelled only after the end";
    // Nothing of the cancelled output is left: no file, no temporary.
    EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"a.qcow2", "in.raw", "solo.qcow2"}));
}

TEST(OpsConvert, CancelledBeforeStartWritesNothing) {
    test::TempDir dir;
    make_raw(dir.file("in.raw"), 1);
    JobControl control;
    control.cancel.cancel();
    auto r = convert_disk(options(dir.file("in.raw"), dir.file("out.qcow2")), control);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"in.raw"});
}

TEST(OpsConvert, CopiesOfATokenShareIt) {
    CancelToken token;
    CancelToken copy = token;
    EXPECT_FALSE(copy.cancelled());
    token.cancel();
    EXPECT_TRUE(copy.cancelled());
    EXPECT_FALSE(CancelToken().cancelled()) << "a new token is independent";
}

TEST(OpsConvert, OutputFormatFromTheExtension) {
    EXPECT_EQ(output_format_for("a/b.qcow2").value(), "qcow2");
    EXPECT_EQ(output_format_for("B.VHDX").value(), "vhdx");
    EXPECT_EQ(output_format_for("x.vdi").value(), "vdi");
    EXPECT_EQ(output_format_for("x.vhd").value(), "vhd");
    for (const char* name : {"x.vmdk", "x.raw", "x.img", "x", "dir.qcow2/x", ".qcow2", "x.iso"}) {
        auto r = output_format_for(name);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, Errc::usage) << name;
        EXPECT_NE(r.error().message.find("-O"), std::string::npos) << r.error().message;
    }
    EXPECT_NE(output_format_for("x.vmdk").error().message.find("vmdk-stream"), std::string::npos);
}

TEST(OpsConvert, InfersTheFormatAndReportsJson) {
    test::TempDir dir;
    make_raw(dir.file("in.raw"), 1);
    DiskConvertOptions o;
    o.input = {dir.file("in.raw"), "raw", false};
    o.output = dir.file("out.vhdx");
    auto r = convert_disk(o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->summary.output_format, "vhdx");
    auto j = to_json(*r);
    EXPECT_EQ(j["schema"], "ovfkit/1");
    EXPECT_EQ(j["output_format"], "vhdx");
    EXPECT_EQ(j["virtual_size"], uint64_t{1} << 20);
    EXPECT_TRUE(j["warnings"].is_array());

    DiskCompareOptions c;
    c.a = {dir.file("in.raw"), "raw", false};
    c.b = {dir.file("out.vhdx"), "", false};
    auto same = compare_disks(c);
    ASSERT_TRUE(same) << same.error().message;
    EXPECT_TRUE(same->result.identical);
    EXPECT_EQ(same->format_b, "vhdx");
    EXPECT_EQ(to_json(*same)["schema"], "ovfkit/1");
}

TEST(OpsCompare, CancelledComparisonFails) {
    test::TempDir dir;
    make_raw(dir.file("in.raw"), 1);
    DiskCompareOptions c;
    c.a = c.b = {dir.file("in.raw"), "raw", false};
    JobControl control;
    control.cancel.cancel();
    auto r = compare_disks(c, control);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
}

} // namespace
} // namespace ovfkit::ops
