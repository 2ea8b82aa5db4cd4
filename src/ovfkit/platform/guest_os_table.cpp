// The guest-OS table and its alias lists: data only (see guest_os.hpp for
// what a row means, guest_os.cpp for the rules that read it).
//
// Sources, as mapping.md section 1 cites them: CIM 2.55 OSType (pve-storage
// OVF.pm), govmomi enum.go and open-vm-tools GUEST_OS_KEY_MAP (vSphere ids
// and .vmx keys), VirtualBox Global.cpp sOSTypes, osinfo-db short ids,
// qemu-server ostype; oVirt names from ovirt-engine
// packaging/conf/osinfo-defaults.properties. Rows outside mapping.md 1.2
// (older releases, distribution-generic rows) use the same sources.
//
// Order matters: reverse lookups answer the first row carrying an id, so
// within a family the generic row comes first, then releases oldest first.
// Hyper-V generation is 2 only where mapping.md says "Gen 2" or "Gen 2
// preferred"; "Gen 1 or 2" and unknown are 1 (a BIOS guest needs 1). virtio
// is true only when every release the row stands for ships virtio-blk and
// virtio-net in-box (Linux >= 2.6.25, FreeBSD >= 10): a row for "Ubuntu of
// any release" says false, the safe side.
#include <ovfkit/platform/guest_os_table.hpp>

namespace ovfkit::platform::detail {

namespace {
constexpr OsFamily O = OsFamily::other;
constexpr OsFamily W = OsFamily::windows;
constexpr OsFamily L = OsFamily::linux;
constexpr OsFamily B = OsFamily::bsd;
constexpr OsFamily S = OsFamily::solaris;
} // namespace

// clang-format off
// key, display, family, x64, cim, cim_version, vmware, vmx, vbox, osinfo, pve, hyperv, virtio, uefi_required, ovirt, generic, describes
constexpr GuestOsRow k_guest_os_rows[] = {
    // Other: CIM 1 / 102.
    {"other", "Other (32-bit)", O, false, 1, "", "otherGuest", "other", "Other", "unknown", "other", 1, false, false, "other", true, ""},
    {"other-64", "Other (64-bit)", O, true, 102, "", "otherGuest64", "other-64", "Other_64", "unknown", "other", 1, false, false, "other", true, ""},
    // Linux by kernel: CIM 36 LINUX / 101 Linux 64-Bit, 97/98 Linux 2.4.x, 99/100 Linux 2.6.x.
    {"linux", "Linux (32-bit)", L, false, 36, "", "otherLinuxGuest", "otherlinux", "Linux", "linux2022", "l26", 1, false, false, "other_linux", true, ""},
    {"linux-64", "Linux (64-bit)", L, true, 101, "", "otherLinux64Guest", "otherlinux-64", "Linux_64", "linux2022", "l26", 1, false, false, "other_linux", true, ""},
    {"linux24", "Linux 2.4 (32-bit)", L, false, 97, "", "other24xLinuxGuest", "other24xlinux", "Linux24", "unknown", "l24", 1, false, false, "other_linux", true, "linux 2.4"},
    {"linux24-64", "Linux 2.4 (64-bit)", L, true, 98, "", "other24xLinux64Guest", "other24xlinux-64", "Linux24_64", "unknown", "l24", 1, false, false, "other_linux", true, "linux 2.4"},
    {"linux26", "Linux 2.6 (32-bit)", L, false, 99, "", "other26xLinuxGuest", "other26xlinux", "Linux26", "linux2016", "l26", 1, false, false, "other_linux", true, "linux 2.6"},
    {"linux26-64", "Linux 2.6 (64-bit)", L, true, 100, "", "other26xLinux64Guest", "other26xlinux-64", "Linux26_64", "linux2016", "l26", 1, false, false, "other_linux", true, "linux 2.6"},
    {"linux3", "Linux 3.x (32-bit)", L, false, 36, "", "other3xLinuxGuest", "other3xlinux", "Linux26", "linux2016", "l26", 1, true, false, "other_linux", true, "linux 3."},
    {"linux3-64", "Linux 3.x (64-bit)", L, true, 101, "", "other3xLinux64Guest", "other3xlinux-64", "Linux26_64", "linux2016", "l26", 1, true, false, "other_linux", true, "linux 3."},
    {"linux4", "Linux 4.x (32-bit)", L, false, 36, "", "other4xLinuxGuest", "other4xlinux", "Linux26", "linux2018", "l26", 1, true, false, "other_linux_kernel_4", true, "linux 4."},
    {"linux4-64", "Linux 4.x (64-bit)", L, true, 101, "", "other4xLinux64Guest", "other4xlinux-64", "Linux26_64", "linux2018", "l26", 2, true, false, "other_linux_kernel_4", true, "linux 4."},
    {"linux5", "Linux 5.x and later (32-bit)", L, false, 36, "", "other5xLinuxGuest", "other5xlinux", "Linux26", "linux2022", "l26", 1, true, false, "other_linux_kernel_4", true, "linux 5.|linux 6."},
    {"linux5-64", "Linux 5.x and later (64-bit)", L, true, 101, "", "other5xLinux64Guest", "other5xlinux-64", "Linux26_64", "linux2022", "l26", 2, true, false, "other_linux_kernel_4", true, "linux 5.|linux 6."},
    // Ubuntu: CIM 93 / 94. VMware has one id for every release.
    {"ubuntu", "Ubuntu (32-bit)", L, false, 93, "", "ubuntuGuest", "ubuntu", "Ubuntu", "linux2022", "l26", 1, false, false, "", false, "ubuntu"},
    {"ubuntu-64", "Ubuntu (64-bit)", L, true, 94, "", "ubuntu64Guest", "ubuntu-64", "Ubuntu_64", "linux2022", "l26", 2, false, false, "", false, "ubuntu"},
    {"ubuntu20.04-64", "Ubuntu 20.04 LTS (64-bit)", L, true, 94, "20.04", "ubuntu64Guest", "ubuntu-64", "Ubuntu20_LTS_64", "ubuntu20.04", "l26", 2, true, false, "ubuntu_18_04", false, "ubuntu 20.04"},
    {"ubuntu22.04-64", "Ubuntu 22.04 LTS (64-bit)", L, true, 94, "22.04", "ubuntu64Guest", "ubuntu-64", "Ubuntu22_LTS_64", "ubuntu22.04", "l26", 2, true, false, "ubuntu_18_04", false, "ubuntu 22.04"},
    {"ubuntu24.04-64", "Ubuntu 24.04 LTS (64-bit)", L, true, 94, "24.04", "ubuntu64Guest", "ubuntu-64", "Ubuntu24_LTS_64", "ubuntu24.04", "l26", 2, true, false, "ubuntu_18_04", false, "ubuntu 24.04"},
    // Debian: CIM 95 / 96 + ovf:version. VMware has no release-less Debian id.
    {"debian", "Debian (32-bit)", L, false, 95, "", "otherLinuxGuest", "otherlinux", "Debian", "linux2022", "l26", 1, false, false, "", false, "debian"},
    {"debian-64", "Debian (64-bit)", L, true, 96, "", "otherLinux64Guest", "otherlinux-64", "Debian_64", "linux2022", "l26", 1, false, false, "", false, "debian"},
    {"debian8", "Debian 8 (32-bit)", L, false, 95, "8", "debian8Guest", "debian8", "Debian8", "debian8", "l26", 1, true, false, "debian_7", false, "debian 8|debian gnu/linux 8|jessie"},
    {"debian8-64", "Debian 8 (64-bit)", L, true, 96, "8", "debian8_64Guest", "debian8-64", "Debian8_64", "debian8", "l26", 1, true, false, "debian_7", false, "debian 8|debian gnu/linux 8|jessie"},
    {"debian9", "Debian 9 (32-bit)", L, false, 95, "9", "debian9Guest", "debian9", "Debian9", "debian9", "l26", 1, true, false, "debian_9", false, "debian 9|debian gnu/linux 9|stretch"},
    {"debian9-64", "Debian 9 (64-bit)", L, true, 96, "9", "debian9_64Guest", "debian9-64", "Debian9_64", "debian9", "l26", 1, true, false, "debian_9", false, "debian 9|debian gnu/linux 9|stretch"},
    {"debian10-64", "Debian 10 (64-bit)", L, true, 96, "10", "debian10_64Guest", "debian10-64", "Debian10_64", "debian10", "l26", 2, true, false, "debian_9", false, "debian 10|debian gnu/linux 10|buster"},
    {"debian11-64", "Debian 11 (64-bit)", L, true, 96, "11", "debian11_64Guest", "debian11-64", "Debian11_64", "debian11", "l26", 2, true, false, "debian_9", false, "debian 11|debian gnu/linux 11|bullseye"},
    {"debian12-64", "Debian 12 (64-bit)", L, true, 96, "12", "debian12_64Guest", "debian12-64", "Debian12_64", "debian12", "l26", 2, true, false, "debian_9", false, "debian 12|debian gnu/linux 12|bookworm"},
    // Red Hat Enterprise Linux: CIM 79 / 80 + ovf:version. VMware has no release-less RHEL id.
    {"rhel", "Red Hat Enterprise Linux (32-bit)", L, false, 79, "", "otherLinuxGuest", "otherlinux", "RedHat", "linux2022", "l26", 1, false, false, "", false, "red hat enterprise linux|rhel"},
    {"rhel-64", "Red Hat Enterprise Linux (64-bit)", L, true, 80, "", "otherLinux64Guest", "otherlinux-64", "RedHat_64", "linux2022", "l26", 1, false, false, "", false, "red hat enterprise linux|rhel"},
    // RHEL 5 is 2.6.18: virtio only from 5.3, so no.
    {"rhel5", "Red Hat Enterprise Linux 5 (32-bit)", L, false, 79, "5", "rhel5Guest", "rhel5", "RedHat5", "rhel5.11", "l26", 1, false, false, "rhel_5", false, "red hat enterprise linux 5|rhel 5|rhel5"},
    {"rhel5-64", "Red Hat Enterprise Linux 5 (64-bit)", L, true, 80, "5", "rhel5_64Guest", "rhel5-64", "RedHat5_64", "rhel5.11", "l26", 1, false, false, "rhel_5x64", false, "red hat enterprise linux 5|rhel 5|rhel5"},
    {"rhel6", "Red Hat Enterprise Linux 6 (32-bit)", L, false, 79, "6", "rhel6Guest", "rhel6", "RedHat6", "rhel6-unknown", "l26", 1, true, false, "rhel_6", false, "red hat enterprise linux 6|rhel 6|rhel6"},
    {"rhel6-64", "Red Hat Enterprise Linux 6 (64-bit)", L, true, 80, "6", "rhel6_64Guest", "rhel6-64", "RedHat6_64", "rhel6-unknown", "l26", 1, true, false, "rhel_6x64", false, "red hat enterprise linux 6|rhel 6|rhel6"},
    {"rhel7-64", "Red Hat Enterprise Linux 7 (64-bit)", L, true, 80, "7", "rhel7_64Guest", "rhel7-64", "RedHat7_64", "rhel7-unknown", "l26", 2, true, false, "rhel_7x64", false, "red hat enterprise linux 7|rhel 7|rhel7"},
    {"rhel8-64", "Red Hat Enterprise Linux 8 (64-bit)", L, true, 80, "8", "rhel8_64Guest", "rhel8-64", "RedHat8_64", "rhel8-unknown", "l26", 2, true, false, "rhel_8x64", false, "red hat enterprise linux 8|rhel 8|rhel8"},
    {"rhel9-64", "Red Hat Enterprise Linux 9 (64-bit)", L, true, 80, "9", "rhel9_64Guest", "rhel9-64", "RedHat9_64", "rhel9-unknown", "l26", 2, true, false, "rhel_9x64", false, "red hat enterprise linux 9|rhel 9|rhel9"},
    // CentOS: CIM 106 / 107 + ovf:version. VirtualBox has no CentOS type (its own OVF table says RedHat).
    {"centos", "CentOS (32-bit)", L, false, 106, "", "centosGuest", "centos", "RedHat", "linux2022", "l26", 1, false, false, "", false, "centos"},
    {"centos-64", "CentOS (64-bit)", L, true, 107, "", "centos64Guest", "centos-64", "RedHat_64", "linux2022", "l26", 1, false, false, "", false, "centos"},
    {"centos6", "CentOS 6 (32-bit)", L, false, 106, "6", "centos6Guest", "centos6", "RedHat6", "centos6.10", "l26", 1, true, false, "rhel_6", false, "centos 6|centos linux 6"},
    {"centos6-64", "CentOS 6 (64-bit)", L, true, 107, "6", "centos6_64Guest", "centos6-64", "RedHat6_64", "centos6.10", "l26", 1, true, false, "rhel_6x64", false, "centos 6|centos linux 6"},
    {"centos7-64", "CentOS 7 (64-bit)", L, true, 107, "7", "centos7_64Guest", "centos7-64", "RedHat7_64", "centos7.0", "l26", 2, true, false, "rhel_7x64", false, "centos 7|centos linux 7"},
    {"centos8-64", "CentOS 8 (64-bit)", L, true, 107, "8", "centos8_64Guest", "centos8-64", "RedHat8_64", "centos8", "l26", 2, true, false, "rhel_8x64", false, "centos 8|centos linux 8"},
    {"centos-stream9-64", "CentOS Stream 9 (64-bit)", L, true, 107, "9", "centos9_64Guest", "centos9-64", "RedHat9_64", "centos-stream9", "l26", 2, true, false, "rhel_9x64", false, "centos stream 9|centos 9"},
    // Rocky and Alma: no CIM value, RHEL's is written.
    {"rocky8-64", "Rocky Linux 8 (64-bit)", L, true, 80, "8", "rockylinux_64Guest", "rockylinux-64", "RedHat8_64", "rocky8", "l26", 2, true, false, "rhel_8x64", false, "rocky linux 8|rocky 8"},
    {"rocky9-64", "Rocky Linux 9 (64-bit)", L, true, 80, "9", "rockylinux_64Guest", "rockylinux-64", "RedHat9_64", "rocky9", "l26", 2, true, false, "rhel_9x64", false, "rocky linux 9|rocky 9"},
    {"alma8-64", "AlmaLinux 8 (64-bit)", L, true, 80, "8", "almalinux_64Guest", "almalinux-64", "RedHat8_64", "almalinux8", "l26", 2, true, false, "rhel_8x64", false, "almalinux 8|alma linux 8"},
    {"alma9-64", "AlmaLinux 9 (64-bit)", L, true, 80, "9", "almalinux_64Guest", "almalinux-64", "RedHat9_64", "almalinux9", "l26", 2, true, false, "rhel_9x64", false, "almalinux 9|alma linux 9"},
    // SUSE: CIM 82 / 83 SUSE (openSUSE goes here), 84 / 85 SLES + ovf:version.
    {"opensuse", "openSUSE (32-bit)", L, false, 82, "", "opensuseGuest", "opensuse", "OpenSUSE", "opensuse-unknown", "l26", 1, false, false, "", false, "opensuse"},
    {"opensuse-64", "openSUSE (64-bit)", L, true, 83, "", "opensuse64Guest", "opensuse-64", "OpenSUSE_64", "opensuse-unknown", "l26", 1, false, false, "", false, "opensuse"},
    {"sles", "SUSE Linux Enterprise Server (32-bit)", L, false, 84, "", "slesGuest", "sles", "SUSE_LE", "sle-unknown", "l26", 1, false, false, "", false, "suse linux enterprise|sles"},
    {"sles-64", "SUSE Linux Enterprise Server (64-bit)", L, true, 85, "", "sles64Guest", "sles-64", "SUSE_LE_64", "sle-unknown", "l26", 1, false, false, "", false, "suse linux enterprise|sles"},
    {"sles11-64", "SUSE Linux Enterprise Server 11 (64-bit)", L, true, 85, "11", "sles11_64Guest", "sles11-64", "SUSE_LE_64", "sles11sp4", "l26", 1, true, false, "sles_11", false, "suse linux enterprise server 11|sles 11|sles11"},
    {"sles12-64", "SUSE Linux Enterprise Server 12 (64-bit)", L, true, 85, "12", "sles12_64Guest", "sles12-64", "SUSE_LE_64", "sles12-unknown", "l26", 2, true, false, "sles_11", false, "suse linux enterprise server 12|sles 12|sles12"},
    {"sles15-64", "SUSE Linux Enterprise Server 15 (64-bit)", L, true, 85, "15", "sles15_64Guest", "sles15-64", "SUSE_LE_64", "sle15-unknown", "l26", 2, true, false, "sles_11", false, "suse linux enterprise server 15|sles 15|sles15"},
    // Oracle Linux: CIM 108 / 109 + ovf:version.
    {"oraclelinux", "Oracle Linux (32-bit)", L, false, 108, "", "oracleLinuxGuest", "oraclelinux", "Oracle", "linux2022", "l26", 1, false, false, "", false, "oracle linux|oracle enterprise linux"},
    {"oraclelinux-64", "Oracle Linux (64-bit)", L, true, 109, "", "oracleLinux64Guest", "oraclelinux-64", "Oracle_64", "linux2022", "l26", 1, false, false, "", false, "oracle linux|oracle enterprise linux"},
    {"oraclelinux6", "Oracle Linux 6 (32-bit)", L, false, 108, "6", "oracleLinux6Guest", "oraclelinux6", "Oracle6", "ol6.10", "l26", 1, true, false, "rhel_6", false, "oracle linux 6|oracle linux server 6"},
    {"oraclelinux6-64", "Oracle Linux 6 (64-bit)", L, true, 109, "6", "oracleLinux6_64Guest", "oraclelinux6-64", "Oracle6_64", "ol6.10", "l26", 1, true, false, "rhel_6x64", false, "oracle linux 6|oracle linux server 6"},
    {"oraclelinux7-64", "Oracle Linux 7 (64-bit)", L, true, 109, "7", "oracleLinux7_64Guest", "oraclelinux7-64", "Oracle7_64", "ol7.9", "l26", 2, true, false, "rhel_7x64", false, "oracle linux 7|oracle linux server 7"},
    {"oraclelinux8-64", "Oracle Linux 8 (64-bit)", L, true, 109, "8", "oracleLinux8_64Guest", "oraclelinux8-64", "Oracle8_64", "ol8.10", "l26", 2, true, false, "rhel_8x64", false, "oracle linux 8|oracle linux server 8"},
    {"oraclelinux9-64", "Oracle Linux 9 (64-bit)", L, true, 109, "9", "oracleLinux9_64Guest", "oraclelinux9-64", "Oracle9_64", "ol9-unknown", "l26", 2, true, false, "rhel_9x64", false, "oracle linux 9|oracle linux server 9"},
    // Fedora, Photon, Arch: no CIM value, the generic Linux one is written.
    {"fedora", "Fedora (32-bit)", L, false, 36, "", "fedoraGuest", "fedora", "Fedora", "fedora-unknown", "l26", 1, false, false, "", false, "fedora"},
    {"fedora-64", "Fedora (64-bit)", L, true, 101, "", "fedora64Guest", "fedora-64", "Fedora_64", "fedora-unknown", "l26", 2, false, false, "", false, "fedora"},
    {"photon-64", "VMware Photon OS (64-bit)", L, true, 101, "", "vmwarePhoton64Guest", "vmware-photon-64", "Linux26_64", "linux2022", "l26", 2, true, false, "other_linux_kernel_4", false, "photon"},
    {"arch-64", "Arch Linux (64-bit)", L, true, 101, "", "other5xLinux64Guest", "other5xlinux-64", "ArchLinux_64", "archlinux", "l26", 2, true, false, "other_linux_kernel_4", false, "arch linux|archlinux"},
    // Windows of unknown release: no CIM value names it; 18 (WINNT) keeps the family on reading.
    // vSphere has no such id either, so the generic one is written (rule 3).
    {"windows", "Windows (release unknown, 32-bit)", W, false, 18, "", "otherGuest", "other", "WindowsNT", "unknown", "other", 1, false, false, "", true, "windows"},
    {"windows-64", "Windows (release unknown, 64-bit)", W, true, 18, "", "otherGuest64", "other-64", "WindowsNT_64", "unknown", "other", 1, false, false, "", true, "windows"},
    // Windows releases, oldest first.
    {"win2k", "Windows 2000", W, false, 58, "", "win2000ProGuest", "win2000Pro", "Windows2000", "win2k", "w2k", 1, false, false, "", false, "windows 2000"},
    {"winxp", "Windows XP (32-bit)", W, false, 67, "", "winXPProGuest", "winXPPro", "WindowsXP", "winxp", "wxp", 1, false, false, "windows_xp", false, "windows xp"},
    {"winxp-64", "Windows XP (64-bit)", W, true, 71, "", "winXPPro64Guest", "winXPPro-64", "WindowsXP_64", "winxp", "wxp", 1, false, false, "windows_xp", false, "windows xp"},
    {"win2k3", "Windows Server 2003 (32-bit)", W, false, 69, "", "winNetStandardGuest", "winNetStandard", "Windows2003", "win2k3", "w2k3", 1, false, false, "windows_2003", false, "windows server 2003|windows 2003"},
    {"win2k3-64", "Windows Server 2003 (64-bit)", W, true, 70, "", "winNetStandard64Guest", "winNetStandard-64", "Windows2003_64", "win2k3", "w2k3", 1, false, false, "windows_2003x64", false, "windows server 2003|windows 2003"},
    {"winvista", "Windows Vista (32-bit)", W, false, 73, "", "winVistaGuest", "winvista", "WindowsVista", "winvista", "wvista", 1, false, false, "", false, "windows vista"},
    {"winvista-64", "Windows Vista (64-bit)", W, true, 74, "", "winVista64Guest", "winvista-64", "WindowsVista_64", "winvista", "wvista", 1, false, false, "", false, "windows vista"},
    {"win2k8", "Windows Server 2008 (32-bit)", W, false, 76, "", "winLonghornGuest", "longhorn", "Windows2008", "win2k8", "w2k8", 1, false, false, "windows_2008", false, "windows server 2008|windows 2008"},
    {"win2k8-64", "Windows Server 2008 (64-bit)", W, true, 77, "", "winLonghorn64Guest", "longhorn-64", "Windows2008_64", "win2k8", "w2k8", 1, false, false, "windows_2008x64", false, "windows server 2008|windows 2008"},
    {"win7", "Windows 7 (32-bit)", W, false, 105, "", "windows7Guest", "windows7", "Windows7", "win7", "win7", 1, false, false, "windows_7", false, "windows 7"},
    {"win7-64", "Windows 7 (64-bit)", W, true, 105, "", "windows7_64Guest", "windows7-64", "Windows7_64", "win7", "win7", 1, false, false, "windows_7x64", false, "windows 7"},
    // Trap 8: VirtualBox has no 2008 R2 type; Windows2008_64 is written. Trap 4: Proxmox win7.
    {"win2k8r2", "Windows Server 2008 R2", W, true, 103, "", "windows7Server64Guest", "windows7srv-64", "Windows2008_64", "win2k8r2", "win7", 1, false, false, "windows_2008R2x64", false, "windows server 2008 r2|windows 2008 r2"},
    {"win8", "Windows 8 (32-bit)", W, false, 113, "", "windows8Guest", "windows8", "Windows8", "win8", "win8", 1, false, false, "windows_8", false, "windows 8"},
    {"win8-64", "Windows 8 (64-bit)", W, true, 114, "", "windows8_64Guest", "windows8-64", "Windows8_64", "win8", "win8", 1, false, false, "windows_8x64", false, "windows 8"},
    {"win2k12", "Windows Server 2012", W, true, 112, "", "windows8Server64Guest", "windows8srv-64", "Windows2012_64", "win2k12", "win8", 1, false, false, "windows_2012x64", false, "windows server 2012|windows 2012"},
    // VMware has no 8.1 or 2012 R2 ids: Windows 8's are written.
    {"win8.1", "Windows 8.1 (32-bit)", W, false, 117, "", "windows8Guest", "windows8", "Windows81", "win8.1", "win8", 1, false, false, "windows_8", false, "windows 8.1"},
    {"win8.1-64", "Windows 8.1 (64-bit)", W, true, 118, "", "windows8_64Guest", "windows8-64", "Windows81_64", "win8.1", "win8", 1, false, false, "windows_8x64", false, "windows 8.1"},
    {"win2k12r2", "Windows Server 2012 R2", W, true, 115, "", "windows8Server64Guest", "windows8srv-64", "Windows2012_64", "win2k12r2", "win8", 1, false, false, "windows_2012R2x64", false, "windows server 2012 r2|windows 2012 r2"},
    // Trap 2: VMware calls Windows 10 / Server 2016 "windows9", Server 2022 "2019srvNext", 2025 "2022srvNext".
    {"win10", "Windows 10 (32-bit)", W, false, 119, "", "windows9Guest", "windows9", "Windows10", "win10", "win10", 1, false, false, "windows_10", false, "windows 10"},
    {"win10-64", "Windows 10 (64-bit)", W, true, 120, "", "windows9_64Guest", "windows9-64", "Windows10_64", "win10", "win10", 2, false, false, "windows_10x64", false, "windows 10"},
    {"win2k16", "Windows Server 2016", W, true, 116, "", "windows9Server64Guest", "windows9srv-64", "Windows2016_64", "win2k16", "win10", 2, false, false, "windows_2016x64", false, "windows server 2016|windows 2016"},
    {"win2k19", "Windows Server 2019", W, true, 121, "", "windows2019srv_64Guest", "windows2019srv-64", "Windows2019_64", "win2k19", "win10", 2, false, false, "windows_2019x64", false, "windows server 2019|windows 2019"},
    {"win11", "Windows 11", W, true, 122, "", "windows11_64Guest", "windows11-64", "Windows11_64", "win11", "win11", 2, false, true, "windows_11", false, "windows 11"},
    {"win2k22", "Windows Server 2022", W, true, 123, "", "windows2019srvNext_64Guest", "windows2019srvNext-64", "Windows2022_64", "win2k22", "win11", 2, false, false, "windows_2022", false, "windows server 2022|windows 2022"},
    // No CIM value (Other 64-Bit is written) and no VirtualBox 7.1 type (2022's is written).
    {"win2k25", "Windows Server 2025", W, true, 102, "", "windows2022srvNext_64Guest", "windows2022srvNext-64", "Windows2022_64", "win2k25", "win11", 2, false, true, "windows_2025", false, "windows server 2025|windows 2025"},
    // FreeBSD: CIM 42 / 78 + ovf:version; in-box virtio since 10.0.
    {"freebsd", "FreeBSD (32-bit)", B, false, 42, "", "freebsdGuest", "freeBSD", "FreeBSD", "unknown", "other", 1, false, false, "freebsd", false, "freebsd"},
    {"freebsd-64", "FreeBSD (64-bit)", B, true, 78, "", "freebsd64Guest", "freeBSD-64", "FreeBSD_64", "unknown", "other", 1, false, false, "freebsdx64", false, "freebsd"},
    {"freebsd12-64", "FreeBSD 12 (64-bit)", B, true, 78, "12", "freebsd12_64Guest", "freeBSD12-64", "FreeBSD_64", "freebsd12.4", "other", 1, true, false, "freebsdx64", false, "freebsd 12"},
    {"freebsd13-64", "FreeBSD 13 (64-bit)", B, true, 78, "13", "freebsd13_64Guest", "freeBSD13-64", "FreeBSD_64", "freebsd13.3", "other", 1, true, false, "freebsdx64", false, "freebsd 13"},
    {"freebsd14-64", "FreeBSD 14 (64-bit)", B, true, 78, "14", "freebsd14_64Guest", "freeBSD14-64", "FreeBSD_64", "freebsd14.1", "other", 1, true, false, "freebsdx64", false, "freebsd 14"},
    // Solaris: CIM 29 / 81 + ovf:version.
    {"solaris10", "Oracle Solaris 10 (32-bit)", S, false, 29, "10", "solaris10Guest", "solaris10", "Solaris10U8_or_later", "solaris10", "solaris", 1, false, false, "", false, "solaris 10"},
    {"solaris10-64", "Oracle Solaris 10 (64-bit)", S, true, 81, "10", "solaris10_64Guest", "solaris10-64", "Solaris10U8_or_later_64", "solaris10", "solaris", 1, false, false, "", false, "solaris 10"},
    {"solaris11-64", "Oracle Solaris 11 (64-bit)", S, true, 81, "11", "solaris11_64Guest", "solaris11-64", "Solaris11_64", "solaris11", "solaris", 1, false, false, "", false, "solaris 11"},
    // Nested ESXi: CIM 104 + ovf:version (VMware writes "8" with vmkernel8Guest). 64-bit only.
    {"esxi6.5", "VMware ESXi 6.5 and 6.7", O, true, 104, "", "vmkernel65Guest", "vmkernel65", "Other_64", "unknown", "other", 1, false, false, "", false, "esxi 6"},
    {"esxi7", "VMware ESXi 7", O, true, 104, "7", "vmkernel7Guest", "vmkernel7", "Other_64", "unknown", "other", 1, false, false, "", false, "esxi 7"},
    {"esxi8", "VMware ESXi 8", O, true, 104, "8", "vmkernel8Guest", "vmkernel8", "Other_64", "unknown", "other", 1, false, false, "", false, "esxi 8"},
};

// Spellings read but never written: older or non-reversible ids of the same
// guest, and ids for which the table keeps only a less specific row.
constexpr GuestOsAlias k_guest_os_aliases[] = {
    // vSphere guest ids (open-vm-tools GUEST_OS_KEY_MAP, govmomi enum.go).
    {Vocabulary::vmware, "winXPHomeGuest", "winxp"},
    {Vocabulary::vmware, "win2000ServGuest", "win2k"},
    {Vocabulary::vmware, "win2000AdvServGuest", "win2k"},
    {Vocabulary::vmware, "winNetWebGuest", "win2k3"},
    {Vocabulary::vmware, "winNetEnterpriseGuest", "win2k3"},
    {Vocabulary::vmware, "winNetDatacenterGuest", "win2k3"},
    {Vocabulary::vmware, "winNetBusinessGuest", "win2k3"},
    {Vocabulary::vmware, "winNetEnterprise64Guest", "win2k3-64"},
    {Vocabulary::vmware, "winNetDatacenter64Guest", "win2k3-64"},
    {Vocabulary::vmware, "genericLinuxGuest", "linux"},
    {Vocabulary::vmware, "other6xLinuxGuest", "linux5"},
    {Vocabulary::vmware, "other6xLinux64Guest", "linux5-64"},
    {Vocabulary::vmware, "other7xLinuxGuest", "linux5"},
    {Vocabulary::vmware, "other7xLinux64Guest", "linux5-64"},
    {Vocabulary::vmware, "suseGuest", "opensuse"},
    {Vocabulary::vmware, "suse64Guest", "opensuse-64"},
    {Vocabulary::vmware, "centos7Guest", "centos"},
    {Vocabulary::vmware, "oracleLinux7Guest", "oraclelinux"},
    {Vocabulary::vmware, "rhel7Guest", "rhel"},
    {Vocabulary::vmware, "rhel4Guest", "rhel"},
    {Vocabulary::vmware, "rhel4_64Guest", "rhel-64"},
    {Vocabulary::vmware, "rhel10_64Guest", "rhel-64"},
    {Vocabulary::vmware, "debian6Guest", "debian"},
    {Vocabulary::vmware, "debian6_64Guest", "debian-64"},
    {Vocabulary::vmware, "debian7Guest", "debian"},
    {Vocabulary::vmware, "debian7_64Guest", "debian-64"},
    {Vocabulary::vmware, "debian10Guest", "debian"},
    {Vocabulary::vmware, "debian11Guest", "debian"},
    {Vocabulary::vmware, "debian12Guest", "debian"},
    {Vocabulary::vmware, "debian13_64Guest", "debian-64"},
    {Vocabulary::vmware, "sles10Guest", "sles"},
    {Vocabulary::vmware, "sles10_64Guest", "sles-64"},
    {Vocabulary::vmware, "sles11Guest", "sles"},
    {Vocabulary::vmware, "sles12Guest", "sles"},
    {Vocabulary::vmware, "sles16_64Guest", "sles-64"},
    {Vocabulary::vmware, "freebsd11_64Guest", "freebsd-64"},
    {Vocabulary::vmware, "freebsd15_64Guest", "freebsd-64"},
    // .vmx keys: GUEST_OS_KEY_MAP's non-reversible ones, and trap 3's
    // spellings from Proxmox's ESXi importer.
    {Vocabulary::vmx, "linux", "linux"},
    {Vocabulary::vmx, "genericlinux", "linux"},
    {Vocabulary::vmx, "other6xlinux", "linux5"},
    {Vocabulary::vmx, "other6xlinux-64", "linux5-64"},
    {Vocabulary::vmx, "other7xlinux", "linux5"},
    {Vocabulary::vmx, "other7xlinux-64", "linux5-64"},
    {Vocabulary::vmx, "win2000", "win2k"},
    {Vocabulary::vmx, "whistler", "winxp"},
    {Vocabulary::vmx, "winXPHome", "winxp"},
    {Vocabulary::vmx, "winNetWeb", "win2k3"},
    {Vocabulary::vmx, "winNetEnterprise", "win2k3"},
    {Vocabulary::vmx, "winNetDatacenter", "win2k3"},
    {Vocabulary::vmx, "winNetBusiness", "win2k3"},
    {Vocabulary::vmx, "winNetEnterprise-64", "win2k3-64"},
    {Vocabulary::vmx, "winNetDatacenter-64", "win2k3-64"},
    {Vocabulary::vmx, "windows7Server-64", "win2k8r2"},
    {Vocabulary::vmx, "windows8Server-64", "win2k12"},
    {Vocabulary::vmx, "windows9Server-64", "win2k16"},
    {Vocabulary::vmx, "centos7", "centos"},
    {Vocabulary::vmx, "oraclelinux7", "oraclelinux"},
    {Vocabulary::vmx, "suse", "opensuse"},
    {Vocabulary::vmx, "suse-64", "opensuse-64"},
    // VirtualBox: settings older than 1.5 (convertOldOSType_pre1_5) and
    // types the table keeps only a less specific row for.
    {Vocabulary::vbox, "unknown", "other"},
    {Vocabulary::vbox, "win2k", "win2k"},
    {Vocabulary::vbox, "winxp", "winxp"},
    {Vocabulary::vbox, "win2k3", "win2k3"},
    {Vocabulary::vbox, "winvista", "winvista"},
    {Vocabulary::vbox, "win2k8", "win2k8"},
    {Vocabulary::vbox, "fedoracore", "fedora"},
    {Vocabulary::vbox, "Solaris", "solaris10"},
    {Vocabulary::vbox, "Solaris_64", "solaris10-64"},
    {Vocabulary::vbox, "OpenSUSE_Leap_64", "opensuse-64"},
    {Vocabulary::vbox, "OpenSUSE_Tumbleweed", "opensuse"},
    {Vocabulary::vbox, "OpenSUSE_Tumbleweed_64", "opensuse-64"},
    {Vocabulary::vbox, "ArchLinux", "linux"},
    {Vocabulary::vbox, "RedHat3", "rhel"},
    {Vocabulary::vbox, "RedHat3_64", "rhel-64"},
    {Vocabulary::vbox, "RedHat4", "rhel"},
    {Vocabulary::vbox, "RedHat4_64", "rhel-64"},
    {Vocabulary::vbox, "Oracle4", "oraclelinux"},
    {Vocabulary::vbox, "Oracle4_64", "oraclelinux-64"},
    {Vocabulary::vbox, "Oracle5", "oraclelinux"},
    {Vocabulary::vbox, "Oracle5_64", "oraclelinux-64"},
    {Vocabulary::vbox, "Debian10", "debian"},
    {Vocabulary::vbox, "Debian11", "debian"},
    {Vocabulary::vbox, "Debian12", "debian"},
    // oVirt names for which the table has no row of their own.
    {Vocabulary::ovirt, "rhel_3", "rhel"},
    {Vocabulary::ovirt, "rhel_4", "rhel"},
    {Vocabulary::ovirt, "rhel_3x64", "rhel-64"},
    {Vocabulary::ovirt, "rhel_4x64", "rhel-64"},
    {Vocabulary::ovirt, "rhel_10x64", "rhel-64"},
    {Vocabulary::ovirt, "rhel_atomic7x64", "rhel7-64"},
    {Vocabulary::ovirt, "rhcos_x64", "rhel8-64"},
    {Vocabulary::ovirt, "ubuntu_12_04", "ubuntu-64"},
    {Vocabulary::ovirt, "ubuntu_12_10", "ubuntu-64"},
    {Vocabulary::ovirt, "ubuntu_13_04", "ubuntu-64"},
    {Vocabulary::ovirt, "ubuntu_13_10", "ubuntu-64"},
    {Vocabulary::ovirt, "ubuntu_14_04", "ubuntu-64"},
    {Vocabulary::ovirt, "debian_7", "debian-64"},
};

// Rule 4: the row an unknown id maps to when its family shows in the
// spelling (case-insensitive prefix, or anywhere for "linux"). Rows are
// release-less; a 64-bit spelling ("64" anywhere) picks the second key.
constexpr GuestOsPattern k_guest_os_patterns[] = {
    {"win", false, "windows", "windows-64"},
    {"ubuntu", false, "ubuntu", "ubuntu-64"},
    {"debian", false, "debian", "debian-64"},
    {"rhel", false, "rhel", "rhel-64"},
    {"redhat", false, "rhel", "rhel-64"},
    {"centos", false, "centos", "centos-64"},
    {"sles", false, "sles", "sles-64"},
    {"opensuse", false, "opensuse", "opensuse-64"},
    {"oracle", false, "oraclelinux", "oraclelinux-64"},
    {"fedora", false, "fedora", "fedora-64"},
    {"freebsd", false, "freebsd", "freebsd-64"},
    {"solaris", false, "solaris10", "solaris10-64"},
    {"linux", true, "linux", "linux-64"},
};

// Rule 2.1.2: a lone CIM id 111-123 is "Windows, release uncertain". The
// tables in use give each number several meanings (CIM 2.55, VirtualBox's
// CIMOSType_T, gce_ovf_import's shifted table, what VMware writes); the
// oldest of them decides drivers, the newest firmware when nothing else does.
constexpr GuestOsCimRange k_guest_os_cim_windows[] = {
    {111, "win2k8r2", "win2k8r2"},   // Server 2011 (SBS, NT 6.1) everywhere
    {112, "win2k12", "win2k19"},     // 2.55 Server 2012; VMware writes it for 2012, 2016, 2019
    {113, "win8", "win10"},          // 2.55 Windows 8; GCE Server 2012; VMware Windows 8/10 32-bit
    {114, "win8-64", "win10-64"},    // 2.55 Windows 8 64; GCE Windows 8; govmomi 8.1; VMware 10 64
    {115, "win8-64", "win2k12r2"},   // 2.55 Server 2012 R2; GCE Windows 8 64-bit
    {116, "win2k12r2", "win2k16"},   // 2.55 Server 2016; VirtualBox Windows 8.1; GCE Server 2012 R2
    {117, "win8.1", "win2k16"},      // 2.55 Windows 8.1; VirtualBox 8.1 64-bit; GCE Server 2016
    {118, "win8.1-64", "win2k16"},   // 2.55 Windows 8.1 64; VirtualBox Server 2016; GCE Windows 8.1
    {119, "win8.1-64", "win10"},     // 2.55 Windows 10; GCE Windows 8.1 64-bit
    {120, "win10-64", "win10-64"},   // 2.55 Windows 10 64; GCE Windows 10
    {121, "win10-64", "win2k19"},    // 2.55 Server 2019; GCE Windows 10 64-bit
    {122, "win2k19", "win11"},       // 2.55 Windows 11; GCE Server 2019
    {123, "win2k22", "win11"},       // 2.55 Server 2022; GCE Windows 11
};
// clang-format on

std::span<const GuestOsRow> rows() {
    return k_guest_os_rows;
}
std::span<const GuestOsAlias> aliases() {
    return k_guest_os_aliases;
}
std::span<const GuestOsPattern> patterns() {
    return k_guest_os_patterns;
}
std::span<const GuestOsCimRange> cim_windows() {
    return k_guest_os_cim_windows;
}

} // namespace ovfkit::platform::detail
