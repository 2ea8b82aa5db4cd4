// Writing the Envelope model as an OVF descriptor.
#pragma once

#include <string>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::ovf {

// Serializes `envelope` as an OVF 1.x (OvfVersion::v1) or 2.x (v2)
// descriptor: UTF-8, pretty-printed, every envelope element and attribute
// with the `ovf:` prefix (no default namespace), CIM children with rasd:,
// vssd:, sasd:, epasd:, built through libxml2 so every value is escaped.
// The same model always gives the same bytes. Sections, items and fields are
// written in model order (the reader already stores CIM fields in the
// alphabetical order the CIM schemas require); verbatim elements go back
// where they were read. Item kinds are never changed: a RASD Item stays an
// Item in 2.x and a StorageItem/EthernetPortItem stays one in 1.x.
// Fails with Errc::usage for another target (0.9 and oVirt are read-only) and
// Errc::invalid when a value cannot be represented in XML 1.0 (control
// characters, invalid UTF-8), naming the element.
Result<std::string> write_envelope(const Envelope& envelope, OvfVersion target);

} // namespace ovfkit::ovf
