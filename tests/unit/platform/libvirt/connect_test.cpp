// define_in_libvirt against a real libvirt daemon (a private session
// daemon, private_libvirtd.hpp): volumes uploaded byte for byte, the domain
// defined on them, refusals without --force, replacement with it, a cancel
// leaving nothing; and exported domains that boot the shared test disk
// under TCG until it prints its token, both defined through the API and
// with `virsh define` on the written files. Skips (with the reason) where
// no libvirt daemon can run.
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "plans.hpp"
#include "private_libvirtd.hpp"
#include <gtest/gtest.h>

#include <ovfkit/platform/libvirt/connect.hpp>
#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/map.hpp>

namespace ovfkit::platform::libvirt {
namespace {

namespace fs = std::filesystem;
using namespace ovfkit::test::libvirt_plans;

// Every volume's path is in the pool directory, which ends so.
constexpr std::string_view daemon_pool_marker = "/libvirt-home/pool/";

#define START_DAEMON(daemon, dir)                                                                  \
    do {                                                                                           \
        if (auto why = (daemon).start((dir).path()); !why.empty()) {                               \
            GTEST_SKIP() << why;                                                                   \
        }                                                                                          \
    } while (false)

// The mapped plan with its files made in `out`: qcow2 disks with data in
// them and an environment ISO stand-in of random bytes.
ExportPlan plan_with_files(PlanVm vm, const std::string& out) {
    fs::create_directories(out);
    map_vm(vm, MapContext{"qcow2"});
    for (const auto& d : vm.disks) {
        std::string path = out + "/" + d.file_name;
        EXPECT_EQ(test::run("qemu-img create -q -f qcow2 '" + path +
                            "' 64M && qemu-io -c "
                            "'write -P 0x5a 1M 3M' '" +
                            path + "' >/dev/null"),
                  0);
    }
    for (const auto& cd : vm.cdroms) {
        EXPECT_EQ(test::run("head -c 200000 /dev/urandom > '" + out + "/" + cd.file_name + "'"), 0);
    }
    ExportPlan plan;
    plan.target = "libvirt";
    plan.directory = out;
    plan.disk_format = "qcow2";
    plan.vms.push_back(std::move(vm));
    return plan;
}

// The pool's volumes, one per line of `virsh -q vol-list` (name, path).
size_t volume_count(const test::PrivateLibvirtd& d) {
    std::string out;
    EXPECT_EQ(d.virsh("vol-list ovfkit-test", &out), 0) << out;
    size_t n = 0;
    std::string_view rest = out;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        n += line.find(daemon_pool_marker) != std::string_view::npos ? 1 : 0;
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    return n;
}

TEST(LibvirtDefine, UploadsTheVolumesAndDefinesTheDomainOnThem) {
    if (!test::have_tool("qemu-img") || !test::have_tool("qemu-io")) {
        GTEST_SKIP() << "qemu-img is not installed (Debian: qemu-utils)";
    }
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    START_DAEMON(daemon, dir);
    ExportPlan plan = plan_with_files(debian_lsilogic(), dir.path() + "/out");
    uint64_t last_done = 0;
    uint64_t last_total = 0;
    ops::JobControl job;
    job.progress = [&](const ops::Progress& p) {
        EXPECT_EQ(p.phase, "uploading");
        EXPECT_GE(p.done, last_done);
        last_done = p.done;
        last_total = p.total;
    };
    auto r = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, job);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->domains.size(), 1U);
    const DefinedDomain& d = r->domains[0];
    EXPECT_EQ(d.name, "debian");
    EXPECT_EQ(d.uuid.size(), 36U);
    EXPECT_FALSE(d.replaced);
    ASSERT_EQ(d.volumes.size(), 3U); // two disks and the environment ISO
    uint64_t total = 0;
    for (const auto& v : d.volumes) {
        EXPECT_TRUE(v.path.starts_with(daemon.pool_dir + "/")) << v.path;
        total += v.bytes;
    }
    EXPECT_EQ(last_done, total);
    EXPECT_EQ(last_total, total);
    // Each volume holds its file byte for byte.
    EXPECT_EQ(
        test::run("cmp '" + plan.directory + "/debian-disk1.qcow2' '" + d.volumes[0].path + "'"),
        0);
    EXPECT_EQ(
        test::run("cmp '" + plan.directory + "/debian-disk2.qcow2' '" + d.volumes[1].path + "'"),
        0);
    EXPECT_EQ(
        test::run("cmp '" + plan.directory + "/debian-ovf-env.iso' '" + d.volumes[2].path + "'"),
        0);
    // The defined domain names the volumes, with the mapped buses.
    std::string xml;
    ASSERT_EQ(daemon.virsh("dumpxml debian", &xml), 0) << xml;
    EXPECT_NE(xml.find("<source file='" + d.volumes[0].path + "'"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<target dev='vda' bus='virtio'/>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<source file='" + d.volumes[2].path + "'"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<source network='VM Network'/>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("http://debian.org/debian/12"), std::string::npos) << xml;
    auto j = r->to_json();
    EXPECT_EQ(j["schema"], "ovfkit/1");
    EXPECT_EQ(j["domains"][0]["volumes"].size(), 3U);
}

TEST(LibvirtDefine, RefusesAnExistingDomainUnlessForced) {
    if (!test::have_tool("qemu-img") || !test::have_tool("qemu-io")) {
        GTEST_SKIP() << "qemu-img is not installed (Debian: qemu-utils)";
    }
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    START_DAEMON(daemon, dir);
    ExportPlan plan = plan_with_files(debian_lsilogic(), dir.path() + "/out");
    auto first = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, {});
    ASSERT_TRUE(first.has_value()) << first.error().message;
    size_t volumes = volume_count(daemon);
    EXPECT_EQ(volumes, 3U);

    auto again = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, {});
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, Errc::refused);
    EXPECT_NE(again.error().message.find("--force"), std::string::npos) << again.error().message;
    EXPECT_EQ(volume_count(daemon), volumes);

    // A volume of the same name alone is refused too.
    ASSERT_EQ(daemon.virsh("undefine debian"), 0);
    auto vol_only = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, {});
    ASSERT_FALSE(vol_only.has_value());
    EXPECT_EQ(vol_only.error().code, Errc::refused);
    EXPECT_NE(vol_only.error().message.find("volume"), std::string::npos);

    auto forced = define_in_libvirt(plan, daemon.uri, "ovfkit-test", true, {});
    ASSERT_TRUE(forced.has_value()) << forced.error().message;
    EXPECT_FALSE(forced->domains[0].replaced); // undefined above
    auto replaced = define_in_libvirt(plan, daemon.uri, "ovfkit-test", true, {});
    ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
    EXPECT_TRUE(replaced->domains[0].replaced);
    EXPECT_NE(replaced->domains[0].uuid, first->domains[0].uuid);
    EXPECT_EQ(volume_count(daemon), volumes);
}

TEST(LibvirtDefine, ACancelLeavesNoVolumeAndNoDomain) {
    if (!test::have_tool("qemu-img") || !test::have_tool("qemu-io")) {
        GTEST_SKIP() << "qemu-img is not installed (Debian: qemu-utils)";
    }
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    START_DAEMON(daemon, dir);
    ExportPlan plan = plan_with_files(debian_lsilogic(), dir.path() + "/out");
    ops::JobControl job;
    // Cancelled once the first volume is under way.
    job.progress = [&](const ops::Progress&) { job.cancel.cancel(); };
    auto r = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, job);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_NE(r.error().message.find("cancelled"), std::string::npos) << r.error().message;
    EXPECT_EQ(volume_count(daemon), 0U);
    std::string out;
    EXPECT_NE(daemon.virsh("dominfo debian", &out), 0) << out;
}

TEST(LibvirtDefine, ConnectionAndPoolErrorsAreIoErrors) {
    auto r = define_in_libvirt(ExportPlan{}, "qemu:///session?socket=/nonexistent/sock", "default",
                               false, {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
}

// The test guest: shared/tools/make-boot-disk's BIOS disk as qcow2.
std::string make_boot_disk(const std::string& out, const std::string& token) {
    fs::path tools = fs::path(OVFKIT_SOURCE_DIR) / ".." / "shared" / "tools";
    if (!fs::exists(tools / "make-boot-disk")) {
        return "shared/tools/make-boot-disk is not beside the checkout";
    }
    for (const char* t : {"qemu-system-x86_64", "qemu-img", "syslinux", "mcopy"}) {
        if (!test::have_tool(t)) {
            return std::string(t) + " is not installed";
        }
    }
    std::string log;
    if (test::run("BOOT_DISK_MIB=32 '" + (tools / "make-boot-disk").string() + "' '" + out +
                      ".raw' '" + token + "' 2>&1",
                  &log) != 0) {
        return "make-boot-disk could not build a boot disk: " + log;
    }
    if (test::run("qemu-img convert -f raw -O qcow2 '" + out + ".raw' '" + out + "'") != 0) {
        return "qemu-img could not convert the boot disk";
    }
    return {};
}

// The test's changes to a defined domain so that it boots here and shows
// its console: TCG (the brief's, and the only accelerator a shared CI
// machine is sure to have), the serial port into a file, and no VNC
// display (daemons of parallel tests would race for port 5900). Nothing
// else of the exported domain changes.
std::string for_tcg_boot(std::string xml, const std::string& log) {
    auto replace = [&](const std::string& from, const std::string& to) {
        auto pos = xml.find(from);
        EXPECT_NE(pos, std::string::npos) << from << " in\n" << xml;
        if (pos != std::string::npos) {
            xml.replace(pos, from.size(), to);
        }
    };
    replace("<domain type='kvm'", "<domain type='qemu'");
    auto g = xml.find("<graphics type='vnc'");
    EXPECT_NE(g, std::string::npos) << xml;
    if (g != std::string::npos) {
        // Self-closed as exported; with <listen> children once libvirt
        // has defined it.
        auto close = xml.find('>', g);
        auto end = xml[close - 1] == '/' ? close + 1
                                         : xml.find("</graphics>", g) + std::strlen("</graphics>");
        xml.erase(g, end - g);
    }
    auto s = xml.find("<serial type='pty'>");
    auto e = xml.find("</console>");
    EXPECT_TRUE(s != std::string::npos && e != std::string::npos) << xml;
    if (s != std::string::npos && e != std::string::npos) {
        xml.replace(s, e + 10 - s,
                    "<serial type='file'><source path='" + log + "'/><target port='0'/></serial>");
    }
    return xml;
}

// Starts `name` and waits for the token on its serial log.
void expect_boots(const test::PrivateLibvirtd& daemon, const std::string& name,
                  const std::string& log, const std::string& token) {
    std::string out;
    ASSERT_EQ(daemon.virsh("start '" + name + "'", &out), 0) << out;
    bool booted = false;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    while (!booted && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        booted =
            fs::exists(log) && test::read_text(log).find("BOOT-OK " + token) != std::string::npos;
    }
    daemon.virsh("destroy '" + name + "'");
    EXPECT_TRUE(booted) << name << " did not print its token in 240 s; console:\n"
                        << (fs::exists(log) ? test::read_text(log) : std::string("(none)"));
}

// The boot disk in a plan of `row`'s guest on `controller` (a source
// controller in the appliance's vocabulary), no NIC (a session daemon has
// no network to start it on).
PlanVm boot_vm(const std::string& name, const GuestOsRow& row, PlanController controller) {
    PlanVm vm = base_vm(name, row);
    vm.memory_bytes = 256ULL << 20;
    vm.cpus = 1;
    vm.controllers = {controller};
    add_disk(vm, controller.id, 0, 32ULL << 20);
    vm.disks[0].file_name = "boot.qcow2";
    return vm;
}

TEST(LibvirtBoot, DefinedThroughTheApiItBootsFromVirtio) {
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    START_DAEMON(daemon, dir);
    std::string token = "libvirt-api-" + std::to_string(getpid());
    fs::create_directories(dir.path() + "/out");
    if (auto why = make_boot_disk(dir.path() + "/out/boot.qcow2", token); !why.empty()) {
        GTEST_SKIP() << why;
    }
    PlanVm vm = boot_vm("bootvirtio", k_debian12, {"3", Bus::scsi, "lsilogic", 0});
    map_vm(vm, MapContext{"qcow2"});
    ExportPlan plan;
    plan.directory = dir.path() + "/out";
    plan.disk_format = "qcow2";
    plan.vms.push_back(vm);
    auto r = define_in_libvirt(plan, daemon.uri, "ovfkit-test", false, {});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    std::string xml;
    ASSERT_EQ(daemon.virsh("dumpxml bootvirtio", &xml), 0) << xml;
    EXPECT_NE(xml.find("bus='virtio'"), std::string::npos) << xml;
    std::string log = daemon.pool_dir + "/bootvirtio.log";
    test::write_text(dir.path() + "/tcg.xml", for_tcg_boot(xml, log));
    std::string out;
    ASSERT_EQ(daemon.virsh("define '" + dir.path() + "/tcg.xml'", &out), 0) << out;
    expect_boots(daemon, "bootvirtio", log, token);
}

struct BootCase {
    std::string name;
    const GuestOsRow* row;
    PlanController controller;
    std::string bus;     // what the domain must name
    std::string machine; // what the mapping must choose
};

void PrintTo(const BootCase& c, std::ostream* os) {
    *os << c.name;
}

class LibvirtBootFiles : public testing::TestWithParam<BootCase> {};

// The written domain file, defined with `virsh define` as a user would
// after copying the export, boots on the bus it names.
TEST_P(LibvirtBootFiles, VirshDefinesTheWrittenDomainAndItBoots) {
    const BootCase& c = GetParam();
    test::TempDir dir;
    test::PrivateLibvirtd daemon;
    START_DAEMON(daemon, dir);
    std::string token = "libvirt-" + c.name + "-" + std::to_string(getpid());
    // The daemon's user reads the disk where the export put it.
    std::string out_dir = daemon.pool_dir + "/export";
    fs::create_directories(out_dir);
    if (auto why = make_boot_disk(out_dir + "/boot.qcow2", token); !why.empty()) {
        GTEST_SKIP() << why;
    }
    test::run("chmod -R a+rwX '" + out_dir + "'");
    PlanVm vm = boot_vm(c.name, *c.row, c.controller);
    map_vm(vm, MapContext{"qcow2"});
    EXPECT_EQ(vm.machine, c.machine);
    ExportPlan plan;
    plan.directory = out_dir;
    plan.disk_format = "qcow2";
    plan.vms.push_back(vm);
    auto files = write_files(plan);
    ASSERT_TRUE(files.has_value()) << files.error().message;
    const std::string& xml = files->front().content;
    EXPECT_NE(xml.find("bus='" + c.bus + "'"), std::string::npos) << xml;
    EXPECT_NE(xml.find("machine='" + c.machine + "'"), std::string::npos) << xml;
    std::string log = out_dir + "/" + c.name + ".log";
    test::write_text(dir.path() + "/tcg.xml", for_tcg_boot(xml, log));
    std::string out;
    ASSERT_EQ(daemon.virsh("define '" + dir.path() + "/tcg.xml'", &out), 0) << out;
    expect_boots(daemon, c.name, log, token);
}

INSTANTIATE_TEST_SUITE_P(
    Buses, LibvirtBootFiles,
    testing::Values(BootCase{"ide", &k_win2k19, {"5", Bus::ide, "piix4", 0}, "ide", "pc"},
                    BootCase{"sata", &k_other, {"7", Bus::scsi, "lsilogicsas", 0}, "sata", "q35"},
                    BootCase{"virtio", &k_debian12, {"7", Bus::sata, "ahci", 0}, "virtio", "q35"}),
    [](const testing::TestParamInfo<BootCase>& param) { return param.param.name; });

} // namespace
} // namespace ovfkit::platform::libvirt
