// OVA (tar) member index over the one tar walker (tar_reader.hpp).
//
// What an OVA may hold (SECURITY.md R6, R7): regular files with single
// component names only; the walker refuses links, devices, FIFOs, sparse
// and multi-volume entries. Directory entries without content are ignored
// (tar -C dir . writes "./"). Duplicate names are refused: two tools that
// pick different copies of "disk.vmdk" would hash one and import the other.
// For the same reason names equal after Unicode NFC normalisation and full
// case folding (ICU) are refused: "Disk.vmdk" and "disk.vmdk", or "é"
// precomposed and "e" + U+0301, are one file once unpacked on macOS,
// Windows or a case-insensitive file system.
//
// Tolerated with a warning: a missing end-of-archive marker, and bytes
// after it.
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/package/tar_index.hpp>

namespace ovfkit::package {

namespace {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        uint32_t cp = 0;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) {
            return false;
        }
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<uint8_t>(s[i + k]);
            if ((cc & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += len;
    }
    return true;
}

// The name as a case-insensitive, normalisation-insensitive file system sees
// it: NFC of the case-folded NFC (folding can denormalise). nullopt when ICU
// cannot convert it (never for the valid UTF-8 checked before).
std::optional<std::string> collision_key(std::string_view name) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) {
        return std::nullopt;
    }
    icu::UnicodeString text = icu::UnicodeString::fromUTF8(
        icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
    icu::UnicodeString folded = nfc->normalize(text, status).foldCase();
    icu::UnicodeString key = nfc->normalize(folded, status);
    if (U_FAILURE(status)) {
        return std::nullopt;
    }
    std::string out;
    key.toUTF8String(out);
    return out;
}

} // namespace

const TarMember* TarIndex::find(std::string_view name) const {
    for (const auto& m : m_members) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

Result<TarIndex> TarIndex::build(io::File& file, const TarLimits& limits, Diagnostics* notes) {
    const std::string& where = file.name();
    OVFKIT_TRY_ASSIGN(TarReader reader, TarReader::open(file, limits, notes));
    TarIndex index;
    std::unordered_map<std::string, size_t> by_name;
    std::unordered_map<std::string, std::string> by_folded;
    while (true) {
        OVFKIT_TRY_ASSIGN(std::optional<TarReader::Entry> entry, reader.next());
        if (!entry) {
            break;
        }
        if (entry->directory) {
            continue;
        }
        const uint64_t header_offset = entry->header_offset;
        std::string name = entry->name;
        if (name.starts_with("./")) {
            name.erase(0, 2);
        }
        if (!valid_utf8(name)) {
            return fail(Errc::refused, "{}: member at offset {}: name is not valid UTF-8", where,
                        header_offset);
        }
        if (auto ok = io::check_member_name(name); !ok) {
            return fail(Errc::refused, "{}: member at offset {}: {}", where, header_offset,
                        ok.error().message);
        }
        if (by_name.contains(name)) {
            return fail(Errc::refused,
                        "{}: member '{}' at offset {} has the same name as the member at offset "
                        "{}; duplicate names are refused",
                        where, name, header_offset,
                        index.m_members[by_name.at(name)].header_offset);
        }
        auto key = collision_key(name);
        if (!key) {
            return fail(Errc::refused, "{}: member at offset {}: name cannot be normalised", where,
                        header_offset);
        }
        if (auto it = by_folded.find(*key); it != by_folded.end()) {
            const TarMember& first = index.m_members[by_name.at(it->second)];
            return fail(Errc::refused,
                        "{}: member '{}' at offset {} and member '{}' at offset {} are the same "
                        "name after case folding and Unicode normalisation (NFC); they would "
                        "overwrite each other when unpacked, so the archive is refused",
                        where, name, header_offset, first.name, first.header_offset);
        }
        by_folded.emplace(std::move(*key), name);
        by_name.emplace(name, index.m_members.size());
        index.m_members.push_back(TarMember{name, header_offset, entry->data_offset, entry->size});
    }
    if (!reader.ended_with_marker() && notes != nullptr) {
        notes->warning("OVA-TAR-001",
                       fmt::format("archive has no end-of-archive marker (two zero blocks) after "
                                   "offset {}; it may be truncated",
                                   reader.offset()),
                       where);
    }
    return index;
}

} // namespace ovfkit::package
