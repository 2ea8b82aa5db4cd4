#!/usr/bin/env bash
# The test guest and the test appliance that the export tests deploy: the
# appliance is built and is what it claims (ovfkit reads its properties,
# EULA, networks, deployment options and hardware back; make-test-appliance
# has already checked it with `ovfkit validate --strict` and xmllint), and
# its disk, given an OVF environment ISO written by hand, boots under QEMU
# with the CD on IDE and on SATA and prints exactly the ISO's properties
# and its token. Without this the export tests could not tell an exporter
# that lost the environment from a guest that cannot read one.
. "$(dirname "$0")/../lib.sh"
support="$OVFKIT_SOURCE_DIR/tests/support"
need qemu-system-x86_64
need syslinux
need mcopy
need mkfs.vfat
need cpio
need xmllint
[[ -x /bin/busybox ]] || skip "busybox-static is not installed"
if command -v xorriso >/dev/null; then
  mkiso() { xorriso -as mkisofs -quiet -J -R -V OVF-ENV -o "$@"; }
elif command -v genisoimage >/dev/null; then
  mkiso() { genisoimage -quiet -J -R -V OVF-ENV -o "$@"; }
else
  skip "neither xorriso nor genisoimage is installed"
fi
# A TCG boot takes about 20 s on an idle machine and minutes on a busy one;
# the bound is for a hung guest.
export BOOT_CHECK_S=${BOOT_CHECK_S:-400}

token="envguest-$$-$RANDOM"
set +e
"$support/make-test-appliance" "$T/app" "$token" "$T/app.ova" >"$T/make.out" 2>"$T/make.err"
rc=$?
set -e
if ((rc == 3)); then skip "no Debian kernel package for the guest: $(cat "$T/make.err")"; fi
((rc == 0)) || { cat "$T/make.out" "$T/make.err" >&2; fail "make-test-appliance exited $rc"; }

# The appliance, read back by ovfkit from the OVA.
[[ $(tar -tf "$T/app.ova" | head -n1) == env-guest.ovf ]] || fail "the test OVA does not hold its descriptor first"
"$OVFKIT" info --json "$T/app.ova" >"$T/info.json" || fail "ovfkit info cannot read the test OVA"
python3 - "$T/info.json" <<'PY' || fail "ovfkit reads the test appliance otherwise than make-test-appliance documents"
import json, sys
doc = json.load(open(sys.argv[1]))
props = [(p["key"], p["type"], p["default"], p["password"], p["user_configurable"])
         for p in doc["properties"]]
assert props == [("hostname", "string", "env-guest", False, True),
                 ("port", "uint16", "8080", False, True),
                 ("admin_password", "string", None, True, True),
                 ("enable_ssh", "boolean", "false", False, True)], props
assert [n["name"] for n in doc["networks"]] == ["mgmt", "data"], doc["networks"]
assert [(o["id"], o["default"]) for o in doc["deployment_options"]] == [("small", True), ("large", False)]
assert doc["eula"] is True
(vs,) = doc["virtual_systems"]
assert (vs["cpus"], vs["memory_mib"]) == (1, 256), "the default (small) size"
assert [(c["bus"], c["model"]) for c in vs["controllers"]] == [("IDE", ""), ("SCSI", "lsilogic")]
(disk,) = vs["disks"]
assert (disk["controller"], disk["address"], disk["capacity_bytes"]) == ("SCSI", "0", 64 << 20), disk
assert disk["format"].endswith("#streamOptimized")
assert [(n["model"], n["network"]) for n in vs["nics"]] == [("VmxNet3", "mgmt"), ("E1000", "data")]
assert (vs["os"]["id"], vs["os"]["type"]) == ("101", "other5xLinux64Guest")
PY
# What ovfkit info does not show: the large size, the EULA text, the
# transport and the empty CD drive on IDE.
tar -xOf "$T/app.ova" env-guest.ovf >"$T/desc.ovf"
xp() { xmllint --xpath "$1" "$T/desc.ovf" 2>/dev/null; }
ns="local-name()"
[[ $(xp "string(//*[$ns='VirtualHardwareSection']/@*[$ns='transport'])") == iso ]] || fail "transport is not iso"
[[ $(xp "string(//*[$ns='License'])") == "ovfkit test appliance license"* ]] || fail "no EULA text"
for q in "3 2" "4 512"; do
  read -r type want <<<"$q"
  got=$(xp "string(//*[$ns='Item'][@*[$ns='configuration']='large'][*[$ns='ResourceType']='$type']/*[$ns='VirtualQuantity'])")
  [[ $got == "$want" ]] || fail "the large size has $got, not $want, for resource type $type"
done
ide=$(xp "string(//*[$ns='Item'][*[$ns='ResourceType']='5']/*[$ns='InstanceID'])")
[[ $(xp "count(//*[$ns='Item'][*[$ns='ResourceType']='15'][*[$ns='Parent']='$ide'][not(*[$ns='HostResource'])])") == 1 ]] ||
  fail "no empty CD drive on the IDE controller"

# The environment, as a deployer would write it (DSP8027), checked against
# the DMTF schema so that the guest is tested on a real environment document.
cat >"$T/ovf-env.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1"
             xmlns:oe="http://schemas.dmtf.org/ovf/environment/1"
             oe:id="env-guest">
  <PlatformSection>
    <Kind>QEMU (ovfkit tests)</Kind>
    <Locale>en</Locale>
  </PlatformSection>
  <PropertySection>
    <Property oe:key="hostname" oe:value="guest-$token"/>
    <Property oe:key="admin_password"
              oe:value="s3cret &amp; &quot;quoted&quot; &lt;x&gt; a=b"/>
  </PropertySection>
</Environment>
XML
XML_CATALOG_FILES="$OVFKIT_CORPUS_DIR/schemas/ovf2/catalog.xml" \
  xmllint --nonet --noout --schema "$OVFKIT_CORPUS_DIR/schemas/DSP8027.xsd" "$T/ovf-env.xml" 2>"$T/xmllint.err" ||
  { cat "$T/xmllint.err" >&2; fail "the hand-written ovf-env.xml does not match DSP8027"; }
mkdir "$T/iso"
cp "$T/ovf-env.xml" "$T/iso/ovf-env.xml"
mkiso "$T/env.iso" "$T/iso/ovf-env.xml" 2>"$T/mkiso.err" || { cat "$T/mkiso.err" >&2; fail "could not make the environment ISO"; }
printf '%s\n' "OVF-ENV found" "OVF-PROP hostname=guest-$token" \
  'OVF-PROP admin_password=s3cret & "quoted" <x> a=b' >"$T/want"

# The appliance's own disk (streamOptimized VMDK) with the CD on each bus.
for bus in ide sata; do
  BOOT_CONSOLE_LOG="$T/console-$bus" \
    "$support/boot-with-cd" "$T/app/env-guest-disk1.vmdk" vmdk "$token" "$bus" "$T/env.iso" "$bus" \
    >"$T/got-$bus" 2>"$T/boot-$bus.err" ||
    { cat "$T/got-$bus" "$T/boot-$bus.err" >&2; fail "the test guest did not boot with its disk and CD on $bus"; }
  diff -u "$T/want" "$T/got-$bus" >&2 ||
    { echo "console:" >&2; cat "$T/console-$bus" >&2; fail "the guest with its CD on $bus did not print the environment's properties"; }
  echo "booted with the CD on $bus: $(grep -c '^OVF-PROP ' "$T/got-$bus") properties read"
done
