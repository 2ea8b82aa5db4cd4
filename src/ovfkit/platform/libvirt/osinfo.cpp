// osinfo short id -> URI; see osinfo.hpp.
#include <array>

#include <fmt/format.h>

#include <ovfkit/platform/libvirt/osinfo.hpp>

namespace ovfkit::platform::libvirt {

namespace {

// A version as osinfo-db writes them: digits and dots, starting and
// ending with a digit.
bool is_version(std::string_view v) {
    if (v.empty() || v.size() > 16 || v.front() == '.' || v.back() == '.') {
        return false;
    }
    for (char c : v) {
        if (!((c >= '0' && c <= '9') || c == '.')) {
            return false;
        }
    }
    return true;
}

struct Family {
    std::string_view prefix; // short id = prefix + version
    std::string_view uri;    // URI = uri + version
};

// Families whose short ids and URIs follow one rule in osinfo-db; the
// first prefix that matches decides ("centos-stream" before "centos").
constexpr std::array<Family, 10> k_families{{
    {"debian", "http://debian.org/debian/"},
    {"ubuntu", "http://ubuntu.com/ubuntu/"},
    {"fedora", "http://fedoraproject.org/fedora/"},
    {"rhel", "http://redhat.com/rhel/"},
    {"centos-stream", "http://centos.org/centos-stream/"},
    {"centos", "http://centos.org/centos/"},
    {"freebsd", "http://freebsd.org/freebsd/"},
    {"opensuse", "http://opensuse.org/opensuse/"},
    {"alpinelinux", "http://alpinelinux.org/alpinelinux/"},
    {"linux", "http://libosinfo.org/linux/"},
}};

// Windows: the short id is "win" + the URI's last segment.
constexpr std::array<std::string_view, 20> k_windows{
    "xp",     "2k3", "2k3r2", "vista", "2k8", "2k8r2", "7",    "8",  "8.1", "2k12",
    "2k12r2", "10",  "2k16",  "2k19",  "11",  "2k22",  "2k25", "2k", "me",  "98"};

} // namespace

std::optional<std::string> osinfo_uri(std::string_view short_id) {
    if (short_id.starts_with("win")) {
        std::string_view rest = short_id.substr(3);
        for (auto w : k_windows) {
            if (rest == w) {
                return fmt::format("http://microsoft.com/win/{}", w);
            }
        }
        return std::nullopt;
    }
    for (const auto& f : k_families) {
        if (short_id.starts_with(f.prefix)) {
            std::string_view version = short_id.substr(f.prefix.size());
            // "linux" ids are years (linux2022); other families' versions.
            if (!is_version(version) || (f.prefix == "linux" && version.size() != 4)) {
                return std::nullopt;
            }
            // Aliases osinfo-db keeps for older releases: debian6.0 is
            // debian/6 (but debian2.0 is debian/2.0), centos7 is centos/7.0.
            if (f.prefix == "debian" && version.size() == 3 && version.ends_with(".0") &&
                version[0] >= '3' && version[0] <= '6') {
                version.remove_suffix(2);
            }
            if (f.prefix == "centos" && version == "7") {
                return std::string("http://centos.org/centos/7.0");
            }
            return fmt::format("{}{}", f.uri, version);
        }
    }
    return std::nullopt;
}

} // namespace ovfkit::platform::libvirt
