#!/usr/bin/env bash
# SIGINT and SIGTERM cancel a conversion through its token: exit 3, a one-line
# error, and nothing left behind. SIGKILL leaves nothing either: the output is
# an unnamed file until it is complete. A file-size limit (ulimit -f) ends in
# exit 3 and a message, not a signal, and nothing is left.
. "$(dirname "$0")/../lib.sh"
head -c 192M /dev/urandom >"$T/src.raw"
mkdir "$T/out.d"

# Starts a slow conversion into $T/out.d and waits until it writes its output.
start() {
  "$OVFKIT" disk convert -f raw -O qcow2 --compress --threads 1 "$T/src.raw" "$T/out.d/o.qcow2" \
    >"$T/out" 2>"$T/err" &
  pid=$!
  for _ in $(seq 200); do
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$T/out.d/" && return 0
    sleep 0.05
  done
  fail "the conversion never opened its output"
}

for sig in INT TERM; do
  start
  kill -"$sig" "$pid"
  set +e; wait "$pid"; rc=$?; set -e
  [[ $rc == 3 ]] || fail "SIG$sig: exit $rc, expected 3: $(cat "$T/err")"
  grep -q "interrupted" "$T/err" || fail "SIG$sig: message: $(cat "$T/err")"
  [[ -z $(ls -A "$T/out.d") ]] || fail "SIG$sig left $(ls -A "$T/out.d")"
done

start
kill -KILL "$pid"
set +e; wait "$pid"; set -e
[[ -z $(ls -A "$T/out.d") ]] || fail "SIGKILL left $(ls -A "$T/out.d")"

# 8 MiB allowed (ulimit counts 1 KiB blocks), the output needs far more.
set +e
(ulimit -f 8192; "$OVFKIT" disk convert -f raw -O vhdx "$T/src.raw" "$T/out.d/big.vhdx") \
  >"$T/out" 2>"$T/err"
rc=$?
set -e
[[ $rc == 3 ]] || fail "ulimit -f: exit $rc, expected 3: $(cat "$T/err")"
grep -q "File too large" "$T/err" || fail "ulimit -f: message: $(cat "$T/err")"
[[ $(wc -l <"$T/err") == 1 ]] || fail "ulimit -f: more than one line: $(cat "$T/err")"
[[ -z $(ls -A "$T/out.d") ]] || fail "ulimit -f left $(ls -A "$T/out.d")"

# Outputs that are not regular files are refused, with or without --force.
for target in /dev/null "$T/out.d"; do
  for force in "" --force; do
    expect_rc 4 "$OVFKIT" disk convert $force -f raw -O raw "$T/src.raw" "$target"
    grep -q "never replaces anything else" "$T/err" || fail "$target $force: $(cat "$T/err")"
  done
done
mkfifo "$T/fifo"
expect_rc 4 "$OVFKIT" disk convert --force -f raw -O raw "$T/src.raw" "$T/fifo"
[[ -p $T/fifo ]] || fail "the FIFO was replaced"
echo "ok"
