#!/usr/bin/env bash
# SIGINT and SIGTERM cancel a conversion through its token: exit 3, a one-line
# error, and nothing left behind (no output, no temporary file).
. "$(dirname "$0")/../lib.sh"
head -c 192M /dev/urandom >"$T/src.raw"
mkdir "$T/out.d"
for sig in INT TERM; do
  set +e
  "$OVFKIT" disk convert -f raw -O qcow2 --compress --threads 1 "$T/src.raw" "$T/out.d/o.qcow2" \
    >"$T/out" 2>"$T/err" &
  pid=$!
  # Wait until the conversion has started writing (its temporary file exists).
  for _ in $(seq 100); do
    [[ -n $(ls -A "$T/out.d") ]] && break
    sleep 0.05
  done
  kill -"$sig" "$pid"
  wait "$pid"; rc=$?
  set -e
  [[ $rc == 3 ]] || fail "SIG$sig: exit $rc, expected 3: $(cat "$T/err")"
  grep -q "interrupted" "$T/err" || fail "SIG$sig: message: $(cat "$T/err")"
  [[ -z $(ls -A "$T/out.d") ]] || fail "SIG$sig left $(ls -A "$T/out.d")"
done
echo "ok"
