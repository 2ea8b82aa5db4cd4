// OVF disk format URIs: every URI in the shared corpus names the driver it
// should, lookups forgive case, scheme and a trailing '/', and every
// driver's written URI finds that driver's format again.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include <ovfkit/disk/ovf_uri.hpp>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::disk {
namespace {

std::string name_for(std::string_view uri) {
    const FormatDriver* d = format_for_uri(uri);
    return d == nullptr ? "(none)" : std::string(d->name);
}

// Every ovf:format value written anywhere in the shared corpus.
std::set<std::string> corpus_format_uris() {
    std::set<std::string> out;
    const std::regex attr(R"re(ovf:format\s*=\s*["']([^"']*)["'])re");
    const std::filesystem::path root = test::corpus_path("ovf");
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
        if (!e.is_regular_file()) {
            continue;
        }
        std::ifstream in(e.path(), std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), attr);
             it != std::sregex_iterator(); ++it) {
            out.insert((*it)[1].str());
        }
    }
    return out;
}

TEST(OvfUri, EveryUriOfTheCorpusNamesItsDriver) {
    if (!test::have_corpus()) {
        GTEST_SKIP() << "the shared corpus is not beside the checkout";
    }
    // What each URI the corpus holds must open as; the DMTF specification's
    // example vendor is no format at all.
    const std::map<std::string, std::string> expected = {
        {"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
         "vmdk-stream"},
        {"http://www.vmware.com/specifications/vmdk.html#sparse", "vmdk"},
        {"http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx", "vhd"},
        {"vhd", "vhd"},
        {"http://en.wikipedia.org/wiki/Byte", "raw"},
        {"http://www.examplecompany.com/interfaces/specifications/vmdk.html#sparse", "(none)"},
    };
    auto found = corpus_format_uris();
    ASSERT_FALSE(found.empty()) << "no ovf:format in " << test::corpus_path("ovf");
    for (const std::string& uri : found) {
        auto it = expected.find(uri);
        ASSERT_NE(it, expected.end()) << "a corpus URI this test does not know: " << uri;
        EXPECT_EQ(name_for(uri), it->second) << uri;
    }
}

TEST(OvfUri, EveryProducerSpellingOfTheFormatTable) {
    // shared formats/ovf-ova.md 3.3 and the issue's list.
    EXPECT_EQ(name_for("http://www.vmware.com/interfaces/specifications/vmdk.html#sparse"), "vmdk");
    EXPECT_EQ(
        name_for("http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicSparse"),
        "vmdk");
    EXPECT_EQ(name_for("http://www.vmware.com/specifications/vmdk.html#compressed"), "vmdk-stream");
    EXPECT_EQ(name_for("http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicFlat"),
              "vmdk-flat");
    EXPECT_EQ(name_for("http://go.microsoft.com/fwlink/?LinkId=137171"), "vhd");
    EXPECT_EQ(name_for("http://technet.microsoft.com/en-us/virtualserver/bb676673.aspx"), "vhd");
    EXPECT_EQ(name_for("http://www.virtualbox.org/manual/ch05.html#vdidiff"), "vdi");
    EXPECT_EQ(name_for("http://en.wikipedia.org/wiki/Byte"), "raw");
    EXPECT_EQ(name_for("http://www.gnome.org/~markmc/qcow-image-format.html"), "qcow2");
}

TEST(OvfUri, LookupsForgiveCaseSchemeAndTrailingVariants) {
    EXPECT_EQ(name_for("HTTP://WWW.VMWARE.COM/interfaces/specifications/vmdk.html#STREAMOPTIMIZED"),
              "vmdk-stream");
    EXPECT_EQ(
        name_for("https://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"),
        "vmdk-stream");
    EXPECT_EQ(name_for("  http://vmware.com/interfaces/specifications/vmdk.html#streamOptimized\n"),
              "vmdk-stream");
    EXPECT_EQ(name_for("http://en.wikipedia.org/wiki/Byte/"), "raw");
    EXPECT_EQ(name_for("http://go.microsoft.com/fwlink/?linkid=137171"), "vhd");
    EXPECT_EQ(name_for("VHD"), "vhd");
    // The fragment is the subformat: it is never ignored.
    EXPECT_EQ(name_for("http://www.vmware.com/interfaces/specifications/vmdk.html"), "(none)");
    EXPECT_EQ(name_for("http://www.vmware.com/interfaces/specifications/vmdk.html#other"),
              "(none)");
    EXPECT_EQ(name_for(""), "(none)");
    EXPECT_EQ(name_for("http://www.ecma-international.org/publications/standards/Ecma-119.htm"),
              "(none)");
}

TEST(OvfUri, TheWrittenUriOfEveryDriverFindsItsFormatAgain) {
    EXPECT_EQ(uri_for_format("vmdk-stream"),
              "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized");
    EXPECT_EQ(uri_for_format("vhd-fixed"), "http://go.microsoft.com/fwlink/?LinkId=137171");
    EXPECT_EQ(uri_for_format("raw"), "http://en.wikipedia.org/wiki/Byte");
    EXPECT_EQ(uri_for_format("vhdx"), "");
    EXPECT_EQ(uri_for_format("no-such-format"), "");
    for (const FormatDriver* d : formats::all()) {
        std::string_view uri = uri_for_format(d->name);
        if (uri.empty()) {
            continue;
        }
        const FormatDriver* back = format_for_uri(uri);
        ASSERT_NE(back, nullptr) << d->name;
        // vhd-fixed and vdi-fixed share their family's URI; the family
        // driver reads both.
        EXPECT_EQ(back->open, d->open) << d->name << " -> " << back->name;
        EXPECT_EQ(back->family, d->family) << d->name;
    }
}

} // namespace
} // namespace ovfkit::disk
