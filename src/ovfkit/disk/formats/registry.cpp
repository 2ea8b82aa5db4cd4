// The only list of disk format drivers. Adding a format: one line here and
// one in CMakeLists.txt (docs/HACKING.md).
#include <ovfkit/disk/formats/registry.hpp>

#include <array>

namespace ovfkit::disk::formats {

extern const FormatDriver k_qcow2_driver;

namespace {

constexpr std::array<const FormatDriver*, 1> k_drivers{
    &k_qcow2_driver,
};

} // namespace

std::span<const FormatDriver* const> all() {
    return k_drivers;
}

const FormatDriver* find(std::string_view name) {
    for (const FormatDriver* d : k_drivers) {
        if (d->name == name) {
            return d;
        }
    }
    return nullptr;
}

} // namespace ovfkit::disk::formats
