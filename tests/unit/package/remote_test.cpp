#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <ovfkit/package/remote.hpp>
#include <ovfkit/package/source.hpp>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::package {
namespace {

TEST(Remote, RecognisesOnlyHttpAndHttpsUrls) {
    EXPECT_TRUE(is_url("http://example.com/a.ova"));
    EXPECT_TRUE(is_url("HTTPS://example.com/a.ova"));
    EXPECT_FALSE(is_url("file:///etc/passwd"));
    EXPECT_FALSE(is_url("ftp://example.com/a.ova"));
    EXPECT_FALSE(is_url("http://"));
    EXPECT_FALSE(is_url("./http://x"));
    EXPECT_FALSE(is_url("-"));
}

TEST(Remote, ResolvesSiblingsBesideTheDescriptor) {
    auto u = sibling_url("http://h:8080/a/b/vm.ovf?token=1#frag", "disk 1.vmdk");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(*u, "http://h:8080/a/b/disk%201.vmdk");
    EXPECT_EQ(*sibling_url("https://h/vm.ovf", "vm.mf"), "https://h/vm.mf");
    for (const char* bad : {"../etc/passwd", "a/b", "/abs", "x:y", ""}) {
        auto r = sibling_url("http://h/a/vm.ovf", bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::refused) << bad;
    }
    EXPECT_FALSE(sibling_url("http://h", "x.vmdk"));
}

std::string bytes_text(io::File& f) {
    auto size = f.size();
    EXPECT_TRUE(size);
    std::string s(*size, '\0');
    EXPECT_TRUE(io::read_exact(f, std::as_writable_bytes(std::span(s)), 0));
    return s;
}

TEST(Remote, SpoolsAPipeWithinItsBoundAndCanBeCancelled) {
    std::string payload(3 << 20, '\0');
    for (size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>(i * 7 + i / 4096);
    }
    // The writer sees EPIPE, not a signal, when the reader stops early.
    auto* previous = std::signal(SIGPIPE, SIG_IGN);
    auto feed = [&](const std::string& data, const RemoteOptions& o, bool* spooled) {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        std::thread writer([&data, fd = fds[1]] {
            size_t off = 0;
            while (off < data.size()) {
                ssize_t n = ::write(fd, data.data() + off, data.size() - off);
                if (n <= 0) {
                    break;
                }
                off += static_cast<size_t>(n);
            }
            ::close(fd);
        });
        auto r = spool_stream(fds[0], "-", o, spooled);
        ::close(fds[0]); // unblocks the writer when the reader stopped early
        writer.join();
        return r;
    };
    bool spooled = false;
    auto f = feed(payload, {}, &spooled);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_TRUE(spooled);
    EXPECT_EQ(bytes_text(**f), payload);

    RemoteOptions small;
    small.max_spool = 1 << 20;
    auto big = feed(payload, small, nullptr);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::refused);
    EXPECT_NE(big.error().message.find("more than 1048576 bytes"), std::string::npos);

    RemoteOptions cancel;
    cancel.cancelled = [] { return true; };
    auto stopped = feed(payload, cancel, nullptr);
    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().message, "-: cancelled");
    std::signal(SIGPIPE, previous);

    // A regular file on stdin is read in place.
    test::TempDir dir;
    test::write_text(dir.file("x"), "hello");
    int fd = ::open(dir.file("x").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto direct = spool_stream(fd, "-", {}, &spooled);
    ::close(fd);
    ASSERT_TRUE(direct);
    EXPECT_FALSE(spooled);
    EXPECT_EQ(bytes_text(**direct), "hello");
}

// The switchable test server of tests/support, serving `dir`.
class Server {
public:
    Server(const test::TempDir& dir, const std::string& flags) {
        std::string port_file = dir.file("port");
        std::string out;
        test::run("python3 " OVFKIT_SOURCE_DIR "/tests/support/http_server.py '" + dir.path() +
                      "' --port-file '" + port_file + "' " + flags + " >/dev/null 2>&1 & echo $!",
                  &out);
        m_pid = std::stoi(out);
        for (int i = 0; i < 200 && !std::ifstream(port_file).good(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        std::ifstream(port_file) >> m_port;
        ::unlink(port_file.c_str());
    }
    ~Server() { test::run("kill " + std::to_string(m_pid)); }
    std::string url(const std::string& name) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + "/" + name;
    }

private:
    int m_pid = 0;
    int m_port = 0;
};

TEST(Remote, ReadsAUrlByRangesOrSpooledAndChecksEverySize) {
    if (!test::have_tool("python3")) {
        GTEST_SKIP() << "python3 is not installed";
    }
    test::TempDir dir;
    std::string payload(5 << 20, '\0');
    for (size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>((i * 2654435761u) >> 13);
    }
    test::write_text(dir.file("blob.bin"), payload);

    for (bool ranges : {true, false}) {
        Server server(dir, ranges ? "" : "--no-ranges");
        bool spooled = !ranges;
        auto f = open_url(server.url("blob.bin"), {}, &spooled);
        ASSERT_TRUE(f) << f.error().message;
        EXPECT_EQ(spooled, !ranges);
        EXPECT_EQ(*(*f)->size(), payload.size());
        // Small reads through the cache, a large one straight through, one
        // across the end, in no particular order.
        for (auto [off, len] : std::vector<std::pair<size_t, size_t>>{
                 {4 << 20, 100}, {17, 5000}, {(1 << 20) - 3, 10}, {100, 3 << 20}, {0, 512}}) {
            std::string got(len, '\0');
            ASSERT_TRUE(io::read_exact(**f, std::as_writable_bytes(std::span(got)), off)) << off;
            EXPECT_EQ(got, payload.substr(off, len)) << off;
        }
        std::string tail(64, '\0');
        auto n = (*f)->pread(std::as_writable_bytes(std::span(tail)), payload.size() - 10);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, 10u);
        EXPECT_EQ(*(*f)->pread(std::as_writable_bytes(std::span(tail)), payload.size()), 0u);

        auto absent = open_url(server.url("absent.bin"), {});
        ASSERT_FALSE(absent);
        EXPECT_EQ(absent.error().code, Errc::io);
        auto size = url_size(server.url("absent.bin"), {});
        ASSERT_TRUE(size) << size.error().message;
        EXPECT_FALSE(*size);
        EXPECT_EQ(url_size(server.url("blob.bin"), {})->value_or(0), payload.size());

        RemoteOptions cancel;
        cancel.cancelled = [] { return true; };
        auto stopped = open_url(server.url("blob.bin"), cancel);
        ASSERT_FALSE(stopped);
        EXPECT_NE(stopped.error().message.find("cancelled"), std::string::npos);
    }

    Server liar(dir, "--lie");
    auto lie = open_url(liar.url("blob.bin"), {});
    ASSERT_FALSE(lie);
    EXPECT_EQ(lie.error().code, Errc::refused);
}

} // namespace
} // namespace ovfkit::package
