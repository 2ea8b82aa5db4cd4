// The `virtualbox` target's machine settings file (vbox_writer.cpp): one
// <name>.vbox per VM, VirtualBox's settings XML (formats/vmware-virtualbox.md
// B1-B2), for `VBoxManage registervm /abs/path/<name>.vbox`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/base/uuid.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::virtualbox {

// The ExtraDataItem of a .vbox that names the guest OS by ovfkit's OS table
// key ("linux5-64"): VirtualBox's OSType has fewer rows than the table
// (every Linux 2.6 to 6.x is Linux26_64), so without it a .vbox exported and
// imported back would come back as another row. VirtualBox keeps unknown
// extra data items as they are.
inline constexpr std::string_view k_os_extra_data = "ovfkit/GuestOS";

// The identities a .vbox mints (fresh on every export: VirtualBox refuses to
// register a machine or a medium whose UUID it already knows). The disks'
// UUIDs are not here: they are PlanDisk::uuid, which the disk writer stamps
// in each VDI header.
struct MachineIds {
    Uuid machine{};
    std::vector<Uuid> images;      // per CD-ROM (VM order) with an image inserted
    std::vector<std::string> macs; // per NIC without a MAC: 12 hex digits
};

// Fresh identities for `vm`: random UUIDs, MACs 080027xxxxxx (VirtualBox's
// own prefix) with random low bytes.
Result<MachineIds> fresh_ids(const PlanVm& vm);

// The settings file of one mapped VM (map_vm). Every string from the
// appliance is an XML attribute or text, escaped by libxml2; Errc::invalid
// for what XML 1.0 cannot carry (control characters, invalid UTF-8) and for
// a plan map_vm never leaves (a disk without UUID, a model VirtualBox does
// not know, a unit past its controller).
Result<std::string> render_vbox(const PlanVm& vm, const MachineIds& ids);

// The vbox:Machine element of VirtualBox's OVF dialect for `vm` (the
// `virtualbox-ova` descriptor): the same Machine without media registry or
// DVD media, disks attached by PlanDisk::uuid (the Disk's vbox:uuid), as a
// self-contained fragment whose envelope namespace is
// ovf::k_envelope_ns_placeholder.
Result<std::string> render_machine_fragment(const PlanVm& vm, const MachineIds& ids);

// The directory target's files: <stem>.vbox for each VM of the plan, stems
// made of the VM names ([A-Za-z0-9._-], unique in the directory).
Result<std::vector<OutputFile>> write_vbox_files(const ExportPlan& plan);

} // namespace ovfkit::platform::virtualbox
