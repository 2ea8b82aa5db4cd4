// The proxmox writers: golden qm configs and import.sh for hand-built
// plans, refusals of what qm cannot carry, and appliance text that stays
// literal (description) or is made safe by the mapping (name, bridge).
//
// OVFKIT_UPDATE_GOLDEN=1 rewrites tests/golden/proxmox/ instead of
// comparing; review the diff before committing it.
#include <cstdlib>
#include <filesystem>
#include <set>

#include "plans.hpp"
#include "sample_plans.hpp"
#include <gtest/gtest.h>

#include <support/temp_dir.hpp>

namespace ovfkit::platform::proxmox {
namespace {

using namespace test;
namespace fs = std::filesystem;

bool updating() {
    const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN");
    return v != nullptr && std::string_view(v) == "1";
}

void expect_golden(const std::string& name, const std::string& actual) {
    fs::path path = fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "proxmox" / name;
    if (updating()) {
        fs::create_directories(path.parent_path());
        ovfkit::test::write_text(path.string(), actual);
        return;
    }
    ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    EXPECT_EQ(ovfkit::test::read_text(path.string()), actual)
        << name << " changed; if intended, regenerate with OVFKIT_UPDATE_GOLDEN=1";
}

void expect_golden_files(const std::string& stem, const ExportPlan& plan) {
    auto files = write_files(plan);
    ASSERT_TRUE(files) << files.error().message;
    for (const auto& f : *files) {
        expect_golden(stem + "/" + f.name, f.content);
        EXPECT_EQ(f.executable, f.name == "import.sh");
    }
}

TEST(ProxmoxWriter, BiosLinuxGolden) {
    expect_golden_files("bios-linux", bios_linux_plan());
}

TEST(ProxmoxWriter, UefiWindowsGolden) {
    expect_golden_files("uefi-windows", uefi_windows_plan());
}

TEST(ProxmoxWriter, CollectionGolden) {
    auto plan = collection_plan();
    EXPECT_EQ(config_names(plan), (std::vector<std::string>{"db.conf", "web.conf", "web-2.conf"}));
    expect_golden_files("collection", plan);
}

TEST(ProxmoxWriter, HostileGolden) {
    expect_golden_files("hostile", hostile_plan());
}

// Every line of a config is `key: value` or a `#` description line: no
// appliance text can start a line of its own (an `args:` key would run
// QEMU with arbitrary arguments).
TEST(ProxmoxWriter, HostileTextCannotAddConfigLines) {
    auto plan = hostile_plan();
    auto conf = write_config(plan, plan.vms[0]);
    ASSERT_TRUE(conf) << conf.error().message;
    std::set<std::string> keys;
    size_t start = 0;
    while (start < conf->size()) {
        size_t nl = conf->find('\n', start);
        ASSERT_NE(nl, std::string::npos);
        std::string line = conf->substr(start, nl - start);
        start = nl + 1;
        if (line.starts_with("#")) {
            EXPECT_EQ(line.find(':'), std::string::npos) << line;
            continue;
        }
        size_t colon = line.find(": ");
        ASSERT_NE(colon, std::string::npos) << line;
        keys.insert(line.substr(0, colon));
    }
    EXPECT_EQ(keys,
              (std::set<std::string>{"bios", "boot", "cores", "ide2", "memory", "name", "net0",
                                     "net1", "ostype", "scsi0", "scsihw", "sockets"}));
    EXPECT_NE(conf->find("net1: e1000,bridge=vmbr0\n"), std::string::npos);
}

TEST(ProxmoxWriter, RefusesWhatQmCannotCarry) {
    auto base = bios_linux_plan();
    auto refused = [&](auto change) {
        auto plan = base;
        change(plan.vms[0]);
        auto r = write_files(plan);
        if (r) {
            return std::string();
        }
        EXPECT_EQ(r.error().code, Errc::invalid);
        EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
        return r.error().message;
    };
    EXPECT_EQ(refused([](PlanVm&) {}), "");
    EXPECT_NE(refused([](PlanVm& v) { v.name = "a b"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.nics[0].network = "vmbr0,tag=5"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.nics[0].network = "vmbr0\nargs: x"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.nics[0].mac = "00:11:22:33:44:55,x=1"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.nics[0].model = "vmxnet"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.disks[0].file_name = "../x.qcow2"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.disks[0].file_name = "a'b.qcow2"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.disks[0].file_name = "-rf.qcow2"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.disks[0].unit = 31; }), "");
    EXPECT_NE(refused([](PlanVm& v) {
                  v.disks[1].controller = v.disks[0].controller;
                  v.disks[1].unit = 0;
              }),
              "");
    EXPECT_NE(refused([](PlanVm& v) { v.controllers.back().model = "lsilogic"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.memory_bytes = 1; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.description += std::string(1, '\0'); }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.cdroms[0].file_name = "x\ny.iso"; }), "");
    EXPECT_NE(refused([](PlanVm& v) { v.description = std::string(8193, 'x'); }), "");
}

TEST(ProxmoxWriter, EncodingsAreExact) {
    EXPECT_EQ(encode_text("a:b%c\n\x7f\xc3\xa9"), "a%3Ab%25c%0A%7F%C3%A9");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote("$(x)\n`y`"), "'$(x)\n`y`'");
}

} // namespace
} // namespace ovfkit::platform::proxmox
