#!/usr/bin/env bash
# An XInclude element is refused (exit 4); the included file never shows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
secret="ovfkit-xinclude-$RANDOM$RANDOM"
echo "$secret" >"$T/secret.txt"
cat >"$T/xi.ovf" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:xi="http://www.w3.org/2001/XInclude">
  <References/>
  <VirtualSystem ovf:id="vm"><Info><xi:include href="file://$T/secret.txt" parse="text"/></Info></VirtualSystem>
</Envelope>
XML
refuse_all 4 "$T/xi.ovf"
grep -q 'XInclude' "$T/out" "$T/err" || fail "no XInclude refusal message: $(cat "$T/out" "$T/err")"
grep -q "$secret" "$T/out" "$T/err" && fail "the included file leaked"
exit 0
