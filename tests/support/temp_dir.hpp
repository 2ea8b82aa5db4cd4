// Test helpers: a temporary directory removed at scope exit, and paths into
// the shared corpus.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ovfkit::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

std::string corpus_path(const std::string& relative);

std::vector<std::byte> read_file(const std::string& path);
void write_file(const std::string& path, const std::vector<std::byte>& data);
void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);

// Runs a shell command, returns its exit status (0..255) and captures stdout.
int run(const std::string& command, std::string* out = nullptr);

} // namespace ovfkit::test
