// The libvirt domain reader: golden plans for every domain XML of the
// shared corpus, import of the libvirt exporter's own domains (import ∘
// export keeps the hardware), and hostile documents refused.
#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "plans.hpp"
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ovfkit/platform/libvirt/domain_reader.hpp>
#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/osinfo.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::platform::libvirt {
namespace {

namespace fs = std::filesystem;
using namespace ovfkit::test::libvirt_plans;

fs::path corpus_dir() {
    return fs::path(OVFKIT_SOURCE_DIR) / ".." / "shared" / "corpus" / "libvirt";
}

std::vector<std::string> corpus_domains() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(corpus_dir(), ec)) {
        if (e.path().extension() == ".xml") {
            out.push_back(e.path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool updating() {
    const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN");
    return v != nullptr && std::string_view(v) == "1";
}

std::string describe(const Result<DomainImport>& r) {
    if (!r) {
        return fmt::format("error {}: {}\n", errc_name(r.error().code), r.error().message);
    }
    std::string s = "# plan\n" + to_json(r->vm).dump(2) + "\n# sources\n";
    auto source = [](std::string_view what, size_t i, const DomainSource& d) {
        std::string chain;
        for (const auto& b : d.backing) {
            chain += " <- " + b;
        }
        return fmt::format("{} {}: path='{}' format='{}'{}\n", what, i, d.path, d.format, chain);
    };
    for (size_t i = 0; i < r->disks.size(); ++i) {
        s += source("disk", i, r->disks[i]);
    }
    for (size_t i = 0; i < r->cdroms.size(); ++i) {
        s += source("cdrom", i, r->cdroms[i]);
    }
    s += fmt::format("uuid '{}' type '{}'\n# notes\n", r->uuid, r->domain_type);
    for (const auto& n : r->notes) {
        s += fmt::format("{} {} [{}]: {}\n", n.code, note_action_name(n.action), n.item, n.reason);
    }
    return s;
}

// virt-install's expected outputs hold one domain per phase (the install
// boot, then the installed VM), concatenated; each is a document of its own.
std::vector<std::string> documents(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    constexpr std::string_view k_end = "</domain>";
    for (size_t end = text.find(k_end); end != std::string::npos; end = text.find(k_end, start)) {
        out.push_back(text.substr(start, end + k_end.size() - start));
        start = end + k_end.size();
    }
    return out;
}

class LibvirtCorpusImport : public testing::TestWithParam<std::string> {};

// The corpus names its disks by absolute path (/pool-dir/...), so the
// golden plans are read with --allow-absolute-paths and --keep-mac.
TEST_P(LibvirtCorpusImport, PlanMatchesTheGoldenFile) {
    std::string file = GetParam();
    std::string text = test::read_text((corpus_dir() / file).string());
    ReadOptions options;
    options.allow_absolute_paths = true;
    options.keep_mac = true;
    std::string actual;
    auto docs = documents(text);
    ASSERT_FALSE(docs.empty());
    for (size_t i = 0; i < docs.size(); ++i) {
        actual += fmt::format("==> domain {} of {} <==\n", i + 1, docs.size());
        actual += describe(read_domain(docs[i], file, options));
    }
    fs::path golden = fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "import" / "libvirt" /
                      (fs::path(file).stem().string() + ".plan.txt");
    if (updating()) {
        fs::create_directories(golden.parent_path());
        test::write_text(golden.string(), actual);
        return;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    EXPECT_EQ(test::read_text(golden.string()), actual)
        << "the imported plan of " << file << " changed; if intended, regenerate with "
        << "OVFKIT_UPDATE_GOLDEN=1 and review the diff";
}

// By default an absolute disk path is refused (R1), with exit code 4, and
// a MAC is not kept.
TEST_P(LibvirtCorpusImport, AbsolutePathsAreRefusedByDefault) {
    std::string file = GetParam();
    std::string text = test::read_text((corpus_dir() / file).string());
    for (const auto& doc : documents(text)) {
        auto r = read_domain(doc, file);
        if (doc.find("file=\"/") == std::string::npos && doc.find("file='/") == std::string::npos) {
            ASSERT_TRUE(r.has_value()) << r.error().message;
            for (const auto& nic : r->vm.nics) {
                EXPECT_FALSE(nic.mac.has_value());
            }
            continue;
        }
        // A block or network disk may come before the first absolute path.
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    }
}

// The lines of `section` ("disks:") of a --print-source report, up to the
// next unindented line.
std::vector<std::string> print_source_entries(const std::string& report, std::string_view section) {
    std::vector<std::string> lines;
    size_t pos = report.find(fmt::format("\n{}\n", section));
    if (pos == std::string::npos) {
        return lines;
    }
    pos += section.size() + 2;
    while (pos < report.size() && report[pos] == '\t') {
        size_t nl = report.find('\n', pos);
        lines.push_back(report.substr(pos + 1, nl == std::string::npos ? nl : nl - pos - 1));
        pos = nl == std::string::npos ? report.size() : nl + 1;
    }
    return lines;
}

std::string print_source_value(const std::string& report, std::string_view key) {
    size_t pos = report.find(fmt::format("{}: ", key));
    if (pos == std::string::npos) {
        return {};
    }
    pos += key.size() + 2;
    return report.substr(pos, report.find('\n', pos) - pos);
}

// What virt-v2v's libvirt input reads from each corpus domain it accepts
// (the disk paths moved into a temporary directory, where stand-in images
// are made): CPUs, memory, firmware, disks and their buses, CD-ROMs, NICs
// with their networks, models and MACs equal what the importer read.
TEST_P(LibvirtCorpusImport, VirtV2vReportsTheSameHardware) {
    for (const char* tool : {"virt-v2v", "nbdkit", "qemu-img"}) {
        if (!test::have_tool(tool)) {
            GTEST_SKIP() << tool << " is not installed (Debian: virt-v2v, nbdkit, qemu-utils)";
        }
    }
    std::string file = GetParam();
    ReadOptions options;
    options.allow_absolute_paths = true;
    options.keep_mac = true;
    size_t compared = 0;
    for (std::string doc : documents(test::read_text((corpus_dir() / file).string()))) {
        auto r = read_domain(doc, file, options);
        if (!r) {
            continue; // refused: the golden file pins why
        }
        test::TempDir dir;
        auto stand_in = [&](const DomainSource& s, size_t n) {
            if (s.path.empty()) {
                return;
            }
            std::string local = dir.file(fmt::format("image{}", n));
            for (size_t at = doc.find(s.path); at != std::string::npos;
                 at = doc.find(s.path, at + local.size())) {
                doc.replace(at, s.path.size(), local);
            }
            ASSERT_EQ(test::run("qemu-img create -q -f " +
                                std::string(s.format == "qcow2" ? "qcow2" : "raw") + " '" + local +
                                "' 16M"),
                      0);
        };
        size_t n = 0;
        for (const auto& s : r->disks) {
            stand_in(s, n++);
        }
        for (const auto& s : r->cdroms) {
            stand_in(s, n++);
        }
        test::write_text(dir.file("domain.xml"), doc);
        std::string report;
        ASSERT_EQ(test::run_tool("virt-v2v -q -i libvirtxml '" + dir.file("domain.xml") +
                                     "' --print-source 2>&1",
                                 &report),
                  0)
            << report;
        const PlanVm& vm = r->vm;
        EXPECT_EQ(print_source_value(report, "nr vCPUs"), std::to_string(vm.cpus)) << report;
        EXPECT_EQ(print_source_value(report, "memory"), fmt::format("{} (bytes)", vm.memory_bytes));
        std::string firmware = print_source_value(report, "firmware");
        EXPECT_EQ(firmware == "uefi", vm.firmware == Firmware::efi) << firmware;
        auto disks = print_source_entries(report, "disks:");
        ASSERT_EQ(disks.size(), vm.disks.size()) << report;
        for (size_t i = 0; i < disks.size(); ++i) {
            const PlanController* c = vm.controller(vm.disks[i].controller);
            ASSERT_NE(c, nullptr);
            std::string bus = c->bus == Bus::virtio ? "virtio-blk" : std::string(bus_name(c->bus));
            if (disks[i].find('[') != std::string::npos) { // Xen disks name no bus
                EXPECT_NE(disks[i].find("[" + bus + "]"), std::string::npos)
                    << disks[i] << " vs " << bus;
            }
        }
        size_t cdroms = 0;
        for (const auto& m : print_source_entries(report, "removable media:")) {
            cdroms += m.starts_with("CD-ROM") ? 1 : 0;
        }
        EXPECT_EQ(cdroms, vm.cdroms.size()) << report;
        auto nics = print_source_entries(report, "NICs:");
        ASSERT_EQ(nics.size(), vm.nics.size()) << report;
        for (size_t i = 0; i < nics.size(); ++i) {
            EXPECT_NE(nics[i].find("\"" + vm.nics[i].network + "\""), std::string::npos) << nics[i];
            if (vm.nics[i].mac) {
                EXPECT_NE(nics[i].find("mac: " + *vm.nics[i].mac), std::string::npos) << nics[i];
            }
            if (nics[i].find('[') != std::string::npos) {
                EXPECT_NE(nics[i].find("[" + vm.nics[i].model + "]"), std::string::npos) << nics[i];
            }
        }
        ++compared;
    }
    if (compared == 0) {
        GTEST_SKIP() << file << ": every domain is refused (see its golden file)";
    }
}

INSTANTIATE_TEST_SUITE_P(Corpus, LibvirtCorpusImport, testing::ValuesIn(corpus_domains()),
                         [](const testing::TestParamInfo<std::string>& p) {
                             std::string s = fs::path(p.param).stem().string();
                             for (char& c : s) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) {
                                     c = '_';
                                 }
                             }
                             return s;
                         });

TEST(LibvirtCorpusImport, CorpusIsPresent) {
    if (!fs::exists(corpus_dir())) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    EXPECT_GE(corpus_domains().size(), 6u);
}

// --- import of what the libvirt exporter writes --------------------------

struct Exported {
    PlanVm mapped;
    std::string xml;
};

Exported export_vm(PlanVm vm) {
    for (auto& d : vm.disks) {
        d.format = "qcow2";
    }
    map_vm(vm, MapContext{"qcow2"});
    ExportPlan plan;
    plan.directory = "/srv/export";
    plan.disk_format = "qcow2";
    auto sources = file_sources(plan, vm);
    EXPECT_TRUE(sources.has_value());
    auto xml = domain_xml(vm, *sources, "qcow2");
    EXPECT_TRUE(xml.has_value()) << xml.error().message;
    return {vm, xml.value_or("")};
}

class LibvirtRoundTrip : public testing::TestWithParam<PlanVm (*)()> {};

TEST_P(LibvirtRoundTrip, ImportOfAnExportKeepsTheHardware) {
    Exported e = export_vm(GetParam()());
    ReadOptions options;
    options.allow_absolute_paths = true;
    options.keep_mac = true;
    auto r = read_domain(e.xml, "exported.xml", options);
    ASSERT_TRUE(r.has_value()) << r.error().message << "\n" << e.xml;
    const PlanVm& in = r->vm;
    const PlanVm& out = e.mapped;
    EXPECT_EQ(in.name, out.name);
    EXPECT_EQ(in.cpus, out.cpus);
    EXPECT_EQ(in.memory_bytes, out.memory_bytes);
    EXPECT_EQ(in.firmware, out.firmware);
    EXPECT_EQ(in.secure_boot, out.secure_boot);
    EXPECT_EQ(in.tpm, out.tpm);
    EXPECT_EQ(in.machine, out.machine);
    ASSERT_NE(in.os.row, nullptr);
    if (osinfo_uri(out.os.row->osinfo)) {
        EXPECT_EQ(in.os.row->osinfo, out.os.row->osinfo);
        EXPECT_EQ(in.os.decided_by, "osinfo");
    }
    ASSERT_EQ(in.disks.size(), out.disks.size());
    for (size_t i = 0; i < in.disks.size(); ++i) {
        const PlanController* ci = in.controller(in.disks[i].controller);
        const PlanController* co = out.controller(out.disks[i].controller);
        ASSERT_NE(ci, nullptr);
        ASSERT_NE(co, nullptr);
        EXPECT_EQ(ci->bus, co->bus) << i;
        EXPECT_EQ(ci->model, co->model) << i;
        EXPECT_EQ(ci->index, co->index) << i;
        EXPECT_EQ(in.disks[i].unit, out.disks[i].unit) << i;
        EXPECT_EQ(in.disks[i].boot, out.disks[i].boot) << i;
        EXPECT_EQ(in.disks[i].format, "qcow2");
        EXPECT_EQ(in.disks[i].file_name, "/srv/export/" + out.disks[i].file_name);
    }
    ASSERT_EQ(in.cdroms.size(), out.cdroms.size());
    for (size_t i = 0; i < in.cdroms.size(); ++i) {
        const PlanController* ci = in.controller(in.cdroms[i].controller);
        const PlanController* co = out.controller(out.cdroms[i].controller);
        ASSERT_NE(ci, nullptr);
        ASSERT_NE(co, nullptr);
        EXPECT_EQ(ci->bus, co->bus) << i;
        EXPECT_EQ(in.cdroms[i].unit, out.cdroms[i].unit) << i;
    }
    ASSERT_EQ(in.nics.size(), out.nics.size());
    for (size_t i = 0; i < in.nics.size(); ++i) {
        EXPECT_EQ(in.nics[i].model, out.nics[i].model) << i;
        EXPECT_EQ(in.nics[i].network, out.nics[i].network) << i;
        EXPECT_EQ(in.nics[i].mac, out.nics[i].mac) << i;
    }
    for (const auto& n : r->notes) {
        EXPECT_NE(n.action, NoteAction::dropped)
            << "the exporter writes nothing the importer drops: " << n.code << " " << n.item;
    }
}

INSTANTIATE_TEST_SUITE_P(Plans, LibvirtRoundTrip,
                         testing::Values(&debian_lsilogic, &windows_ide, &windows11_efi,
                                         &ubuntu_virtio_scsi, &other_many_disks));

// --- hostile and damaged documents ---------------------------------------

std::string domain(std::string_view devices, std::string_view memory = "<memory>1048576</memory>") {
    return fmt::format("<domain type='kvm'><name>t</name>{}<vcpu>1</vcpu>"
                       "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                       "<devices>{}</devices></domain>",
                       memory, devices);
}

std::string file_disk(std::string_view path, std::string_view dev = "vda",
                      std::string_view extra = "") {
    return fmt::format("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                       "<source file='{}'/>{}<target dev='{}' bus='virtio'/></disk>",
                       path, extra, dev);
}

Error refusal(const std::string& xml, ReadOptions options = {}) {
    auto r = read_domain(xml, "hostile.xml", options);
    EXPECT_FALSE(r.has_value()) << xml;
    return r ? Error{Errc::ok, ""} : r.error();
}

TEST(LibvirtDomainReader, RelativePathsStayRelative) {
    auto r = read_domain(domain(file_disk("./disks//a.qcow2")), "t.xml");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->disks.size(), 1u);
    EXPECT_EQ(r->disks[0].path, "disks/a.qcow2");
    EXPECT_EQ(r->vm.disks[0].file_name, "disks/a.qcow2");
    EXPECT_EQ(r->vm.disks[0].format, "qcow2");
    EXPECT_TRUE(r->vm.disks[0].boot);
}

TEST(LibvirtDomainReader, AbsolutePathsNeedTheFlag) {
    Error e = refusal(domain(file_disk("/var/lib/libvirt/images/a.qcow2")));
    EXPECT_EQ(e.code, Errc::refused);
    EXPECT_NE(e.message.find("hostile.xml:1:"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("--allow-absolute-paths"), std::string::npos) << e.message;
    ReadOptions allow;
    allow.allow_absolute_paths = true;
    auto r = read_domain(domain(file_disk("/var/lib/libvirt/images/a.qcow2")), "t.xml", allow);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->disks[0].path, "/var/lib/libvirt/images/a.qcow2");
}

TEST(LibvirtDomainReader, PathsOutOfTheDirectoryAreRefused) {
    ReadOptions allow;
    allow.allow_absolute_paths = true;
    for (std::string_view path :
         {"../a.qcow2", "disks/../../etc/shadow", "..", "/srv/../etc/shadow", "-o.qcow2",
          "nbd:localhost:10809", "json:{}", "a\\b.qcow2", "a&#10;b.qcow2", "/dev/sda", "/dev//sda",
          "/proc/self/mem", "/sys/block/sda", ".", "disks/"}) {
        Error e = refusal(domain(file_disk(path)), allow);
        EXPECT_EQ(e.code, Errc::refused) << path << ": " << e.message;
    }
}

TEST(LibvirtDomainReader, HostDevicesAndRemoteSourcesAreRefused) {
    ReadOptions allow;
    allow.allow_absolute_paths = true;
    Error block = refusal(domain("<disk type='block' device='disk'><source dev='/dev/sda'/>"
                                 "<target dev='vda' bus='virtio'/></disk>"),
                          allow);
    EXPECT_EQ(block.code, Errc::refused);
    EXPECT_NE(block.message.find("/dev/sda"), std::string::npos) << block.message;
    Error lun = refusal(domain("<disk type='block' device='lun'><source dev='/dev/sdb'/>"
                               "<target dev='sda' bus='scsi'/></disk>"));
    EXPECT_EQ(lun.code, Errc::refused);
    Error network = refusal(domain("<disk type='network' device='disk'><source protocol='http' "
                                   "name='/x'><host name='example.com'/></source>"
                                   "<target dev='vda' bus='virtio'/></disk>"));
    EXPECT_EQ(network.code, Errc::refused);
    EXPECT_NE(network.message.find("R2"), std::string::npos) << network.message;
    Error volume = refusal(domain("<disk type='volume' device='disk'><source pool='p' "
                                  "volume='v'/><target dev='vda' bus='virtio'/></disk>"));
    EXPECT_EQ(volume.code, Errc::refused);
    EXPECT_NE(volume.message.find("libvirt:URI/t"), std::string::npos) << volume.message;
    ReadOptions volumes;
    volumes.resolve_volumes = true;
    auto r = read_domain(domain("<disk type='volume' device='disk'><source pool='p' "
                                "volume='v'/><target dev='vda' bus='virtio'/></disk>"),
                         "t.xml", volumes);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->disks[0].pool, "p");
    EXPECT_EQ(r->disks[0].volume, "v");
}

TEST(LibvirtDomainReader, BackingChainsAreCheckedAndLoopsRefused) {
    auto store = [](std::string_view file, std::string_view inner) {
        return fmt::format("<backingStore type='file'><format type='qcow2'/><source file='{}'/>"
                           "{}</backingStore>",
                           file, inner);
    };
    auto r = read_domain(
        domain(file_disk("top.qcow2", "vda", store("mid.qcow2", store("base.qcow2", "")))),
        "t.xml");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->disks[0].backing, (std::vector<std::string>{"mid.qcow2", "base.qcow2"}));
    EXPECT_TRUE(std::any_of(r->notes.begin(), r->notes.end(),
                            [](const MapNote& n) { return n.code == "disk-chain"; }));

    Error loop = refusal(
        domain(file_disk("top.qcow2", "vda", store("mid.qcow2", store("./top.qcow2", "")))));
    EXPECT_EQ(loop.code, Errc::refused);
    EXPECT_NE(loop.message.find("loops"), std::string::npos) << loop.message;

    std::string deep;
    for (int i = 17; i >= 1; --i) {
        deep = store(fmt::format("b{}.qcow2", i), deep);
    }
    Error too_deep = refusal(domain(file_disk("top.qcow2", "vda", deep)));
    EXPECT_EQ(too_deep.code, Errc::refused);
    Error escaping = refusal(domain(file_disk("top.qcow2", "vda", store("../base.qcow2", ""))));
    EXPECT_EQ(escaping.code, Errc::refused);
}

TEST(LibvirtDomainReader, HundredThousandDisksAreRefused) {
    std::string devices;
    devices.reserve(100000 * 40);
    for (unsigned i = 0; i < 100000; ++i) {
        devices += fmt::format("<disk><source file='d{}'/></disk>", i);
    }
    Error e = refusal(domain(devices));
    EXPECT_EQ(e.code, Errc::refused) << e.message;
    // Within the document limits, the device count still is.
    devices.clear();
    for (unsigned i = 0; i < 65; ++i) {
        devices += fmt::format("<disk><source file='d{}'/><target bus='scsi'/></disk>", i);
    }
    Error count = refusal(domain(devices));
    EXPECT_EQ(count.code, Errc::refused) << count.message;
}

TEST(LibvirtDomainReader, MemoryUnitsAndHugeValues) {
    auto memory = [](std::string_view m) {
        auto r = read_domain(domain("", m), "t.xml");
        return r ? r->vm.memory_bytes : 0;
    };
    EXPECT_EQ(memory("<memory>2097152</memory>"), 2ULL << 30);
    EXPECT_EQ(memory("<memory unit='KiB'>2097152</memory>"), 2ULL << 30);
    EXPECT_EQ(memory("<memory unit='MiB'>2048</memory>"), 2ULL << 30);
    EXPECT_EQ(memory("<memory unit='M'>2048</memory>"), 2ULL << 30);
    EXPECT_EQ(memory("<memory unit='G'>2</memory>"), 2ULL << 30);
    EXPECT_EQ(memory("<memory unit='GB'>2</memory>"), 2000000000ULL);
    EXPECT_EQ(memory("<memory unit='bytes'>2147483648</memory>"), 2ULL << 30);
    for (std::string_view m :
         {"<memory>99999999999999999999999</memory>", "<memory unit='EiB'>16</memory>",
          "<memory unit='TiB'>17</memory>", "<memory unit='KiB'>18446744073709551615</memory>",
          "<memory unit='parsec'>1</memory>", "<memory>-1</memory>", "<memory>0x10</memory>",
          "<memory>1</memory>", ""}) {
        Error e = refusal(domain("", m));
        EXPECT_EQ(e.code, Errc::invalid) << m << ": " << e.message;
    }
    EXPECT_EQ(scaled_bytes("1", "|k|"), std::nullopt);
}

TEST(LibvirtDomainReader, VcpusAreBounded) {
    for (std::string_view v : {"0", "4097", "-1", "", "1e3"}) {
        std::string xml = domain("");
        xml.replace(xml.find("<vcpu>1</vcpu>"), 14, fmt::format("<vcpu>{}</vcpu>", v));
        Error e = refusal(xml);
        EXPECT_EQ(e.code, Errc::invalid) << v;
    }
}

TEST(LibvirtDomainReader, EntitiesAndForeignDocumentsAreRefused) {
    Error entity = refusal("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/shadow'>]>" + domain(""));
    EXPECT_EQ(entity.code, Errc::refused);
    Error other = refusal("<network><name>x</name></network>");
    EXPECT_EQ(other.code, Errc::invalid);
    Error nameless = refusal("<domain type='kvm'><memory>1048576</memory><os/></domain>");
    EXPECT_EQ(nameless.code, Errc::invalid);
}

TEST(LibvirtDomainReader, TwoDevicesAtOneAddressAreInvalid) {
    Error e = refusal(domain(file_disk("a.qcow2", "vda") + file_disk("b.qcow2", "vda")));
    EXPECT_EQ(e.code, Errc::invalid) << e.message;
    // The same name on two buses.
    Error name =
        refusal(domain(file_disk("a.qcow2", "sda") +
                       "<disk type='file' device='disk'><source file='b.qcow2'/><target dev='sda' "
                       "bus='sata'/></disk>"));
    EXPECT_EQ(name.code, Errc::invalid) << name.message;
    EXPECT_NE(name.message.find("same target name"), std::string::npos) << name.message;
}

TEST(LibvirtDomainReader, MacAddressesFollowKeepMac) {
    std::string nic = "<interface type='network'><source network='lan'/>"
                      "<mac address='52:54:00:AA:BB:CC'/><model type='virtio'/></interface>";
    auto dropped = read_domain(domain(nic), "t.xml");
    ASSERT_TRUE(dropped.has_value());
    EXPECT_FALSE(dropped->vm.nics[0].mac.has_value());
    ReadOptions keep;
    keep.keep_mac = true;
    auto kept = read_domain(domain(nic), "t.xml", keep);
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->vm.nics[0].mac, "52:54:00:aa:bb:cc");
    EXPECT_EQ(kept->vm.nics[0].network, "lan");
    EXPECT_EQ(kept->vm.nics[0].model, "virtio");
}

TEST(LibvirtDomainReader, OsinfoUrisReverseTheWriter) {
    for (const auto& row : guest_os_table()) {
        auto uri = osinfo_uri(row.osinfo);
        if (!uri) {
            continue;
        }
        auto id = osinfo_short_id(*uri);
        ASSERT_TRUE(id.has_value()) << *uri;
        const GuestOsRow* back = guest_os_by_osinfo(*id);
        ASSERT_NE(back, nullptr) << *uri << " -> " << *id;
        EXPECT_EQ(back->osinfo, guest_os_by_osinfo(row.osinfo)->osinfo) << *uri;
    }
    EXPECT_EQ(osinfo_short_id("http://microsoft.com/win/2k22"), "win2k22");
    EXPECT_EQ(osinfo_short_id("http://centos.org/centos/7.0"), "centos7.0");
    EXPECT_EQ(osinfo_short_id("file:///etc/passwd"), std::nullopt);
    EXPECT_EQ(osinfo_short_id("http://x/a/b/c"), std::nullopt);
}

TEST(LibvirtDomainReader, DeviceNames) {
    EXPECT_EQ(device_index("vda", "vd"), 0u);
    EXPECT_EQ(device_index("sdb", "sd"), 1u);
    EXPECT_EQ(device_index("sdaa", "sd"), 26u);
    EXPECT_EQ(device_index("sd", "sd"), std::nullopt);
    EXPECT_EQ(device_index("sdA", "sd"), std::nullopt);
    EXPECT_EQ(device_index("sdaaaa", "sd"), std::nullopt);
}

} // namespace
} // namespace ovfkit::platform::libvirt
