// Outputs that appear whole or not at all (SECURITY.md R23, R24).
//
// Each output is created as ".<name>.ovfkit-tmp-<random>" beside its target
// with O_EXCL|O_NOFOLLOW, written, fsync'ed, then renamed into place when the
// whole operation commits. Anything not committed is unlinked by the
// destructor, so an error, an exception or a refusal in the middle of a
// multi-file conversion leaves nothing behind that looks complete.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ovfkit/io/file.hpp>

namespace ovfkit::io {

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

    // Syncs and renames every output into place, then syncs the directories.
    Result<void> commit();

    // Unlinks every temporary file (also done by the destructor).
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

private:
    struct Entry {
        std::string target;
        std::string temp;
        std::unique_ptr<File> file;
    };
    bool m_force;
    bool m_direct;
    bool m_committed = false;
    std::vector<Entry> m_entries;
};

} // namespace ovfkit::io
