#!/usr/bin/env bash
# `ovfkit convert ID.conf OUT.ova --volume STORAGE:NAME=PATH` and
# `ovfkit convert vzdump.vma[.zst] OUT.ova` (docs/import.md ## Proxmox):
#   - every corpus qm config, with small stand-in disks for the volumes it
#     names, imports into an OVA whose envelope validates against the DMTF
#     schema, with the CPUs, memory, firmware and disks qemu-server reads
#     (virt-v2v has no Proxmox input to compare with);
#   - hostile configs are refused with exit 4 and nothing written: an
#     unmapped volume (the message gives the --volume to add), a PATH with
#     '..', an absolute PATH, /dev/sda, a 10 MB line, 100 000 keys;
#   - the test appliance exported with --to proxmox imports back with the
#     same plan but the translations the export reported, and its disk
#     compares identical and boots on the bus the config gives it (one
#     boot; OVFKIT_SKIP_BOOT=1 skips it);
#   - that disk in a VMA made by tests/support/make-vma (zstd, 3 frames,
#     clusters interleaved with a second disk) imports into an OVA whose disk
#     qemu-img finds identical; a truncated archive is exit 1, a cluster past
#     its device exit 4.
. "$(dirname "$0")/../lib.sh"
need python3
need qemu-img
need zstd
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}
[[ -d $corpus/proxmox ]] || skip "the shared corpus is not beside the checkout"
support=$OVFKIT_SOURCE_DIR/tests/support

plan_json() {
  "$OVFKIT" convert "$1" "$T/plan-out" --to ovf --dry-run --json --accept-eula "${@:2}"
}

# volumes CONF: "DRIVE VOLUME" for each disk of the current config.
volumes() {
  python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    if line.startswith("["):
        break
    m = re.match(r"^((?:ide|sata|scsi|virtio)\d+): ([^,\s]+)(.*)$", line)
    if m and "media=cdrom" not in m.group(3):
        print(m.group(1), m.group(2))
PY
}

imported=0
for conf in "$corpus"/proxmox/*.conf; do
  name=$(basename "$conf" .conf)
  d=$T/c/$name; mkdir -p "$d"; cp "$conf" "$d/"
  args=()
  while read -r drive vol; do
    qemu-img create -q -f qcow2 "$d/$drive.qcow2" 64M
    args+=(--volume "$vol=$drive.qcow2")
  done < <(volumes "$conf")
  expect_rc 0 "$OVFKIT" convert -q "$d/$name.conf" "$T/c/$name.ova" "${args[@]}"
  expect_rc 0 "$OVFKIT" validate --schema "$T/c/$name.ova"
  # info and validate take the same --volume mapping as convert.
  if ((${#args[@]})); then
    expect_rc 4 "$OVFKIT" info "$d/$name.conf"
    grep -q -- "add --volume" "$T/err" || fail "$name: info without --volume: $(cat "$T/err")"
    expect_rc 0 "$OVFKIT" info --json "$d/$name.conf" "${args[@]}"
    python3 -c 'import json,sys; (vs,)=json.load(open(sys.argv[1]))["virtual_systems"]; assert len(vs["disks"])==int(sys.argv[2]), vs["disks"]' \
      "$T/out" "$((${#args[@]} / 2))" || fail "$name: info --volume does not list every disk: $(cat "$T/out")"
    expect_rc 0 "$OVFKIT" validate "$d/$name.conf" "${args[@]}"
  fi
  expect_rc 0 plan_json "$d/$name.conf" "${args[@]}" --keep-macs
  python3 - "$d/$name.conf" "$T/out" <<'PY' || fail "$name: the plan is not the config: $(cat "$T/out")"
import json, re, sys
keys = {}
for line in open(sys.argv[1]):
    if line.startswith("["):
        break
    m = re.match(r"^([a-z][a-z_-]*\d*): (.*)$", line.rstrip("\n"))
    if m:
        keys[m.group(1)] = m.group(2)
(vm,) = json.load(open(sys.argv[2]))["vms"]
assert vm["cpus"] == int(keys.get("cores", 1)) * int(keys.get("sockets", 1)), vm["cpus"]
assert vm["memory_bytes"] == int(keys.get("memory", 512)) << 20, vm["memory_bytes"]
assert vm["firmware"] == ("efi" if keys.get("bios") == "ovmf" else "bios"), vm["firmware"]
disks = [k for k, v in keys.items() if re.match(r"(ide|sata|scsi|virtio)\d+$", k) and "media=cdrom" not in v]
assert len(vm["disks"]) == len(disks), (vm["disks"], disks)
for d in vm["disks"]:
    assert d["capacity_bytes"] == 64 << 20, d
nets = sorted(k for k in keys if re.match(r"net\d+$", k))
assert len(vm["nics"]) == len(nets)
for n, k in zip(vm["nics"], nets):
    mac = re.search(r"=([0-9A-Fa-f:]{17})", keys[k]).group(1).lower()
    assert n["mac"] == mac and n["network"] == re.search(r"bridge=([^,]+)", keys[k]).group(1), (n, keys[k])
PY
  imported=$((imported + 1))
done
((imported >= 5)) || fail "only $imported corpus configs imported"

# Hostile configs and mappings: exit 4, one clear line, nothing written.
hostile() { # NAME EXPECTED-TEXT [ARGS]: imports $T/h/NAME/100.conf
  local dir=$T/h/$1 want=$2; shift 2
  set +e; "$OVFKIT" convert -q "$dir/100.conf" "$T/h/$(basename "$dir").ova" "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == 4 ]] || fail "$dir: exit $rc, expected 4: $(cat "$T/err")"
  grep -qF -- "$want" "$T/err" || fail "$dir: the message does not say '$want': $(cat "$T/err")"
  [[ $(wc -l <"$T/err") == 1 ]] || fail "$dir: more than one line: $(cat "$T/err")"
  [[ ! -e $T/h/$(basename "$dir").ova ]] || fail "$dir: refused but wrote the OVA"
}
newvm() { mkdir -p "$T/h/$1"; printf 'memory: 256\nscsi0: %s,size=64M\n' "$2" >"$T/h/$1/100.conf"; }
newvm unmapped local-lvm:vm-100-disk-0
hostile unmapped '100.conf:2: scsi0: the volume "local-lvm:vm-100-disk-0" is not mapped to a file; add --volume local-lvm:vm-100-disk-0=PATH'
qemu-img create -q -f qcow2 "$T/h/outside.qcow2" 64M
hostile unmapped "a path out of the config's directory" --volume local-lvm:vm-100-disk-0=../outside.qcow2
hostile unmapped "an absolute path" --volume "local-lvm:vm-100-disk-0=$T/h/outside.qcow2"
hostile unmapped '"/dev/sda": a host device' --volume local-lvm:vm-100-disk-0=/dev/sda --allow-absolute-paths
newvm device /dev/sda; hostile device '"/dev/sda": a host device' --allow-absolute-paths
newvm dotdot local-lvm:0,import-from=../outside.qcow2; hostile dotdot "a path out of the config's directory"
mkdir -p "$T/h/longline"; python3 -c 'import sys; open(sys.argv[1],"w").write("name: " + "x"*(10<<20) + "\n")' "$T/h/longline/100.conf"
hostile longline 'a line of'
mkdir -p "$T/h/keys"; python3 -c 'import sys; open(sys.argv[1],"w").write("".join("k%d: v\n" % i for i in range(100000)))' "$T/h/keys/100.conf"
hostile keys 'more than 20000 entries'
# Allowed, an absolute PATH is read.
expect_rc 0 "$OVFKIT" convert -q "$T/h/unmapped/100.conf" "$T/h/abs.ova" --allow-absolute-paths \
  --volume "local-lvm:vm-100-disk-0=$T/h/outside.qcow2"
expect_rc 0 "$OVFKIT" info "$T/h/unmapped/100.conf" --allow-absolute-paths \
  --volume "local-lvm:vm-100-disk-0=$T/h/outside.qcow2"
expect_rc 4 "$OVFKIT" info "$T/h/unmapped/100.conf" --volume "local-lvm:vm-100-disk-0=$T/h/outside.qcow2"

# Round trip: the test appliance -> --to proxmox -> imported back.
token="import-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then echo "no kernel package for the guest: round trip not run"; echo ok; exit 0; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }
expect_rc 0 "$OVFKIT" convert "$T/app.ova" "$T/pve" --to proxmox --accept-eula --json \
  --prop admin_password=secret123
cp "$T/out" "$T/export.json"
conf=$(ls "$T/pve"/*.conf)
expect_rc 0 "$OVFKIT" convert -q "$conf" "$T/back.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/back.ova"
expect_rc 0 plan_json "$T/app.ova" --prop admin_password=secret123
cp "$T/out" "$T/orig.plan.json"
expect_rc 0 plan_json "$conf"
cp "$T/out" "$T/back.plan.json"
python3 - "$T/orig.plan.json" "$T/export.json" "$T/back.plan.json" <<'PY' || fail "round trip: $(cat "$T/out")"
import json, sys
(orig,) = json.load(open(sys.argv[1]))["vms"]
export = json.load(open(sys.argv[2]))
(exp,) = export["vms"]
(back,) = json.load(open(sys.argv[3]))["vms"]
noted = {n["code"] for n in export.get("notes", [])}
for k in ("cpus", "memory_bytes", "firmware", "secure_boot"):
    assert back[k] == orig[k], (k, back[k], orig[k])
# ostype keeps the family only (l26): a Linux distribution comes back as
# generic 64-bit Linux.
assert back["os"]["key"] in (orig["os"]["key"], "linux-64"), (back["os"], orig["os"])
def disks(vm):
    c = {x["id"]: x for x in vm["controllers"]}
    return [(c[d["controller"]]["bus"], d["unit"], d["capacity_bytes"]) for d in vm["disks"]]
# Disks where the export put them (the buses and slots it noted).
assert disks(back) == disks(exp), (disks(back), disks(exp))
assert disks(back) == disks(orig) or noted, (disks(back), disks(orig))
nics = lambda vm: [(n["model"], n["network"]) for n in vm["nics"]]
assert nics(back) == nics(exp), (nics(back), nics(exp))
assert [m for m, _ in nics(back)] == [m for m, _ in nics(orig)] or "nic-model" in noted
assert len(back["cdroms"]) == len(exp["cdroms"]), (back["cdroms"], exp["cdroms"])
PY
mkdir "$T/back-x" "$T/app-x" && tar xf "$T/back.ova" -C "$T/back-x" && tar xf "$T/app.ova" -C "$T/app-x"
expect_rc 0 qemu-img compare -q "$T/app-x/env-guest-disk1.vmdk" "$T/back-x/$(cd "$T/back-x" && ls *.vmdk)"
# The imported disk boots on the bus the imported config gives it (one boot).
if [[ -z ${OVFKIT_SKIP_BOOT:-} ]] && command -v qemu-system-x86_64 >/dev/null; then
  bus=$(boot_bus "$T/back.plan.json")
  BOOT_CHECK_S=${BOOT_CHECK_S:-300} "$support/boot-with-cd" "$T/back-x/$(cd "$T/back-x" && ls *.vmdk)" vmdk "$token" "$bus" none >/dev/null ||
    fail "the imported disk does not boot on $bus"
fi

# A VMA of that disk (and a second, interleaved), zstd in three frames.
v=$T/vma; mkdir "$v"
qemu-img convert -q -O raw "$T/app-x/env-guest-disk1.vmdk" "$v/disk.raw"
python3 -c 'import sys; f=open(sys.argv[1],"wb"); f.truncate(3<<20); f.seek(1<<20); f.write(b"second"*999)' "$v/data.raw"
{ grep -v '^sata\|^scsi\|^virtio\|^ide[01]\|^boot' "$conf"
  echo "boot: order=scsi0"
  echo "scsi0: local-lvm:vm-100-disk-0,size=$(stat -c %s "$v/disk.raw")"
  echo "scsi1: local-lvm:vm-100-disk-1,size=3M"
  echo "#qmdump#map:scsi0:drive-scsi0:local-lvm:raw:"
  echo "#qmdump#map:scsi1:drive-scsi1:local-lvm:raw:"; } >"$v/qemu-server.conf"
python3 "$support/make-vma" "$v/vzdump-qemu-100.vma.zst" --config "qemu-server.conf=$v/qemu-server.conf" \
  --device "drive-scsi0=$v/disk.raw" --device "drive-scsi1=$v/data.raw" --order interleave --zstd --frames 3
# Sizes come from the archive's header: info, validate and a dry run stage
# nothing (a TMPDIR that cannot hold a staging directory proves it); only
# reading the disks does.
TMPDIR=$T/none expect_rc 0 "$OVFKIT" validate "$v/vzdump-qemu-100.vma.zst"
TMPDIR=$T/none expect_rc 0 "$OVFKIT" info --json "$v/vzdump-qemu-100.vma.zst"
grep -q '3145728' "$T/out" || fail "info does not give the second disk's 3 MiB: $(cat "$T/out")"
TMPDIR=$T/none expect_rc 0 "$OVFKIT" convert "$v/vzdump-qemu-100.vma.zst" "$T/dry" --to libvirt --dry-run
TMPDIR=$T/none expect_rc 3 "$OVFKIT" convert -q "$v/vzdump-qemu-100.vma.zst" "$T/vma.ova"
grep -q "staging directory" "$T/err" || fail "convert without a TMPDIR: $(cat "$T/err")"
[[ ! -e $T/vma.ova ]] || fail "a failed VMA staging wrote the OVA"
expect_rc 0 "$OVFKIT" convert -q "$v/vzdump-qemu-100.vma.zst" "$T/vma.ova"
expect_rc 0 "$OVFKIT" validate --schema "$T/vma.ova"
mkdir "$T/vma-x" && tar xf "$T/vma.ova" -C "$T/vma-x"
expect_rc 0 qemu-img compare -q "$v/disk.raw" "$T/vma-x/$(cd "$T/vma-x" && ls *scsi0*.vmdk)"
expect_rc 0 qemu-img compare -q "$v/data.raw" "$T/vma-x/$(cd "$T/vma-x" && ls *scsi1*.vmdk)"
# The same archive as vzdump's other compressors write it: gzip (pigz, and
# gzip in two members) and lzo (lzop, with and without data checksums);
# each cut short is refused, never read as complete.
python3 "$support/make-vma" "$v/plain.vma" --config "qemu-server.conf=$v/qemu-server.conf" \
  --device "drive-scsi0=$v/disk.raw" --device "drive-scsi1=$v/data.raw" --order interleave
need pigz
need lzop
pigz -c "$v/plain.vma" >"$v/a.vma.gz"
{ head -c 1000000 "$v/plain.vma" | gzip -1; tail -c +1000001 "$v/plain.vma" | gzip -1; } >"$v/b.vma.gz"
lzop -c "$v/plain.vma" >"$v/c.vma.lzo"
lzop -c --crc32 -9 "$v/plain.vma" >"$v/d.vma.lzo"
for a in a.vma.gz b.vma.gz c.vma.lzo d.vma.lzo; do
  expect_rc 0 "$OVFKIT" convert -q "$v/$a" "$T/$a.ova"
  rm -rf "$T/x" && mkdir "$T/x" && tar xf "$T/$a.ova" -C "$T/x"
  expect_rc 0 qemu-img compare -q "$v/disk.raw" "$T/x/$(cd "$T/x" && ls *scsi0*.vmdk)"
  expect_rc 0 qemu-img compare -q "$v/data.raw" "$T/x/$(cd "$T/x" && ls *scsi1*.vmdk)"
  size=$(stat -c %s "$v/$a")
  head -c $((size - 1000)) "$v/$a" >"$v/cut-$a"
  expect_rc 1 "$OVFKIT" convert -q "$v/cut-$a" "$T/cut-$a.ova"
  grep -q "truncated\|ends inside" "$T/err" || fail "$a cut short: $(cat "$T/err")"
  [[ ! -e $T/cut-$a.ova ]] || fail "$a cut short: wrote the OVA"
done
# A damaged lzo block is caught by its checksum; a damaged gzip member by its CRC.
python3 - "$v/c.vma.lzo" "$v/bad.vma.lzo" "$v/a.vma.gz" "$v/bad.vma.gz" <<'PY'
import sys
for src, dst in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    d = bytearray(open(src, "rb").read())
    d[len(d) // 2] ^= 0x55
    open(dst, "wb").write(d)
PY
for a in bad.vma.lzo bad.vma.gz; do
  expect_rc 1 "$OVFKIT" convert -q "$v/$a" "$T/$a.ova"
  [[ ! -e $T/$a.ova ]] || fail "$a: wrote the OVA"
done
# Damaged and lying archives.
python3 "$support/make-vma" "$v/cut.vma" --config "qemu-server.conf=$v/qemu-server.conf" \
  --device "drive-scsi0=$v/disk.raw" --device "drive-scsi1=$v/data.raw" --fault truncate
expect_rc 1 "$OVFKIT" convert -q "$v/cut.vma" "$T/cut.ova"
grep -q "ends inside an extent" "$T/err" || fail "truncated VMA: $(cat "$T/err")"
[[ ! -e $T/cut.ova ]] || fail "truncated VMA: wrote the OVA"
python3 "$support/make-vma" "$v/past.vma" --config "qemu-server.conf=$v/qemu-server.conf" \
  --device "drive-scsi0=$v/disk.raw" --device "drive-scsi1=$v/data.raw" --fault cluster-past
expect_rc 4 "$OVFKIT" convert -q "$v/past.vma" "$T/past.ova"
grep -q "clusters" "$T/err" || fail "cluster past the device: $(cat "$T/err")"
[[ ! -e $T/past.ova ]] || fail "cluster past the device: wrote the OVA"
echo ok
