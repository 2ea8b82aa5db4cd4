#!/usr/bin/env bash
# `ovfkit info`, text and --json, on every descriptor of the shared corpus,
# compared byte for byte with tests/golden/info/<producer>/<name>.txt (exit
# code, stdout and stderr of both). Pins the summary's output, vendor
# sections (firmware, OS type) included, across refactorings.
# OVFKIT_UPDATE_GOLDEN=1 rewrites the files instead; review the diff.
. "$(dirname "$0")/../lib.sh"
corpus=${OVFKIT_CORPUS_DIR:-}/ovf
[[ -d $corpus ]] || skip "the shared corpus is not at $corpus"
golden=$OVFKIT_SOURCE_DIR/tests/golden/info

record() { # $1 = descriptor relative to the corpus
  local rc
  for json in "" --json; do
    echo "# ovfkit info${json:+ $json} $1"
    set +e
    (cd "$corpus" && "$OVFKIT" info $json "$1" 2>"$T/stderr")
    rc=$?
    set -e
    echo "# exit $rc"
    if [[ -s $T/stderr ]]; then
      echo "# stderr"
      cat "$T/stderr"
    fi
  done
}

failed=0
count=0
while IFS= read -r rel; do
  want=$golden/${rel%.ovf}.txt
  record "$rel" >"$T/got"
  count=$((count + 1))
  if [[ ${OVFKIT_UPDATE_GOLDEN:-} == 1 ]]; then
    mkdir -p "$(dirname "$want")"
    cp "$T/got" "$want"
  elif [[ ! -f $want ]]; then
    echo "no golden file for $rel (OVFKIT_UPDATE_GOLDEN=1 records it)" >&2
    failed=1
  elif ! diff -u "$want" "$T/got" >&2; then
    failed=1
  fi
done < <(cd "$corpus" && find . -name '*.ovf' -printf '%P\n' | LC_ALL=C sort)
# A golden file whose descriptor left the corpus is stale.
while IFS= read -r rel; do
  [[ -f $corpus/${rel%.txt}.ovf ]] || { echo "stale golden file $rel" >&2; failed=1; }
done < <(cd "$golden" && find . -name '*.txt' -printf '%P\n')
((count > 0)) || fail "no descriptors in $corpus"
((failed == 0)) || fail "ovfkit info differs from tests/golden/info"
echo "ok: $count descriptors"
