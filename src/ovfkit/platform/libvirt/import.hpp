// libvirt's importers (import_source.hpp, docs/import.md ## libvirt):
//   - "libvirt-xml": a domain XML file (`virsh dumpxml`), its disks files
//     relative to it (absolute only with --allow-absolute-paths);
//   - "libvirt": a shut-off domain of a running daemon, `libvirt:URI/DOMAIN`,
//     its volumes streamed through libvirt's API into a staging directory
//     (live_source.hpp) that the ImportedAppliance owns and removes.
// Both read the domain with domain_reader.hpp; the mapping is there.
#pragma once

#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/libvirt/domain_reader.hpp>

namespace ovfkit::platform::libvirt {

extern const ImportSource xml_import_source;
extern const ImportSource live_import_source;

// The appliance of one read domain: `config` names it in messages,
// `directory` (absolute) is where its relative disk paths are.
ImportedAppliance imported_appliance(DomainImport domain, const std::string& config,
                                     const std::string& directory);

} // namespace ovfkit::platform::libvirt
