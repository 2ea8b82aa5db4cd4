// Semantic validation of OVF descriptors (what a schema cannot say).
//
// The reader (xml_reader.hpp) checks structure; this checks meaning: ids are
// unique, every reference resolves, numbers and units parse, devices sit on
// controllers at addresses their bus has, property defaults satisfy their
// type and qualifiers, sections and items marked ovf:required are ones
// ovfkit understands, and, when the package is at hand, the files are there
// with the sizes the descriptor declares. Every finding carries a stable code
// (docs/ovf-validation.md lists them with their meaning and fix), the
// descriptor's name and the line of the element concerned.
//
// Severity policy: what makes a consumer fail or guess (a dangling
// reference, a duplicate id, a number that does not parse) is an error; what
// real exporters write and real consumers accept (VMware's ovf://
// HostResource, VirtualBox's MegaBytes, vendor sections without
// ovf:required="false") is a warning. `ovfkit validate --strict` fails on
// warnings too.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::ovf {

// The package's files as validation sees them.
struct PackageFiles {
    // True for a directory or an OVA: a referenced file that is absent is an
    // error. False for a descriptor named alone: absent files are warnings,
    // the ones beside it are still checked.
    bool complete = false;
    // The size of the package file `name` (an ovf:href or a chunk name);
    // nullopt when the package has no such file. Only called with names
    // that passed the href checks (one safe component).
    std::function<Result<std::optional<uint64_t>>(std::string_view name)> size;
};

struct ValidationOptions {
    // nullptr: the descriptor is checked alone, file sizes are not.
    const PackageFiles* package = nullptr;
};

// Runs every semantic check on `envelope` and adds the findings to `diag`,
// in the order of the lines they concern. `name` is the descriptor's name
// used in findings.
void validate(const Envelope& envelope, const std::string& name, Diagnostics& diag,
              const ValidationOptions& options = {});

// The configuration list of an item: ovf:configuration, else an unqualified
// `configuration` attribute (VMware's vCenter Server Appliance export writes
// one; DSP0243 attributes are namespace-qualified). `unqualified` (when
// given) says which was used. Validation warns about the second form; the
// summary reads both.
std::optional<std::string> item_configuration(const Item& item, bool* unqualified = nullptr);

struct DescriptorCheckOptions {
    bool schema = false; // also validate against the bundled DMTF schemas
    ValidationOptions semantic;
    xml::Limits limits;
};

// Parses a descriptor with the hardened loader (and the tolerance of
// read_descriptor() below), reads the model, validates
// it and, with `schema`, validates it against the DMTF schema of its
// version (an OVF-SCHEMA-003 warning when none is bundled). Returns the
// model; nullopt when the descriptor does not read, which is reported as an
// OVF-PARSE-001 error finding. Fails only for refusals (Errc::refused:
// DTDs, entities, limits), which are not findings: nothing of such a
// document is looked at.
// `schema_applied`, when given, tells whether a DMTF schema was applied
// (false without `schema`, and for OVF 0.9 and oVirt, which have none).
Result<std::optional<Envelope>> validate_descriptor(std::span<const std::byte> bytes,
                                                    const std::string& name, Diagnostics& diag,
                                                    const DescriptorCheckOptions& options = {},
                                                    bool* schema_applied = nullptr);

// The package member an ovf:href names: %-escapes decoded (RFC 3986),
// a single safe component. Errc::refused for an href validation reports as
// unsafe (OVF-HREF-001) or that names a subdirectory.
Result<std::string> href_member(std::string_view href);

// Reads a descriptor like read_envelope() (xml_reader.hpp), with the one
// tolerance validation also has: a declaration of encoding="utf-16" on UTF-8
// bytes without BOM (XenServer) is read as UTF-8 with an OVF-ENC-001
// warning in `diag`. `ovfkit info` uses this.
Result<Envelope> read_descriptor(std::span<const std::byte> bytes, const std::string& name,
                                 Diagnostics& diag, const xml::Limits& limits = {});

} // namespace ovfkit::ovf
