// The two XenServer entries of the export target table (target.hpp).
#include <ovfkit/platform/xenserver/target.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>

namespace ovfkit::platform {

namespace {

void map_xva(PlanVm& vm, const MapContext& context, PlanNotes& notes) {
    xenserver::map_vm(vm, context, xenserver::Flavor::xva, notes);
}

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
};

} // namespace ovfkit::platform
