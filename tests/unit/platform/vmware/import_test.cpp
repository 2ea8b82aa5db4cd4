// The .vmx importer: hostile disk paths and devices, the mapping of every
// corpus .vmx (golden envelopes in tests/golden/import/vmware), and the
// engine's envelope planned back by the export engine into the same VM.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/ops/export_plan.hpp>
#include <ovfkit/ops/import.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/platform/vmware/import.hpp>

#include <support/corpus.hpp>

namespace ovfkit::platform::vmware {
namespace {

namespace fs = std::filesystem;

Result<ImportedAppliance> import_text(const std::string& text, ImportOptions options = {}) {
    auto config = parse_vmx(text, "/vms/t/t.vmx");
    if (!config) {
        return fail(config.error());
    }
    return import_vmx(*config, "/vms/t/t.vmx", options);
}

std::string disk_vmx(const std::string& file, const std::string& extra = {}) {
    return "numvcpus = \"2\"\nmemsize = \"1024\"\nscsi0.present = \"TRUE\"\n"
           "scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"" +
           file + "\"\n" + extra;
}

TEST(VmxImport, DiskPathsOutOfTheDirectoryAreRefused) {
    for (const char* f : {"/etc/shadow", "../other/disk.vmdk", "sub/../../x.vmdk",
                          "C:\\VMs\\disk.vmdk", "/vmfs/volumes/ds/vm/vm.vmdk"}) {
        auto app = import_text(disk_vmx(f));
        ASSERT_FALSE(app) << f;
        EXPECT_EQ(app.error().code, Errc::refused) << f;
        EXPECT_NE(app.error().message.find("/vms/t/t.vmx:5: scsi0:0.fileName"), std::string::npos)
            << app.error().message;
        EXPECT_NE(app.error().message.find("--allow-absolute-paths"), std::string::npos);
    }
    // Allowed, the path is kept for the engine (which opens it where it is).
    ImportOptions allow;
    allow.allow_absolute_paths = true;
    auto app = import_text(disk_vmx("/data/vm/disk.vmdk"), allow);
    ASSERT_TRUE(app) << app.error().message;
    EXPECT_EQ(app->vms.at(0).disks.at(0).path, "/data/vm/disk.vmdk");
}

TEST(VmxImport, HostDevicesAndRawMappingsAreRefusedEvenWhenPathsAreAllowed) {
    ImportOptions allow;
    allow.allow_absolute_paths = true;
    for (const char* f : {"/dev/sda", "/vmfs/devices/disks/naa.1", "\\\\.\\PhysicalDrive0"}) {
        auto app = import_text(disk_vmx(f), allow);
        ASSERT_FALSE(app) << f;
        EXPECT_EQ(app.error().code, Errc::refused);
        EXPECT_NE(app.error().message.find("host device"), std::string::npos);
    }
    auto raw = import_text(disk_vmx("rdm.vmdk", "scsi0:0.deviceType = \"rawDisk\"\n"), allow);
    ASSERT_FALSE(raw);
    EXPECT_EQ(raw.error().code, Errc::refused);
    EXPECT_NE(raw.error().message.find("raw device mapping"), std::string::npos);
}

TEST(VmxImport, ASuspendedVmIsRefused) {
    auto app = import_text(disk_vmx("d.vmdk", "checkpoint.vmState = \"t.vmss\"\n"));
    ASSERT_FALSE(app);
    EXPECT_EQ(app.error().code, Errc::refused);
    EXPECT_NE(app.error().message.find("suspended"), std::string::npos);
}

TEST(VmxImport, BadNumbersAreInvalid) {
    for (const char* t : {"numvcpus = \"0\"\n", "numvcpus = \"99999\"\n", "memsize = \"-1\"\n",
                          "memsize = \"lots\"\n", "firmware = \"coreboot\"\n"}) {
        auto app = import_text(t);
        ASSERT_FALSE(app) << t;
        EXPECT_EQ(app.error().code, Errc::invalid) << t;
    }
}

TEST(VmxImport, MapsHardwareAndNotesDrops) {
    std::string text = "displayName = \"web |22one|22\"\nguestOS = \"debian12-64\"\n"
                       "numvcpus = \"4\"\nmemsize = \"4096\"\nfirmware = \"efi\"\n"
                       "uefi.secureBoot.enabled = \"TRUE\"\nvirtualHW.version = \"19\"\n"
                       "scsi0.present = \"TRUE\"\nscsi0.virtualDev = \"pvscsi\"\n"
                       "scsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"b.vmdk\"\n"
                       "sata0.present = \"TRUE\"\n"
                       "sata0:0.present = \"TRUE\"\nsata0:0.fileName = \"a.vmdk\"\n"
                       "sata0:1.present = \"TRUE\"\nsata0:1.deviceType = \"cdrom-image\"\n"
                       "sata0:1.fileName = \"/isos/x.iso\"\n"
                       "scsi0:7.present = \"TRUE\"\nscsi0:7.fileName = \"hba.vmdk\"\n"
                       "ethernet0.present = \"TRUE\"\nethernet0.virtualDev = \"vmxnet3\"\n"
                       "ethernet0.networkName = \"VM Network\"\n"
                       "ethernet0.addressType = \"static\"\n"
                       "ethernet0.address = \"00:50:56:01:02:03\"\n"
                       "ethernet1.present = \"TRUE\"\nethernet1.connectionType = \"nat\"\n"
                       "ethernet1.generatedAddress = \"00:0C:29:AA:BB:CC\"\n"
                       "sound.present = \"TRUE\"\nusb.present = \"TRUE\"\n"
                       "serial0.present = \"TRUE\"\nfloppy0.fileName = \"/dev/fd0\"\n"
                       "cpuid.coresPerSocket = \"2\"\nguestinfo.role = \"web\"\n";
    auto app = import_text(text);
    ASSERT_TRUE(app) << app.error().message;
    const PlanVm& vm = app->vms.at(0).vm;
    EXPECT_EQ(vm.name, "web \"one\"");
    EXPECT_EQ(vm.os.row->key, "debian12-64");
    EXPECT_EQ(vm.cpus, 4u);
    EXPECT_EQ(vm.memory_bytes, 4096ULL << 20);
    EXPECT_EQ(vm.firmware, Firmware::efi);
    EXPECT_TRUE(vm.secure_boot);
    EXPECT_EQ(vm.machine, "vmx-19");
    ASSERT_EQ(vm.controllers.size(), 2u);
    EXPECT_EQ(vm.controllers[0].model, "pvscsi");
    EXPECT_EQ(vm.controllers[1].model, "ahci");
    ASSERT_EQ(vm.disks.size(), 2u); // scsi0:7 is the HBA's own unit
    EXPECT_EQ(vm.disks[0].controller, "scsi0");
    EXPECT_EQ(vm.disks[0].unit, 1u);
    EXPECT_TRUE(vm.disks[0].boot);
    EXPECT_EQ(app->vms[0].disks[0].path, "b.vmdk");
    EXPECT_EQ(app->vms[0].disks[1].path, "a.vmdk");
    ASSERT_EQ(vm.cdroms.size(), 1u);
    ASSERT_EQ(vm.nics.size(), 2u);
    EXPECT_EQ(vm.nics[0].model, "vmxnet3");
    EXPECT_EQ(vm.nics[0].network, "VM Network");
    EXPECT_FALSE(vm.nics[0].mac); // not without --keep-macs
    EXPECT_EQ(vm.nics[1].model, "e1000");
    EXPECT_EQ(vm.nics[1].network, "nat");
    std::string codes;
    for (const auto& n : app->notes.all()) {
        codes += n.code + "/" + std::string(note_action_name(n.action)) + " ";
    }
    for (const char* want :
         {"cdrom-media/dropped", "device-slot/dropped", "nic-mac/info", "nic-model-default/info",
          "devices-misc/dropped", "passthrough/dropped"}) {
        EXPECT_NE(codes.find(want), std::string::npos) << want << " in " << codes;
    }
    ASSERT_EQ(app->vms[0].vendor.size(), 2u);
    EXPECT_EQ(app->vms[0].vendor[0].key, "cpuid.coresPerSocket");

    ImportOptions keep;
    keep.keep_macs = true;
    auto kept = import_text(text, keep);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->vms[0].vm.nics[0].mac.value_or(""), "00:50:56:01:02:03");
    EXPECT_EQ(kept->vms[0].vm.nics[1].mac.value_or(""), "00:0c:29:aa:bb:cc");
}

// The envelope of `app` with each disk 1 GiB, as the engine writes it.
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

// What the export engine plans from the envelope is the VM the importer read.
void expect_same_vm(const PlanVm& in, const PlanVm& out) {
    EXPECT_EQ(out.name, in.name);
    // The envelope names the guest by its vSphere id, which the planner
    // prefers; rows sharing it (rhel4's fallback and generic Linux) cannot
    // be told apart from it.
    EXPECT_EQ(out.os.row->vmware, in.os.row->vmware) << out.os.row->key << " vs " << in.os.row->key;
    EXPECT_EQ(out.cpus, in.cpus);
    EXPECT_EQ(out.memory_bytes, in.memory_bytes);
    EXPECT_EQ(out.firmware, in.firmware);
    // Secure Boot travels as vmw:Config bootOptions.efiSecureBootEnabled,
    // which the export planner does not read yet (it derives it from the OS).
    ASSERT_EQ(out.controllers.size(), in.controllers.size());
    for (size_t i = 0; i < in.controllers.size(); ++i) {
        EXPECT_EQ(out.controllers[i].bus, in.controllers[i].bus) << i;
        EXPECT_EQ(out.controllers[i].model, in.controllers[i].model) << i;
        EXPECT_EQ(out.controllers[i].index, in.controllers[i].index) << i;
    }
    auto bus_of = [](const PlanVm& vm, const std::string& id) {
        const PlanController* c = vm.controller(id);
        return c == nullptr ? -1 : static_cast<int>(c->bus) * 10 + static_cast<int>(c->index);
    };
    ASSERT_EQ(out.disks.size(), in.disks.size());
    for (size_t i = 0; i < in.disks.size(); ++i) {
        EXPECT_EQ(out.disks[i].disk_id, in.disks[i].disk_id);
        EXPECT_EQ(out.disks[i].unit, in.disks[i].unit);
        EXPECT_EQ(bus_of(out, out.disks[i].controller), bus_of(in, in.disks[i].controller));
        EXPECT_EQ(out.disks[i].capacity_bytes, 1ULL << 30);
    }
    ASSERT_EQ(out.cdroms.size(), in.cdroms.size());
    for (size_t i = 0; i < in.cdroms.size(); ++i) {
        EXPECT_EQ(out.cdroms[i].unit, in.cdroms[i].unit);
        EXPECT_EQ(bus_of(out, out.cdroms[i].controller), bus_of(in, in.cdroms[i].controller));
    }
    ASSERT_EQ(out.nics.size(), in.nics.size());
    for (size_t i = 0; i < in.nics.size(); ++i) {
        EXPECT_EQ(out.nics[i].model, in.nics[i].model);
        EXPECT_EQ(out.nics[i].network, in.nics[i].network);
        EXPECT_EQ(out.nics[i].mac, in.nics[i].mac);
    }
}

void expect_golden(const std::string& name, const std::string& text) {
    fs::path path = fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "import" / "vmware" / name;
    if (const char* update = std::getenv("OVFKIT_UPDATE_GOLDEN"); update && *update == '1') {
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

class VmxCorpus : public testing::TestWithParam<std::string> {};

TEST_P(VmxCorpus, ImportsIntoAnEnvelopeThatPlansBackTheSameVm) {
    std::string path = std::string(OVFKIT_CORPUS_DIR) + "/vmx/" + GetParam();
    auto config = read_vmx(path);
    ASSERT_TRUE(config) << config.error().message;
    for (bool keep : {false, true}) {
        ImportOptions options;
        options.keep_macs = keep;
        auto app = import_vmx(*config, path, options);
        ASSERT_TRUE(app) << app.error().message;
        ASSERT_EQ(app->vms.size(), 1u);
        auto env = envelope_of(*app);
        ASSERT_TRUE(env) << env.error().message;
        auto text = ovf::write_envelope(*env, env->version);
        ASSERT_TRUE(text) << text.error().message;
        if (keep) {
            std::string name = GetParam();
            expect_golden(name.substr(0, name.size() - 4) + ".ovf", *text);
        }
        PlanNotes notes;
        ops::export_detail::PlanInputs inputs;
        inputs.keep_macs = true;
        auto planned = ops::export_detail::neutral_plan(*env, inputs, notes);
        ASSERT_TRUE(planned) << planned.error().message;
        ASSERT_EQ(planned->size(), 1u);
        expect_same_vm(app->vms[0].vm, planned->front());
    }
}

std::vector<std::string> corpus_vmx() {
    std::vector<std::string> out;
    fs::path dir = fs::path(OVFKIT_CORPUS_DIR) / "vmx";
    if (!fs::is_directory(dir)) {
        return out;
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".vmx") {
            out.push_back(e.path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

INSTANTIATE_TEST_SUITE_P(Corpus, VmxCorpus, testing::ValuesIn(corpus_vmx()),
                         test::corpus_param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VmxCorpus);

} // namespace
} // namespace ovfkit::platform::vmware
