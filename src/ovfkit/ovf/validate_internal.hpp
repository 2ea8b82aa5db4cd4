// Shared state of the semantic checks (validate*.cpp); not installed.
//
// validate.cpp builds a Context, indexes the envelope's ids once, then runs
// the checkers in order: references (files, disks, networks, configurations,
// content ids), hardware (items per VirtualHardwareSection), properties,
// sections marked required, and finally the package's files (which needs
// to know what was referenced).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/ovf/validate.hpp>

namespace ovfkit::ovf::detail {

// A VirtualSystem or collection with where it sits ("vapp/vm1").
struct ContentRef {
    const Content* content = nullptr;
    std::string path;
};

struct Context {
    Context(const Envelope& e, const std::string& n, Diagnostics& d, const ValidationOptions& o)
        : env(e), name(n), diag(d), options(o) {}

    const Envelope& env;
    const std::string& name;
    Diagnostics& diag;
    const ValidationOptions& options;

    // First definition of each id (duplicates are reported once).
    std::map<std::string, const File*, std::less<>> files;
    std::map<std::string, const Disk*, std::less<>> disks;
    std::map<std::string, const Network*, std::less<>> networks;
    std::map<std::string, const Configuration*, std::less<>> configurations;
    std::map<std::string, const Content*, std::less<>> contents;
    std::vector<ContentRef> all_contents; // depth first, collections included
    // "[class.]key[.instance]" of every property in the envelope.
    std::map<std::string, const Property*, std::less<>> properties;

    // What something refers to (for the "unused" warnings).
    std::set<std::string, std::less<>> referenced_files;
    std::set<std::string, std::less<>> referenced_disks;

    void error(std::string_view code, uint32_t line, std::string message) {
        diag.error(std::string(code), std::move(message), name, line);
    }
    void warning(std::string_view code, uint32_t line, std::string message) {
        diag.warning(std::string(code), std::move(message), name, line);
    }
};

// ---- checkers (one file each) ----

// Builds the id indexes and checks ids, File/Disk/Network/Configuration
// attributes and references between them (validate_references.cpp).
void index_and_check_references(Context& ctx);
// Items of every VirtualHardwareSection (validate_hardware.cpp).
void check_hardware(Context& ctx);
// ProductSection properties (validate_properties.cpp).
void check_properties(Context& ctx);
// Unused files and disks, file presence and sizes (validate_references.cpp).
void check_files(Context& ctx);

// ---- helpers shared by the checkers (validate.cpp) ----

// Quotes untrusted text for a message, cut to a readable length.
std::string quote(std::string_view text);

// True for template placeholders exporters leave in numeric fields:
// "${name}", "#NAME#", "@@NAME@@", "DISK_CAPACITY".
bool is_placeholder(std::string_view text);

// The property named by a "${key}" reference, "" when `text` is not one.
std::string_view property_reference(std::string_view text);

// Splits a space-separated list (ovf:configuration, ResourceSubType).
std::vector<std::string_view> split_spaces(std::string_view text);

// The line of the first field `name` of an item, else the item's line.
uint32_t field_line(const Item& item, std::string_view name);

// "<Item> \"Hard disk 1\" (InstanceID 4)" for messages.
std::string describe_item(const Item& item);

// Known namespaces of vendors whose extensions ovfkit tolerates.
bool is_vendor_namespace(std::string_view ns);

} // namespace ovfkit::ovf::detail
