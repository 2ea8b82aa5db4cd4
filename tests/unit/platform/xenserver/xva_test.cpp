// The `xenserver` target: the mapping (map.cpp), ova.xml (a golden file per
// kind of VM, parsed back with libxml2, appliance strings literal) and the
// XVA stream (block and checksum members, zero blocks, short last blocks),
// read back by a tar reader of the test's own.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <xxhash.h>

#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/tar_appender.hpp>
#include <ovfkit/platform/xenserver/block_sum.hpp>
#include <ovfkit/platform/xenserver/target.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::xenserver {
namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_gib = uint64_t{1} << 30;

GuestOsRow row(std::string_view key, OsFamily family, bool virtio) {
    GuestOsRow r{};
    r.key = key;
    r.family = family;
    r.x64 = true;
    r.virtio = virtio;
    return r;
}
const GuestOsRow k_debian12 = row("debian12-64", OsFamily::linux, true);
const GuestOsRow k_win2019 = row("win2k19", OsFamily::windows, false);

PlanDisk disk(std::string id, std::string controller, unsigned unit, uint64_t bytes) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.capacity_bytes = bytes;
    d.controller = std::move(controller);
    d.unit = unit;
    return d;
}

PlanNic nic(std::string network, std::string model, std::optional<std::string> mac = {}) {
    PlanNic n;
    n.ovf_network = network;
    n.network = std::move(network);
    n.model = std::move(model);
    n.mac = std::move(mac);
    return n;
}

// A Debian web server as a KVM appliance has it: two virtio-scsi disks
// (the second the boot disk), the environment CD on SATA, two NICs.
PlanVm debian() {
    PlanVm vm;
    vm.system_id = "web";
    vm.path = "web";
    vm.name = "web";
    vm.description = "A web server";
    vm.os.row = &k_debian12;
    vm.cpus = 2;
    vm.memory_bytes = 2 * k_gib;
    vm.controllers = {{"3", Bus::scsi, "virtio-scsi", 0}, {"plan-1", Bus::sata, "ahci", 0}};
    vm.disks = {disk("data", "3", 1, 4 * k_gib + 512), disk("system", "3", 0, 8 * k_gib)};
    vm.disks[1].boot = true;
    PlanCdrom env;
    env.controller = "plan-1";
    env.file_name = "web-env.iso";
    env.environment = true;
    vm.cdroms = {env};
    vm.nics = {nic("VM Network", "virtio", "52:54:00:AB:CD:EF"), nic("", "vmxnet3")};
    vm.environment_xml = "<Environment/>";
    return vm;
}

PlanVm windows() {
    PlanVm vm;
    vm.system_id = "win";
    vm.path = "win";
    vm.name = "win";
    vm.os.row = &k_win2019;
    vm.cpus = 200;
    vm.memory_bytes = 3 * k_gib + 5;
    vm.firmware = Firmware::efi;
    vm.secure_boot = true;
    vm.tpm = true;
    vm.controllers = {{"5", Bus::scsi, "lsilogicsas", 0}};
    vm.disks = {disk("c", "5", 0, 40 * k_gib)};
    vm.disks[0].boot = true;
    vm.nics = {nic("LAN", "e1000e", "01:00:5e:00:00:01")};
    return vm;
}

ExportPlan plan_of(std::vector<PlanVm> vms, PlanNotes& notes) {
    ExportPlan plan;
    plan.target = "xenserver";
    for (auto& vm : vms) {
        map_vm(vm, {}, Flavor::xva, notes);
        plan.vms.push_back(std::move(vm));
    }
    plan.notes = notes.all();
    return plan;
}

std::vector<uint64_t> sizes_of(const ExportPlan& plan) {
    std::vector<uint64_t> out;
    for (const auto& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            out.push_back(d.capacity_bytes);
        }
    }
    return out;
}

bool has_note(const PlanNotes& notes, std::string_view code, NoteAction action) {
    for (const auto& n : notes.all()) {
        if (n.code == code && n.action == action) {
            return true;
        }
    }
    return false;
}

void expect_golden(const std::string& name, const std::string& text) {
    namespace fs = std::filesystem;
    fs::path path =
        fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "export" / "xenserver" / name;
    const char* update = std::getenv("OVFKIT_UPDATE_GOLDEN");
    if (update != nullptr && std::string_view(update) == "1") {
        std::ofstream(path, std::ios::binary) << text;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    std::stringstream golden;
    golden << in.rdbuf();
    EXPECT_EQ(text, golden.str()) << "differs from " << path
                                  << "; OVFKIT_UPDATE_GOLDEN=1 and review the diff";
}

// ova.xml read back as xapi reads it: objects by class, each record's
// members as text (structs and arrays flattened to their serialized XML).
struct Record {
    std::string cls;
    std::string id;
    std::map<std::string, xml::Element> fields;
    std::string text(const std::string& name) const {
        auto it = fields.find(name);
        EXPECT_NE(it, fields.end()) << cls << " " << id << " lacks " << name;
        return it == fields.end() ? std::string() : it->second.text();
    }
};

std::map<std::string, xml::Element> members(xml::Element st) {
    std::map<std::string, xml::Element> out;
    for (xml::Element m : st.children("", "member")) {
        out[m.first_child("", "name").text()] = m.first_child("", "value");
    }
    return out;
}

std::vector<Record> parse_ova_xml(const xml::Document& doc) {
    std::vector<Record> out;
    xml::Element root = doc.root();
    EXPECT_EQ(root.name(), "value");
    auto top = members(root.first_child("", "struct"));
    EXPECT_TRUE(top.contains("version"));
    auto version = members(top["version"].first_child("", "struct"));
    EXPECT_EQ(version["export_vsn"].text(), "2");
    xml::Element data = top["objects"].first_child("", "array").first_child("", "data");
    for (xml::Element v : data.children("", "value")) {
        auto o = members(v.first_child("", "struct"));
        Record r;
        r.cls = o["class"].text();
        r.id = o["id"].text();
        r.fields = members(o["snapshot"].first_child("", "struct"));
        out.push_back(std::move(r));
    }
    return out;
}

TEST(XenServerMap, DebianBecomesPvInHvmWithVbdsAndVifs) {
    PlanNotes notes;
    ExportPlan plan = plan_of({debian()}, notes);
    const PlanVm& vm = plan.vms[0];
    EXPECT_EQ(vm.machine, "hvm");
    ASSERT_EQ(vm.controllers.size(), 1u);
    EXPECT_EQ(vm.controllers[0].id, k_vbd_controller);
    ASSERT_EQ(vm.disks.size(), 2u);
    EXPECT_EQ(vm.disks[0].disk_id, "system"); // the boot disk first, at 0
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_EQ(vm.disks[1].unit, 1u);
    ASSERT_EQ(vm.cdroms.size(), 1u);
    EXPECT_EQ(vm.cdroms[0].unit, k_cd_userdevice);
    EXPECT_EQ(vm.nics[0].mac, "52:54:00:ab:cd:ef");
    EXPECT_EQ(vm.nics[1].network, k_default_network);
    EXPECT_TRUE(has_note(notes, "xen-mode", NoteAction::info));
    EXPECT_TRUE(has_note(notes, "ctrl-xen-vbd", NoteAction::translated));
    EXPECT_TRUE(has_note(notes, "nic-model", NoteAction::translated));
    EXPECT_TRUE(has_note(notes, "env-iso-beside", NoteAction::info));
    EXPECT_TRUE(has_note(notes, "nic-network", NoteAction::info));
}

TEST(XenServerMap, WindowsUefiLimitsAndDrops) {
    PlanNotes notes;
    ExportPlan plan = plan_of({windows()}, notes);
    const PlanVm& vm = plan.vms[0];
    EXPECT_EQ(vm.machine, "hvm-uefi");
    EXPECT_EQ(vm.cpus, 64u);
    EXPECT_EQ(vm.memory_bytes, 3 * k_gib + k_mib);
    EXPECT_FALSE(vm.tpm);
    EXPECT_FALSE(vm.nics[0].mac); // multicast: dropped
    EXPECT_TRUE(has_note(notes, "tpm-state", NoteAction::dropped));
    EXPECT_TRUE(has_note(notes, "nic-mac", NoteAction::dropped));
    EXPECT_TRUE(has_note(notes, "fw-secureboot", NoteAction::info));
    EXPECT_TRUE(has_note(notes, "tools", NoteAction::info));

    // More disks than VBDs: the 16th userdevice and beyond are dropped.
    PlanVm many = debian();
    many.disks.clear();
    for (unsigned i = 0; i < 20; ++i) {
        many.disks.push_back(disk("d" + std::to_string(i), "3", i, k_gib));
    }
    PlanNotes more;
    ExportPlan big = plan_of({many}, more);
    EXPECT_EQ(big.vms[0].disks.size(), 15u); // 0-15 without 3
    EXPECT_TRUE(has_note(more, "ctrl-count", NoteAction::dropped));
    EXPECT_EQ(big.vms[0].disks.back().unit, 15u);
}

TEST(XenServerOvaXml, GoldenFiles) {
    PlanNotes notes;
    ExportPlan plan = plan_of({debian()}, notes);
    auto xml = ova_xml(plan, sizes_of(plan));
    ASSERT_TRUE(xml) << xml.error().message;
    expect_golden("debian-bios.ova.xml", *xml);

    PlanNotes wnotes;
    ExportPlan wplan = plan_of({windows()}, wnotes);
    auto wxml = ova_xml(wplan, sizes_of(wplan));
    ASSERT_TRUE(wxml) << wxml.error().message;
    expect_golden("windows-uefi.ova.xml", *wxml);

    // What xapi reads: the records and their cross-references.
    auto doc = xml::Document::parse(std::string_view(*xml), "ova.xml");
    ASSERT_TRUE(doc) << doc.error().message;
    auto records = parse_ova_xml(*doc);
    std::map<std::string, const Record*> by_id;
    std::map<std::string, int> classes;
    for (const auto& r : records) {
        EXPECT_TRUE(by_id.emplace(r.id, &r).second) << "duplicate id " << r.id;
        ++classes[r.cls];
    }
    EXPECT_EQ(classes["VM"], 1);
    EXPECT_EQ(classes["VBD"], 3);
    EXPECT_EQ(classes["VDI"], 2);
    EXPECT_EQ(classes["VIF"], 2);
    EXPECT_EQ(classes["network"], 2);
    EXPECT_EQ(classes["SR"], 1);
    for (const auto& r : records) {
        if (r.cls == "VBD") {
            EXPECT_TRUE(by_id.contains(r.text("VM")));
            std::string vdi = r.text("VDI");
            EXPECT_TRUE(vdi == "OpaqueRef:NULL" ? r.text("type") == "CD" : by_id.contains(vdi));
        }
        if (r.cls == "VM") {
            EXPECT_EQ(r.text("name_label"), "web");
            EXPECT_EQ(r.text("memory_static_max"), std::to_string(2 * k_gib));
            EXPECT_EQ(r.text("VCPUs_max"), "2");
            EXPECT_EQ(r.text("HVM_boot_policy"), "BIOS order");
        }
        if (r.cls == "VDI" && r.id == vdi_ref(0)) {
            EXPECT_EQ(r.text("virtual_size"), std::to_string(8 * k_gib)); // the boot disk
        }
    }
}

TEST(XenServerOvaXml, InjectionStaysLiteral) {
    const std::vector<std::string> hostile{
        "x\"\n<member><name>PV_kernel</name><value>/boot/evil</value></member>",
        "a]]>b&amp;c&lt;",
        "$(reboot)`id`",
        "</value></struct></value><value>",
        "\"; rm -rf / #",
        "tab\there\r\nend\x7f\x01",
    };
    for (const auto& s : hostile) {
        PlanVm vm = debian();
        vm.name = s;
        vm.description = s;
        vm.disks[0].disk_id = s;
        vm.nics[0].network = s;
        PlanNotes notes;
        ExportPlan plan = plan_of({vm}, notes);
        auto xml = ova_xml(plan, sizes_of(plan));
        ASSERT_TRUE(xml) << xml.error().message;
        auto doc = xml::Document::parse(std::string_view(*xml), "ova.xml");
        ASSERT_TRUE(doc) << doc.error().message << "\n" << *xml;
        auto records = parse_ova_xml(*doc);
        // What xapi keeps: no controls but tab/LF/CR in free text, no
        // controls at all in names, no '"' or '\' in network names.
        std::string name, text, network;
        for (char c : s) {
            auto u = static_cast<unsigned char>(c);
            bool control = u < 0x20 || u == 0x7f;
            if (!control) {
                name += c;
                if (c != '"' && c != '\\') {
                    network += c;
                }
            }
            if (!control || c == '\t' || c == '\n' || c == '\r') {
                text += c;
            }
        }
        int vms = 0, nets = 0, vdis = 0;
        for (const auto& r : records) {
            if (r.cls == "VM") {
                ++vms;
                EXPECT_EQ(r.text("name_label"), name);
                EXPECT_EQ(r.text("name_description"), text);
                EXPECT_EQ(r.text("PV_kernel"), "");
            }
            if (r.cls == "network" && r.text("bridge").empty()) {
                ++nets;
                EXPECT_EQ(r.text("name_label"), network);
            }
            if (r.cls == "VDI") {
                ++vdis;
                std::string label = r.text("name_label");
                EXPECT_TRUE(label == name + " disk 1" || label == name + " disk 2") << label;
            }
        }
        EXPECT_EQ(vms, 1);
        EXPECT_EQ(nets, 1);
        EXPECT_EQ(vdis, 2);
    }
}

TEST(XenServerOvaXml, RefusesUnmappedPlans) {
    ExportPlan plan;
    plan.vms = {debian()};
    auto xml = ova_xml(plan, sizes_of(plan));
    ASSERT_FALSE(xml);
    EXPECT_EQ(xml.error().code, Errc::invalid);

    PlanNotes notes;
    ExportPlan big = plan_of({debian()}, notes);
    big.vms[0].disks[0].capacity_bytes = (k_max_blocks + 1) * k_block;
    xml = ova_xml(big, sizes_of(big));
    ASSERT_FALSE(xml);
    EXPECT_EQ(xml.error().code, Errc::invalid);
}

// A tar member as the test reads it back.
struct Member {
    std::string name;
    std::string data;
};

std::vector<Member> read_tar(const std::vector<std::byte>& bytes) {
    std::vector<Member> out;
    size_t at = 0;
    while (at + 512 <= bytes.size()) {
        const char* h = reinterpret_cast<const char*>(bytes.data() + at);
        if (h[0] == '\0') {
            // The end: two zero blocks and nothing after.
            EXPECT_EQ(at + 1024, bytes.size());
            for (size_t i = at; i < bytes.size(); ++i) {
                EXPECT_EQ(bytes[i], std::byte{0});
            }
            return out;
        }
        EXPECT_EQ(std::string(h + 257, 5), "ustar");
        EXPECT_EQ(h[156], '0');
        Member m;
        m.name = std::string(h, strnlen(h, 100));
        uint64_t size = std::stoull(std::string(h + 124, 11), nullptr, 8);
        at += 512;
        EXPECT_LE(at + size, bytes.size());
        m.data.assign(reinterpret_cast<const char*>(bytes.data() + at), size);
        at += (size + 511) / 512 * 512;
        out.push_back(std::move(m));
    }
    ADD_FAILURE() << "no end-of-archive marker";
    return out;
}

std::string sha1_hex(std::string_view data) {
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
    std::string out;
    for (unsigned char c : md) {
        out += fmt::format("{:02x}", c);
    }
    return out;
}

// Writes the XVA of `plan` whose disks hold `images` (raw bytes; an empty
// optional is a blank disk of the plan's capacity).
std::vector<Member> xva_of(const ExportPlan& plan,
                           const std::vector<std::optional<std::vector<std::byte>>>& images,
                           unsigned threads = 2, std::string_view sum = {}) {
    std::vector<disk::Image> opened;
    std::vector<ArchiveDisk> disks;
    size_t i = 0;
    for (size_t v = 0; v < plan.vms.size(); ++v) {
        for (size_t k = 0; k < plan.vms[v].disks.size(); ++k, ++i) {
            ArchiveDisk a;
            a.vm = v;
            a.disk = k;
            a.virtual_size = plan.vms[v].disks[k].capacity_bytes;
            if (images[i]) {
                disk::OpenImageOptions raw;
                raw.format = "raw";
                auto image = disk::open_image_file(
                    std::make_unique<io::MemFile>("disk" + std::to_string(i), *images[i]), raw);
                EXPECT_TRUE(image) << image.error().message;
                opened.push_back(std::move(*image));
                a.reader = opened.back().reader.get();
                a.virtual_size = a.reader->virtual_size();
            }
            disks.push_back(a);
        }
    }
    io::MemFile out("out.xva");
    std::atomic<bool> cancel{false};
    uint64_t last = 0;
    ArchiveJob job{plan,       disks,   out,
                   1700000000, threads, [&](uint64_t done, uint64_t) { last = done; },
                   &cancel,    sum};
    auto r = write_xva(job);
    EXPECT_TRUE(r) << r.error().message;
    EXPECT_EQ(out.data().size() % 512, 0u);
    return read_tar(out.data());
}

// XXH64 as xapi writes it (%016LX), from libxxhash directly.
std::string xxh_hex(std::string_view data) {
    return fmt::format("{:016X}", XXH64(data.data(), data.size(), 0));
}

// Reassembles VDI `dir` the way xapi does (formats 6.1: gaps of the first
// block's length), checking every checksum (`.checksum` SHA-1 members, or
// `.xxhash` XXH64 ones when `xxhash`).
std::string reassemble(const std::vector<Member>& members, const std::string& dir, uint64_t size,
                       std::vector<uint64_t>* indices = nullptr, bool xxhash = false) {
    const std::string suffix = xxhash ? ".xxhash" : ".checksum";
    std::string out;
    uint64_t block_len = 0;
    int64_t previous = -1;
    for (size_t i = 0; i < members.size(); ++i) {
        const Member& m = members[i];
        if (m.name.rfind(dir + "/", 0) != 0 || m.name.ends_with(".checksum") ||
            m.name.ends_with(".xxhash")) {
            continue;
        }
        uint64_t index = std::stoull(m.name.substr(dir.size() + 1));
        EXPECT_EQ(m.name.size(), dir.size() + 9) << m.name;
        EXPECT_GT(static_cast<int64_t>(index), previous);
        if (block_len == 0) {
            block_len = m.data.size();
        }
        out.append(static_cast<size_t>((index - static_cast<uint64_t>(previous) - 1) * block_len),
                   '\0');
        out += m.data;
        previous = static_cast<int64_t>(index);
        if (indices != nullptr) {
            indices->push_back(index);
        }
        EXPECT_LT(i + 1, members.size());
        EXPECT_EQ(members[i + 1].name, m.name + suffix);
        EXPECT_EQ(members[i + 1].data, xxhash ? xxh_hex(m.data) : sha1_hex(m.data)) << m.name;
    }
    EXPECT_EQ(out.size(), size) << dir;
    return out;
}

std::vector<std::byte> bytes(const std::string& s) {
    auto b = std::as_bytes(std::span(s.data(), s.size()));
    return {b.begin(), b.end()};
}

TEST(XenServerXva, BlocksChecksumsAndZeroRules) {
    // Disk 1: 5 MiB + 12 KiB; data in blocks 1 and 4 only, the short last
    // block (5) and block 0 zero. Disk 2: 3 MiB of data everywhere.
    // Disk 3: blank, 2 MiB.
    const uint64_t size1 = 5 * k_mib + 12288;
    std::string d1(size1, '\0');
    d1[k_mib + 17] = 'x';
    std::fill_n(d1.begin() + 4 * k_mib, 4096, 'y');
    std::string d2(3 * k_mib, 'z');
    d2[2 * k_mib + 5] = 'q';

    PlanVm vm = debian();
    vm.disks = {disk("one", "3", 0, size1), disk("two", "3", 1, 3 * k_mib),
                disk("blank", "3", 2, 2 * k_mib)};
    vm.disks[0].boot = true;
    vm.disks[2].file_id.clear();
    PlanNotes notes;
    ExportPlan plan = plan_of({vm}, notes);
    for (unsigned threads : {1u, 2u}) {
        auto members = xva_of(plan, {bytes(d1), bytes(d2), std::nullopt}, threads);
        ASSERT_FALSE(members.empty());
        EXPECT_EQ(members[0].name, "ova.xml");
        std::vector<uint64_t> idx1, idx2, idx3;
        EXPECT_EQ(reassemble(members, vdi_ref(0), size1, &idx1), d1);
        EXPECT_EQ(idx1, (std::vector<uint64_t>{0, 1, 4, 5}));
        EXPECT_EQ(reassemble(members, vdi_ref(1), 3 * k_mib, &idx2), d2);
        EXPECT_EQ(idx2, (std::vector<uint64_t>{0, 1, 2}));
        EXPECT_EQ(reassemble(members, vdi_ref(2), 2 * k_mib, &idx3), std::string(2 * k_mib, '\0'));
        EXPECT_EQ(idx3, (std::vector<uint64_t>{0, 1}));
        // The short last block of disk 1 is its tail.
        for (const Member& m : members) {
            if (m.name == vdi_ref(0) + "/00000005") {
                EXPECT_EQ(m.data.size(), 12288u);
            }
        }
        // The VDIs come in the order of their ids' strings, each whole.
        std::vector<std::string> dirs;
        for (const Member& m : members) {
            std::string dir = m.name.substr(0, m.name.find('/'));
            if (m.name != "ova.xml" && (dirs.empty() || dirs.back() != dir)) {
                dirs.push_back(dir);
            }
        }
        EXPECT_EQ(dirs, (std::vector<std::string>{vdi_ref(0), vdi_ref(1), vdi_ref(2)}));
        EXPECT_TRUE(std::is_sorted(dirs.begin(), dirs.end()));
    }
}

TEST(XenServerXva, XxhashMembersCarryTheSameBlocks) {
    // --xva-checksum xxhash: the same members in the same places, each
    // checksum member an upper-case 16-digit XXH64 named `.xxhash`.
    const uint64_t size = 3 * k_mib + 4096;
    std::string d(size, '\0');
    std::fill_n(d.begin(), 512, 'a');
    std::fill_n(d.begin() + 2 * k_mib + 3, 70000, 'b');
    PlanVm vm = debian();
    vm.disks = {disk("one", "3", 0, size)};
    vm.disks[0].boot = true;
    PlanNotes notes;
    ExportPlan plan = plan_of({vm}, notes);
    auto sha = xva_of(plan, {bytes(d)}, 2, "sha1");
    auto xx = xva_of(plan, {bytes(d)}, 2, "xxhash");
    std::vector<uint64_t> idx_sha, idx_xx;
    EXPECT_EQ(reassemble(sha, vdi_ref(0), size, &idx_sha), d);
    EXPECT_EQ(reassemble(xx, vdi_ref(0), size, &idx_xx, /*xxhash=*/true), d);
    EXPECT_EQ(idx_xx, idx_sha);
    EXPECT_EQ(idx_xx, (std::vector<uint64_t>{0, 2, 3}));
    ASSERT_EQ(xx.size(), sha.size());
    size_t sums = 0;
    for (const Member& m : xx) {
        if (m.name.ends_with(".xxhash")) {
            ++sums;
            ASSERT_EQ(m.data.size(), 16u);
            EXPECT_EQ(m.data.find_first_not_of("0123456789ABCDEF"), std::string::npos) << m.data;
        }
        EXPECT_FALSE(m.name.ends_with(".checksum")) << m.name;
    }
    EXPECT_EQ(sums, 3u);
    // The known value of the empty input (xxHash's own test vector) pins
    // seed 0 and the formatting.
    auto empty = block_sum(BlockSum::xxhash, {});
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, "EF46DB3751D8E999");
    EXPECT_EQ(block_sum_named("xxhash"), BlockSum::xxhash);
    EXPECT_EQ(block_sum_named("sha1"), BlockSum::sha1);
    EXPECT_FALSE(block_sum_named("SHA1"));

    io::MemFile out("out.xva");
    std::atomic<bool> cancel{false};
    std::vector<ArchiveDisk> disks{{0, 0, nullptr, 4096}};
    ArchiveJob job{plan, disks, out, 0, 1, {}, &cancel, "md5"};
    auto r = write_xva(job);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);
}

TEST(XenServerXva, OneBlockDiskAndCancel) {
    // A disk smaller than one block: its only block is first and last.
    PlanVm vm = debian();
    vm.disks = {disk("tiny", "3", 0, 4096)};
    vm.disks[0].boot = true;
    PlanNotes notes;
    ExportPlan plan = plan_of({vm}, notes);
    auto members = xva_of(plan, {bytes(std::string(4096, '\0'))});
    std::vector<uint64_t> idx;
    EXPECT_EQ(reassemble(members, vdi_ref(0), 4096, &idx), std::string(4096, '\0'));
    EXPECT_EQ(idx, (std::vector<uint64_t>{0}));

    io::MemFile out("out.xva");
    std::atomic<bool> cancel{true};
    std::vector<ArchiveDisk> disks{{0, 0, nullptr, 4096}};
    ArchiveJob job{plan, disks, out, 0, 1, {}, &cancel};
    auto r = write_xva(job);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
}

// Records where each write lands: the appender must hand the file whole
// aligned pages (what O_DIRECT takes) until its final write.
class RecordingFile final : public io::File {
public:
    const std::string& name() const override { return m_mem.name(); }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override {
        return m_mem.pread(out, offset);
    }
    Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) override {
        writes.emplace_back(offset, data.size());
        aligned.push_back(reinterpret_cast<uintptr_t>(data.data()) % 4096 == 0);
        return m_mem.pwrite(data, offset);
    }
    Result<uint64_t> size() override { return m_mem.size(); }
    Result<void> truncate(uint64_t n) override { return m_mem.truncate(n); }
    Result<void> sync() override { return {}; }
    const std::vector<std::byte>& data() const { return m_mem.data(); }
    std::vector<std::pair<uint64_t, size_t>> writes;
    std::vector<bool> aligned;

private:
    io::MemFile m_mem{"recorded.tar"};
};

TEST(XenServerXva, TarAppenderWritesWholeAlignedPagesAndCheckedNames) {
    RecordingFile out;
    package::TarAppender tar(out, 64 * 1024);
    std::string block(k_mib, 'b');
    for (int i = 0; i < 5; ++i) {
        package::TarEntry e;
        e.name = fmt::format("Ref:7/{:08}", i);
        e.generated = true;
        ASSERT_TRUE(tar.add(e, bytes(block)));
        e.name += ".checksum";
        ASSERT_TRUE(tar.add(e, bytes(sha1_hex(block))));
    }
    ASSERT_TRUE(tar.finish());
    ASSERT_GT(out.writes.size(), 2u);
    uint64_t expect = 0;
    for (size_t i = 0; i < out.writes.size(); ++i) {
        EXPECT_EQ(out.writes[i].first, expect);
        expect += out.writes[i].second;
        if (i + 1 < out.writes.size()) {
            EXPECT_EQ(out.writes[i].first % 4096, 0u);
            EXPECT_EQ(out.writes[i].second % 4096, 0u);
            EXPECT_TRUE(out.aligned[i]);
        }
    }
    auto members = read_tar(out.data());
    ASSERT_EQ(members.size(), 10u);
    EXPECT_EQ(members[9].name, "Ref:7/00000004.checksum");

    for (std::string bad : {"../x", "/abs", "a//b", "Ref:1/./x", "sp ace", "tab\t"}) {
        package::TarEntry e;
        e.name = bad;
        e.generated = true;
        EXPECT_FALSE(package::tar_header(e)) << bad;
    }
    package::TarEntry plain;
    plain.name = "Ref:1/00000000"; // not generated: a single safe component only
    EXPECT_FALSE(package::tar_header(plain));
}

TEST(XenServerTarget, IsInTheTable) {
    const ExportTarget* t = find_export_target("xenserver");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->form, TargetForm::archive);
    EXPECT_EQ(t->platform, "xenserver");
    EXPECT_NE(t->write_archive, nullptr);
}

} // namespace
} // namespace ovfkit::platform::xenserver
