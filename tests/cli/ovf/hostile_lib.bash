# Helpers for the hostile-input tests of tests/cli/ovf (sourced after lib.sh;
# not a test itself: only *.sh files are discovered).
#
# bounded RCS CMD...: runs CMD under a 10 s timeout and GNU time, then fails
# unless it exited with one of the codes in RCS ("1 4"), in under 5 s
# (SECURITY.md: refusals within 5 s) and with a peak RSS at most 128 MiB
# above what the binary takes to do nothing (`ovfkit version`): sanitizer
# builds start at over 100 MiB, release builds near 10 MiB.
# Output is left in $T/out and $T/err.
need /usr/bin/time
need timeout
/usr/bin/time -f %M -o "$T/rss" "$OVFKIT" version >/dev/null
baseline_rss=$(tail -n 1 "$T/rss")
[[ $baseline_rss =~ ^[0-9]+$ ]] || fail "no baseline RSS measured: $baseline_rss"

bounded() {
  local want=$1; shift
  local start end rc
  start=$(date +%s%N)
  set +e
  /usr/bin/time -f %M -o "$T/rss" timeout 10 "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  end=$(date +%s%N)
  local ms=$(( (end - start) / 1000000 ))
  local rss
  rss=$(tail -n 1 "$T/rss")
  [[ " $want " == *" $rc "* ]] || { cat "$T/out" "$T/err" >&2; fail "'$*' exited $rc, expected one of: $want"; }
  (( ms < 5000 )) || fail "'$*' took ${ms} ms (limit 5000)"
  [[ $rss =~ ^[0-9]+$ ]] || fail "no peak RSS measured: $rss"
  (( rss < baseline_rss + 131072 )) ||
    fail "'$*' peaked at ${rss} KiB (limit 128 MiB above the ${baseline_rss} KiB baseline)"
}

# Both commands, text and JSON, must refuse the same way.
refuse_all() {
  local want=$1 file=$2
  bounded "$want" "$OVFKIT" validate "$file"
  bounded "$want" "$OVFKIT" validate --schema --json "$file"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False' "$T/out" \
    || fail "validate --json of $file is not {valid: false}"
  bounded "$want" "$OVFKIT" info "$file"
  bounded "$want" "$OVFKIT" info --json "$file"
}

# An OVF 1.x envelope around BODY (written to stdout).
envelope() {
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
$1
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References/>
  <VirtualSystem ovf:id="vm"><Info>$2</Info></VirtualSystem>
</Envelope>
XML
}
