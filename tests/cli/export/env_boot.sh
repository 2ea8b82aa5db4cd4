#!/usr/bin/env bash
# Every export target that writes the OVF environment as an ISO, checked
# end to end on the test appliance (tests/support/make-test-appliance):
# exported with property values given on the command line, the disk the
# target wrote boots under QEMU on the bus its plan names, with the ISO it
# wrote on the CD-ROM bus its plan names, and the guest prints exactly the
# properties deployed (the values given, the defaults of the others) and
# nothing else. A package target (ovf, ova, vmware-ova) leaves the ISO to
# the deployer, which builds it from the descriptor's property values: here
# `ovfkit env` on the exported package plays the deployer, so the values
# must have been carried into the package. The targets come from
# `ovfkit version --json`: a new target is covered without a change here.
# proxmox, hyperv and virtualbox are left to their own tests
# (proxmox_boot_chain.sh, deploy/hyperv.sh, export/virtualbox.sh), which
# boot them with their ISO through the same steps and more.
. "$(dirname "$0")/../lib.sh"
support="$OVFKIT_SOURCE_DIR/tests/support"
need qemu-system-x86_64
need syslinux
need mcopy
need python3
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
export BOOT_CHECK_S=${BOOT_CHECK_S:-400}

token="envboot-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }

password='s3cret & "quoted" <x> a=b'
printf '%s\n' "OVF-ENV found" "OVF-PROP hostname=guest-$token" "OVF-PROP port=8080" \
  "OVF-PROP admin_password=$password" "OVF-PROP enable_ssh=false" >"$T/want"

# NAME:FORM of every target; an archive (an XVA, a cloud's tarball) holds
# its disks in its own layout and is booted by its own test.
targets=$("$OVFKIT" version --json | python3 -c 'import json,sys; print(" ".join(t["name"] + ":" + t["form"] for t in json.load(sys.stdin)["export_targets"]))')
booted=0
for tf in $targets; do
  t=${tf%%:*} form=${tf#*:}
  case $t in proxmox | hyperv | virtualbox) continue ;; esac # booted with their ISO by their own tests
  [[ $form != archive ]] || continue
  out=$T/out-$t
  [[ $form == directory || $t == ovf ]] || out=$out.ova
  "$OVFKIT" convert "$T/app.ova" "$out" --to "$t" --accept-eula --json \
    --prop "hostname=guest-$token" --prop "admin_password=$password" >"$T/$t.json" 2>"$T/$t.err" ||
    { cat "$T/$t.err" >&2; fail "--to $t: the test appliance did not export"; }
  # What to boot, from the plan: the boot disk, its file, its format and
  # its bus as QEMU names them, and the environment ISO with its CD bus.
  read -r disk format bus iso cdbus < <(python3 - "$T/$t.json" "$form" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
(vm,) = doc["vms"]
ctrl = {c["id"]: c for c in vm["controllers"]}
# Each target's controller models as QEMU emulates them (a XenServer HVM
# guest and a Hyper-V Gen 1 guest boot from emulated IDE).
bus_of = {"virtio-blk": "virtio", "ahci": "sata", "piix4": "ide", "virtio-scsi": "scsi",
          "lsilogic": "lsi", "pvscsi": "pvscsi", "PIIX4": "ide", "PIIX3": "ide", "AHCI": "sata",
          "LsiLogic": "lsi", "hyperv-ide": "ide", "xen-vbd": "ide"}
qemu_format = {"qcow2": "qcow2", "raw": "raw", "vmdk": "vmdk", "vmdk-flat": "vmdk",
               "vmdk-stream": "vmdk", "vhd": "vpc", "vhd-fixed": "vpc", "vhdx": "vhdx",
               "vhdx-fixed": "vhdx", "vdi": "vdi", "vdi-fixed": "vdi"}
isos = [c for c in vm["cdroms"] if c["environment"]]
(boot,) = [d for d in vm["disks"] if d["boot"]]
bus = bus_of[ctrl[boot["controller"]]["model"]]
if not isos and sys.argv[2] == "directory":
    print("- - - - -")  # the target drops the environment CD (a cloud's image): nothing to read
    sys.exit(0)
if not isos:
    # A package: the disk by its File id, the deployer's CD on IDE.
    print("package", "file:" + boot["file_id"], bus, "-", "ide")
    sys.exit(0)
cd = isos[0]
print(boot["file"], qemu_format[boot["format"]], bus,
      cd["file"], bus_of[ctrl[cd["controller"]]["model"]])
PY
  ) || fail "--to $t: the plan does not name a disk and a bus this test can boot"
  [[ $disk != - ]] || { echo "--to $t: no environment CD in the plan (noted), not booted"; continue; }
  if [[ $disk == package ]]; then
    # The deployer's part: the environment from the package as exported,
    # the disk the descriptor names for the plan's boot disk.
    "$OVFKIT" env "$out" -o "$T/$t-env.iso" -q || fail "--to $t: ovfkit env cannot read the exported package"
    pkg=$T/pkg-$t
    mkdir "$pkg"
    if [[ -d $out ]]; then cp "$out"/* "$pkg/"; else tar -xf "$out" -C "$pkg"; fi
    disk=$(python3 - "$pkg" "${format#file:}" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
(desc,) = glob.glob(sys.argv[1] + "/*.ovf")
for f in ET.parse(desc).iter():
    if f.tag.endswith("}File") and any(k.endswith("}id") and v == sys.argv[2] for k, v in f.attrib.items()):
        print(next(v for k, v in f.attrib.items() if k.endswith("}href")))
PY
    ) || fail "--to $t: the exported descriptor cannot be read"
    [[ -n $disk && -f $pkg/$disk ]] || fail "--to $t: the exported package has no file for the boot disk (${format#file:})"
    format=$(qemu-img info --output=json "$pkg/$disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
    out=$pkg iso=../$t-env.iso
  fi
  [[ -f $out/$disk && -f $out/$iso ]] || fail "--to $t: the plan names $disk and $iso, but $out holds $(ls "$out")"
  BOOT_CONSOLE_LOG="$T/console-$t" \
    "$support/boot-with-cd" "$out/$disk" "$format" "$token" "$bus" "$out/$iso" "$cdbus" \
    >"$T/got-$t" 2>"$T/boot-$t.err" ||
    { cat "$T/got-$t" "$T/boot-$t.err" >&2; fail "--to $t: the exported disk did not boot on $bus with the CD on $cdbus"; }
  diff -u "$T/want" "$T/got-$t" >&2 ||
    { cat "$T/console-$t" >&2; fail "--to $t: the guest did not read the deployed properties from the exported ISO"; }
  echo "--to $t: $disk ($format) booted on $bus, $iso on $cdbus, $(grep -c '^OVF-PROP ' "$T/got-$t") properties read"
  booted=$((booted + 1))
done
((booted >= 8)) || fail "only $booted targets booted (libvirt, vmware and six package targets at least)"
