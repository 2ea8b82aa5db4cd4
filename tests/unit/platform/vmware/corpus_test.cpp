// Every corpus descriptor through the vmware-ova descriptor builder with a
// plan holding one VM per VirtualSystem: what the builder keeps of each
// producer's envelope (sections, vendor elements, collections, 0.9 and
// oVirt dialects) must write as OVF 1.x and read back with the same
// systems, and the project's validator must find no error in it.
#include <cctype>
#include <fstream>
#include <set>

#include "plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/platform/guest_os.hpp>
#include <ovfkit/platform/vmware/ova_envelope.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::platform::vmware {
namespace {

using namespace test;

void paths(const ovf::Content& c, const std::string& prefix,
           std::vector<std::pair<const ovf::Content*, std::string>>& out) {
    std::string path = prefix.empty() ? c.id : prefix + "/" + c.id;
    if (c.kind == ovf::ContentKind::virtual_system) {
        out.emplace_back(&c, path);
    }
    for (const auto& child : c.children) {
        paths(child, path, out);
    }
}

class VmwareOvaCorpus : public testing::TestWithParam<std::string> {};

TEST_P(VmwareOvaCorpus, RebuildsAsOvf1) {
    auto bytes = ovfkit::test::read_file(ovfkit::test::corpus_path("ovf/" + GetParam()));
    Diagnostics diag;
    auto source = ovf::read_envelope(bytes, GetParam(), diag);
    if (!source) {
        GTEST_SKIP() << "the reader refuses it: " << source.error().message;
    }
    std::vector<std::pair<const ovf::Content*, std::string>> systems;
    paths(source->content, "", systems);
    ExportPlan plan;
    plan.target = "vmware-ova";
    plan.disk_format = "vmdk-stream";
    for (const auto& [content, path] : systems) {
        PlanVm vm = kvm_debian();
        vm.system_id = content->id;
        vm.path = path;
        vm.name = content->name ? content->name->text : content->id;
        vm.disks.clear();
        MapContext context;
        context.source = &*source;
        map_vm(vm, context, Flavor::ova);
        plan.vms.push_back(std::move(vm));
    }
    auto env = vsphere_envelope(*source, plan);
    ASSERT_TRUE(env) << env.error().message;
    auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
    ASSERT_TRUE(text) << text.error().message;
    // What the source already has wrong (an href leaving the package) is
    // the engine's to refuse; the rebuilt descriptor adds no error of its own.
    std::set<std::string> source_errors;
    Diagnostics source_check;
    (void)ovf::validate_descriptor(bytes, GetParam(), source_check);
    for (const auto& f : source_check.findings()) {
        if (f.severity == Severity::error) {
            source_errors.insert(f.code);
        }
    }
    Diagnostics check;
    auto back = ovf::validate_descriptor(std::as_bytes(std::span(text->data(), text->size())),
                                         "out.ovf", check);
    ASSERT_TRUE(back) << back.error().message << "\n" << *text;
    for (const auto& f : check.findings()) {
        EXPECT_TRUE(f.severity != Severity::error || source_errors.contains(f.code))
            << f.line << ": " << f.message << " [" << f.code << "]\n"
            << *text;
    }
    ASSERT_TRUE(back->has_value());
    auto out_systems = ovf::virtual_systems(**back);
    ASSERT_EQ(out_systems.size(), systems.size());
    for (size_t i = 0; i < systems.size(); ++i) {
        EXPECT_EQ(out_systems[i]->id, systems[i].first->id);
        const auto* hw = out_systems[i]->find<ovf::VirtualHardwareSection>();
        ASSERT_NE(hw, nullptr);
        EXPECT_EQ(hw->system->virtual_system_type(), "vmx-10");
        EXPECT_EQ((**back).find<ovf::DeploymentOptionSection>(), nullptr);
    }
    // Dumped for the CLI test that feeds them to the vSphere simulator.
    if (const char* dir = std::getenv("OVFKIT_VMWARE_OVA_DUMP")) {
        std::string name = GetParam();
        for (auto& ch : name) {
            ch = ch == '/' ? '_' : ch;
        }
        std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << *text;
    }
}

INSTANTIATE_TEST_SUITE_P(Corpus, VmwareOvaCorpus,
                         testing::ValuesIn(ovfkit::test::corpus_descriptors()),
                         ovfkit::test::corpus_param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VmwareOvaCorpus);

TEST(VmwareGuestTable, EveryRowGivesVmwareIds) {
    for (const auto& row : guest_os_table()) {
        PlanVm vm;
        vm.os.row = &row;
        for (std::string_view id : {vmx_guest_os(vm), vsphere_guest_id(vm)}) {
            EXPECT_FALSE(id.empty()) << row.key;
            for (char ch : id) {
                EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_')
                    << row.key << ": " << id;
            }
        }
        // Both ids or neither: a .vmx and a descriptor of one guest agree.
        EXPECT_EQ(row.vmx.empty(), row.vmware.empty()) << row.key;
    }
}

} // namespace
} // namespace ovfkit::platform::vmware
