// libvirt's importers through the import contract: a domain XML file with
// its disks beside it, and a domain defined in a libvirt daemon started by
// the test, imported by `libvirt:URI/DOMAIN` with its volumes streamed.
#include <cstdlib>
#include <filesystem>

#include "plans.hpp"
#include "private_libvirtd.hpp"
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/libvirt/connect.hpp>
#include <ovfkit/platform/libvirt/import.hpp>
#include <ovfkit/platform/libvirt/live_source.hpp>
#include <ovfkit/platform/libvirt/map.hpp>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::platform::libvirt {
namespace {

namespace fs = std::filesystem;
using namespace ovfkit::test::libvirt_plans;

constexpr std::string_view k_domain = R"(<domain type='kvm'>
  <name>web</name>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>
      <libosinfo:os id='http://debian.org/debian/12'/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <mac address='52:54:00:12:34:56'/>
      <model type='virtio'/>
    </interface>
    <sound model='ich9'/>
  </devices>
</domain>
)";

std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(LibvirtXmlImport, ReadsTheDomainBesideItsDisks) {
    test::TempDir dir;
    std::string xml = fmt::format(k_domain, "disks/web.qcow2");
    std::string path = dir.file("web.xml");
    test::write_text(path, xml);
    const ImportSource* source = claim_import_source(path, false, bytes(xml));
    ASSERT_NE(source, nullptr);
    EXPECT_EQ(source->name, "libvirt-xml");
    EXPECT_EQ(source, find_import_source("libvirt-xml"));
    auto app = source->read(path, {});
    ASSERT_TRUE(app.has_value()) << app.error().message;
    EXPECT_EQ(app->platform, "libvirt");
    EXPECT_EQ(app->directory, fs::canonical(dir.path()).string());
    ASSERT_EQ(app->vms.size(), 1u);
    const ImportedVm& ivm = app->vms[0];
    EXPECT_EQ(ivm.vm.name, "web");
    EXPECT_EQ(ivm.vm.cpus, 2u);
    EXPECT_EQ(ivm.vm.memory_bytes, 1ULL << 30);
    EXPECT_EQ(ivm.vm.machine, "q35");
    ASSERT_NE(ivm.vm.os.row, nullptr);
    EXPECT_EQ(ivm.vm.os.row->osinfo, "debian12");
    ASSERT_EQ(ivm.disks.size(), 1u);
    EXPECT_EQ(ivm.disks[0].disk_id, ivm.vm.disks[0].disk_id);
    EXPECT_EQ(ivm.disks[0].path, "disks/web.qcow2");
    EXPECT_EQ(ivm.disks[0].format, "qcow2");
    EXPECT_EQ(ivm.vm.disks[0].capacity_bytes, 0u);
    ASSERT_EQ(ivm.vm.nics.size(), 1u);
    EXPECT_FALSE(ivm.vm.nics[0].mac.has_value());
    EXPECT_EQ(ivm.vm.nics[0].network, "default");
    bool mac_noted = false;
    bool sound_dropped = false;
    for (const auto& n : app->notes.all()) {
        mac_noted |= n.code == "nic-mac" && n.action == NoteAction::info;
        sound_dropped |= n.code == "device-dropped" && n.item == "sound";
        EXPECT_EQ(n.vm, "web");
    }
    EXPECT_TRUE(mac_noted);
    EXPECT_TRUE(sound_dropped);

    ImportOptions keep;
    keep.keep_macs = true;
    auto kept = source->read(path, keep);
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->vms[0].vm.nics[0].mac, "52:54:00:12:34:56");
}

TEST(LibvirtXmlImport, AbsoluteAndEscapingPathsAreRefusedWithExit4) {
    test::TempDir dir;
    for (std::string_view disk : {"/etc/shadow", "../outside.qcow2", "/dev/sda"}) {
        std::string path = dir.file("vm.xml");
        test::write_text(path, fmt::format(k_domain, disk));
        auto app = xml_import_source.read(path, {});
        ASSERT_FALSE(app.has_value()) << disk;
        EXPECT_EQ(app.error().code, Errc::refused) << app.error().message;
        EXPECT_NE(app.error().message.find(path + ":"), std::string::npos) << app.error().message;
    }
    ImportOptions allow;
    allow.allow_absolute_paths = true;
    test::write_text(dir.file("vm.xml"), fmt::format(k_domain, "/srv/vm/web.qcow2"));
    auto app = xml_import_source.read(dir.file("vm.xml"), allow);
    ASSERT_TRUE(app.has_value()) << app.error().message;
    EXPECT_EQ(app->vms[0].disks[0].path, "/srv/vm/web.qcow2");
}

// A 10 MB line, or a 1 MB name, is refused before it is mapped.
TEST(LibvirtXmlImport, OversizedDocumentsAreRefusedWithExit4) {
    test::TempDir dir;
    std::string big = fmt::format(k_domain, "web.qcow2");
    big.insert(big.find("<devices>"),
               "<description>" + std::string(10 << 20, 'x') + "</description>");
    test::write_text(dir.file("big.xml"), big);
    auto r = xml_import_source.read(dir.file("big.xml"), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    std::string name = fmt::format(k_domain, "web.qcow2");
    name.replace(name.find("<name>web</name>"), 16,
                 "<name>" + std::string(1 << 20, 'n') + "</name>");
    test::write_text(dir.file("name.xml"), name);
    auto n = xml_import_source.read(dir.file("name.xml"), {});
    ASSERT_FALSE(n.has_value());
    EXPECT_EQ(n.error().code, Errc::refused) << n.error().message;
}

TEST(LibvirtXmlImport, OnlyDomainFilesAreClaimed) {
    EXPECT_EQ(xml_import_source.claims("net.xml", false, bytes("<network>")), false);
    EXPECT_EQ(xml_import_source.claims("vm.ovf", false, bytes("<domain")), false);
    EXPECT_EQ(live_import_source.claims("libvirt:qemu:///system/web", false, {}), true);
}

TEST(LibvirtLiveSource, AddressesSplitAtTheLastSlash) {
    auto a = parse_live_source("libvirt:qemu:///session?socket=/run/user/1/sock/web01");
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(a->uri, "qemu:///session?socket=/run/user/1/sock");
    EXPECT_EQ(a->domain, "web01");
    for (std::string_view bad : {"qemu:///system/web", "libvirt:", "libvirt:web", "libvirt:/web",
                                 "libvirt:qemu:///system/"}) {
        auto r = parse_live_source(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().code, Errc::usage) << bad;
    }
}

// A domain defined through the exporter's --define (volumes uploaded into
// the test daemon's pool) is imported by URI: the same hardware, and each
// disk streamed back byte for byte into the staging directory, which goes
// with the appliance.
TEST(LibvirtLiveSource, ImportsADomainDefinedInATestDaemon) {
    if (!test::have_tool("qemu-img") || !test::have_tool("qemu-io")) {
        GTEST_SKIP() << "qemu-img/qemu-io are not installed (Debian: qemu-utils)";
    }
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    if (auto why = daemon.start(dir.path()); !why.empty()) {
        GTEST_SKIP() << why;
    }
    PlanVm vm = debian_lsilogic();
    vm.cdroms.clear(); // the environment ISO is not the point here
    vm.environment_xml.clear();
    vm.nics.back().mac = "52:54:00:aa:bb:cc";
    std::string out = dir.path() + "/export";
    fs::create_directories(out);
    map_vm(vm, MapContext{"qcow2"});
    for (const auto& d : vm.disks) {
        std::string path = out + "/" + d.file_name;
        ASSERT_EQ(test::run("qemu-img create -q -f qcow2 '" + path + "' 64M && qemu-io -c 'write " +
                            "-P 0x5a 1M 3M' '" + path + "' >/dev/null"),
                  0);
    }
    ExportPlan plan;
    plan.target = "libvirt";
    plan.directory = out;
    plan.disk_format = "qcow2";
    plan.vms.push_back(vm);
    auto defined = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, {});
    ASSERT_TRUE(defined.has_value()) << defined.error().message;

    std::string source = "libvirt:" + daemon.uri + "/debian";
    const ImportSource* importer = claim_import_source(source, false, {});
    ASSERT_NE(importer, nullptr);
    EXPECT_EQ(importer, find_import_source("libvirt"));
    test::TempDir staging_parent;
    setenv("TMPDIR", staging_parent.path().c_str(), 1);
    ImportOptions keep;
    keep.keep_macs = true;
    std::string staging;
    std::vector<std::string> staged_names;
    {
        auto app = importer->read(source, keep);
        unsetenv("TMPDIR");
        ASSERT_TRUE(app.has_value()) << app.error().message;
        staging = app->directory;
        EXPECT_TRUE(staging.starts_with(staging_parent.path())) << staging;
        ASSERT_EQ(app->vms.size(), 1u);
        const ImportedVm& ivm = app->vms[0];
        EXPECT_EQ(ivm.vm.name, "debian");
        EXPECT_EQ(ivm.vm.cpus, vm.cpus);
        EXPECT_EQ(ivm.vm.memory_bytes, vm.memory_bytes);
        EXPECT_EQ(ivm.vm.machine, vm.machine);
        ASSERT_EQ(ivm.vm.nics.size(), 1u);
        EXPECT_EQ(ivm.vm.nics[0].mac, "52:54:00:aa:bb:cc");
        EXPECT_EQ(ivm.vm.nics[0].model, "virtio");
        ASSERT_EQ(ivm.disks.size(), vm.disks.size());
        for (size_t i = 0; i < ivm.disks.size(); ++i) {
            EXPECT_EQ(ivm.disks[i].path.find('/'), std::string::npos) << ivm.disks[i].path;
            EXPECT_EQ(ivm.disks[i].format, "qcow2");
            std::string staged = staging + "/" + ivm.disks[i].path;
            staged_names.push_back(ivm.disks[i].path);
            std::string original = out + "/" + vm.disks[i].file_name;
            std::string cmp;
            EXPECT_EQ(test::run("cmp '" + staged + "' '" + original + "' 2>&1", &cmp), 0) << cmp;
            EXPECT_EQ(ivm.vm.disks[i].boot, vm.disks[i].boot);
        }
    }
    EXPECT_FALSE(fs::exists(staging)) << "the staging directory outlived the appliance";

    // Through the CLI: the staging directory lives as long as the import's
    // package, so the OVA's disks hold the volumes' bytes; then it is gone.
    if (const char* bin = std::getenv("OVFKIT_BIN"); bin != nullptr) {
        setenv("TMPDIR", staging_parent.path().c_str(), 1);
        std::string log;
        int rc = test::run(std::string(bin) + " convert -q '" + source + "' '" + dir.path() +
                               "/live.ova' 2>&1",
                           &log);
        unsetenv("TMPDIR");
        ASSERT_EQ(rc, 0) << log;
        std::string x = dir.path() + "/live";
        ASSERT_EQ(test::run("mkdir '" + x + "' && tar xf '" + x + ".ova' -C '" + x + "'"), 0);
        ASSERT_EQ(staged_names.size(), vm.disks.size());
        for (size_t i = 0; i < vm.disks.size(); ++i) {
            // The OVA names each disk after its staged file (vda.qcow2: vda.vmdk).
            std::string member = x + "/" + fs::path(staged_names[i]).stem().string() + ".vmdk";
            std::string cmp;
            EXPECT_EQ(test::run("qemu-img compare -q '" + out + "/" + vm.disks[i].file_name +
                                    "' '" + member + "' 2>&1",
                                &cmp),
                      0)
                << vm.disks[i].file_name << ": " << cmp << " (" << log << ")";
        }
        EXPECT_TRUE(fs::is_empty(staging_parent.path())) << "a staging directory was left";
    }

    auto missing = importer->read("libvirt:" + daemon.uri + "/nosuchdomain", {});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, Errc::io);
    auto snapshot = read_live_domain(LiveAddress{daemon.uri, "debian"}, staging_parent.path(),
                                     LiveOptions{false, true}, {});
    ASSERT_FALSE(snapshot.has_value());
    EXPECT_EQ(snapshot.error().code, Errc::usage);
}

// The boot appliance of the export tests, exported by the CLI to libvirt
// and read back: the hardware the export plan chose, and the disk the
// import names compares identical to the appliance's.
TEST(LibvirtXmlImport, TheExportedTestApplianceImportsBack) {
    const char* bin = std::getenv("OVFKIT_BIN");
    if (bin == nullptr) {
        GTEST_SKIP() << "OVFKIT_BIN is not set (run through ctest)";
    }
    test::TempDir dir;
    std::string ovfkit = bin;
    std::string support = std::string(OVFKIT_SOURCE_DIR) + "/tests/support";
    std::string out;
    if (test::run("PATH='" + fs::path(ovfkit).parent_path().string() + "':\"$PATH\" bash '" +
                      support + "/make-test-appliance' '" + dir.file("app") + "' tok 2>&1",
                  &out) != 0) {
        GTEST_SKIP() << "the test appliance cannot be built here: " << out;
    }
    std::string json;
    ASSERT_EQ(test::run("'" + ovfkit + "' convert '" + dir.file("app/env-guest.ovf") + "' '" +
                            dir.file("out") +
                            "' --to libvirt --accept-eula --prop admin_password=secret123 --json",
                        &json),
              0)
        << json;
    auto plan = nlohmann::json::parse(json);
    const auto& want = plan.at("vms").at(0);
    ImportOptions options;
    options.allow_absolute_paths = true; // libvirt's domains name their disks by absolute path
    auto app = xml_import_source.read(dir.file("out/env-guest.xml"), options);
    ASSERT_TRUE(app.has_value()) << app.error().message;
    const ImportedVm& got = app->vms.at(0);
    EXPECT_EQ(got.vm.name, want.at("name"));
    EXPECT_EQ(got.vm.cpus, want.at("cpus"));
    EXPECT_EQ(got.vm.memory_bytes, want.at("memory_bytes"));
    EXPECT_EQ(got.vm.firmware == Firmware::efi ? "efi" : "bios", want.at("firmware"));
    EXPECT_EQ(got.vm.machine, want.at("machine"));
    auto bus_of = [](const PlanVm& vm, const std::string& id) {
        const PlanController* c = vm.controller(id);
        return c == nullptr ? std::string("?") : std::string(bus_name(c->bus));
    };
    auto want_bus = [&](const std::string& id) {
        for (const auto& c : want.at("controllers")) {
            if (c.at("id") == id) {
                return c.at("bus").get<std::string>();
            }
        }
        return std::string("?");
    };
    ASSERT_EQ(got.vm.disks.size(), want.at("disks").size());
    for (size_t i = 0; i < got.vm.disks.size(); ++i) {
        const auto& w = want.at("disks").at(i);
        EXPECT_EQ(bus_of(got.vm, got.vm.disks[i].controller), want_bus(w.at("controller")));
        EXPECT_EQ(got.vm.disks[i].unit, w.at("unit"));
        EXPECT_EQ(got.vm.disks[i].boot, w.at("boot"));
        EXPECT_EQ(got.disks[i].format, w.at("format"));
        std::string cmp;
        EXPECT_EQ(test::run("'" + ovfkit + "' disk compare '" +
                                dir.file("app/env-guest-disk1.vmdk") + "' '" + got.disks[i].path +
                                "' 2>&1",
                            &cmp),
                  0)
            << cmp;
    }
    ASSERT_EQ(got.vm.cdroms.size(), want.at("cdroms").size());
    for (size_t i = 0; i < got.vm.cdroms.size(); ++i) {
        const auto& w = want.at("cdroms").at(i);
        EXPECT_EQ(bus_of(got.vm, got.vm.cdroms[i].controller), want_bus(w.at("controller")));
        EXPECT_EQ(got.vm.cdroms[i].unit, w.at("unit"));
    }
    ASSERT_EQ(got.vm.nics.size(), want.at("nics").size());
    for (size_t i = 0; i < got.vm.nics.size(); ++i) {
        EXPECT_EQ(got.vm.nics[i].model, want.at("nics").at(i).at("model"));
        EXPECT_EQ(got.vm.nics[i].network, want.at("nics").at(i).at("network"));
    }
    // The OS comes back through the libosinfo id: the same libosinfo row.
    const GuestOsRow* exported = find_guest_os(want.at("os").at("key").get<std::string>());
    ASSERT_NE(exported, nullptr);
    ASSERT_NE(got.vm.os.row, nullptr);
    EXPECT_EQ(got.vm.os.row->osinfo, exported->osinfo);
    for (const auto& n : app->notes.all()) {
        EXPECT_NE(n.action, NoteAction::dropped) << n.code << " " << n.item << ": " << n.reason;
    }
}

// A running domain's disks change while read: refused, nothing staged.
TEST(LibvirtLiveSource, ARunningDomainIsRefused) {
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    if (auto why = daemon.start(dir.path()); !why.empty()) {
        GTEST_SKIP() << why;
    }
    // No disk, no display: QEMU under TCG sits in its firmware, running.
    test::write_text(dir.file("idle.xml"),
                     "<domain type='qemu'><name>idle</name><memory unit='MiB'>32</memory>"
                     "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
                     "<devices></devices></domain>");
    std::string out;
    ASSERT_EQ(daemon.virsh("define '" + dir.file("idle.xml") + "'", &out), 0) << out;
    if (daemon.virsh("start idle", &out) != 0) {
        GTEST_SKIP() << "QEMU cannot start a domain here: " << out;
    }
    test::TempDir staging;
    auto r = read_live_domain(LiveAddress{daemon.uri, "idle"}, staging.path(), {}, {});
    daemon.virsh("destroy idle");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_NE(r.error().message.find("not shut off"), std::string::npos) << r.error().message;
    EXPECT_TRUE(fs::is_empty(staging.path()));
}

} // namespace
} // namespace ovfkit::platform::libvirt
