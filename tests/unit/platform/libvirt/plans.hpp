// Hand-built export plans for the libvirt target's tests, in the
// appliance's vocabulary as the engine hands them to `map`: the source's
// controllers, buses, NIC models and firmware.
#pragma once

#include <string>
#include <string_view>

#include <ovfkit/platform/vm_plan.hpp>

namespace ovfkit::test::libvirt_plans {

using namespace ovfkit::platform;

// Guest-OS rows as the shared table has them (only the fields the
// libvirt mapping reads matter: family, osinfo, virtio).
inline GuestOsRow row(std::string_view key, std::string_view display, OsFamily family,
                      std::string_view osinfo, bool virtio) {
    GuestOsRow r{};
    r.key = key;
    r.display = display;
    r.family = family;
    r.x64 = true;
    r.osinfo = osinfo;
    r.virtio = virtio;
    return r;
}

inline const GuestOsRow k_debian12 =
    row("debian12-64", "Debian 12 (64-bit)", OsFamily::linux, "debian12", true);
inline const GuestOsRow k_ubuntu22 =
    row("ubuntu-64", "Ubuntu 22.04 (64-bit)", OsFamily::linux, "ubuntu22.04", true);
inline const GuestOsRow k_win2k19 =
    row("win2k19", "Windows Server 2019", OsFamily::windows, "win2k19", false);
inline const GuestOsRow k_win11 = row("win11", "Windows 11", OsFamily::windows, "win11", false);
inline const GuestOsRow k_other = row("other-64", "Other (64-bit)", OsFamily::other, "", false);

inline PlanVm base_vm(const std::string& name, const GuestOsRow& row) {
    PlanVm vm;
    vm.system_id = name;
    vm.path = name;
    vm.name = name;
    vm.os.row = &row;
    vm.os.confidence = OsConfidence::high;
    vm.os.decided_by = "test";
    vm.cpus = 2;
    vm.memory_bytes = 2048ULL << 20;
    return vm;
}

inline void add_disk(PlanVm& vm, const std::string& controller, unsigned unit,
                     uint64_t capacity = 8ULL << 30) {
    PlanDisk d;
    d.disk_id = "vmdisk" + std::to_string(vm.disks.size() + 1);
    d.file_id = "file" + std::to_string(vm.disks.size() + 1);
    d.source_item = std::to_string(10 + vm.disks.size());
    d.capacity_bytes = capacity;
    d.controller = controller;
    d.unit = unit;
    d.boot = vm.disks.empty();
    d.file_name = vm.name + "-disk" + std::to_string(vm.disks.size() + 1) + ".qcow2";
    d.format = "qcow2";
    vm.disks.push_back(d);
}

inline void add_nic(PlanVm& vm, const std::string& model, const std::string& network) {
    PlanNic n;
    n.source_item = std::to_string(20 + vm.nics.size());
    n.ovf_network = network;
    n.network = network;
    n.model = model;
    vm.nics.push_back(n);
}

inline void add_env_cdrom(PlanVm& vm, const std::string& controller, unsigned unit) {
    PlanCdrom cd;
    cd.controller = controller;
    cd.unit = unit;
    cd.file_name = vm.name + "-ovf-env.iso";
    cd.environment = true;
    vm.cdroms.push_back(cd);
    vm.environment_xml = "<Environment/>";
}

// Debian 12 from vSphere: BIOS, LSI Logic with two disks, VMXNET3, the
// environment CD on IDE.
inline PlanVm debian_lsilogic() {
    PlanVm vm = base_vm("debian", k_debian12);
    vm.controllers = {{"3", Bus::scsi, "lsilogic", 0}, {"4", Bus::ide, "piix4", 0}};
    add_disk(vm, "3", 0);
    add_disk(vm, "3", 1, 1ULL << 30);
    add_env_cdrom(vm, "4", 0);
    add_nic(vm, "vmxnet3", "VM Network");
    return vm;
}

// Windows Server 2019 installed on IDE under BIOS: two IDE disks, an empty
// CD-ROM, an e1000 with a fixed MAC.
inline PlanVm windows_ide() {
    PlanVm vm = base_vm("win2019", k_win2k19);
    vm.cpus = 4;
    vm.memory_bytes = 4096ULL << 20;
    vm.controllers = {{"5", Bus::ide, "piix4", 0}, {"6", Bus::ide, "piix4", 1}};
    add_disk(vm, "5", 0);
    add_disk(vm, "5", 1);
    PlanCdrom cd;
    cd.controller = "6";
    cd.unit = 0;
    vm.cdroms.push_back(cd);
    add_nic(vm, "E1000", "bridged");
    vm.nics.back().mac = "00:50:56:AB:CD:EF";
    return vm;
}

// Windows 11: UEFI, Secure Boot, TPM, LSI Logic SAS, VMXNET3, the
// environment CD on SATA.
inline PlanVm windows11_efi() {
    PlanVm vm = base_vm("win11", k_win11);
    vm.firmware = Firmware::efi;
    vm.firmware_stated = true;
    vm.secure_boot = true;
    vm.tpm = true;
    vm.memory_bytes = 4096ULL << 20;
    vm.controllers = {{"3", Bus::scsi, "lsilogicsas", 0}, {"4", Bus::sata, "ahci", 0}};
    add_disk(vm, "3", 0, 64ULL << 30);
    add_env_cdrom(vm, "4", 1);
    add_nic(vm, "vmxnet3", "VM Network");
    return vm;
}

// Ubuntu under UEFI without Secure Boot on virtio-scsi (kept), virtio NIC.
inline PlanVm ubuntu_virtio_scsi() {
    PlanVm vm = base_vm("ubuntu", k_ubuntu22);
    vm.firmware = Firmware::efi;
    vm.controllers = {{"1", Bus::scsi, "virtio-scsi", 0}};
    add_disk(vm, "1", 0);
    add_disk(vm, "1", 1);
    add_nic(vm, "virtio", "lan");
    add_nic(vm, "e1000", "");
    vm.description = "Ubuntu appliance\nsecond line & <more>";
    return vm;
}

// An unknown guest: eight disks on SATA (two AHCI controllers), a PCnet
// NIC and an unknown one, a multicast MAC.
inline PlanVm other_many_disks() {
    PlanVm vm = base_vm("other", k_other);
    vm.controllers = {{"7", Bus::sata, "ahci", 0}};
    for (unsigned i = 0; i < 8; ++i) {
        add_disk(vm, "7", i, 1ULL << 30);
    }
    add_nic(vm, "pcnet", "net1");
    add_nic(vm, "SomeVendorNic", "net2");
    vm.nics.back().mac = "01:00:5e:00:00:01";
    return vm;
}

} // namespace ovfkit::test::libvirt_plans
