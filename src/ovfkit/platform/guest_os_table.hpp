// The data behind guest_os.hpp, for guest_os.cpp (and its tests): the rows,
// the spellings read but never written, rule 4's family patterns and the
// candidates of the ambiguous CIM ids 111-123. Not part of the interface.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <ovfkit/platform/guest_os.hpp>

namespace ovfkit::platform::detail {

// The vocabularies a vendor string may come from.
enum class Vocabulary { vmware, vmx, vbox, osinfo, pve, ovirt };

// `alias` in `vocabulary` reads as the row with key `key`.
struct GuestOsAlias {
    Vocabulary vocabulary;
    std::string_view alias;
    std::string_view key;
};

// An unknown id starting with `text` (or containing it, when `anywhere`)
// reads as the row `key32`, or `key64` when the id says 64.
struct GuestOsPattern {
    std::string_view text;
    bool anywhere;
    std::string_view key32;
    std::string_view key64;
};

// A CIM id whose meaning differs between the tables in use: its oldest and
// newest candidate rows.
struct GuestOsCimRange {
    uint16_t id;
    std::string_view oldest;
    std::string_view newest;
};

std::span<const GuestOsRow> rows();
std::span<const GuestOsAlias> aliases();
std::span<const GuestOsPattern> patterns();
std::span<const GuestOsCimRange> cim_windows();

} // namespace ovfkit::platform::detail
