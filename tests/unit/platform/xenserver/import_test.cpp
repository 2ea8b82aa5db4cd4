// The XVA importer: ova.xml as `--to xenserver` writes it planned back,
// an exported archive read back byte for byte through the chunk index, and
// hostile ova.xml and archives made here (bad checksum, missing chunk,
// chunk past the disk, escaping and undeclared members, duplicates,
// truncation, a 10 MB value, 100 000 objects).
#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <ovfkit/disk/image.hpp>
#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/platform/xenserver/import.hpp>
#include <ovfkit/platform/xenserver/xapi.hpp>
#include <ovfkit/platform/xenserver/xva_archive.hpp>

namespace ovfkit::platform::xenserver {
namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr uint64_t k_gib = uint64_t{1} << 30;

const GuestOsRow* debian_row() {
    return find_guest_os("debian12-64");
}

PlanDisk disk(std::string id, std::string controller, unsigned unit, uint64_t bytes) {
    PlanDisk d;
    d.disk_id = id;
    d.file_id = "file-" + id;
    d.capacity_bytes = bytes;
    d.controller = std::move(controller);
    d.unit = unit;
    return d;
}

PlanNic nic(std::string network, std::string model, std::optional<std::string> mac = {}) {
    PlanNic n;
    n.ovf_network = network;
    n.network = std::move(network);
    n.model = std::move(model);
    n.mac = std::move(mac);
    return n;
}

PlanVm appliance() {
    PlanVm vm;
    vm.system_id = "web";
    vm.path = "web";
    vm.name = "web";
    vm.description = "A web server";
    vm.os.row = debian_row();
    vm.cpus = 2;
    vm.memory_bytes = 2 * k_gib;
    vm.controllers = {{"3", Bus::scsi, "virtio-scsi", 0}, {"plan-1", Bus::sata, "ahci", 0}};
    vm.disks = {disk("system", "3", 0, 8 * k_gib), disk("data", "3", 1, 4 * k_gib)};
    vm.disks[0].boot = true;
    PlanCdrom cd;
    cd.controller = "plan-1";
    vm.cdroms = {cd};
    vm.nics = {nic("VM Network", "virtio", "52:54:00:AB:CD:EF"), nic("", "e1000")};
    return vm;
}

ExportPlan mapped(PlanVm vm) {
    PlanNotes notes;
    ExportPlan plan;
    plan.target = "xenserver";
    map_vm(vm, {}, Flavor::xva, notes);
    plan.vms.push_back(std::move(vm));
    return plan;
}

std::vector<uint64_t> sizes_of(const ExportPlan& plan) {
    std::vector<uint64_t> out;
    for (const auto& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            out.push_back(d.capacity_bytes);
        }
    }
    return out;
}

bool has_note(const PlanNotes& notes, std::string_view code) {
    for (const auto& n : notes.all()) {
        if (n.code == code) {
            return true;
        }
    }
    return false;
}

TEST(XvaImport, ExportedOvaXmlPlansBack) {
    ExportPlan plan = mapped(appliance());
    auto text = ova_xml(plan, sizes_of(plan));
    ASSERT_TRUE(text) << text.error().message;
    for (bool keep : {false, true}) {
        ImportOptions o;
        o.keep_macs = keep;
        auto meta = read_ova_metadata(*text, "t.xva:ova.xml", o);
        ASSERT_TRUE(meta) << meta.error().message;
        ASSERT_EQ(meta->app.vms.size(), 1u);
        const ImportedVm& ivm = meta->app.vms[0];
        const PlanVm& vm = ivm.vm;
        EXPECT_EQ(vm.name, "web");
        EXPECT_EQ(vm.description, "A web server");
        EXPECT_EQ(vm.cpus, 2u);
        EXPECT_EQ(vm.memory_bytes, 2 * k_gib);
        EXPECT_EQ(vm.firmware, Firmware::bios);
        ASSERT_EQ(vm.disks.size(), 2u);
        EXPECT_EQ(vm.disks[0].unit, 0u);
        EXPECT_EQ(vm.disks[1].unit, 1u);
        EXPECT_TRUE(vm.disks[0].boot);
        EXPECT_EQ(vm.disks[0].controller, "ide0");
        EXPECT_EQ(vm.disks[1].controller, "ide0");
        ASSERT_EQ(vm.controllers.size(), 2u);
        EXPECT_EQ(vm.controllers[0].bus, Bus::ide);
        EXPECT_EQ(vm.controllers[1].id, "ide1");
        EXPECT_EQ(vm.controllers[1].index, 1u);
        ASSERT_EQ(vm.cdroms.size(), 1u);
        EXPECT_EQ(vm.cdroms[0].controller, "ide1"); // userdevice 3
        EXPECT_EQ(vm.cdroms[0].unit, 1u);
        ASSERT_EQ(vm.nics.size(), 2u);
        EXPECT_EQ(vm.nics[0].network, "VM Network");
        EXPECT_EQ(vm.nics[1].network, k_default_network);
        EXPECT_EQ(vm.nics[0].mac.has_value(), keep);
        if (keep) {
            EXPECT_EQ(*vm.nics[0].mac, "52:54:00:ab:cd:ef");
        } else {
            EXPECT_TRUE(has_note(meta->app.notes, "nic-mac"));
        }
        EXPECT_FALSE(vm.nics[1].mac.has_value());
        // Two VDIs, their sizes, each disk's ref.
        EXPECT_EQ(meta->vdis.size(), 2u);
        EXPECT_EQ(meta->vdis.at(meta->disk_refs.at(vm.disks[0].disk_id)), 8 * k_gib);
        EXPECT_EQ(meta->vdis.at(meta->disk_refs.at(vm.disks[1].disk_id)), 4 * k_gib);
        EXPECT_EQ(meta->export_vsn, 2u);
        bool viridian = false;
        for (const auto& v : ivm.vendor) {
            viridian |= v.key == "platform:viridian" && v.value == "false";
        }
        EXPECT_TRUE(viridian);
        // The OS comes back by the table key the exporter wrote, and the
        // key is not carried again as a vendor setting.
        ASSERT_NE(vm.os.row, nullptr);
        EXPECT_EQ(vm.os.row->key, appliance().os.row->key);
        EXPECT_EQ(vm.os.decided_by, "other_config ovfkit-guest-os");
        EXPECT_FALSE(has_note(meta->app.notes, "os-unmapped"));
        for (const auto& v : ivm.vendor) {
            EXPECT_NE(v.key, "other_config:ovfkit-guest-os");
        }
    }
}

TEST(XvaImport, AVmWithoutItsListsReadsWithoutThem) {
    // A VM record missing its VBDs and VIFs members (hostile or damaged):
    // read as a VM with no disks and no NICs, never a crash.
    ExportPlan plan = mapped(appliance());
    auto text = ova_xml(plan, sizes_of(plan));
    ASSERT_TRUE(text) << text.error().message;
    std::string bad = *text;
    for (std::string name : {"VBDs", "VIFs"}) {
        const std::string key = "<member><name>" + name + "</name>";
        auto at = bad.find(key);
        ASSERT_NE(at, std::string::npos);
        bad.replace(at, key.size(), "<member><name>gone" + name + "</name>");
    }
    auto meta = read_ova_metadata(bad, "t.xva:ova.xml", {});
    if (meta) {
        ASSERT_EQ(meta->app.vms.size(), 1u);
        EXPECT_TRUE(meta->app.vms[0].vm.disks.empty());
        EXPECT_TRUE(meta->app.vms[0].vm.nics.empty());
    } else {
        EXPECT_EQ(meta.error().message.find('\n'), std::string::npos);
    }
}

TEST(XvaImport, UnknownOsKeyIsNotedAndIgnored) {
    ExportPlan plan = mapped(appliance());
    auto text = ova_xml(plan, sizes_of(plan));
    ASSERT_TRUE(text) << text.error().message;
    const std::string key = std::string("<value>") + std::string(appliance().os.row->key) + "<";
    auto at = text->find(key);
    ASSERT_NE(at, std::string::npos);
    std::string bad = *text;
    bad.replace(at, key.size(), "<value>no-such-os&lt;x&gt;<");
    auto meta = read_ova_metadata(bad, "t.xva:ova.xml", {});
    ASSERT_TRUE(meta) << meta.error().message;
    EXPECT_TRUE(has_note(meta->app.notes, "os-hint-ignored"));
    EXPECT_TRUE(has_note(meta->app.notes, "os-unmapped"));
    EXPECT_NE(meta->app.vms[0].vm.os.decided_by, "other_config ovfkit-guest-os");
}

TEST(XvaImport, UefiSecureBootAndCpuLimitReadBack) {
    PlanVm vm = appliance();
    vm.firmware = Firmware::efi;
    vm.secure_boot = true;
    vm.cpus = 6;
    ExportPlan plan = mapped(vm);
    auto text = ova_xml(plan, sizes_of(plan));
    ASSERT_TRUE(text);
    auto meta = read_ova_metadata(*text, "t", {});
    ASSERT_TRUE(meta) << meta.error().message;
    EXPECT_EQ(meta->app.vms[0].vm.firmware, Firmware::efi);
    EXPECT_TRUE(meta->app.vms[0].vm.secure_boot);
    EXPECT_EQ(meta->app.vms[0].vm.cpus, 6u);
}

std::vector<std::byte> bytes(const std::string& s) {
    auto b = std::as_bytes(std::span(s.data(), s.size()));
    return {b.begin(), b.end()};
}

// A tar member of the test's own making (ustar, checksummed), any name.
std::string member(const std::string& name, const std::string& data, char type = '0') {
    std::string h(512, '\0');
    std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
    std::memcpy(h.data() + 100, "0000644", 7);
    std::memcpy(h.data() + 108, "0000000", 7);
    std::memcpy(h.data() + 116, "0000000", 7);
    std::string size = fmt::format("{:011o}", data.size());
    std::memcpy(h.data() + 124, size.data(), 11);
    std::memcpy(h.data() + 136, "00000000000", 11);
    h[156] = type;
    std::memcpy(h.data() + 257,
                "ustar\0"
                "00",
                8);
    std::memset(h.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (char c : h) {
        sum += static_cast<unsigned char>(c);
    }
    std::string chk = fmt::format("{:06o}", sum);
    std::memcpy(h.data() + 148, chk.data(), 6);
    h[154] = '\0';
    std::string out = h + data;
    out.append((512 - data.size() % 512) % 512, '\0');
    return out;
}

std::string sha1_hex(std::string_view data) {
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
    std::string out;
    for (unsigned char c : md) {
        out += fmt::format("{:02x}", c);
    }
    return out;
}

std::string chunk(const std::string& ref, unsigned index, const std::string& data) {
    std::string name = fmt::format("{}/{:08}", ref, index);
    return member(name, data) + member(name + ".checksum", sha1_hex(data));
}

std::string end_blocks() {
    return std::string(1024, '\0');
}

// ova.xml of a mapped one-disk VM of `size` bytes; its VDI ref.
std::string small_ova_xml(uint64_t size) {
    PlanVm vm = appliance();
    vm.disks = {disk("system", "3", 0, size)};
    vm.disks[0].boot = true;
    ExportPlan plan = mapped(vm);
    auto text = ova_xml(plan, sizes_of(plan));
    EXPECT_TRUE(text);
    return *text;
}

struct Opened {
    std::shared_ptr<io::File> file;
    std::shared_ptr<const XvaIndex> index;
    std::string ref;
};

Result<Opened> open_xva(const std::string& archive) {
    auto file = std::make_shared<io::MemFile>("t.xva", bytes(archive));
    OVFKIT_TRY_ASSIGN(std::string text, read_ova_xml(*file));
    OVFKIT_TRY_ASSIGN(XvaMetadata meta, read_ova_metadata(text, "t.xva:ova.xml", {}));
    OVFKIT_TRY_ASSIGN(XvaIndex index, index_xva(*file, "t.xva", meta.vdis, meta.export_vsn >= 1));
    Opened o;
    o.file = file;
    o.index = std::make_shared<const XvaIndex>(std::move(index));
    o.ref = meta.disk_refs.begin()->second;
    return o;
}

Result<std::string> read_disk(const Opened& o) {
    auto reader = xva_disk_reader(o.file, o.index, o.ref);
    std::string out(reader->virtual_size(), '\0');
    OVFKIT_TRY(reader->read_at(0, std::as_writable_bytes(std::span(out.data(), out.size()))));
    return out;
}

const std::string k_ref = vdi_ref(0);

std::string block(char c, size_t n = k_mib) {
    return std::string(n, c);
}

TEST(XvaImport, ExporterArchiveReadsBackByteForByte) {
    // 5 MiB + 12 KiB: data in blocks 1 and 4; the exporter leaves 2 and 3 out.
    const uint64_t size = 5 * k_mib + 12288;
    std::string d(size, '\0');
    d[k_mib + 17] = 'x';
    std::fill_n(d.begin() + 4 * k_mib, 4096, 'y');
    d[size - 1] = 'z';
    PlanVm vm = appliance();
    vm.disks = {disk("system", "3", 0, size)};
    vm.disks[0].boot = true;
    ExportPlan plan = mapped(vm);
    disk::OpenImageOptions raw;
    raw.format = "raw";
    auto image = disk::open_image_file(std::make_unique<io::MemFile>("d", bytes(d)), raw);
    ASSERT_TRUE(image);
    std::vector<ArchiveDisk> disks{{0, 0, image->reader.get(), size}};
    io::MemFile out("out.xva");
    std::atomic<bool> cancel{false};
    ArchiveJob job{plan, disks, out, 0, 2, {}, &cancel};
    ASSERT_TRUE(write_xva(job));
    const auto& data = out.data();
    std::string archive(reinterpret_cast<const char*>(data.data()), data.size());
    auto o = open_xva(archive);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->index->vdis.at(k_ref).chunks.size(), 4u); // 0, 1, 4, 5
    auto back = read_disk(*o);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(*back == d);
    // Unaligned reads across a chunk and a gap.
    auto reader = xva_disk_reader(o->file, o->index, o->ref);
    std::string part(3 * k_mib, '\0');
    ASSERT_TRUE(
        reader->read_at(k_mib + 5, std::as_writable_bytes(std::span(part.data(), part.size()))));
    EXPECT_TRUE(part == d.substr(k_mib + 5, 3 * k_mib));
    auto ext = reader->extents(0, size);
    ASSERT_TRUE(ext);
    ASSERT_EQ(ext->size(), 3u);
    EXPECT_EQ((*ext)[0], (disk::Extent{0, 2 * k_mib, disk::ExtentKind::data}));
    EXPECT_EQ((*ext)[1], (disk::Extent{2 * k_mib, 2 * k_mib, disk::ExtentKind::unallocated}));
    EXPECT_EQ((*ext)[2], (disk::Extent{4 * k_mib, size - 4 * k_mib, disk::ExtentKind::data}));
}

TEST(XvaImport, SeveralDisksReadBackFromOneArchiveAtOnce) {
    // Two VDIs in one archive, read by two threads at the same time (the
    // engine opens disks independently; reads are positional).
    std::string d1(3 * k_mib + 512, 'a');
    d1[2 * k_mib] = 'b';
    std::string d2(2 * k_mib, '\0');
    std::fill_n(d2.begin() + k_mib, 1000, 'c');
    PlanVm vm = appliance();
    vm.disks = {disk("system", "3", 0, d1.size()), disk("data", "3", 1, d2.size())};
    vm.disks[0].boot = true;
    ExportPlan plan = mapped(vm);
    disk::OpenImageOptions raw;
    raw.format = "raw";
    auto i1 = disk::open_image_file(std::make_unique<io::MemFile>("d1", bytes(d1)), raw);
    auto i2 = disk::open_image_file(std::make_unique<io::MemFile>("d2", bytes(d2)), raw);
    ASSERT_TRUE(i1 && i2);
    std::vector<ArchiveDisk> disks{{0, 0, i1->reader.get(), d1.size()},
                                   {0, 1, i2->reader.get(), d2.size()}};
    io::MemFile out("out.xva");
    std::atomic<bool> cancel{false};
    ArchiveJob job{plan, disks, out, 0, 2, {}, &cancel};
    ASSERT_TRUE(write_xva(job));
    auto file = std::make_shared<io::MemFile>("two.xva", out.data());
    auto text = read_ova_xml(*file);
    ASSERT_TRUE(text);
    auto meta = read_ova_metadata(*text, "two.xva:ova.xml", {});
    ASSERT_TRUE(meta) << meta.error().message;
    const auto& ivm = meta->app.vms.at(0);
    ASSERT_EQ(ivm.disks.size(), 2u);
    auto index = index_xva(*file, "two.xva", meta->vdis, true);
    ASSERT_TRUE(index) << index.error().message;
    auto shared = std::make_shared<const XvaIndex>(std::move(*index));
    std::string got[2];
    bool ok[2] = {false, false};
    std::vector<std::thread> threads;
    for (int k = 0; k < 2; ++k) {
        threads.emplace_back([&, k] {
            auto reader = xva_disk_reader(file, shared, meta->disk_refs.at(ivm.disks[k].disk_id));
            got[k].assign(reader->virtual_size(), '\0');
            ok[k] =
                reader->read_at(0, std::as_writable_bytes(std::span(got[k].data(), got[k].size())))
                    .has_value();
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_TRUE(ok[0] && ok[1]);
    EXPECT_TRUE(got[0] == d1);
    EXPECT_TRUE(got[1] == d2);
}

std::string with_xml(uint64_t size, const std::string& body, bool end = true) {
    return member("ova.xml", small_ova_xml(size)) + body + (end ? end_blocks() : "");
}

void expect_refused(const std::string& archive, Errc code, std::string_view says) {
    auto o = open_xva(archive);
    Result<std::string> r = o ? read_disk(*o) : Result<std::string>(fail(o.error()));
    ASSERT_FALSE(r) << says;
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
}

TEST(XvaImport, MissingChunksReadAsZeros) {
    auto o =
        open_xva(with_xml(3 * k_mib, chunk(k_ref, 0, block('a')) + chunk(k_ref, 2, block('c'))));
    ASSERT_TRUE(o) << o.error().message;
    auto d = read_disk(*o);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(*d == block('a') + block('\0') + block('c'));
}

TEST(XvaImport, XxhashChunksAreVerified) {
    EXPECT_EQ(xxh64({}), 0xEF46DB3751D8E999ULL);
    std::string abc = "abc";
    EXPECT_EQ(xxh64(std::as_bytes(std::span(abc.data(), abc.size()))), 0x44BC2CF5AD770999ULL);
    std::string data = block('q');
    std::string sum =
        fmt::format("{:016X}", xxh64(std::as_bytes(std::span(data.data(), data.size()))));
    std::string name = k_ref + "/00000000";
    auto o = open_xva(with_xml(k_mib, member(name, data) + member(name + ".xxhash", sum)));
    ASSERT_TRUE(o) << o.error().message;
    auto d = read_disk(*o);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(*d == data);
    sum[3] = sum[3] == '0' ? '1' : '0';
    expect_refused(with_xml(k_mib, member(name, data) + member(name + ".xxhash", sum)),
                   Errc::refused, "XXH64");
}

TEST(XvaImport, BadChecksumIsRefusedNamingTheChunk) {
    std::string name = k_ref + "/00000001";
    std::string body = chunk(k_ref, 0, block('a')) + member(name, block('b')) +
                       member(name + ".checksum", sha1_hex(block('c')));
    expect_refused(with_xml(2 * k_mib, body), Errc::refused, "chunk " + name);
}

TEST(XvaImport, HostileArchivesAreRefused) {
    const std::string a = chunk(k_ref, 0, block('a'));
    // A chunk index past the virtual size.
    expect_refused(with_xml(2 * k_mib, a + chunk(k_ref, 9, block('b'))), Errc::refused,
                   "past the disk's virtual size");
    // A chunk longer than the disk's tail.
    expect_refused(with_xml(k_mib + 10, a + chunk(k_ref, 1, block('b'))), Errc::refused,
                   "past the disk's virtual size");
    // Names escaping the archive.
    expect_refused(with_xml(k_mib, a + member("../etc/passwd", "x")), Errc::refused, "escapes");
    expect_refused(with_xml(k_mib, a + member(k_ref + "/../x", "x")), Errc::refused, "escapes");
    expect_refused(with_xml(k_mib, a + member("/etc/passwd", "x")), Errc::refused, "absolute path");
    // A duplicate chunk, a decreasing one.
    expect_refused(with_xml(2 * k_mib, a + a), Errc::refused, "appears twice");
    expect_refused(with_xml(3 * k_mib, chunk(k_ref, 1, block('b')) + a), Errc::refused,
                   "increasing order");
    // A member of a VDI ova.xml does not declare.
    expect_refused(with_xml(k_mib, a + chunk("Ref:99", 0, block('z'))), Errc::refused,
                   "declares as no VDI");
    // Other names, links, devices.
    expect_refused(with_xml(k_mib, a + member("notes.txt", "x")), Errc::refused, "not an XVA's");
    expect_refused(with_xml(k_mib, a + member(k_ref + "/00000001", "", '2')), Errc::refused,
                   "link");
    expect_refused(with_xml(k_mib, a + member(k_ref + "/00000001", "", '3')), Errc::refused,
                   "a character device");
    // A checksum without its chunk, a chunk without checksum (export_vsn 2).
    expect_refused(with_xml(k_mib, member(k_ref + "/00000000.checksum", sha1_hex("x"))),
                   Errc::refused, "does not follow its chunk");
    expect_refused(with_xml(2 * k_mib, member(k_ref + "/00000000", block('a')) + a), Errc::refused,
                   "no .checksum");
    // A second ova.xml.
    expect_refused(with_xml(k_mib, a + member("ova.xml", "x")), Errc::refused, "second ova.xml");
}

TEST(XvaImport, TruncatedArchivesAreInvalid) {
    std::string whole =
        with_xml(2 * k_mib, chunk(k_ref, 0, block('a')) + chunk(k_ref, 1, block('b')));
    // Cut inside a chunk's data, inside a header, and before the end blocks.
    for (size_t cut :
         {whole.size() - 1024 - 512 - 700'000, whole.size() - k_mib - 2460, whole.size() - 1024}) {
        expect_refused(whole.substr(0, cut), Errc::invalid, "truncated");
    }
    // Not a tar, compressed.
    expect_refused(std::string("\x1f\x8b\x08\0", 4) + std::string(600, 'x'), Errc::invalid, "gzip");
    expect_refused(member("disk.img", "x") + end_blocks(), Errc::invalid, "begins with ova.xml");
}

std::string ova_xml_with(const std::string& objects) {
    return "<value><struct><member><name>version</name><value><struct>"
           "<member><name>export_vsn</name><value>2</value></member></struct></value></member>"
           "<member><name>objects</name><value><array><data>" +
           objects + "</data></array></value></member></struct></value>";
}

TEST(XvaImport, HostileOvaXmlIsRefused) {
    // A 10 MB value.
    std::string big = ova_xml_with("<value>" + std::string(10'000'000, 'x') + "</value>");
    auto r = read_ova_metadata(big, "big", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    // 100 000 objects.
    std::string many;
    for (int i = 0; i < 100'000; ++i) {
        many += fmt::format("<value><struct><member><name>class</name><value>network</value>"
                            "</member><member><name>id</name><value>Ref:{}</value></member>"
                            "</struct></value>",
                            i);
    }
    r = read_ova_metadata(ova_xml_with(many), "many", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().message;
    // A DTD, an entity.
    r = read_ova_metadata("<!DOCTYPE v [<!ENTITY e \"x\">]>" + ova_xml_with(""), "dtd", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::refused);
    // No VM; a VM with a dangling VBD; CPUs out of range.
    r = read_ova_metadata(ova_xml_with(""), "none", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    std::string text = small_ova_xml(k_mib);
    auto at = text.find("<name>VCPUs_at_startup</name><value>2</value>");
    ASSERT_NE(at, std::string::npos);
    std::string bad = text;
    bad.replace(at, 45, "<name>VCPUs_at_startup</name><value>9</value>");
    r = read_ova_metadata(bad, "cpus", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_NE(r.error().message.find("VCPUs_at_startup"), std::string::npos);
    bad = text;
    const std::string list = "<name>VBDs</name><value><array><data><value>";
    auto vbd = bad.find(list + "Ref:");
    ASSERT_NE(vbd, std::string::npos);
    bad.insert(vbd + list.size(), "Ref:777</value><value>");
    r = read_ova_metadata(bad, "vbd", {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("Ref:777"), std::string::npos) << r.error().message;
}

TEST(XvaImport, IsInTheTable) {
    const ImportSource* s = find_import_source("xva");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->platform, "xenserver");
    EXPECT_TRUE(s->claims("vm.XVA", false, {}));
    EXPECT_FALSE(s->claims("vm.ova", false, {}));
}

} // namespace
} // namespace ovfkit::platform::xenserver
