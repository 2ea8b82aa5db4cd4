#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include <fcntl.h>
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

void sync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

OutputSet::~OutputSet() {
    abandon();
}

Result<File*> OutputSet::create(const std::string& path) {
    auto [dir, base] = split_path(path);
    if (base.empty()) {
        return fail(Errc::usage, "{}: output path names a directory", path);
    }
    struct stat st {};
    if (!m_force && ::lstat(path.c_str(), &st) == 0) {
        return fail(Errc::io, "{}: already exists (use --force to replace it)", path);
    }
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string temp = fmt::format("{}/.{}.ovfkit-tmp-{}", dir, base, random_suffix());
        int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST) {
                continue;
            }
            return fail(Errc::io, "{}: cannot create output: {}", path, std::strerror(errno));
        }
        m_entries.push_back(
            {path, temp, m_direct ? adopt_fd_direct(fd, path) : adopt_fd(fd, path)});
        return m_entries.back().file.get();
    }
    return fail(Errc::io, "{}: cannot create a unique temporary name", path);
}

Result<void> OutputSet::commit() {
    for (auto& e : m_entries) {
        OVFKIT_TRY(e.file->sync());
    }
    std::set<std::string> dirs;
    for (auto& e : m_entries) {
        if (m_force) {
            if (::rename(e.temp.c_str(), e.target.c_str()) != 0) {
                return fail(Errc::io, "{}: cannot rename into place: {}", e.target,
                            std::strerror(errno));
            }
        } else if (::renameat2(AT_FDCWD, e.temp.c_str(), AT_FDCWD, e.target.c_str(),
                               RENAME_NOREPLACE) != 0) {
            return fail(Errc::io, "{}: cannot rename into place: {}", e.target,
                        std::strerror(errno));
        }
        e.temp.clear(); // renamed: nothing to clean up
        dirs.insert(split_path(e.target).first);
    }
    for (const auto& d : dirs) {
        sync_dir(d);
    }
    m_committed = true;
    m_entries.clear();
    return {};
}

void OutputSet::abandon() {
    for (auto& e : m_entries) {
        e.file.reset();
        if (!e.temp.empty()) {
            ::unlink(e.temp.c_str());
        }
    }
    m_entries.clear();
}

} // namespace ovfkit::io
