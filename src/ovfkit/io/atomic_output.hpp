// Outputs that appear whole or not at all (SECURITY.md R23, R24).
//
// Each output is created as an unnamed file in its target's directory
// (O_TMPFILE) where the file system allows it, written, fsync'ed, and linked
// into place when the whole operation commits: a process killed at any
// moment, even by SIGKILL, leaves nothing behind. Where O_TMPFILE is not
// supported, the output is a named ".<name>.ovfkit-tmp-<random>" created with
// O_EXCL|O_NOFOLLOW and held under an exclusive flock while it is written;
// such a file left by a killed process is removed by the next run that
// writes the same target (its lock is free). Anything not committed is
// removed by the destructor, so an error, an exception or a refusal in the
// middle of a multi-file conversion leaves nothing that looks complete.
//
// Only regular files are ever replaced (with `force`), and a symbolic link
// at the target is replaced, never written through. A directory, device,
// FIFO or socket at the target is refused (Errc::refused) whatever `force`
// says. The one exception is asked for explicitly: open_device() writes an
// existing block device in place (disk convert --to-device).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ovfkit/io/file.hpp>

namespace ovfkit::io {

// Why `path` must not be replaced by an output: a message for a directory,
// device, FIFO or socket at `path`; empty when it is absent, a regular file
// or a symbolic link (which `force` may replace).
std::string unreplaceable_target(const std::string& path);

class OutputSet {
public:
    // `force` allows replacing existing targets; otherwise an existing target
    // is an error, both at create() and (race-free) at commit().
    // `direct`: outputs write aligned pages past the page cache (adopt_fd_direct).
    explicit OutputSet(bool force = false, bool direct = false)
        : m_force(force), m_direct(direct) {}
    OutputSet(const OutputSet&) = delete;
    OutputSet& operator=(const OutputSet&) = delete;
    ~OutputSet();

    // Creates a temporary file that becomes `path` on commit(). The returned
    // File stays owned by the set and valid until commit() or destruction.
    Result<File*> create(const std::string& path);

    // An existing block device at `path`, opened for writing in place: it is
    // never replaced, truncated or removed (a failed conversion leaves it
    // partly written, as dd or qemu-img would), and is synced on commit().
    // Opened O_EXCL, so a mounted or otherwise busy device is refused. A
    // regular file is Errc::usage (no device to write); a directory,
    // character device, FIFO or socket is Errc::refused.
    struct Device {
        File* file = nullptr;
        uint64_t size = 0; // bytes (BLKGETSIZE64)
    };
    Result<Device> open_device(const std::string& path);

    // Syncs and links or renames every output into place, then syncs the
    // directories.
    Result<void> commit();

    // Removes every uncommitted output (also done by the destructor).
    void abandon();

    // Bytes the outputs wrote with O_DIRECT so far.
    uint64_t direct_bytes() const {
        uint64_t n = 0;
        for (const auto& e : m_entries) {
            n += e.file->direct_bytes();
        }
        return n;
    }

    // The final paths of the outputs created so far, in creation order.
    std::vector<std::string> targets() const {
        std::vector<std::string> out;
        for (const auto& e : m_entries) {
            out.push_back(e.target);
        }
        return out;
    }

    // Named temporaries only, as on file systems without O_TMPFILE (tests).
    void use_named_temporaries() { m_named_only = true; }

    // True when every output so far is an unnamed O_TMPFILE file (for tests).
    bool unnamed() const {
        for (const auto& e : m_entries) {
            if (!e.temp.empty()) {
                return false;
            }
        }
        return true;
    }

private:
    struct Entry {
        std::string target;
        std::string temp; // named temporary; empty for an unnamed (O_TMPFILE) file
        int fd = -1;      // the output's descriptor (owned by `file`)
        std::unique_ptr<File> file;
        bool device = false; // written in place (open_device)
    };
    Result<void> link_into_place(Entry& e);

    bool m_force;
    bool m_direct;
    bool m_named_only = false;
    std::vector<Entry> m_entries;
};

} // namespace ovfkit::io
