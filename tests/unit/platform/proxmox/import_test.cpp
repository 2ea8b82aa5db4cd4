// The Proxmox importers: every corpus qm config maps as qemu-server reads
// it and its envelope plans back into the same VM; hostile configs and
// volume paths are refused; VMA archives made by tests/support/make-vma
// (from the format's description) stage their disks byte for byte, and
// damaged or lying archives fail with the documented codes.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ovfkit/disk/image.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/ops/export_plan.hpp>
#include <ovfkit/ops/import.hpp>
#include <ovfkit/platform/proxmox/import.hpp>
#include <ovfkit/platform/proxmox/vma.hpp>
#include <ovfkit/platform/proxmox/vma_stream.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::platform::proxmox {
namespace {

using namespace test;
namespace fs = std::filesystem;

// Every volume maps to a file named after it.
const DriveResolver k_any = [](const std::string& drive, const std::string& volume,
                               const std::string& where) -> Result<std::optional<ImportDisk>> {
    (void)volume;
    (void)where;
    ImportDisk d;
    d.path = drive + ".qcow2";
    return std::optional<ImportDisk>(std::move(d));
};

Result<ImportedAppliance> import_text(const std::string& text, ImportOptions options = {}) {
    auto cfg = parse_qm_config(text, "/vms/100.conf");
    if (!cfg) {
        return fail(cfg.error());
    }
    return import_qm(*cfg, "/vms/100.conf", options, k_any);
}

const PlanNote* find_note(const ImportedAppliance& app, std::string_view code) {
    for (const auto& n : app.notes.all()) {
        if (n.code == code) {
            return &n;
        }
    }
    return nullptr;
}

size_t count_notes(const ImportedAppliance& app, std::string_view code) {
    size_t n = 0;
    for (const auto& note : app.notes.all()) {
        n += note.code == code ? 1 : 0;
    }
    return n;
}

std::string bus_of(const PlanVm& vm, const std::string& ctrl) {
    const PlanController* c = vm.controller(ctrl);
    return c == nullptr ? "?" : fmt::format("{}{}:{}", bus_name(c->bus), c->index, c->model);
}

Result<ovf::Envelope> envelope_of(const ImportedAppliance& app) {
    std::map<std::string, ops::ImportedDiskFacts> facts;
    int n = 0;
    for (const auto& ivm : app.vms) {
        for (const auto& d : ivm.disks) {
            facts[d.disk_id] = {"disk" + std::to_string(++n) + ".vmdk", 1ULL << 30, "vmdk"};
        }
    }
    PlanNotes notes;
    return ops::import_envelope(app, facts, notes);
}

void expect_plans_back(const ImportedAppliance& app) {
    auto env = envelope_of(app);
    ASSERT_TRUE(env) << env.error().message;
    PlanNotes notes;
    ops::export_detail::PlanInputs inputs;
    inputs.keep_macs = true;
    auto planned = ops::export_detail::neutral_plan(*env, inputs, notes);
    ASSERT_TRUE(planned) << planned.error().message;
    ASSERT_EQ(planned->size(), 1u);
    const PlanVm& in = app.vms[0].vm;
    const PlanVm& out = planned->front();
    EXPECT_EQ(out.os.row->key, in.os.row->key);
    EXPECT_EQ(out.cpus, in.cpus);
    EXPECT_EQ(out.memory_bytes, in.memory_bytes);
    EXPECT_EQ(out.firmware, in.firmware);
    ASSERT_EQ(out.disks.size(), in.disks.size());
    for (size_t i = 0; i < in.disks.size(); ++i) {
        EXPECT_EQ(out.disks[i].unit, in.disks[i].unit) << i;
        // OVF has no virtio-blk item: the engine carries those disks on a
        // virtio-scsi controller (noted there).
        std::string want = bus_of(in, in.disks[i].controller);
        std::string got = bus_of(out, out.disks[i].controller);
        if (want.ends_with(":virtio-blk")) {
            EXPECT_TRUE(got.ends_with(":virtio-scsi")) << got;
        } else {
            EXPECT_EQ(got, want) << i;
        }
    }
    ASSERT_EQ(out.cdroms.size(), in.cdroms.size());
    for (size_t i = 0; i < in.cdroms.size(); ++i) {
        EXPECT_EQ(out.cdroms[i].unit, in.cdroms[i].unit) << i;
        EXPECT_EQ(bus_of(out, out.cdroms[i].controller), bus_of(in, in.cdroms[i].controller));
    }
    ASSERT_EQ(out.nics.size(), in.nics.size());
    for (size_t i = 0; i < in.nics.size(); ++i) {
        EXPECT_EQ(out.nics[i].model, in.nics[i].model);
        EXPECT_EQ(out.nics[i].network, in.nics[i].network);
        EXPECT_EQ(out.nics[i].mac, in.nics[i].mac);
    }
}

Result<ImportedAppliance> import_corpus(const std::string& name, bool keep_macs = false) {
    std::string path = std::string(OVFKIT_CORPUS_DIR) + "/proxmox/" + name;
    auto cfg = read_qm_config(path);
    if (!cfg) {
        return fail(cfg.error());
    }
    ImportOptions o;
    o.keep_macs = keep_macs;
    return import_qm(*cfg, path, o, k_any);
}

TEST(QmConfig, CorpusNetdev) {
    auto app = import_corpus("netdev.conf", true);
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    EXPECT_EQ(vm.name, "netdev");
    EXPECT_EQ(vm.cpus, 3u);
    EXPECT_EQ(vm.memory_bytes, 768ULL << 20);
    EXPECT_EQ(vm.firmware, Firmware::bios);
    EXPECT_EQ(vm.machine, "pc");
    EXPECT_EQ(vm.os.row->key, "linux-64");
    ASSERT_EQ(vm.nics.size(), 1u);
    EXPECT_EQ(vm.nics[0].model, "virtio");
    EXPECT_EQ(vm.nics[0].network, "vmbr0");
    EXPECT_EQ(vm.nics[0].mac.value_or(""), "a2:c0:43:77:08:a0");
    const auto& vendor = app->vms[0].vendor;
    EXPECT_NE(std::find_if(vendor.begin(), vendor.end(),
                           [](const VendorSetting& v) {
                               return v.key == "net0:options" && v.value == "mtu=900";
                           }),
              vendor.end());
    EXPECT_EQ(vm.description, " TEST: Simple test for netdev related stuff");
    expect_plans_back(*app);
    // Without --keep-macs the MAC is a note.
    auto dropped = import_corpus("netdev.conf");
    ASSERT_TRUE(dropped);
    EXPECT_FALSE(dropped->vms[0].vm.nics[0].mac);
    EXPECT_NE(find_note(*dropped, "nic-mac"), nullptr);
}

TEST(QmConfig, CorpusEfiSecureBootAndTpm) {
    auto app = import_corpus("efi-secboot-and-tpm-q35.conf");
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    EXPECT_EQ(vm.firmware, Firmware::efi);
    EXPECT_TRUE(vm.secure_boot);
    EXPECT_TRUE(vm.tpm);
    EXPECT_EQ(vm.machine, "q35");
    EXPECT_EQ(vm.cpus, 1u);
    EXPECT_EQ(vm.memory_bytes, 512ULL << 20); // qemu-server's default
    EXPECT_NE(find_note(*app, "memory-default"), nullptr);
    EXPECT_NE(find_note(*app, "fw-nvram"), nullptr);
    EXPECT_NE(find_note(*app, "tpm-state"), nullptr);
    EXPECT_TRUE(vm.disks.empty());
    EXPECT_EQ(vm.description, " TEST: Test newer 4MB efidisk with secureboot, smm enforce and a "
                              "TPM device on Q35");
    expect_plans_back(*app);
}

TEST(QmConfig, CorpusQ35HostPci) {
    auto app = import_corpus("q35-linux-hostpci.conf");
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    EXPECT_EQ(vm.cpus, 2u); // cores 1 x sockets 2
    EXPECT_EQ(vm.memory_bytes, 512ULL << 20);
    EXPECT_EQ(vm.firmware, Firmware::efi);
    EXPECT_FALSE(vm.secure_boot);
    EXPECT_EQ(vm.machine, "q35");
    EXPECT_EQ(count_notes(*app, "passthrough"), 6u);
    expect_plans_back(*app);
}

TEST(QmConfig, CorpusRestoreManyDisks) {
    auto app = import_corpus("restore-179.conf");
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    ASSERT_EQ(vm.disks.size(), 5u);
    for (unsigned i = 0; i < 5; ++i) {
        EXPECT_EQ(vm.disks[i].unit, i);
        EXPECT_EQ(bus_of(vm, vm.disks[i].controller), "scsi0:virtio-scsi");
    }
    EXPECT_TRUE(vm.disks[0].boot);
    ASSERT_EQ(vm.cdroms.size(), 1u);
    EXPECT_EQ(bus_of(vm, vm.cdroms[0].controller), "ide0:piix4"); // ide2: the second channel,
    EXPECT_EQ(vm.cdroms[0].unit, 0u);                             // the only IDE controller
    EXPECT_EQ(app->vms[0].disks[0].path, "scsi0.qcow2");
    expect_plans_back(*app);
}

TEST(QmConfig, CorpusSnapshotsReadsTheCurrentConfigOnly) {
    auto app = import_corpus("snapshots.conf");
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    EXPECT_EQ(vm.name, "win-machine-ver");
    EXPECT_EQ(vm.os.row->pve, "win10");
    EXPECT_EQ(vm.cpus, 4u);
    EXPECT_EQ(vm.machine, "pc");
    // ide0, scsi0, scsi1, virtio0; boot: order=scsi1 first.
    ASSERT_EQ(vm.disks.size(), 4u);
    EXPECT_EQ(app->vms[0].disks[0].path, "scsi1.qcow2");
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_EQ(vm.cdroms.size(), 2u);
    EXPECT_EQ(count_notes(*app, "cdrom-media"), 2u);
    ASSERT_EQ(vm.nics.size(), 2u);
    EXPECT_EQ(vm.nics[1].model, "e1000");
    EXPECT_EQ(vm.nics[1].network, "vnet0");
    EXPECT_NE(find_note(*app, "snapshots"), nullptr);
    EXPECT_NE(find_note(*app, "disk-unused"), nullptr);
    expect_plans_back(*app);
}

TEST(QmConfig, PropertyStringsAndDescription) {
    auto props = parse_property_string("local:100/x.raw,size=1G,cache=none", "file");
    ASSERT_TRUE(props);
    ASSERT_EQ(props->size(), 3u);
    EXPECT_EQ(find_property(*props, "file")->value, "local:100/x.raw");
    EXPECT_FALSE(parse_property_string("a,b", "file")); // two default values
    EXPECT_FALSE(parse_property_string("=x", "file"));
    EXPECT_EQ(decode_text("50%25 off%3A now%"), "50% off: now%");
}

TEST(QmConfig, HostileTextIsRefused) {
    std::string line(10 << 20, 'x');
    auto r = parse_qm_config("name: " + line + "\n", "c.conf");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    std::string many;
    for (int i = 0; i < 100000; ++i) {
        many += fmt::format("k{}: v\n", i);
    }
    r = parse_qm_config(many, "c.conf");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_NE(r.error().message.find("more than 20000"), std::string::npos) << r.error().message;
    r = parse_qm_config(std::string("name: a\0b\n", 10), "c.conf");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_NE(r.error().message.find("c.conf:1: NUL"), std::string::npos);
}

TEST(QmConfig, ARepeatedKeyIsReadAtItsLastLine) {
    auto cfg = parse_qm_config("memory: 256\ncores: 2\nmemory: 1024\n", "c.conf");
    ASSERT_TRUE(cfg) << cfg.error().message;
    EXPECT_EQ(cfg->get("memory").value_or(""), "1024");
    EXPECT_EQ(cfg->find("memory")->line, 3u);
    ASSERT_EQ(cfg->duplicates.size(), 1u);
    // Repeats count against the bound like new keys.
    std::string many;
    for (int i = 0; i < 100000; ++i) {
        many += "memory: 256\n";
    }
    auto r = parse_qm_config(many, "c.conf");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
}

TEST(QmConfig, HibernatedAndBadNumbers) {
    auto a = import_text("memory: 512\nvmstate: local:100/vm-100-state.raw\n");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, Errc::refused);
    for (const char* bad : {"cores: 0\n", "memory: lots\n", "bios: uboot\n", "sockets: -1\n"}) {
        auto b = import_text(bad);
        ASSERT_FALSE(b) << bad;
        EXPECT_EQ(b.error().code, Errc::invalid) << bad;
    }
}

TEST(QmConfig, MapsBusesControllersAndDrops) {
    auto app =
        import_text("scsihw: pvscsi\nsata3: l:1,size=1G\nide1: l:2\nvirtio2: l:3\n"
                    "scsi7: l:4\nscsi40: l:5\nnet0: model=rtl8139,macaddr=00:11:22:33:44:55\n"
                    "usb0: host=1-1\nserial0: socket\nunused0: l:9\nboot: order=virtio2\n"
                    "ide2: cdrom,media=cdrom\n");
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    ASSERT_EQ(vm.disks.size(), 4u);
    EXPECT_EQ(bus_of(vm, vm.disks[0].controller), "virtio0:virtio-blk");
    EXPECT_EQ(vm.disks[0].unit, 2u);
    EXPECT_EQ(bus_of(vm, vm.disks[1].controller), "ide0:piix4");
    EXPECT_EQ(vm.disks[1].unit, 1u);
    EXPECT_EQ(bus_of(vm, vm.disks[2].controller), "sata0:ahci");
    EXPECT_EQ(vm.disks[2].unit, 3u);
    EXPECT_EQ(bus_of(vm, vm.disks[3].controller), "scsi0:pvscsi");
    EXPECT_EQ(vm.disks[3].unit, 7u);
    EXPECT_EQ(bus_of(vm, vm.cdroms.at(0).controller), "ide1:piix4");
    EXPECT_NE(find_note(*app, "cdrom-host"), nullptr);
    EXPECT_NE(find_note(*app, "device-slot"), nullptr);
    EXPECT_EQ(count_notes(*app, "passthrough"), 2u);
    EXPECT_EQ(vm.nics.at(0).model, "rtl8139");
    EXPECT_EQ(vm.nics.at(0).network, "user");
}

// read_conf's resolver, through the importer table.
Result<ImportedAppliance> read_with(const TempDir& dir, const std::string& text,
                                    std::vector<std::string> volumes, bool allow = false) {
    write_text(dir.file("100.conf"), text);
    ImportOptions o;
    o.volumes = std::move(volumes);
    o.allow_absolute_paths = allow;
    return qm_import_source.read(dir.file("100.conf"), o);
}

TEST(QmImport, VolumesAreMappedUnderR2) {
    TempDir dir;
    std::string conf = "memory: 256\nscsi0: local-lvm:vm-100-disk-0,size=1G\n";
    auto unmapped = read_with(dir, conf, {});
    ASSERT_FALSE(unmapped);
    EXPECT_EQ(unmapped.error().code, Errc::refused);
    EXPECT_NE(unmapped.error().message.find("100.conf:2: scsi0: the volume "
                                            "\"local-lvm:vm-100-disk-0\" is not mapped"),
              std::string::npos)
        << unmapped.error().message;
    EXPECT_NE(unmapped.error().message.find("--volume local-lvm:vm-100-disk-0=PATH"),
              std::string::npos);
    auto ok = read_with(dir, conf, {"local-lvm:vm-100-disk-0=disk0.qcow2"});
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->vms[0].disks.at(0).path, "disk0.qcow2");
    for (const char* bad : {"local-lvm:vm-100-disk-0=../x.raw", "local-lvm:vm-100-disk-0=/tmp/x"}) {
        auto r = read_with(dir, conf, {bad});
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::refused) << bad;
        EXPECT_NE(r.error().message.find("--allow-absolute-paths"), std::string::npos);
    }
    auto abs = read_with(dir, conf, {"local-lvm:vm-100-disk-0=/tmp/x.raw"}, true);
    ASSERT_TRUE(abs) << abs.error().message;
    // Host devices never, as a mapping or as the config's own path.
    for (auto [text, vol] : std::vector<std::pair<std::string, std::string>>{
             {conf, "local-lvm:vm-100-disk-0=/dev/sda"}, {"scsi0: /dev/sda\n", ""}}) {
        auto r = read_with(dir, text,
                           vol.empty() ? std::vector<std::string>{} : std::vector<std::string>{vol},
                           true);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().code, Errc::refused);
        EXPECT_NE(r.error().message.find("a host device"), std::string::npos) << r.error().message;
    }
    auto usage = read_with(dir, conf, {"nocolon=x"});
    ASSERT_FALSE(usage);
    EXPECT_EQ(usage.error().code, Errc::usage);
    // `--to proxmox` writes import-from=FILE: read under the same rules.
    auto from = read_with(dir, "scsi0: local-lvm:0,import-from=d.qcow2,size=1G\n", {});
    ASSERT_TRUE(from) << from.error().message;
    EXPECT_EQ(from->vms[0].disks.at(0).path, "d.qcow2");
    auto out = read_with(dir, "scsi0: local-lvm:0,import-from=../d.qcow2\n", {});
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, Errc::refused);
}

// VMA archives from tests/support/make-vma.
struct Vma {
    TempDir dir;
    std::string disk;  // the device's data
    std::string disk2; // a second device
    std::string path;

    Vma() {
        disk = dir.file("d.raw");
        disk2 = dir.file("e.raw");
        // 300 KiB + 1000 bytes: a last cluster and block cut short; data
        // in a few blocks.
        std::string cmd = fmt::format(
            "python3 -c 'import sys; f=open(sys.argv[1],\"wb\"); f.truncate(308200); "
            "f.seek(4096); f.write(b\"A\"*5000); f.seek(200000); f.write(b\"B\"*8200); "
            "g=open(sys.argv[2],\"wb\"); g.truncate(70000); g.seek(69000); g.write(b\"C\"*1000)' "
            "{} {}",
            disk, disk2);
        EXPECT_EQ(run(cmd), 0);
        write_text(dir.file("qemu-server.conf"),
                   "name: vma-vm\nmemory: 256\nscsi0: local-lvm:vm-1-disk-0,size=1M\n"
                   "virtio1: local-lvm:vm-1-disk-1,size=1M\n"
                   "sata0: local-lvm:vm-1-disk-2,backup=0,size=1G\nnet0: virtio=BC:24:11:00:00:01\n"
                   "#qmdump#map:scsi0:drive-scsi0:local-lvm:raw:\n"
                   "#qmdump#map:virtio1:drive-virtio1:local-lvm:raw:\n");
    }

    int make(const std::string& name, const std::string& args) {
        path = dir.file(name);
        return run(fmt::format("python3 {}/tests/support/make-vma {} --config "
                               "qemu-server.conf={} --device drive-scsi0={} --device "
                               "drive-virtio1={} {}",
                               OVFKIT_SOURCE_DIR, path, dir.file("qemu-server.conf"), disk, disk2,
                               args));
    }
};

bool same_as_file(disk::DiskReader& r, const std::string& file) {
    std::vector<std::byte> want = read_file(file);
    if (r.virtual_size() != want.size()) {
        return false;
    }
    std::vector<std::byte> got(want.size());
    return r.read_at(0, got) && got == want;
}

TEST(VmaImport, StagesEveryDiskInOnePass) {
    for (const char* form : {"", "--order interleave --zstd --frames 3", "--order reverse"}) {
        Vma v;
        ASSERT_EQ(v.make("a.vma", form), 0) << form;
        std::vector<std::byte> head = read_file(v.path);
        head.resize(std::min<size_t>(head.size(), 4096));
        EXPECT_TRUE(vma_import_source.claims(v.path, false, head)) << form;
        auto app = vma_import_source.read(v.path, {});
        ASSERT_TRUE(app) << app.error().message;
        const ImportedVm& ivm = app->vms.at(0);
        EXPECT_EQ(ivm.vm.name, "vma-vm");
        ASSERT_EQ(ivm.disks.size(), 2u); // sata0 was not backed up
        EXPECT_NE(find_note(*app, "disk-missing"), nullptr);
        auto a = ivm.disks[0].open();
        ASSERT_TRUE(a) << a.error().message;
        EXPECT_TRUE(same_as_file(*(*a)->reader, v.disk)) << form;
        auto b = ivm.disks[1].open();
        ASSERT_TRUE(b) << b.error().message;
        EXPECT_TRUE(same_as_file(*(*b)->reader, v.disk2)) << form;
        expect_plans_back(*app);
    }
}

TEST(VmaImport, DamagedAndLyingArchivesFail) {
    struct Case {
        const char* fault;
        Errc code;
        const char* says;
    };
    for (const Case& c : {Case{"bad-md5", Errc::invalid, "offset 32: the header's MD5"},
                          Case{"bad-extent-md5", Errc::invalid, "extent header's MD5"},
                          Case{"truncate", Errc::invalid, "ends inside an extent"},
                          Case{"drop-last", Errc::invalid, "ends without cluster"},
                          Case{"cluster-past", Errc::refused, "which has 2 clusters"},
                          Case{"undeclared", Errc::refused, "does not declare"},
                          Case{"duplicate", Errc::refused, "again"}}) {
        Vma v;
        ASSERT_EQ(v.make("bad.vma", std::string("--fault ") + c.fault), 0) << c.fault;
        auto app = vma_import_source.read(v.path, {});
        Error err;
        if (!app) {
            err = app.error();
        } else {
            auto disk = app->vms.at(0).disks.at(0).open();
            ASSERT_FALSE(disk) << c.fault;
            err = disk.error();
        }
        EXPECT_EQ(err.code, c.code) << c.fault << ": " << err.message;
        EXPECT_NE(err.message.find(c.says), std::string::npos) << c.fault << ": " << err.message;
    }
    // A zstd archive cut short is no archive ending at a boundary.
    Vma v;
    ASSERT_EQ(v.make("t.vma.zst", "--zstd"), 0);
    auto bytes = read_file(v.path);
    bytes.resize(bytes.size() - 7);
    write_file(v.path, bytes);
    // Small: the cut is in the frame that holds the header.
    auto app = vma_import_source.read(v.path, {});
    ASSERT_FALSE(app);
    EXPECT_EQ(app.error().code, Errc::invalid) << app.error().message;
    EXPECT_NE(app.error().message.find("ends inside a frame"), std::string::npos);
}

TEST(VmaHeader, BoundsAndNames) {
    std::vector<std::byte> h(k_vma_fixed_header);
    std::memcpy(h.data(), "VMA\0\0\0\0\1", 8);
    h[56] = std::byte{0xFF}; // header_size 4 GiB - ...
    h[57] = std::byte{0xFF};
    h[58] = std::byte{0xFE};
    auto r = vma_header_size(h, "x.vma");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    h[56] = h[57] = h[58] = std::byte{0};
    h[58] = std::byte{0x30}; // 12288
    EXPECT_TRUE(vma_header_size(h, "x.vma"));
    h[7] = std::byte{2};
    EXPECT_FALSE(vma_header_size(h, "x.vma"));
}

} // namespace
} // namespace ovfkit::platform::proxmox
