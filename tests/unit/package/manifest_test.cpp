// Manifests: the one grammar, the canonical writer, and coverage checks.
#include "support/corpus.hpp"
#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/package/manifest.hpp>

namespace ovfkit::package {
namespace {

Result<Manifest> parse(std::string_view text, Diagnostics& diag) {
    return parse_manifest(std::as_bytes(std::span(text.data(), text.size())), "vm.mf", diag);
}

const std::string k_sha1 = "c3bd2579c2edc76ea35b5bde7d4f4e41eab08963";
const std::string k_sha256(64, 'a');

TEST(Manifest, ReadsTheCanonicalForm) {
    Diagnostics diag;
    auto m = parse("SHA1(vm.ovf)= " + k_sha1 + "\nSHA256(disk 1.vmdk)= " + k_sha256 + "\n", diag);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_TRUE(diag.empty());
    ASSERT_EQ(m->entries.size(), 2u);
    EXPECT_EQ(m->entries[0].algorithm, DigestAlgorithm::sha1);
    EXPECT_EQ(m->entries[0].name, "vm.ovf");
    EXPECT_EQ(m->entries[1].name, "disk 1.vmdk");
    EXPECT_EQ(m->entries[1].line, 2u);
    EXPECT_EQ(m->find("disk 1.vmdk")->digest, k_sha256);
    EXPECT_EQ(m->find("other"), nullptr);
}

TEST(Manifest, SpacedFormCrlfAndUpperCaseAreReadWithAWarning) {
    Diagnostics diag;
    std::string upper = k_sha1;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    auto m = parse("SHA1 (a.ovf) = " + upper + "\r\nSHA1 (b.vmdk) = " + k_sha1 + "\r\n\n", diag);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->entries.size(), 2u);
    EXPECT_EQ(m->entries[0].digest, k_sha1) << "digests are kept in lower case";
    ASSERT_EQ(diag.findings().size(), 1u) << "one warning per manifest";
    EXPECT_EQ(diag.findings()[0].code, "MF-SPACED");
    EXPECT_EQ(diag.findings()[0].severity, Severity::warning);
}

TEST(Manifest, CorpusManifestsRead) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    for (const char* f :
         {"mf/cot-input.mf", "mf/cot-ubuntu.2.0.mf", "mf/govmomi-ttylinux-pc_i486-16.1.mf"}) {
        Diagnostics diag;
        auto bytes = test::read_file(test::corpus_path(f));
        auto m = parse_manifest(bytes, f, diag);
        ASSERT_TRUE(m) << f << ": " << m.error().message;
        EXPECT_FALSE(m->entries.empty()) << f;
        EXPECT_EQ(diag.empty(), std::string(f).find("govmomi") == std::string::npos) << f;
    }
}

TEST(Manifest, RefusesWhatTheGrammarDoesNot) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"MD5(a)= 0123456789abcdef0123456789abcdef\n", "MD5 proves nothing"},
        {"CRC32(a)= 01234567\n", "not one of SHA1"},
        {"SHA1(a)= " + k_sha1.substr(1) + "\n", "not 40 hex digits"},
        {"SHA1(a)= " + k_sha1.substr(1) + "g\n", "not 40 hex digits"},
        {"SHA1(a)= " + k_sha1 + "\nSHA1(a)= " + k_sha1 + "\n", "listed twice"},
        {"SHA1(../a)= " + k_sha1 + "\n", "path separator"},
        {"SHA1(..)= " + k_sha1 + "\n", "is not a file"},
        {"SHA1 a = " + k_sha1 + "\n", "not a manifest line"},
        {"SHA1(a) x = " + k_sha1 + "\n", "not a manifest line"},
        {std::string("SHA1(a)= ") + k_sha1 + "\n" + std::string(1, '\0'), "NUL byte"},
        {"SHA1(a)= " + std::string(5000, 'a') + "\n", "longer than 4096"},
    };
    for (const auto& [text, why] : cases) {
        Diagnostics diag;
        auto m = parse(text, diag);
        ASSERT_FALSE(m) << text;
        EXPECT_EQ(m.error().code, Errc::refused) << text;
        EXPECT_NE(m.error().message.find(why), std::string::npos) << m.error().message;
    }
    Diagnostics diag;
    std::string big(k_max_manifest_bytes + 1, '\n');
    EXPECT_FALSE(parse(big, diag));
}

TEST(Manifest, WritesExactlyAsOvftool) {
    std::vector<ManifestEntry> e = {{DigestAlgorithm::sha256, "vm.ovf", k_sha256, 0},
                                    {DigestAlgorithm::sha256, "vm-disk1.vmdk", k_sha256, 0}};
    EXPECT_EQ(write_manifest(e),
              "SHA256(vm.ovf)= " + k_sha256 + "\nSHA256(vm-disk1.vmdk)= " + k_sha256 + "\n");
    Diagnostics diag;
    auto back = parse(write_manifest(e), diag);
    ASSERT_TRUE(back);
    EXPECT_TRUE(diag.empty());
    EXPECT_EQ(back->entries.size(), 2u);
}

TEST(Manifest, CoverageChecks) {
    Diagnostics parse_diag;
    auto m = parse("SHA256(vm.ovf)= " + k_sha256 + "\nSHA256(gone.vmdk)= " + k_sha256 +
                       "\nSHA256(bad.vmdk)= " + k_sha256 + "\n",
                   parse_diag);
    ASSERT_TRUE(m);
    Diagnostics diag;
    std::string other(64, 'b');
    auto checks = check_manifest(
        *m, "vm.mf", {{"vm.ovf", k_sha256}, {"bad.vmdk", other}, {"new.iso", k_sha256}}, diag);
    ASSERT_EQ(checks.size(), 4u);
    EXPECT_TRUE(checks[0].ok);
    EXPECT_FALSE(checks[1].ok);
    EXPECT_TRUE(checks[1].listed && checks[1].present);
    EXPECT_FALSE(checks[2].listed);
    EXPECT_EQ(checks[3].name, "gone.vmdk");
    EXPECT_FALSE(checks[3].present);
    std::vector<std::string> codes;
    for (const auto& f : diag.findings()) {
        codes.push_back(f.code + ":" + f.message.substr(0, f.message.find(' ')));
    }
    EXPECT_EQ(codes, (std::vector<std::string>{"MF-MISMATCH:bad.vmdk:", "MF-UNLISTED:new.iso",
                                               "MF-MISSING:gone.vmdk"}));
}

TEST(Manifest, AlgorithmNames) {
    EXPECT_EQ(io::digest_from_name("sha512"), DigestAlgorithm::sha512);
    EXPECT_EQ(io::digest_from_name("SHA1"), DigestAlgorithm::sha1);
    EXPECT_FALSE(io::digest_from_name("md5"));
    EXPECT_EQ(io::digest_name(DigestAlgorithm::sha256), "SHA256");
    EXPECT_EQ(io::digest_hex_length(DigestAlgorithm::sha512), 128u);
}

} // namespace
} // namespace ovfkit::package
