#include <algorithm>

#include <sys/stat.h>

#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/ops/import.hpp>
#include <ovfkit/ops/source.hpp>

namespace ovfkit::ops {

namespace {

// The disk format `path` holds, when it is a regular file that one or more
// drivers recognise; empty otherwise (directories, descriptors, OVAs, files
// that cannot be read: the package reader reports those).
// The importer that claims the local `path`, if any.
const platform::ImportSource* importer_of(const std::string& path) {
    if (path == "-" || package::is_url(path)) {
        return nullptr;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        // A live source (libvirt:URI/DOMAIN) is no file: its importer
        // claims it by name alone.
        return path.find(':') != std::string::npos ? platform::claim_import_source(path, false, {})
                                                   : nullptr;
    }
    std::vector<std::byte> head;
    if (S_ISREG(st.st_mode)) {
        auto file = io::open_read(path);
        if (!file) {
            return nullptr;
        }
        head.resize(
            static_cast<size_t>(std::min<uint64_t>(4096, static_cast<uint64_t>(st.st_size))));
        if (!io::read_exact(**file, head, 0)) {
            return nullptr;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        return nullptr;
    }
    return platform::claim_import_source(path, S_ISDIR(st.st_mode), head);
}

std::string disk_format_of(const std::string& path) {
    if (path == "-" || package::is_url(path)) {
        return {}; // read once, by the package reader only
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return {};
    }
    auto file = io::open_read(path);
    if (!file) {
        return {};
    }
    auto probe = disk::read_probe_buffers(**file);
    if (!probe) {
        return {};
    }
    auto matches = disk::confident_matches(probe->input(), disk::formats::all());
    return matches.empty() ? std::string() : std::string(matches.front()->name);
}

} // namespace

Result<package::Source> open_package(const std::string& path, Diagnostics& notes,
                                     const package::RemoteOptions& remote,
                                     const JobControl* control,
                                     const platform::ImportOptions& import) {
    if (const platform::ImportSource* importer = importer_of(path)) {
        return open_import(*importer, path, import, notes);
    }
    if (std::string format = disk_format_of(path); !format.empty()) {
        return fail(Errc::usage,
                    "{}: this is a {} disk image, not an OVF descriptor, package directory or "
                    "OVA; use `ovfkit disk info` to inspect it",
                    path, format);
    }
    package::SourceLimits limits;
    limits.remote = remote;
    if (control != nullptr) {
        limits.remote.cancelled = [token = control->cancel] { return token.cancelled(); };
    }
    return package::Source::open(path, limits, &notes);
}

Result<std::optional<std::vector<std::byte>>>
read_package_file(const package::Source& src, const std::string& name, size_t limit) {
    OVFKIT_TRY_ASSIGN(auto size, src.file_size(name));
    if (!size) {
        return std::optional<std::vector<std::byte>>{};
    }
    if (*size > limit) {
        return fail(Errc::refused, "{}: {} bytes, more than the {} byte limit", name, *size, limit);
    }
    OVFKIT_TRY_ASSIGN(auto file, src.open_file(name));
    std::vector<std::byte> bytes(static_cast<size_t>(*size));
    OVFKIT_TRY(io::read_exact(*file, bytes, 0));
    return std::optional<std::vector<std::byte>>{std::move(bytes)};
}

std::string descriptor_sibling(const std::string& descriptor, std::string_view extension) {
    auto dot = descriptor.rfind('.');
    return (dot == std::string::npos ? descriptor : descriptor.substr(0, dot)) +
           std::string(extension);
}

} // namespace ovfkit::ops
