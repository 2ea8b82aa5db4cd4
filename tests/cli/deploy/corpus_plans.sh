# Every descriptor of the shared corpus (every producer) planned for every
# export target (`convert --to T --dry-run --json`): it plans, or it fails
# with one line that says why and a documented exit code. The plans of a
# few descriptors, one per producer family, are pinned as golden files
# (tests/golden/export/<target>/<producer>-<name>.json; OVFKIT_UPDATE_GOLDEN=1
# rewrites them, to be reviewed like code).
. "$(dirname "$0")/../lib.sh"
corpus=${OVFKIT_CORPUS_DIR:-}
[[ -n $corpus && -d $corpus/ovf ]] || skip "the shared corpus is not beside the checkout"
need python3
golden=$OVFKIT_SOURCE_DIR/tests/golden/export
targets=$("$OVFKIT" version --json | python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)["export_targets"]))')
[[ -n $targets ]] || fail "ovfkit version lists no export targets"

pinned=(
  vmware-vsphere/win19.ovf
  vmware-vsphere/efi-nvram.ovf
  virtualbox/vbox5-all-storage-controllers.ovf
  ovirt/virt-v2v-test-o-ovirt.ovf
  xenserver/sample_app.ovf
  cot/csr1000v.ovf
  dmtf-spec/dsp0243-2.1.1-example3-virtualsystemcollection.ovf
)

planned=0 refused=0
while IFS= read -r ovf; do
  rel=${ovf#"$corpus/ovf/"}
  case $rel in broken/*) continue ;; esac
  for t in $targets; do
    set +e
    "$OVFKIT" convert "$ovf" "$T/never-written-$t" --to "$t" --dry-run --json --accept-eula >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    [[ ! -e $T/never-written-$t ]] || fail "$rel --to $t --dry-run wrote $T/never-written-$t"
    if [[ $rc == 0 ]]; then
      python3 - "$T/out" "$rel" "$t" <<'PY' || fail "$rel --to $t: the plan is not what it should be"
import json, sys
doc = json.load(open(sys.argv[1]))
rel, target = sys.argv[2], sys.argv[3]
assert doc["schema"] == "ovfkit/1" and doc["dry_run"] is True, doc
assert doc["vms"], f"{rel}: no VM planned"
for vm in doc["vms"]:
    assert vm["os"]["key"], f"{rel}: {vm['name']} has no OS row"
    assert vm["cpus"] >= 1 and vm["memory_bytes"] > 0, vm
    for d in vm["disks"]:
        assert any(c["id"] == d["controller"] for c in vm["controllers"]) or \
            d["controller"] == "", f"{rel}: disk on unknown controller {d}"
for n in doc["notes"]:
    assert n["code"] and n["action"] in ("translated", "dropped", "added", "info"), n
    assert "\n" not in n["reason"], n
PY
      planned=$((planned + 1))
    else
      [[ $rc == 1 || $rc == 2 || $rc == 4 ]] || { cat "$T/out" "$T/err" >&2; fail "$rel --to $t exited $rc"; }
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["message"] and "\n" not in d["error"]["message"]' "$T/out" \
        || fail "$rel --to $t: the failure is not one JSON error line: $(cat "$T/out")"
      echo "refused: $rel --to $t: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' "$T/out")"
      refused=$((refused + 1))
    fi
  done
done < <(find "$corpus/ovf" -name '*.ovf' | sort)
echo "planned $planned, refused $refused"
(( planned > 0 )) || fail "nothing planned"

for rel in "${pinned[@]}"; do
  [[ -f $corpus/ovf/$rel ]] || fail "pinned descriptor $rel is not in the corpus"
  for t in $targets; do
    name=$(tr '/' '-' <<<"${rel%.ovf}").json
    "$OVFKIT" convert "$corpus/ovf/$rel" "$T/x" --to "$t" --dry-run --json --accept-eula >"$T/plan" 2>/dev/null || true
    # The source path is the machine's: drop it.
    python3 - "$T/plan" >"$T/plan.norm" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc.pop("source", None)
doc.pop("target", None)
if "plan" in doc:
    doc["plan"].pop("directory", None)
print(json.dumps(doc, indent=2, sort_keys=True))
PY
    if [[ ${OVFKIT_UPDATE_GOLDEN:-} == 1 ]]; then
      mkdir -p "$golden/$t" && cp "$T/plan.norm" "$golden/$t/$name"
      continue
    fi
    [[ -f $golden/$t/$name ]] || fail "no golden plan $golden/$t/$name (OVFKIT_UPDATE_GOLDEN=1 writes it)"
    diff -u "$golden/$t/$name" "$T/plan.norm" || fail "$rel --to $t: the plan differs from its golden file"
  done
done
echo "ok"
