// The only list of disk format drivers. Adding a format: one line here and
// one in CMakeLists.txt (docs/HACKING.md).
#include <array>

#include <ovfkit/disk/formats/registry.hpp>

namespace ovfkit::disk::formats {

extern const FormatDriver k_raw_driver;
extern const FormatDriver k_qcow2_driver;
extern const FormatDriver k_vhd_driver;
extern const FormatDriver k_vhd_fixed_driver;
extern const FormatDriver k_vhdx_driver;
extern const FormatDriver k_vhdx_fixed_driver;
extern const FormatDriver k_vdi_driver;
extern const FormatDriver k_vdi_fixed_driver;
extern const FormatDriver k_vmdk_driver;
extern const FormatDriver k_vmdk_stream_driver;
extern const FormatDriver k_vmdk_flat_driver;

namespace {

// One driver per line, so adding one is a one-line diff.
// clang-format off
constexpr std::array k_drivers{
    &k_raw_driver,
    &k_qcow2_driver,
    &k_vhd_driver,
    &k_vhd_fixed_driver,
    &k_vhdx_driver,
    &k_vhdx_fixed_driver,
    &k_vdi_driver,
    &k_vdi_fixed_driver,
    &k_vmdk_driver,
    &k_vmdk_stream_driver,
    &k_vmdk_flat_driver,
};
// clang-format on

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
