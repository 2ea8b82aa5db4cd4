// ops::export_appliance through the neutral targets (ova, ovf): the
// deployment inputs, the plan, --dry-run, --strict, the license agreement,
// and writing that leaves nothing behind when it fails.
#include <filesystem>

#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ops/export.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/ovf/summary.hpp>
#include <ovfkit/ovf/xml_reader.hpp>

namespace ovfkit::ops {
namespace {

const std::string k_tiny = std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny/tiny.ovf";

// The tiny example with a license agreement, a second network and two
// deployment options.
std::string appliance(const test::TempDir& dir) {
    std::string text = test::read_text(k_tiny);
    auto put_before = [&](const std::string& marker, const std::string& what) {
        auto at = text.find(marker);
        EXPECT_NE(at, std::string::npos) << marker;
        text.insert(at, what);
    };
    put_before("  <VirtualSystem ovf:id=\"tiny\">",
               "  <DeploymentOptionSection>\n    <Info>Sizes</Info>\n"
               "    <Configuration ovf:id=\"small\" ovf:default=\"true\"><Label>Small</Label>"
               "<Description>1 CPU</Description></Configuration>\n"
               "    <Configuration ovf:id=\"large\"><Label>Large</Label>"
               "<Description>4 CPUs</Description></Configuration>\n"
               "  </DeploymentOptionSection>\n");
    put_before("    <OperatingSystemSection",
               "    <EulaSection>\n      <Info>License</Info>\n"
               "      <License>Use it well.</License>\n    </EulaSection>\n");
    std::filesystem::copy_file(std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny/tiny.vmdk",
                               dir.file("tiny.vmdk"));
    test::write_text(dir.file("app.ovf"), text);
    return dir.file("app.ovf");
}

ExportOptions options(const std::string& source, const std::string& target,
                      std::string to = "ova") {
    ExportOptions o;
    o.source = source;
    o.target = target;
    o.to = std::move(to);
    o.package.mtime = 1700000000;
    return o;
}

ovf::Summary summary_of(const std::string& ovf_path, std::string_view configuration = {}) {
    std::string text = test::read_text(ovf_path);
    Diagnostics diag;
    auto env =
        ovf::read_envelope(std::as_bytes(std::span(text.data(), text.size())), ovf_path, diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    return env ? ovf::summarize(*env, configuration) : ovf::Summary{};
}

TEST(OpsExport, LicenseIsRefusedUnlessAccepted) {
    test::TempDir dir;
    auto o = options(appliance(dir), dir.file("out.ova"));
    auto r = export_appliance(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    EXPECT_NE(r.error().message.find("--accept-eula"), std::string::npos) << r.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.ova")));

    bool asked = false;
    o.confirm_eulas = [&](const std::vector<deploy::Eula>& eulas) {
        asked = true;
        EXPECT_EQ(eulas.size(), 1u);
        return false;
    };
    r = export_appliance(o);
    ASSERT_FALSE(r);
    EXPECT_TRUE(asked);
    EXPECT_EQ(r.error().code, Errc::refused);

    o.accept_eula = true;
    r = export_appliance(o);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->eulas.size(), 1u);
    // sha256sum of the license text, computed outside ovfkit
    EXPECT_EQ(r->eulas[0].sha256,
              "1746c442e26016619b30be0d1f15f7984714d08b70922066b33afbb61940cfd3");
    EXPECT_EQ(r->eulas[0].how, "--accept-eula");
    EXPECT_TRUE(std::filesystem::exists(dir.file("out.ova")));
}

TEST(OpsExport, DryRunPlansAndWritesNothing) {
    test::TempDir dir;
    auto o = options(appliance(dir), dir.file("out.ova"));
    o.dry_run = true;
    o.deployment_option = "large";
    auto r = export_appliance(o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.ova")));
    EXPECT_EQ(r->plan.deployment_option, "large");
    ASSERT_EQ(r->plan.vms.size(), 1u);
    EXPECT_EQ(r->plan.vms[0].name, "tiny");
    EXPECT_TRUE(r->files.empty());
    auto j = to_json(*r);
    EXPECT_EQ(j["dry_run"], true);
    EXPECT_EQ(j["vms"][0]["name"], "tiny");
}

TEST(OpsExport, UnknownTargetOptionAndPropertyAreUsageErrors) {
    test::TempDir dir;
    std::string src = appliance(dir);
    auto o = options(src, dir.file("out.ova"), "nowhere");
    auto r = export_appliance(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);
    EXPECT_NE(r.error().message.find("ova"), std::string::npos) << r.error().message;

    o = options(src, dir.file("out.ova"));
    o.accept_eula = true;
    o.deployment_option = "huge";
    r = export_appliance(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);

    o.deployment_option.reset();
    o.properties = {{"hostname", ""}}; // MinLen(1)
    r = export_appliance(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);

    o.properties.clear();
    o.networks = {{"No Such Network", "x"}};
    r = export_appliance(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.ova")));
}

TEST(OpsExport, NeutralTargetWritesThePlanIntoTheDescriptor) {
    test::TempDir dir;
    auto o = options(appliance(dir), dir.file("out"), "ovf");
    o.accept_eula = true;
    o.deployment_option = "large";
    o.properties = {{"hostname", "web-01"}};
    o.networks = {{"VM Network", "prod"}};
    o.name = "web";
    o.cpus = 3;
    o.memory_bytes = uint64_t{768} << 20;
    auto r = export_appliance(o);
    ASSERT_TRUE(r) << r.error().message;

    ovf::Summary s = summary_of(dir.file("out/app.ovf"));
    ASSERT_TRUE(s.default_configuration);
    EXPECT_EQ(*s.default_configuration, "large"); // the chosen option is now the default
    ASSERT_EQ(s.virtual_systems.size(), 1u);
    const auto& vm = s.virtual_systems[0];
    EXPECT_EQ(vm.name.value_or(""), "web");
    EXPECT_EQ(vm.cpus.value_or(0), 3u);
    EXPECT_EQ(vm.memory_bytes.value_or(0), uint64_t{768} << 20);
    ASSERT_EQ(s.networks.size(), 1u);
    EXPECT_EQ(s.networks[0].name, "prod");
    ASSERT_EQ(vm.nics.size(), 1u);
    EXPECT_EQ(vm.nics[0].network, "prod");
    ASSERT_EQ(s.properties.size(), 1u);
    EXPECT_EQ(s.properties[0].value.value_or(""), "web-01");

    auto v = verify_package({dir.file("out"), "", false});
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->manifest_ok);
}

TEST(OpsExport, VmwareOvaReadsARawDiskAsTheSourceDescribesIt) {
    test::TempDir dir;
    std::vector<std::byte> raw(uint64_t{1} << 20, std::byte{0});
    for (size_t i = 0; i < raw.size(); i += 4096) {
        raw[i] = std::byte{0x5a};
    }
    test::write_file(dir.file("disk.img"), raw);
    test::write_text(dir.file("raw.ovf"),
                     R"(<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:id="f1" ovf:href="disk.img"/></References>
  <DiskSection><Info>d</Info><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="1048576" ovf:format="http://en.wikipedia.org/wiki/Byte"/></DiskSection>
  <VirtualSystem ovf:id="vm"><Info>v</Info>
    <VirtualHardwareSection><Info>h</Info>
      <Item><rasd:ElementName>scsi</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:InstanceID>2</rasd:InstanceID><rasd:Parent>1</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
)");
    auto o = options(dir.file("raw.ovf"), dir.file("esxi.ova"), "vmware-ova");
    auto r = export_appliance(o);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->files.size(), 1u);
    EXPECT_TRUE(r->files[0].converted);
    EXPECT_EQ(r->files[0].source_format, "raw");
    EXPECT_EQ(r->files[0].format, "vmdk-stream");
    auto v = verify_package({dir.file("esxi.ova"), "", false});
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->manifest_ok);
}

TEST(OpsExport, FailureLeavesNothingBehind) {
    test::TempDir dir;
    auto o = options(appliance(dir), dir.file("out.ova"));
    o.accept_eula = true;
    o.disk_format = "qcow2";
    JobControl control;
    control.progress = [&](const Progress& p) {
        if (p.done > 0) {
            control.cancel.cancel();
        }
    };
    auto r = export_appliance(o, control);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.ova")));
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        std::string name = e.path().filename().string();
        EXPECT_TRUE(name == "app.ovf" || name == "tiny.vmdk") << name;
    }
}

} // namespace
} // namespace ovfkit::ops
