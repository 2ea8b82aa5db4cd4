// See vendor_xml.hpp.
#include <ovfkit/platform/vendor_xml.hpp>

namespace ovfkit::platform {

namespace {

xml::Element find_below(const xml::Element& e, std::string_view local, int depth) {
    if (e.name() == local) {
        return e;
    }
    if (depth > 16) {
        return {};
    }
    for (const auto& c : e.children()) {
        if (auto found = find_below(c, local, depth + 1)) {
            return found;
        }
    }
    return {};
}

} // namespace

std::optional<xml::Document> parse_fragment(const ovf::XmlFragment& fragment) {
    auto doc = xml::Document::parse(std::string_view(fragment.xml), "fragment");
    if (!doc) {
        return std::nullopt;
    }
    return std::move(*doc);
}

xml::Element find_descendant(const xml::Element& e, std::string_view local) {
    return find_below(e, local, 0);
}

} // namespace ovfkit::platform
