#!/usr/bin/env bash
# Every corpus descriptor rebuilt by the vmware-ova descriptor builder (the
# unit test VmwareOvaCorpus dumps them: one VM per VirtualSystem, the
# source's sections as the builder keeps them) is accepted by the vSphere
# simulator's CreateImportSpec: nothing any producer's envelope carries
# through the builder makes vSphere refuse the package.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vcsim.bash"
need python3
tests=$OVFKIT_BUILD_DIR/tests/ovfkit_tests
[[ -x $tests ]] || skip "no unit test binary at $tests"
[[ -d ${OVFKIT_CORPUS_DIR:-} ]] || skip "no corpus"
vcsim_start
mkdir "$T/dump"
OVFKIT_VMWARE_OVA_DUMP=$T/dump "$tests" --gtest_filter='*VmwareOvaCorpus*' >"$T/gtest" 2>&1 ||
  fail "the builder failed: $(tail -20 "$T/gtest")"
n=0
for f in "$T"/dump/*; do
  vsphere_accepts_each "$f"
  n=$((n + 1))
done
((n >= 40)) || fail "only $n descriptors rebuilt"
echo "ok: $n descriptors"
