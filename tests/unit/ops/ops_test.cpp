// The operations behind `info`, `validate` and the disk commands: reports,
// their JSON (one schema version on every document) and their refusals.
#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/ops/disk_check.hpp>
#include <ovfkit/ops/disk_info.hpp>
#include <ovfkit/ops/disk_map.hpp>
#include <ovfkit/ops/inspect.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ops/validate.hpp>
#include <ovfkit/ops/version.hpp>

namespace ovfkit::ops {
namespace {

const std::string k_tiny = std::string(OVFKIT_SOURCE_DIR) + "/examples/tiny";

TEST(OpsInspect, SummarisesTheExample) {
    auto r = inspect_appliance({k_tiny + "/tiny.ovf"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->kind, package::SourceKind::descriptor);
    EXPECT_EQ(r->descriptor, "tiny.ovf");
    ASSERT_EQ(r->summary.virtual_systems.size(), 1u);
    ASSERT_EQ(r->stored_sizes.size(), r->summary.files.size());
    ASSERT_FALSE(r->stored_sizes.empty());
    EXPECT_EQ(r->stored_sizes[0], test::read_file(k_tiny + "/tiny.vmdk").size());
    auto j = to_json(*r);
    EXPECT_EQ(j["schema"], k_json_schema);
    EXPECT_EQ(j["kind"], "ovf");
    EXPECT_EQ(j["files"][0]["stored_size"], *r->stored_sizes[0]);
}

TEST(OpsInspect, ADiskImageIsNotAPackage) {
    auto r = inspect_appliance({k_tiny + "/tiny.vmdk"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::usage);
    EXPECT_NE(r.error().message.find("vmdk-stream disk image"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("ovfkit disk info"), std::string::npos);

    auto v = validate_package({k_tiny + "/tiny.vmdk"});
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->refusal);
    EXPECT_EQ(v->exit_code(), static_cast<int>(Errc::usage));
    EXPECT_FALSE(v->valid);
    auto j = to_json(*v);
    EXPECT_EQ(j["schema"], k_json_schema);
    EXPECT_EQ(j["error"]["exit_code"], 2);
}

TEST(OpsInspect, FormatLabels) {
    EXPECT_EQ(disk_format_label(std::nullopt), "format not stated");
    EXPECT_EQ(disk_format_label(
                  "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"),
              "vmdk streamOptimized");
    EXPECT_EQ(disk_format_label("http://go.microsoft.com/fwlink/?LinkId=137171"), "vhd");
    EXPECT_EQ(disk_format_label("urn:other"), "urn:other");
}

TEST(OpsValidate, VerdictStrictAndJson) {
    test::TempDir dir;
    std::string text = test::read_text(k_tiny + "/tiny.ovf");
    // The disk named but absent: a warning for a descriptor alone.
    test::write_text(dir.file("tiny.ovf"), text);
    auto lax = validate_package({dir.file("tiny.ovf"), false, false});
    ASSERT_TRUE(lax);
    EXPECT_FALSE(lax->refusal);
    EXPECT_EQ(lax->errors, 0u);
    ASSERT_GT(lax->warnings, 0u);
    EXPECT_TRUE(lax->valid);
    EXPECT_EQ(lax->exit_code(), 0);
    auto strict = validate_package({dir.file("tiny.ovf"), false, true});
    ASSERT_TRUE(strict);
    EXPECT_FALSE(strict->valid);
    EXPECT_EQ(strict->exit_code(), 1);
    auto j = to_json(*strict);
    EXPECT_EQ(j["schema"], k_json_schema);
    EXPECT_EQ(j["schema_checked"], false);
    EXPECT_EQ(j["strict"], true);
    EXPECT_EQ(j["findings"].size(), strict->findings.size());

    auto schema = validate_package({k_tiny + "/tiny.ovf", true, false});
    ASSERT_TRUE(schema);
    EXPECT_TRUE(schema->schema_checked);
    EXPECT_TRUE(schema->valid);
    EXPECT_EQ(schema->ovf_version, "1.x");
}

TEST(OpsValidate, HostileXmlIsARefusalWithoutFindings) {
    test::TempDir dir;
    test::write_text(dir.file("x.ovf"),
                     "<!DOCTYPE x [<!ENTITY a \"b\">]><Envelope "
                     "xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&a;</Envelope>");
    auto r = validate_package({dir.file("x.ovf")});
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->refusal);
    EXPECT_EQ(r->refusal->code, Errc::refused);
    EXPECT_EQ(r->exit_code(), 4);
    EXPECT_FALSE(to_json(*r).contains("errors"));
}

TEST(OpsDisk, InfoCheckAndMapOfTheExampleDisk) {
    ImageRef tiny{k_tiny + "/tiny.vmdk", "", false};
    auto info = disk_info({tiny});
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->info.format, "vmdk-stream");
    EXPECT_TRUE(info->detected);
    ASSERT_TRUE(info->allocated_size);
    EXPECT_GT(*info->allocated_size, 0u);
    auto ij = to_json(*info);
    EXPECT_EQ(ij["schema"], k_json_schema);
    EXPECT_EQ(ij["allocated_size"], *info->allocated_size);

    auto check = check_disk({tiny});
    ASSERT_TRUE(check) << check.error().message;
    EXPECT_TRUE(check->clean);
    EXPECT_EQ(check->exit_code(), 0);
    EXPECT_EQ(to_json(*check)["format"], "vmdk-stream");

    auto map = DiskMap::open({tiny});
    ASSERT_TRUE(map) << map.error().message;
    std::vector<disk::Extent> extents;
    std::vector<Progress> reports;
    JobControl control;
    control.progress = [&](const Progress& p) { reports.push_back(p); };
    auto n = map->stream([&](const disk::Extent& e) { extents.push_back(e); }, control);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, extents.size());
    uint64_t pos = 0;
    uint64_t data = 0;
    for (size_t i = 0; i < extents.size(); ++i) {
        EXPECT_EQ(extents[i].offset, pos);
        if (i > 0) {
            EXPECT_NE(extents[i].kind, extents[i - 1].kind) << "adjacent extents are merged";
        }
        pos += extents[i].length;
        data += extents[i].kind == disk::ExtentKind::data ? extents[i].length : 0;
    }
    EXPECT_EQ(pos, map->header().virtual_size);
    EXPECT_EQ(data, *info->allocated_size);
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.back().done, reports.back().total);
}

TEST(OpsDisk, MapJsonIsOneDocument) {
    std::string text;
    DiskMapJson json([&](std::string_view s) { text += s; });
    DiskMapHeader h{"a.img", "raw", 1024, {}};
    json.begin(h);
    json.extent({0, 512, disk::ExtentKind::data});
    json.extent({512, 512, disk::ExtentKind::unallocated});
    std::string cut = text;
    json.end();
    auto doc = nlohmann::json::parse(text);
    EXPECT_EQ(doc["schema"], k_json_schema);
    EXPECT_EQ(doc["virtual_size"], 1024);
    ASSERT_EQ(doc["extents"].size(), 2u);
    EXPECT_EQ(doc["extents"][1]["kind"], "unallocated");
    EXPECT_FALSE(nlohmann::json::accept(cut)) << "a map cut short must not parse";

    std::string empty;
    DiskMapJson none([&](std::string_view s) { empty += s; });
    none.begin(h);
    none.end();
    EXPECT_TRUE(nlohmann::json::parse(empty)["extents"].empty());
}

TEST(OpsDisk, CheckReportsAnImageTooDamagedToOpen) {
    test::TempDir dir;
    std::vector<std::byte> bytes = test::read_file(k_tiny + "/tiny.vmdk");
    bytes.resize(700); // the header survives, the grain directory does not
    test::write_file(dir.file("cut.vmdk"), bytes);
    auto r = check_disk({{dir.file("cut.vmdk"), "vmdk-stream", false}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->clean);
    ASSERT_FALSE(r->findings.empty());
    EXPECT_EQ(r->findings[0].code, "DISK-OPEN");
    EXPECT_EQ(r->exit_code(), 1);

    auto missing = check_disk({{dir.file("absent.vmdk"), "", false}});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::io);
}

TEST(OpsSource, SmallPackageFilesAreReadWithinTheirLimit) {
    test::TempDir dir;
    test::write_text(dir.file("tiny.ovf"), test::read_text(k_tiny + "/tiny.ovf"));
    test::write_text(dir.file("tiny.mf"), "0123456789");
    Diagnostics notes;
    auto src = package::Source::open(dir.path(), {}, &notes);
    ASSERT_TRUE(src) << src.error().message;
    auto mf = read_package_file(*src, "tiny.mf", 10);
    ASSERT_TRUE(mf && *mf);
    EXPECT_EQ((*mf)->size(), 10u);
    auto absent = read_package_file(*src, "tiny.cert", 10);
    ASSERT_TRUE(absent);
    EXPECT_FALSE(*absent);
    auto big = read_package_file(*src, "tiny.mf", 9);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::refused);
    EXPECT_EQ(big.error().message, "tiny.mf: 10 bytes, more than the 9 byte limit");
    EXPECT_EQ(descriptor_sibling("vm.ovf", ".mf"), "vm.mf");
    EXPECT_EQ(descriptor_sibling("a.b.ovf", ".cert"), "a.b.cert");
}

TEST(OpsJson, FailureAndVersionDocuments) {
    auto f = failure_json(Error{Errc::refused, "no"});
    EXPECT_EQ(f["schema"], k_json_schema);
    EXPECT_EQ(f["error"]["code"], "refused");
    EXPECT_EQ(f["error"]["exit_code"], 4);
    auto v = to_json(version());
    EXPECT_EQ(v["schema"], k_json_schema);
    EXPECT_FALSE(v["disk_formats"].empty());
}

} // namespace
} // namespace ovfkit::ops
