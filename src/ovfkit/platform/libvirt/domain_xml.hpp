// Rendering a mapped PlanVm as a libvirt domain XML document (QEMU/KVM,
// x86_64), and the target's files: one `<name>.xml` per VM and, for a
// collection with a startup order, `start-order.txt` (libvirt has none).
//
// The writer decides nothing: buses, units, models, machine and firmware
// come from the mapping (map.hpp). It only checks that what it renders can
// be carried: every appliance string is XML-escaped and must be valid UTF-8
// without control characters (a newline cannot be in a domain name or a
// file path under libvirt's schema), paths are absolute, and numbers are in
// libvirt's range. Anything else is Errc::invalid naming the VM and field.
//
// UEFI is written as firmware autoselection (<os firmware='efi'>): libvirt
// picks OVMF and its vars template from the host's firmware descriptors
// (/usr/share/qemu/firmware/*.json) when the domain is defined, so the XML
// pins no distribution's paths. Secure Boot asks for the secure-boot and
// enrolled-keys features (and SMM); a UEFI guest without it asks for
// secure-boot off, so an unsigned loader is not refused. No <uuid> is
// written: libvirt assigns one at define time, and the output is the same
// for the same plan.
#pragma once

#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::libvirt {

// The files a VM's devices name, absolute, index for index with
// PlanVm::disks and PlanVm::cdroms ("" for an empty CD-ROM drive).
struct DeviceSources {
    std::vector<std::string> disks;
    std::vector<std::string> cdroms;
};

// ExportPlan::directory + "/" + each device's file_name.
Result<DeviceSources> file_sources(const ExportPlan& plan, const PlanVm& vm);

// The domain document for `vm`, its disks at `sources`. `disk_format` is
// the qemu driver of disks without a PlanDisk::format ("qcow2", "raw").
Result<std::string> domain_xml(const PlanVm& vm, const DeviceSources& sources,
                               std::string_view disk_format);

// `<name>.xml` with every byte outside [A-Za-z0-9._-] (and a leading '.')
// replaced by '_', made unique among `taken` by "-2", "-3", ...
std::string domain_file_name(const std::string& vm_name, const std::vector<std::string>& taken);

// Errc::invalid when two VMs share a domain name (after the mapping).
Result<void> check_unique_names(const ExportPlan& plan);

// The ExportTarget entry: every VM's domain file, and start-order.txt when
// any VM has a startup order.
Result<std::vector<OutputFile>> write_files(const ExportPlan& plan);

} // namespace ovfkit::platform::libvirt
