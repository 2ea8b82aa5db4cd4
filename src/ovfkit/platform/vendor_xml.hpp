// Helpers for platform code reading its vendor elements: the OVF reader keeps
// elements of foreign namespaces verbatim (ovf::XmlFragment), and a platform
// parses the few it understands again, through the same hardened loader
// (xml/document.hpp: no DTD, no entities, size and depth limits).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform {

// The fragment as a document whose root is the vendor element; nullopt when
// it does not parse (a reader then simply learns nothing from it).
std::optional<xml::Document> parse_fragment(const ovf::XmlFragment& fragment);

// Depth-first search, at most 16 levels down, for the first element with
// local name `local` in any namespace, `e` itself included; a null element
// when there is none.
xml::Element find_descendant(const xml::Element& e, std::string_view local);

} // namespace ovfkit::platform
