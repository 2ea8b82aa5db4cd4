// Opening and creating disk images by path, and content detection.
//
// The format of an image is stated by the caller (the -f option, a
// descriptor's ovf:format) or, only when nothing states it, detected from the
// content: every driver with a probe scores the head and tail of the file,
// and exactly one may be confident. Two confident matches are a polyglot
// (one format's header hidden in another's) and a refusal; none is an error
// that asks for -f. Raw has no probe: it is never guessed, and a file named
// as raw is never reinterpreted (SECURITY.md R14). A detected image is opened
// with parents off, whatever the policy says: following a backing file named
// by guessed metadata is exactly the attack of A1/A2.
//
// An opened image keeps its io::Directory alive for as long as its reader:
// formats open the files they name (VMDK extents, parents) beneath it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/io/file.hpp>

namespace ovfkit::disk {

// A driver list; the registry's by default, a test's own where injected.
using DriverList = std::span<const FormatDriver* const>;

// The score from which a probe counts as a match.
inline constexpr int k_confident_score = 50;

// The head and tail of a file, owned, for detection.
struct ProbeBuffers {
    std::vector<std::byte> head;
    std::vector<std::byte> tail;
    uint64_t file_size = 0;
    ProbeInput input() const { return {head, tail, file_size}; }
};

Result<ProbeBuffers> read_probe_buffers(io::File& file);

// The one driver in `drivers` whose probe is confident about `input`.
// Fails with Errc::invalid when none is, Errc::refused when several are;
// both messages start with `name` and say how to name the format instead.
Result<const FormatDriver*> detect_format(const ProbeInput& input, DriverList drivers,
                                          std::string_view name);

// Every driver whose probe is confident about `input` (for warnings).
std::vector<const FormatDriver*> confident_matches(const ProbeInput& input, DriverList drivers);

// The driver with this command-line name; Errc::usage listing the known
// names when there is none.
Result<const FormatDriver*> driver_by_name(std::string_view name,
                                           DriverList drivers = formats::all());

// The file extension an image of `driver` gets (".qcow2", ".vmdk", ".vhd",
// ".vhdx", ".vdi"; ".img" for raw and anything else).
std::string_view file_extension(const FormatDriver& driver);

struct OpenImageOptions {
    std::string format; // a driver name; empty: detect from the content
    OpenPolicy policy;
    DriverList drivers = formats::all();
};

struct Image {
    std::unique_ptr<io::Directory> directory; // declared first: outlives the reader
    std::unique_ptr<DiskReader> reader;
    const FormatDriver* driver = nullptr; // the driver that opened it
    bool detected = false;                // the format came from the content
    // Warnings of opening: the reader's findings() and the image's own (a raw
    // image that looks like qcow2); codes in docs/disk.md.
    std::vector<Finding> findings;
};

// Opens `path` read-only with the named or detected driver.
Result<Image> open_image(const std::string& path, const OpenImageOptions& options);

// Opens the image `name` (one safe path component) beneath `directory`,
// which also holds whatever it names (extents, parents): nothing is opened
// through a symlink or outside that directory.
Result<Image> open_image_at(io::Directory directory, std::string_view name,
                            const OpenImageOptions& options);

// Opens the image held in `file` (a package member) the same way. It may
// refer to no other file: VMDK extents and parent images are refused.
Result<Image> open_image_file(std::unique_ptr<io::File> file, const OpenImageOptions& options);

// The bytes of data extents in the whole map of `reader`, read window by
// window (for readers that do not count them when opening).
Result<uint64_t> data_bytes(DiskReader& reader);

// Creates `path` in `outputs` and a writer of `driver` on it, after
// check_create_options(). The writer may
// create sibling outputs in the same set (a VMDK -flat extent).
Result<std::unique_ptr<DiskWriter>> create_image(io::OutputSet& outputs, const std::string& path,
                                                 const FormatDriver& driver,
                                                 const CreateOptions& options);

} // namespace ovfkit::disk
