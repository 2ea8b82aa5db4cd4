// Opening the package an appliance operation names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/job.hpp>
#include <ovfkit/package/source.hpp>
#include <ovfkit/platform/import_source.hpp>

namespace ovfkit::ops {

// Opens `path` as a package (descriptor, directory or OVA; a local path,
// "-" for stdin, or an http(s) URL fetched with `remote`, whose transfers
// `control`'s token cancels). A regular file that is a disk image (any
// format's probe is confident about it) is refused with Errc::usage and a
// pointer to `ovfkit disk info`, instead of the descriptor parser's
// complaint about its size or its first byte. A local file or directory an
// importer claims (a .vmx ...) is imported (ops/import.hpp) with `import`
// and presented as an assembled package.
Result<package::Source> open_package(const std::string& path, Diagnostics& notes,
                                     const package::RemoteOptions& remote = {},
                                     const JobControl* control = nullptr,
                                     const platform::ImportOptions& import = {});

// The bytes of the small package file `name` (a manifest, a certificate);
// nullopt when the package has no such file. Errc::refused when it is larger
// than `limit`.
Result<std::optional<std::vector<std::byte>>>
read_package_file(const package::Source& src, const std::string& name, size_t limit);

// The package file beside the descriptor with another extension, as DSP0243
// names the manifest and the certificate: ("vm.ovf", ".mf") -> "vm.mf".
std::string descriptor_sibling(const std::string& descriptor, std::string_view extension);

} // namespace ovfkit::ops
