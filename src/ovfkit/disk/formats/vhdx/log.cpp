// VHDX log replay into memory ([MS-VHDX] §2.3).
//
// The log is a circular buffer of 4 KiB sectors at header.log_offset. Each
// entry is a 64-byte header plus 32-byte descriptors (126 in the first
// sector, 128 in each further descriptor sector), then one data sector per
// data descriptor. Entries journal BAT and metadata updates; a file whose
// header has a non-zero log_guid may hold updates not yet applied, and must
// not be interpreted without them.
//
// A reader never writes its input, so the active sequence is replayed into a
// LogOverlay that the reader applies to every byte it reads. The search:
//   1. scan every 4 KiB position for an entry header carrying the current
//      log_guid; check its shape, then its CRC-32C (wrapping at the end of
//      the buffer). A CRC mismatch is a torn or stale write and is skipped;
//      a header or descriptor that is impossible for a correctly written
//      entry (descriptor_count overflowing the entry, qemu issue 3860;
//      targets in the header section or the log) is refused as corrupt;
//   2. the valid entry with the highest sequence number is the head; its
//      `tail` names the first entry of the active sequence, whose entries
//      must follow each other with sequence numbers increasing by one;
//   3. apply each entry's descriptors in order.
// Memory is bounded by the log size (at most k_max_replay_log), and the scan
// by a checksum budget proportional to it.
#include <algorithm>
#include <cstring>
#include <vector>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/base/crc32c.hpp>
#include <ovfkit/disk/formats/vhdx/internal.hpp>

namespace ovfkit::disk::formats::vhdx {

uint32_t checksum_with_field_zeroed(std::span<const std::byte> bytes, size_t field_offset) {
    const std::array<std::byte, 4> zeros{};
    uint32_t c = crc32c(bytes.subspan(0, field_offset));
    c = crc32c(zeros, c);
    return crc32c(bytes.subspan(field_offset + 4), c);
}

void LogOverlay::zero(uint64_t offset, uint64_t end) {
    m_sectors.erase(m_sectors.lower_bound(offset), m_sectors.lower_bound(end));
    // Merge with every range that overlaps or touches [offset, end).
    auto it = m_zeros.upper_bound(offset);
    if (it != m_zeros.begin()) {
        auto prev = std::prev(it);
        if (prev->second >= offset) {
            it = prev;
        }
    }
    while (it != m_zeros.end() && it->first <= end) {
        offset = std::min(offset, it->first);
        end = std::max(end, it->second);
        it = m_zeros.erase(it);
    }
    m_zeros.emplace(offset, end);
}

void LogOverlay::put(uint64_t offset, const std::array<std::byte, k_log_sector_size>& sector) {
    m_sectors[offset] = sector;
}

void LogOverlay::apply(uint64_t offset, std::span<std::byte> out) const {
    const uint64_t end = offset + out.size();
    auto z = m_zeros.upper_bound(offset);
    if (z != m_zeros.begin()) {
        --z;
    }
    for (; z != m_zeros.end() && z->first < end; ++z) {
        uint64_t from = std::max(offset, z->first);
        uint64_t to = std::min(end, z->second);
        if (from < to) {
            std::memset(out.data() + (from - offset), 0, to - from);
        }
    }
    // Sectors are 4 KiB-aligned; the one starting before `offset` may overlap.
    auto s =
        m_sectors.lower_bound(offset >= k_log_sector_size ? offset - k_log_sector_size + 1 : 0);
    for (; s != m_sectors.end() && s->first < end; ++s) {
        uint64_t from = std::max(offset, s->first);
        uint64_t to = std::min(end, s->first + k_log_sector_size);
        if (from < to) {
            std::memcpy(out.data() + (from - offset), s->second.data() + (from - s->first),
                        to - from);
        }
    }
}

namespace {

constexpr uint64_t k_sector = k_log_sector_size;
// How far beyond the current end of file a log entry may declare the file to
// reach (blocks appended before a crash and lost with the page cache).
constexpr uint64_t k_max_growth = uint64_t{4} << 30;

struct EntryInfo {
    uint64_t pos = 0; // log offset
    uint64_t length = 0;
    uint64_t sequence = 0;
    uint64_t tail = 0;
};

class LogScanner {
public:
    LogScanner(const std::string& name, const Header& header, std::vector<std::byte> log,
               uint64_t file_size)
        : m_name(name), m_header(header), m_log(std::move(log)), m_file_size(file_size) {}

    Result<LogOverlay> run();

private:
    // The 4 KiB sector at log offset `pos`, wrapping at the end of the log.
    const std::byte* sector(uint64_t pos) const { return m_log.data() + pos % m_log.size(); }

    // Returns the entry at `pos` when it is valid, nullopt when it is not an
    // entry of this log (or a torn one), an error when it is corrupt.
    Result<std::optional<EntryInfo>> check_entry(uint64_t pos);
    Result<void> check_descriptors(const EntryInfo& e, uint32_t count);
    Result<void> apply(const EntryInfo& e, LogOverlay& overlay);

    template <class... Args>
    tl::unexpected<Error> corrupt(uint64_t pos, fmt::format_string<Args...> format,
                                  Args&&... args) const {
        return fail(Errc::refused, "{}: log entry at log offset {}: {}", m_name, pos,
                    fmt::format(format, std::forward<Args>(args)...));
    }

    const std::string& m_name;
    const Header& m_header;
    std::vector<std::byte> m_log;
    uint64_t m_file_size;
    uint64_t m_crc_budget = 0;
};

// Descriptor sectors of an entry: the header takes the room of two descriptors.
uint64_t descriptor_sectors(uint64_t count) {
    return div_round_up(count + 2, k_sector / 32);
}

Result<std::optional<EntryInfo>> LogScanner::check_entry(uint64_t pos) {
    const auto h = load<LogEntryHeader>(sector(pos));
    if (h.signature != k_sig_loge || h.log_guid != m_header.log_guid) {
        return std::nullopt;
    }
    const uint64_t log_length = m_log.size();
    const uint64_t length = h.entry_length;
    if (length == 0 || length % k_sector != 0 || length > log_length) {
        return corrupt(pos,
                       "entry_length {} is not a non-zero multiple of 4096 within the {}-byte log",
                       length, log_length);
    }
    if (h.sequence_number == 0) {
        return corrupt(pos, "sequence_number is 0");
    }
    // The count is checked in 64-bit against what the entry can hold before
    // anything is derived from it (qemu issue 3860).
    const uint64_t count = h.descriptor_count;
    const uint64_t sectors = length / k_sector;
    if (descriptor_sectors(count) > sectors) {
        return corrupt(
            pos, "descriptor_count {} needs {} descriptor sectors but entry_length {} holds {}",
            count, descriptor_sectors(count), length, sectors);
    }
    if (h.tail % k_sector != 0 || h.tail >= log_length) {
        return corrupt(pos, "tail {} is not a 4096-byte aligned offset inside the {}-byte log",
                       uint64_t{h.tail}, log_length);
    }

    // CRC over the whole entry, sector by sector because it may wrap.
    if (m_crc_budget < length) {
        return fail(Errc::refused,
                    "{}: log scan exceeds its checksum budget (a log of {} bytes with many "
                    "overlapping entries); {}",
                    m_name, log_length, k_log_hint);
    }
    m_crc_budget -= length;
    std::array<std::byte, k_sector> first;
    std::memcpy(first.data(), sector(pos), k_sector);
    uint32_t crc = checksum_with_field_zeroed(first, offsetof(LogEntryHeader, checksum));
    for (uint64_t i = 1; i < sectors; ++i) {
        crc = crc32c({sector(pos + i * k_sector), k_sector}, crc);
    }
    if (crc != h.checksum) {
        return std::nullopt; // torn write or stale data: not part of the log
    }
    EntryInfo e{pos, length, h.sequence_number, h.tail};
    OVFKIT_TRY(check_descriptors(e, h.descriptor_count));
    return e;
}

Result<void> LogScanner::check_descriptors(const EntryInfo& e, uint32_t count) {
    const uint64_t sectors = e.length / k_sector;
    const uint64_t desc_sectors = descriptor_sectors(count);
    uint64_t data_index = 0;
    const auto h = load<LogEntryHeader>(sector(e.pos));
    const uint64_t log_begin = m_header.log_offset;
    const uint64_t log_end = log_begin + m_header.log_length;
    for (uint64_t i = 0; i < count; ++i) {
        // Descriptor i sits at byte 64 + 32*i of the entry.
        uint64_t at = 64 + 32 * i;
        const std::byte* p = sector(e.pos + at / k_sector * k_sector) + at % k_sector;
        const auto d = load<LogZeroDescriptor>(p);
        if (d.sequence_number != e.sequence) {
            return corrupt(e.pos, "descriptor {} has sequence_number {}, expected {}", i,
                           uint64_t{d.sequence_number}, e.sequence);
        }
        uint64_t offset = d.file_offset;
        uint64_t length = k_sector;
        if (d.signature == k_sig_zero) {
            length = d.zero_length;
            if (length == 0 || length % k_sector != 0) {
                return corrupt(
                    e.pos, "zero descriptor {}: zero_length {} is not a non-zero multiple of 4096",
                    i, length);
            }
        } else if (d.signature == k_sig_desc) {
            uint64_t data_sector = desc_sectors + data_index++;
            if (data_sector >= sectors) {
                return corrupt(e.pos,
                               "data descriptor {} has no data sector inside entry_length {}", i,
                               e.length);
            }
            const auto s = load<LogDataSector>(sector(e.pos + data_sector * k_sector));
            if (s.signature != k_sig_data || s.sequence_high != (e.sequence >> 32) ||
                s.sequence_low != (e.sequence & 0xffffffffu)) {
                return corrupt(e.pos,
                               "data sector {} does not carry signature 'data' and sequence {}",
                               data_sector, e.sequence);
            }
        } else {
            return corrupt(e.pos, "descriptor {} has an unknown signature 0x{:08x}", i,
                           uint32_t{d.signature});
        }
        auto end = checked_add(offset, length);
        if (offset % k_sector != 0 || !end) {
            return corrupt(
                e.pos, "descriptor {}: file_offset {} length {} is not a 4096-byte aligned range",
                i, offset, length);
        }
        if (offset < k_header_section_size) {
            return corrupt(e.pos, "descriptor {} writes file offset {}, inside the header section",
                           i, offset);
        }
        if (offset<log_end&& * end> log_begin) {
            return corrupt(e.pos, "descriptor {} writes file offset {}, inside the log", i, offset);
        }
        if (*end > h.last_file_offset) {
            return corrupt(e.pos,
                           "descriptor {} writes up to file offset {}, beyond last_file_offset {}",
                           i, *end, uint64_t{h.last_file_offset});
        }
    }
    const uint64_t flushed = h.flushed_file_offset;
    if (flushed > m_file_size) {
        return fail(Errc::refused,
                    "{}: log entry at log offset {}: flushed_file_offset {} is beyond the end of "
                    "the file ({} bytes): the file was truncated",
                    m_name, e.pos, flushed, m_file_size);
    }
    if (h.last_file_offset > m_file_size + k_max_growth) {
        return corrupt(e.pos,
                       "last_file_offset {} is more than {} bytes beyond the end of the file",
                       uint64_t{h.last_file_offset}, k_max_growth);
    }
    return {};
}

Result<void> LogScanner::apply(const EntryInfo& e, LogOverlay& overlay) {
    const auto h = load<LogEntryHeader>(sector(e.pos));
    const uint64_t desc_sectors = descriptor_sectors(h.descriptor_count);
    uint64_t data_index = 0;
    for (uint64_t i = 0; i < h.descriptor_count; ++i) {
        uint64_t at = 64 + 32 * i;
        const std::byte* p = sector(e.pos + at / k_sector * k_sector) + at % k_sector;
        const auto z = load<LogZeroDescriptor>(p);
        if (z.signature == k_sig_zero) {
            overlay.zero(z.file_offset, z.file_offset + z.zero_length);
            continue;
        }
        // Reassemble leading (8) + data (4084) + trailing (4) bytes.
        const auto d = load<LogDataDescriptor>(p);
        const std::byte* s = sector(e.pos + (desc_sectors + data_index++) * k_sector);
        std::array<std::byte, k_sector> out;
        const le64 lead = d.leading_bytes;
        const le32 trail = d.trailing_bytes;
        std::memcpy(out.data(), &lead, 8);
        std::memcpy(out.data() + 8, s + 8, 4084);
        std::memcpy(out.data() + 4092, &trail, 4);
        overlay.put(d.file_offset, out);
    }
    overlay.end_offset = std::max<uint64_t>(overlay.end_offset, h.last_file_offset);
    overlay.entries++;
    overlay.last_sequence = e.sequence;
    return {};
}

Result<LogOverlay> LogScanner::run() {
    const uint64_t log_length = m_log.size();
    m_crc_budget = 16 * log_length + 16 * k_mib;
    std::vector<EntryInfo> valid;
    for (uint64_t pos = 0; pos < log_length;) {
        OVFKIT_TRY_ASSIGN(auto e, check_entry(pos));
        if (e) {
            valid.push_back(*e);
            // A valid entry's sectors hold no other entry; a wrapping entry
            // ends the scan.
            if (pos + e->length >= log_length) {
                break;
            }
            pos += e->length;
        } else {
            pos += k_sector;
        }
    }
    LogOverlay overlay;
    if (valid.empty()) {
        return overlay; // nothing was committed to the log
    }
    std::sort(valid.begin(), valid.end(),
              [](const EntryInfo& a, const EntryInfo& b) { return a.pos < b.pos; });
    auto head = std::max_element(valid.begin(), valid.end(), [](const auto& a, const auto& b) {
        return a.sequence < b.sequence;
    });
    auto at = [&](uint64_t pos) -> const EntryInfo* {
        auto it = std::lower_bound(valid.begin(), valid.end(), pos,
                                   [](const EntryInfo& x, uint64_t p) { return x.pos < p; });
        return it != valid.end() && it->pos == pos ? &*it : nullptr;
    };
    // Walk from the tail to the head; at most one step per valid entry.
    std::vector<const EntryInfo*> sequence;
    const EntryInfo* cur = at(head->tail);
    for (size_t steps = 0; cur != nullptr && steps <= valid.size(); ++steps) {
        if (!sequence.empty() && cur->sequence != sequence.back()->sequence + 1) {
            cur = nullptr;
            break;
        }
        sequence.push_back(cur);
        if (cur == &*head) {
            break;
        }
        cur = at((cur->pos + cur->length) % log_length);
    }
    if (cur != &*head) {
        return fail(Errc::refused,
                    "{}: log entry at log offset {} (sequence {}) names tail {}, which does not "
                    "start an unbroken sequence of entries ending with it; {}",
                    m_name, head->pos, head->sequence, head->tail, k_log_hint);
    }
    for (const EntryInfo* e : sequence) {
        OVFKIT_TRY(apply(*e, overlay));
    }
    return overlay;
}

} // namespace

Result<LogOverlay> replay_log(io::File& file, const Header& header, uint64_t file_size) {
    const uint64_t length = header.log_length;
    if (length > k_max_replay_log) {
        return fail(Errc::refused,
                    "{}: header: the log holds pending updates and is {} bytes, more than the {} "
                    "bytes ovfkit replays in memory; {}",
                    file.name(), length, k_max_replay_log, k_log_hint);
    }
    std::vector<std::byte> log(length);
    OVFKIT_TRY(io::read_exact(file, log, header.log_offset));
    LogScanner scanner(file.name(), header, std::move(log), file_size);
    return scanner.run();
}

} // namespace ovfkit::disk::formats::vhdx
