#!/usr/bin/env bash
# An external entity naming a local file is refused (exit 4) and the file's
# content never appears in any output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
secret="ovfkit-secret-$RANDOM$RANDOM"
echo "$secret" >"$T/secret.txt"
envelope "<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM \"file://$T/secret.txt\">]>" '&xxe;' >"$T/xxe.ovf"
refuse_all 4 "$T/xxe.ovf"
# The same with the entity in an attribute and without a DOCTYPE prefix check
# helping (the entity reference alone, undeclared).
envelope "" '&xxe;' >"$T/undeclared.ovf"
bounded "1 4" "$OVFKIT" validate "$T/undeclared.ovf"
for f in "$T"/out "$T"/err; do
  grep -q "$secret" "$f" && fail "the secret leaked into $(basename "$f")"
done
# Re-run everything once more, keeping all outputs, and look for the secret.
for cmd in "validate" "validate --json --schema" "info" "info --json"; do
  # shellcheck disable=SC2086
  "$OVFKIT" $cmd "$T/xxe.ovf" >>"$T/all" 2>&1 || true
done
grep -q "$secret" "$T/all" && fail "the secret leaked into the output"
exit 0
