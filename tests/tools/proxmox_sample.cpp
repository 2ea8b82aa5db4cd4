// proxmox_sample OUTDIR DISK MODEL GUEST FIRMWARE
// Writes the proxmox target's files (a .conf and import.sh) for a one-disk
// VM into OUTDIR, as map() and the writers make them for an appliance whose
// boot disk DISK (a file name in OUTDIR) hangs on a controller of MODEL
// ("piix4", "ahci", "lsilogic", "pvscsi", "virtio-scsi", "virtio-blk",
// "lsilogicsas", "buslogic", "nvme"), for a GUEST "linux" (virtio drivers)
// or "windows" (none), FIRMWARE "bios" or "efi". The plan notes go to
// stderr. tests/cli/export/proxmox_boot_chain.sh boots the disk on the bus
// the config names, for every controller model (an appliance built in a
// test has only one).
#include <cstdio>
#include <fstream>
#include <string>

#include <ovfkit/platform/proxmox/map.hpp>

using namespace ovfkit::platform;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: proxmox_sample OUTDIR DISK MODEL GUEST FIRMWARE\n");
        return 2;
    }
    const std::string dir = argv[1], file = argv[2], model = argv[3], guest = argv[4];
    GuestOsRow row;
    row.key = guest == "windows" ? "win10-64" : "debian12-64";
    row.pve = guest == "windows" ? "win10" : "l26";
    row.virtio = guest != "windows";
    PlanVm vm;
    vm.system_id = vm.path = vm.name = "appliance";
    vm.os.row = &row;
    vm.cpus = 1;
    vm.memory_bytes = uint64_t{256} << 20;
    vm.firmware = std::string(argv[5]) == "efi" ? Firmware::efi : Firmware::bios;
    Bus bus = Bus::scsi;
    if (model == "piix4") {
        bus = Bus::ide;
    } else if (model == "ahci") {
        bus = Bus::sata;
    } else if (model == "nvme") {
        bus = Bus::nvme;
    } else if (model == "virtio-blk") {
        bus = Bus::virtio;
    }
    vm.controllers.push_back(PlanController{"c", bus, model, 0});
    PlanDisk disk;
    disk.disk_id = "boot";
    disk.controller = "c";
    disk.boot = true;
    disk.capacity_bytes = uint64_t{32} << 20;
    disk.file_name = file;
    vm.disks.push_back(disk);
    std::vector<PlanNote> notes;
    proxmox::map_vm(vm, MapContext{"qcow2"}, notes);
    for (const auto& n : notes) {
        std::fprintf(stderr, "note %s: %s: %s\n", n.code.c_str(), n.item.c_str(), n.reason.c_str());
    }
    ExportPlan plan;
    plan.target = "proxmox";
    plan.directory = dir;
    plan.vms.push_back(vm);
    auto files = proxmox::write_files(plan);
    if (!files) {
        std::fprintf(stderr, "proxmox_sample: %s\n", files.error().message.c_str());
        return 1;
    }
    for (const auto& f : *files) {
        std::ofstream(dir + "/" + f.name, std::ios::binary) << f.content;
    }
    return 0;
}
