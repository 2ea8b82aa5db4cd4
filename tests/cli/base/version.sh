#!/usr/bin/env bash
# `ovfkit version` and `--version` name the version; --json is valid JSON; a bad
# command line exits 2.
. "$(dirname "$0")/../lib.sh"
expect_rc 0 "$OVFKIT" --version
grep -q '^ovfkit [0-9]' "$T/out" || fail "--version does not print the version"
expect_rc 0 "$OVFKIT" version --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"]' "$T/out" \
  || fail "version --json is not the expected JSON"
expect_rc 2 "$OVFKIT" no-such-command
expect_rc 2 "$OVFKIT"
