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

# Each outcome is kept and checked in one python3 run at the end: a python3
# start per plan was most of this test's time.
mkdir "$T/res"
n=0
while IFS= read -r ovf; do
  rel=${ovf#"$corpus/ovf/"}
  case $rel in broken/*) continue ;; esac
  for t in $targets; do
    n=$((n + 1))
    set +e
    "$OVFKIT" convert "$ovf" "$T/never-written-$t" --to "$t" --dry-run --json --accept-eula >"$T/res/$n.json" 2>"$T/err"
    rc=$?
    set -e
    [[ ! -e $T/never-written-$t ]] || fail "$rel --to $t --dry-run wrote $T/never-written-$t"
    [[ $rc == 0 || $rc == 1 || $rc == 2 || $rc == 4 ]] || { cat "$T/res/$n.json" "$T/err" >&2; fail "$rel --to $t exited $rc"; }
    printf '%s\t%s\t%s\t%s\n' "$n" "$rc" "$rel" "$t" >>"$T/index"
  done
done < <(find "$corpus/ovf" -name '*.ovf' | sort)
python3 - "$T/res" "$T/index" >"$T/counts" <<'PY' || fail "a plan or a refusal is not what it should be (above)"
import json, sys
res, planned, refused = sys.argv[1], 0, 0
for line in open(sys.argv[2]):
    n, rc, rel, target = line.rstrip("\n").split("\t")
    doc = json.load(open(f"{res}/{n}.json"))
    where = f"{rel} --to {target}"
    if rc != "0":
        msg = doc["error"]["message"]
        assert msg and "\n" not in msg, f"{where}: the failure is not one JSON error line: {doc}"
        print(f"refused: {where}: {msg}", file=sys.stderr)
        refused += 1
        continue
    assert doc["schema"] == "ovfkit/1" and doc["dry_run"] is True, (where, doc)
    assert doc["vms"], f"{where}: no VM planned"
    for vm in doc["vms"]:
        assert vm["os"]["key"], f"{where}: {vm['name']} has no OS row"
        assert vm["cpus"] >= 1 and vm["memory_bytes"] > 0, (where, vm)
        for d in vm["disks"]:
            assert any(c["id"] == d["controller"] for c in vm["controllers"]) or \
                d["controller"] == "", f"{where}: disk on unknown controller {d}"
    for note in doc["notes"]:
        assert note["code"] and note["action"] in ("translated", "dropped", "added", "info"), (where, note)
        assert "\n" not in note["reason"], (where, note)
    planned += 1
print(planned, refused)
PY
read -r planned refused <"$T/counts"
echo "planned $planned, refused $refused"
(( planned > 0 )) || fail "nothing planned"

for rel in "${pinned[@]}"; do
  [[ -f $corpus/ovf/$rel ]] || fail "pinned descriptor $rel is not in the corpus"
  for t in $targets; do
    name=$(tr '/' '-' <<<"${rel%.ovf}").json
    "$OVFKIT" convert "$corpus/ovf/$rel" "$T/x" --to "$t" --dry-run --json --accept-eula >"$T/plan" 2>/dev/null || true
    # The source path is the machine's: drop it, and name the corpus CORPUS
    # where a message quotes it (a disk file the descriptor names).
    python3 - "$T/plan" "$corpus" >"$T/plan.norm" <<'PY'
import json, sys
doc = json.loads(open(sys.argv[1]).read().replace(json.dumps(sys.argv[2])[1:-1], "CORPUS"))
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
