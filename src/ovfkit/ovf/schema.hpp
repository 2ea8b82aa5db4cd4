// XML Schema validation of OVF descriptors against the DMTF schemas bundled
// in the library (SECURITY.md R13).
//
// OVF 1.x (envelope/1) uses DSP8023 1.0.0 with the CIM RASD/VSSD schemas it
// imports; OVF 2.x (envelope/2) uses DSP8023 2.0.1 with the CIM v2 and W3C
// XML Signature/Encryption schemas. The schemas are compiled once per
// process from memory: every schemaLocation, relative or absolute, is
// answered from the embedded copies and nothing else is ever opened.
#pragma once

#include <span>
#include <string_view>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/schema_files.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::ovf {

// Validates `doc` (already through the hardened parse) against the bundled
// schema for its root namespace and adds one finding per violation:
// OVF-SCHEMA-001 (error) for the DMTF vocabulary, OVF-SCHEMA-002 (warning)
// for vendor elements the DMTF schema cannot know, OVF-SCHEMA-003 (warning)
// when no DMTF schema exists for the namespace (OVF 0.9, oVirt), and
// OVF-SCHEMA-004 (warning) when a bundled schema does not compile. At most
// `max_findings` violations are reported, then one line says how many more.
// Returns whether a schema was applied (false with OVF-SCHEMA-003 or -004).
bool validate_schema(const xml::Document& doc, Diagnostics& diag, size_t max_findings = 200);

// The embedded schema files, for tests and diagnostics.
std::span<const EmbeddedFile> embedded_schemas();

// Answers the entity loader: the embedded file a schemaLocation names, by
// its "ovfkit:/schemas/<path>" URL or by the DMTF/W3C URL it was published
// at; nullopt for anything else.
std::optional<xml::Resource> schema_resource(std::string_view url);

} // namespace ovfkit::ovf
