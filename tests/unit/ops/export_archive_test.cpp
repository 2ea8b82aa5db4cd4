// The archive form of an export (platform::TargetForm::archive) with a
// trivial target: every disk streams through disk::copy_disk into a raw
// image that is the whole archive. What the engine owes any archive target:
// the plan's disks open as readers of their guest bytes, the output created
// atomically (nothing on failure or cancel), progress, and the environment
// ISO beside the archive.
#include <atomic>
#include <filesystem>

#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/disk/compare.hpp>
#include <ovfkit/disk/convert.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/ops/export_archive.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ovf/validate.hpp>

namespace ovfkit::ops {
namespace {

const std::string k_tiny_dir = std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny";

// Writes the data runs at their guest offsets: the archive is a raw image.
class RawInto final : public disk::DiskWriter {
public:
    explicit RawInto(io::File& out) : m_out(out) {}
    disk::WriterCaps capabilities() const override { return {true, 4096}; }
    Result<void> write(const disk::Chunk& c) override {
        for (const disk::Extent& e : c.runs) {
            if (e.kind == disk::ExtentKind::data) {
                OVFKIT_TRY(m_out.pwrite(c.data.subspan(e.offset - c.offset, e.length), e.offset));
            }
        }
        return {};
    }
    Result<void> finish() override { return {}; }

private:
    io::File& m_out;
};

std::atomic<int> g_calls{0};

Result<void> write_raw(const platform::ArchiveJob& job) {
    ++g_calls;
    if (job.disks.size() != 1 || job.disks[0].reader == nullptr) {
        return fail(Errc::usage, "one disk expected");
    }
    RawInto writer(job.out);
    disk::ConvertOptions o;
    o.threads = job.threads;
    o.cancel = job.cancel;
    o.progress = job.progress;
    OVFKIT_TRY(disk::copy_disk(*job.disks[0].reader, writer, o));
    return job.out.truncate(job.disks[0].virtual_size);
}

Result<void> write_nothing_then_fail(const platform::ArchiveJob& job) {
    const std::byte b{1};
    OVFKIT_TRY(job.out.pwrite(std::span(&b, 1), 0));
    return fail(Errc::invalid, "the plan holds what the format cannot carry");
}

void map_nothing(platform::PlanVm&, const platform::MapContext&, platform::PlanNotes&) {}

platform::ExportTarget target(Result<void> (*write)(const platform::ArchiveJob&)) {
    platform::ExportTarget t;
    t.name = "test-archive";
    t.form = platform::TargetForm::archive;
    t.map = map_nothing;
    t.write_archive = write;
    return t;
}

platform::ExportPlan tiny_plan() {
    platform::ExportPlan plan;
    platform::PlanVm vm;
    vm.name = "tiny";
    platform::PlanDisk d;
    d.disk_id = "disk1";
    d.file_id = "file1";
    d.capacity_bytes = 64 << 20;
    vm.disks.push_back(d);
    plan.vms.push_back(vm);
    return plan;
}

struct Opened {
    package::Source src;
    ovf::Envelope env;
};

Opened open_tiny(const std::string& ovf) {
    Diagnostics diag;
    auto src = open_package(ovf, diag);
    EXPECT_TRUE(src) << (src ? "" : src.error().message);
    auto env = ovf::read_descriptor(src->descriptor(), src->descriptor_name(), diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    return {std::move(*src), std::move(*env)};
}

TEST(ExportArchive, TargetStreamsEachDiskIntoOneAtomicOutput) {
    test::TempDir dir;
    Opened tiny = open_tiny(k_tiny_dir + "/tiny.ovf");
    platform::ExportPlan plan = tiny_plan();
    auto t = target(write_raw);
    export_detail::ArchiveRequest request;
    request.path = dir.file("out.img");
    request.threads = 2;
    request.mtime = 1700000000;
    uint64_t last_done = 0, last_total = 0;
    JobControl control;
    control.progress = [&](const Progress& p) {
        last_done = p.done;
        last_total = p.total;
    };
    g_calls = 0;
    auto r = export_detail::write_archive(t, plan, tiny.src, tiny.env, request, control);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(g_calls, 1);
    EXPECT_EQ(r->size, uint64_t{64} << 20);
    EXPECT_TRUE(r->beside.empty());
    EXPECT_EQ(last_total, uint64_t{64} << 20);
    EXPECT_EQ(last_done, last_total);
    EXPECT_EQ(std::filesystem::last_write_time(request.path).time_since_epoch().count() != 0, true);

    // The archive holds the source disk's guest bytes.
    auto a = disk::open_image(k_tiny_dir + "/tiny.vmdk", {});
    ASSERT_TRUE(a) << a.error().message;
    disk::OpenImageOptions raw;
    raw.format = "raw";
    auto b = disk::open_image(request.path, raw);
    ASSERT_TRUE(b) << b.error().message;
    auto same = disk::compare_disks(*a->reader, *b->reader);
    ASSERT_TRUE(same) << same.error().message;
    EXPECT_TRUE(same->identical);

    // An existing archive is refused without force, replaced with it.
    r = export_detail::write_archive(t, plan, tiny.src, tiny.env, request, control);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    request.force = true;
    r = export_detail::write_archive(t, plan, tiny.src, tiny.env, request, control);
    EXPECT_TRUE(r) << r.error().message;
}

TEST(ExportArchive, FailureAndCancelLeaveNothing) {
    test::TempDir dir;
    Opened tiny = open_tiny(k_tiny_dir + "/tiny.ovf");
    platform::ExportPlan plan = tiny_plan();
    export_detail::ArchiveRequest request;
    request.path = dir.file("out.img");

    auto bad = target(write_nothing_then_fail);
    auto r = export_detail::write_archive(bad, plan, tiny.src, tiny.env, request, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_FALSE(std::filesystem::exists(request.path));

    JobControl control;
    control.cancel.cancel();
    auto t = target(write_raw);
    r = export_detail::write_archive(t, plan, tiny.src, tiny.env, request, control);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_NE(r.error().message.find("cancelled"), std::string::npos) << r.error().message;
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ExportArchive, EnvironmentIsoIsWrittenBesideTheArchive) {
    test::TempDir dir;
    Opened tiny = open_tiny(k_tiny_dir + "/tiny.ovf");
    platform::ExportPlan plan = tiny_plan();
    plan.vms[0].environment_xml = "<Environment/>\n";
    platform::PlanCdrom cd;
    cd.environment = true;
    cd.file_name = "tiny-env.iso";
    plan.vms[0].cdroms.push_back(cd);
    export_detail::ArchiveRequest request;
    request.path = dir.file("out.img");
    auto t = target(write_raw);
    auto r = export_detail::write_archive(t, plan, tiny.src, tiny.env, request, {});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->beside, std::vector<std::string>{"tiny-env.iso"});
    EXPECT_TRUE(std::filesystem::exists(dir.file("tiny-env.iso")));
    EXPECT_EQ(std::filesystem::file_size(dir.file("tiny-env.iso")), r->beside_bytes);
}

TEST(ExportArchive, DamagedSourceIsRefusedBeforeAnythingIsWritten) {
    test::TempDir dir;
    std::filesystem::copy_file(k_tiny_dir + "/tiny.ovf", dir.file("tiny.ovf"));
    std::filesystem::copy_file(k_tiny_dir + "/tiny.vmdk", dir.file("tiny.vmdk"));
    // A manifest whose disk digest is wrong.
    std::string ovf_sha;
    ASSERT_EQ(test::run("sha256sum " + dir.file("tiny.ovf") + " | cut -c1-64", &ovf_sha), 0);
    ovf_sha.resize(64);
    test::write_text(dir.file("tiny.mf"), "SHA256(tiny.ovf)= " + ovf_sha + "\nSHA256(tiny.vmdk)= " +
                                              std::string(64, '0') + "\n");
    Opened tiny = open_tiny(dir.file("tiny.ovf"));
    export_detail::ArchiveRequest request;
    request.path = dir.file("out.img");
    auto t = target(write_raw);
    g_calls = 0;
    auto r = export_detail::write_archive(t, tiny_plan(), tiny.src, tiny.env, request, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    EXPECT_EQ(g_calls, 0);
    EXPECT_FALSE(std::filesystem::exists(request.path));
}

} // namespace
} // namespace ovfkit::ops
