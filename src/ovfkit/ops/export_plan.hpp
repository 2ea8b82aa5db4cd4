// The neutral half of an export's plan (export_plan.cpp): every virtual
// system of the appliance as a platform::PlanVm in the appliance's own
// vocabulary, for the chosen deployment option and the user's overrides.
// The target's `map` then makes it the target's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::ops::export_detail {

struct PlanInputs {
    std::string configuration;                   // the deployment option, "" when none
    std::map<std::string, std::string> networks; // --net OVF_NETWORK=TARGET
    std::optional<std::string> name;             // --name (a prefix when there are several VMs)
    std::optional<uint64_t> cpus;                // --cpus
    std::optional<uint64_t> memory_bytes;        // --memory
    std::optional<uint64_t> memory_min_bytes;    // --memory-min
    std::optional<uint64_t> memory_max_bytes;    // --memory-max
    bool keep_macs = false;                      // --keep-macs
    // The target writes the hardware anew: the devices the plan does not
    // model (sound, USB, floppy, ports, CD media) are noted as dropped.
    bool rebuilds_hardware = true;
};

// Bounds on what one VM may hold before anything is allocated for it
// (hostile descriptors ask for thousands; mapping.md §10).
inline constexpr size_t k_max_devices_per_vm = 64;

// Controller and NIC models in the plan's vocabulary (vm_plan.hpp): the
// first recognised token of a ResourceSubType, compared without case;
// what nobody knows stays as written.
std::string controller_model(std::string_view bus, std::string_view sub_type);
std::string nic_model(std::string_view sub_type);

// Every virtual system, depth first, in start order where a StartupSection
// gives one. Errc::invalid when a system cannot be planned (more devices
// than k_max_devices_per_vm, an unknown --net network).
Result<std::vector<platform::PlanVm>>
neutral_plan(const ovf::Envelope& envelope, const PlanInputs& inputs, platform::PlanNotes& notes);

} // namespace ovfkit::ops::export_detail
