// Import from libvirt: a domain XML document read into a PlanVm in the
// plan's vocabulary (vm_plan.hpp), the reverse of map.cpp + domain_xml.cpp,
// so that importing an exported domain gives back the plan it came from.
//
// The document is untrusted: it is parsed by the hardened loader
// (xml/document.hpp) under tighter limits than an OVF (a domain is small),
// and every name taken from it is checked before anything opens it:
//   - a disk or CD-ROM <source file=...> is a path relative to the XML's
//     directory with no '..' component, no ':' (R3, protocol syntax), no
//     backslash, control character or leading '-'; an absolute path is
//     refused (Errc::refused, R1) unless ReadOptions::allow_absolute_paths,
//     and even then a path under /dev, /proc or /sys never is (a device node
//     is not a disk file; the opener also requires S_ISREG, R5);
//   - <disk type='block'> (a host device) and a <disk> whose source is a
//     network protocol (R2) are refused; type='volume' (a storage pool's
//     volume) cannot be read from a directory and is refused with a pointer
//     to the live source `libvirt:URI/DOMAIN`, which resolves it;
//   - a <backingStore> chain must keep the same rules, be at most 16 deep
//     and name no file twice (a loop is Errc::refused). The chain is read
//     from the images themselves by the disk engine (R4); the XML's copy is
//     only checked and reported;
//   - counts are capped (64 disks and CD-ROMs, 64 NICs: k_import_max_devices)
//     and numbers checked:
//     memory in any libvirt unit must fit 16 TiB, vCPUs 1..4096.
// Everything OVF cannot carry (graphics, video, sound, channels, consoles,
// host devices, USB redirection, RNG, watchdog, filesystems ...) is a
// PlanNote: `dropped` when it changes what the guest sees, `info` when the
// target adds its own (console, graphics, video, input, balloon).
// Codes are listed in docs/import.md, ## libvirt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/libvirt/map.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::libvirt {

struct ReadOptions {
    // Disk paths may be absolute (never under /dev, /proc, /sys).
    bool allow_absolute_paths = false;
    // NIC MAC addresses are kept; by default they are dropped (noted) so
    // that the imported VM does not clash with the original.
    bool keep_mac = false;
    // Volumes (<disk type='volume'>) are resolved by the caller (the live
    // source); the reader records pool and volume instead of refusing.
    bool resolve_volumes = false;
};

// Where a disk's (or a CD-ROM's) bytes are, as the domain names them.
struct DomainSource {
    // A file: relative to the XML's directory ("disks/a.qcow2"), or
    // absolute when allowed. "" for a volume or an empty CD-ROM drive.
    std::string path;
    // A storage volume (ReadOptions::resolve_volumes): pool and name.
    std::string pool;
    std::string volume;
    // The qemu driver type as stated ("qcow2", "raw", "vmdk", ...), "" when
    // the domain does not state it.
    std::string format;
    // The <backingStore> files named by the domain, top first (checked,
    // informational).
    std::vector<std::string> backing;
};

struct DomainImport {
    PlanVm vm;
    // Index for index with vm.disks and vm.cdroms. vm.disks[i].file_name
    // and .format hold the same path and driver type; capacity_bytes is 0
    // (the image says, not the domain).
    std::vector<DomainSource> disks;
    std::vector<DomainSource> cdroms;
    std::string uuid;           // <uuid>, "" when none
    std::string domain_type;    // "kvm", "qemu", "xen", ...
    std::vector<MapNote> notes; // in document order
};

// Reads domain XML `text`; `name` is used in messages ("vm.xml:12: ...").
// Errors: Errc::refused for security refusals (paths, block devices,
// network sources, loops, limits), Errc::invalid for a malformed or
// unusable domain (no name, bad numbers, an unknown unit).
Result<DomainImport> read_domain(std::string_view text, std::string name,
                                 const ReadOptions& options = {});

// The libosinfo short id of an OS URI as libvirt's metadata records it
// ("http://centos.org/centos/7.0" -> "centos7.0",
// "http://microsoft.com/win/2k22" -> "win2k22"); nullopt when the URI is
// not of the http://HOST/FAMILY/VERSION form. The reverse of osinfo_uri.
std::optional<std::string> osinfo_short_id(std::string_view uri);

// The bytes of `value` in libvirt's `unit` ("KiB" when empty; b, bytes, k,
// KB, KiB, M, MB, MiB, G, GB, GiB, T, TB, TiB, P, PB, PiB, E, EB, EiB);
// nullopt for an unknown unit, a non-decimal value or an overflow.
std::optional<uint64_t> scaled_bytes(std::string_view value, std::string_view unit);

// The index of a libvirt target device name's letters ("vda" -> 0,
// "sdb" -> 1, "hdaa" -> 26) after `prefix`; nullopt when it is not one.
std::optional<unsigned> device_index(std::string_view dev, std::string_view prefix);

} // namespace ovfkit::platform::libvirt
