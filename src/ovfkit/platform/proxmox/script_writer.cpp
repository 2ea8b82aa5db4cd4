// import.sh: creates every VM of the plan with qm on a Proxmox VE node, in
// start order. The script's code is fixed text; what comes from the
// appliance (name, description, bridges, file names) appears only as
// single-quoted words (shell_quote), already checked against qm's rules by
// check_mapped, so no appliance text is ever shell code (SECURITY.md R22).
// The user's VMID and storages are checked by the script before use.
#include <fmt/format.h>

#include <ovfkit/platform/proxmox/check.hpp>
#include <ovfkit/platform/proxmox/map.hpp>

namespace ovfkit::platform::proxmox {

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;

constexpr std::string_view k_head = R"SH(#!/bin/sh
# import.sh: creates this appliance's VMs on a Proxmox VE node (written by
# ovfkit; see the .conf files beside it for each VM's configuration).
#
# Usage: ./import.sh [VMID [STORAGE [ISO_STORAGE]]]
#   VMID         id of the first VM; the others take the ids after it
#                (default: the cluster's next free id, for each VM)
#   STORAGE      storage for the disks and EFI/TPM state (default: local-lvm)
#   ISO_STORAGE  storage with content "iso" for CD images (default: local)
# Run as root on the node. The disks are read from this script's directory.
# Every appliance value below is a single-quoted literal, `$(...)` and all.
# shellcheck disable=SC2016
set -eu
LC_ALL=C
export LC_ALL

die() {
    printf 'import.sh: %s\n' "$1" >&2
    exit 1
}

# A Proxmox storage id: a letter, then letters, digits, '-' or '_'.
valid_storage() {
    case $1 in
    '' | ? | [!A-Za-z]* | *[!A-Za-z0-9_-]*) return 1 ;;
    esac
    return 0
}

first_id=${1-}
storage=${2-local-lvm}
iso_storage=${3-local}
case $first_id in
'') ;;
*[!0-9]* | 0* | ??????????*) die "VMID must be a number from 100 to 999999999" ;;
*)
    if [ "$first_id" -lt 100 ]; then
        die "VMID must be a number from 100 to 999999999"
    fi
    ;;
esac
valid_storage "$storage" || die "not a storage id: $storage"
valid_storage "$iso_storage" || die "not a storage id: $iso_storage"
command -v qm >/dev/null 2>&1 || die "qm not found: run this on a Proxmox VE node"
cd -- "$(dirname -- "$0")"

# next_id N: the id of the Nth VM (from 0).
next_id() {
    if [ -n "$first_id" ]; then
        echo $((first_id + $1))
        return
    fi
    nid=$(pvesh get /cluster/nextid | tr -cd '0-9')
    [ -n "$nid" ] || die "pvesh get /cluster/nextid gave no id"
    echo "$nid"
}

# import_disk VMID FILE SLOT OPTIONS: import FILE onto the storage, then
# attach the new volume (qm leaves it as unused0) at SLOT.
import_disk() {
    qm importdisk "$1" "$2" "$storage"
    volume=$(qm config "$1" | sed -n 's/^unused0: //p')
    [ -n "$volume" ] || die "qm importdisk $2: no unused0 volume on VM $1"
    qm set "$1" "--$3" "$volume$4"
}

# attach_iso VMID FILE NAME SLOT: copy FILE to the ISO storage as NAME and
# insert it at SLOT.
attach_iso() {
    iso_path=$(pvesm path "$iso_storage:iso/$3")
    [ -n "$iso_path" ] || die "storage $iso_storage has no path for iso/$3"
    cp -- "$2" "$iso_path"
    qm set "$1" "--$4" "$iso_storage:iso/$3,media=cdrom"
}

# A failure after a VM was created removes the VMs this run created.
created=
cleanup() {
    status=$?
    if [ "$status" -ne 0 ] && [ -n "$created" ]; then
        for vmid in $created; do
            printf 'import.sh: removing VM %s after the failure\n' "$vmid" >&2
            qm destroy "$vmid" --purge || true
        done
    fi
}
trap cleanup EXIT
)SH";

} // namespace

Result<std::string> write_script(const ExportPlan& plan) {
    for (const auto& vm : plan.vms) {
        if (auto ok = check_mapped(vm); !ok) {
            return tl::unexpected(ok.error());
        }
    }
    std::string out(k_head);
    // Fail before creating anything when a file is missing.
    std::string files;
    for (const auto& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            files += " " + shell_quote(d.file_name);
        }
        for (const auto& cd : vm.cdroms) {
            if (!cd.file_name.empty()) {
                files += " " + shell_quote(cd.file_name);
            }
        }
    }
    if (!files.empty()) {
        out += fmt::format("\nfor f in{}; do\n    [ -f \"$f\" ] || die \"missing file: $f\"\n"
                           "done\n",
                           files);
    }
    const auto names = config_names(plan);
    for (size_t k = 0; k < plan.vms.size(); ++k) {
        const PlanVm& vm = plan.vms[k];
        out += fmt::format("\n# VM {} of {}: {} ({})\n", k + 1, plan.vms.size(), vm.name, names[k]);
        out += fmt::format("id=$(next_id {})\n", k);
        std::string create = "qm create \"$id\"";
        auto arg = [&](std::string_view option, std::string_view value) {
            create += fmt::format(" \\\n    --{} {}", option, shell_quote(value));
        };
        arg("name", vm.name);
        arg("ostype", ostype(vm));
        arg("sockets", "1");
        arg("cores", fmt::format("{}", vm.cpus));
        arg("memory", fmt::format("{}", vm.memory_bytes / k_mib));
        arg("bios", vm.firmware == Firmware::efi ? "ovmf" : "seabios");
        if (vm.firmware == Firmware::efi) {
            arg("machine", "q35");
            create += fmt::format(" \\\n    --efidisk0 \"$storage:1\"{}",
                                  shell_quote(efidisk_options(vm)));
        }
        if (vm.tpm) {
            create += " \\\n    --tpmstate0 \"$storage:1\"',version=v2.0'";
        }
        for (const auto& c : vm.controllers) {
            if (c.bus == Bus::scsi) {
                arg("scsihw", c.model);
            }
        }
        for (size_t i = 0; i < vm.nics.size(); ++i) {
            arg(fmt::format("net{}", i), net_value(vm.nics[i]));
        }
        if (std::string s = startup(vm); !s.empty()) {
            arg("startup", s);
        }
        if (!vm.description.empty()) {
            arg("description", vm.description);
        }
        out += create + "\ncreated=\"$created $id\"\n";
        for (const auto& d : vm.disks) {
            out += fmt::format("import_disk \"$id\" {} {} {}\n", shell_quote(d.file_name),
                               shell_quote(slot_name(vm, d.controller, d.unit)),
                               shell_quote(drive_options(vm, d)));
        }
        for (const auto& cd : vm.cdroms) {
            std::string slot = shell_quote(slot_name(vm, cd.controller, cd.unit));
            if (cd.file_name.empty()) {
                out += fmt::format("qm set \"$id\" --{} 'none,media=cdrom'\n",
                                   slot_name(vm, cd.controller, cd.unit));
            } else {
                std::string iso =
                    cd.file_name.ends_with(".iso") ? cd.file_name : cd.file_name + ".iso";
                out += fmt::format("attach_iso \"$id\" {} \"ovfkit-$id-\"{} {}\n",
                                   shell_quote(cd.file_name), shell_quote(iso), slot);
            }
        }
        if (!vm.disks.empty()) {
            out += fmt::format("qm set \"$id\" --boot {}\n", shell_quote(boot_order(vm)));
        }
        out += fmt::format("printf 'import.sh: created VM %s (%s)\\n' \"$id\" {}\n",
                           shell_quote(vm.name));
    }
    out += "\ncreated=\n";
    return out;
}

Result<std::vector<OutputFile>> write_files(const ExportPlan& plan) {
    std::vector<OutputFile> files;
    const auto names = config_names(plan);
    for (size_t k = 0; k < plan.vms.size(); ++k) {
        auto conf = write_config(plan, plan.vms[k]);
        if (!conf) {
            return tl::unexpected(conf.error());
        }
        files.push_back(OutputFile{names[k], std::move(*conf), false});
    }
    auto script = write_script(plan);
    if (!script) {
        return tl::unexpected(script.error());
    }
    files.push_back(OutputFile{"import.sh", std::move(*script), true});
    return files;
}

} // namespace ovfkit::platform::proxmox
