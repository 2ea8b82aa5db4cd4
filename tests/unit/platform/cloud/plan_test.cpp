// The cloud targets' plan checks (formats/clouds.md 6): every refusal and
// note of azure, aws and gce on hand-built plans, the sizes they ask the
// engine for, and azure.json.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ovfkit/disk/boot_layout.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/platform/cloud/gce.hpp>
#include <ovfkit/platform/cloud/target.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/guest_os.hpp>

namespace ovfkit::platform {
namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_gib = uint64_t{1} << 30;
constexpr uint64_t k_tib = uint64_t{1} << 40;

GuestOs os(std::string_view key) {
    GuestOs g;
    g.row = find_guest_os(key);
    EXPECT_NE(g.row, nullptr) << key;
    g.newest = g.row;
    g.decided_by = "ovf:id";
    return g;
}

PlanDisk disk(std::string id, uint64_t bytes, unsigned unit) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.capacity_bytes = bytes;
    d.controller = "scsi0";
    d.unit = unit;
    d.boot = unit == 0;
    d.file_name = "vm-" + id;
    return d;
}

PlanVm vm(std::string_view os_key = "debian12-64", Firmware fw = Firmware::bios) {
    PlanVm v;
    v.system_id = "vm";
    v.path = "vm";
    v.name = "web";
    v.os = os(os_key);
    v.cpus = 2;
    v.memory_bytes = 2 * k_gib;
    v.firmware = fw;
    v.controllers.push_back({"scsi0", Bus::scsi, "lsilogic", 0});
    v.disks.push_back(disk("system", 8 * k_gib, 0));
    PlanNic n;
    n.source_item = "3";
    n.ovf_network = "VM Network";
    n.network = "VM Network";
    n.model = "e1000";
    v.nics.push_back(n);
    return v;
}

std::vector<PlanNote> map(const ExportTarget& t, PlanVm& v, const ovf::Envelope* source = nullptr,
                          std::string_view disk_format = "") {
    MapContext context;
    context.disk_format = disk_format.empty() ? t.default_disk_format : disk_format;
    context.source = source;
    PlanNotes notes;
    t.map(v, context, notes);
    return notes.all();
}

std::vector<PlanNote> map_gce(PlanVm& v, const ovf::Envelope* source = nullptr) {
    MapContext context;
    context.disk_format = "raw";
    context.source = source;
    PlanNotes notes;
    cloud::map_gce(v, context, notes);
    return notes.all();
}

const PlanNote* find(const std::vector<PlanNote>& notes, std::string_view code, NoteAction action) {
    auto it = std::find_if(notes.begin(), notes.end(),
                           [&](const PlanNote& n) { return n.code == code && n.action == action; });
    return it == notes.end() ? nullptr : &*it;
}

size_t refusals(const std::vector<PlanNote>& notes) {
    return static_cast<size_t>(std::count_if(notes.begin(), notes.end(), [](const PlanNote& n) {
        return n.action == NoteAction::refused;
    }));
}

ovf::Envelope two_systems() {
    std::string text = R"(<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References/>
  <VirtualSystemCollection ovf:id="app">
    <Info>two</Info>
    <VirtualSystem ovf:id="vm"><Info>a</Info></VirtualSystem>
    <VirtualSystem ovf:id="db"><Info>b</Info></VirtualSystem>
  </VirtualSystemCollection>
</Envelope>
)";
    Diagnostics diag;
    auto env =
        ovf::read_envelope(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    return env ? std::move(*env) : ovf::Envelope{};
}

// ---- the table -------------------------------------------------------------------------

TEST(CloudTargets, AreInTheTableWithTheirDiskFormats) {
    const ExportTarget* azure = find_export_target("azure");
    const ExportTarget* aws = find_export_target("aws");
    ASSERT_NE(azure, nullptr);
    ASSERT_NE(aws, nullptr);
    EXPECT_EQ(azure->form, TargetForm::directory);
    EXPECT_EQ(azure->default_disk_format, "vhd-fixed");
    ASSERT_EQ(azure->disk_formats.size(), 1u);
    EXPECT_EQ(aws->form, TargetForm::package);
    EXPECT_EQ(aws->default_disk_format, "vmdk-stream");
    ASSERT_EQ(aws->disk_formats.size(), 1u);
    EXPECT_EQ(aws->disk_formats[0], "vmdk-stream");
}

// ---- azure -----------------------------------------------------------------------------

TEST(Azure, GenerationFromFirmware) {
    PlanVm v = vm();
    auto notes = map(azure_target, v);
    EXPECT_EQ(v.machine, "V1");
    const PlanNote* g = find(notes, "cloud-generation", NoteAction::info);
    ASSERT_NE(g, nullptr);
    EXPECT_NE(g->reason.find("Generation 1"), std::string::npos);
    PlanVm e = vm("debian12-64", Firmware::efi);
    e.secure_boot = true;
    notes = map(azure_target, e);
    EXPECT_EQ(e.machine, "V2");
    EXPECT_NE(find(notes, "fw-secureboot", NoteAction::info), nullptr);
    EXPECT_EQ(refusals(notes), 0u);
}

TEST(Azure, SizesBecomeWholeMiBFrom20MiB) {
    PlanVm v = vm();
    v.disks = {disk("a", 8 * k_gib, 0), disk("b", 30 * k_mib + 1, 1), disk("c", 10 * k_mib, 2)};
    auto notes = map(azure_target, v);
    EXPECT_EQ(v.disks[0].target_capacity_bytes, 0u); // already whole MiB: unchanged
    EXPECT_EQ(v.disks[1].target_capacity_bytes, 31 * k_mib);
    EXPECT_EQ(v.disks[2].target_capacity_bytes, 20 * k_mib);
    size_t aligned =
        static_cast<size_t>(std::count_if(notes.begin(), notes.end(), [](const PlanNote& n) {
            return n.code == "cloud-size-align";
        }));
    EXPECT_EQ(aligned, 2u);
    const PlanNote* n = find(notes, "cloud-size-align", NoteAction::translated);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->item, "disk b");
    EXPECT_NE(n->reason.find("31 MiB"), std::string::npos) << n->reason;
}

TEST(Azure, OsDiskLimitsByGeneration) {
    PlanVm v = vm();
    v.disks = {disk("os", 3 * k_tib, 0)};
    auto notes = map(azure_target, v);
    const PlanNote* r = find(notes, "cloud-size-range", NoteAction::refused);
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->reason.find("Generation 1"), std::string::npos);

    PlanVm e = vm("debian12-64", Firmware::efi);
    e.disks = {disk("os", 3 * k_tib, 0)};
    notes = map(azure_target, e);
    EXPECT_EQ(refusals(notes), 0u);
    EXPECT_NE(find(notes, "cloud-size-range", NoteAction::info), nullptr); // over 1023 GB
    e.disks = {disk("os", 5 * k_tib, 0)};
    notes = map(azure_target, e);
    EXPECT_EQ(refusals(notes), 0u);
    const PlanNote* i = find(notes, "cloud-size-range", NoteAction::info);
    ASSERT_NE(i, nullptr);
    EXPECT_NE(i->reason.find("4 TiB"), std::string::npos);

    PlanVm d = vm();
    d.disks.push_back(disk("data", uint64_t{32767} * k_gib + 1, 1));
    notes = map(azure_target, d);
    ASSERT_EQ(refusals(notes), 1u);
    EXPECT_EQ(find(notes, "cloud-size-range", NoteAction::refused)->item, "disk data");
    d.disks[1] = disk("data", uint64_t{32767} * k_gib, 1);
    EXPECT_EQ(refusals(map(azure_target, d)), 0u);
}

TEST(Azure, DevicesOtherThanDisksAreNotCarried) {
    PlanVm v = vm();
    v.controllers.push_back({"plan-environment", Bus::sata, "ahci", 0});
    v.cdroms.push_back({"plan-environment", 0, "web-env.iso", true});
    v.cdroms.push_back({"scsi0", 3, "", false});
    auto notes = map(azure_target, v);
    EXPECT_TRUE(v.cdroms.empty());
    EXPECT_EQ(v.controllers.size(), 1u);
    EXPECT_NE(find(notes, "vapp-props", NoteAction::dropped), nullptr);
    const PlanNote* d = find(notes, "cloud-devices", NoteAction::info);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->item, "1 NIC, 1 CD-ROM drive");
    EXPECT_NE(find(notes, "cloud-drivers", NoteAction::info), nullptr);
}

TEST(Azure, NonLinuxNonWindowsIsNoted) {
    PlanVm v = vm("freebsd13-64");
    auto notes = map(azure_target, v);
    EXPECT_NE(find(notes, "cloud-os", NoteAction::info), nullptr);
    EXPECT_EQ(refusals(notes), 0u);
}

TEST(Azure, SummaryStatesGenerationOsTypeAndUploadSizes) {
    ExportPlan plan;
    plan.target = "azure";
    PlanVm v = vm("win2k19", Firmware::efi);
    v.name = "web \"quoted\"\n$(rm -rf /)</json>";
    v.disks = {disk("os", 127 * k_gib, 0), disk("data", 10 * k_mib + 3, 1)};
    map(azure_target, v);
    plan.vms.push_back(v);
    auto files = azure_target.write_files(plan);
    ASSERT_TRUE(files) << files.error().message;
    ASSERT_EQ(files->size(), 1u);
    EXPECT_EQ((*files)[0].name, "azure.json");
    auto doc = nlohmann::json::parse((*files)[0].content);
    EXPECT_EQ(doc["schema"], "ovfkit/1");
    const auto& j = doc["vms"][0];
    EXPECT_EQ(j["name"], v.name); // literal, through JSON escaping
    EXPECT_EQ(j["hyper_v_generation"], "V2");
    EXPECT_EQ(j["os_type"], "Windows");
    EXPECT_EQ(j["disks"][0]["role"], "os");
    EXPECT_EQ(j["disks"][0]["upload_size_bytes"], 127 * k_gib + 512);
    EXPECT_EQ(j["disks"][1]["virtual_size"], 20 * k_mib);
    EXPECT_EQ(j["disks"][1]["upload_size_bytes"], 20 * k_mib + 512);
}

// ---- aws -------------------------------------------------------------------------------

TEST(Aws, AnOrdinaryLinuxVmPasses) {
    PlanVm v = vm();
    auto notes = map(aws_target, v);
    EXPECT_EQ(refusals(notes), 0u);
    const PlanNote* f = find(notes, "cloud-firmware", NoteAction::info);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->reason.find("--boot-mode legacy-bios"), std::string::npos);
    EXPECT_NE(find(notes, "cloud-drivers", NoteAction::info), nullptr);
    EXPECT_NE(find(notes, "cloud-free-space", NoteAction::info), nullptr);
    EXPECT_EQ(find(notes, "cloud-nic-count", NoteAction::info), nullptr);
}

TEST(Aws, OneSystemOnly) {
    ovf::Envelope env = two_systems();
    PlanVm first = vm();
    auto notes = map(aws_target, first, &env);
    const PlanNote* r = find(notes, "cloud-multi-vm", NoteAction::refused);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->item, "2 virtual systems");
    PlanVm second = vm();
    second.system_id = "db";
    EXPECT_EQ(find(map(aws_target, second, &env), "cloud-multi-vm", NoteAction::refused), nullptr);
}

TEST(Aws, SupportedOperatingSystems) {
    PlanVm other = vm("freebsd13-64");
    EXPECT_NE(find(map(aws_target, other), "cloud-os", NoteAction::refused), nullptr);
    PlanVm linux32 = vm("linux");
    auto notes = map(aws_target, linux32);
    const PlanNote* r = find(notes, "cloud-os", NoteAction::refused);
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->reason.find("64-bit"), std::string::npos);
    PlanVm windows = vm("win2k19");
    EXPECT_EQ(refusals(map(aws_target, windows)), 0u);
    PlanVm generic = vm("linux-64");
    EXPECT_NE(find(map(aws_target, generic), "cloud-os", NoteAction::info), nullptr);
    PlanVm unknown = vm("other-64"); // the descriptor names no OS: VM Import looks at the disk
    notes = map(aws_target, unknown);
    EXPECT_NE(find(notes, "cloud-os", NoteAction::info), nullptr);
    EXPECT_EQ(refusals(notes), 0u);
}

TEST(Aws, DiskCountAndSizes) {
    PlanVm v = vm();
    for (unsigned i = 1; i < 22; ++i) {
        v.disks.push_back(disk("d" + std::to_string(i), k_gib, i % 15 + (i >= 7 ? 1 : 0)));
    }
    auto notes = map(aws_target, v);
    const PlanNote* r = find(notes, "cloud-disk-count", NoteAction::refused);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->item, "22 disks");

    PlanVm big = vm();
    big.disks.push_back(disk("huge", 16 * k_tib, 1));
    big.disks.push_back(disk("large", 9 * k_tib, 2));
    notes = map(aws_target, big);
    ASSERT_EQ(refusals(notes), 1u);
    EXPECT_EQ(find(notes, "cloud-size-range", NoteAction::refused)->item, "disk huge");
    EXPECT_EQ(find(notes, "cloud-size-range", NoteAction::info)->item, "disk large");
}

TEST(Aws, UefiNicsAndCdroms) {
    PlanVm v = vm("debian12-64", Firmware::efi);
    v.nics.push_back(v.nics.front());
    v.controllers.push_back({"ide0", Bus::ide, "piix4", 0});
    v.cdroms.push_back({"ide0", 0, "", false});
    auto notes = map(aws_target, v);
    EXPECT_EQ(refusals(notes), 0u);
    EXPECT_NE(find(notes, "cloud-firmware", NoteAction::info)->reason.find("--boot-mode uefi"),
              std::string::npos);
    EXPECT_EQ(find(notes, "cloud-nic-count", NoteAction::info)->item, "2 NICs");
    EXPECT_NE(find(notes, "cloud-cdrom", NoteAction::info), nullptr);
}

// ---- gce -------------------------------------------------------------------------------

TEST(Gce, OneDiskRoundedToWholeGiB) {
    PlanVm v = vm();
    v.disks = {disk("os", 10 * k_gib + k_gib / 2, 0), disk("data1", k_gib, 1),
               disk("data2", k_gib, 2)};
    auto notes = map_gce(v);
    ASSERT_EQ(v.disks.size(), 1u);
    EXPECT_EQ(v.disks[0].disk_id, "os");
    EXPECT_EQ(v.disks[0].target_capacity_bytes, 11 * k_gib);
    EXPECT_NE(find(notes, "cloud-size-align", NoteAction::translated), nullptr);
    size_t dropped = static_cast<size_t>(std::count_if(notes.begin(), notes.end(), [](auto& n) {
        return n.code == "cloud-disk-count" && n.action == NoteAction::dropped;
    }));
    EXPECT_EQ(dropped, 2u);
    EXPECT_EQ(refusals(notes), 0u);

    PlanVm small = vm();
    small.disks = {disk("os", 100 * k_mib, 0)};
    map_gce(small);
    EXPECT_EQ(small.disks[0].target_capacity_bytes, k_gib);
}

TEST(Gce, BootDiskLimitAndOneSystem) {
    PlanVm v = vm();
    v.disks = {disk("os", 2049 * k_gib, 0)};
    EXPECT_NE(find(map_gce(v), "cloud-size-range", NoteAction::refused), nullptr);
    v.disks = {disk("os", 2048 * k_gib, 0)};
    EXPECT_EQ(refusals(map_gce(v)), 0u);
    ovf::Envelope env = two_systems();
    PlanVm first = vm();
    EXPECT_NE(find(map_gce(first, &env), "cloud-multi-vm", NoteAction::refused), nullptr);
}

TEST(Gce, GuestOsFeatures) {
    PlanVm v = vm("win2k19", Firmware::efi);
    auto notes = map_gce(v);
    EXPECT_NE(find(notes, "cloud-firmware", NoteAction::info)
                  ->reason.find("--guest-os-features=UEFI_COMPATIBLE,WINDOWS"),
              std::string::npos);
    PlanVm b = vm();
    EXPECT_NE(find(map_gce(b), "cloud-firmware", NoteAction::info)->reason.find("MBR"),
              std::string::npos);
}

// ---- the boot disk (formats/clouds.md 5) -------------------------------------------------

disk::BootLayout layout(disk::BootFirmware fw, bool gpt, uint32_t sector = 512) {
    disk::BootLayout l;
    l.mbr = true;
    l.gpt = gpt;
    l.protective_mbr = gpt;
    l.mbr_boot_code = fw == disk::BootFirmware::bios || fw == disk::BootFirmware::both;
    l.esp = fw == disk::BootFirmware::uefi || fw == disk::BootFirmware::both;
    l.sector_size = sector;
    l.firmware = fw;
    l.summary = gpt ? "GPT" : "MBR";
    return l;
}

// Maps `v` for `t` with the boot disk's layout `l` (or the error `why`).
std::vector<PlanNote> map_with(const ExportTarget& t, PlanVm& v, Result<disk::BootLayout> l,
                               std::vector<std::string>* inspected = nullptr) {
    MapContext context;
    context.disk_format = t.default_disk_format;
    context.boot_layout = [&](const PlanDisk& d) -> Result<disk::BootLayout> {
        if (inspected != nullptr) {
            inspected->push_back(d.disk_id);
        }
        return l;
    };
    PlanNotes notes;
    t.map(v, context, notes);
    return notes.all();
}

TEST(CloudBootDisk, AMatchingDiskIsNotedAndPasses) {
    for (const ExportTarget* t : {&azure_target, &aws_target, &gce_target}) {
        PlanVm v = vm();
        v.disks.push_back(disk("data", k_gib, 1));
        std::vector<std::string> inspected;
        auto notes = map_with(*t, v, layout(disk::BootFirmware::bios, false), &inspected);
        EXPECT_EQ(inspected, std::vector<std::string>{"system"}) << t->name; // the boot disk only
        const PlanNote* n = find(notes, "cloud-firmware", NoteAction::info);
        ASSERT_NE(n, nullptr) << t->name;
        EXPECT_EQ(n->item, "disk system");
        EXPECT_NE(n->reason.find("boots with BIOS, as the VM declares"), std::string::npos);
        EXPECT_EQ(find(notes, "cloud-firmware", NoteAction::refused), nullptr) << t->name;
        PlanVm u = vm("debian12-64", Firmware::efi);
        notes = map_with(*t, u, layout(disk::BootFirmware::both, true));
        EXPECT_EQ(find(notes, "cloud-firmware", NoteAction::refused), nullptr) << t->name;
    }
}

TEST(CloudBootDisk, TheOtherFirmwareIsRefusedForEveryCloud) {
    for (const ExportTarget* t : {&azure_target, &aws_target, &gce_target}) {
        PlanVm v = vm("debian12-64", Firmware::efi);
        auto notes = map_with(*t, v, layout(disk::BootFirmware::bios, false));
        const PlanNote* n = find(notes, "cloud-firmware", NoteAction::refused);
        ASSERT_NE(n, nullptr) << t->name;
        EXPECT_NE(n->reason.find("only BIOS can boot it, and the VM declares UEFI"),
                  std::string::npos)
            << n->reason;
        PlanVm b = vm();
        notes = map_with(*t, b, layout(disk::BootFirmware::uefi, true));
        EXPECT_NE(find(notes, "cloud-firmware", NoteAction::refused), nullptr) << t->name;
    }
}

TEST(CloudBootDisk, BiosOnAGptDiskWithBootCodeIsAWarning) {
    PlanVm v = vm();
    disk::BootLayout l = layout(disk::BootFirmware::uefi, true);
    l.mbr_boot_code = true;
    auto notes = map_with(aws_target, v, l);
    EXPECT_NE(find(notes, "cloud-gpt-bios", NoteAction::info), nullptr);
    EXPECT_EQ(refusals(notes), 0u);
}

TEST(CloudBootDisk, FourKiBSectorsAreRefusedForAzureOnly) {
    PlanVm v = vm("debian12-64", Firmware::efi);
    auto notes = map_with(azure_target, v, layout(disk::BootFirmware::uefi, true, 4096));
    EXPECT_NE(find(notes, "cloud-sector-size", NoteAction::refused), nullptr);
    PlanVm g = vm("debian12-64", Firmware::efi);
    notes = map_with(gce_target, g, layout(disk::BootFirmware::uefi, true, 4096));
    EXPECT_NE(find(notes, "cloud-sector-size", NoteAction::info), nullptr);
    EXPECT_EQ(refusals(notes), 0u);
}

TEST(CloudBootDisk, AnMbrDiskOver2TiBIsRefused) {
    PlanVm v = vm();
    v.disks.front().capacity_bytes = 3 * k_tib;
    auto notes = map_with(aws_target, v, layout(disk::BootFirmware::bios, false));
    EXPECT_NE(find(notes, "cloud-mbr-2t", NoteAction::refused), nullptr);
    PlanVm g = vm();
    g.disks.front().capacity_bytes = 3 * k_tib;
    disk::BootLayout l = layout(disk::BootFirmware::bios, true);
    l.bios_boot_partition = true;
    notes = map_with(aws_target, g, l);
    EXPECT_EQ(find(notes, "cloud-mbr-2t", NoteAction::refused), nullptr); // GPT
}

TEST(CloudBootDisk, AnUnreadableOrBlankDiskIsNotedNotRefused) {
    PlanVm v = vm();
    auto notes = map_with(gce_target, v, fail(Errc::io, "x.vmdk: cannot open"));
    const PlanNote* n = find(notes, "cloud-firmware", NoteAction::info);
    ASSERT_NE(n, nullptr);
    EXPECT_NE(n->reason.find("was not inspected: x.vmdk: cannot open"), std::string::npos);
    PlanVm b = vm();
    b.disks.front().file_id.clear();
    std::vector<std::string> inspected;
    notes = map_with(azure_target, b, layout(disk::BootFirmware::bios, false), &inspected);
    EXPECT_TRUE(inspected.empty());
    EXPECT_NE(find(notes, "cloud-firmware", NoteAction::info), nullptr);
}

TEST(CloudBootDisk, NoTableIsAWarning) {
    PlanVm v = vm();
    auto notes = map_with(azure_target, v, layout(disk::BootFirmware::none, false));
    const PlanNote* n = find(notes, "cloud-firmware", NoteAction::info);
    ASSERT_NE(n, nullptr);
    EXPECT_NE(n->reason.find("neither BIOS nor UEFI"), std::string::npos);
}

} // namespace
} // namespace ovfkit::platform
