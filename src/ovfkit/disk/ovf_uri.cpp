// OVF disk format URIs (ovf_uri.hpp).
#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/ovf_uri.hpp>

namespace ovfkit::disk {

std::string normalized_uri(std::string_view uri) {
    std::string s = ascii_lower(trim(uri));
    std::string_view v = s;
    for (std::string_view scheme : {"http://", "https://"}) {
        if (v.starts_with(scheme)) {
            v.remove_prefix(scheme.size());
            break;
        }
    }
    if (v.starts_with("www.")) {
        v.remove_prefix(4);
    }
    while (v.ends_with('/')) {
        v.remove_suffix(1);
    }
    return std::string(v);
}

const FormatDriver* format_for_uri(std::string_view uri, DriverList drivers) {
    const std::string want = normalized_uri(uri);
    if (want.empty()) {
        return nullptr;
    }
    for (const FormatDriver* d : drivers) {
        for (std::string_view u : d->ovf_uris) {
            if (normalized_uri(u) == want) {
                return d;
            }
        }
    }
    return nullptr;
}

std::string_view uri_for_format(std::string_view name, DriverList drivers) {
    for (const FormatDriver* d : drivers) {
        if (d->name == name) {
            return d->ovf_uris.empty() ? std::string_view{} : d->ovf_uris.front();
        }
    }
    return {};
}

} // namespace ovfkit::disk
