#!/usr/bin/env bash
# The same hostile descriptors inside an .ova are refused the same way, and
# the archive's other members are never read.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
need tar
mkdir "$T/pkg"
secret="ovfkit-ova-secret-$RANDOM$RANDOM"
echo "$secret" >"$T/secret.txt"
envelope "<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM \"file://$T/secret.txt\">]>" '&xxe;' >"$T/pkg/vm.ovf"
echo data >"$T/pkg/disk.vmdk"
(cd "$T/pkg" && tar --format=ustar -cf "$T/xxe.ova" vm.ovf disk.vmdk)
refuse_all 4 "$T/xxe.ova"
grep -q "$secret" "$T/out" "$T/err" && fail "the secret leaked"
python3 - "$T/pkg/vm.ovf" <<'PY'
import sys
n = 100000
open(sys.argv[1], "w").write('<?xml version="1.0"?>\n<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><References/>'
                             + "<a>" * n + "</a>" * n + "</Envelope>\n")
PY
(cd "$T/pkg" && tar --format=ustar -cf "$T/deep.ova" vm.ovf disk.vmdk)
refuse_all 4 "$T/deep.ova"
envelope "" "caf$(printf '\xe9')" >"$T/pkg/vm.ovf"
(cd "$T/pkg" && tar --format=ustar -cf "$T/latin1.ova" vm.ovf disk.vmdk)
refuse_all 1 "$T/latin1.ova"
# An oversized descriptor member is refused from its tar header alone.
{ envelope "" x | head -n 3; head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' '; echo '</Envelope>'; } >"$T/pkg/vm.ovf"
(cd "$T/pkg" && tar --format=ustar -cf "$T/big.ova" vm.ovf disk.vmdk)
refuse_all 4 "$T/big.ova"
exit 0
