// oVirt's (and Red Hat Virtualization's) own OVF dialect: the descriptors of
// export storage domains, OVF_STORE disks and virt-v2v `-o rhv`/`-o vdsm`
// (shared formats/ovf-ova.md section 9, corpus ovf/ovirt/).
//
//   <ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1/" ovf:version="0.9">
//     <References><File ovf:id="VOL" ovf:href="IMAGE_GROUP/VOL"/></References>
//     <Section xsi:type="ovf:DiskSection_Type">
//       <Disk ovf:diskId="VOL" ovf:size="1" ovf:capacity="536870912" ovf:fileRef="IMAGE_GROUP/VOL"
//             ovf:disk-interface="VirtIO" .../>
//     <Content xsi:type="ovf:VirtualSystem_Type">
//       <BiosType>1</BiosType>                      (unqualified VM settings)
//       <Section xsi:type="ovf:OperatingSystemSection_Type" ovf:id="VM UUID">
//         <Description>windows_2022</Description>   (oVirt's OS name)
//       <Section xsi:type="ovf:VirtualHardwareSection_Type">
//         <Item> rasd:ResourceType 3, rasd:num_of_sockets, rasd:cpu_per_socket
//         <Item> rasd:ResourceType 17, rasd:InstanceId VOL, rasd:HostResource IMAGE_GROUP/VOL
//         <Item> rasd:ResourceType 20 (the video card), <Type>video</Type>
//         <Item> rasd:ResourceType 10, rasd:ResourceSubType 3 (a VmInterfaceType code)
//
// The readings follow the engine's own reader, ovirt-engine
// backend/manager/modules/utils/src/main/java/org/ovirt/engine/core/utils/ovf/
// OvfReader.java and OvfOvirtReader.java (docs/ovf.md "The oVirt dialect"
// lists each rule and where ovfkit adds to it):
//   - ResourceType 20 is oVirt's Monitor (the video card) and 26 its
//     Graphics (SPICE/VNC) device, never DSP0243's storage device or
//     graphics controller (OvfOvirtReader.adjustHardwareResourceType);
//   - vCPUs = num_of_sockets (else VirtualQuantity) x cpu_per_socket x
//     threads_per_cpu (OvfReader.readCpuItem);
//   - a disk item's InstanceId is the volume (image) id, which is a File's
//     ovf:id and a Disk's ovf:diskId; its HostResource names the image group
//     before the '/' (readDiskImageItem, buildFileReference, buildDisk); its
//     rasd:Parent is the parent volume, not a controller; the bus is the
//     Disk's ovf:disk-interface, IDE when absent (initGeneralDiskAttributes);
//   - BiosType counts from 0 = i440fx SeaBIOS, 1 = Q35 SeaBIOS, 2 = Q35
//     OVMF, 3 = Q35 OVMF with Secure Boot (readBiosType, BiosType.java);
//   - the OS is the Description of the OperatingSystemSection, an osinfo
//     unique name; the section's ovf:id is the VM's id (readOsSection);
//   - a NIC's ResourceSubType is a VmInterfaceType code, virtio ("pv") when
//     absent (getVmInterfaceType, VmInterfaceType.java); the MAC address is
//     rasd:MACAddress.
#pragma once

#include <optional>
#include <string>

#include <ovfkit/ovf/envelope.hpp>
#include <ovfkit/ovf/summary.hpp>

namespace ovfkit::platform::ovirt {

// The DSP0243 ResourceType an oVirt item stands for: 32768 (vendor range;
// oVirt's Monitor, the video card) for 20, 24 (graphics) for 26, else the
// item's own type.
std::optional<uint32_t> resource_type(const ovf::Item& item);

// vCPUs of an oVirt CPU item (ResourceType 3); nullopt when a count is
// missing, not a number or the product overflows.
std::optional<uint64_t> cpus(const ovf::Item& item);

// "bios" or "efi" from the <BiosType> of the virtual system; nullopt when
// absent or not one of oVirt's values.
std::optional<std::string> firmware(const ovf::Content& system);

// The NIC model name for oVirt's VmInterfaceType code ("3" -> "virtio");
// an unknown code or a name is returned as written, "virtio" when empty.
std::string nic_model(std::string_view resource_sub_type);

// Re-reads `system` of an oVirt descriptor into `summary`: OS, firmware,
// CPUs, disks and NICs as the engine reads them (see the header comment).
void read_system(const ovf::Envelope& envelope, const ovf::Content& system,
                 ovf::SystemSummary& summary);

} // namespace ovfkit::platform::ovirt
