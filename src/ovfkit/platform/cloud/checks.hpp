// The plan checks the three cloud targets share (formats/clouds.md 6):
// each adds a coded PlanNote to the VM; a `refused` note stops the export
// before anything is written (ops/export.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::cloud {

inline constexpr uint64_t k_mib = uint64_t{1} << 20;
inline constexpr uint64_t k_gib = uint64_t{1} << 30;
inline constexpr uint64_t k_tib = uint64_t{1} << 40;

// "20 MiB", "2 TiB", "1.5 GiB", "3000 bytes": sizes in messages.
std::string size_text(uint64_t bytes);

// cloud-multi-vm: the cloud imports one virtual system; an appliance with
// more is refused (noted once, with the first VM).
void check_one_system(const PlanVm& vm, const MapContext& context, std::string_view cloud,
                      PlanNotes& notes);

// cloud-size-align: every disk's target capacity rounded up to a multiple
// of `unit` and to at least `minimum`, noted with the padding; never
// shrinks. Returns nothing: PlanDisk::target_capacity_bytes holds the size.
void round_disks(PlanVm& vm, uint64_t unit, uint64_t minimum, std::string_view rule,
                 PlanNotes& notes);

// The size a disk is written with after round_disks (or its capacity).
uint64_t written_size(const PlanDisk& disk);

// For the disk-only targets (azure, gce): what the VM has besides disks is
// not carried. The environment CD-ROM cannot be attached in the cloud
// (vapp-props, dropped: the guest gets no OVF environment), NICs and other
// CD-ROM drives are the cloud's to create (cloud-devices, info).
void drop_devices(PlanVm& vm, std::string_view cloud, PlanNotes& notes);

// cloud-firmware, cloud-gpt-bios, cloud-mbr-2t, cloud-sector-size: the
// boot disk's partition tables (formats/clouds.md 5, read through
// MapContext::boot_layout) against the firmware the VM declares. A disk
// only one firmware can start, and the VM declaring the other, is refused;
// so is an MBR disk over 2 TiB, and a 4 KiB-sector disk where the cloud
// takes 512-byte sectors only (`sectors_512_only`, Azure's VHD).
void check_boot_disk(const PlanVm& vm, const MapContext& context, std::string_view cloud,
                     bool sectors_512_only, PlanNotes& notes);

// cloud-drivers: what the guest needs that ovfkit cannot check or install,
// by OS family.
void note_drivers(const PlanVm& vm, std::string_view linux_needs, std::string_view windows_needs,
                  PlanNotes& notes);

} // namespace ovfkit::platform::cloud
