// The written configs read back the way qemu-server reads a config
// (parse_vm_config: `#` lines are the URI-escaped description, `key: value`
// lines with keys [a-z][a-z_-]*\d*, `[section]` headers; anything else is
// an unparsable line), by a reader that first proves itself on the corpus's
// real Proxmox configs. Property strings split on `,` and `=` into the keys
// qm knows, and the description decodes to the appliance's text.
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "plans.hpp"
#include "sample_plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/text.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::platform::proxmox {
namespace {

using namespace test;
namespace fs = std::filesystem;

struct ReadConfig {
    std::string description;
    std::map<std::string, std::string> keys; // main section only
    std::vector<std::string> unparsable;
    size_t sections = 0;
};

std::string uri_unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
            hex_digit(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

ReadConfig read_config(const std::string& text) {
    static const std::regex key_line(R"(^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$)");
    static const std::regex section(R"(^\[([a-z][a-z0-9_\-:]+)\]\s*$)");
    ReadConfig r;
    std::vector<std::string> desc;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl == std::string::npos ? nl : nl - start);
        start = nl == std::string::npos ? text.size() : nl + 1;
        std::smatch m;
        if (line.empty()) {
            continue;
        }
        if (r.sections == 0 && line[0] == '#') {
            desc.push_back(uri_unescape(line.substr(1)));
        } else if (std::regex_match(line, m, section)) {
            ++r.sections;
        } else if (std::regex_match(line, m, key_line)) {
            if (r.sections == 0) {
                r.keys[m[1]] = m[2];
            }
        } else if (line[0] != '#') {
            r.unparsable.push_back(line);
        }
    }
    for (size_t i = 0; i < desc.size(); ++i) {
        r.description += (i == 0 ? "" : "\n") + desc[i];
    }
    return r;
}

// A property string: `default,key=value,...` -> key -> value (the default
// key under "").
std::map<std::string, std::string> properties(const std::string& value) {
    std::map<std::string, std::string> out;
    size_t start = 0;
    while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string part =
            value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t eq = part.find('=');
        if (eq == std::string::npos) {
            out[""] = part;
        } else {
            out[part.substr(0, eq)] = part.substr(eq + 1);
        }
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

TEST(ProxmoxConfigReader, ReadsTheCorpusConfigs) {
    fs::path dir = ovfkit::test::corpus_path("proxmox");
    if (!fs::is_directory(dir)) {
        GTEST_SKIP() << "corpus not found at " << dir;
    }
    size_t read = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        auto r = read_config(ovfkit::test::read_text(e.path().string()));
        EXPECT_TRUE(r.unparsable.empty()) << e.path() << ": " << r.unparsable.front();
        EXPECT_FALSE(r.keys.empty()) << e.path();
        ++read;
    }
    EXPECT_GE(read, 5u);
    auto snap = read_config(ovfkit::test::read_text(dir / "snapshots.conf"));
    EXPECT_EQ(snap.keys["name"], "win-machine-ver");
    EXPECT_EQ(snap.sections, 7u); // its snapshots
    EXPECT_EQ(properties(snap.keys["net1"])["bridge"], "vnet0");
}

// The keys this target writes, each one qemu-server knows.
const std::set<std::string> k_known{"bios", "boot",   "cores",  "efidisk0", "machine", "memory",
                                    "name", "ostype", "scsihw", "sockets",  "startup", "tpmstate0"};
const std::set<std::string> k_drive_options{"",       "import-from", "discard", "iothread",
                                            "size",   "media",       "efitype", "pre-enrolled-keys",
                                            "version"};

void check_plan(const ExportPlan& plan) {
    for (const auto& vm : plan.vms) {
        auto text = write_config(plan, vm);
        ASSERT_TRUE(text) << text.error().message;
        auto r = read_config(*text);
        EXPECT_TRUE(r.unparsable.empty()) << r.unparsable.front();
        EXPECT_EQ(r.sections, 0u);
        EXPECT_EQ(r.description, vm.description);
        EXPECT_EQ(r.keys["name"], vm.name);
        EXPECT_TRUE(is_dns_name(r.keys["name"]));
        for (const auto& [key, value] : r.keys) {
            static const std::regex drive(R"(^(ide|sata|scsi|virtio)\d+$)");
            static const std::regex net(R"(^net\d+$)");
            if (std::regex_match(key, drive) || key == "efidisk0" || key == "tpmstate0") {
                for (const auto& [k, v] : properties(value)) {
                    EXPECT_TRUE(k_drive_options.contains(k)) << key << ": " << k;
                }
            } else if (std::regex_match(key, net)) {
                auto p = properties(value);
                EXPECT_EQ(p.size(), 2u) << value;
                EXPECT_TRUE(is_bridge_name(p["bridge"])) << value;
            } else {
                EXPECT_TRUE(k_known.contains(key)) << key;
            }
        }
        if (r.keys.contains("boot")) {
            std::string order = r.keys["boot"];
            ASSERT_TRUE(order.starts_with("order="));
            size_t start = 6;
            while (start <= order.size()) {
                size_t semi = order.find(';', start);
                std::string dev = order.substr(start, semi == std::string::npos ? std::string::npos
                                                                                : semi - start);
                EXPECT_TRUE(r.keys.contains(dev)) << "boot device " << dev << " is not configured";
                start = semi == std::string::npos ? order.size() + 1 : semi + 1;
            }
        }
    }
}

TEST(ProxmoxConfigReader, WrittenConfigsReadBack) {
    check_plan(bios_linux_plan());
    check_plan(uefi_windows_plan());
    check_plan(collection_plan());
    check_plan(hostile_plan());
    auto hostile = hostile_plan();
    EXPECT_EQ(read_config(*write_config(hostile, hostile.vms[0])).description, k_hostile);
}

} // namespace
} // namespace ovfkit::platform::proxmox
