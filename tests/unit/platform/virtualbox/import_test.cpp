// The .vbox importer: the corpus file, the mapping of every controller,
// adapter and attachment, differencing chains resolved through the media
// registry and read flattened, and hostile settings files refused.
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ovfkit/disk/image.hpp>
#include <ovfkit/platform/virtualbox/import.hpp>

#include <support/corpus.hpp>
#include <support/disk_images.hpp>
#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::platform::virtualbox {
namespace {

namespace fs = std::filesystem;
using ovfkit::test::TempDir;

std::string vbox(const std::string& registry, const std::string& hardware,
                 const std::string& storage, const std::string& attrs = "") {
    return fmt::format(
        "<?xml version=\"1.0\"?>\n<VirtualBox xmlns=\"http://www.virtualbox.org/\" "
        "version=\"1.19-linux\">\n<Machine uuid=\"{{11111111-2222-3333-4444-555555555555}}\" "
        "name=\"vm1\" OSType=\"Debian_64\"{}>\n<MediaRegistry><HardDisks>{}</HardDisks>"
        "</MediaRegistry>\n<Hardware>{}</Hardware>\n<StorageControllers>{}</StorageControllers>\n"
        "</Machine>\n</VirtualBox>\n",
        attrs, registry, hardware, storage);
}

std::string disk(const std::string& uuid, const std::string& location,
                 const std::string& children = "", const std::string& format = "VDI") {
    return fmt::format("<HardDisk uuid=\"{{{}}}\" location=\"{}\" format=\"{}\">{}</HardDisk>",
                       uuid, location, format, children);
}

std::string sata(const std::string& uuid) {
    return fmt::format("<StorageController name=\"SATA\" type=\"AHCI\" PortCount=\"4\">"
                       "<AttachedDevice type=\"HardDisk\" port=\"1\" device=\"0\"><Image "
                       "uuid=\"{{{}}}\"/></AttachedDevice></StorageController>",
                       uuid);
}

constexpr const char* k_mem = "<Memory RAMSize=\"512\"/>";
constexpr const char* k_u1 = "a0000000-0000-4000-8000-000000000001";
constexpr const char* k_u2 = "a0000000-0000-4000-8000-000000000002";
constexpr const char* k_u3 = "a0000000-0000-4000-8000-000000000003";

Result<ImportedAppliance> import_file(const std::string& path, ImportOptions options = {}) {
    return vbox_import_source.read(path, options);
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

TEST(VboxImport, CorpusFile) {
    if (!ovfkit::test::have_corpus()) {
        GTEST_SKIP() << "no corpus";
    }
    std::string path = ovfkit::test::corpus_path("vbox/libvirt-2disks-nosnap.vbox");
    // Its media are absolute paths (libvirt's host): refused by default.
    auto refused = import_file(path);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::refused);
    EXPECT_NE(refused.error().message.find(
                  "libvirt-2disks-nosnap.vbox:12: HardDisk 105122e9-f6d2-42c1-9c11-c01699c79517 "
                  "location \"/home/libvirt/vbox/74864f52-a7b7-4172-a7a5-54b6f3e9cd21/"
                  "libvirtTest-disk1.vdi\": an absolute path"),
              std::string::npos)
        << refused.error().message;
    ImportOptions allow{.allow_absolute_paths = true, .keep_macs = true};
    auto app = import_file(path, allow);
    ASSERT_TRUE(app) << app.error().message;
    EXPECT_EQ(app->platform, "virtualbox");
    const PlanVm& vm = app->vms.at(0).vm;
    EXPECT_EQ(vm.name, "74864f52-a7b7-4172-a7a5-54b6f3e9cd21");
    EXPECT_EQ(vm.cpus, 1u);
    EXPECT_EQ(vm.memory_bytes, 192u << 20);
    EXPECT_EQ(vm.firmware, Firmware::bios);
    // IDE (PIIX4) with two disks on port 0, devices 0 and 1; the empty
    // SATA, SCSI and floppy controllers are kept or dropped as they are.
    ASSERT_EQ(vm.disks.size(), 2u);
    EXPECT_EQ(vm.disks[0].controller, "IDE Controller");
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_EQ(vm.disks[1].unit, 1u);
    EXPECT_TRUE(vm.disks[0].boot);
    ASSERT_EQ(vm.controllers.size(), 3u);
    EXPECT_EQ(vm.controllers[0].model, "piix4");
    EXPECT_EQ(vm.controllers[0].bus, Bus::ide);
    EXPECT_EQ(vm.controllers[1].model, "ahci");
    EXPECT_EQ(vm.controllers[2].model, "lsilogic");
    const auto& disks = app->vms.at(0).disks;
    EXPECT_EQ(disks[1].path,
              "/home/libvirt/vbox/74864f52-a7b7-4172-a7a5-54b6f3e9cd21/libvirtTest-disk2.vdi");
    EXPECT_EQ(disks[1].format, "vdi");
    ASSERT_EQ(vm.nics.size(), 1u);
    EXPECT_EQ(vm.nics[0].model, "e1000");
    EXPECT_EQ(vm.nics[0].network, "hns0000000v");
    EXPECT_EQ(vm.nics[0].mac, "08:00:27:2a:58:9d");
    // Without --keep-macs the MAC is a note.
    allow.keep_macs = false;
    app = import_file(path, allow);
    ASSERT_TRUE(app);
    EXPECT_FALSE(app->vms.at(0).vm.nics[0].mac);
    bool noted = false;
    for (const auto& n : app->notes.all()) {
        noted = noted || n.code == "nic-mac";
    }
    EXPECT_TRUE(noted);
}

TEST(VboxImport, MapsHardwareAndNotesDrops) {
    std::string hw = std::string("<CPU count=\"3\"/>") + k_mem +
                     "<Firmware type=\"EFI\"/><TrustedPlatformModule type=\"v2_0\"/>"
                     "<Network>"
                     "<Adapter slot=\"0\" enabled=\"true\" type=\"Am79C970A\"><NAT/>"
                     "<DisabledModes><InternalNetwork name=\"lan\"/></DisabledModes></Adapter>"
                     "<Adapter slot=\"1\" enabled=\"true\" type=\"82543GC\">"
                     "<InternalNetwork name=\"backend\"/></Adapter>"
                     "<Adapter slot=\"2\" enabled=\"true\" type=\"virtio\">"
                     "<HostOnlyInterface name=\"vboxnet0\"/></Adapter>"
                     "<Adapter slot=\"3\" enabled=\"true\" type=\"82545EM\"><NAT/></Adapter>"
                     "<Adapter slot=\"4\" enabled=\"true\" type=\"Am79C973\">"
                     "<NATNetwork name=\"natnet1\"/></Adapter>"
                     "<Adapter slot=\"5\" enabled=\"false\" type=\"82540EM\"/>"
                     "</Network>"
                     "<AudioAdapter enabled=\"true\"/><USB><Controllers><Controller name=\"x\" "
                     "type=\"XHCI\"/></Controllers></USB><SharedFolders><SharedFolder "
                     "name=\"s\" hostPath=\"/tmp\"/></SharedFolders>"
                     "<UART><Port slot=\"0\" enabled=\"true\"/></UART>";
    std::string reg =
        disk(k_u1, "a.vdi") + disk(k_u2, "b.vmdk", "", "VMDK") + disk(k_u3, "c.vhd", "", "VHD");
    std::string st = fmt::format("<StorageController name=\"IDE\" type=\"PIIX3\">"
                                 "<AttachedDevice type=\"DVD\" port=\"1\" device=\"1\"/>"
                                 "<AttachedDevice type=\"HardDisk\" port=\"1\" device=\"0\"><Image "
                                 "uuid=\"{{{}}}\"/></AttachedDevice></StorageController>"
                                 "<StorageController name=\"SAS\" type=\"LsiLogicSas\">"
                                 "<AttachedDevice type=\"HardDisk\" port=\"5\" device=\"0\"><Image "
                                 "uuid=\"{{{}}}\"/></AttachedDevice></StorageController>"
                                 "<StorageController name=\"NVMe\" type=\"NVMe\">"
                                 "<AttachedDevice type=\"HardDisk\" port=\"2\" device=\"0\"><Image "
                                 "uuid=\"{{{}}}\"/></AttachedDevice></StorageController>"
                                 "<StorageController name=\"V\" type=\"VirtioSCSI\"/>"
                                 "<StorageController name=\"B\" type=\"BusLogic\"/>"
                                 "<StorageController name=\"F\" type=\"I82078\">"
                                 "<AttachedDevice type=\"Floppy\" port=\"0\" device=\"0\"/>"
                                 "</StorageController>",
                                 k_u1, k_u2, k_u3);
    auto m = read_vbox(vbox(reg, hw, st), "/vms/t/t.vbox");
    ASSERT_TRUE(m) << m.error().message;
    auto app = import_vbox(*m, "/vms/t/t.vbox", {});
    ASSERT_TRUE(app) << app.error().message;
    const ImportedVm& ivm = app->vms.at(0);
    const PlanVm& vm = ivm.vm;
    EXPECT_EQ(vm.cpus, 3u);
    EXPECT_EQ(vm.memory_bytes, 512u << 20);
    EXPECT_EQ(vm.firmware, Firmware::efi);
    EXPECT_TRUE(vm.tpm);
    EXPECT_FALSE(vm.secure_boot);
    EXPECT_NE(vm.os.decided_by, "none");
    EXPECT_EQ(vm.os.row->family, OsFamily::linux);
    std::vector<std::pair<std::string, Bus>> ctrl;
    for (const auto& c : vm.controllers) {
        ctrl.emplace_back(c.model, c.bus);
    }
    EXPECT_EQ(ctrl, (std::vector<std::pair<std::string, Bus>>{{"piix3", Bus::ide},
                                                              {"lsilogicsas", Bus::scsi},
                                                              {"nvme", Bus::nvme},
                                                              {"virtio-scsi", Bus::scsi},
                                                              {"buslogic", Bus::scsi}}));
    EXPECT_EQ(vm.controllers[4].index, 2u); // the third SCSI controller
    ASSERT_EQ(vm.disks.size(), 3u);
    EXPECT_EQ(vm.disks[0].unit, 2u); // IDE port 1 device 0
    EXPECT_EQ(vm.disks[1].unit, 5u);
    EXPECT_EQ(vm.disks[2].unit, 2u);
    EXPECT_EQ(ivm.disks[0].format, "vdi");
    EXPECT_EQ(ivm.disks[1].format, "vmdk");
    EXPECT_EQ(ivm.disks[2].format, "vhd");
    EXPECT_FALSE(ivm.disks[0].open); // a base: the engine opens it by path
    ASSERT_EQ(vm.cdroms.size(), 1u);
    EXPECT_EQ(vm.cdroms[0].unit, 3u);
    std::vector<std::tuple<std::string, std::string>> nics;
    for (const auto& n : vm.nics) {
        nics.emplace_back(n.model, n.network);
        EXPECT_EQ(n.network, n.ovf_network);
    }
    EXPECT_EQ(nics, (std::vector<std::tuple<std::string, std::string>>{{"pcnet", "lan"},
                                                                       {"e1000", "backend"},
                                                                       {"virtio", "vboxnet0"},
                                                                       {"e1000", "NAT"},
                                                                       {"pcnet", "natnet1"}}));
    std::set<std::string> items;
    for (const auto& n : app->notes.all()) {
        items.insert(n.code + " " + n.item);
    }
    for (const char* want :
         {"devices-misc audio", "devices-misc usb", "devices-misc shared-folders",
          "passthrough serial", "devices-misc F port 0 device 0", "fw-secureboot Secure Boot"}) {
        EXPECT_TRUE(items.contains(want)) << want;
    }
    std::set<std::string> vendor;
    for (const auto& v : ivm.vendor) {
        vendor.insert(v.key + "=" + v.value);
    }
    EXPECT_TRUE(vendor.contains("Machine/@uuid=11111111-2222-3333-4444-555555555555"));
    EXPECT_TRUE(vendor.contains("Hardware/Firmware/@type=EFI"));
}

// Locations out of the directory: '..', absolute (unless allowed), host
// devices (always), Windows paths; each names the .vbox line of the medium.
TEST(VboxImport, TheOsKeyOfAnOvfkitVboxWins) {
    // OSType Debian_64 alone gives the oldest Debian row; the ExtraData key
    // ovfkit writes names the exact row. An unknown key is noted, ignored.
    TempDir dir;
    auto with_key = [](const std::string& key) {
        std::string text = vbox("", k_mem, "");
        auto at = text.find("<Hardware>");
        return text.insert(at, "<ExtraData><ExtraDataItem name=\"GUI/LastCloseAction\" "
                               "value=\"PowerOff\"/><ExtraDataItem name=\"ovfkit/GuestOS\" "
                               "value=\"" +
                                   key + "\"/></ExtraData>\n");
    };
    write_text(dir.file("a.vbox"), vbox("", k_mem, ""));
    auto plain = import_file(dir.file("a.vbox"));
    ASSERT_TRUE(plain) << plain.error().message;
    ASSERT_NE(plain->vms[0].vm.os.row, nullptr);
    EXPECT_NE(plain->vms[0].vm.os.row->key, "debian12-64");

    write_text(dir.file("b.vbox"), with_key("debian12-64"));
    auto keyed = import_file(dir.file("b.vbox"));
    ASSERT_TRUE(keyed) << keyed.error().message;
    EXPECT_EQ(keyed->vms[0].vm.os.row->key, "debian12-64");
    EXPECT_EQ(keyed->vms[0].vm.os.decided_by, "ExtraData ovfkit/GuestOS");

    write_text(dir.file("c.vbox"), with_key("no-such-row"));
    auto bad = import_file(dir.file("c.vbox"));
    ASSERT_TRUE(bad) << bad.error().message;
    EXPECT_EQ(bad->vms[0].vm.os.row->key, plain->vms[0].vm.os.row->key);
    bool noted = false;
    for (const auto& n : bad->notes.all()) {
        noted |= n.code == "os-hint-ignored";
    }
    EXPECT_TRUE(noted);
}

TEST(VboxImport, HostileLocationsAreRefused) {
    struct Case {
        std::string location;
        std::string why;
        bool allowed_reads = false; // --allow-absolute-paths makes it readable
    };
    for (const Case& c :
         {Case{"../other/a.vdi", "a path out of the VM's directory"},
          Case{"sub/../../a.vdi", "a path out of the VM's directory"},
          Case{"/etc/shadow", "an absolute path", true}, Case{"/dev/sda", "a host device"},
          Case{"C:\\VMs\\a.vdi", "not a path on this host"}}) {
        for (bool allow : {false, true}) {
            auto m = read_vbox(vbox(disk(k_u1, c.location), k_mem, sata(k_u1)), "/vms/t/t.vbox");
            ASSERT_TRUE(m) << m.error().message;
            auto app = import_vbox(*m, "/vms/t/t.vbox", {.allow_absolute_paths = allow});
            if (allow && c.allowed_reads) {
                ASSERT_TRUE(app) << app.error().message;
                EXPECT_EQ(app->vms.at(0).disks.at(0).path, c.location);
                continue;
            }
            ASSERT_FALSE(app) << c.location;
            EXPECT_EQ(app.error().code, Errc::refused) << c.location;
            EXPECT_NE(app.error().message.find("/vms/t/t.vbox:4: HardDisk " + std::string(k_u1) +
                                               " location"),
                      std::string::npos)
                << app.error().message;
            EXPECT_NE(app.error().message.find(c.why), std::string::npos) << app.error().message;
        }
    }
}

// A registry whose chain loops, nests too deep, or whose settings break the
// importer's bounds (a 10 MB attribute, 100 000 elements): exit 4.
TEST(VboxImport, HostileSettingsFiles) {
    TempDir dir;
    std::string path = dir.file("t.vbox");
    auto refused = [&](const std::string& text, const std::string& why) {
        write_text(path, text);
        auto app = import_file(path);
        ASSERT_FALSE(app) << why;
        EXPECT_EQ(app.error().code, Errc::refused) << app.error().message;
        EXPECT_NE(app.error().message.find(why), std::string::npos) << app.error().message;
        EXPECT_NE(app.error().message.find("t.vbox"), std::string::npos) << app.error().message;
    };
    refused(vbox(disk(k_u1, "a.vdi", disk(k_u2, "b.vdi", disk(k_u1, "c.vdi"))), k_mem, sata(k_u1)),
            "forms a loop");
    // The same file twice in one chain.
    refused(vbox(disk(k_u1, "a.vdi", disk(k_u2, "a.vdi")), k_mem, sata(k_u2)),
            "already in its differencing chain");
    std::string deep = disk("a0000000-0000-4000-8000-0000000000ff", "z.vdi");
    for (int i = 0; i < 70; ++i) {
        deep = disk(fmt::format("a0000000-0000-4000-8000-{:012x}", i + 1), fmt::format("{}.vdi", i),
                    deep);
    }
    refused(vbox(deep, k_mem, ""), "nested more than 64 deep");
    refused(vbox("", k_mem, "", " x=\"" + std::string(10 << 20, 'x') + "\""), "bytes");
    std::string many;
    for (int i = 0; i < 100000; ++i) {
        many += "<E/>";
    }
    refused(vbox("", std::string(k_mem) + "<ExtraData>" + many + "</ExtraData>", ""), "element");
    // A symlinked directory on the way to a disk.
    fs::create_directory(dir.file("real"));
    fs::create_directory_symlink(dir.file("real"), dir.file("Snapshots"));
    refused(vbox(disk(k_u1, "Snapshots/a.vdi"), k_mem, sata(k_u1)), "not a directory beneath");
}

// A snapshot chain: base <- Snapshots/child <- Snapshots/grandchild, the
// last attached; read flattened on the parents the registry names.
class VboxChain : public ::testing::Test {
protected:
    void SetUp() override {
        if (!ovfkit::test::have_tool("python3")) {
            GTEST_SKIP() << "python3 not installed";
        }
        fs::create_directory(m_dir.file("Snapshots"));
        m_layers.push_back(ovfkit::test::guest_pattern(3 * ovfkit::test::k_mib));
        auto second = m_layers.back();
        std::fill(second.begin() + 100, second.begin() + 5000, std::byte{0x5A});
        m_layers.push_back(second);
        auto third = second;
        std::fill(third.begin() + 2 * ovfkit::test::k_mib,
                  third.begin() + 2 * ovfkit::test::k_mib + 700, std::byte{0xA5});
        std::fill(third.begin(), third.begin() + 4096, std::byte{0}); // a discarded block's part
        m_layers.push_back(third);
        const char* names[] = {"base", "Snapshots/child", "Snapshots/grand"};
        for (size_t i = 0; i < 3; ++i) {
            ovfkit::test::write_file(m_dir.file(std::string(names[i]) + ".raw"), m_layers[i]);
            std::string cmd = fmt::format("python3 {}/tests/support/make-vdi --uuid {} ",
                                          OVFKIT_SOURCE_DIR, m_uuids[i]);
            if (i > 0) {
                cmd +=
                    fmt::format("--parent {0}.vdi --parent-raw {0}.raw ", m_dir.file(names[i - 1]));
            }
            cmd += fmt::format("{0}.raw {0}.vdi", m_dir.file(names[i]));
            std::string out;
            ASSERT_EQ(ovfkit::test::run_tool(cmd, &out), 0) << out;
        }
    }

    std::string registry(const char* grand_uuid = k_u3) const {
        return disk(k_u1, "base.vdi",
                    disk(k_u2, "Snapshots/child.vdi", disk(grand_uuid, "Snapshots/grand.vdi")));
    }

    TempDir m_dir;
    std::vector<std::vector<std::byte>> m_layers;
    const char* m_uuids[3] = {k_u1, k_u2, k_u3};
};

TEST_F(VboxChain, FlattensThroughTheRegistry) {
    write_text(m_dir.file("vm.vbox"), vbox(registry(), k_mem, sata(k_u3)));
    auto app = import_file(m_dir.file("vm.vbox"));
    ASSERT_TRUE(app) << app.error().message;
    const ImportDisk& d = app->vms.at(0).disks.at(0);
    EXPECT_EQ(d.path, "Snapshots/grand.vdi");
    ASSERT_TRUE(d.open);
    auto image = d.open();
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_EQ((*image)->reader->info().files.size(), 3u);
    EXPECT_TRUE(ovfkit::test::read_all(*(*image)->reader) == m_layers[2]);
    // Attached in the middle: the middle layer.
    write_text(m_dir.file("vm.vbox"), vbox(registry(), k_mem, sata(k_u2)));
    app = import_file(m_dir.file("vm.vbox"));
    ASSERT_TRUE(app) << app.error().message;
    image = app->vms.at(0).disks.at(0).open();
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_TRUE(ovfkit::test::read_all(*(*image)->reader) == m_layers[1]);
}

TEST_F(VboxChain, AParentWhoseUuidDiffersIsRefused) {
    // The registry puts grand.vdi under base.vdi directly: its header names
    // child.vdi's UUID as its parent.
    write_text(m_dir.file("vm.vbox"),
               vbox(disk(k_u1, "base.vdi", disk(k_u3, "Snapshots/grand.vdi")), k_mem, sata(k_u3)));
    auto app = import_file(m_dir.file("vm.vbox"));
    ASSERT_TRUE(app) << app.error().message;
    auto image = app->vms.at(0).disks.at(0).open();
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().code, Errc::refused);
    EXPECT_NE(image.error().message.find(fmt::format(
                  "differencing disk: parent '{}' has UUID {} (offset 392), the child names {} at "
                  "offset 424 (disk vboxdisk1)",
                  m_dir.file("base.vdi"), k_u1, k_u2)),
              std::string::npos)
        << image.error().message;
    // A lone differencing disk registered as a base: refused by the engine
    // as before (its parent is unknown).
    write_text(m_dir.file("vm.vbox"), vbox(disk(k_u3, "Snapshots/grand.vdi"), k_mem, sata(k_u3)));
    app = import_file(m_dir.file("vm.vbox"));
    ASSERT_TRUE(app) << app.error().message;
    EXPECT_FALSE(app->vms.at(0).disks.at(0).open);
}

} // namespace
} // namespace ovfkit::platform::virtualbox
