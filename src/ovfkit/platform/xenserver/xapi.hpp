// XenServer / XCP-ng (xapi): what the `xenserver` (XVA) and `xenserver-ova`
// targets share: the mapping of a plan onto xapi's VM model (map.cpp), the
// XVA's metadata, ova.xml (ova_xml.cpp), and the XVA stream (xva.cpp).
// Formats: ../shared/docs/formats/kvm-xen-hyperv.md sections 5 and 6.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::platform::xenserver {

// What the mapping leaves in the plan: one pseudo-controller holding every
// VBD, whose unit is the VBD's userdevice (HVM guests see 0-3 as emulated
// IDE at boot; the PV drivers take over every VBD), and NICs of model
// "xen-vif".
inline constexpr std::string_view k_vbd_controller = "xen-vbd";
inline constexpr std::string_view k_vif_model = "xen-vif";
inline constexpr unsigned k_cd_userdevice = 3; // xapi's conventional CD slot
inline constexpr unsigned k_max_userdevices = 16;
inline constexpr size_t k_max_vifs = 7; // xapi's limit for HVM guests
// The VM's other_config key that names its guest OS by ovfkit's OS table
// key ("debian12-64"): xapi has no OS field (it names the OS only in words,
// base_template_name or the guest metrics), so without it an XVA exported
// and imported back would lose the OS. xapi keeps unknown other_config keys.
inline constexpr std::string_view k_os_key = "ovfkit-guest-os";
// The network an unconnected NIC joins: the name xapi gives eth0's network.
inline constexpr std::string_view k_default_network = "Pool-wide network associated with eth0";
inline constexpr std::string_view k_default_bridge = "xenbr0";

enum class Flavor { xva, ova };

// Rewrites `vm` into what xapi runs (map.cpp); notes every change.
void map_vm(PlanVm& vm, const MapContext& context, Flavor flavor, PlanNotes& notes);

// What xapi gets as the VM's `platform` map (sorted by key) and its
// HVM_boot_params for a mapped VM: Viridian and the Windows Update
// device id for Windows, firmware=uefi and secureboot for UEFI. Both
// targets write these, so an XVA and an OVA of one appliance agree.
using KeyValues = std::vector<std::pair<std::string, std::string>>;
KeyValues platform_keys(const PlanVm& vm);
KeyValues boot_params(const PlanVm& vm);

// The XVA block size and the most blocks one VDI may have (8 decimal digits).
inline constexpr uint64_t k_block = uint64_t{1} << 20;
inline constexpr uint64_t k_max_blocks = 99'999'999;

// The tar directory of the VDI of plan disk number `index` (over every VM,
// in plan order): "Ref:1000000" + index. All VDI ids have the same number
// of digits, so their string order (which xapi streams and expects) is the
// plan's order.
std::string vdi_ref(size_t index);

// ova.xml for a mapped plan: one XML-RPC value, every VM with its VBDs,
// VDIs (`disk_sizes`: guest bytes of each plan disk, in plan order), VIFs,
// networks and one SR. Errc::invalid when the plan was not mapped for
// XenServer or holds what xapi cannot carry (a size past 8-digit block
// indices, more devices than the mapping allows).
Result<std::string> ova_xml(const ExportPlan& plan, std::span<const uint64_t> disk_sizes);

// The archive form's writer of the `xenserver` target (xva.cpp).
Result<void> write_xva(const ArchiveJob& job);

} // namespace ovfkit::platform::xenserver
