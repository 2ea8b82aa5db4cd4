#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/io/atomic_output.hpp>

namespace ovfkit::io {

namespace {

std::pair<std::string, std::string> split_path(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return {".", path};
    }
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string random_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:012x}", rng() & 0xffffffffffffULL);
}

std::string temp_prefix(const std::string& base) {
    return fmt::format(".{}.ovfkit-tmp-", base);
}

void sync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// Named temporaries of `base` in `dir` whose writer is gone: a live writer
// holds an exclusive flock on its temporary until it commits or abandons it.
void remove_abandoned(const std::string& dir, const std::string& base) {
    std::string prefix = temp_prefix(base);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        return;
    }
    while (const dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (!name.starts_with(prefix) || name.size() != prefix.size() + 12) {
            continue;
        }
        int fd = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
            ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            ::unlinkat(::dirfd(d), e->d_name, 0);
        }
        ::close(fd);
    }
    ::closedir(d);
}

// An unnamed file in `dir`, or -1 when the file system (or the kernel)
// cannot make one or /proc is not there to link it into place later.
int open_unnamed(const std::string& dir) {
    if (::access("/proc/self/fd", X_OK) != 0) {
        return -1;
    }
    return ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
}

} // namespace

std::string unreplaceable_target(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
        return {};
    }
    const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    return fmt::format("{}: is {}; ovfkit writes outputs only as regular files and never "
                       "replaces anything else, with or without --force{}",
                       path, what,
                       S_ISBLK(st.st_mode) ? " (a raw disk is written onto a block device in "
                                             "place with -O raw --to-device)"
                                           : "");
}

OutputSet::~OutputSet() {
    abandon();
}

Result<File*> OutputSet::create(const std::string& path) {
    auto [dir, base] = split_path(path);
    if (base.empty()) {
        return fail(Errc::usage, "{}: output path names a directory", path);
    }
    if (std::string why = unreplaceable_target(path); !why.empty()) {
        return fail(Errc::refused, "{}", why);
    }
    struct stat st {};
    if (!m_force && ::lstat(path.c_str(), &st) == 0) {
        return fail(Errc::refused, "{}: already exists; refusing to replace it (use --force)",
                    path);
    }
    auto adopt = [&](int fd, std::string temp) -> File* {
        m_entries.push_back(
            {path, std::move(temp), fd, m_direct ? adopt_fd_direct(fd, path) : adopt_fd(fd, path)});
        return m_entries.back().file.get();
    };
    remove_abandoned(dir, base);
    if (int fd = m_named_only ? -1 : open_unnamed(dir); fd >= 0) {
        return adopt(fd, {});
    }
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string temp = fmt::format("{}/{}{}", dir, temp_prefix(base), random_suffix());
        int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST) {
                continue;
            }
            return fail(Errc::io, "{}: cannot create output: {}", path, std::strerror(errno));
        }
        // Held until the file is renamed or removed: tells a later run that
        // this temporary is in use, not abandoned.
        ::flock(fd, LOCK_EX | LOCK_NB);
        return adopt(fd, std::move(temp));
    }
    return fail(Errc::io, "{}: cannot create a unique temporary name", path);
}

Result<OutputSet::Device> OutputSet::open_device(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return fail(Errc::io, "{}: cannot open the device: {}", path, std::strerror(errno));
    }
    if (S_ISREG(st.st_mode)) {
        return fail(Errc::usage,
                    "{}: is a regular file; --to-device writes only onto a block device (leave "
                    "it out to write a file)",
                    path);
    }
    if (!S_ISBLK(st.st_mode)) {
        const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "not a block device";
        return fail(Errc::refused, "{}: is {}; --to-device writes only onto a block device", path,
                    what);
    }
    // O_EXCL on a block device: fails with EBUSY while it is mounted or held.
    int fd = ::open(path.c_str(), O_WRONLY | O_EXCL | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return fail(err == EBUSY ? Errc::refused : Errc::io, "{}: cannot open the device{}: {}",
                    path, err == EBUSY ? " (mounted or in use)" : "", std::strerror(err));
    }
    auto file = adopt_fd(fd, path);
    struct stat opened {};
    uint64_t size = 0;
    if (::fstat(fd, &opened) != 0 || !S_ISBLK(opened.st_mode) || opened.st_rdev != st.st_rdev) {
        return fail(Errc::refused, "{}: changed while it was opened", path);
    }
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) {
        return fail(Errc::io, "{}: cannot read the device size: {}", path, std::strerror(errno));
    }
    m_entries.push_back({path, {}, fd, std::move(file), true});
    return Device{m_entries.back().file.get(), size};
}

Result<void> OutputSet::link_into_place(Entry& e) {
    std::string proc = fmt::format("/proc/self/fd/{}", e.fd);
    if (!m_force) {
        // linkat never replaces: an output that appeared meanwhile is kept.
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, e.target.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            return fail(errno == EEXIST ? Errc::refused : Errc::io,
                        "{}: cannot link the output into place: {}", e.target,
                        std::strerror(errno));
        }
        return {};
    }
    // Replacing: give the file a temporary name, then rename it over the
    // target (atomic; a symbolic link at the target is replaced, not followed).
    auto [dir, base] = split_path(e.target);
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string temp = fmt::format("{}/{}{}", dir, temp_prefix(base), random_suffix());
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            if (errno == EEXIST) {
                continue;
            }
            return fail(Errc::io, "{}: cannot link the output into place: {}", e.target,
                        std::strerror(errno));
        }
        if (::rename(temp.c_str(), e.target.c_str()) != 0) {
            int err = errno;
            ::unlink(temp.c_str());
            return fail(Errc::io, "{}: cannot rename into place: {}", e.target, std::strerror(err));
        }
        return {};
    }
    return fail(Errc::io, "{}: cannot create a unique temporary name", e.target);
}

Result<void> OutputSet::commit() {
    for (auto& e : m_entries) {
        OVFKIT_TRY(e.file->sync());
    }
    std::set<std::string> dirs;
    for (auto& e : m_entries) {
        if (e.device) {
            continue; // written in place, synced above
        }
        if (std::string why = unreplaceable_target(e.target); !why.empty()) {
            return fail(Errc::refused, "{}", why);
        }
        if (e.temp.empty()) {
            OVFKIT_TRY(link_into_place(e));
        } else if (m_force) {
            if (::rename(e.temp.c_str(), e.target.c_str()) != 0) {
                return fail(Errc::io, "{}: cannot rename into place: {}", e.target,
                            std::strerror(errno));
            }
        } else if (::renameat2(AT_FDCWD, e.temp.c_str(), AT_FDCWD, e.target.c_str(),
                               RENAME_NOREPLACE) != 0) {
            return fail(errno == EEXIST ? Errc::refused : Errc::io,
                        "{}: cannot rename into place: {}", e.target, std::strerror(errno));
        }
        e.temp.clear(); // in place: nothing to clean up
        e.fd = -1;      // and nothing to link
        dirs.insert(split_path(e.target).first);
    }
    for (const auto& d : dirs) {
        sync_dir(d);
    }
    m_entries.clear();
    return {};
}

void OutputSet::abandon() {
    for (auto& e : m_entries) {
        e.file.reset(); // an unnamed file is gone with its last descriptor
        if (!e.temp.empty()) {
            ::unlink(e.temp.c_str());
        }
    }
    m_entries.clear();
}

} // namespace ovfkit::io
