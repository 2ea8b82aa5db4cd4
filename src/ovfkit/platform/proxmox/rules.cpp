// Proxmox's value rules, as qemu-server and pve-common enforce them
// (../shared formats/kvm-xen-hyperv.md sections 3 and 10), and the two
// encodings the writers need.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/platform/mac.hpp>
#include <ovfkit/platform/proxmox/map.hpp>

namespace ovfkit::platform::proxmox {

namespace {

constexpr bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr size_t k_label_max = 63;
constexpr size_t k_name_max = 253;

} // namespace

// qemu-server's `name` is pve-common's dns-name: labels of letters, digits
// and inner hyphens, joined by dots. White space and underscores become
// hyphens (as Proxmox's own OVF import does; runs of them one hyphen),
// everything else outside the alphabet is dropped, and empty labels, edge
// hyphens and overlong labels are cut.
std::string dns_name(std::string_view text) {
    std::string mapped;
    for (char c : text.substr(0, 4096)) {
        if (is_space(c) || c == '_' || c == '-') {
            if (mapped.empty() || mapped.back() != '-') {
                mapped += '-';
            }
        } else if (c == '.' || is_alnum(c)) {
            mapped += c;
        }
    }
    std::string out;
    size_t start = 0;
    while (start <= mapped.size()) {
        size_t dot = mapped.find('.', start);
        if (dot == std::string::npos) {
            dot = mapped.size();
        }
        std::string label = mapped.substr(start, dot - start);
        size_t first = label.find_first_not_of('-');
        label = first == std::string::npos ? "" : label.substr(first);
        if (label.size() > k_label_max) {
            label.resize(k_label_max);
        }
        while (!label.empty() && label.back() == '-') {
            label.pop_back();
        }
        if (!label.empty() && out.size() + 1 + label.size() <= k_name_max) {
            out += out.empty() ? "" : ".";
            out += label;
        }
        start = dot + 1;
    }
    return out;
}

bool is_dns_name(std::string_view text) {
    return !text.empty() && dns_name(text) == text;
}

bool is_bridge_name(std::string_view text) {
    if (text.empty() || text.size() > 15) {
        return false;
    }
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool is_ostype(std::string_view text) {
    static constexpr std::array<std::string_view, 13> k{
        "other", "wxp",   "w2k",   "w2k3", "w2k8", "wvista", "win7",
        "win8",  "win10", "win11", "l24",  "l26",  "solaris"};
    return std::find(k.begin(), k.end(), text) != k.end();
}

bool is_scsihw(std::string_view text) {
    static constexpr std::array<std::string_view, 6> k{
        "lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi"};
    return std::find(k.begin(), k.end(), text) != k.end();
}

bool is_nic_model(std::string_view text) {
    // The models map() writes; qm knows a few more (ne2k_pci, i82551 ...).
    static constexpr std::array<std::string_view, 6> k{"virtio",  "e1000",   "e1000e",
                                                       "vmxnet3", "rtl8139", "pcnet"};
    return std::find(k.begin(), k.end(), text) != k.end();
}

bool is_file_name(std::string_view text) {
    if (text.empty() || text.size() > 255 || text == "." || text == ".." || text[0] == '-') {
        return false;
    }
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::string_view slot_prefix(Bus bus) {
    switch (bus) {
    case Bus::ide:
        return "ide";
    case Bus::sata:
        return "sata";
    case Bus::scsi:
        return "scsi";
    case Bus::virtio:
        return "virtio";
    case Bus::nvme:
        break;
    }
    return "";
}

// pve-common encode_text: `%`, `:`, control characters and every byte
// from 0x7F up as %XX, so a description line can never end early or start
// a key.
std::string encode_text(std::string_view text) {
    std::string out;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7F || c == '%' || c == ':') {
            out += fmt::format("%{:02X}", c);
        } else {
            out += ch;
        }
    }
    return out;
}

// Inside single quotes a POSIX shell takes every byte literally, newlines
// included; a quote itself closes, is escaped and reopens: ' -> '\''.
std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

} // namespace ovfkit::platform::proxmox
