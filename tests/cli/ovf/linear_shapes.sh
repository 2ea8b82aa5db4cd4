#!/usr/bin/env bash
# Validation and info stay near-linear on the descriptor shapes that make a
# naive validator quadratic (bench/make-shapes.py, at full size: a 45,000-long
# Parent chain, 20,000-long Parent and parentRef cycles, 50,000 HostResources
# on one item, 1,400 deployment options x 1,400 items). The bound is loose
# (sanitizer builds run here too); bench/ovf-validate.sh holds the targets.
. "$(dirname "$0")/../lib.sh"
need python3
python3 "$OVFKIT_SOURCE_DIR/bench/make-shapes.py" "$T/shapes" 1
limit=${OVFKIT_SHAPE_SECONDS:-60}

timed() { # timed RC CMD...: exit RC within $limit seconds
  local want=$1; shift
  local start=$SECONDS
  set +e; timeout "$((limit + 5))" "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [[ $rc == "$want" ]] || fail "'$*' exited $rc, expected $want: $(tail -3 "$T/err")"
  (( SECONDS - start <= limit )) || fail "'$*' took $((SECONDS - start)) s"
}

s=$T/shapes
timed 0 "$OVFKIT" validate "$s/parent-chain.ovf"
timed 0 "$OVFKIT" info "$s/parent-chain.ovf"

timed 1 "$OVFKIT" validate --json "$s/parent-cycle.ovf"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
loops = [f for f in d["findings"] if "Parent chain loops back" in f["message"]]
assert len(loops) == 20000, len(loops)' "$T/out" || fail "parent cycle findings"

timed 1 "$OVFKIT" validate --json "$s/parentref-cycle.ovf"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
loops = [f for f in d["findings"] if f["code"] == "OVF-REF-002"]
assert len(loops) == 20000, len(loops)' "$T/out" || fail "parentRef cycle findings"

timed 0 "$OVFKIT" validate "$s/hostresources.ovf"
timed 0 "$OVFKIT" info --json "$s/hostresources.ovf"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["virtual_systems"][0]["disks"]) == 50000' "$T/out" || fail "hostresource disks"

timed 1 "$OVFKIT" validate "$s/configurations.ovf"
timed 0 "$OVFKIT" info "$s/configurations.ovf"
timed 0 "$OVFKIT" validate "$s/systems.ovf"
echo "ok"
