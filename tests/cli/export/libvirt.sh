#!/usr/bin/env bash
# `ovfkit convert --to libvirt` on the example appliance, checked by libvirt's
# own clients: virt-xml-validate accepts the domain, qemu-img reads the disk
# in the format the domain names, virt-v2v -i libvirtxml reads back the CPUs,
# memory, disk bus and NIC chosen; hostile --name/--net strings stay literal;
# --define uploads the disks into a pool of a private libvirt session daemon
# and defines the domain on them (skipped where no daemon can run).
. "$(dirname "$0")/../lib.sh"
need virt-xml-validate
need qemu-img
need xmllint
src="$OVFKIT_SOURCE_DIR/examples/tiny/tiny.ovf"

# qcow2 (the default) and raw.
for fmt in qcow2 raw; do
  out="$T/out-$fmt"
  args=(); ext=qcow2; [[ $fmt == raw ]] && args=(--disk-format raw) && ext=img
  expect_rc 0 "$OVFKIT" convert "$src" "$out" --to libvirt "${args[@]}"
  virt-xml-validate "$out/tiny.xml" domain >/dev/null 2>&1 || fail "$fmt: virt-xml-validate refused tiny.xml"
  disk=$(xmllint --xpath "string(/domain/devices/disk[@device='disk']/source/@file)" "$out/tiny.xml")
  [[ $disk == "$out/tiny-disk1.$ext" || $disk == "$(cd "$out" && pwd -P)/tiny-disk1.$ext" ]] \
    || fail "$fmt: the domain names $disk"
  [[ $(xmllint --xpath "string(/domain/devices/disk[@device='disk']/driver/@type)" "$out/tiny.xml") == "$fmt" ]] \
    || fail "$fmt: driver type"
  qemu-img info -f "$fmt" "$disk" >/dev/null || fail "$fmt: qemu-img cannot read $disk as $fmt"
  [[ $(xmllint --xpath "string(/domain/devices/disk[@device='cdrom']/target/@bus)" "$out/tiny.xml") == sata ]] \
    || fail "$fmt: the environment CD is not on SATA"
done

if command -v virt-v2v >/dev/null && command -v nbdkit >/dev/null; then
  virt-v2v -q -i libvirtxml "$T/out-qcow2/tiny.xml" --print-source >"$T/v2v" 2>&1 || { cat "$T/v2v"; fail "virt-v2v"; }
  grep -q "nr vCPUs: 1" "$T/v2v" || fail "virt-v2v: CPUs: $(cat "$T/v2v")"
  grep -q "memory: 268435456 (bytes)" "$T/v2v" || fail "virt-v2v: memory: $(cat "$T/v2v")"
  grep -qP '^\t0 \[sata\]' "$T/v2v" || fail "virt-v2v: disk bus: $(cat "$T/v2v")"
  grep -qP '^\tNetwork "VM Network" \[e1000\]' "$T/v2v" || fail "virt-v2v: NIC: $(cat "$T/v2v")"
fi

# Hostile strings through --name and --net stay literal ('/' is the one
# byte a domain name cannot hold).
name=$'x\'"<a>$(id)|`id`; "; rm -rf ~ &amp;'
net=$'n\'</domain><name>evil</name>$(rm -rf /)|"; rm'
expect_rc 0 "$OVFKIT" convert "$src" "$T/hostile" --to libvirt --name "$name" --net "VM Network=$net"
xml=$(ls "$T"/hostile/*.xml)
[[ $(ls "$T"/hostile/*.xml | wc -l) == 1 ]] || fail "one domain file expected"
virt-xml-validate "$xml" domain >/dev/null 2>&1 || fail "hostile: virt-xml-validate refused $xml"
[[ $(xmllint --xpath "string(/domain/name)" "$xml") == "$name" ]] || fail "hostile: the name changed"
[[ $(xmllint --xpath "string(/domain/devices/interface/source/@network)" "$xml") == "$net" ]] \
  || fail "hostile: the network name changed"

# --define through a private session daemon (as root: run as nobody, reached
# through its socket).
[[ -x /usr/sbin/libvirtd || -x /usr/sbin/virtqemud ]] || { echo "no libvirt daemon: --define not tested"; exit 0; }
home="$T/lv"; mkdir -p "$home/pool"
run_as=()
if [[ $(id -u) == 0 ]]; then
  command -v runuser >/dev/null || { echo "no runuser: --define not tested"; exit 0; }
  chmod 0755 "$T"; chown -R nobody "$home"
  run_as=(runuser -u nobody); [[ -e /dev/kvm ]] && getent group kvm >/dev/null && run_as+=(-g kvm)
  run_as+=(--)
fi
lvenv=(env HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" XDG_DATA_HOME="$home/data")
stop_daemon() {
  for p in "$home"/run/libvirt/{libvirtd,virtqemud}.pid; do
    if [[ -f $p ]]; then kill "$(cat "$p")" 2>/dev/null || true; fi
  done
  rm -rf "$T"
}
trap stop_daemon EXIT
if ! "${run_as[@]}" "${lvenv[@]}" timeout 60 virsh -c qemu:///session pool-create-as ovfkit dir --target "$home/pool" >"$T/pool.log" 2>&1; then
  echo "SKIP --define: a private libvirt daemon cannot run here: $(cat "$T/pool.log")"; exit 0
fi
sock=""
for s in "$home"/run/libvirt/{virtqemud,libvirt}-sock; do [[ -S $s ]] && sock=$s && break; done
[[ -n $sock ]] || fail "the session daemon's socket is missing under $home/run/libvirt"
uri="qemu:///session?socket=$sock"
expect_rc 0 "$OVFKIT" convert "$src" "$T/def" --to libvirt --define "$uri" --pool ovfkit --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "tiny" in d["defined"], d["defined"]' "$T/out" \
  || fail "--define: the JSON report lists no domain: $(cat "$T/out")"
virsh -q -c "$uri" dumpxml tiny >"$T/defined.xml" || fail "--define: no domain tiny"
vol=$(xmllint --xpath "string(/domain/devices/disk[@device='disk']/source/@file)" "$T/defined.xml")
[[ $vol == "$home/pool/"* ]] || fail "--define: the domain names $vol, not a volume of the pool"
cmp "$vol" "$T/def/tiny-disk1.qcow2" || fail "--define: the volume differs from the exported disk"
# Again without --force: refused, exit 4; with it: replaced.
expect_rc 4 "$OVFKIT" convert "$src" "$T/def2" --to libvirt --define "$uri" --pool ovfkit
expect_rc 0 "$OVFKIT" convert "$src" "$T/def3" --to libvirt --define "$uri" --pool ovfkit --force
echo "libvirt export: validated, read back by virt-v2v, hostile strings literal, --define ok"
