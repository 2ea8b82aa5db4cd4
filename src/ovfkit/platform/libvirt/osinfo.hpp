// libosinfo short ids ("debian12", "win2k19") to the OS URIs libvirt's
// domain metadata records (<libosinfo:os id='http://debian.org/debian/12'/>),
// as virt-install and virt-manager write them.
//
// The URIs are per OS and not derivable in general, so only families whose
// rule holds across osinfo-db are mapped (checked against the host's
// osinfo-db by tests/unit/platform/libvirt/osinfo_test.cpp); any other id
// gives nothing and the domain carries no OS metadata.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ovfkit::platform::libvirt {

std::optional<std::string> osinfo_uri(std::string_view short_id);

} // namespace ovfkit::platform::libvirt
