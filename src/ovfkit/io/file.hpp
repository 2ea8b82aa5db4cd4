// Positional file I/O behind a small interface.
//
// Formats never open paths themselves: they get a File (an OS file, a range
// of an OVA member, or a MemFile in tests) and, when a format refers to other
// files, a Directory that opens names strictly beneath the image's directory.
// This is what lets a disk stream straight into an OVA and what keeps a
// hostile image from naming /etc/shadow (SECURITY.md R1, R5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ovfkit/base/error.hpp>

namespace ovfkit::io {

// What makes two open files the same file whatever their names (hard links,
// two names of one inode): st_dev and st_ino.
struct FileId {
    uint64_t device = 0;
    uint64_t inode = 0;
    bool operator==(const FileId&) const = default;
};

class File {
public:
    virtual ~File() = default;

    // The name used in messages (the path as given, or a member name).
    virtual const std::string& name() const = 0;

    // Reads up to out.size() bytes at `offset`; returns the count read, which
    // is short only at end of file.
    virtual Result<size_t> pread(std::span<std::byte> out, uint64_t offset) = 0;

    // Writes all of `data` at `offset`, growing the file as needed.
    virtual Result<void> pwrite(std::span<const std::byte> data, uint64_t offset) = 0;

    virtual Result<uint64_t> size() = 0;
    // The file's identity on the host (fstat); nullopt for files that are
    // not host files of their own (MemFile, an OVA member).
    virtual std::optional<FileId> identity() const { return std::nullopt; }
    virtual Result<void> truncate(uint64_t size) = 0;
    virtual Result<void> sync() = 0;

    // Allocation of the underlying storage: the first offset >= `offset` that
    // holds data / a hole (SEEK_DATA / SEEK_HOLE). The default treats the
    // whole file as data; past the end both return the file size.
    virtual Result<uint64_t> next_data(uint64_t offset);
    virtual Result<uint64_t> next_hole(uint64_t offset);

    // True when whole aligned pages are written with O_DIRECT, past the page
    // cache (see adopt_fd_direct); direct_bytes() counts the bytes so written.
    virtual bool direct_writes() const { return false; }
    virtual uint64_t direct_bytes() const { return 0; }

    // Makes [offset, offset+length) read as zeros without writing data where
    // the storage allows (hole punching); the default writes zeros.
    virtual Result<void> write_zeroes(uint64_t offset, uint64_t length);
};

// Reads exactly out.size() bytes or fails naming the file, offset and length.
Result<void> read_exact(File& file, std::span<std::byte> out, uint64_t offset);

// Reads the part of [offset, offset + out.size()) below `limit` exactly and
// fills the rest with zeros: a salvaged image's structures cut off by the end
// of the file (the caller has listed them as missing).
Result<void> read_below(File& file, std::span<std::byte> out, uint64_t offset, uint64_t limit);

// Opens a regular file read-only; refuses FIFOs, devices, sockets and
// directories (they can block forever or never end).
Result<std::unique_ptr<File>> open_read(const std::string& path);

// Wraps an already-open descriptor (takes ownership).
std::unique_ptr<File> adopt_fd(int fd, std::string name);

// As adopt_fd, for an output: writes whose offset, length and buffer address
// are multiples of the page size (and of the file system's direct I/O
// alignment) go through a second O_DIRECT descriptor, past the page cache;
// everything else, and everything on file systems without direct I/O, is
// written as usual. A conversion then does not evict the host's page cache
// and its final fsync has little left to flush.
std::unique_ptr<File> adopt_fd_direct(int fd, std::string name);

// Opens names strictly beneath one directory: one path component, no "..",
// no symlinks, regular files only (openat2 RESOLVE_BENEATH|NO_SYMLINKS, with a
// per-component O_NOFOLLOW fallback on old kernels).
// The most entries a directory listing reads (Directory::names).
inline constexpr size_t k_max_directory_entries = 100'000;

class Directory {
public:
    // Opens `path` as the base directory.
    static Result<Directory> open(const std::string& path);
    // The directory that holds `file_path`.
    static Result<Directory> of_file(const std::string& file_path);

    Directory(Directory&& other) noexcept;
    Directory& operator=(Directory&& other) noexcept;
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;
    ~Directory();

    // Opens a file named by untrusted data. Fails with Errc::refused when the
    // name is not a single safe component (SECURITY.md R3) or resolves to
    // anything but a regular file beneath this directory.
    Result<std::unique_ptr<File>> open_read(std::string_view name) const;
    bool exists(std::string_view name) const;

    // Every entry's name but "." and "..", in no particular order; more than
    // `limit` entries is Errc::refused (a package directory is not a place
    // for millions of files, and nothing reads an unbounded listing).
    Result<std::vector<std::string>> names(size_t limit) const;

    const std::string& path() const { return m_path; }
    int fd() const { return m_fd; }

private:
    Directory(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
    int m_fd = -1;
    std::string m_path;
};

// Checks a file name taken from untrusted data: one component, no "." or "..",
// no '/', '\\', ':', NUL or control characters, no leading '-', at most 255
// bytes. Returns the reason when it is not acceptable.
Result<void> check_member_name(std::string_view name);

} // namespace ovfkit::io
