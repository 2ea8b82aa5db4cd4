// import.sh run for real: against stand-ins for qm, pvesh and pvesm that
// record every argv, under dash and bash, for the sample plans. The recorded
// argvs must be exactly the commands the plan means, with every appliance
// string literal — injection attempts included — and nothing else run.
// The scripts also pass `sh -n`, `bash -n` and shellcheck.
#include <filesystem>
#include <fstream>

#include "plans.hpp"
#include "sample_plans.hpp"
#include <gtest/gtest.h>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::platform::proxmox {
namespace {

using namespace test;
namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

// Each stand-in appends its argv to $FAKE_PVE/log: the count, then each
// argument as LENGTH:BYTES (so newlines inside arguments survive).
constexpr std::string_view k_record = R"SH(#!/bin/sh
{
    printf '%s\n' "$(($# + 1))"
    n=$(basename "$0")
    printf '%s:%s\n' "${#n}" "$n"
    for a in "$@"; do
        printf '%s:%s\n' "${#a}" "$a"
    done
} >>"$FAKE_PVE/log"
)SH";

constexpr std::string_view k_qm = R"SH(
case $1 in
create) : >"$FAKE_PVE/vm-$2" ;;
importdisk)
    [ -f "$3" ] || exit 2
    [ -z "${FAKE_FAIL_IMPORT-}" ] || exit 5
    n=$(cat "$FAKE_PVE/disks" 2>/dev/null || echo 0)
    echo $((n + 1)) >"$FAKE_PVE/disks"
    echo "$4:vm-$2-disk-$n" >"$FAKE_PVE/unused-$2"
    ;;
config)
    echo "name: whatever"
    [ ! -f "$FAKE_PVE/unused-$2" ] || echo "unused0: $(cat "$FAKE_PVE/unused-$2")"
    ;;
set)
    case $4 in "$(cat "$FAKE_PVE/unused-$2" 2>/dev/null)"*) rm -f "$FAKE_PVE/unused-$2" ;; esac
    ;;
esac
exit 0
)SH";

constexpr std::string_view k_pvesh = R"SH(
n=$(find "$FAKE_PVE" -name 'vm-*' | wc -l)
echo $((100 + n))
)SH";

constexpr std::string_view k_pvesm = R"SH(
mkdir -p "$FAKE_PVE/iso"
echo "$FAKE_PVE/iso/${2#*:iso/}"
)SH";

struct ScriptRun {
    int status = -1;
    std::string output;
    std::vector<Argv> calls;
};

std::vector<Argv> parse_log(const std::string& log) {
    std::vector<Argv> calls;
    size_t pos = 0;
    auto line = [&]() {
        size_t nl = log.find('\n', pos);
        std::string s = log.substr(pos, nl - pos);
        pos = nl + 1;
        return s;
    };
    while (pos < log.size()) {
        size_t argc = std::stoul(line());
        Argv argv;
        for (size_t i = 0; i < argc; ++i) {
            size_t colon = log.find(':', pos);
            size_t len = std::stoul(log.substr(pos, colon - pos));
            argv.push_back(log.substr(colon + 1, len));
            pos = colon + 1 + len + 1;
        }
        calls.push_back(std::move(argv));
    }
    return calls;
}

class FakeNode {
public:
    FakeNode() {
        fs::create_directories(bin());
        fs::create_directories(state());
        fs::create_directories(out());
        put("qm", std::string(k_record) + std::string(k_qm));
        put("pvesh", std::string(k_record) + std::string(k_pvesh));
        put("pvesm", std::string(k_record) + std::string(k_pvesm));
    }

    std::string bin() const { return m_dir.file("bin"); }
    std::string state() const { return m_dir.file("state"); }
    std::string out() const { return m_dir.file("out dir"); }
    std::string cwd() const { return m_dir.path(); }

    // Writes the target's files and stand-in disks and ISOs.
    void write(const ExportPlan& plan) {
        auto files = write_files(plan);
        ASSERT_TRUE(files) << files.error().message;
        for (const auto& f : *files) {
            ovfkit::test::write_text(out() + "/" + f.name, f.content);
        }
        for (const auto& vm : plan.vms) {
            for (const auto& d : vm.disks) {
                ovfkit::test::write_text(out() + "/" + d.file_name, "disk");
            }
            for (const auto& cd : vm.cdroms) {
                if (!cd.file_name.empty()) {
                    ovfkit::test::write_text(out() + "/" + cd.file_name, "iso");
                }
            }
        }
    }

    ScriptRun run(const std::string& shell, const std::string& args, const std::string& env = "") {
        fs::remove_all(state());
        fs::create_directories(state());
        ScriptRun r;
        r.status = ovfkit::test::run("cd '" + cwd() + "' && " + env + " FAKE_PVE='" + state() +
                                         "' PATH='" + bin() + "':\"$PATH\" timeout 60 " + shell +
                                         " 'out dir/import.sh' " + args + " 2>&1",
                                     &r.output);
        std::ifstream in(state() + "/log", std::ios::binary);
        std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        r.calls = parse_log(log);
        return r;
    }

    bool pwned() const {
        for (const auto& e : fs::recursive_directory_iterator(m_dir.path())) {
            if (e.path().filename().string().starts_with("pwned")) {
                return true;
            }
        }
        return fs::exists("pwned") || fs::exists("pwned2");
    }

private:
    void put(const std::string& name, const std::string& text) {
        std::string path = bin() + "/" + name;
        ovfkit::test::write_text(path, text);
        fs::permissions(path, fs::perms::owner_all);
    }

    ovfkit::test::TempDir m_dir;
};

std::string show(const std::vector<Argv>& calls) {
    std::string s;
    for (const auto& argv : calls) {
        for (const auto& a : argv) {
            s += "[" + a + "] ";
        }
        s += "\n";
    }
    return s;
}

TEST(ProxmoxScript, HostileStringsReachQmLiterally) {
    auto plan = hostile_plan();
    const std::string name = plan.vms[0].name;
    for (char c : std::string("'\"$`|;\n\\ ")) {
        EXPECT_EQ(name.find(c), std::string::npos) << name;
    }
    FakeNode node;
    node.write(plan);
    const std::vector<Argv> expected{
        {"pvesh", "get", "/cluster/nextid"},
        {"qm",
         "create",
         "100",
         "--name",
         name,
         "--ostype",
         "l26",
         "--sockets",
         "1",
         "--cores",
         "2",
         "--memory",
         "2048",
         "--bios",
         "seabios",
         "--scsihw",
         "virtio-scsi-single",
         "--net0",
         "virtio,bridge=vmbr0",
         "--net1",
         "e1000,bridge=vmbr0",
         "--description",
         k_hostile},
        {"qm", "importdisk", "100", "disk1.qcow2", "local-lvm"},
        {"qm", "config", "100"},
        {"qm", "set", "100", "--scsi0", "local-lvm:vm-100-disk-0,discard=on,iothread=1"},
        {"pvesm", "path", "local:iso/ovfkit-100-env.iso"},
        {"qm", "set", "100", "--ide2", "local:iso/ovfkit-100-env.iso,media=cdrom"},
        {"qm", "set", "100", "--boot", "order=scsi0"},
    };
    for (std::string shell : {"sh", "bash"}) {
        ScriptRun r = node.run(shell, "");
        EXPECT_EQ(r.status, 0) << shell << ": " << r.output;
        EXPECT_EQ(r.calls, expected) << shell << ":\n" << show(r.calls);
        EXPECT_FALSE(node.pwned()) << shell;
        EXPECT_TRUE(fs::exists(node.state() + "/iso/ovfkit-100-env.iso"));
    }
}

TEST(ProxmoxScript, CollectionIsCreatedInStartOrderWithTheGivenIds) {
    auto plan = collection_plan();
    FakeNode node;
    node.write(plan);
    ScriptRun r = node.run("sh", "300 tank iso-store");
    ASSERT_EQ(r.status, 0) << r.output;
    std::vector<Argv> creates;
    for (const auto& c : r.calls) {
        EXPECT_NE(c[0], "pvesh"); // the ids were given
        if (c.size() > 1 && c[1] == "create") {
            creates.push_back(c);
        }
    }
    ASSERT_EQ(creates.size(), 3u) << show(r.calls);
    EXPECT_EQ(creates[0][2], "300");
    EXPECT_EQ(creates[0][4], "db");
    EXPECT_EQ(creates[1][2], "301");
    EXPECT_EQ(creates[2][2], "302");
    auto value = [](const Argv& argv, const std::string& option) {
        auto it = std::find(argv.begin(), argv.end(), option);
        return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
    };
    EXPECT_EQ(value(creates[0], "--startup"), "order=1,up=30,down=60");
    EXPECT_EQ(value(creates[1], "--startup"), "order=2,down=60");
    EXPECT_EQ(std::count(r.calls.begin(), r.calls.end(),
                         Argv{"qm", "importdisk", "302", "vm3-disk1.qcow2", "tank"}),
              1);
    EXPECT_EQ(std::count(r.calls.begin(), r.calls.end(),
                         Argv{"qm", "set", "301", "--virtio0",
                              "tank:vm-301-disk-1,discard=on,iothread=1"}),
              1);
}

TEST(ProxmoxScript, UefiVmGetsEfiAndTpmDisksOnTheChosenStorage) {
    auto plan = uefi_windows_plan();
    FakeNode node;
    node.write(plan);
    ScriptRun r = node.run("bash", "150 fast");
    ASSERT_EQ(r.status, 0) << r.output;
    ASSERT_FALSE(r.calls.empty());
    const Argv& create = r.calls[0];
    ASSERT_EQ(create[1], "create") << show(r.calls);
    auto has = [&](const std::string& option, const std::string& value) {
        for (size_t i = 0; i + 1 < create.size(); ++i) {
            if (create[i] == option && create[i + 1] == value) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(has("--efidisk0", "fast:1,efitype=4m,pre-enrolled-keys=1"));
    EXPECT_TRUE(has("--tpmstate0", "fast:1,version=v2.0"));
    EXPECT_TRUE(has("--machine", "q35"));
    EXPECT_TRUE(has("--bios", "ovmf"));
    EXPECT_TRUE(has("--scsihw", "pvscsi"));
    EXPECT_EQ(r.calls.back(), (Argv{"qm", "set", "150", "--boot", "order=scsi0;sata0"}));
}

TEST(ProxmoxScript, RefusesBadArgumentsBeforeCallingQm) {
    auto plan = bios_linux_plan();
    FakeNode node;
    node.write(plan);
    for (std::string args : {"abc", "99", "0100", "1234567890", "'1$(touch pwned)'", "100 'a;b'",
                             "100 -x", "100 local-lvm 'x y'", "100 'lvm\n'"}) {
        ScriptRun r = node.run("sh", args);
        EXPECT_NE(r.status, 0) << args;
        EXPECT_TRUE(r.calls.empty()) << args << "\n" << show(r.calls);
        EXPECT_NE(r.output.find("import.sh: "), std::string::npos) << r.output;
    }
    EXPECT_FALSE(node.pwned());
}

TEST(ProxmoxScript, MissingDiskStopsBeforeCreating) {
    auto plan = bios_linux_plan();
    FakeNode node;
    node.write(plan);
    fs::remove(node.out() + "/disk2.qcow2");
    ScriptRun r = node.run("sh", "");
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(r.calls.empty()) << show(r.calls);
    EXPECT_NE(r.output.find("missing file: disk2.qcow2"), std::string::npos) << r.output;
}

TEST(ProxmoxScript, FailureAfterCreateRemovesTheVm) {
    auto plan = bios_linux_plan();
    FakeNode node;
    node.write(plan);
    ScriptRun r = node.run("sh", "500", "FAKE_FAIL_IMPORT=1");
    EXPECT_NE(r.status, 0);
    ASSERT_FALSE(r.calls.empty());
    EXPECT_EQ(r.calls.back(), (Argv{"qm", "destroy", "500", "--purge"})) << show(r.calls);
}

TEST(ProxmoxScript, ScriptsPassSyntaxChecksAndShellcheck) {
    const bool shellcheck = ovfkit::test::have_tool("shellcheck");
    for (const auto& plan :
         {bios_linux_plan(), uefi_windows_plan(), collection_plan(), hostile_plan()}) {
        FakeNode node;
        node.write(plan);
        std::string script = "'" + node.out() + "/import.sh'";
        std::string out;
        EXPECT_EQ(ovfkit::test::run("sh -n " + script + " 2>&1", &out), 0) << out;
        EXPECT_EQ(ovfkit::test::run("bash -n " + script + " 2>&1", &out), 0) << out;
        if (shellcheck) {
            EXPECT_EQ(ovfkit::test::run_tool("shellcheck -s sh " + script, &out), 0) << out;
        }
    }
    if (!shellcheck) {
        GTEST_SKIP() << "shellcheck is not installed (scripts/setup installs it)";
    }
}

} // namespace
} // namespace ovfkit::platform::proxmox
