// Reading OVF descriptors into the Envelope model.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::ovf {

// Parses a descriptor (hardened XML, xml/document.hpp) and builds the model.
// `name` appears in messages ("NAME:LINE: ..."). Namespace aliases and other
// tolerated deviations are reported as warnings in `diag`. Fails with
// Errc::refused for XML security refusals (DTD, entities, limits, collection
// nesting deeper than k_max_collection_depth) and Errc::invalid for malformed
// XML, unsupported encodings, an unknown envelope namespace or a missing
// required element (References, content). Semantic checks (references that
// resolve, duplicate ids, sizes) are validation's job, not the reader's.
Result<Envelope> read_envelope(std::span<const std::byte> bytes, std::string name,
                               Diagnostics& diag, const xml::Limits& limits = {});

// Builds the model from a document already parsed with xml::Document::parse
// (for callers that also need the tree, e.g. schema validation).
Result<Envelope> read_envelope(const xml::Document& document, Diagnostics& diag);

// Detects the dialect from the root element's namespace URI; nullopt when it
// is not an OVF envelope namespace.
std::optional<OvfVersion> detect_version(std::string_view root_namespace);

} // namespace ovfkit::ovf
