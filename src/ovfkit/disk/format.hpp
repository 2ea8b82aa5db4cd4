// A disk format driver: one table entry per format (qemu's BlockDriver,
// libarchive's bidders). formats/registry.cpp is the only list of drivers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/disk/writer.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/io/file.hpp>

namespace ovfkit::disk {

// The first and last bytes of a file, for content detection. A fixed VHD is
// only recognisable by its footer, hence the tail.
struct ProbeInput {
    std::span<const std::byte> head; // up to k_probe_head bytes from offset 0
    std::span<const std::byte> tail; // up to k_probe_tail bytes ending at file_size
    uint64_t file_size = 0;
};
inline constexpr size_t k_probe_head = 64 * 1024;
inline constexpr size_t k_probe_tail = 64 * 1024;

// Policy for what an image may refer to (SECURITY.md R1, R4).
struct OpenPolicy {
    bool allow_parent = false; // differencing/backing chains inside the directory
    uint32_t max_chain_depth = 16;
    uint64_t max_virtual_size = uint64_t{64} << 40; // 64 TiB, VHDX's maximum
    // A structure the metadata promises that lies past the end of the file
    // (a truncated image) is an error (Errc::invalid) unless this is set;
    // then the guest bytes it would hold read as zeros and are listed in
    // DiskReader::missing() (--salvage).
    bool salvage = false;
};

// One image of a parent chain that is being opened (disk/chain.hpp).
struct ChainLink {
    std::string name;               // io::File::name() of the image
    std::optional<io::FileId> file; // its host identity, when it has one
    std::string identity;           // its format identity ("unique_id U"); empty: none
};

struct OpenContext {
    std::unique_ptr<io::File> file; // the image (for VMDK: the descriptor or sparse file)
    const io::Directory* directory; // where referenced files (extents, parents) may live;
                                    // null when the image may refer to nothing
    OpenPolicy policy;
    uint32_t depth = 0;             // position in a parent chain
    std::vector<ChainLink> chain{}; // the images that named this one, the first child first
};

struct CreateContext {
    io::File* file;         // the main output (already created, empty)
    std::string path;       // its final path, for naming sibling files
    io::OutputSet* outputs; // creates sibling outputs (VMDK flat extent)
    CreateOptions options;
};

// The cluster (grain, block) sizes a writer accepts as
// CreateOptions::cluster_size. create_image() checks the options against
// this before the writer sees them (check_create_options in image.hpp).
struct ClusterSizes {
    std::string_view what = "cluster size"; // what the format calls it
    uint64_t min = 0;                       // min == max == 0: no cluster size at all
    uint64_t max = 0;
    uint64_t default_size = 0; // what 0 picks
    bool power_of_two = true;
};

struct FormatDriver {
    std::string_view name;        // command-line name: "vmdk-stream"
    std::string_view description; // one line for --help and --version
    std::string_view family;      // qemu-img format name: "vmdk", "vpc", "qcow2", ...
    // Score 0..100 of how surely `input` is this format; nullptr for raw,
    // which is never detected.
    int (*probe)(const ProbeInput& input);
    // Opens a reader; nullptr when the format is write-only.
    Result<std::unique_ptr<DiskReader>> (*open)(OpenContext& ctx);
    // Creates a writer; nullptr when the format is read-only.
    Result<std::unique_ptr<DiskWriter>> (*create)(CreateContext& ctx);
    uint64_t max_virtual_size = 0; // 0: no limit beyond the policy
    bool supports_compression = false;
    // The converter rounds the virtual size of an output up to a multiple of
    // this (a DISK-SIZE-ROUNDED warning says so): 512-byte sectors, 1 for raw
    // (the exact size), 1 MiB for vhd-fixed.
    uint64_t size_unit = 512;
    // The OVF Disk/@ovf:format URIs this driver answers to, as producers
    // write them; the first is the one ovfkit writes (disk/ovf_uri.hpp).
    // Empty: no URI is known for the format.
    std::span<const std::string_view> ovf_uris{};
    // What CreateOptions the writer accepts; supports_compression above says
    // whether `compress` may be set.
    ClusterSizes cluster_sizes{};
};

// Checks `options` against what `driver` declares (ClusterSizes,
// supports_compression): Errc::usage naming `path` and the rule.
// create_image() calls it; writers rely on it (image.cpp).
Result<void> check_create_options(const FormatDriver& driver, const CreateOptions& options,
                                  std::string_view path);

} // namespace ovfkit::disk
