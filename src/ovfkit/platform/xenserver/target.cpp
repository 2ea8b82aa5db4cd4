// The two XenServer entries of the export target table (target.hpp).
#include <array>

#include <ovfkit/platform/xenserver/ova_envelope.hpp>
#include <ovfkit/platform/xenserver/target.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>

namespace ovfkit::platform {

namespace {

void map_xva(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    xenserver::map_vm(vm, context, xenserver::Flavor::xva, notes);
}

void map_ova(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    xenserver::map_vm(vm, context, xenserver::Flavor::ova, notes);
}

// XenCenter imports VHD as it is; other formats it converts first
// (formats/ovf-ova.md 9), so only VHD is offered.
constexpr std::array<std::string_view, 2> k_ova_disks{"vhd", "vhd-fixed"};

// SHA-1 first: every xapi reads it; XXH64 needs Citrix Hypervisor 8.1 or
// XCP-ng 8.1 and later, and is much cheaper to compute (block_sum.hpp).
constexpr std::array<std::string_view, 2> k_xva_sums{"sha1", "xxhash"};

} // namespace

const ExportTarget xenserver_target{
    .name = "xenserver",
    .platform = "xenserver",
    .description = "an XVA for xe vm-import (XenServer, XCP-ng); the environment ISO beside it",
    .form = TargetForm::archive,
    .default_disk_format = "",
    .disk_formats = {},
    .map = map_xva,
    .write_files = nullptr,
    .envelope = nullptr,
    .rebuilds_hardware = true,
    .write_archive = xenserver::write_xva,
    .dynamic_memory = false,
    .block_checksums = k_xva_sums,
};

const ExportTarget xenserver_ova_target{
    .name = "xenserver-ova",
    .platform = "xenserver",
    .description = "an OVA in XenServer's OVF dialect with VHD disks (XenCenter's OVF import)",
    .form = TargetForm::package,
    .default_disk_format = "vhd",
    .disk_formats = k_ova_disks,
    .map = map_ova,
    .write_files = nullptr,
    .envelope = xenserver::xencenter_envelope,
    .rebuilds_hardware = true,
    .write_archive = nullptr,
};

} // namespace ovfkit::platform
