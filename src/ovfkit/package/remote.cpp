// http(s) and pipe sources; see remote.hpp.
//
// One libcurl easy handle per File, reused for its range requests
// (keep-alive), guarded by a mutex because verify reads members from several
// threads. Each answer is checked before its bytes are used: status 206, a
// Content-Range that names exactly the bytes asked for and the total seen at
// open, and a body of exactly that length.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <vector>

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/package/remote.hpp>

namespace ovfkit::package {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Handle = std::unique_ptr<CURL, CurlDeleter>;

// An unnamed file in $TMPDIR (or /tmp) for a spool.
Result<int> temporary_file() {
    const char* env = std::getenv("TMPDIR");
    std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        return fd;
    }
    std::string templ = dir + "/.ovfkit-spool-XXXXXX";
    fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return fail(Errc::io, "{}: cannot create a temporary file to spool into: {}", dir,
                    std::strerror(err));
    }
    ::unlink(templ.c_str());
    return fd;
}

// Appends to a spool, bounded.
class Spool {
public:
    Spool(int fd, std::string name, uint64_t limit)
        : m_fd(fd), m_name(std::move(name)), m_limit(limit) {}
    ~Spool() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    Result<void> append(const char* data, size_t n) {
        if (n > m_limit - std::min(m_limit, m_size)) {
            return fail(Errc::refused,
                        "{}: more than {} bytes; a source read once (a pipe, or a server "
                        "without range requests) is spooled to a temporary file up to this limit",
                        m_name, m_limit);
        }
        while (n > 0) {
            ssize_t w = ::write(m_fd, data, n);
            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                int err = errno;
                return fail(Errc::io, "{}: cannot write the temporary spool file: {}", m_name,
                            std::strerror(err));
            }
            data += w;
            n -= static_cast<size_t>(w);
            m_size += static_cast<uint64_t>(w);
        }
        return {};
    }
    uint64_t size() const { return m_size; }
    std::unique_ptr<io::File> release() {
        int fd = m_fd;
        m_fd = -1;
        return io::adopt_fd(fd, m_name);
    }

private:
    int m_fd;
    std::string m_name;
    uint64_t m_limit;
    uint64_t m_size = 0;
};

// State one transfer's callbacks share.
struct Transfer {
    CURL* handle = nullptr;
    const RemoteOptions* options = nullptr;
    bool cancelled = false;
    long status = 0;
    // Where the body goes, decided on its first bytes from the status.
    std::function<Result<void>(const char*, size_t)> body;
    std::optional<Error> body_error;
    bool started = false;
    std::function<Result<void>(long status)> on_start;
};

int progress_cb(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(p);
    if (t->options->cancelled && t->options->cancelled()) {
        t->cancelled = true;
        return 1;
    }
    return 0;
}

size_t write_cb(char* data, size_t size, size_t count, void* p) {
    auto* t = static_cast<Transfer*>(p);
    size_t n = size * count;
    if (!t->started) {
        t->started = true;
        curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->on_start) {
            if (auto ok = t->on_start(t->status); !ok) {
                t->body_error = ok.error();
                return CURL_WRITEFUNC_ERROR;
            }
        }
    }
    if (!t->body) {
        return n; // an error page: its bytes are not the file
    }
    if (auto ok = t->body(data, n); !ok) {
        t->body_error = ok.error();
        return CURL_WRITEFUNC_ERROR;
    }
    return n;
}

Result<Handle> make_handle(const std::string& url, const RemoteOptions& o) {
    global_init();
    Handle h(curl_easy_init());
    if (!h) {
        return fail(Errc::io, "{}: cannot start an HTTP client", url);
    }
    CURL* c = h.get();
    bool ok =
        curl_easy_setopt(c, CURLOPT_URL, url.c_str()) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(o.max_redirects)) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o.connect_timeout_s)) ==
            CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(o.low_speed_bytes)) ==
            CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.low_speed_time_s)) ==
            CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_USERAGENT, "ovfkit") == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb) == CURLE_OK &&
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK;
    if (!ok) {
        return fail(Errc::io, "{}: the HTTP client (libcurl) lacks a required option", url);
    }
    return h;
}

// Runs one request on `h` with `t`'s callbacks; maps libcurl's failures.
Result<void> perform(CURL* h, const std::string& url, Transfer& t) {
    t.handle = h;
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    CURLcode rc = curl_easy_perform(h);
    if (t.cancelled) {
        return fail(Errc::io, "{}: cancelled", url);
    }
    if (t.body_error) {
        return fail(*t.body_error);
    }
    if (rc == CURLE_OK) {
        if (!t.started) {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.status);
        }
        return {};
    }
    std::string why = curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
        return fail(Errc::refused,
                    "{}: refused: the server redirects to a scheme other than http or https "
                    "({})",
                    url, why);
    case CURLE_TOO_MANY_REDIRECTS:
        return fail(Errc::refused, "{}: refused: more than {} redirects", url,
                    t.options->max_redirects);
    case CURLE_PARTIAL_FILE:
        return fail(Errc::refused,
                    "{}: refused: the server sent fewer bytes than its Content-Length states; "
                    "the file is incomplete",
                    url);
    case CURLE_OPERATION_TIMEDOUT:
        return fail(Errc::io, "{}: timed out ({}; stalled transfers end after {} s)", url, why,
                    t.options->low_speed_time_s);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return fail(Errc::refused,
                    "{}: refused: the server's TLS certificate does not verify ({}); "
                    "--no-verify-tls skips the check",
                    url, why);
    default:
        return fail(Errc::io, "{}: {}", url, why);
    }
}

struct ContentRange {
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t total = 0;
};

// "bytes FIRST-LAST/TOTAL" with a known total.
std::optional<ContentRange> content_range(CURL* h) {
    curl_header* hdr = nullptr;
    if (curl_easy_header(h, "Content-Range", 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK) {
        return std::nullopt;
    }
    std::string_view v = hdr->value;
    if (!v.starts_with("bytes ")) {
        return std::nullopt;
    }
    v.remove_prefix(6);
    auto dash = v.find('-');
    auto slash = v.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
        return std::nullopt;
    }
    auto first = parse_decimal(v.substr(0, dash));
    auto last = parse_decimal(v.substr(dash + 1, slash - dash - 1));
    auto total = parse_decimal(v.substr(slash + 1));
    if (!first || !last || !total || *last < *first || *last >= *total) {
        return std::nullopt;
    }
    return ContentRange{*first, *last, *total};
}

// Fetches [offset, offset + out.size()) of `url` into `out` with a range
// request and checks the answer against `total`.
Result<void> fetch_range(CURL* h, const std::string& url, const RemoteOptions& o,
                         std::span<std::byte> out, uint64_t offset, uint64_t total) {
    std::string range = fmt::format("{}-{}", offset, offset + out.size() - 1);
    curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    Transfer t;
    t.options = &o;
    size_t got = 0;
    t.on_start = [&](long status) -> Result<void> {
        if (status != 206) {
            return fail(Errc::refused,
                        "{}: refused: the server answered {} to a range request for bytes {} "
                        "after answering ranges before",
                        url, status, range);
        }
        auto cr = content_range(h);
        if (!cr || cr->first != offset || cr->last != offset + out.size() - 1 ||
            cr->total != total) {
            return fail(Errc::refused,
                        "{}: refused: the server's Content-Range for bytes {} does not match the "
                        "request or the file's size {}",
                        url, range, total);
        }
        t.body = [&](const char* data, size_t n) -> Result<void> {
            if (n > out.size() - got) {
                return fail(Errc::refused,
                            "{}: refused: the server sent more than the {} bytes of range {}", url,
                            out.size(), range);
            }
            std::memcpy(out.data() + got, data, n);
            got += n;
            return {};
        };
        return {};
    };
    auto done = perform(h, url, t);
    curl_easy_setopt(h, CURLOPT_RANGE, nullptr);
    OVFKIT_TRY(done);
    if (t.status != 206) {
        return fail(Errc::refused, "{}: refused: the server answered {} to a range request", url,
                    t.status);
    }
    if (got != out.size()) {
        return fail(Errc::refused,
                    "{}: refused: the server sent {} of the {} bytes of range {}; the file is "
                    "incomplete",
                    url, got, out.size(), range);
    }
    return {};
}

// A URL read by range requests, with a few cached read-ahead blocks.
class HttpFile final : public io::File {
public:
    HttpFile(Handle handle, std::string url, RemoteOptions options, uint64_t size,
             std::vector<std::byte> first_block)
        : m_handle(std::move(handle)), m_url(std::move(url)), m_options(std::move(options)),
          m_size(size) {
        m_cache.push_front({0, std::move(first_block)});
    }

    const std::string& name() const override { return m_url; }

    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override {
        if (offset >= m_size || out.empty()) {
            return size_t{0};
        }
        size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), m_size - offset));
        out = out.first(want);
        std::lock_guard lock(m_mutex);
        // Large reads (hashing, copying) go straight into the caller's buffer.
        if (want >= m_options.cache_block) {
            OVFKIT_TRY(fetch_range(m_handle.get(), m_url, m_options, out, offset, m_size));
            return want;
        }
        size_t done = 0;
        while (done < want) {
            uint64_t pos = offset + done;
            uint64_t start = pos - pos % m_options.cache_block;
            OVFKIT_TRY_ASSIGN(const std::vector<std::byte>* block, cached(start));
            size_t in_block = static_cast<size_t>(pos - start);
            if (in_block >= block->size()) {
                break;
            }
            size_t n = std::min(want - done, block->size() - in_block);
            std::memcpy(out.data() + done, block->data() + in_block, n);
            done += n;
        }
        return done;
    }
    Result<void> pwrite(std::span<const std::byte>, uint64_t) override { return read_only(); }
    Result<uint64_t> size() override { return m_size; }
    Result<void> truncate(uint64_t) override { return read_only(); }
    Result<void> sync() override { return {}; }

private:
    static constexpr size_t k_cached_blocks = 4;

    Result<const std::vector<std::byte>*> cached(uint64_t start) {
        for (auto it = m_cache.begin(); it != m_cache.end(); ++it) {
            if (it->first == start) {
                m_cache.splice(m_cache.begin(), m_cache, it);
                return &m_cache.front().second;
            }
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>(m_options.cache_block, m_size - start));
        std::vector<std::byte> block(n);
        OVFKIT_TRY(fetch_range(m_handle.get(), m_url, m_options, block, start, m_size));
        m_cache.push_front({start, std::move(block)});
        if (m_cache.size() > k_cached_blocks) {
            m_cache.pop_back();
        }
        return &m_cache.front().second;
    }
    Result<void> read_only() const { return fail(Errc::refused, "{}: a URL is read-only", m_url); }

    std::mutex m_mutex;
    Handle m_handle;
    std::string m_url;
    RemoteOptions m_options;
    uint64_t m_size;
    std::list<std::pair<uint64_t, std::vector<std::byte>>> m_cache;
};

// What a 200 answer's Content-Length says; nullopt when not stated.
std::optional<uint64_t> stated_length(CURL* h) {
    curl_off_t len = -1;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) != CURLE_OK || len < 0) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(len);
}

Result<void> check_status(const std::string& url, long status) {
    if (status == 404 || status == 410) {
        return fail(Errc::io, "{}: not found (HTTP {})", url, status);
    }
    return fail(Errc::io, "{}: the server answered HTTP {}", url, status);
}

} // namespace

bool is_url(std::string_view text) {
    auto starts = [&](std::string_view scheme) {
        return text.size() > scheme.size() && iequals(text.substr(0, scheme.size()), scheme);
    };
    return starts("http://") || starts("https://");
}

Result<std::string> sibling_url(std::string_view url, std::string_view name) {
    OVFKIT_TRY(io::check_member_name(name));
    std::string_view base = url.substr(0, url.find_first_of("?#"));
    auto scheme_end = base.find("://");
    auto slash = base.rfind('/');
    if (scheme_end == std::string_view::npos || slash == std::string_view::npos ||
        slash < scheme_end + 3) {
        return fail(Errc::usage, "{}: not a URL of a file", url);
    }
    global_init();
    char* escaped = curl_easy_escape(nullptr, name.data(), static_cast<int>(name.size()));
    if (escaped == nullptr) {
        return fail(Errc::io, "{}: cannot encode '{}' in a URL", url, name);
    }
    std::string out = std::string(base.substr(0, slash + 1)) + escaped;
    curl_free(escaped);
    return out;
}

Result<std::unique_ptr<io::File>> open_url(const std::string& url, const RemoteOptions& options,
                                           bool* spooled) {
    OVFKIT_TRY_ASSIGN(Handle h, make_handle(url, options));
    std::string range = fmt::format("0-{}", options.cache_block - 1);
    curl_easy_setopt(h.get(), CURLOPT_RANGE, range.c_str());

    std::vector<std::byte> first;
    std::optional<ContentRange> cr;
    std::unique_ptr<Spool> spool;
    Transfer t;
    t.options = &options;
    t.on_start = [&](long status) -> Result<void> {
        if (status == 206) {
            cr = content_range(h.get());
            // Exactly the bytes asked for, clipped to the file: the cache's
            // blocks are whole.
            if (!cr || cr->first != 0 ||
                cr->last + 1 != std::min<uint64_t>(options.cache_block, cr->total)) {
                return fail(Errc::refused,
                            "{}: refused: the server's Content-Range does not answer the range "
                            "request for bytes {}",
                            url, range);
            }
            size_t expect = static_cast<size_t>(cr->last + 1);
            t.body = [&, expect](const char* data, size_t n) -> Result<void> {
                if (n > expect - first.size()) {
                    return fail(Errc::refused,
                                "{}: refused: the server sent more bytes than its Content-Range "
                                "states",
                                url);
                }
                auto* b = reinterpret_cast<const std::byte*>(data);
                first.insert(first.end(), b, b + n);
                return {};
            };
            return {};
        }
        if (status == 200) {
            if (auto len = stated_length(h.get()); len && *len > options.max_spool) {
                return fail(Errc::refused,
                            "{}: {} bytes, more than the {} bytes a server without range "
                            "requests may be spooled",
                            url, *len, options.max_spool);
            }
            OVFKIT_TRY_ASSIGN(int fd, temporary_file());
            spool = std::make_unique<Spool>(fd, url, options.max_spool);
            t.body = [&](const char* data, size_t n) { return spool->append(data, n); };
        }
        return {};
    };
    OVFKIT_TRY(perform(h.get(), url, t));
    curl_easy_setopt(h.get(), CURLOPT_RANGE, nullptr);

    if (t.status == 206) {
        if (first.size() != cr->last + 1) {
            return fail(Errc::refused,
                        "{}: refused: the server sent {} of the {} bytes its Content-Range "
                        "states; the file is incomplete",
                        url, first.size(), cr->last + 1);
        }
        if (spooled != nullptr) {
            *spooled = false;
        }
        uint64_t total = cr->total;
        return std::unique_ptr<io::File>(
            std::make_unique<HttpFile>(std::move(h), url, options, total, std::move(first)));
    }
    if (t.status == 200) {
        if (!spool) { // an empty body: no write callback ran
            OVFKIT_TRY_ASSIGN(int fd, temporary_file());
            spool = std::make_unique<Spool>(fd, url, options.max_spool);
        }
        // libcurl ends a body at Content-Length and reports a short one; a
        // body it could not frame (no length, connection closed) is checked
        // here against the length when one was stated.
        if (auto len = stated_length(h.get()); len && *len != spool->size()) {
            return fail(Errc::refused,
                        "{}: refused: the server sent {} bytes but its Content-Length states {}",
                        url, spool->size(), *len);
        }
        if (spooled != nullptr) {
            *spooled = true;
        }
        return spool->release();
    }
    if (t.status == 416) {
        return fail(Errc::invalid, "{}: the file is empty", url);
    }
    return fail(check_status(url, t.status).error());
}

Result<std::optional<uint64_t>> url_size(const std::string& url, const RemoteOptions& options) {
    OVFKIT_TRY_ASSIGN(Handle h, make_handle(url, options));
    curl_easy_setopt(h.get(), CURLOPT_NOBODY, 1L);
    Transfer t;
    t.options = &options;
    OVFKIT_TRY(perform(h.get(), url, t));
    if (t.status == 404 || t.status == 410) {
        return std::optional<uint64_t>{};
    }
    if (t.status == 200) {
        if (auto len = stated_length(h.get())) {
            return std::optional<uint64_t>{*len};
        }
    } else if (t.status != 405 && t.status != 501) {
        return fail(check_status(url, t.status).error());
    }
    // No HEAD, or no length in its answer: open the file and see.
    OVFKIT_TRY_ASSIGN(auto file, open_url(url, options));
    OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
    return std::optional<uint64_t>{size};
}

Result<std::unique_ptr<io::File>> spool_stream(int fd, std::string name,
                                               const RemoteOptions& options, bool* spooled) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            int err = errno;
            return fail(Errc::io, "{}: cannot duplicate the descriptor: {}", name,
                        std::strerror(err));
        }
        if (spooled != nullptr) {
            *spooled = false;
        }
        return io::adopt_fd(copy, std::move(name));
    }
    OVFKIT_TRY_ASSIGN(int tmp, temporary_file());
    Spool spool(tmp, name, options.max_spool);
    std::vector<char> buf(size_t{1} << 20);
    while (true) {
        if (options.cancelled && options.cancelled()) {
            return fail(Errc::io, "{}: cancelled", name);
        }
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            return fail(Errc::io, "{}: cannot read: {}", name, std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        OVFKIT_TRY(spool.append(buf.data(), static_cast<size_t>(n)));
    }
    if (spooled != nullptr) {
        *spooled = true;
    }
    return spool.release();
}

} // namespace ovfkit::package
