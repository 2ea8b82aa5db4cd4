// OVF Disk/@ovf:format URIs and the drivers that answer to them.
//
// Each driver lists the URIs producers write for its format
// (FormatDriver::ovf_uris, shared formats/ovf-ova.md 3.3); the first is the
// one ovfkit writes. Reading compares case-insensitively (the spec says
// nothing of case, producers vary), ignores the scheme (http or https), a
// leading "www." and a trailing '/', and keeps the fragment, which names the
// VMDK subformat.
#pragma once

#include <string>
#include <string_view>

#include <ovfkit/disk/format.hpp>
#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk {

// The first driver in `drivers` that answers to `uri`; nullptr when none does.
const FormatDriver* format_for_uri(std::string_view uri, DriverList drivers = formats::all());

// The URI to write for the driver named `name`; empty when the driver is
// unknown or no URI is known for its format (vhdx).
std::string_view uri_for_format(std::string_view name, DriverList drivers = formats::all());

// `uri` as format_for_uri compares it: lower case, without scheme, leading
// "www." and trailing '/', surrounding white space trimmed.
std::string normalized_uri(std::string_view uri);

} // namespace ovfkit::disk
