// The sample plans (sample_plans.hpp).
#include "sample_plans.hpp"

#include "plans.hpp"
#include <fmt/format.h>

namespace ovfkit::platform::proxmox::test {

// A BIOS Linux appliance: LSI SCSI, an IDE data disk, the environment ISO,
// two NICs (one on an OVF network that is no bridge).
ExportPlan bios_linux_plan() {
    auto v = vm(k_debian);
    v.name = "Web Server";
    v.description = "Example appliance: web\nline two 100%";
    controller(v, "3", Bus::scsi, "lsilogic");
    controller(v, "4", Bus::ide, "piix4");
    disk(v, "system", "3", 0, 20).file_name = "disk1.qcow2";
    disk(v, "data", "4", 1, 1).file_name = "disk2.qcow2";
    v.cdroms.push_back(PlanCdrom{"4", 0, "web-env.iso", true});
    nic(v, "VmxNet3", "vmbr1").mac = "00:50:56:aa:bb:cc";
    nic(v, "E1000", "VM Network");
    map(v);
    ExportPlan plan;
    plan.target = "proxmox";
    plan.directory = "/tmp/out";
    plan.disk_format = "qcow2";
    plan.vms.push_back(std::move(v));
    return plan;
}

// A UEFI Windows appliance with Secure Boot and a TPM, NVMe and PVSCSI.
ExportPlan uefi_windows_plan() {
    auto v = vm(k_win10, Firmware::efi);
    v.name = "win11";
    v.cpus = 4;
    v.memory_bytes = uint64_t{8} << 30;
    v.secure_boot = true;
    v.tpm = true;
    controller(v, "p", Bus::scsi, "pvscsi");
    controller(v, "n", Bus::nvme, "nvme");
    disk(v, "os", "p", 0, 64).file_name = "disk1.raw";
    disk(v, "scratch", "n", 0, 100).file_name = "disk2.raw";
    v.disks[1].capacity_bytes += 512;
    v.cdroms.push_back(PlanCdrom{"", 0, "", false});
    nic(v, "hyperv-synthetic", "vmbr0");
    map(v);
    ExportPlan plan;
    plan.target = "proxmox";
    plan.disk_format = "raw";
    plan.vms.push_back(std::move(v));
    return plan;
}

// A collection: db starts first, then two web VMs with the same name.
ExportPlan collection_plan() {
    ExportPlan plan;
    plan.target = "proxmox";
    plan.disk_format = "qcow2";
    plan.collection_name = "shop";
    const char* names[] = {"db", "web", "web"};
    for (unsigned i = 0; i < 3; ++i) {
        auto v = vm(k_debian);
        v.path = std::string("shop/") + names[i] + std::to_string(i);
        v.name = names[i];
        v.start_order = i == 0 ? 1 : 2;
        v.start_delay_s = i == 0 ? 30 : 0;
        v.stop_delay_s = 60;
        controller(v, "s", Bus::virtio, "virtio-blk");
        disk(v, "root", "s", 0, 4).file_name = fmt::format("vm{}-disk1.qcow2", i + 1);
        nic(v, "virtio", "vmbr0");
        map(v);
        plan.vms.push_back(std::move(v));
    }
    return plan;
}

// Injection attempts in every appliance string the target carries.
const std::string k_hostile = "it's \"quoted\" | $(touch pwned) `touch pwned2` \"; rm -rf / ;\n"
                              "args: -pwned\n</domain> %41 ${HOME} \\ \t'";

ExportPlan hostile_plan() {
    auto v = vm(k_debian);
    v.name = k_hostile;
    v.description = k_hostile;
    controller(v, "s", Bus::scsi, "virtio-scsi");
    disk(v, "root", "s", 0, 1).file_name = "disk1.qcow2";
    v.cdroms.push_back(PlanCdrom{"", 0, "env.iso", true});
    nic(v, "virtio", k_hostile);
    nic(v, "e1000", "vmbr0,firewall=1");
    map(v);
    ExportPlan plan;
    plan.target = "proxmox";
    plan.disk_format = "qcow2";
    plan.vms.push_back(std::move(v));
    return plan;
}

} // namespace ovfkit::platform::proxmox::test
