// The conversion pipeline: same bytes whatever the thread count, zero and
// unallocated ranges never read or written, bounded work on huge sparse
// disks, errors and cancellation leave no output, and every writable format
// round-trips.
#include <chrono>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/disk_images.hpp"
#include "support/synthetic_disk.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/disk/convert.hpp>
#include <ovfkit/disk/formats/vmdk/writer.hpp>

namespace ovfkit::disk {
namespace {

using namespace ovfkit::test;
namespace fs = std::filesystem;

// A guest with random data, compressible text, stored zeros, holes and a
// tail that is not cluster-aligned.
std::vector<std::byte> mixed_guest(uint64_t size) {
    std::vector<std::byte> g(size);
    std::mt19937_64 rng(42);
    auto random_run = [&](uint64_t at, uint64_t n) {
        for (uint64_t i = at; i < std::min(size, at + n); ++i) {
            g[i] = static_cast<std::byte>(rng());
        }
    };
    auto text_run = [&](uint64_t at, uint64_t n) {
        static const std::string k_text =
            "The quick brown fox jumps over the lazy dog. 0123456789\n";
        for (uint64_t i = at; i < std::min(size, at + n); ++i) {
            g[i] = static_cast<std::byte>(k_text[i % k_text.size()]);
        }
    };
    random_run(0, 700 * 1024);
    text_run(k_mib, 3 * k_mib);
    random_run(5 * k_mib + 4096, 100 * 1024);
    text_run(7 * k_mib - 3000, 9000);
    random_run(size - 1536, 1536);
    return g;
}

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

ConvertRequest request(const std::string& in, const std::string& in_fmt, const std::string& out,
                       const std::string& out_fmt) {
    ConvertRequest r;
    r.input = in;
    r.input_format = in_fmt;
    r.output = out;
    r.output_format = out_fmt;
    return r;
}

TEST(Convert, CompressedQcow2IsTheSameWhateverTheThreadCount) {
    TempDir dir;
    auto guest = mixed_guest(12 * k_mib + 1536);
    write_file(dir.file("src.raw"), guest);
    std::vector<std::vector<std::byte>> outputs;
    for (unsigned threads : {1u, 4u, 3u}) {
        std::string out = dir.file("out-" + std::to_string(threads) + ".qcow2");
        auto req = request(dir.file("src.raw"), "raw", out, "qcow2");
        req.compress = true;
        req.pipeline.threads = threads;
        req.pipeline.chunk_size = 256 * 1024; // many chunks in flight
        auto s = convert_image(req);
        ASSERT_TRUE(s) << s.error().message;
        EXPECT_EQ(s->stats.threads, threads);
        outputs.push_back(read_file(out));
    }
    EXPECT_TRUE(outputs[0] == outputs[1]);
    EXPECT_TRUE(outputs[0] == outputs[2]);
    auto img = open_image(dir.file("out-4.qcow2"), {});
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_TRUE(read_all(*img->reader) == guest);
    // Compressed: much smaller than the data it holds.
    EXPECT_LT(outputs[0].size(), 2 * k_mib);
}

TEST(Convert, StreamVmdkIsTheSameWhateverTheThreadCount) {
    auto guest = mixed_guest(10 * k_mib);
    auto src = open_mem("raw", guest, "src.raw");
    ASSERT_TRUE(src);
    std::vector<std::vector<std::byte>> outputs;
    for (unsigned threads : {1u, 4u}) {
        io::MemFile f("out.vmdk");
        CreateOptions co;
        co.virtual_size = guest.size();
        formats::vmdk::VmdkWriteOptions vo;
        vo.cid = 0x12345678; // otherwise random
        auto w = formats::vmdk::create_stream_writer(f, "out.vmdk", co, vo);
        ASSERT_TRUE(w) << w.error().message;
        ConvertOptions o;
        o.threads = threads;
        o.chunk_size = 128 * 1024;
        auto s = copy_disk(**src, **w, o);
        ASSERT_TRUE(s) << s.error().message;
        outputs.push_back(f.data());
    }
    EXPECT_TRUE(outputs[0] == outputs[1]);
    auto back = open_mem("vmdk-stream", outputs[0], "out.vmdk");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(read_all(**back) == guest);
}

TEST(Convert, MostlyZeroImageWritesFewBytes) {
    TempDir dir;
    const uint64_t size = 32 * k_mib;
    std::vector<std::byte> guest(size); // stored zeros: a raw file written in full
    std::mt19937 rng(7);
    for (uint64_t i = 20 * k_mib; i < 20 * k_mib + 4096; ++i) {
        guest[i] = static_cast<std::byte>(rng() | 1);
    }
    write_file(dir.file("src.raw"), guest);

    auto s = convert_image(request(dir.file("src.raw"), "raw", dir.file("o.qcow2"), "qcow2"));
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->stats.virtual_size, size);
    EXPECT_EQ(s->stats.bytes_written, 65536u); // one qcow2 cluster
    EXPECT_EQ(s->stats.chunks, 1u);
    EXPECT_EQ(s->files.size(), 1u);
    EXPECT_EQ(s->files[0].path, dir.file("o.qcow2"));
    EXPECT_LT(s->output_size, 512 * 1024u);

    auto r = convert_image(request(dir.file("src.raw"), "raw", dir.file("o.raw"), "raw"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->stats.bytes_written, 4096u); // one raw granule
    EXPECT_EQ(r->output_size, size);
    EXPECT_TRUE(read_file(dir.file("o.raw")) == guest);
    EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"o.qcow2", "o.raw", "src.raw"}));
}

TEST(Convert, HugeSparseDiskIsBoundedWork) {
    const uint64_t size = uint64_t{1} << 40; // 1 TiB
    SyntheticDisk in(size, {{3 * k_mib, k_mib, ExtentKind::data, 1},
                            {(uint64_t{300} << 30) + 4096, 8192, ExtentKind::data, 2},
                            {uint64_t{600} << 30, 64 * k_mib, ExtentKind::zero, 0},
                            {size - k_mib, k_mib, ExtentKind::data, 3}});
    RecordingWriter out(size, 65536, true);
    out.keep = false;
    auto started = std::chrono::steady_clock::now();
    auto s = copy_disk(in, out, {});
    ASSERT_TRUE(s) << s.error().message;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_TRUE(out.finished);
    EXPECT_EQ(in.bytes_read.load(), k_mib + 8192 + k_mib);
    EXPECT_EQ(s->bytes_read, in.bytes_read);
    EXPECT_EQ(out.data_bytes, k_mib + 65536 + k_mib);
    EXPECT_EQ(out.chunks, 3u);
    // The map is asked for in bounded windows, never all at once.
    EXPECT_LE(in.max_extents_length, 64 * k_mib);
    EXPECT_LE(in.extents_calls, size / (64 * k_mib) + 2);
    EXPECT_LT(seconds, 10.0);
}

TEST(Convert, UnallocatedAndZeroExtentsAreNeverRead) {
    const uint64_t size = 9 * k_mib + 4096;
    SyntheticDisk in(size, {{0, 5000, ExtentKind::data, 1},
                            {5000, 200000, ExtentKind::zero, 0},
                            {2 * k_mib, 3 * k_mib, ExtentKind::data, 0}, // stored zeros
                            {5 * k_mib, 700, ExtentKind::data, 2},
                            {6 * k_mib - 10, 20, ExtentKind::data, 3},
                            {size - 100, 100, ExtentKind::data, 4}});
    // Reads in the input stage, and in the parallel stage for readers that
    // allow concurrent reads.
    for (bool concurrent : {false, true}) {
        in.concurrent = concurrent;
        for (uint64_t g : {512u, 4096u, 65536u, 1u << 20}) {
            RecordingWriter out(size, g, true);
            ConvertOptions o;
            o.threads = 2;
            auto s = copy_disk(in, out, o);
            ASSERT_TRUE(s) << s.error().message;
            EXPECT_TRUE(out.image == in.guest()) << "granularity " << g;
            // Only data extents were read: 5000 + 3 MiB + 700 + 20 + 100.
            EXPECT_EQ(s->bytes_read, 5000 + 3 * k_mib + 820) << "granularity " << g;
            // The 3 MiB of stored zeros were read but never written (with
            // granules up to 64 KiB the data around them is far smaller).
            if (g <= 65536) {
                EXPECT_LT(out.data_bytes, 6 * g + 5000);
            }
        }
    }
}

TEST(Convert, ProgressClimbsToTheTotal) {
    auto guest = mixed_guest(6 * k_mib);
    auto src = open_mem("raw", guest, "src.raw");
    ASSERT_TRUE(src);
    RecordingWriter out(guest.size(), 4096, true);
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    ConvertOptions o;
    o.threads = 3;
    o.chunk_size = 512 * 1024;
    o.progress = [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); };
    ASSERT_TRUE(copy_disk(**src, out, o));
    ASSERT_FALSE(calls.empty());
    for (size_t i = 1; i < calls.size(); ++i) {
        EXPECT_LE(calls[i - 1].first, calls[i].first);
        EXPECT_EQ(calls[i].second, guest.size());
    }
    EXPECT_EQ(calls.back().first, guest.size());
}

void read_error_leaves_no_file(bool concurrent);

TEST(Convert, ReadErrorStopsTheConversionAndLeavesNoFile) {
    for (bool concurrent : {false, true}) {
        SCOPED_TRACE(concurrent ? "parallel reads" : "serial reads");
        read_error_leaves_no_file(concurrent);
    }
}

void read_error_leaves_no_file(bool concurrent) {
    TempDir dir;
    const uint64_t size = 16 * k_mib;
    SyntheticDisk in(size, {{0, size, ExtentKind::data, 1}});
    in.fail_reads_at = 9 * k_mib + 5;
    in.concurrent = concurrent;
    {
        io::OutputSet outputs;
        CreateOptions co;
        co.virtual_size = size;
        auto w = create_image(outputs, dir.file("out.qcow2"), *formats::find("qcow2"), co);
        ASSERT_TRUE(w);
        ConvertOptions o;
        o.threads = 4;
        auto s = copy_disk(in, **w, o);
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, Errc::invalid);
        EXPECT_EQ(s.error().message, "synthetic.img: bad sector at offset 9437189");
        // The temporary file, when it has a name at all (O_TMPFILE).
        EXPECT_EQ(files_in(dir.path()).size(), outputs.unnamed() ? 0u : 1u);
    }
    EXPECT_TRUE(files_in(dir.path()).empty());
}

// A writer that records what it got, can be slow, and fails at a given write.
class ProbeWriter final : public DiskWriter {
public:
    WriterCaps capabilities() const override { return {.sequential_only = true}; }
    Result<void> write(const Chunk& chunk) override {
        if (delay.count() > 0) {
            std::this_thread::sleep_for(delay);
        }
        if (++writes == fail_at) {
            return fail(Errc::io, "out.img: write at offset {} failed: No space left on device",
                        chunk.offset);
        }
        offsets.push_back(chunk.offset);
        max_read_ahead = std::max(max_read_ahead, reader->bytes_read.load() - chunk.offset);
        return {};
    }
    Result<void> finish() override {
        finished = true;
        return {};
    }

    SyntheticDisk* reader = nullptr;
    std::chrono::milliseconds delay{0};
    uint64_t fail_at = 0;
    uint64_t writes = 0;
    uint64_t max_read_ahead = 0; // guest bytes read beyond the chunk being written
    std::vector<uint64_t> offsets;
    bool finished = false;
};

TEST(Convert, WriterErrorStopsThePipeline) {
    const uint64_t size = 1024 * k_mib;
    for (bool concurrent : {false, true}) {
        SCOPED_TRACE(concurrent ? "parallel reads" : "serial reads");
        SyntheticDisk in(size, {{0, size, ExtentKind::data, 3}});
        in.concurrent = concurrent;
        ProbeWriter out;
        out.reader = &in;
        out.fail_at = 3;
        ConvertOptions o;
        o.threads = 4;
        o.chunk_size = 64 * 1024;
        auto s = copy_disk(in, out, o);
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, Errc::io);
        EXPECT_EQ(s.error().message,
                  "out.img: write at offset 131072 failed: No space left on device");
        EXPECT_FALSE(out.finished);
        // The pipeline stops soon after: a few chunks in flight, not the disk.
        EXPECT_LT(in.bytes_read.load(), 64 * 64 * 1024u);
    }
}

TEST(Convert, AnExceptionOnTheWriterThreadBecomesTheError) {
    const uint64_t size = 256 * k_mib;
    SyntheticDisk in(size, {{0, size, ExtentKind::data, 7}});
    ProbeWriter out;
    out.reader = &in;
    ConvertOptions o;
    o.threads = 2;
    o.chunk_size = 64 * 1024;
    o.progress = [](uint64_t done, uint64_t) {
        if (done > 10 * 64 * 1024) {
            throw std::runtime_error("progress display failed");
        }
    };
    auto s = copy_disk(in, out, o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::io);
    EXPECT_EQ(s.error().message, "synthetic.img: writing the output: progress display failed");
    EXPECT_FALSE(out.finished);
    EXPECT_LT(in.bytes_read.load(), size / 4); // stopped early, did not hang
}

TEST(Convert, ReadingAheadOfASlowWriterIsBounded) {
    const uint64_t size = 64 * k_mib;
    SyntheticDisk in(size, {{0, size, ExtentKind::data, 5}});
    in.concurrent = true;
    ProbeWriter out;
    out.reader = &in;
    out.delay = std::chrono::milliseconds(2);
    ConvertOptions o;
    o.threads = 4;
    o.chunk_size = 256 * 1024;
    auto s = copy_disk(in, out, o);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(out.finished);
    ASSERT_EQ(out.offsets.size(), size / o.chunk_size);
    EXPECT_TRUE(std::is_sorted(out.offsets.begin(), out.offsets.end()));
    // Chunks exist only as the pipeline's tokens plus as many queued at the
    // writer, so the reader is at most 2 x tokens chunks ahead of the write.
    EXPECT_GT(out.max_read_ahead, 0u);
    EXPECT_LE(out.max_read_ahead, uint64_t{2} * s->tokens * o.chunk_size);
}

TEST(Convert, CancellationStopsBetweenChunks) {
    TempDir dir;
    auto guest = mixed_guest(8 * k_mib);
    write_file(dir.file("src.raw"), guest);
    std::atomic<bool> cancel{false};
    auto req = request(dir.file("src.raw"), "raw", dir.file("out.vhdx"), "vhdx");
    req.pipeline.chunk_size = 64 * 1024;
    req.pipeline.cancel = &cancel;
    req.pipeline.progress = [&](uint64_t done, uint64_t) {
        if (done >= k_mib) {
            cancel = true;
        }
    };
    auto s = convert_image(req);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::io);
    EXPECT_EQ(s.error().message, dir.file("src.raw") + ": conversion interrupted");
    EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"src.raw"});
}

TEST(Convert, RefusalsAndUsageErrors) {
    TempDir dir;
    write_file(dir.file("src.raw"), guest_pattern(2 * k_mib));
    write_file(dir.file("exists.img"), std::vector<std::byte>(10));

    auto s = convert_image(request(dir.file("src.raw"), "raw", dir.file("exists.img"), "qcow2"));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::refused);
    EXPECT_EQ(s.error().message,
              dir.file("exists.img") + ": already exists; refusing to replace it (use --force)");
    EXPECT_EQ(read_file(dir.file("exists.img")).size(), 10u);

    auto req = request(dir.file("src.raw"), "raw", dir.file("exists.img"), "qcow2");
    req.force = true;
    ASSERT_TRUE(convert_image(req));
    EXPECT_GT(read_file(dir.file("exists.img")).size(), 10u);

    req = request(dir.file("src.raw"), "raw", dir.file("c.vhd"), "vhd");
    req.compress = true;
    s = convert_image(req);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::usage);
    EXPECT_EQ(s.error().message,
              "disk format 'vhd' has no compression (--compress works with: qcow2, vmdk-stream)");

    s = convert_image(request(dir.file("src.raw"), "raw", dir.file("x.img"), "qed"));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::usage);

    // The writer refuses its options after the output was created: nothing stays.
    req = request(dir.file("src.raw"), "raw", dir.file("g.vmdk"), "vmdk");
    req.cluster_size = 128 * 1024;
    s = convert_image(req);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::usage);
    EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"exists.img", "src.raw"}));
}

TEST(Convert, OddSizedRawIsPaddedToASectorExceptForRaw) {
    TempDir dir;
    auto guest = mixed_guest(3 * k_mib + 1000);
    write_file(dir.file("odd.raw"), guest);
    auto s = convert_image(request(dir.file("odd.raw"), "raw", dir.file("odd.vmdk"), "vmdk"));
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->stats.virtual_size, 3 * k_mib + 1024);
    auto back = convert_image(request(dir.file("odd.vmdk"), "", dir.file("back.raw"), "raw"));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(read_file(dir.file("back.raw")) == padded(guest, 3 * k_mib + 1024));
    ASSERT_EQ(s->findings.size(), 1u);
    EXPECT_EQ(s->findings[0].severity, Severity::warning);
    EXPECT_EQ(s->findings[0].code, "DISK-SIZE-ROUNDED");
    EXPECT_EQ(s->findings[0].message,
              dir.file("odd.raw") + ": virtual size 3146728 bytes becomes 3146752 bytes in vmdk, "
                                    "which stores whole multiples of 512 bytes (sectors); the "
                                    "added 24 bytes read as zeros");
    auto same = convert_image(request(dir.file("odd.raw"), "raw", dir.file("same.raw"), "raw"));
    ASSERT_TRUE(same);
    EXPECT_TRUE(read_file(dir.file("same.raw")) == guest);
    EXPECT_TRUE(same->findings.empty());
}

// A 1,000,000,000-byte disk is 1,000,341,504 bytes (954 MiB) as vhd-fixed,
// and the summary says from what to what and why; a sector-aligned size
// stays as it is elsewhere.
TEST(Convert, SizeRoundedForTheOutputFormatIsAWarning) {
    TempDir dir;
    write_file(dir.file("big.raw"), {});
    ASSERT_EQ(::truncate(dir.file("big.raw").c_str(), 1000000000), 0);
    auto s = convert_image(request(dir.file("big.raw"), "raw", dir.file("big.vhd"), "vhd-fixed"));
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->stats.virtual_size, 1000341504u);
    ASSERT_EQ(s->findings.size(), 1u);
    EXPECT_EQ(s->findings[0].code, "DISK-SIZE-ROUNDED");
    EXPECT_EQ(s->findings[0].file, dir.file("big.raw"));
    EXPECT_EQ(s->findings[0].message,
              dir.file("big.raw") + ": virtual size 1000000000 bytes becomes 1000341504 bytes in "
                                    "vhd-fixed, which stores whole multiples of 1048576 bytes; "
                                    "the added 341504 bytes read as zeros");
    auto img = disk::open_image(dir.file("big.vhd"), OpenImageOptions{});
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(img->reader->virtual_size(), 1000341504u);
    auto q = convert_image(request(dir.file("big.raw"), "raw", dir.file("big.qcow2"), "qcow2"));
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_TRUE(q->findings.empty());
}

// raw -> every writable format -> raw gives back the guest (padded to the
// format's size), and the format is detected on the way back.
TEST(Convert, EveryWritableFormatRoundTrips) {
    TempDir dir;
    auto guest = mixed_guest(9 * k_mib + 512);
    write_file(dir.file("src.raw"), guest);
    for (const FormatDriver* d : formats::all()) {
        if (d->create == nullptr || d->open == nullptr) {
            continue;
        }
        std::string name(d->name);
        std::string mid = dir.file("mid-" + name + ".img");
        auto s = convert_image(request(dir.file("src.raw"), "raw", mid, name));
        ASSERT_TRUE(s) << name << ": " << s.error().message;
        EXPECT_EQ(s->output_format, name);
        std::string back = dir.file("back-" + name + ".raw");
        auto b = convert_image(request(mid, d->probe ? "" : "raw", back, "raw"));
        ASSERT_TRUE(b) << name << ": " << b.error().message;
        EXPECT_EQ(b->input_format, name);
        auto bytes = read_file(back);
        ASSERT_GE(bytes.size(), guest.size()) << name;
        EXPECT_TRUE(bytes == padded(guest, bytes.size())) << name;
    }
}

} // namespace
} // namespace ovfkit::disk
