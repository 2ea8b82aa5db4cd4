// The validation verdict of every corpus descriptor, recorded in
// tests/golden/ovf/<producer>/<name>.txt and compared here. Each golden file
// holds the findings of `ovfkit validate` (semantic checks) and of
// `ovfkit validate --schema`, with names relative to the corpus; package
// files are not checked (the corpus holds descriptors only).
//
// OVFKIT_UPDATE_GOLDEN=1 rewrites the files instead of comparing; review
// the diff (docs/ovf-validation.md, "Golden files") before committing it.
//
// A second test pins the descriptors that are meant to be invalid to the
// codes and lines that make them so, so a golden update cannot quietly turn
// them valid.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include <ovfkit/ovf/validate.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::ovf {
namespace {

namespace fs = std::filesystem;

fs::path golden_root() {
    return fs::path(OVFKIT_SOURCE_DIR) / "tests" / "golden" / "ovf";
}

fs::path golden_path(const std::string& rel) {
    return golden_root() / fs::path(rel).replace_extension(".txt");
}

bool updating() {
    const char* v = std::getenv("OVFKIT_UPDATE_GOLDEN");
    return v != nullptr && std::string_view(v) == "1";
}

std::string finding_line(const Finding& f) {
    std::string where =
        f.line > 0 ? fmt::format("{}:{}: ", f.file, f.line) : (f.file.empty() ? "" : f.file + ": ");
    return fmt::format("{}{}: {} [{}]\n", where, severity_name(f.severity), f.message, f.code);
}

struct Verdict {
    std::string text;
    std::vector<Finding> findings;
    bool refused = false;
};

Verdict run(const std::string& rel, bool schema) {
    auto bytes = test::read_file(test::corpus_path("ovf/" + rel));
    Diagnostics diag;
    DescriptorCheckOptions opts;
    opts.schema = schema;
    auto r = validate_descriptor(bytes, rel, diag, opts);
    Verdict v;
    v.findings = diag.findings();
    for (const auto& f : diag.findings()) {
        v.text += finding_line(f);
    }
    if (!r) {
        v.refused = true;
        v.text += fmt::format("refused (exit {}): {}\n", static_cast<int>(r.error().code),
                              r.error().message);
        return v;
    }
    size_t errors = diag.count(Severity::error);
    size_t warnings = diag.count(Severity::warning);
    v.text += fmt::format("verdict: {} ({} errors, {} warnings)\n",
                          errors == 0 ? "valid" : "invalid", errors, warnings);
    return v;
}

std::string golden_text(const std::string& rel) {
    return fmt::format("# ovfkit validate {}\n{}# ovfkit validate --schema {}\n{}", rel,
                       run(rel, false).text, rel, run(rel, true).text);
}

class OvfGolden : public testing::TestWithParam<std::string> {};

TEST_P(OvfGolden, VerdictMatchesTheGoldenFile) {
    const std::string& rel = GetParam();
    std::string actual = golden_text(rel);
    fs::path path = golden_path(rel);
    if (updating()) {
        fs::create_directories(path.parent_path());
        test::write_text(path.string(), actual);
        return;
    }
    ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with OVFKIT_UPDATE_GOLDEN=1";
    EXPECT_EQ(test::read_text(path.string()), actual)
        << "validation of " << rel << " changed; if intended, regenerate with "
        << "OVFKIT_UPDATE_GOLDEN=1 and review the diff";
}

INSTANTIATE_TEST_SUITE_P(Corpus, OvfGolden, testing::ValuesIn(test::corpus_descriptors()),
                         test::corpus_param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OvfGolden);

TEST(OvfGoldenFiles, EveryGoldenFileHasItsDescriptor) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "corpus not found at " << test::corpus_path("ovf");
    }
    auto all = test::corpus_descriptors();
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(golden_root(), ec)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        std::string rel = fs::path(entry.path().lexically_relative(golden_root()))
                              .replace_extension(".ovf")
                              .generic_string();
        EXPECT_NE(std::find(all.begin(), all.end(), rel), all.end())
            << entry.path() << " has no descriptor in the corpus (stale golden file)";
    }
}

struct Expected {
    std::string code;
    uint32_t line;
};

// Descriptors meant to be invalid, with the findings that make them so.
const std::map<std::string, std::vector<Expected>>& meant_invalid() {
    static const std::map<std::string, std::vector<Expected>> k{
        {"broken/ovftool-dup_diskid.ovf", {{"OVF-PARSE-001", 3}}},
        {"broken/ovftool-invalid_namespace.ovf", {{"OVF-PARSE-001", 3}}},
        {"broken/vmware-jeos_corrupted.ovf", {{"OVF-PARSE-001", 1}}},
        {"cot/ersatz_ovf_3.0.ovf", {{"OVF-PARSE-001", 2}}},
        // COT's deliberately broken descriptor: a Disk whose File does not
        // exist, a disk drive backed by a plain file name.
        {"cot/invalid.ovf", {{"OVF-REF-001", 10}, {"OVF-REF-005", 44}}},
        // The VMware import test suite's href that climbs out of the package.
        {"vmware-testsuite/complete_vs.ovf", {{"OVF-HREF-001", 15}}},
    };
    return k;
}

TEST(OvfGoldenFiles, MeantInvalidDescriptorsFailWithTheirCodes) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "corpus not found at " << test::corpus_path("ovf");
    }
    for (const auto& [rel, expected] : meant_invalid()) {
        SCOPED_TRACE(rel);
        Verdict v = run(rel, false);
        ASSERT_FALSE(v.refused) << v.text;
        EXPECT_TRUE(std::any_of(v.findings.begin(), v.findings.end(), [](const Finding& f) {
            return f.severity == Severity::error;
        })) << v.text;
        for (const auto& e : expected) {
            EXPECT_TRUE(std::any_of(v.findings.begin(), v.findings.end(),
                                    [&](const Finding& f) {
                                        return f.code == e.code && f.line == e.line &&
                                               f.severity == Severity::error && f.file == rel;
                                    }))
                << "expected " << e.code << " at line " << e.line << "\n"
                << v.text;
        }
    }
}

} // namespace
} // namespace ovfkit::ovf
