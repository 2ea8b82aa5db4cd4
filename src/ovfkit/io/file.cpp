#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ovfkit/io/file.hpp>

namespace ovfkit::io {

namespace {

std::string os_error(int err) {
    return std::strerror(err);
}

// The alignment direct writes need on `fd`: whole pages, and at least what
// the file system asks for (statx STATX_DIOALIGN, Linux 6.1 and later).
size_t direct_alignment(int fd) {
    long page = ::sysconf(_SC_PAGESIZE);
    size_t align = page > 0 ? static_cast<size_t>(page) : 4096;
    struct statx sx {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
        (sx.stx_mask & STATX_DIOALIGN) != 0) {
        align = std::max<size_t>({align, sx.stx_dio_mem_align, sx.stx_dio_offset_align});
    }
    return align;
}

// Reopens `fd` (a regular file open for writing) with O_DIRECT; -1 when the
// file system does not do direct I/O (tmpfs before 6.6, some FUSE) or /proc
// is not mounted. The new descriptor must name the same inode.
int reopen_direct(int fd) {
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    int dfd = ::open(proc.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (dfd < 0) {
        return -1;
    }
    struct stat a {};
    struct stat b {};
    if (::fstat(fd, &a) != 0 || ::fstat(dfd, &b) != 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino) {
        ::close(dfd);
        return -1;
    }
    return dfd;
}

class PosixFile final : public File {
public:
    PosixFile(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}
    ~PosixFile() override {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        if (m_direct_fd >= 0) {
            ::close(m_direct_fd);
        }
    }

    bool enable_direct() {
        m_direct_fd = reopen_direct(m_fd);
        if (m_direct_fd >= 0) {
            m_direct_align = direct_alignment(m_direct_fd);
        }
        return m_direct_fd >= 0;
    }
    PosixFile(const PosixFile&) = delete;
    PosixFile& operator=(const PosixFile&) = delete;

    const std::string& name() const override { return m_name; }

    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override {
        size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::pread(m_fd, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + done));
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return fail(Errc::io, "{}: read of {} bytes at offset {} failed: {}", m_name,
                            out.size(), offset, os_error(errno));
            }
            if (n == 0) {
                break;
            }
            done += static_cast<size_t>(n);
        }
        return done;
    }

    Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) override {
        if (is_direct(data, offset)) {
            ssize_t n = ::pwrite(m_direct_fd, data.data(), data.size(), static_cast<off_t>(offset));
            if (n == static_cast<ssize_t>(data.size())) {
                m_direct_bytes.fetch_add(data.size(), std::memory_order_relaxed);
                return {};
            }
            if (n < 0 && errno == EINVAL) {
                // The file system refused this alignment after all: write
                // everything through the page cache from now on.
                m_direct_refused.store(true, std::memory_order_relaxed);
            } else if (n < 0 && errno != EINTR) {
                return fail(Errc::io, "{}: write of {} bytes at offset {} failed: {}", m_name,
                            data.size(), offset, os_error(errno));
            }
            // EINVAL, EINTR or a short write: the whole range again through
            // the page cache (the same bytes).
        }
        size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::pwrite(m_fd, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return fail(Errc::io, "{}: write of {} bytes at offset {} failed: {}", m_name,
                            data.size(), offset, os_error(errno));
            }
            done += static_cast<size_t>(n);
        }
        return {};
    }

    Result<uint64_t> size() override {
        struct stat st {};
        if (::fstat(m_fd, &st) != 0) {
            return fail(Errc::io, "{}: stat failed: {}", m_name, os_error(errno));
        }
        return static_cast<uint64_t>(st.st_size);
    }

    std::optional<FileId> identity() const override {
        struct stat st {};
        if (::fstat(m_fd, &st) != 0) {
            return std::nullopt;
        }
        return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    }

    Result<void> truncate(uint64_t size) override {
        if (::ftruncate(m_fd, static_cast<off_t>(size)) != 0) {
            return fail(Errc::io, "{}: truncate to {} bytes failed: {}", m_name, size,
                        os_error(errno));
        }
        return {};
    }

    Result<void> sync() override {
        if (::fsync(m_fd) != 0) {
            return fail(Errc::io, "{}: fsync failed: {}", m_name, os_error(errno));
        }
        return {};
    }

    Result<uint64_t> next_data(uint64_t offset) override { return seek(offset, SEEK_DATA); }
    Result<uint64_t> next_hole(uint64_t offset) override { return seek(offset, SEEK_HOLE); }

    Result<void> write_zeroes(uint64_t offset, uint64_t length) override {
        if (length == 0) {
            return {};
        }
        if (::fallocate(m_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        static_cast<off_t>(offset), static_cast<off_t>(length)) == 0) {
            OVFKIT_TRY_ASSIGN(uint64_t sz, size());
            if (offset + length > sz) {
                OVFKIT_TRY(truncate(offset + length));
            }
            return {};
        }
        return File::write_zeroes(offset, length);
    }

    bool direct_writes() const override {
        return m_direct_fd >= 0 && !m_direct_refused.load(std::memory_order_relaxed);
    }
    uint64_t direct_bytes() const override {
        return m_direct_bytes.load(std::memory_order_relaxed);
    }

private:
    // Only whole, aligned pages go direct. A page is then never written both
    // ways: a buffered write into a page that a direct write is also filling
    // could read the old page from disk and later write it back over the
    // direct write's bytes. Formats write each byte once, so a page either
    // lies wholly inside one direct write or is only ever written buffered.
    bool is_direct(std::span<const std::byte> data, uint64_t offset) const {
        const size_t a = m_direct_align;
        return m_direct_fd >= 0 && !m_direct_refused.load(std::memory_order_relaxed) &&
               !data.empty() && offset % a == 0 && data.size() % a == 0 &&
               reinterpret_cast<uintptr_t>(data.data()) % a == 0;
    }

    Result<uint64_t> seek(uint64_t offset, int whence) {
        OVFKIT_TRY_ASSIGN(uint64_t sz, size());
        if (offset >= sz) {
            return sz;
        }
        off_t r = ::lseek(m_fd, static_cast<off_t>(offset), whence);
        if (r < 0) {
            if (errno == ENXIO) {
                return sz; // no more data after offset
            }
            if (errno == EINVAL) {
                // The file system does not report holes: all data.
                return whence == SEEK_DATA ? offset : sz;
            }
            return fail(Errc::io, "{}: lseek failed: {}", m_name, os_error(errno));
        }
        return static_cast<uint64_t>(r);
    }

    int m_fd;
    std::string m_name;
    int m_direct_fd = -1;
    size_t m_direct_align = 4096;
    std::atomic<uint64_t> m_direct_bytes{0};
    std::atomic<bool> m_direct_refused{false};
};

Result<void> require_regular(int fd, const std::string& name) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return fail(Errc::io, "{}: stat failed: {}", name, os_error(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(Errc::refused,
                    "{}: not a regular file (devices, FIFOs and sockets are refused)", name);
    }
    return {};
}

} // namespace

Result<uint64_t> File::next_data(uint64_t offset) {
    OVFKIT_TRY_ASSIGN(uint64_t sz, size());
    return offset < sz ? offset : sz;
}

Result<uint64_t> File::next_hole(uint64_t offset) {
    OVFKIT_TRY_ASSIGN(uint64_t sz, size());
    (void)offset;
    return sz;
}

Result<void> File::write_zeroes(uint64_t offset, uint64_t length) {
    static const std::vector<std::byte> k_zeros(1 << 20);
    while (length > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(length, k_zeros.size()));
        OVFKIT_TRY(pwrite(std::span(k_zeros.data(), n), offset));
        offset += n;
        length -= n;
    }
    return {};
}

Result<void> read_exact(File& file, std::span<std::byte> out, uint64_t offset) {
    OVFKIT_TRY_ASSIGN(size_t n, file.pread(out, offset));
    if (n != out.size()) {
        return fail(Errc::invalid,
                    "{}: unexpected end of file: wanted {} bytes at offset {}, file ends at {}",
                    file.name(), out.size(), offset, offset + n);
    }
    return {};
}

Result<void> read_below(File& file, std::span<std::byte> out, uint64_t offset, uint64_t limit) {
    size_t have = 0;
    if (offset < limit) {
        have = static_cast<size_t>(std::min<uint64_t>(out.size(), limit - offset));
        OVFKIT_TRY(read_exact(file, out.first(have), offset));
    }
    std::memset(out.data() + have, 0, out.size() - have);
    return {};
}

Result<std::unique_ptr<File>> open_read(const std::string& path) {
    // O_NONBLOCK so that opening a FIFO does not block before we can refuse it.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        return fail(Errc::io, "{}: cannot open: {}", path, os_error(errno));
    }
    auto file = std::make_unique<PosixFile>(fd, path);
    OVFKIT_TRY(require_regular(fd, path));
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return std::unique_ptr<File>(std::move(file));
}

std::unique_ptr<File> adopt_fd(int fd, std::string name) {
    return std::make_unique<PosixFile>(fd, std::move(name));
}

std::unique_ptr<File> adopt_fd_direct(int fd, std::string name) {
    auto file = std::make_unique<PosixFile>(fd, std::move(name));
    file->enable_direct();
    return file;
}

Result<void> check_member_name(std::string_view name) {
    if (name.empty()) {
        return fail(Errc::refused, "empty file name");
    }
    if (name.size() > 255) {
        return fail(Errc::refused, "file name longer than 255 bytes");
    }
    if (name == "." || name == "..") {
        return fail(Errc::refused, "file name '{}' is not a file", name);
    }
    if (name.front() == '-') {
        return fail(Errc::refused, "file name '{}' starts with '-'", name);
    }
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == '\\') {
            return fail(Errc::refused,
                        "file name '{}' has a path separator (only names inside the package are "
                        "allowed)",
                        name);
        }
        if (c == ':') {
            return fail(Errc::refused, "file name '{}' has ':' (URLs and protocols are refused)",
                        name);
        }
        if (u < 0x20 || u == 0x7f) {
            return fail(Errc::refused, "file name has a control character");
        }
    }
    return {};
}

Directory::Directory(Directory&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)) {}

Directory& Directory::operator=(Directory&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
        m_path = std::move(other.m_path);
    }
    return *this;
}

Directory::~Directory() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

Result<Directory> Directory::open(const std::string& path) {
    int fd = ::open(path.empty() ? "." : path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return fail(Errc::io, "{}: cannot open directory: {}", path, os_error(errno));
    }
    return Directory(fd, path.empty() ? "." : path);
}

Result<Directory> Directory::of_file(const std::string& file_path) {
    auto slash = file_path.rfind('/');
    if (slash == std::string::npos) {
        return open(".");
    }
    return open(slash == 0 ? "/" : file_path.substr(0, slash));
}

Result<std::unique_ptr<File>> Directory::open_read(std::string_view name) const {
    if (auto ok = check_member_name(name); !ok) {
        return fail(Errc::refused, "{}: refused: {}", m_path, ok.error().message);
    }
    std::string n(name);
    std::string display = m_path == "." ? n : m_path + "/" + n;
    struct open_how how {};
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, m_fd, n.c_str(), &how, sizeof how);
    if (fd < 0 && errno == ENOSYS) {
        // Old kernel: the name is a single checked component, so O_NOFOLLOW
        // on it is equivalent.
        fd = ::openat(m_fd, n.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
    }
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP || err == EXDEV) {
            return fail(Errc::refused, "{}: refused: a symbolic link (links are not followed)",
                        display);
        }
        return fail(Errc::io, "{}: cannot open: {}", display, os_error(err));
    }
    auto file = std::make_unique<PosixFile>(static_cast<int>(fd), display);
    OVFKIT_TRY(require_regular(static_cast<int>(fd), display));
    int flags = ::fcntl(static_cast<int>(fd), F_GETFL);
    ::fcntl(static_cast<int>(fd), F_SETFL, flags & ~O_NONBLOCK);
    return std::unique_ptr<File>(std::move(file));
}

bool Directory::exists(std::string_view name) const {
    if (!check_member_name(name)) {
        return false;
    }
    struct stat st {};
    return ::fstatat(m_fd, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<std::vector<std::string>> Directory::names(size_t limit) const {
    int fd = ::fcntl(m_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        return fail(Errc::io, "{}: cannot read the directory", m_path);
    }
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
        ::close(fd);
        return fail(Errc::io, "{}: cannot read the directory", m_path);
    }
    std::vector<std::string> out;
    while (const dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        if (out.size() == limit) {
            ::closedir(d);
            return fail(Errc::refused, "{}: more than {} entries", m_path, limit);
        }
        out.emplace_back(name);
    }
    ::closedir(d);
    return out;
}

} // namespace ovfkit::io
