#!/usr/bin/env bash
# Makes the seeds of tar_fuzzer in fuzz/corpus/tar/ with GNU tar: small OVA-
# shaped archives in each header dialect the index reads. Deterministic
# (fixed times, owners and order), so rerunning gives the same bytes.
#   fuzz/make_tar_seeds.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus/tar}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

printf '<?xml version="1.0"?>\n<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"/>\n' >vm.ovf
printf 'disk bytes\n' >vm-disk1.vmdk
printf 'SHA256(vm.ovf)= 00\n' >vm.mf
long=$(printf 'a%.0s' {1..150}).vmdk # past ustar's 100-byte name field
printf 'long\n' >"$long"
: >empty.img

tar_() { tar --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=0644 "$@"; }

# ustar: the plain OVA layout, descriptor first.
tar_ --format=ustar -cf "$out/ustar-ova.tar" vm.ovf vm-disk1.vmdk vm.mf
# GNU: a long name through a ././@LongLink record, and an empty member.
tar_ --format=gnu -cf "$out/gnu-longname.tar" vm.ovf "$long" empty.img
# PAX: the long name in an extended header (times removed for determinism).
tar_ --format=pax --pax-option=delete=atime,delete=ctime,exthdr.name=%d/PaxHeaders/%f \
  -cf "$out/pax-longname.tar" vm.ovf "$long"
# A directory entry and "./" prefixes, as `tar -C dir .` writes them.
mkdir d && cp vm.ovf vm-disk1.vmdk d/
tar_ --format=gnu -C d -cf "$out/gnu-dot-prefix.tar" .
# Nothing but the end-of-archive blocks.
tar_ --format=ustar -cf "$out/empty.tar" -T /dev/null
ls -l "$out"
