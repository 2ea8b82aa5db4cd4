// What `ovfkit convert` will write, decided before any byte is written
// (convert_plan.cpp), and the writing itself (convert.cpp).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/write_window.hpp>
#include <ovfkit/ops/convert.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/package/manifest.hpp>
#include <ovfkit/package/references.hpp>
#include <ovfkit/package/source.hpp>

namespace ovfkit::ops::convert_detail {

// Placeholder for numbers known only once the disks are written: as long
// as any uint64, so the final descriptor is never longer than the one
// reserved for it.
inline constexpr const char* k_size_placeholder = "18446744073709551615";

struct DiskRef {
    size_t section = 0; // index in Envelope::sections
    size_t disk = 0;    // index in that DiskSection's disks
};

// One file of the target package.
struct Member {
    std::string source_name; // in the source package
    std::string name;        // in the target package
    uint64_t size = 0;       // the source file's size
    // Set for a disk converted on the way.
    const disk::FormatDriver* to = nullptr;
    std::unique_ptr<disk::Image> image; // the source disk, open
    uint64_t virtual_size = 0;          // the target's (rounded up to the format's unit)
    std::string source_format;
    size_t file_index = 0;      // its References File, for the rewrite
    std::vector<DiskRef> disks; // the Disks it backs
    // A converted disk stored chunked or compressed in the source: where its
    // bytes are (read through package::open_reference_file).
    std::optional<package::StoredLayout> layout;
    // How the target stores it.
    int compress = 0;                        // gzip level; 0: not compressed
    std::optional<uint64_t> chunk;           // chunk size, when split
    std::optional<Uuid> uuid = std::nullopt; // the identity a converted disk is stamped with
};

struct Plan {
    PackageForm form = PackageForm::ova;
    std::string target;          // the OVA, or the directory
    std::string descriptor;      // the descriptor's name in the target
    ovf::Envelope envelope;      // rewritten when `rewrite`
    bool rewrite = false;        // the descriptor is written anew (disks converted)
    std::vector<Member> members; // References order, chunks expanded

    // The source's manifest and certificate, when it has them.
    std::optional<std::string> source_manifest_name;
    std::optional<package::Manifest> source_manifest;
    std::vector<std::byte> source_manifest_bytes;
    std::optional<std::string> source_certificate_name;
    std::vector<std::byte> source_certificate_bytes;

    // The target's.
    std::optional<std::string> manifest; // name; nullopt: no manifest
    io::DigestAlgorithm algorithm = io::DigestAlgorithm::sha256;
    bool keep_manifest = false;
    std::optional<std::string> certificate;
    std::string certificate_action; // "kept", "signed", "dropped", ""

    uint64_t mtime = 0;
    uint64_t total_work = 0; // progress units: copied bytes + converted guest bytes
};

// Decides everything: names, forms, which disks convert, the manifest and
// certificate, and opens the disks to convert. Findings go to `diag`.
Result<Plan> make_plan(const ConvertOptions& options, const package::Source& src,
                       Diagnostics& diag);

// The descriptor with every placeholder replaced by the members' sizes
// (`written[i]`: the stored parts of member i).
void set_member_sizes(Plan& plan, const std::vector<std::vector<ConvertedFile>>& written);

// Progress over the whole package and cancellation between pieces.
struct Work {
    const JobControl& control;
    uint64_t total = 0;
    uint64_t done = 0; // units of the members finished

    Result<void> at(uint64_t in_member, const std::string& what) const;
};

// One stored file of the target, open for writing: a window at its place
// (a tar member's data, a file of the directory) that hashes what it gets.
struct Part {
    std::unique_ptr<io::WriteWindow> window;
    std::function<Result<void>(uint64_t size)> close; // ends the member
    std::shared_ptr<void> keep;                       // what the window writes into, if owned
};

// Opens the stored file `name` of the target; `size` when known before its
// data is written.
using OpenPart = std::function<Result<Part>(const std::string& name, std::optional<uint64_t> size,
                                            std::optional<io::DigestAlgorithm> algorithm)>;

// Writes every member of the plan through `open_part`, in order; returns
// the stored parts of each member (one, or its chunks). The source's
// manifest, when there is one, is checked against what was read: a
// mismatch is Errc::refused.
// `sizing`: a first pass that only learns stored sizes (before a stream):
// plain copies are skipped (an empty entry each), source disks stay open for
// the real pass, and the full manifest check is left to that pass.
Result<std::vector<std::vector<ConvertedFile>>>
write_members(Plan& plan, const package::Source& src, const ConvertOptions& options, Work& work,
              const OpenPart& open_part, bool sizing = false);

} // namespace ovfkit::ops::convert_detail
