// The Hyper-V importer: collector JSON in the shape the collector writes
// (docs/import.md "Hyper-V") for generation 1 and 2 VMs and its
// serialization variants, hostile JSON and disk paths, and import ∘ export:
// the imported VM mapped by the hyperv exporter stays where it was, and the
// envelope plans back into the same VM.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/ops/export_plan.hpp>
#include <ovfkit/ops/import.hpp>
#include <ovfkit/platform/hyperv/import.hpp>
#include <ovfkit/platform/hyperv/map.hpp>

#include <support/temp_dir.hpp>

namespace ovfkit::platform::hyperv {
namespace {

namespace fs = std::filesystem;

class HypervImport : public ::testing::Test {
protected:
    HypervImport() {
        fs::create_directory(disks());
        for (const char* f : {"web.vhdx", "data.vhdx", "web_6F1D.avhdx", "old.vhd"}) {
            test::write_text(disks() + "/" + f, "x");
        }
    }
    std::string disks() const { return m_dir.file("Virtual Hard Disks"); }
    std::string json_path() const { return m_dir.file("web.json"); }

    Result<ImportedAppliance> import(const std::string& text, ImportOptions options = {}) {
        return import_collector(text, json_path(), disks(), options);
    }
    Error error(const std::string& text) {
        auto app = import(text);
        return app ? Error{Errc::ok, "(imported)"} : app.error();
    }

    test::TempDir m_dir;
};

// A generation 2 VM as the collector writes it (enum names, arrays).
std::string gen2(const std::string& drives = {}, const std::string& extra = {}) {
    std::string hd = drives.empty() ? R"([
      {"Path": "C:\\Hyper-V\\web\\Virtual Hard Disks\\web.vhdx", "ControllerType": "SCSI",
       "ControllerNumber": 0, "ControllerLocation": 0, "DiskNumber": null},
      {"Path": "D:\\VMs\\data.vhdx", "ControllerType": "SCSI",
       "ControllerNumber": 1, "ControllerLocation": 3, "DiskNumber": null}])"
                                    : drives;
    return R"({
  "schema": "ovfkit-hyperv-collector/1",
  "vms": [{
    "Name": "web01", "Id": "8a0e4c4e-3f51-4e2b-9a43-0c4e1b7d2a11", "Generation": 2,
    "Version": "9.0", "State": "Off", "ProcessorCount": 4,
    "Memory": {"Startup": 2147483648, "DynamicMemoryEnabled": false,
               "Minimum": 536870912, "Maximum": 1099511627776},
    "Firmware": {"SecureBoot": "On", "SecureBootTemplate": "MicrosoftUEFICertificateAuthority"},
    "Security": {"TpmEnabled": true},
    "HardDrives": )" +
           hd + R"(,
    "DvdDrives": [{"Path": "C:\\iso\\tools.iso", "ControllerType": "SCSI",
                   "ControllerNumber": 0, "ControllerLocation": 1, "DvdMediaType": "ISO"}],
    "NetworkAdapters": [
      {"Name": "Network Adapter", "SwitchName": "External", "MacAddress": "00155D010203",
       "DynamicMacAddressEnabled": true, "IsLegacy": false},
      {"Name": "Backend", "SwitchName": null, "MacAddress": "000000000000",
       "DynamicMacAddressEnabled": true, "IsLegacy": false}],
    "Notes": "web server")" +
           extra + R"(
  }]
})";
}

TEST_F(HypervImport, Generation2MapsToUefiWithSyntheticScsi) {
    auto app = import(gen2());
    ASSERT_TRUE(app) << app.error().message;
    EXPECT_EQ(app->platform, "hyperv");
    EXPECT_EQ(app->directory, disks());
    ASSERT_EQ(app->vms.size(), 1u);
    const ImportedVm& ivm = app->vms[0];
    const PlanVm& vm = ivm.vm;
    EXPECT_EQ(vm.name, "web01");
    EXPECT_EQ(vm.cpus, 4u);
    EXPECT_EQ(vm.memory_bytes, uint64_t{2} << 30);
    EXPECT_EQ(vm.memory_min_bytes, 0u); // static memory: min/max are noise
    EXPECT_EQ(vm.firmware, Firmware::efi);
    EXPECT_TRUE(vm.secure_boot);
    EXPECT_TRUE(vm.tpm);
    EXPECT_EQ(vm.description, "web server");
    ASSERT_EQ(vm.controllers.size(), 2u);
    EXPECT_EQ(vm.controllers[0].bus, Bus::scsi);
    EXPECT_EQ(vm.controllers[0].model, "hyperv-scsi");
    EXPECT_EQ(vm.controllers[1].index, 1u);
    ASSERT_EQ(vm.disks.size(), 2u);
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_EQ(vm.disks[0].controller, "scsi0");
    EXPECT_EQ(vm.disks[1].controller, "scsi1");
    EXPECT_EQ(vm.disks[1].unit, 3u);
    ASSERT_EQ(ivm.disks.size(), 2u);
    // Windows paths of the host: only the file name, in "Virtual Hard Disks".
    EXPECT_EQ(ivm.disks[0].path, "web.vhdx");
    EXPECT_EQ(ivm.disks[1].path, "data.vhdx");
    EXPECT_EQ(ivm.disks[0].format, "vhdx");
    ASSERT_EQ(vm.cdroms.size(), 1u);
    EXPECT_EQ(vm.cdroms[0].unit, 1u);
    ASSERT_EQ(vm.nics.size(), 2u);
    EXPECT_EQ(vm.nics[0].model, "hyperv-synthetic");
    EXPECT_EQ(vm.nics[0].network, "External");
    EXPECT_EQ(vm.nics[1].network, "");
    EXPECT_FALSE(vm.nics[0].mac);
    std::string codes;
    for (const auto& n : app->notes.all()) {
        codes += n.code + " ";
    }
    for (const char* want : {"os-unmapped", "cdrom-media", "nic-mac"}) {
        EXPECT_NE(codes.find(want), std::string::npos) << want << " in " << codes;
    }
    bool tmpl = false;
    for (const auto& v : ivm.vendor) {
        tmpl |= v.key == "SecureBootTemplate" && v.value == "MicrosoftUEFICertificateAuthority";
    }
    EXPECT_TRUE(tmpl);

    ImportOptions keep;
    keep.keep_macs = true;
    auto kept = import(gen2(), keep);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->vms[0].vm.nics[0].mac.value_or(""), "00:15:5d:01:02:03");
    EXPECT_FALSE(kept->vms[0].vm.nics[1].mac); // all zeros: not assigned
}

// Generation 1, written by Windows PowerShell 5.1 defaults: enums as
// integers, one item without brackets, UTF-16LE with a BOM.
TEST_F(HypervImport, Generation1WithPowerShellDefaultsMapsToBiosAndIde) {
    std::string text = R"({"schema":"ovfkit-hyperv-collector/1","vms":{
      "Name":"legacy","Generation":1,"State":3,"ProcessorCount":1,
      "Memory":{"Startup":1073741824,"DynamicMemoryEnabled":true,"Minimum":536870912,
                "Maximum":4294967296},
      "Firmware":null,
      "HardDrives":[
        {"Path":"C:\\VMs\\data.vhdx","ControllerType":0,"ControllerNumber":1,"ControllerLocation":1},
        {"Path":"C:\\VMs\\web_6F1D.avhdx","ControllerType":0,"ControllerNumber":0,"ControllerLocation":0}],
      "DvdDrives":{"Path":null,"ControllerType":0,"ControllerNumber":1,"ControllerLocation":0,
                   "DvdMediaType":0},
      "NetworkAdapters":{"Name":"Legacy Network Adapter","SwitchName":"LAN",
                         "MacAddress":"00155DAABBCC","DynamicMacAddressEnabled":false,
                         "IsLegacy":true}}})";
    std::string utf16 = "\xFF\xFE";
    for (char c : text) {
        utf16 += c;
        utf16 += '\0';
    }
    auto app = import(utf16);
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms[0].vm;
    EXPECT_EQ(vm.firmware, Firmware::bios);
    EXPECT_FALSE(vm.secure_boot);
    EXPECT_EQ(vm.memory_bytes, uint64_t{1} << 30);
    EXPECT_EQ(vm.memory_min_bytes, uint64_t{512} << 20);
    EXPECT_EQ(vm.memory_max_bytes, uint64_t{4} << 30);
    ASSERT_EQ(vm.disks.size(), 2u);
    // The boot disk is IDE 0:0, whatever the order in the JSON.
    EXPECT_EQ(vm.disks[0].controller, "ide0");
    EXPECT_EQ(vm.disks[0].unit, 0u);
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_EQ(app->vms[0].disks[0].path, "web_6F1D.avhdx");
    EXPECT_EQ(app->vms[0].disks[0].format, "vhdx"); // a checkpoint: parents followed
    EXPECT_EQ(vm.disks[1].controller, "ide1");
    EXPECT_EQ(vm.disks[1].unit, 1u);
    EXPECT_EQ(vm.controllers.at(0).model, "piix4");
    ASSERT_EQ(vm.nics.size(), 1u);
    EXPECT_EQ(vm.nics[0].model, "hyperv-legacy");
    ASSERT_EQ(vm.cdroms.size(), 1u);
    // The same with a UTF-8 BOM.
    auto bom = import("\xEF\xBB\xBF" + text);
    ASSERT_TRUE(bom) << bom.error().message;
    EXPECT_EQ(bom->vms[0].vm.disks.size(), 2u);
}

TEST_F(HypervImport, DiskPathsNeverLeaveTheExport) {
    struct Case {
        std::string path;
        Errc code;
        std::string says;
    };
    const Case cases[] = {
        {R"(C:\\VMs\\..\\..\\Windows\\web.vhdx)", Errc::refused, "a '..' component"},
        {"../web.vhdx", Errc::refused, "a '..' component"},
        {"/etc/shadow", Errc::refused, "not a Windows path"},
        {R"(C:\\VMs\\elsewhere.vhdx)", Errc::refused, "the export holds no 'elsewhere.vhdx'"},
        {R"(C:\\VMs\\)", Errc::refused, "names no file"},
        {R"(C:\\VMs\\notes.txt)", Errc::invalid, "is not a .vhdx, .avhdx or .vhd disk"},
    };
    for (const Case& c : cases) {
        Error e = error(gen2(R"([{"Path": ")" + c.path +
                             R"(", "ControllerType": "SCSI", "ControllerNumber": 0,
                             "ControllerLocation": 0}])"));
        EXPECT_EQ(e.code, c.code) << c.path << ": " << e.message;
        EXPECT_NE(e.message.find(c.says), std::string::npos) << e.message;
        EXPECT_NE(e.message.find(json_path() + ": vms[0].HardDrives[0].Path"), std::string::npos)
            << e.message;
    }
    // A pass-through disk has no file.
    Error e = error(gen2(R"([{"Path": "", "ControllerType": "SCSI", "ControllerNumber": 0,
                            "ControllerLocation": 0, "DiskNumber": 2}])"));
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message, json_path() + ": vms[0].HardDrives[0]: a pass-through disk (host disk 2) "
                                       "cannot be imported");
}

TEST_F(HypervImport, HostileJsonIsRefused) {
    // 10 MB in one string: over the size bound before parsing.
    std::string big = R"({"schema":"ovfkit-hyperv-collector/1","vms":[{"Notes":")" +
                      std::string(10 << 20, 'x') + "\"}]}";
    Error e = error(big);
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_NE(e.message.find("more than the limit of 4194304 bytes"), std::string::npos)
        << e.message;
    // A long string under the size bound.
    e = error(gen2({}, ",\"Extra\": \"" + std::string(100000, 'y') + "\""));
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_NE(e.message.find("the value of \"Extra\" is a string of 100000 bytes"),
              std::string::npos)
        << e.message;
    // 100 000 keys.
    std::string keys = R"({"schema":"ovfkit-hyperv-collector/1","x":{)";
    for (int i = 0; i < 100000; ++i) {
        keys += (i == 0 ? "" : ",") + fmt::format("\"k{}\":0", i);
    }
    e = error(keys + "}}");
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_EQ(e.message, json_path() + ": more than 20000 keys; the collector writes a few dozen "
                                       "per VM");
    // Deep nesting.
    e = error(std::string(100, '[') + std::string(100, ']'));
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_NE(e.message.find("nested deeper than 32 levels"), std::string::npos) << e.message;
    // Keys differing only in case.
    e = error(gen2({}, ",\"notes\": \"again\""));
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_EQ(e.message, json_path() + ": key \"notes\" appears twice in one object (PowerShell "
                                       "property names ignore case)");
    // Not JSON.
    e = error("{\"schema\": ");
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_NE(e.message.find(json_path() + ": byte "), std::string::npos) << e.message;
    // Not the collector's.
    e = error(R"({"schema": "ovfkit/1", "vms": []})");
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_NE(e.message.find("run `ovfkit hyperv-collector`"), std::string::npos) << e.message;
}

TEST_F(HypervImport, WrongTypesAndRangesAreInvalid) {
    struct Case {
        std::string from, to, says;
    };
    const Case cases[] = {
        {"\"ProcessorCount\": 4", "\"ProcessorCount\": \"4\"",
         "vms[0].ProcessorCount: string where an integer belongs"},
        {"\"ProcessorCount\": 4", "\"ProcessorCount\": 0",
         "vms[0].ProcessorCount: 0 is not between 1 and 240"},
        {"\"Generation\": 2", "\"Generation\": 3", "vms[0].Generation: 3 is not between 1 and 2"},
        {"\"Startup\": 2147483648", "\"Startup\": -1",
         "vms[0].Memory.Startup: -1 is not between 1 and"},
        {"\"SecureBoot\": \"On\"", "\"SecureBoot\": true",
         "vms[0].Firmware.SecureBoot: true is not one of On (0), Off (1)"},
        {"\"ControllerType\": \"SCSI\",\n       \"ControllerNumber\": 0",
         "\"ControllerType\": \"IDE\",\n       \"ControllerNumber\": 0",
         "vms[0].HardDrives[0].ControllerType: IDE on a generation 2 VM"},
        {"\"ControllerLocation\": 3", "\"ControllerLocation\": 64",
         "vms[0].HardDrives[1].ControllerLocation: 64 is not between 0 and 63"},
        {"\"ControllerNumber\": 1, \"ControllerLocation\": 3",
         "\"ControllerNumber\": 0, \"ControllerLocation\": 0",
         "vms[0].HardDrives[1]: SCSI 0:0 holds another drive already"},
        {"\"IsLegacy\": false}]", "\"IsLegacy\": true}]",
         "vms[0].NetworkAdapters[1].IsLegacy: a legacy adapter on a generation 2 VM"},
        {"\"Memory\": {", "\"Memory\": \"Microsoft.HyperV.PowerShell.VMMemory\", \"M\": {",
         "vms[0].Memory: a .NET type name where an object belongs"},
        {"\"DynamicMemoryEnabled\": false", "\"DynamicMemoryEnabled\": true",
         "Minimum 536870912 <= Startup 2147483648 <= Maximum 1099511627776"},
    };
    for (const Case& c : cases) {
        std::string text = gen2();
        auto at = text.find(c.from);
        ASSERT_NE(at, std::string::npos) << c.from;
        text.replace(at, c.from.size(), c.to);
        Error e = error(text);
        if (c.says.starts_with("Minimum")) {
            // Dynamic memory with a consistent range imports.
            EXPECT_EQ(e.message, "(imported)");
            continue;
        }
        EXPECT_EQ(e.code, Errc::invalid) << c.to << ": " << e.message;
        EXPECT_NE(e.message.find(json_path() + ": " + c.says), std::string::npos)
            << c.to << ": " << e.message;
    }
}

// import ∘ export: the hyperv exporter's rules read backwards, so mapping
// the imported VM for Hyper-V again changes nothing it would note.
TEST_F(HypervImport, TheExporterTakesTheImportedVmAsItIs) {
    for (const std::string& text : {gen2()}) {
        auto app = import(text);
        ASSERT_TRUE(app) << app.error().message;
        PlanVm vm = app->vms[0].vm;
        std::vector<PlanNote> notes;
        MapContext ctx{"vhdx"};
        map_vm(vm, ctx, notes);
        EXPECT_EQ(generation(vm), 2);
        const PlanVm& in = app->vms[0].vm;
        ASSERT_EQ(vm.disks.size(), in.disks.size());
        for (size_t i = 0; i < in.disks.size(); ++i) {
            std::string_view type;
            unsigned number = 0;
            // Still on synthetic SCSI (the exporter packs SCSI locations).
            ASSERT_TRUE(controller_address(vm.disks[i].controller, type, number));
            EXPECT_EQ(type, "SCSI");
        }
        for (const PlanNote& n : notes) {
            EXPECT_FALSE(n.code.starts_with("ctrl-") || n.code == "nic-model")
                << n.code << ": " << n.reason;
        }
    }
    // And the engine's envelope plans back into the imported VM.
    auto app = import(gen2());
    ASSERT_TRUE(app);
    std::map<std::string, ops::ImportedDiskFacts> facts;
    int n = 0;
    for (const auto& d : app->vms[0].disks) {
        facts[d.disk_id] = {"disk" + std::to_string(++n) + ".vhdx", 1ULL << 30, "vhdx"};
    }
    PlanNotes notes;
    auto env = ops::import_envelope(*app, facts, notes);
    ASSERT_TRUE(env) << env.error().message;
    ops::export_detail::PlanInputs inputs;
    auto planned = ops::export_detail::neutral_plan(*env, inputs, notes);
    ASSERT_TRUE(planned) << planned.error().message;
    const PlanVm& out = planned->front();
    const PlanVm& in = app->vms[0].vm;
    EXPECT_EQ(out.cpus, in.cpus);
    EXPECT_EQ(out.memory_bytes, in.memory_bytes);
    EXPECT_EQ(out.firmware, in.firmware);
    ASSERT_EQ(out.disks.size(), in.disks.size());
    for (size_t i = 0; i < in.disks.size(); ++i) {
        EXPECT_EQ(out.disks[i].unit, in.disks[i].unit);
        EXPECT_EQ(out.controller(out.disks[i].controller)->model,
                  in.controller(in.disks[i].controller)->model);
    }
    ASSERT_EQ(out.nics.size(), in.nics.size());
    EXPECT_EQ(out.nics[0].model, "hyperv-synthetic");
}

TEST(HypervCollector, TheScriptWritesTheSchemaTheImporterReads) {
    std::string_view s = collector_script();
    EXPECT_NE(s.find(k_collector_schema), std::string_view::npos);
    for (const char* field :
         {"Generation", "ProcessorCount", "DynamicMemoryEnabled", "Minimum", "Maximum",
          "SecureBoot", "SecureBootTemplate", "TpmEnabled", "ControllerType", "ControllerNumber",
          "ControllerLocation", "DiskNumber", "DvdMediaType", "SwitchName", "MacAddress",
          "DynamicMacAddressEnabled", "IsLegacy", "Notes", "ConvertTo-Json"}) {
        EXPECT_NE(s.find(field), std::string_view::npos) << field;
    }
}

} // namespace
} // namespace ovfkit::platform::hyperv
