// The XVA stream (formats/kvm-xen-hyperv.md 5.1, 6.1, 6.2): a tar of
// ova.xml, then for each VDI, in the string order of its id, its 1 MiB
// blocks `Ref:N/<8-digit index>`, each followed by its checksum member:
// `<index>.checksum` (SHA-1, the default: every xapi reads it) or
// `<index>.xxhash` (XXH64, --xva-checksum xxhash; block_sum.hpp). All-zero blocks are left out
// except the first and the last, which xapi needs to size the gaps and to know where the VDI ends.
// A disk whose size is not a whole MiB ends with a short block.
//
// Each disk streams through the disk engine (disk::copy_disk): the blocks'
// checksums are computed in encode() on every worker thread, and write()
// appends the members in order through a page-aligned TarAppender, so the
// archive is written past the page cache.
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include <ovfkit/disk/convert.hpp>
#include <ovfkit/io/sink.hpp>
#include <ovfkit/package/tar_appender.hpp>
#include <ovfkit/platform/xenserver/block_sum.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>

namespace ovfkit::platform::xenserver {

namespace {

std::span<const std::byte> zeros(size_t n) {
    static const std::vector<std::byte> block(k_block);
    return std::span(block).first(n);
}

std::span<const std::byte> bytes_of(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

struct Digests final : disk::EncodedChunk {
    std::vector<std::string> sums; // one per data block of the chunk, in order
};

// One VDI's members.
class BlockWriter final : public disk::DiskWriter {
public:
    BlockWriter(package::TarAppender& tar, std::string dir, uint64_t size, uint64_t mtime,
                BlockSum sum)
        : m_tar(tar), m_dir(std::move(dir)), m_size(size), m_mtime(mtime), m_sum(sum),
          m_blocks((size + k_block - 1) / k_block) {}

    disk::WriterCaps capabilities() const override {
        return {.sequential_only = true, .granularity = k_block};
    }

    Result<void> encode(disk::Chunk& chunk) const override {
        auto out = std::make_unique<Digests>();
        for (const disk::Extent& run : chunk.runs) {
            if (run.kind != disk::ExtentKind::data) {
                continue;
            }
            for (uint64_t at = run.offset; at < run.offset + run.length; at += k_block) {
                uint64_t n = std::min(k_block, run.offset + run.length - at);
                OVFKIT_TRY_ASSIGN(std::string d,
                                  block_sum(m_sum, chunk.data.subspan(at - chunk.offset, n)));
                out->sums.push_back(std::move(d));
            }
        }
        chunk.encoded = std::move(out);
        return {};
    }

    Result<void> write(const disk::Chunk& chunk) override {
        const auto* digests = dynamic_cast<const Digests*>(chunk.encoded.get());
        size_t next_digest = 0;
        for (const disk::Extent& run : chunk.runs) {
            for (uint64_t at = run.offset; at < run.offset + run.length; at += k_block) {
                uint64_t n = std::min(k_block, run.offset + run.length - at);
                uint64_t index = at / k_block;
                if (run.kind == disk::ExtentKind::data) {
                    std::string sum;
                    if (digests != nullptr && next_digest < digests->sums.size()) {
                        sum = digests->sums[next_digest++];
                    } else {
                        OVFKIT_TRY_ASSIGN(
                            sum, block_sum(m_sum, chunk.data.subspan(at - chunk.offset, n)));
                    }
                    OVFKIT_TRY(block(index, chunk.data.subspan(at - chunk.offset, n), sum));
                } else if (index == 0 || index + 1 == m_blocks) {
                    OVFKIT_TRY(zero_block(index));
                }
            }
        }
        return {};
    }

    Result<void> finish() override {
        if (m_blocks > 0 && m_next <= m_blocks - 1) {
            OVFKIT_TRY(zero_block(m_blocks - 1));
        }
        return {};
    }

private:
    Result<void> zero_block(uint64_t index) {
        size_t n = static_cast<size_t>(std::min(k_block, m_size - index * k_block));
        OVFKIT_TRY_ASSIGN(std::string sum, block_sum(m_sum, zeros(n)));
        return block(index, zeros(n), sum);
    }

    // Appends block `index` (and block 0 first when the disk starts with
    // zeros that produced no chunk).
    Result<void> block(uint64_t index, std::span<const std::byte> data, const std::string& sum) {
        if (index < m_next || index >= m_blocks) {
            return fail(Errc::io, "{}: block {} out of order", m_dir, index);
        }
        if (index > 0 && m_next == 0) {
            OVFKIT_TRY(zero_block(0));
        }
        std::string name = fmt::format("{}/{:08}", m_dir, index);
        package::TarEntry e;
        e.name = name;
        e.mtime = m_mtime;
        e.generated = true;
        OVFKIT_TRY(m_tar.add(e, data));
        e.name = name + std::string(block_sum_suffix(m_sum));
        OVFKIT_TRY(m_tar.add(e, bytes_of(sum)));
        m_next = index + 1;
        return {};
    }

    package::TarAppender& m_tar;
    std::string m_dir;
    uint64_t m_size;
    uint64_t m_mtime;
    BlockSum m_sum;
    uint64_t m_blocks;
    uint64_t m_next = 0; // the next block index that may be written
};

} // namespace

Result<void> write_xva(const ArchiveJob& job) {
    BlockSum sum = BlockSum::sha1;
    if (!job.block_checksum.empty()) {
        auto named = block_sum_named(job.block_checksum);
        if (!named) {
            return fail(Errc::usage, "--xva-checksum {}: not one of sha1, xxhash",
                        job.block_checksum);
        }
        sum = *named;
    }
    std::vector<uint64_t> sizes;
    uint64_t total = 0;
    for (const ArchiveDisk& d : job.disks) {
        sizes.push_back(d.virtual_size);
        total += d.virtual_size;
    }
    OVFKIT_TRY_ASSIGN(std::string xml, ova_xml(job.plan, sizes));
    package::TarAppender tar(job.out);
    package::TarEntry meta;
    meta.name = "ova.xml";
    meta.mtime = job.mtime;
    OVFKIT_TRY(tar.add(meta, bytes_of(xml)));
    uint64_t done = 0;
    for (size_t i = 0; i < job.disks.size(); ++i) {
        const ArchiveDisk& d = job.disks[i];
        if (job.cancel != nullptr && job.cancel->load(std::memory_order_relaxed)) {
            return fail(Errc::io, "{}: cancelled", job.out.name());
        }
        BlockWriter writer(tar, vdi_ref(i), d.virtual_size, job.mtime, sum);
        if (d.reader == nullptr) {
            OVFKIT_TRY(writer.finish()); // a blank disk: its first and last blocks
        } else {
            disk::ConvertOptions o;
            o.threads = job.threads;
            o.cancel = job.cancel;
            o.chunk_size = 4 * k_block;
            if (job.progress) {
                o.progress = [&](uint64_t in_disk, uint64_t) {
                    job.progress(done + in_disk, total);
                };
            }
            OVFKIT_TRY(disk::copy_disk(*d.reader, writer, o));
        }
        done += d.virtual_size;
        if (job.progress) {
            job.progress(done, total);
        }
    }
    return tar.finish();
}

} // namespace ovfkit::platform::xenserver
