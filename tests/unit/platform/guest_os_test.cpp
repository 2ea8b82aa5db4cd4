// The guest-OS table against what mapping.md transcribes from each
// vendor's source, its lookups, resolve_guest_os()'s rules (mapping.md 2.1,
// 2.2, traps 2-4, 8, 11), hostile hints (mapping.md 10) and every descriptor
// of the shared corpus.
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/text.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/platform/guest_os.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::platform {
namespace {

const GuestOsRow& row(std::string_view key) {
    const auto* r = find_guest_os(key);
    EXPECT_NE(r, nullptr) << key;
    static const GuestOsRow k_none{};
    return r != nullptr ? *r : k_none;
}

std::string key_of(const GuestOsRow* r) {
    return r == nullptr ? "(null)" : std::string(r->key);
}

bool plain(std::string_view s, std::string_view extra) {
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  extra.find(c) != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

// ---------------------------------------------------------------- the table

TEST(GuestOsTable, RowsAreWellFormed) {
    std::set<std::string_view> keys;
    const std::set<std::string_view> pve{"other",  "wxp",  "w2k",    "w2k3",  "w2k8",
                                         "wvista", "win7", "win8",   "win10", "win11",
                                         "l24",    "l26",  "solaris"}; // qemu-server ostype enum
    for (const auto& r : guest_os_table()) {
        SCOPED_TRACE(std::string(r.key));
        EXPECT_TRUE(keys.insert(r.key).second) << "duplicate key";
        EXPECT_FALSE(r.key.empty());
        EXPECT_TRUE(plain(r.key, ".-"));
        EXPECT_EQ(find_guest_os(r.key), &r);
        EXPECT_FALSE(r.display.empty());
        EXPECT_NE(r.cim, 0);
        EXPECT_TRUE(plain(r.cim_version, "."));
        for (auto id : {r.vmware, r.vmx, r.vbox, r.osinfo}) {
            EXPECT_FALSE(id.empty());
            EXPECT_TRUE(plain(id, "._-")) << id;
        }
        EXPECT_TRUE(pve.contains(r.pve)) << r.pve;
        EXPECT_TRUE(plain(r.ovirt, "_"));
        EXPECT_TRUE(r.hyperv_generation == 1 || r.hyperv_generation == 2);
        // Generation 2 and UEFI-only guests are 64-bit (mapping.md 8 "arch").
        if (!r.x64) {
            EXPECT_EQ(r.hyperv_generation, 1);
            EXPECT_FALSE(r.uefi_required);
        }
        if (r.uefi_required) {
            EXPECT_EQ(r.hyperv_generation, 2);
        }
        if (r.family == OsFamily::windows) {
            EXPECT_FALSE(r.virtio); // no in-box virtio drivers in any Windows
        }
        if (r.generic) {
            EXPECT_TRUE(r.family == OsFamily::other || r.family == OsFamily::linux ||
                        r.family == OsFamily::windows);
            // Only Linux rows that name a kernel >= 3 promise virtio.
            if (r.family != OsFamily::linux || r.key == "linux" || r.key == "linux-64") {
                EXPECT_FALSE(r.virtio);
            }
        }
        // Description needles are lowercase (descriptions are lowercased).
        EXPECT_EQ(ascii_lower(r.describes), r.describes);
    }
    EXPECT_GE(keys.size(), 90u);
}

// Rule 2.2: each vocabulary spells bitness its own way; the rows agree.
// Nested ESXi is the exception: its ids carry no suffix and it is 64-bit.
TEST(GuestOsTable, BitnessMatchesEachVocabularysSpelling) {
    for (const auto& r : guest_os_table()) {
        SCOPED_TRACE(std::string(r.key));
        if (r.key.starts_with("esxi")) {
            EXPECT_TRUE(r.x64);
            continue;
        }
        EXPECT_EQ(r.vbox.ends_with("_64"), r.x64) << r.vbox;
        EXPECT_EQ(r.vmx.ends_with("-64"), r.x64) << r.vmx;
        EXPECT_EQ(r.vmware.find("64") != std::string_view::npos, r.x64) << r.vmware;
    }
}

// Trap 11 and mapping.md 1.2: only Windows 11 and Server 2025 need UEFI,
// Secure Boot and TPM 2.0.
TEST(GuestOsTable, OnlyWindows11AndServer2025RequireUefi) {
    std::set<std::string_view> uefi;
    for (const auto& r : guest_os_table()) {
        if (r.uefi_required) {
            uefi.insert(r.key);
        }
    }
    EXPECT_EQ(uefi, (std::set<std::string_view>{"win11", "win2k25"}));
}

// mapping.md 1.2, transcribed row by row (where it lists alternatives, the
// one the table writes is named here).
struct Expected {
    std::string_view key;
    uint16_t cim;
    std::string_view version;
    std::string_view vmware;
    std::string_view vmx;
    std::string_view vbox;
    std::string_view osinfo;
    std::string_view pve;
    int hyperv;
};

TEST(GuestOsTable, MatchesMappingCrossSystemTable) {
    const Expected expected[] = {
        {"win7-64", 105, "", "windows7_64Guest", "windows7-64", "Windows7_64", "win7", "win7", 1},
        {"win8.1-64", 118, "", "windows8_64Guest", "windows8-64", "Windows81_64", "win8.1", "win8",
         1},
        {"win10-64", 120, "", "windows9_64Guest", "windows9-64", "Windows10_64", "win10", "win10",
         2},
        {"win11", 122, "", "windows11_64Guest", "windows11-64", "Windows11_64", "win11", "win11",
         2},
        {"win2k8r2", 103, "", "windows7Server64Guest", "windows7srv-64", "Windows2008_64",
         "win2k8r2", "win7", 1},
        {"win2k12r2", 115, "", "windows8Server64Guest", "windows8srv-64", "Windows2012_64",
         "win2k12r2", "win8", 1},
        {"win2k16", 116, "", "windows9Server64Guest", "windows9srv-64", "Windows2016_64", "win2k16",
         "win10", 2},
        {"win2k19", 121, "", "windows2019srv_64Guest", "windows2019srv-64", "Windows2019_64",
         "win2k19", "win10", 2},
        {"win2k22", 123, "", "windows2019srvNext_64Guest", "windows2019srvNext-64",
         "Windows2022_64", "win2k22", "win11", 2},
        {"win2k25", 102, "", "windows2022srvNext_64Guest", "windows2022srvNext-64",
         "Windows2022_64", "win2k25", "win11", 2},
        {"ubuntu-64", 94, "", "ubuntu64Guest", "ubuntu-64", "Ubuntu_64", "linux2022", "l26", 2},
        {"ubuntu20.04-64", 94, "20.04", "ubuntu64Guest", "ubuntu-64", "Ubuntu20_LTS_64",
         "ubuntu20.04", "l26", 2},
        {"ubuntu22.04-64", 94, "22.04", "ubuntu64Guest", "ubuntu-64", "Ubuntu22_LTS_64",
         "ubuntu22.04", "l26", 2},
        {"ubuntu24.04-64", 94, "24.04", "ubuntu64Guest", "ubuntu-64", "Ubuntu24_LTS_64",
         "ubuntu24.04", "l26", 2},
        {"debian10-64", 96, "10", "debian10_64Guest", "debian10-64", "Debian10_64", "debian10",
         "l26", 2},
        {"debian11-64", 96, "11", "debian11_64Guest", "debian11-64", "Debian11_64", "debian11",
         "l26", 2},
        {"debian12-64", 96, "12", "debian12_64Guest", "debian12-64", "Debian12_64", "debian12",
         "l26", 2},
        {"rhel7-64", 80, "7", "rhel7_64Guest", "rhel7-64", "RedHat7_64", "rhel7-unknown", "l26", 2},
        {"rhel8-64", 80, "8", "rhel8_64Guest", "rhel8-64", "RedHat8_64", "rhel8-unknown", "l26", 2},
        {"rhel9-64", 80, "9", "rhel9_64Guest", "rhel9-64", "RedHat9_64", "rhel9-unknown", "l26", 2},
        {"centos7-64", 107, "7", "centos7_64Guest", "centos7-64", "RedHat7_64", "centos7.0", "l26",
         2},
        {"centos-stream9-64", 107, "9", "centos9_64Guest", "centos9-64", "RedHat9_64",
         "centos-stream9", "l26", 2},
        {"rocky8-64", 80, "8", "rockylinux_64Guest", "rockylinux-64", "RedHat8_64", "rocky8", "l26",
         2},
        {"rocky9-64", 80, "9", "rockylinux_64Guest", "rockylinux-64", "RedHat9_64", "rocky9", "l26",
         2},
        {"alma8-64", 80, "8", "almalinux_64Guest", "almalinux-64", "RedHat8_64", "almalinux8",
         "l26", 2},
        {"alma9-64", 80, "9", "almalinux_64Guest", "almalinux-64", "RedHat9_64", "almalinux9",
         "l26", 2},
        {"sles12-64", 85, "12", "sles12_64Guest", "sles12-64", "SUSE_LE_64", "sles12-unknown",
         "l26", 2},
        {"sles15-64", 85, "15", "sles15_64Guest", "sles15-64", "SUSE_LE_64", "sle15-unknown", "l26",
         2},
        {"oraclelinux7-64", 109, "7", "oracleLinux7_64Guest", "oraclelinux7-64", "Oracle7_64",
         "ol7.9", "l26", 2},
        {"oraclelinux8-64", 109, "8", "oracleLinux8_64Guest", "oraclelinux8-64", "Oracle8_64",
         "ol8.10", "l26", 2},
        {"oraclelinux9-64", 109, "9", "oracleLinux9_64Guest", "oraclelinux9-64", "Oracle9_64",
         "ol9-unknown", "l26", 2},
        {"fedora-64", 101, "", "fedora64Guest", "fedora-64", "Fedora_64", "fedora-unknown", "l26",
         2},
        {"linux26", 99, "", "other26xLinuxGuest", "other26xlinux", "Linux26", "linux2016", "l26",
         1},
        {"linux26-64", 100, "", "other26xLinux64Guest", "other26xlinux-64", "Linux26_64",
         "linux2016", "l26", 1},
        {"linux3", 36, "", "other3xLinuxGuest", "other3xlinux", "Linux26", "linux2016", "l26", 1},
        {"linux3-64", 101, "", "other3xLinux64Guest", "other3xlinux-64", "Linux26_64", "linux2016",
         "l26", 1},
        {"linux4", 36, "", "other4xLinuxGuest", "other4xlinux", "Linux26", "linux2018", "l26", 1},
        {"linux4-64", 101, "", "other4xLinux64Guest", "other4xlinux-64", "Linux26_64", "linux2018",
         "l26", 2},
        {"linux5", 36, "", "other5xLinuxGuest", "other5xlinux", "Linux26", "linux2022", "l26", 1},
        {"linux5-64", 101, "", "other5xLinux64Guest", "other5xlinux-64", "Linux26_64", "linux2022",
         "l26", 2},
        {"freebsd12-64", 78, "12", "freebsd12_64Guest", "freeBSD12-64", "FreeBSD_64", "freebsd12.4",
         "other", 1},
        {"freebsd13-64", 78, "13", "freebsd13_64Guest", "freeBSD13-64", "FreeBSD_64", "freebsd13.3",
         "other", 1},
        {"freebsd14-64", 78, "14", "freebsd14_64Guest", "freeBSD14-64", "FreeBSD_64", "freebsd14.1",
         "other", 1},
        {"solaris11-64", 81, "11", "solaris11_64Guest", "solaris11-64", "Solaris11_64", "solaris11",
         "solaris", 1},
        {"other", 1, "", "otherGuest", "other", "Other", "unknown", "other", 1},
        {"other-64", 102, "", "otherGuest64", "other-64", "Other_64", "unknown", "other", 1},
    };
    for (const auto& e : expected) {
        SCOPED_TRACE(std::string(e.key));
        const auto& r = row(e.key);
        EXPECT_EQ(r.cim, e.cim);
        EXPECT_EQ(r.cim_version, e.version);
        EXPECT_EQ(r.vmware, e.vmware);
        EXPECT_EQ(r.vmx, e.vmx);
        EXPECT_EQ(r.vbox, e.vbox);
        EXPECT_EQ(r.osinfo, e.osinfo);
        EXPECT_EQ(r.pve, e.pve);
        EXPECT_EQ(r.hyperv_generation, e.hyperv);
    }
}

// An independent reader: every libosinfo short id the table writes is in
// the osinfo-db installed on this machine, except those mapping.md took
// from a newer osinfo-db than Debian 12 ships.
TEST(GuestOsTable, OsinfoIdsExistInOsinfoDb) {
    const std::filesystem::path db = "/usr/share/osinfo/os";
    if (!std::filesystem::is_directory(db)) {
        GTEST_SKIP() << "osinfo-db is not installed";
    }
    std::set<std::string> ids;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(db)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        std::string s = text.str();
        for (size_t at = s.find("<short-id>"); at != std::string::npos;
             at = s.find("<short-id>", at + 1)) {
            size_t start = at + 10;
            size_t end = s.find("</short-id>", start);
            if (end != std::string::npos) {
                ids.insert(s.substr(start, end - start));
            }
        }
    }
    ASSERT_GT(ids.size(), 100u);
    const std::set<std::string> newer{"debian12",    "ubuntu24.04", "win2k25",     "ol8.10",
                                      "ol9-unknown", "freebsd12.4", "freebsd13.3", "freebsd14.1"};
    for (const auto& r : guest_os_table()) {
        std::string id(r.osinfo);
        if (!newer.contains(id)) {
            EXPECT_TRUE(ids.contains(id)) << r.key << ": " << id;
        }
    }
}

// ---------------------------------------------------------------- lookups

TEST(GuestOsLookup, ReverseLookupsAgreeWithTheRow) {
    for (const auto& r : guest_os_table()) {
        SCOPED_TRACE(std::string(r.key));
        for (const auto* back :
             {guest_os_by_vmware(r.vmware), guest_os_by_vmx(r.vmx), guest_os_by_vbox(r.vbox)}) {
            ASSERT_NE(back, nullptr);
            EXPECT_EQ(back->x64, r.x64) << back->key;
            // Generic Windows is written as VMware's generic id (rule 3).
            EXPECT_TRUE(back->family == r.family || r.generic) << back->key;
        }
        if (!r.ovirt.empty()) {
            ASSERT_NE(guest_os_by_ovirt(r.ovirt), nullptr);
        }
        ASSERT_NE(guest_os_by_osinfo(r.osinfo), nullptr);
        ASSERT_NE(guest_os_by_pve(r.pve), nullptr);
    }
}

TEST(GuestOsLookup, SharedIdsAnswerTheGenericOrOldestRow) {
    EXPECT_EQ(key_of(guest_os_by_vmware("ubuntu64Guest")), "ubuntu-64");
    EXPECT_EQ(key_of(guest_os_by_vmware("windows8Server64Guest")), "win2k12");
    EXPECT_EQ(key_of(guest_os_by_vmware("otherLinux64Guest")), "linux-64");
    EXPECT_EQ(key_of(guest_os_by_vmware("otherGuest")), "other");
    EXPECT_EQ(key_of(guest_os_by_vbox("RedHat8_64")), "rhel8-64");
    EXPECT_EQ(key_of(guest_os_by_vbox("Windows2022_64")), "win2k22");
    EXPECT_EQ(key_of(guest_os_by_vbox("Windows2008_64")), "win2k8-64");
    EXPECT_EQ(key_of(guest_os_by_vbox("Linux26_64")), "linux26-64");
    EXPECT_EQ(key_of(guest_os_by_vbox("SUSE_LE_64")), "sles-64");
    EXPECT_EQ(key_of(guest_os_by_osinfo("linux2022")), "linux-64");
    EXPECT_EQ(key_of(guest_os_by_osinfo("win7")), "win7-64");
    EXPECT_EQ(key_of(guest_os_by_osinfo("unknown")), "other-64");
    EXPECT_EQ(key_of(guest_os_by_osinfo("debian12")), "debian12-64");
    EXPECT_EQ(key_of(guest_os_by_ovirt("windows_2022")), "win2k22");
    EXPECT_EQ(key_of(guest_os_by_ovirt("rhel_6x64")), "rhel6-64");
}

TEST(GuestOsLookup, ProxmoxGenericIdsStayGeneric) {
    EXPECT_EQ(key_of(guest_os_by_pve("l26")), "linux-64");
    EXPECT_EQ(key_of(guest_os_by_pve("L26")), "linux-64");
    EXPECT_EQ(key_of(guest_os_by_pve("l24")), "linux24-64");
    EXPECT_EQ(key_of(guest_os_by_pve("other")), "other-64");
    EXPECT_EQ(key_of(guest_os_by_pve("win10")), "win10-64");
    EXPECT_EQ(key_of(guest_os_by_pve("win11")), "win11");
    EXPECT_EQ(key_of(guest_os_by_pve("w2k8")), "win2k8-64");
    EXPECT_EQ(key_of(guest_os_by_pve("solaris")), "solaris10-64");
    EXPECT_EQ(guest_os_by_pve("l27"), nullptr);
}

// Traps 3 and 5: two spellings of one VMware id, compared without case;
// Proxmox's ESXi importer's non-keys read as aliases.
TEST(GuestOsLookup, VmwareSpellingsAndCase) {
    EXPECT_EQ(key_of(guest_os_by_vmx("windows7Server-64")), "win2k8r2");
    EXPECT_EQ(key_of(guest_os_by_vmx("windows8Server-64")), "win2k12");
    EXPECT_EQ(key_of(guest_os_by_vmx("windows9Server-64")), "win2k16");
    EXPECT_EQ(key_of(guest_os_by_vmx("windows2019srvnext-64")), "win2k22");
    EXPECT_EQ(key_of(guest_os_by_vmx("windows2019srvNext-64")), "win2k22");
    EXPECT_EQ(key_of(guest_os_by_vmx("FREEBSD12-64")), "freebsd12-64");
    EXPECT_EQ(key_of(guest_os_by_vmx("linux")), "linux");
    EXPECT_EQ(key_of(guest_os_by_vmx("other6xlinux-64")), "linux5-64");
    EXPECT_EQ(key_of(guest_os_by_vmware("WINDOWS9_64GUEST")), "win10-64");
    EXPECT_EQ(key_of(guest_os_by_vmware("winNetEnterprise64Guest")), "win2k3-64");
    EXPECT_EQ(key_of(guest_os_by_vbox("ubuntu_64")), "ubuntu-64");
    EXPECT_EQ(key_of(guest_os_by_vbox("win2k3")), "win2k3"); // VirtualBox < 1.5
    // The enum is not the .vmx key and vice versa.
    EXPECT_EQ(guest_os_by_vmware("windows9-64"), nullptr);
    EXPECT_EQ(guest_os_by_vmx("windows9_64Guest"), nullptr);
}

// mapping.md 1.1: what each CIM id reads as alone and with ovf:version.
TEST(GuestOsLookup, CimIds) {
    const std::map<uint16_t, std::string> alone{
        {1, "other"},
        {18, "windows-64"},
        {29, "solaris10"},
        {36, "linux"},
        {42, "freebsd"},
        {58, "win2k"},
        {67, "winxp"},
        {69, "win2k3"},
        {70, "win2k3-64"},
        {71, "winxp-64"},
        {73, "winvista"},
        {74, "winvista-64"},
        {76, "win2k8"},
        {77, "win2k8-64"},
        {78, "freebsd-64"},
        {79, "rhel"},
        {80, "rhel-64"},
        {81, "solaris10-64"},
        {82, "opensuse"},
        {83, "opensuse-64"},
        {84, "sles"},
        {85, "sles-64"},
        {93, "ubuntu"},
        {94, "ubuntu-64"},
        {95, "debian"},
        {96, "debian-64"},
        {97, "linux24"},
        {98, "linux24-64"},
        {99, "linux26"},
        {100, "linux26-64"},
        {101, "linux-64"},
        {102, "other-64"},
        {103, "win2k8r2"},
        {104, "esxi6.5"},
        {105, "win7-64"},
        {106, "centos"},
        {107, "centos-64"},
        {108, "oraclelinux"},
        {109, "oraclelinux-64"},
        // Rule 2.1.2: the oldest release any CIM table in use gives the number.
        {111, "win2k8r2"},
        {112, "win2k12"},
        {113, "win8"},
        {114, "win8-64"},
        {115, "win8-64"},
        {116, "win2k12r2"},
        {117, "win8.1"},
        {118, "win8.1-64"},
        {119, "win8.1-64"},
        {120, "win10-64"},
        {121, "win10-64"},
        {122, "win2k19"},
        {123, "win2k22"},
    };
    for (const auto& [id, key] : alone) {
        EXPECT_EQ(key_of(guest_os_by_cim(id)), key) << id;
    }
    EXPECT_EQ(key_of(guest_os_by_cim(96, "12")), "debian12-64");
    EXPECT_EQ(key_of(guest_os_by_cim(96, "13")), "debian-64"); // no Debian 13 row
    EXPECT_EQ(key_of(guest_os_by_cim(80, "8")), "rhel8-64");
    EXPECT_EQ(key_of(guest_os_by_cim(107, "7")), "centos7-64");
    EXPECT_EQ(key_of(guest_os_by_cim(85, "15")), "sles15-64");
    EXPECT_EQ(key_of(guest_os_by_cim(78, "13")), "freebsd13-64");
    EXPECT_EQ(key_of(guest_os_by_cim(81, "11")), "solaris11-64");
    EXPECT_EQ(key_of(guest_os_by_cim(104, "8")), "esxi8");
    EXPECT_EQ(key_of(guest_os_by_cim(94, "22.04")), "ubuntu22.04-64");
    EXPECT_EQ(guest_os_by_cim(0), nullptr);
    EXPECT_EQ(guest_os_by_cim(2), nullptr); // MACOS: no row
    EXPECT_EQ(guest_os_by_cim(65535), nullptr);
}

TEST(GuestOsLookup, FamilyFallbacks) {
    EXPECT_EQ(fallback_guest_os(OsFamily::other, true).key, "other-64");
    EXPECT_EQ(fallback_guest_os(OsFamily::other, false).key, "other");
    EXPECT_EQ(fallback_guest_os(OsFamily::linux, true).key, "linux-64");
    EXPECT_EQ(fallback_guest_os(OsFamily::windows, false).key, "windows");
    EXPECT_EQ(fallback_guest_os(OsFamily::bsd, true).key, "freebsd-64");
    EXPECT_EQ(fallback_guest_os(OsFamily::solaris, true).key, "solaris10-64");
    for (auto family :
         {OsFamily::other, OsFamily::windows, OsFamily::linux, OsFamily::bsd, OsFamily::solaris}) {
        for (bool x64 : {false, true}) {
            EXPECT_EQ(fallback_guest_os(family, x64).family, family);
            EXPECT_EQ(fallback_guest_os(family, x64).x64, x64);
        }
    }
}

// ---------------------------------------------------------------- resolve

GuestOs resolve(std::optional<std::string> cim, std::optional<std::string> vmware = {},
                std::optional<std::string> vbox = {}, std::optional<std::string> version = {},
                std::optional<std::string> description = {},
                std::optional<std::string> vendor = {}) {
    GuestOsHints h;
    h.cim_id = std::move(cim);
    h.vmware = std::move(vmware);
    h.vbox = std::move(vbox);
    h.cim_version = std::move(version);
    h.description = std::move(description);
    h.vendor_os_type = std::move(vendor);
    auto out = resolve_guest_os(h);
    EXPECT_NE(out.row, nullptr);
    EXPECT_NE(out.newest, nullptr);
    return out;
}

// What ovfkit writes for a row (ovf:id, ovf:version, vmw:osType and the
// display name as Description) reads back as the row; where VMware's id is
// generic, as a row of its family and bitness.
TEST(GuestOsResolve, VmwareViewOfEveryRowReadsBack) {
    for (const auto& r : guest_os_table()) {
        SCOPED_TRACE(std::string(r.key));
        auto got = resolve(std::to_string(r.cim), std::string(r.vmware), {},
                           std::string(r.cim_version), std::string(r.display));
        EXPECT_EQ(got.conflict, std::nullopt) << *got.conflict;
        EXPECT_TRUE(got.ignored.empty());
        EXPECT_EQ(got.confidence, OsConfidence::high);
        if (guest_os_by_vmware(r.vmware)->generic) {
            EXPECT_EQ(got.row->x64, r.x64);
            EXPECT_TRUE(got.row->family == r.family || r.generic) << got.row->key;
        } else {
            EXPECT_EQ(got.row->key, r.key) << got.decided_by;
        }
    }
}

// The same through VirtualBox's ids, which cannot tell every row apart
// (Rocky 8 is RedHat8_64): family and bitness always survive.
TEST(GuestOsResolve, VirtualBoxViewOfEveryRowKeepsFamilyAndBitness) {
    for (const auto& r : guest_os_table()) {
        SCOPED_TRACE(std::string(r.key));
        auto got = resolve(std::to_string(r.cim), {}, std::string(r.vbox),
                           std::string(r.cim_version), std::string(r.display));
        EXPECT_EQ(got.decided_by.substr(0, 11), "vbox:OSType");
        EXPECT_EQ(got.row->x64, r.x64);
        EXPECT_EQ(got.row->family, r.family);
    }
    auto centos = resolve("107", {}, "RedHat8_64", "8");
    EXPECT_EQ(centos.row->key, "centos8-64");
    EXPECT_EQ(centos.decided_by, "vbox:OSType+ovf:version");
}

TEST(GuestOsResolve, VirtualBoxBeatsVmwareBeatsCim) {
    auto got = resolve("96", "debian11_64Guest", "Ubuntu22_LTS_64", "11");
    EXPECT_EQ(got.row->key, "ubuntu22.04-64");
    EXPECT_EQ(got.decided_by, "vbox:OSType");
    EXPECT_EQ(got.confidence, OsConfidence::high);
    EXPECT_EQ(got.conflict, std::nullopt); // releases differ, the family does not
    auto vmw = resolve("96", "debian11_64Guest", {}, "12");
    EXPECT_EQ(vmw.row->key, "debian11-64");
    EXPECT_EQ(vmw.decided_by, "vmw:osType");
}

// Rule 1: a family disagreement is reported, naming both values; the
// vendor id wins.
TEST(GuestOsResolve, FamilyConflictIsReported) {
    auto got = resolve("94", "windows9_64Guest");
    EXPECT_EQ(got.row->key, "win10-64");
    ASSERT_TRUE(got.conflict);
    EXPECT_NE(got.conflict->find("\"windows9_64Guest\""), std::string::npos) << *got.conflict;
    EXPECT_NE(got.conflict->find("ovf:id \"94\""), std::string::npos) << *got.conflict;
    EXPECT_NE(got.conflict->find("linux"), std::string::npos);
    EXPECT_NE(got.conflict->find("windows"), std::string::npos);
    EXPECT_EQ(got.conflict->find('\n'), std::string::npos);

    auto vendors = resolve({}, "freebsd13_64Guest", "Ubuntu_64");
    EXPECT_EQ(vendors.row->key, "ubuntu-64");
    ASSERT_TRUE(vendors.conflict);
    EXPECT_NE(vendors.conflict->find("bsd"), std::string::npos);

    // VMware writes 112 for every Server >= 2012: a release, not a family.
    EXPECT_EQ(resolve("112", "windows2019srv_64Guest").conflict, std::nullopt);
    // Other names no family.
    EXPECT_EQ(resolve("100", "otherGuest").conflict, std::nullopt);
}

// Rule 2: a lone 111-123 is Windows of uncertain release.
TEST(GuestOsResolve, AmbiguousCimIdsTakeTheOldestRelease) {
    auto got = resolve("112");
    EXPECT_EQ(got.row->key, "win2k12");
    EXPECT_EQ(got.newest->key, "win2k19");
    EXPECT_EQ(got.confidence, OsConfidence::low);
    EXPECT_EQ(got.decided_by, "ovf:id");
    auto newest = resolve("123");
    EXPECT_EQ(newest.row->key, "win2k22");
    EXPECT_TRUE(newest.newest->uefi_required); // Windows 11: firmware on the safe side
    // The description names the release (rule 5 breaks the tie).
    auto named = resolve("112", {}, {}, {}, "Microsoft Windows Server 2022 (64-bit)");
    EXPECT_EQ(named.row->key, "win2k22");
    EXPECT_EQ(named.newest->key, "win2k22");
    EXPECT_EQ(named.decided_by, "description");
    EXPECT_EQ(named.confidence, OsConfidence::medium);
    EXPECT_EQ(resolve("113", {}, {}, {}, "Windows 10 (32-bit)").row->key, "win10");
    EXPECT_EQ(resolve("114", {}, {}, {}, "Windows 8.1 Pro x64").row->key, "win8.1-64");
    // A description naming no Windows release leaves the oldest.
    EXPECT_EQ(resolve("121", {}, {}, {}, "appliance").row->key, "win10-64");
}

// Rule 3: generic ids stay generic, whatever else the envelope says.
TEST(GuestOsResolve, GenericIdsAreNotUpgraded) {
    auto other = resolve("94", "otherGuest64", {}, "22.04", "Ubuntu 22.04 LTS");
    EXPECT_EQ(other.row->key, "other-64");
    auto linux = resolve("96", "otherLinux64Guest", {}, "12", "Debian GNU/Linux 12 (bookworm)");
    EXPECT_EQ(linux.row->key, "linux-64");
    EXPECT_EQ(linux.decided_by, "vmw:osType");
    auto cim = resolve("101", {}, {}, {}, "Debian 12");
    EXPECT_EQ(cim.row->key, "linux-64");
    EXPECT_EQ(cim.decided_by, "ovf:id");
    auto vbox = resolve({}, {}, "Linux_64", {}, "Ubuntu 24.04");
    EXPECT_EQ(vbox.row->key, "linux-64");
}

// Shared vendor ids are refined by ovf:version, then by the description.
TEST(GuestOsResolve, SharedVendorIdsAreRefined) {
    auto by_version = resolve("94", "ubuntu64Guest", {}, "24.04");
    EXPECT_EQ(by_version.row->key, "ubuntu24.04-64");
    EXPECT_EQ(by_version.decided_by, "vmw:osType+ovf:version");
    auto by_text = resolve("94", "ubuntu64Guest", {}, {}, "Ubuntu 22.04.3 LTS");
    EXPECT_EQ(by_text.row->key, "ubuntu22.04-64");
    EXPECT_EQ(by_text.decided_by, "vmw:osType+description");
    EXPECT_EQ(resolve("112", "windows8Server64Guest", {}, {}, "Windows Server 2012 R2 Datacenter")
                  .row->key,
              "win2k12r2");
    EXPECT_EQ(resolve("80", "rockylinux_64Guest", {}, "9").row->key, "rocky9-64");
    auto plain = resolve("94", "ubuntu64Guest", {}, {}, "Ubuntu Linux (64-bit)");
    EXPECT_EQ(plain.row->key, "ubuntu-64");
    EXPECT_EQ(plain.decided_by, "vmw:osType");
}

// Rule 4: an id in no table maps to its family's release-less row when the
// spelling names the family, else to Other; rule 2.2 gives the bitness.
TEST(GuestOsResolve, UnknownIdsMapToTheirFamily) {
    auto debian = resolve({}, "debian14_64Guest");
    EXPECT_EQ(debian.row->key, "debian-64");
    EXPECT_EQ(debian.decided_by, "vmw:osType");
    EXPECT_EQ(debian.confidence, OsConfidence::low);
    EXPECT_EQ(resolve({}, "windows14Server64Guest").row->key, "windows-64");
    EXPECT_EQ(resolve({}, "windows14Guest").row->key, "windows");
    EXPECT_EQ(resolve({}, "someLinux64Guest").row->key, "linux-64");
    EXPECT_EQ(resolve({}, "FREEBSD16_64GUEST").row->key, "freebsd-64");
    EXPECT_EQ(resolve({}, {}, "Solaris12_64").row->key, "solaris10-64");
    auto unknown = resolve({}, "darwin25_64Guest");
    EXPECT_EQ(unknown.row->key, "other-64");
    EXPECT_EQ(unknown.decided_by, "vmw:osType");
    EXPECT_EQ(resolve({}, "haikuGuest").row->key, "other");
    // The CIM id gives the release when it agrees on family and bitness.
    auto agreed = resolve("96", "debian14_64Guest", {}, "12");
    EXPECT_EQ(agreed.row->key, "debian12-64");
    EXPECT_EQ(agreed.decided_by, "ovf:id+ovf:version");
    EXPECT_EQ(agreed.confidence, OsConfidence::medium);
    // An unknown id without a family lets the CIM id decide.
    auto cim = resolve("94", "darwin25_64Guest");
    EXPECT_EQ(cim.row->key, "ubuntu-64");
    EXPECT_EQ(cim.decided_by, "ovf:id");
    // One that names another family wins and is reported.
    auto conflict = resolve("94", "windows14Guest");
    EXPECT_EQ(conflict.row->key, "windows");
    EXPECT_TRUE(conflict.conflict);
}

// Rule 2.2: the vendor id settles bitness against the CIM value.
TEST(GuestOsResolve, VendorIdSettlesBitness) {
    EXPECT_EQ(resolve("114", "windows9Guest").row->key, "win10");
    EXPECT_EQ(resolve("36", "vmwarePhoton64Guest").row->key, "photon-64");
    EXPECT_EQ(resolve("105").row->key, "win7-64");
    EXPECT_EQ(resolve("105", {}, {}, {}, "Microsoft Windows 7 (32-bit)").row->key, "win7");
}

TEST(GuestOsResolve, VendorStringsOfUnknownVocabulary) {
    const std::pair<std::string, std::pair<std::string, std::string>> cases[] = {
        {"Debian12_64", {"debian12-64", "vbox:OSType"}},
        {"debian12_64Guest", {"debian12-64", "vmw:osType"}},
        {"debian12-64", {"debian12-64", "vmx:guestOS"}},
        {"ubuntu22.04", {"ubuntu22.04-64", "osinfo"}},
        // VirtualBox ids are matched without case first: this is its Debian 12 (32-bit).
        {"debian12", {"debian", "vbox:OSType"}},
        {"windows_2022", {"win2k22", "ovirt:os"}},
        {"rhel_8x64", {"rhel8-64", "ovirt:os"}},
        {"Ubuntu 64 + x", {"ubuntu-64", "os_type"}},
    };
    for (const auto& [value, expected] : cases) {
        auto got = resolve({}, {}, {}, {}, {}, value);
        EXPECT_EQ(got.row->key, expected.first) << value;
        EXPECT_EQ(got.decided_by, expected.second) << value;
    }
}

TEST(GuestOsResolve, NothingKnown) {
    auto none = resolve({});
    EXPECT_EQ(none.row->key, "other-64");
    EXPECT_EQ(none.decided_by, "none");
    EXPECT_EQ(none.confidence, OsConfidence::low);
    EXPECT_EQ(resolve("0", {}, {}, {}, "XenOVF Created Export").decided_by, "none");
    EXPECT_EQ(resolve("2").decided_by, "none"); // MACOS: valid, no row
    auto text = resolve({}, {}, {}, {}, "Windows Server 2016 Standard");
    EXPECT_EQ(text.row->key, "win2k16");
    EXPECT_EQ(text.decided_by, "description");
    EXPECT_EQ(text.confidence, OsConfidence::low);
}

// ---------------------------------------------------------------- hostile hints

void expect_clean(const GuestOs& got) {
    ASSERT_NE(got.row, nullptr);
    for (const auto& line : got.ignored) {
        EXPECT_LT(line.size(), 200u);
        for (char c : line) {
            EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
            EXPECT_LT(static_cast<unsigned char>(c), 0x7f) << line;
        }
    }
    if (got.conflict) {
        EXPECT_EQ(got.conflict->find('\n'), std::string::npos);
    }
}

TEST(GuestOsHostile, CimIdsMustBePlainUint16) {
    const std::string bads[] = {"+94",
                                "-1",
                                "0x5e",
                                " 94",
                                "94 ",
                                "\t94",
                                "65536",
                                "99999999999999999999",
                                "",
                                "9.4",
                                "94a",
                                "\xd9\xa9\xd9\xa4",
                                std::string("9\0"
                                            "4",
                                            3)};
    for (const std::string& bad : bads) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(parse_cim_os_id(bad), std::nullopt);
        auto got = resolve(bad);
        expect_clean(got);
        ASSERT_EQ(got.ignored.size(), 1u);
        EXPECT_EQ(got.ignored[0].rfind("ovf:id ", 0), 0u) << got.ignored[0];
        EXPECT_EQ(got.row->key, "other-64");
        EXPECT_EQ(got.decided_by, "none");
        // A good vendor id still decides.
        auto vmw = resolve(bad, "ubuntu64Guest");
        EXPECT_EQ(vmw.row->key, "ubuntu-64");
        EXPECT_EQ(vmw.ignored.size(), 1u);
    }
    EXPECT_EQ(parse_cim_os_id("65535"), 65535);
    EXPECT_EQ(parse_cim_os_id("00094"), 94);
    EXPECT_EQ(parse_cim_os_id("0"), 0);
    EXPECT_EQ(resolve("00094").row->key, "ubuntu-64");
}

TEST(GuestOsHostile, VendorStringsAreCappedAndRestricted) {
    const std::string injected = "ubuntu64Guest\"\npciPassthru0.present = \"TRUE";
    const std::string bad[] = {
        injected,
        std::string(129, 'a'),
        std::string(1 << 20, 'w'),
        "Ubuntu_64;rm -rf /",
        "Ubuntu_64$(reboot)",
        std::string("Ubuntu_64\0", 10),
        "Ubuntu_64\xc3\xa9",
        "<script>",
    };
    for (const auto& value : bad) {
        SCOPED_TRACE(value.substr(0, 40));
        for (int which = 0; which < 3; ++which) {
            GuestOsHints h;
            (which == 0 ? h.vmware : which == 1 ? h.vbox : h.vendor_os_type) = value;
            auto got = resolve_guest_os(h);
            expect_clean(got);
            EXPECT_EQ(got.ignored.size(), 1u);
            EXPECT_EQ(got.row->key, "other-64"); // nothing flows through
            EXPECT_EQ(got.decided_by, "none");
        }
        EXPECT_EQ(guest_os_by_vmware(value), nullptr);
        EXPECT_EQ(guest_os_by_vmx(value), nullptr);
        EXPECT_EQ(guest_os_by_vbox(value), nullptr);
        EXPECT_EQ(guest_os_by_osinfo(value), nullptr);
        EXPECT_EQ(guest_os_by_pve(value), nullptr);
        EXPECT_EQ(guest_os_by_ovirt(value), nullptr);
        // A malformed version is ignored; the id still reads.
        auto version = resolve("96", {}, {}, value);
        expect_clean(version);
        EXPECT_EQ(version.row->key, "debian-64");
        EXPECT_EQ(version.ignored.size(), 1u);
    }
    // The injected newline appears only escaped.
    GuestOsHints h;
    h.vmware = injected;
    auto got = resolve_guest_os(h);
    ASSERT_EQ(got.ignored.size(), 1u);
    EXPECT_NE(got.ignored[0].find("\\x0a"), std::string::npos) << got.ignored[0];
    EXPECT_NE(got.ignored[0].find("\\\""), std::string::npos) << got.ignored[0];
}

TEST(GuestOsHostile, HugeDescriptionIsIgnored) {
    std::string text;
    while (text.size() < 2'000'000) {
        text += "Windows Server 2022 ";
    }
    auto got = resolve("112", {}, {}, {}, text);
    expect_clean(got);
    EXPECT_EQ(got.row->key, "win2k12"); // as without a description
    EXPECT_EQ(got.ignored.size(), 1u);
    // Odd bytes in a short description are only searched, never kept.
    auto odd = resolve("112", {}, {}, {}, std::string("Windows\0Server 2019\n\x01", 22));
    expect_clean(odd);
    EXPECT_TRUE(odd.ignored.empty());
}

TEST(GuestOsHostile, RandomHintsNeverCrash) {
    std::mt19937 rng(1234);
    auto random_text = [&](size_t max) {
        std::string s(rng() % max, '\0');
        for (char& c : s) {
            c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : "aWin_64Guest-9 .1"[rng() % 17]);
        }
        return s;
    };
    for (int i = 0; i < 3000; ++i) {
        GuestOsHints h;
        if (rng() % 2) {
            h.cim_id = rng() % 3 ? std::to_string(rng() % 70000) : random_text(8);
        }
        if (rng() % 2) {
            h.cim_version = random_text(6);
        }
        if (rng() % 2) {
            h.vmware = random_text(40);
        }
        if (rng() % 3 == 0) {
            h.vbox = random_text(300);
        }
        if (rng() % 3 == 0) {
            h.vendor_os_type = random_text(40);
        }
        if (rng() % 2) {
            h.description = random_text(80);
        }
        auto got = resolve_guest_os(h);
        expect_clean(got);
        ASSERT_NE(got.newest, nullptr);
    }
}

// ---------------------------------------------------------------- the corpus

// A family read from the hints by a reader independent of the table: the
// vendor string's words, else the CIM id's range (mapping.md 1.1).
std::optional<OsFamily> family_from_hints(const ovf::SystemSummary& s) {
    if (s.os_type) {
        std::string t = ascii_lower(*s.os_type);
        if (t.starts_with("win")) {
            return OsFamily::windows;
        }
        for (const char* word : {"linux", "ubuntu", "debian", "rhel", "redhat", "centos", "sles",
                                 "photon", "suse", "oracle", "fedora"}) {
            if (t.find(word) != std::string::npos) {
                return OsFamily::linux;
            }
        }
        if (t.find("bsd") != std::string::npos) {
            return OsFamily::bsd;
        }
        if (t.find("solaris") != std::string::npos) {
            return OsFamily::solaris;
        }
        return OsFamily::other;
    }
    if (s.os_id) {
        int id = std::atoi(s.os_id->c_str());
        if (id == 36 || (id >= 79 && id <= 101 && id != 81) || (id >= 106 && id <= 109)) {
            return OsFamily::linux;
        }
        if ((id >= 58 && id <= 77) || id == 103 || id == 105 || (id >= 111 && id <= 123)) {
            return OsFamily::windows;
        }
        if (id == 42 || id == 78) {
            return OsFamily::bsd;
        }
        if (id == 29 || id == 81) {
            return OsFamily::solaris;
        }
        return OsFamily::other;
    }
    return std::nullopt;
}

struct Resolved {
    std::string path; // the virtual system's path in the descriptor
    GuestOs os;
    ovf::SystemSummary summary;
};

std::vector<Resolved> resolve_descriptor(const std::string& rel) {
    auto bytes = test::read_file(test::corpus_path("ovf/" + rel));
    Diagnostics diag;
    auto env = ovf::read_envelope(bytes, rel, diag);
    std::vector<Resolved> out;
    if (!env) {
        return out;
    }
    for (const auto& s : ovf::summarize(*env).virtual_systems) {
        out.push_back({s.path, resolve_guest_os(guest_os_hints(s)), s});
    }
    return out;
}

TEST(GuestOsCorpus, EverySystemResolvesToItsFamily) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    size_t systems = 0;
    size_t with_hints = 0;
    for (const auto& rel : test::corpus_descriptors()) {
        for (const auto& r : resolve_descriptor(rel)) {
            SCOPED_TRACE(rel + " " + r.path);
            ++systems;
            ASSERT_NE(r.os.row, nullptr);
            EXPECT_TRUE(r.os.ignored.empty()) << r.os.ignored.front();
            EXPECT_EQ(r.os.conflict, std::nullopt) << *r.os.conflict;
            auto family = family_from_hints(r.summary);
            if (!family) {
                // No id at all: only a description can name a row.
                EXPECT_TRUE(r.os.decided_by == "none" ||
                            (r.summary.os_description && r.os.decided_by == "description"))
                    << r.os.decided_by;
                EXPECT_EQ(r.os.confidence, OsConfidence::low);
                continue;
            }
            ++with_hints;
            EXPECT_EQ(r.os.row->family, *family)
                << r.os.row->key << " from " << r.summary.os_type.value_or("-") << " / "
                << r.summary.os_id.value_or("-");
            if (r.summary.os_type) {
                // Every vendor id in the corpus is in the table.
                EXPECT_EQ(r.os.confidence, OsConfidence::high) << *r.summary.os_type;
            }
        }
    }
    EXPECT_GE(systems, 50u);
    EXPECT_GE(with_hints, 45u);
}

// Expectations written from reading each descriptor's OperatingSystemSection.
TEST(GuestOsCorpus, NamedDescriptors) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    struct Pin {
        std::string file;
        size_t system; // index among the descriptor's virtual systems
        std::string key;
        std::string decided_by;
    };
    const Pin pins[] = {
        // ovf:id 112 (Server 2012) with vmw:osType windows2019srv_64Guest.
        {"vmware-vsphere/win19.ovf", 0, "win2k19", "vmw:osType"},
        // ovf:id 74 (Vista 64) with windows7_64Guest.
        {"vmware-esxi/virt-v2v-test-i-ova.ovf", 0, "win7-64", "vmw:osType"},
        // ovf:id 74 with windows7Server64Guest, two systems.
        {"vmware-vcenter/MultiVmVapps.ovf", 1, "win2k8r2", "vmw:osType"},
        // rhel6Guest + 79/6, windows7Guest + 105, centosGuest + 106.
        {"vmware-vcenter/nested-vapp.ovf", 0, "rhel6", "vmw:osType"},
        {"vmware-vcenter/nested-vapp.ovf", 1, "win7", "vmw:osType"},
        {"vmware-vcenter/nested-vapp.ovf", 2, "centos", "vmw:osType"},
        // winNetStandardGuest + 69.
        {"vmware-vcenter/sun_vhw.ovf", 0, "win2k3", "vmw:osType"},
        // winXPProGuest + 67, then win2000ProGuest + 58.
        {"vmware-vcloud/vCD_vApp_OVF.ovf", 0, "winxp", "vmw:osType"},
        {"vmware-vcloud/vCD_vApp_OVF.ovf", 1, "win2k", "vmw:osType"},
        // vbox:OSType Ubuntu_64 with ovf:id 94, no vmw:osType.
        {"cot/ubuntu.2.0.ovf", 0, "ubuntu-64", "vbox:OSType"},
        // vbox:OSType ArchLinux_64 with ovf:id 100.
        {"vagrant/arch-boxes-box.ovf", 0, "arch-64", "vbox:OSType"},
        // vbox:OSType RedHat (VirtualBox has no CentOS type) with 79.
        {"virtualbox/CentOS-6.4-i386-Gnome.ovf", 0, "rhel", "vbox:OSType"},
        // ovf:id 67 alone.
        {"virtualbox/vbox1.ovf", 0, "winxp", "ovf:id"},
        // ovf:id 93 alone.
        {"virtualbox/vbox5-all-storage-controllers.ovf", 0, "ubuntu", "ovf:id"},
        // oVirt: Description windows_2022 is oVirt's OS name.
        {"ovirt/virt-v2v-test-o-vdsm-options.ovf", 0, "win2k22", "ovirt:os"},
        // vmkernel8Guest with 104 / version 8.
        {"vmware-esxi/esxvmovf-25262174.ovf", 0, "esxi8", "vmw:osType"},
        // otherGuest with ovf:id 100 (Linux 2.6 64): VMware's generic id stays.
        {"cot/iosv.ovf", 0, "other", "vmw:osType"},
        // otherLinux64Guest with ovf:id 96 (Debian 64), ovf:version 1.
        {"vmware-appliance/VMware-vCenter-Server-Appliance-6.5.0.5100-3945287_OVF10.ovf", 0,
         "linux-64", "vmw:osType"},
        // ovf:id 1 (Other) with other4xLinux64Guest.
        {"open-vmdk/template-hw21.ovf", 0, "linux4-64", "vmw:osType"},
        // sles11_64Guest with 85 / 11.
        {"vmware-ovftool/virt-convert-test_gzip.ovf", 0, "sles11-64", "vmw:osType"},
        // centos8_64Guest with 107 / 8.
        {"vmware-vsphere/vtpm-spec-with-nvram.ovf", 0, "centos8-64", "vmw:osType"},
        // vmwarePhoton64Guest with 36 (LINUX, 32-bit by convention).
        {"vmware-ovftool/photon5.ovf", 0, "photon-64", "vmw:osType"},
        // ovf:id 58 twice (DSP0243 example).
        {"dmtf-spec/dsp0243-2.1.1-example3-virtualsystemcollection.ovf", 1, "win2k", "ovf:id"},
        // ubuntu64Guest, 94, "Ubuntu 16.04 64bit": no 16.04 row, the generic one.
        {"vmware-appliance/nsx-unified-appliance-9.1.0.0.25262063.ovf", 0, "ubuntu-64",
         "vmw:osType"},
    };
    for (const auto& pin : pins) {
        SCOPED_TRACE(pin.file);
        auto systems = resolve_descriptor(pin.file);
        ASSERT_GT(systems.size(), pin.system);
        const auto& got = systems[pin.system].os;
        EXPECT_EQ(got.row->key, pin.key);
        EXPECT_EQ(got.decided_by, pin.decided_by);
    }
}

} // namespace
} // namespace ovfkit::platform
