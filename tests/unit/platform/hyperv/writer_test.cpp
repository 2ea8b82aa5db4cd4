// The hyperv writers: golden import.ps1 and hyperv.json for hand-built
// plans (Gen 1 BIOS Linux, Gen 2 UEFI Windows, many disks, many NICs, a
// collection), refusals of what Hyper-V cannot carry, and appliance text
// that stays data. `pwsh` is not in Debian, so the quoting is checked by a
// tokenizer here that follows PowerShell's rules for what it emits
// (single-quoted strings with the four Unicode quotes, [char] casts, +),
// and by comparing the code of a script for hostile text with the code of
// the same script for plain text: they must be the same token for token.
//
// OVFKIT_UPDATE_GOLDEN=1 rewrites tests/golden/hyperv/ instead of
// comparing; review the diff before committing it.
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "plans.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::platform::hyperv {
namespace {

using namespace test;
namespace fs = std::filesystem;

bool updating() {
    const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN");
    return v != nullptr && std::string_view(v) == "1";
}

void expect_golden(const std::string& name, const std::string& actual) {
    fs::path path = fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "hyperv" / name;
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
    ASSERT_EQ(files->size(), 2u);
    EXPECT_EQ((*files)[0].name, "import.ps1");
    EXPECT_EQ((*files)[1].name, "hyperv.json");
    for (const auto& f : *files) {
        expect_golden(stem + "/" + f.name, f.content);
        // Pure ASCII: the same script whatever code page reads it.
        for (char c : f.content) {
            ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7F) || f.name == "hyperv.json")
                << f.name << " holds byte " << int(static_cast<unsigned char>(c));
        }
    }
}

// --- the plans -------------------------------------------------------------

ExportPlan bios_linux_plan() {
    auto v = vm(k_debian);
    v.name = "web appliance";
    v.description = "A web server.\nSecond line.";
    controller(v, "ide", Bus::ide, "piix4");
    controller(v, "lsi", Bus::scsi, "lsilogic");
    disk(v, "root", "lsi", 0, 16);
    env_cdrom(v, "ide", 0);
    nic(v, "vmxnet3", "VM Network", "External");
    nic(v, "e1000", "Storage");
    return plan_of(std::move(v));
}

ExportPlan uefi_windows_plan() {
    auto v = vm(k_win2k19, Firmware::efi);
    v.name = "win-app";
    v.secure_boot = true;
    v.tpm = true;
    v.cpus = 4;
    v.memory_bytes = uint64_t{4096} << 20;
    v.memory_min_bytes = uint64_t{1024} << 20;
    v.memory_max_bytes = uint64_t{8192} << 20;
    controller(v, "sata", Bus::sata, "ahci");
    disk(v, "c", "sata", 0, 64);
    disk(v, "d", "sata", 1, 100);
    env_cdrom(v, "sata", 2);
    nic(v, "e1000e", "LAN", "vSwitch-LAN").mac = "00:50:56:aa:bb:cc";
    return plan_of(std::move(v));
}

ExportPlan multi_disk_plan() {
    auto v = vm(k_debian);
    v.name = "storage";
    controller(v, "lsi", Bus::scsi, "lsilogic");
    controller(v, "pv", Bus::scsi, "pvscsi", 1);
    controller(v, "nv", Bus::nvme, "nvme");
    disk(v, "d0", "lsi", 0);
    disk(v, "d1", "lsi", 1);
    disk(v, "d2", "pv", 0);
    disk(v, "d3", "nv", 0);
    disk(v, "d4", "nv", 1);
    env_cdrom(v);
    nic(v, "virtio", "net");
    return plan_of(std::move(v));
}

ExportPlan multi_nic_plan() {
    auto v = vm(k_winxp);
    v.name = "legacy-router";
    v.cpus = 1;
    v.memory_bytes = uint64_t{256} << 20;
    controller(v, "ide", Bus::ide, "piix4");
    disk(v, "hd", "ide", 0, 2);
    nic(v, "pcnet", "wan", "External");
    nic(v, "pcnet", "lan1", "Internal");
    nic(v, "pcnet", "lan2", "Internal");
    nic(v, "e1000", "dmz", "DMZ").mac = "00:15:5D:01:02:03";
    nic(v, "e1000", "");
    return plan_of(std::move(v));
}

ExportPlan collection_plan() {
    ExportPlan plan;
    plan.target = "hyperv";
    plan.disk_format = "vhdx";
    plan.collection_name = "pair";
    for (std::string name : {"db", "web"}) {
        auto v = vm(k_debian, name == "web" ? Firmware::efi : Firmware::bios);
        v.name = name;
        v.system_id = name;
        v.path = "pair/" + name;
        v.start_order = name == "db" ? 1 : 2;
        controller(v, "s", Bus::scsi, "virtio-scsi");
        disk(v, "root", "s", 0).file_name = name + "-disk1.vhdx";
        nic(v, "virtio", "app", "Internal");
        auto notes = map(v);
        plan.notes.insert(plan.notes.end(), notes.begin(), notes.end());
        plan.vms.push_back(std::move(v));
    }
    return plan;
}

// The injection strings of the other targets' tests, and PowerShell's own:
// every quote it knows (' and U+2018-U+201B), its escape (`), variables,
// subexpressions, comments, here-strings, a UTF-8 sequence whose
// continuation byte is a quote in code page 1252 (U+0451: D1 91), invalid
// UTF-8 and a character outside the BMP.
const std::vector<std::string> k_hostile_set = {
    "it's \"quoted\" | $(touch pwned) `touch pwned2` \"; rm -rf / ;\nargs: -pwned\n</domain> %41 "
    "${HOME} \\ \t'",
    "'; Remove-Item -Recurse C:\\ ; '",
    "\xe2\x80\x98; Stop-Computer; \xe2\x80\x99",
    "\xe2\x80\x9a$(calc)\xe2\x80\x9b",
    "\xe2\x80\x9c$env:PATH\xe2\x80\x9d",
    "x\xd1\x91; calc; #",
    "@'\nhere\n'@",
    "<# block #> # line",
    "`' `$ `n",
    "a\r\nb\x01\x7f",
    "bad \xff\xfe utf-8 \xc0\xaf",
    "emoji \xf0\x9f\x98\x80 end",
    "",
    "''''",
};

ExportPlan hostile_plan(const std::string& text) {
    auto v = vm(k_debian, Firmware::efi);
    v.name = text.empty() ? "x" : text;
    v.description = "d" + text;
    controller(v, "s", Bus::scsi, "virtio-scsi");
    disk(v, "root", "s", 0).file_name = "disk1.vhdx";
    env_cdrom(v);
    nic(v, "virtio", "ovf-net", text.empty() ? "y" : text);
    nic(v, "e1000", text.empty() ? "z" : text + "2");
    return plan_of(std::move(v));
}

// --- a tokenizer for what the writer emits ---------------------------------

// UTF-8 to code points; invalid bytes as U+FFFD, as the writer reads them.
std::u32string decode(std::string_view s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        size_t len = b < 0x80             ? 1
                     : (b & 0xE0) == 0xC0 ? 2
                     : (b & 0xF0) == 0xE0 ? 3
                     : (b & 0xF8) == 0xF0 ? 4
                                          : 0;
        char32_t cp = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
        bool ok = len != 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) {
            auto c = static_cast<unsigned char>(s[i + k]);
            ok = (c & 0xC0) == 0x80;
            cp = (cp << 6) | (c & 0x3F);
        }
        const char32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= min[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        out += ok ? cp : U'\uFFFD';
        i += ok ? len : 1;
    }
    return out;
}

bool is_quote(char32_t c) {
    return c == U'\'' || (c >= 0x2018 && c <= 0x201B);
}

// A single-quoted string at `i` of `cps` as PowerShell's tokenizer reads it:
// any of the five quotes opens and closes, two in a row are one. Returns
// the value and leaves `i` past the closing quote; fails the test when the
// string does not end.
std::u32string read_single_quoted(const std::u32string& cps, size_t& i) {
    EXPECT_TRUE(is_quote(cps[i]));
    ++i;
    std::u32string value;
    while (i < cps.size()) {
        if (is_quote(cps[i])) {
            if (i + 1 < cps.size() && is_quote(cps[i + 1])) {
                value += cps[i];
                i += 2;
                continue;
            }
            ++i;
            return value;
        }
        value += cps[i++];
    }
    ADD_FAILURE() << "unterminated string";
    return value;
}

// The value of an expression() result: 'lit', or (part + part ...) with
// parts 'lit' and [char]0xNNNN; UTF-16 code units joined as .NET does.
std::optional<std::u32string> evaluate(const std::string& expr) {
    std::u32string cps = decode(expr);
    std::u16string units;
    auto add = [&](const std::u32string& s) {
        for (char32_t c : s) {
            if (c > 0xFFFF) {
                units += char16_t(0xD800 + ((c - 0x10000) >> 10));
                units += char16_t(0xDC00 + ((c - 0x10000) & 0x3FF));
            } else {
                units += char16_t(c);
            }
        }
    };
    size_t i = 0;
    bool paren = !cps.empty() && cps[0] == U'(';
    if (paren) {
        ++i;
    }
    bool first = true;
    while (i < cps.size()) {
        if (paren && cps[i] == U')') {
            ++i;
            break;
        }
        if (!first) {
            static const std::u32string plus = U" + ";
            if (cps.compare(i, 3, plus) != 0) {
                return std::nullopt;
            }
            i += 3;
        }
        first = false;
        if (is_quote(cps[i])) {
            add(read_single_quoted(cps, i));
        } else {
            static const std::u32string cast = U"[char]0x";
            if (cps.compare(i, cast.size(), cast) != 0 || i + cast.size() + 4 > cps.size()) {
                return std::nullopt;
            }
            std::string hex;
            for (size_t k = 0; k < 4; ++k) {
                hex += static_cast<char>(cps[i + cast.size() + k]);
            }
            units += char16_t(std::stoul(hex, nullptr, 16));
            i += cast.size() + 4;
        }
        if (!paren) {
            break;
        }
    }
    if (i != cps.size()) {
        return std::nullopt; // something after the expression: it escaped
    }
    std::u32string out;
    for (size_t k = 0; k < units.size(); ++k) {
        char16_t u = units[k];
        if (u >= 0xD800 && u <= 0xDBFF && k + 1 < units.size()) {
            out += char32_t(0x10000 + ((u - 0xD800) << 10) + (units[k + 1] - 0xDC00));
            ++k;
        } else {
            out += u;
        }
    }
    return out;
}

TEST(HypervQuoting, LiteralDoublesEveryQuotePowerShellKnows) {
    EXPECT_EQ(literal("abc"), "'abc'");
    EXPECT_EQ(literal("it's"), "'it''s'");
    EXPECT_EQ(literal("\xe2\x80\x98x\xe2\x80\x99"),
              "'\xe2\x80\x98\xe2\x80\x98x\xe2\x80\x99\xe2\x80\x99'");
    EXPECT_EQ(literal("\xe2\x80\x9a\xe2\x80\x9b"),
              "'\xe2\x80\x9a\xe2\x80\x9a\xe2\x80\x9b\xe2\x80\x9b'");
    EXPECT_EQ(literal("$x `y \"z\""), "'$x `y \"z\"'"); // nothing else is special
    EXPECT_EQ(literal(""), "''");
    EXPECT_EQ(literal("\xff"), "'\xef\xbf\xbd'");
    for (const std::string& s : k_hostile_set) {
        std::u32string cps = decode(literal(s));
        size_t i = 0;
        std::u32string value = read_single_quoted(cps, i);
        EXPECT_EQ(i, cps.size()) << "the literal of '" << s << "' ends early";
        EXPECT_EQ(value, decode(s)) << s;
    }
}

TEST(HypervQuoting, ExpressionIsAsciiAndEvaluatesToTheText) {
    EXPECT_EQ(expression("abc"), "'abc'");
    EXPECT_EQ(expression(""), "''");
    EXPECT_EQ(expression("a\nb"), "('a' + [char]0x000A + 'b')");
    EXPECT_EQ(expression("\xc3\xa9t\xc3\xa9"), "('' + [char]0x00E9 + 't' + [char]0x00E9)");
    EXPECT_EQ(expression("\xe2\x80\x99"), "('' + [char]0x2019)");
    EXPECT_EQ(expression("\xf0\x9f\x98\x80"), "('' + [char]0xD83D + [char]0xDE00)");
    for (const std::string& s : k_hostile_set) {
        std::string e = expression(s);
        for (char c : e) {
            ASSERT_TRUE(c >= 0x20 && c < 0x7F) << e;
        }
        auto value = evaluate(e);
        ASSERT_TRUE(value) << "not an expression the tokenizer reads: " << e;
        EXPECT_EQ(*value, decode(s)) << e;
    }
}

// --- the script's code, strings taken out ----------------------------------

// The script with every string literal replaced by S and every
// expression() collapsed to S; comments kept (they are fixed text).
std::string skeleton(const std::string& script) {
    std::u32string cps = decode(script);
    std::string out;
    size_t i = 0;
    while (i < cps.size()) {
        char32_t c = cps[i];
        if (c == U'<' && i + 1 < cps.size() && cps[i + 1] == U'#') {
            size_t end = cps.find(U"#>", i);
            EXPECT_NE(end, std::u32string::npos);
            for (; i < end + 2; ++i) {
                out += static_cast<char>(cps[i] < 0x80 ? cps[i] : '?');
            }
            continue;
        }
        if (c == U'#') {
            while (i < cps.size() && cps[i] != U'\n') {
                out += static_cast<char>(cps[i] < 0x80 ? cps[i] : '?');
                ++i;
            }
            continue;
        }
        if (is_quote(c)) {
            read_single_quoted(cps, i);
            out += "S";
            continue;
        }
        if (c == U'"') {
            // The writer's own double-quoted strings: no quote inside.
            size_t end = cps.find(U'"', i + 1);
            EXPECT_NE(end, std::u32string::npos);
            for (; i <= end; ++i) {
                out += static_cast<char>(cps[i] < 0x80 ? cps[i] : '?');
            }
            continue;
        }
        out += static_cast<char>(c < 0x80 ? c : '?');
        ++i;
    }
    static const std::regex concat(R"(\(S( \+ (S|\[char\]0x[0-9A-F]{4}))+\))");
    return std::regex_replace(out, concat, "S");
}

TEST(HypervWriter, HostileTextIsDataNeverCode) {
    const std::string plain = skeleton(*write_script(hostile_plan("plain")));
    for (const std::string& s : k_hostile_set) {
        auto plan = hostile_plan(s);
        auto script = write_script(plan);
        ASSERT_TRUE(script) << script.error().message;
        EXPECT_EQ(skeleton(*script), plain) << "the code changed for: " << s;
        for (char c : *script) {
            ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7F)) << "non-ASCII byte for: " << s;
        }
        // The name, description and switches are in the script as data.
        const PlanVm& v = plan.vms[0];
        EXPECT_NE(script->find("$vmName = " + expression(v.name) + "\n"), std::string::npos);
        if (!v.description.empty()) {
            EXPECT_NE(script->find("-Notes " + expression(v.description) + "\n"),
                      std::string::npos);
        }
        EXPECT_NE(script->find("Get-Switch " + expression(v.nics[0].network) + "\n"),
                  std::string::npos);
        // The summary parses back to the same text (invalid UTF-8 replaced).
        auto summary = write_summary(plan);
        ASSERT_TRUE(summary);
        auto doc = nlohmann::json::parse(*summary);
        EXPECT_EQ(decode(doc["vms"][0]["network_adapters"][0]["switch"].get<std::string>()),
                  decode(v.nics[0].network));
        EXPECT_EQ(decode(doc["vms"][0]["name"].get<std::string>()), decode(v.name));
    }
}

// --- goldens ----------------------------------------------------------------

TEST(HypervWriter, Generation1BiosLinuxGolden) {
    auto plan = bios_linux_plan();
    expect_golden_files("gen1-bios-linux", plan);
    auto doc = nlohmann::json::parse(*write_summary(plan));
    EXPECT_EQ(doc["schema"], "ovfkit/1");
    const auto& v = doc["vms"][0];
    EXPECT_EQ(v["generation"], 1);
    EXPECT_EQ(v["disks"][0]["controller_type"], "IDE");
    EXPECT_EQ(v["dvd_drives"][0]["controller_location"], 0);
    EXPECT_EQ(v["dvd_drives"][0]["controller_number"], 1);
}

TEST(HypervWriter, Generation2UefiWindowsGolden) {
    auto plan = uefi_windows_plan();
    expect_golden_files("gen2-uefi-windows", plan);
    auto script = *write_script(plan);
    EXPECT_NE(script.find("-EnableSecureBoot On -SecureBootTemplate 'MicrosoftWindows'"),
              std::string::npos);
    EXPECT_NE(script.find("-DynamicMemoryEnabled $true -MinimumBytes 1024MB -StartupBytes 4096MB "
                          "-MaximumBytes 8192MB"),
              std::string::npos);
    EXPECT_NE(script.find("Enable-VMTPM -VM $vm"), std::string::npos);
    EXPECT_NE(script.find("-StaticMacAddress '005056AABBCC'"), std::string::npos);
    EXPECT_NE(script.find("Set-VMFirmware -VM $vm -FirstBootDevice $bootDrive"), std::string::npos);
}

TEST(HypervWriter, MultiDiskGolden) {
    expect_golden_files("multi-disk", multi_disk_plan());
}

TEST(HypervWriter, MultiNicGolden) {
    auto plan = multi_nic_plan();
    expect_golden_files("multi-nic", plan);
    auto script = *write_script(plan);
    size_t legacy = 0;
    for (size_t at = 0; (at = script.find("-IsLegacy $true", at)) != std::string::npos; ++at) {
        ++legacy;
    }
    EXPECT_EQ(legacy, 4u);
}

TEST(HypervWriter, CollectionGolden) {
    expect_golden_files("collection", collection_plan());
}

TEST(HypervWriter, RefusesWhatHypervCannotCarry) {
    auto base = bios_linux_plan();
    auto refused = [&](auto change) {
        auto plan = base;
        change(plan);
        auto r = write_files(plan);
        if (r) {
            return std::string();
        }
        EXPECT_EQ(r.error().code, Errc::invalid);
        EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
        return r.error().message;
    };
    EXPECT_EQ(refused([](ExportPlan&) {}), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].machine = "3"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].machine = "2"; }), ""); // BIOS firmware
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].disks[0].unit = 2; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].disks[0].controller = "hv-scsi0"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].disks[0].controller = "plan-1"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].disks[0].file_name = "../x.vhdx"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].disks[0].file_name = "a'b.vhdx"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].disks[0].file_name = "a\nb.vhdx"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) {
                  p.vms[0].cdroms[0].unit = 0, p.vms[0].cdroms[0].controller = "hv-ide0";
              }),
              "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].nics[0].model = "e1000"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].nics[0].mac = "00:11:22:33:44:55'"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].memory_bytes += 1; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].cpus = 65; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].name = "a\nb"; }), "");
    EXPECT_NE(refused([](ExportPlan& p) { p.vms[0].secure_boot = true; }), "");
    EXPECT_NE(refused([](ExportPlan& p) {
                  p.vms[0].memory_min_bytes = uint64_t{4096} << 20;
                  p.vms[0].memory_max_bytes = uint64_t{8192} << 20;
              }),
              "");
    // VHD disks on a Gen 2 VM.
    auto g2 = uefi_windows_plan();
    g2.disk_format = "vhd-fixed";
    auto r = write_files(g2);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("VHDX only"), std::string::npos) << r.error().message;
    // ... and on Gen 1 they are fine.
    auto g1 = bios_linux_plan();
    g1.disk_format = "vhd-fixed";
    EXPECT_TRUE(write_files(g1));
}

} // namespace
} // namespace ovfkit::platform::hyperv
