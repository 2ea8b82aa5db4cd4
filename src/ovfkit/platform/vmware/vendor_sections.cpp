// VMware's vendor elements; see vendor_sections.hpp.
#include <ovfkit/platform/vendor_xml.hpp>
#include <ovfkit/platform/vmware/vendor_sections.hpp>

namespace ovfkit::platform::vmware {

std::optional<std::string> firmware(const ovf::Content& /*system*/,
                                    const ovf::VirtualHardwareSection* hardware) {
    if (hardware == nullptr) {
        return std::nullopt;
    }
    for (const auto& ext : hardware->header.extra.elements) {
        if (ext.element.ns != ovf::k_vmw_ns || ext.element.name != "Config") {
            continue;
        }
        auto doc = parse_fragment(ext.element);
        if (!doc) {
            continue;
        }
        auto key = doc->root().attribute(ovf::k_vmw_ns, "key");
        auto value = doc->root().attribute(ovf::k_vmw_ns, "value");
        if (key == "firmware" && value) {
            return ascii_lower(*value);
        }
    }
    return std::nullopt;
}

std::optional<std::string> os_type(const ovf::OperatingSystemSection& os) {
    return os.vmw_os_type;
}

} // namespace ovfkit::platform::vmware
