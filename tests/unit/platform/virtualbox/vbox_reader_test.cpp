// The .vbox reader (vbox_reader.cpp): real settings files and the
// vbox:Machine sections of VirtualBox-made OVFs in the corpus, and hostile
// inputs refused with one line that says where and why.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/platform/vendor_xml.hpp>
#include <ovfkit/platform/virtualbox/vbox_reader.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::platform::virtualbox {
namespace {

std::string text_of(const std::vector<std::byte>& bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

TEST(VirtualboxReader, CorpusVboxFile) {
    if (!ovfkit::test::have_corpus()) {
        GTEST_SKIP() << "no corpus";
    }
    // VirtualBox 4.3 settings as libvirt's vbox driver rewrote them:
    // ISO-8859-1, the innotek namespace, absolute media paths.
    auto bytes =
        ovfkit::test::read_file(ovfkit::test::corpus_path("vbox/libvirt-2disks-nosnap.vbox"));
    auto m = read_vbox(text_of(bytes), "libvirt-2disks-nosnap.vbox");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->settings_version, "1.12");
    EXPECT_EQ(m->uuid, "74864f52-a7b7-4172-a7a5-54b6f3e9cd21");
    EXPECT_EQ(m->os_type, "Other");
    EXPECT_EQ(m->cpus, 1u);
    EXPECT_EQ(m->memory_mib, 192u);
    EXPECT_EQ(m->firmware, "BIOS");
    EXPECT_EQ(m->boot_order, std::vector<std::string>{"HardDisk"});
    ASSERT_EQ(m->media.size(), 2u);
    EXPECT_EQ(m->media[0].uuid, "105122e9-f6d2-42c1-9c11-c01699c79517");
    EXPECT_EQ(m->media[0].format, "VDI");
    EXPECT_FALSE(m->media[0].inside); // an absolute path
    EXPECT_TRUE(m->media[0].location.ends_with("libvirtTest-disk1.vdi"));
    // Only enabled adapters: slot 0, bridged.
    ASSERT_EQ(m->adapters.size(), 1u);
    EXPECT_EQ(m->adapters[0].type, "82540EM");
    EXPECT_EQ(m->adapters[0].mac, "0800272A589D");
    EXPECT_EQ(m->adapters[0].attachment, "bridged");
    EXPECT_EQ(m->adapters[0].network, "hns0000000v");
    // Both disks attached to a controller, by registered UUIDs.
    size_t disks = 0;
    for (const auto& c : m->controllers) {
        for (const auto& d : c.devices) {
            if (d.type == "HardDisk") {
                ++disks;
                ASSERT_TRUE(d.image);
                EXPECT_NE(m->medium(*d.image), nullptr);
            }
        }
    }
    EXPECT_EQ(disks, 2u);
}

// Every vbox:Machine in the corpus OVFs reads as a machine.
TEST(VirtualboxReader, CorpusVboxMachineSections) {
    size_t read = 0;
    for (const std::string& rel : ovfkit::test::corpus_descriptors()) {
        if (rel.starts_with("broken/")) {
            continue;
        }
        auto bytes = ovfkit::test::read_file(ovfkit::test::corpus_path("ovf/" + rel));
        Diagnostics diag;
        auto env = ovf::read_envelope(bytes, rel, diag);
        if (!env) {
            continue;
        }
        for (const ovf::Content* system : ovf::virtual_systems(*env)) {
            for (const auto* u : system->find_all<ovf::UnknownSection>()) {
                if (u->element.ns != ovf::k_vbox_ns || u->element.name != "Machine") {
                    continue;
                }
                auto doc = parse_fragment(u->element);
                ASSERT_TRUE(doc) << rel;
                auto m = read_machine(*doc, doc->root());
                // Templates with placeholders (arch-boxes' MACHINE_UUID) are
                // refused for what they are.
                if (!m) {
                    EXPECT_NE(m.error().message.find("UUID"), std::string::npos)
                        << rel << ": " << m.error().message;
                    continue;
                }
                EXPECT_FALSE(m->name.empty()) << rel;
                EXPECT_GE(m->memory_mib, 4u) << rel;
                EXPECT_FALSE(m->controllers.empty()) << rel;
                ++read;
            }
        }
    }
    if (ovfkit::test::have_corpus()) {
        EXPECT_GE(read, 2u); // CentOS-6.4-i386-Gnome, cot ubuntu.2.0
    }
}

std::string machine(std::string_view body, std::string_view attrs = "") {
    return fmt::format(
        "<?xml version=\"1.0\"?>\n<VirtualBox xmlns=\"http://www.virtualbox.org/\" "
        "version=\"1.16-linux\"><Machine uuid=\"{{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e2f}}\" "
        "name=\"m\" OSType=\"Debian_64\"{}>{}</Machine></VirtualBox>",
        attrs, body);
}

constexpr std::string_view k_hw = "<Hardware><Memory RAMSize=\"512\"/></Hardware>";

TEST(VirtualboxReader, Minimal) {
    auto m = read_vbox(machine(k_hw), "m.vbox");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->memory_mib, 512u);
    EXPECT_EQ(m->cpus, 1u);
    EXPECT_EQ(m->uuid, "3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e2f");
}

// Snapshots: the current state is read, differencing disks keep their parent.
TEST(VirtualboxReader, DifferencingChainAndSnapshots) {
    const std::string text = machine(
        "<MediaRegistry><HardDisks><HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21}\" "
        "location=\"a.vdi\" format=\"VDI\"><HardDisk "
        "uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e22}\" location=\"Snapshots/b.vdi\" "
        "format=\"VDI\"><HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e23}\" "
        "location=\"Snapshots/c.vdi\" format=\"VDI\"/></HardDisk></HardDisk></HardDisks>"
        "</MediaRegistry>" +
            std::string(k_hw) + "<Snapshot uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e2f}\"/>",
        " currentSnapshot=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e2f}\"");
    auto m = read_vbox(text, "m.vbox");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_TRUE(m->snapshots);
    ASSERT_EQ(m->media.size(), 3u);
    EXPECT_EQ(m->media[0].parent, "");
    EXPECT_EQ(m->media[1].parent, "3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21");
    EXPECT_EQ(m->media[2].parent, "3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e22");
    EXPECT_EQ(m->media[2].location, "Snapshots/c.vdi");
    EXPECT_TRUE(m->media[2].inside);
}

TEST(VirtualboxReader, HostileInputs) {
    const std::string reg_open = "<MediaRegistry><HardDisks>";
    const std::string reg_close = "</HardDisks></MediaRegistry>";
    struct Case {
        std::string text;
        std::string why; // a word the message must hold
        Errc code = Errc::invalid;
    };
    std::vector<Case> cases = {
        {"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><VirtualBox/>", "DOCTYPE",
         Errc::refused},
        {"<VirtualBox version=\"1.16-linux\"/>", "0 Machine"},
        {"<Global/>", "not VirtualBox"},
        {"<VirtualBox><Machine/></VirtualBox>", "settings version"},
        {machine("<Hardware/>"), "Memory"},
        {machine(""), "Hardware"},
        {machine(k_hw, " stateFile=\"m.sav\""), "saved state"},
        {machine("<Hardware><Memory RAMSize=\"99999999999999999999999\"/></Hardware>"), "RAMSize"},
        {machine("<Hardware><Memory RAMSize=\"-1\"/></Hardware>"), "RAMSize"},
        {machine("<Hardware><CPU count=\"0\"/><Memory RAMSize=\"5\"/></Hardware>"), "count"},
        {machine(reg_open +
                 "<HardDisk uuid=\"{00000000-0000-0000-0000-000000000000}\" location=\"a.vdi\" "
                 "format=\"VDI\"/>" +
                 reg_close + std::string(k_hw)),
         "nil UUID"},
        {machine(reg_open + "<HardDisk uuid=\"{zzz}\" location=\"a.vdi\" format=\"VDI\"/>" +
                 reg_close + std::string(k_hw)),
         "not a UUID"},
        {machine(reg_open +
                 "<HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21}\" location=\"t\" "
                 "format=\"iSCSI\"/>" +
                 reg_close + std::string(k_hw)),
         "iSCSI"},
        {machine(reg_open +
                 "<HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21}\" location=\"a.vdi\" "
                 "format=\"VDI\"><HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e22}\" "
                 "location=\"b.vdi\" format=\"VDI\"><HardDisk "
                 "uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21}\" location=\"c.vdi\" "
                 "format=\"VDI\"/></HardDisk></HardDisk>" +
                 reg_close + std::string(k_hw)),
         "forms a loop", Errc::refused},
        {machine(reg_open +
                 "<HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21}\" location=\"a.vdi\" "
                 "format=\"VDI\"/><HardDisk uuid=\"{3F1C2D0E-8B7A-4C55-9E21-0A6B5D4C3E21}\" "
                 "location=\"b.vdi\" format=\"VDI\"/>" +
                 reg_close + std::string(k_hw)),
         "twice"},
        {machine(std::string(k_hw) +
                 "<StorageControllers><StorageController name=\"S\" type=\"AHCI\" "
                 "PortCount=\"31\"/></StorageControllers>"),
         "PortCount"},
        {machine(std::string(k_hw) +
                 "<StorageControllers><StorageController name=\"S\" type=\"AHCI\" "
                 "PortCount=\"2\"><AttachedDevice type=\"HardDisk\" port=\"2\" device=\"0\"/>"
                 "</StorageController></StorageControllers>"),
         "port"},
        {machine(std::string(k_hw) +
                 "<StorageControllers><StorageController name=\"S\" type=\"IntelAhci\"/>"
                 "</StorageControllers>"),
         "unknown"},
        {machine(std::string(k_hw) +
                 "<StorageControllers><StorageController name=\"S\" type=\"AHCI\"><AttachedDevice "
                 "type=\"HardDisk\" port=\"0\" device=\"0\"/></StorageController>"
                 "</StorageControllers>"),
         "without Image"},
        {machine("<Hardware><Memory RAMSize=\"5\"/><Network><Adapter slot=\"36\"/></Network>"
                 "</Hardware>"),
         "slot"},
        {machine("<Hardware><Memory RAMSize=\"5\"/><Network><Adapter slot=\"1\"/><Adapter "
                 "slot=\"1\"/></Network></Hardware>"),
         "twice"},
        {machine("<Hardware><Memory RAMSize=\"5\"/><Network><Adapter slot=\"1\" enabled=\"true\" "
                 "MACAddress=\"08:00:27:00:00:01\"/></Network></Hardware>"),
         "MACAddress"},
        {machine("<Hardware><Memory RAMSize=\"5\"/><Boot><Order position=\"5\" "
                 "device=\"DVD\"/></Boot></Hardware>"),
         "position"},
    };
    // Deep nesting and huge documents stop at the loader's limits.
    std::string deep;
    for (int i = 0; i < 300; ++i) {
        deep += "<Description>";
    }
    cases.push_back({machine(deep), "deeper", Errc::refused});
    for (const Case& c : cases) {
        auto m = read_vbox(c.text, "h.vbox");
        ASSERT_FALSE(m) << c.text;
        EXPECT_EQ(m.error().code, c.code) << m.error().message;
        EXPECT_NE(m.error().message.find(c.why), std::string::npos)
            << "want '" << c.why << "' in: " << m.error().message;
        EXPECT_EQ(m.error().message.find('\n'), std::string::npos) << m.error().message;
        EXPECT_TRUE(m.error().message.starts_with("h.vbox")) << m.error().message;
    }
}

TEST(VirtualboxReader, LocationsOutsideAreFlagged) {
    struct Case {
        std::string location;
        bool inside;
    };
    for (const Case& c :
         {Case{"a.vdi", true}, Case{"sub/dir/a.vdi", true}, Case{"../a.vdi", false},
          Case{"sub/../../a.vdi", false}, Case{"/etc/passwd", false}, Case{"C:\\x.vdi", false},
          Case{"\\\\host\\share\\x.vdi", false}, Case{"..", false}, Case{"a..b.vdi", true}}) {
        std::string doc = machine(
            "<MediaRegistry><HardDisks><HardDisk uuid=\"{3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e21}\" "
            "location=\"" +
            c.location + "\" format=\"vdi\" type=\"Normal\"/></HardDisks></MediaRegistry>" +
            std::string(k_hw));
        auto m = read_vbox(doc, "l.vbox");
        ASSERT_TRUE(m) << m.error().message;
        ASSERT_EQ(m->media.size(), 1u);
        EXPECT_EQ(m->media[0].inside, c.inside) << c.location;
        EXPECT_EQ(m->media[0].location, c.location);
        EXPECT_EQ(m->media[0].format, "VDI");
    }
}

TEST(VirtualboxReader, ControllersUnderHardwareAndLatin1) {
    // Settings 1.18 keep them under Hardware; a Latin-1 name reads as UTF-8.
    std::string doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                      "<VirtualBox xmlns=\"http://www.virtualbox.org/\" version=\"1.18-linux\">"
                      "<Machine uuid=\"3f1c2d0e-8b7a-4c55-9e21-0a6b5d4c3e2f\" name=\"caf\xE9\">"
                      "<Hardware><Memory RAMSize=\"64\"/><StorageControllers>"
                      "<StorageController name=\"V\" type=\"VirtioSCSI\" PortCount=\"4\">"
                      "<AttachedDevice type=\"DVD\" port=\"3\" device=\"0\"/>"
                      "</StorageController></StorageControllers></Hardware></Machine>"
                      "</VirtualBox>";
    auto m = read_vbox(doc, "c.vbox");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->name, "caf\xC3\xA9");
    ASSERT_EQ(m->controllers.size(), 1u);
    EXPECT_EQ(m->controllers[0].type, "VirtioSCSI");
    ASSERT_EQ(m->controllers[0].devices.size(), 1u);
    EXPECT_FALSE(m->controllers[0].devices[0].image);
}

} // namespace
} // namespace ovfkit::platform::virtualbox
