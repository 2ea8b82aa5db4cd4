// What a person (or `ovfkit info`) wants to know about an appliance, derived
// from the Envelope: per virtual system its CPUs, memory, OS, firmware,
// disks with their controllers, NICs; package-wide networks, files,
// properties, deployment options and whether there is a EULA.
//
// Values are those of the default configuration: items without
// ovf:configuration plus those listing the default deployment option (the
// Configuration with ovf:default="true", else the first one), property
// defaults overridden by the <Value> for that option. When a virtual system
// has several VirtualHardwareSections (alternatives for different
// platforms), the first is summarised. Nested VirtualSystemCollections are
// flattened: each virtual system carries its path ("vapp/web") and parent
// collection id. Nothing is validated here: absent or unparsable numbers are
// simply absent (nullopt); `ovfkit validate` says why. A platform's own
// dialect (oVirt) is read by its rules (platform::dialect_readers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::ovf {

struct ControllerSummary {
    std::string instance_id;
    std::string bus;   // "IDE", "SCSI", "SATA", "NVMe", "FC", "iSCSI", "InfiniBand"
    std::string model; // ResourceSubType as written ("lsilogic"), may be empty
};

struct DiskSummary {
    std::string id;                         // ovf:diskId
    std::string capacity;                   // ovf:capacity as written
    std::optional<uint64_t> capacity_bytes; // nullopt for placeholders and broken values
    std::optional<uint64_t> populated_bytes;
    std::optional<std::string> format;     // ovf:format URI
    std::optional<std::string> file;       // href of the File it is read from
    std::optional<std::string> controller; // bus of the controller it hangs off (oVirt:
                                           // of ovf:disk-interface, "VirtIO" included)
    std::optional<std::string> controller_id;
    std::optional<std::string> controller_model;
    std::optional<std::string> address; // AddressOnParent
    // What backs the disk: "disk" (ovf:/disk/ID, a DiskSection entry) or
    // "file" (ovf:/file/ID, DSP0243's direct file reference: `id` is then
    // the File's id and there is no capacity).
    std::string backing = "disk";
};

// A quantity with the range an appliance allows (DSP0243 "Ranges on
// elements": items with ovf:bound="min"/"max" beside the normal item with the
// same InstanceID).
struct RangeSummary {
    std::optional<uint64_t> min;
    std::optional<uint64_t> max;
};

struct NicSummary {
    std::string network; // first Connection, "" when unconnected
    std::string model;   // ResourceSubType, "" when absent
    std::optional<std::string> mac;
};

struct SystemSummary {
    std::string id;
    std::string path;   // ids from the root, '/'-separated
    std::string parent; // id of the enclosing collection, "" at the root
    std::optional<std::string> name;
    std::optional<std::string> os_id;
    std::optional<std::string> os_version; // ovf:version of the OperatingSystemSection
    std::optional<std::string> os_description;
    std::optional<std::string> os_type; // vmw:osType, vbox:OSType or oVirt's OS name, exact
    std::optional<uint64_t> cpus;
    std::optional<uint64_t> memory_bytes;
    std::optional<uint64_t> memory_mib;  // memory_bytes in MiB when a whole number of them
    RangeSummary cpus_range;             // from ovf:bound items, when there are any
    RangeSummary memory_range;           // bytes
    std::optional<std::string> firmware; // "efi" or "bios" when a vendor element says so
    std::optional<std::string> virtual_system_type;
    uint32_t hardware_sections = 0;
    std::vector<DiskSummary> disks;
    std::vector<NicSummary> nics;
    std::vector<ControllerSummary> controllers;
    bool eula = false;
};

struct NetworkSummary {
    std::string name;
    std::optional<std::string> description;
};

struct FileSummary {
    std::string id;
    std::string href;
    std::optional<uint64_t> size; // declared ovf:size
    std::optional<std::string> compression;
    std::optional<std::string> chunk_size;
};

struct PropertySummary {
    std::string key; // "[class.]key[.instance]"
    std::string type;
    std::optional<std::string> value; // default for the default configuration
    std::optional<std::string> label;
    std::string virtual_system; // path of the owning content
    bool user_configurable = false;
    bool password = false; // the value must not be shown
};

struct DeploymentOptionSummary {
    std::string id;
    std::string label;
    bool is_default = false;
};

struct Summary {
    std::string ovf_version; // version_name(): "0.9", "1.x", "2.x", "ovirt"
    std::vector<SystemSummary> virtual_systems;
    std::vector<NetworkSummary> networks;
    std::vector<FileSummary> files;
    std::vector<PropertySummary> properties;
    std::vector<DeploymentOptionSummary> deployment_options;
    std::optional<std::string> default_configuration;
    bool eula = false; // any EulaSection in the package
};

// Builds the summary. Never fails; see the header comment for the rules.
Summary summarize(const Envelope& envelope);

// The summary for the deployment option `configuration` (one of the
// DeploymentOptionSection's ids; an id it does not list means the default).
// `default_configuration` then names `configuration`.
Summary summarize(const Envelope& envelope, std::string_view configuration);

} // namespace ovfkit::ovf
