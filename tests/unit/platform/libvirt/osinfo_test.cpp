// osinfo short ids -> URIs, against the host's osinfo-db when there is one.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include <ovfkit/platform/libvirt/osinfo.hpp>

namespace ovfkit::platform::libvirt {
namespace {

namespace fs = std::filesystem;

TEST(LibvirtOsinfo, KnownFamilies) {
    EXPECT_EQ(osinfo_uri("debian12"), "http://debian.org/debian/12");
    EXPECT_EQ(osinfo_uri("debian6.0"), "http://debian.org/debian/6");
    EXPECT_EQ(osinfo_uri("ubuntu22.04"), "http://ubuntu.com/ubuntu/22.04");
    EXPECT_EQ(osinfo_uri("win2k19"), "http://microsoft.com/win/2k19");
    EXPECT_EQ(osinfo_uri("win11"), "http://microsoft.com/win/11");
    EXPECT_EQ(osinfo_uri("centos-stream9"), "http://centos.org/centos-stream/9");
    EXPECT_EQ(osinfo_uri("centos7"), "http://centos.org/centos/7.0");
    EXPECT_EQ(osinfo_uri("linux2022"), "http://libosinfo.org/linux/2022");
}

TEST(LibvirtOsinfo, AnythingElseGivesNothing) {
    for (std::string_view id : {"", "debian", "debian12'", "debian.12", "debian12.", "win", "win12",
                                "linux22", "solaris11", "ubuntu22.04/x", "other"}) {
        EXPECT_FALSE(osinfo_uri(id).has_value()) << id;
    }
}

// Every short id of the host's osinfo-db that the rules map gives that
// OS's own id; ids the rules do not know are skipped, never guessed.
TEST(LibvirtOsinfo, AgreesWithTheHostsOsinfoDb) {
    fs::path db = "/usr/share/osinfo/os";
    if (!fs::is_directory(db)) {
        GTEST_SKIP() << "no osinfo-db at " << db << " (Debian: osinfo-db)";
    }
    const std::regex id_re("<os id=\"([^\"]+)\"");
    const std::regex short_re("<short-id>([^<]+)</short-id>");
    size_t checked = 0;
    for (const auto& entry : fs::recursive_directory_iterator(db)) {
        if (entry.path().extension() != ".xml") {
            continue;
        }
        std::ifstream in(entry.path());
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        std::smatch m;
        if (!std::regex_search(text, m, id_re)) {
            continue;
        }
        std::string id = m[1];
        for (auto it = std::sregex_iterator(text.begin(), text.end(), short_re);
             it != std::sregex_iterator(); ++it) {
            std::string short_id = (*it)[1];
            if (auto uri = osinfo_uri(short_id)) {
                EXPECT_EQ(*uri, id) << short_id << " in " << entry.path();
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 100U);
}

} // namespace
} // namespace ovfkit::platform::libvirt
