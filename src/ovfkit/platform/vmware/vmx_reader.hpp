// A .vmx file read back (formats/vmware-virtualbox.md A1, A5, C3).
//
// `key = "value"` lines; keys are compared without case (VMware writes
// camelCase, hand edits do not); values are always quoted strings in which
// `|XX` (two hex digits) encodes one byte. The text is untrusted: the file,
// each line and the number of entries are bounded (Errc::refused, exit 4),
// NUL bytes are refused, an escape that is not `|` and two hex digits, a key
// outside [A-Za-z0-9._:-] or a value that does not close its quote is
// Errc::invalid with the line. Only UTF-8 (`.encoding` absent, "UTF-8")
// is read; another charset is Errc::invalid naming it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>

namespace ovfkit::platform::vmware {

struct VmxLimits {
    size_t max_bytes = size_t{4} << 20; // libvirt takes 10 MiB; real files are a few KiB
    size_t max_line = size_t{64} << 10;
    size_t max_keys = 20000;
};

struct VmxEntry {
    std::string key;   // as written
    std::string value; // unescaped
    unsigned line = 0;
};

class VmxConfig {
public:
    // The first entry with this key (any case), as libvirt reads it.
    std::optional<std::string_view> get(std::string_view key) const;
    // "TRUE"/"true"/"yes"/"1" -> true, "FALSE"/... -> false, else nullopt.
    std::optional<bool> get_bool(std::string_view key) const;
    // The line of the first entry with this key, 0 when absent.
    unsigned line(std::string_view key) const;

    const std::vector<VmxEntry>& entries() const { return m_entries; }
    // Keys written more than once (lower-cased), with the line of the repeat.
    const std::vector<std::pair<std::string, unsigned>>& duplicates() const { return m_duplicates; }

private:
    friend Result<VmxConfig> parse_vmx(std::string_view, std::string_view, const VmxLimits&);
    std::vector<VmxEntry> m_entries;
    std::map<std::string, size_t, std::less<>> m_index; // lower-cased key -> first entry
    std::vector<std::pair<std::string, unsigned>> m_duplicates;
};

// Parses `text`; `name` starts every message ("vm.vmx:12: ...").
Result<VmxConfig> parse_vmx(std::string_view text, std::string_view name,
                            const VmxLimits& limits = {});

// Reads and parses the file at `path`, reading at most limits.max_bytes + 1.
Result<VmxConfig> read_vmx(const std::string& path, const VmxLimits& limits = {});

// `|XX` decoding of one value; nullopt for a malformed escape.
std::optional<std::string> vmx_unescape(std::string_view value);

} // namespace ovfkit::platform::vmware
