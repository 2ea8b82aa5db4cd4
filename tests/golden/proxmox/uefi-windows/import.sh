#!/bin/sh
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

for f in 'disk1.raw' 'disk2.raw'; do
    [ -f "$f" ] || die "missing file: $f"
done

# VM 1 of 1: win11 (win11.conf)
id=$(next_id 0)
qm create "$id" \
    --name 'win11' \
    --ostype 'win10' \
    --sockets '1' \
    --cores '4' \
    --memory '8192' \
    --bios 'ovmf' \
    --machine 'q35' \
    --efidisk0 "$storage:1"',efitype=4m,pre-enrolled-keys=1' \
    --tpmstate0 "$storage:1"',version=v2.0' \
    --scsihw 'pvscsi' \
    --net0 'e1000e,bridge=vmbr0'
created="$created $id"
import_disk "$id" 'disk1.raw' 'scsi0' ',discard=on'
import_disk "$id" 'disk2.raw' 'sata0' ',discard=on'
qm set "$id" --sata1 'none,media=cdrom'
qm set "$id" --boot 'order=scsi0;sata0'
printf 'import.sh: created VM %s (%s)\n' "$id" 'win11'

created=
