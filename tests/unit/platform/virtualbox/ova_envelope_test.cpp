// The virtualbox-ova descriptor (ova_envelope.cpp): every corpus descriptor
// rebuilt in VirtualBox's dialect writes as OVF 1.0, validates, and its
// vbox:Machine reads back (vbox_reader.cpp) as the plan's machine attaching
// exactly the DiskSection's vbox:uuid disks.
#include <set>

#include "plans.hpp"
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/platform/vendor_xml.hpp>
#include <ovfkit/platform/virtualbox/ova_envelope.hpp>
#include <ovfkit/platform/virtualbox/vbox_reader.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::platform::virtualbox {
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

// A plan VM for `system`: the EFI Windows machine with its two NVMe disks
// renamed to the system's own disks when it has some.
PlanVm plan_vm(const ovf::Envelope& env, const ovf::Content& system, const std::string& path,
               std::set<std::string>& used) {
    PlanVm vm = efi_windows_nvme();
    vm.system_id = system.id;
    vm.path = path;
    vm.name = system.name ? system.name->text : system.id;
    std::vector<const ovf::Disk*> disks;
    for (const auto* ds : ovf::find_all<ovf::DiskSection>(env.sections)) {
        for (const auto& d : ds->disks) {
            if (!used.contains(d.disk_id)) {
                disks.push_back(&d);
            }
        }
    }
    vm.disks.resize(std::min<size_t>(disks.size(), 2));
    for (size_t i = 0; i < vm.disks.size(); ++i) {
        vm.disks[i].disk_id = disks[i]->disk_id;
        // The File it names, by id, or by href as oVirt's dialect writes it
        // (the engine's plan resolves it the same way).
        std::string ref = disks[i]->file_ref.value_or("");
        vm.disks[i].file_id.clear();
        for (const auto& f : env.references.files) {
            if (f.id == ref || (vm.disks[i].file_id.empty() && f.href == ref)) {
                vm.disks[i].file_id = f.id;
            }
        }
        vm.disks[i].uuid.reset();
        used.insert(disks[i]->disk_id);
    }
    vm.cdroms = {environment_cd("3", 5)}; // moves to SATA: no DVD on NVMe
    vm.cdroms[0].file_name.clear();
    map_vm(vm, {});
    return vm;
}

class VirtualboxOvaCorpus : public testing::TestWithParam<std::string> {};

TEST_P(VirtualboxOvaCorpus, RebuildsInVirtualBoxDialect) {
    auto bytes = ovfkit::test::read_file(ovfkit::test::corpus_path("ovf/" + GetParam()));
    Diagnostics diag;
    auto source = ovf::read_envelope(bytes, GetParam(), diag);
    if (!source) {
        GTEST_SKIP() << "the reader refuses it: " << source.error().message;
    }
    std::vector<std::pair<const ovf::Content*, std::string>> systems;
    paths(source->content, "", systems);
    ExportPlan plan;
    plan.target = "virtualbox-ova";
    plan.disk_format = "vmdk-stream";
    std::set<std::string> used;
    for (const auto& [content, path] : systems) {
        plan.vms.push_back(plan_vm(*source, *content, path, used));
    }
    auto env = virtualbox_envelope(*source, plan);
    ASSERT_TRUE(env) << env.error().message;
    auto text = ovf::write_envelope(*env, ovf::OvfVersion::v1);
    ASSERT_TRUE(text) << text.error().message;
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
    const ovf::Envelope& out = **back;
    // VirtualBox finds its elements by the literal prefix.
    EXPECT_NE(text->find("<vbox:Machine "), std::string::npos);
    EXPECT_NE(text->find("<vbox:OSType "), std::string::npos);
    std::map<std::string, std::string> disk_uuids; // vbox:uuid -> diskId
    for (const auto* ds : ovf::find_all<ovf::DiskSection>(out.sections)) {
        for (const auto& d : ds->disks) {
            for (const auto& a : d.extra.attributes) {
                if (a.ns == ovf::k_vbox_ns && a.name == "uuid") {
                    disk_uuids[a.value] = d.disk_id;
                }
            }
        }
    }
    auto out_systems = ovf::virtual_systems(out);
    ASSERT_EQ(out_systems.size(), systems.size());
    for (size_t i = 0; i < out_systems.size(); ++i) {
        const PlanVm& vm = plan.vms[i];
        const auto* hw = out_systems[i]->find<ovf::VirtualHardwareSection>();
        ASSERT_NE(hw, nullptr);
        EXPECT_EQ(hw->system->virtual_system_type(), "virtualbox-2.2");
        std::vector<const ovf::UnknownSection*> machines;
        for (const auto* u : out_systems[i]->find_all<ovf::UnknownSection>()) {
            if (u->element.ns == ovf::k_vbox_ns && u->element.name == "Machine") {
                machines.push_back(u);
            }
        }
        ASSERT_EQ(machines.size(), 1u);
        auto doc = parse_fragment(machines[0]->element);
        ASSERT_TRUE(doc);
        auto m = read_machine(*doc, doc->root());
        ASSERT_TRUE(m) << m.error().message;
        EXPECT_EQ(m->name, vm.name);
        EXPECT_EQ(m->cpus, vm.cpus);
        EXPECT_EQ(m->memory_mib * 1024 * 1024, vm.memory_bytes);
        EXPECT_EQ(m->firmware, "EFI");
        EXPECT_EQ(m->os_type, "Windows2019_64");
        EXPECT_TRUE(m->media.empty());
        size_t attached = 0;
        for (const auto& c : m->controllers) {
            for (const auto& d : c.devices) {
                if (d.type == "HardDisk") {
                    ASSERT_TRUE(d.image);
                    auto it = disk_uuids.find(*d.image);
                    ASSERT_NE(it, disk_uuids.end()) << *d.image;
                    EXPECT_EQ(it->second, vm.disks[attached].disk_id);
                    ++attached;
                }
            }
        }
        EXPECT_EQ(attached, vm.disks.size());
        ASSERT_EQ(m->adapters.size(), 1u);
        EXPECT_EQ(m->adapters[0].type, "82540EM");
    }
    EXPECT_EQ(out.find<ovf::DeploymentOptionSection>(), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Corpus, VirtualboxOvaCorpus,
                         testing::ValuesIn(ovfkit::test::corpus_descriptors()),
                         ovfkit::test::corpus_param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VirtualboxOvaCorpus);

} // namespace
} // namespace ovfkit::platform::virtualbox
