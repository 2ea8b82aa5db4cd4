// Rewriting an Envelope model for the other DMTF OVF version (1.x <-> 2.x),
// so that write_envelope() emits a descriptor valid against the target
// version's schema (DSP8023 1.0.0 or 2.0.1).
//
// What changes (docs/ovf.md "Version conversion" has the table):
//   2.x -> 1.x  StorageItem / EthernetPortItem become Item: their sasd: and
//               epasd: properties that RASD 1.x (CIM 2.19) also has move to
//               rasd:, the others are dropped (OVF-CONV-001). Properties of
//               Item that RASD 1.x lacks (VirtualQuantityUnits ...) are
//               dropped too (OVF-CONV-001). Sections only 2.x defines
//               (ScaleOutSection, BootDeviceSection ...) stay, in the
//               envelope/2 namespace as VMware writes them in 1.x
//               (`ovf2:ScaleOutSection`, OVF-CONV-002). Msg/@ovf:fileRef is
//               dropped, the inline text kept (OVF-CONV-003). A required
//               EncryptionSection cannot be expressed: refused.
//   1.x -> 2.x  Items stay Items (valid in 2.x, as VirtualBox's 2.0 export
//               writes them); InstallSection gets its 2.0.1-required
//               ovf:initialBootStopDelay (1.x default 0); StartupSection
//               numbers must fit 2.x's unsignedShort, else refused.
// Vendor sections, vendor attributes and vendor elements are never touched.
#pragma once

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::ovf {

// The model of `envelope` for `target` (v1 or v2). What had to be dropped or
// moved is reported in `diag` as OVF-CONV-* warnings; what cannot be
// converted fails with Errc::invalid naming the element and the reason;
// Errc::usage for a source or target other than 1.x and 2.x (0.9 and oVirt
// are read-only dialects). Converting to the version already there returns
// the model unchanged.
Result<Envelope> convert_version(const Envelope& envelope, OvfVersion target, Diagnostics& diag);

} // namespace ovfkit::ovf
