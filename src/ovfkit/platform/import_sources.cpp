// The table of importers (import_source.hpp): one line per importer, each
// defined in its platform's folder.
#include <algorithm>
#include <array>

#include <ovfkit/platform/hyperv/import.hpp>
#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/libvirt/import.hpp>
#include <ovfkit/platform/proxmox/import.hpp>
#include <ovfkit/platform/virtualbox/import.hpp>
#include <ovfkit/platform/vmware/import.hpp>
#include <ovfkit/platform/xenserver/import.hpp>

namespace ovfkit::platform {

namespace {

const std::array k_sources{
    &vmware::vmx_import_source,      // platform/vmware
    &libvirt::xml_import_source,     // platform/libvirt
    &libvirt::live_import_source,    // platform/libvirt
    &xenserver::xva_import_source,   // platform/xenserver
    &virtualbox::vbox_import_source, // platform/virtualbox
    &hyperv::hyperv_import_source,   // platform/hyperv
    &proxmox::qm_import_source,      // platform/proxmox
    &proxmox::vma_import_source,     // platform/proxmox
};

} // namespace

std::span<const ImportSource> import_sources() {
    static const std::vector<ImportSource> table = [] {
        std::vector<ImportSource> v;
        for (const ImportSource* s : k_sources) {
            v.push_back(*s);
        }
        return v;
    }();
    return table;
}

const ImportSource* find_import_source(std::string_view name) {
    auto all = import_sources();
    auto it =
        std::find_if(all.begin(), all.end(), [&](const ImportSource& s) { return s.name == name; });
    return it == all.end() ? nullptr : &*it;
}

const ImportSource* claim_import_source(const std::string& path, bool is_directory,
                                        std::span<const std::byte> head) {
    for (const ImportSource& s : import_sources()) {
        if (s.claims != nullptr && s.claims(path, is_directory, head)) {
            return &s;
        }
    }
    return nullptr;
}

} // namespace ovfkit::platform
