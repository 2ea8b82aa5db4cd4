// VirtualBox's vendor elements; see vendor_sections.hpp.
#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/vendor_xml.hpp>
#include <ovfkit/platform/virtualbox/vendor_sections.hpp>

namespace ovfkit::platform::virtualbox {

std::optional<std::string> firmware(const ovf::Content& system,
                                    const ovf::VirtualHardwareSection* /*hardware*/) {
    for (const auto* u : system.find_all<ovf::UnknownSection>()) {
        if (u->element.ns != ovf::k_vbox_ns || u->element.name != "Machine") {
            continue;
        }
        auto doc = parse_fragment(u->element);
        if (!doc) {
            continue;
        }
        if (auto fw = find_descendant(doc->root(), "Firmware")) {
            if (auto type = fw.attribute("", "type")) {
                std::string t = ascii_lower(*type);
                return t.starts_with("efi") ? "efi" : t;
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> os_type(const ovf::OperatingSystemSection& os) {
    for (const auto& ext : os.header.extra.elements) {
        if (ext.element.ns == ovf::k_vbox_ns && ext.element.name == "OSType") {
            if (auto doc = parse_fragment(ext.element)) {
                return std::string(trim(doc->root().text()));
            }
        }
    }
    return std::nullopt;
}

} // namespace ovfkit::platform::virtualbox
