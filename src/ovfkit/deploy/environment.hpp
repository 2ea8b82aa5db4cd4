// The OVF environment (DSP8027): the ovf-env.xml a guest reads its
// properties from, and the ISO 9660 image that carries it (the "iso"
// transport of DSP0243).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/deploy/properties.hpp>
#include <ovfkit/io/atomic_output.hpp>
#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::deploy {

// The ISO's volume id and the file the guest looks for at its root.
inline constexpr const char* k_environment_volume_id = "OVF ENV";
inline constexpr const char* k_environment_file = "ovf-env.xml";

// DSP8027 ovf-env.xml for one virtual system or collection (its id):
// <Environment oe:id="ID"> with a PlatformSection (Kind "ovfkit", Version,
// Locale "en_US") and a PropertySection holding the values visible to that
// system, its own and those of the collections that contain it, outermost
// first, in document order. No ve:EthernetAdapterSection (ovfkit does not
// know the MACs). Deterministic bytes; every value is escaped (newlines and
// tabs as character references), and characters XML 1.0 cannot carry
// (other C0 controls, invalid UTF-8) are written as U+FFFD, so the document
// is well-formed whatever the text.
std::string environment_xml(const ovf::Envelope& envelope, std::string_view system_id,
                            const std::vector<PropertyValue>& values);

// Writes an ISO 9660 image (with Rock Ridge and Joliet names) holding `xml`
// as ovf-env.xml at its root ("OVF-ENV.XML;1" in the plain ISO 9660 tree),
// volume id "OVF ENV", built with libisofs. Fixed timestamps and modes, so
// the same XML gives the same bytes. Written through io::OutputSet: the
// target appears complete or not at all; an existing target is refused
// without `force`.
Result<void> write_environment_iso(std::string_view xml, const std::string& path, bool force);

// The same image as one output of a caller's set (an export writing the
// ISO beside its disks and config): created in `outputs`, committed with
// them, removed with them on failure.
Result<void> write_environment_iso(std::string_view xml, io::OutputSet& outputs,
                                   const std::string& path);

// The image as bytes (what write_environment_iso writes).
Result<std::vector<std::byte>> environment_iso(std::string_view xml);

} // namespace ovfkit::deploy
