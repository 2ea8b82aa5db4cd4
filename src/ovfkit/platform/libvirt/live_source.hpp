// Import from a running libvirt daemon: `libvirt:URI/DOMAIN`.
//
// The domain's inactive XML is read through libvirt's API
// (virDomainGetXMLDesc) and mapped by the domain reader (domain_reader.hpp)
// with volumes resolved. Each disk's bytes are then streamed from its
// storage pool (virStorageVolDownload, received in bounded chunks) into a
// staging directory the caller owns, one plain file per disk
// ("<dev>.<format>"); the import then proceeds as for a domain XML file in
// that directory, so the engine's contract (disks named relative to the
// source's directory) holds unchanged. Disks whose file is in no storage
// pool cannot be read through the API and are refused, as are domains that
// are running or paused (their disks change while read): `--snapshot`, an
// external snapshot taken for the copy, is not implemented yet.
#pragma once

#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/platform/libvirt/domain_reader.hpp>

namespace ovfkit::platform::libvirt {

inline constexpr std::string_view k_live_prefix = "libvirt:";

struct LiveAddress {
    std::string uri;    // "qemu:///system", "qemu:///session?socket=/run/x/sock"
    std::string domain; // its name
};

// Splits "libvirt:URI/DOMAIN" at the last '/' (a domain name holds none).
// Errc::usage when the prefix, the URI or the domain is missing.
Result<LiveAddress> parse_live_source(std::string_view source);

struct LiveOptions {
    bool keep_mac = false;
    bool snapshot = false; // refused: not implemented yet
};

struct LiveImport {
    // Disk paths relative to the staging directory (a CD-ROM medium is not
    // downloaded; its drive is kept empty and noted).
    DomainImport domain;
    std::string uri;           // the connection's URI as libvirt reports it
    uint64_t bytes_copied = 0; // the sum of the volumes' downloaded sizes
};

// Errors: Errc::io when the connection, a lookup or a download fails (the
// message carries libvirt's) or on cancel; Errc::refused for a running
// domain, a disk outside any storage pool, or what the domain reader
// refuses; Errc::invalid for what it finds invalid.
Result<LiveImport> read_live_domain(const LiveAddress& address, const std::string& staging_dir,
                                    const LiveOptions& options, const ops::JobControl& job);

} // namespace ovfkit::platform::libvirt
