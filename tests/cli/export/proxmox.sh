#!/usr/bin/env bash
# `ovfkit convert --to proxmox`: every corpus descriptor plans (--dry-run
# --json) or is refused with one JSON error; the example appliance, named
# and networked with injection attempts, exports to a qm config and an
# import.sh that pass sh -n, bash -n and shellcheck, and that, run under
# sh against recording stand-ins for qm, pvesh and pvesm, makes exactly the
# calls the config describes with the appliance text made safe and nothing
# else run. (The boot of an exported disk: tests/cli/deploy/proxmox.sh.)
. "$(dirname "$0")/../lib.sh"
need python3
corpus=${OVFKIT_CORPUS_DIR:-$OVFKIT_SOURCE_DIR/../shared/corpus}

# 1. The corpus, planned.
if [[ -d $corpus/ovf ]]; then
  planned=0 refused=0
  while IFS= read -r -d '' f; do
    set +e
    "$OVFKIT" convert "$f" "$T/plan-out" --to proxmox --dry-run --json --accept-eula >"$T/plan.json" 2>"$T/plan.err"
    rc=$?
    set -e
    if ((rc == 0)); then
      python3 - "$T/plan.json" <<'PY' || fail "$f: the plan is not a proxmox plan"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["to"] == "proxmox" and d["dry_run"] and d["files"] == [], d
for vm in d["vms"]:
    assert vm, d
for n in d["notes"]:
    assert re.fullmatch(r"[a-z0-9-]+", n["code"]), n
PY
      [[ ! -e $T/plan-out ]] || fail "$f: --dry-run wrote $T/plan-out"
      planned=$((planned + 1))
    else
      ((rc == 1 || rc == 2 || rc == 4)) || fail "$f: exit $rc: $(cat "$T/plan.err")"
      python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["message"] and "\n" not in e["message"] and e["exit_code"] == int(sys.argv[2])' \
        "$T/plan.json" "$rc" || fail "$f: exit $rc without one JSON error: $(cat "$T/plan.json" "$T/plan.err")"
      refused=$((refused + 1))
    fi
  done < <(find "$corpus/ovf" -name '*.ovf' -print0 | sort -z)
  echo "corpus: $planned planned, $refused refused"
  ((planned >= 40)) || fail "only $planned corpus descriptors planned"
fi

# 2. The example appliance, with hostile text in its name and network.
hostile=$'web "1" \'2\' | $(touch pwned) `touch pwned2` "; rm -rf / ;\nargs: -x'
expect_rc 0 "$OVFKIT" convert "$OVFKIT_SOURCE_DIR/examples/tiny" "$T/pve" --to proxmox \
  --name "$hostile" --net "VM Network=vmbr1,tag=5\$(touch pwned)"
conf=$(ls "$T/pve"/*.conf)
grep -q '^args' "$conf" && fail "the name started a config line"
name=$(sed -n 's/^name: //p' "$conf")
[[ $name =~ ^[A-Za-z0-9.-]+$ ]] || fail "the name '$name' is not a DNS name"
[[ $(sed -n 's/^net0: //p' "$conf") == e1000,bridge=vmbr0 ]] || fail "net0: $(grep net0 "$conf")"
sh -n "$T/pve/import.sh" || fail "sh -n import.sh"
bash -n "$T/pve/import.sh" || fail "bash -n import.sh"
if command -v shellcheck >/dev/null; then
  shellcheck -s sh "$T/pve/import.sh" || fail "shellcheck import.sh"
fi

# Stand-ins: each appends its argv as a JSON line to $FAKE_PVE/log.
mkdir -p "$T/bin" "$T/state"
cat >"$T/bin/stub.py" <<'PY'
import json, os, sys
state = os.environ["FAKE_PVE"]
prog = os.path.basename(sys.argv[0])
argv = [prog] + sys.argv[1:]
with open(os.path.join(state, "log"), "a") as f:
    f.write(json.dumps(argv) + "\n")
unused = lambda vmid: os.path.join(state, "unused-" + vmid)
if prog == "pvesh":
    print(100 + sum(1 for n in os.listdir(state) if n.startswith("vm-")))
elif prog == "pvesm":
    os.makedirs(os.path.join(state, "iso"), exist_ok=True)
    print(os.path.join(state, "iso", argv[2].split(":iso/", 1)[1]))
elif argv[1] == "create":
    open(os.path.join(state, "vm-" + argv[2]), "w").close()
elif argv[1] == "importdisk":
    if not os.path.isfile(argv[3]):
        sys.exit(2)
    open(unused(argv[2]), "w").write(f"{argv[4]}:vm-{argv[2]}-disk-0")
elif argv[1] == "config" and os.path.exists(unused(argv[2])):
    print("unused0: " + open(unused(argv[2])).read())
elif argv[1] == "set" and os.path.exists(unused(argv[2])):
    if argv[4].startswith(open(unused(argv[2])).read()):
        os.remove(unused(argv[2]))
PY
for p in qm pvesh pvesm; do
  cp "$T/bin/stub.py" "$T/bin/$p" && sed -i '1i #!/usr/bin/env python3' "$T/bin/$p" && chmod +x "$T/bin/$p"
done
(cd "$T" && FAKE_PVE="$T/state" PATH="$T/bin:$PATH" sh pve/import.sh) >"$T/run.out" 2>&1 ||
  { cat "$T/run.out" >&2; fail "import.sh failed against the stand-ins"; }
python3 - "$T/state/log" "$conf" "$name" <<'PY' || fail "import.sh made other calls than the config describes"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
conf = dict(l.rstrip("\n").split(": ", 1) for l in open(sys.argv[2]) if not l.startswith("#"))
name = sys.argv[3]
want = [
    ["pvesh", "get", "/cluster/nextid"],
    ["qm", "create", "100", "--name", name, "--ostype", conf["ostype"], "--sockets", "1",
     "--cores", conf["cores"], "--memory", conf["memory"], "--bios", "seabios",
     "--scsihw", conf["scsihw"], "--net0", conf["net0"]],
    ["qm", "importdisk", "100", conf["scsi0"].split("import-from=")[1].split(",")[0], "local-lvm"],
    ["qm", "config", "100"],
    ["qm", "set", "100", "--scsi0", "local-lvm:vm-100-disk-0,discard=on"],
    ["pvesm", "path", "local:iso/" + conf["ide2"].split("iso/")[1].split(",")[0].replace("VMID", "100")],
    ["qm", "set", "100", "--ide2", "local:iso/" + conf["ide2"].split("iso/")[1].replace("VMID", "100")],
    ["qm", "set", "100", "--boot", conf["boot"]],
]
if calls != want:
    print("got:", *calls, "want:", *want, sep="\n")
    sys.exit(1)
PY
[[ -z $(find "$T" / -maxdepth 1 -name 'pwned*' 2>/dev/null) ]] || fail "an injection ran"
echo "import.sh: $(wc -l <"$T/state/log") calls, as the config describes"
