// The qemu-server VM config (/etc/pve/qemu-server/ID.conf), as the
// importers read it: `key: value` lines of the current config (the part
// before the first `[section]`: snapshots, [PENDING] and [special:...] are
// other configs), `#` lines as the description (percent-decoded), and the
// `#qmdump#map:` lines vzdump appends inside a VMA. Values that are
// property strings (`virtio=MAC,bridge=vmbr0`) are split by
// parse_property_string. Untrusted text: bounded (import_source.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>

namespace ovfkit::platform::proxmox {

struct QmEntry {
    std::string key;
    std::string value;
    size_t line = 0;
};

// `#qmdump#map:<virtdev>:<devname>:<storeid>:<format>:`
struct QmDumpMap {
    std::string drive;  // "scsi0"
    std::string device; // "drive-scsi0"
    std::string storage;
    std::string format;
    size_t line = 0;
};

struct QmConfig {
    std::vector<QmEntry> entries; // the current config, in file order; a key once (the last)
    std::vector<std::pair<std::string, size_t>> duplicates; // keys written again, and where
    std::vector<std::string> sections;                      // names of the sections skipped
    std::vector<size_t> unparsed;                           // lines that are no `key: value`
    std::vector<QmDumpMap> dump_map;
    std::string description;

    const QmEntry* find(std::string_view key) const;
    std::optional<std::string_view> get(std::string_view key) const;
};

// Parses config text; `name` names it in messages. Refused (exit 4): a NUL
// byte, a line over k_import_max_line, more than k_import_max_keys keys, a
// text over k_import_max_config.
Result<QmConfig> parse_qm_config(std::string_view text, std::string_view name);

// Reads and parses the config file at `path` (bounded before reading).
Result<QmConfig> read_qm_config(const std::string& path);

// A property string "default,key=value,...": the first element without '='
// is given `default_key`. Keys in order; nullopt for an empty key.
struct QmProperty {
    std::string key;
    std::string value;
};
std::optional<std::vector<QmProperty>> parse_property_string(std::string_view value,
                                                             std::string_view default_key);
const QmProperty* find_property(const std::vector<QmProperty>& props, std::string_view key);

// pve-common decode_text: %XX escapes back to bytes.
std::string decode_text(std::string_view text);

} // namespace ovfkit::platform::proxmox
