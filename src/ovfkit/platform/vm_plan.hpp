// The virtual machines an export will write, decided before any byte is
// written: the plan.
//
// ops::export_appliance builds one PlanVm per virtual system from the
// envelope (the chosen deployment option, the user's overrides), in the
// appliance's own vocabulary: its controllers, disk buses, NIC models and
// firmware as the descriptor states them. The target's `map` (ExportTarget,
// export_target.hpp) then rewrites the VM into what the target runs —
// vmxnet3 becomes virtio on KVM, an LSI Logic controller becomes
// virtio-scsi or SATA — and notes every translation and every drop, each a
// coded PlanNote naming the item and the reason. The writers only render a
// final plan; they decide nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/uuid.hpp>
#include <ovfkit/platform/guest_os.hpp>

namespace ovfkit::platform {

enum class Firmware { bios, efi };

// Where a disk or a CD-ROM drive hangs. `virtio` is virtio-blk: a bus of
// its own, one device per PCI slot, no controller item.
enum class Bus { ide, sata, scsi, nvme, virtio };

std::string_view bus_name(Bus bus);
// The bus as people write it in messages: "IDE", "SATA", "SCSI", "NVMe", "virtio".
std::string_view bus_label(Bus bus);

struct PlanController {
    std::string id; // unique in the VM: the source's InstanceID, or "plan-N" when added
    Bus bus = Bus::ide;
    // In the plan's vocabulary: "piix4" (IDE), "ahci" (SATA), "lsilogic",
    // "lsilogicsas", "buslogic", "pvscsi", "virtio-scsi" (SCSI), "nvme",
    // "virtio-blk"; a source model nobody knows stays as written until the
    // target maps it.
    std::string model;
    unsigned index = 0; // its number among the VM's controllers of that bus
};

struct PlanDisk {
    std::string disk_id;     // ovf:diskId (the File's id for ovf:/file/ID backing)
    std::string file_id;     // the File holding its data; "" for a new blank disk
    std::string source_item; // InstanceID of its Disk Drive item
    uint64_t capacity_bytes = 0;
    std::string controller; // PlanController::id
    unsigned unit = 0;      // address on the controller (IDE: channel * 2 + device)
    bool boot = false;      // the disk the VM boots from (the first disk)
    // Set by the engine once the target is mapped: the name of the disk's
    // file in the target and the disk driver that writes it.
    std::string file_name;
    std::string format;
    // The virtual size the target needs the written disk to have, set by
    // its `map` when that is more than the source's (Azure: a whole MiB,
    // GCE: a whole GiB); the engine converts the disk to this size, the
    // added bytes reading as zeros. 0: the source's size.
    uint64_t target_capacity_bytes = 0;
    // Set by the engine with file_name for a directory target: the identity
    // the disk's writer stamps in the image where its format has one (the
    // VDI creation UUID), so a config can name the disk by it (a .vbox media
    // registry). Two disks sharing a file share it.
    std::optional<Uuid> uuid = std::nullopt;
};

struct PlanCdrom {
    std::string controller;
    unsigned unit = 0;
    std::string file_name;    // the image inserted, "" for an empty drive
    bool environment = false; // the OVF environment ISO (DSP8027 iso transport)
};

struct PlanNic {
    std::string source_item;
    std::string ovf_network; // the NetworkSection name it connects to, "" when none
    std::string network;     // what the target connects it to (after --net)
    // "e1000", "e1000e", "vmxnet3", "virtio", "pcnet", "rtl8139",
    // "vmxnet", "hyperv-synthetic", "hyperv-legacy"; a source subtype
    // nobody knows stays as written until the target maps it.
    std::string model;
    std::optional<std::string> mac;
};

struct PlanVm {
    std::string system_id; // the VirtualSystem's ovf:id
    std::string path;      // ids from the root ("vapp/web")
    std::string name;      // the target VM's name (--name, the system's Name, its id)
    GuestOs os;            // never null
    std::string os_hint;   // what the descriptor said, for notes ("vmw:osType ubuntu64Guest")
    uint64_t cpus = 1;
    uint64_t memory_bytes = 0;
    // Dynamic memory (--memory-min/--memory-max): the range a target that
    // balloons (Hyper-V) may give the VM, memory_bytes being what it starts
    // with; 0 and 0 for static memory. Targets without it clear both
    // (ExportTarget::dynamic_memory) and the engine notes it.
    uint64_t memory_min_bytes = 0;
    uint64_t memory_max_bytes = 0;
    Firmware firmware = Firmware::bios;
    bool firmware_stated = false; // a vendor element said which; else from the OS
    bool secure_boot = false;
    bool tpm = false;
    // The target's hardware family, set by its `map`: "q35"/"pc" (libvirt),
    // "vmx-13" (VMware), "1"/"2" (Hyper-V generation).
    std::string machine;
    std::vector<PlanController> controllers;
    std::vector<PlanDisk> disks;
    std::vector<PlanCdrom> cdroms;
    std::vector<PlanNic> nics;
    // DSP8027 ovf-env.xml for this VM ("" when the appliance has no
    // properties); delivered on an ISO and, for VMware, in guestinfo.
    std::string environment_xml;
    // VirtualSystemCollection StartupSection: 0 means no order.
    unsigned start_order = 0;
    unsigned start_delay_s = 0;
    unsigned stop_delay_s = 0;
    // Free text the target may carry as the VM's description.
    std::string description;

    const PlanController* controller(const std::string& id) const;
};

// What an item became on the target.
enum class NoteAction {
    translated, // carried in the target's vocabulary (vmxnet3 -> virtio)
    dropped,    // not carried (a sound card, a USB controller): --strict fails
    added,      // made by the plan (a SATA controller for the environment CD)
    info,       // something the user should know (firmware from the OS)
    refused,    // the target does not take it (a cloud's documented limit): nothing is written
};

std::string_view note_action_name(NoteAction action);

struct PlanNote {
    std::string code; // stable: "nic-model", "ctrl-lsi-ovmf", "devices-misc" ... (docs/export.md)
    NoteAction action = NoteAction::info;
    std::string vm;     // PlanVm::path
    std::string item;   // what it is about: "NIC 3 (VmxNet3)", "controller 5 (lsilogic)"
    std::string reason; // one line
};

class PlanNotes {
public:
    void add(std::string code, NoteAction action, const PlanVm& vm, std::string item,
             std::string reason);
    const std::vector<PlanNote>& all() const { return m_notes; }
    size_t dropped() const;

private:
    std::vector<PlanNote> m_notes;
};

// Every VM of the appliance, after the target's mapping.
struct ExportPlan {
    std::string target; // ExportTarget::name
    // The directory the files are written to, absolute (configs that must
    // name their disks by absolute path, as libvirt's do, use it).
    std::string directory;
    std::string deployment_option; // "" when the appliance has none
    std::string disk_format;       // the driver every disk is written with
    std::vector<PlanVm> vms;       // in start order, then document order
    std::vector<PlanNote> notes;
    // A VirtualSystemCollection's name when the appliance is one, else "".
    std::string collection_name;
    // Property values the user set (--prop), by full key, for targets that
    // write them into an envelope.
    std::map<std::string, std::string> user_properties;
};

// A file name made of a VM's name: what a file system and every config
// format carry without quoting ([A-Za-z0-9._-], others as '_'), never
// hidden, at most 64 bytes; `fallback` (then "vm") when nothing is left.
std::string file_stem(std::string_view name, std::string_view fallback);

// The VM's environment CD-ROM drive (PlanCdrom::environment), or null.
const PlanCdrom* environment_cdrom(const PlanVm& vm);

nlohmann::json to_json(const PlanVm& vm);
nlohmann::json to_json(const PlanNote& note);

} // namespace ovfkit::platform
