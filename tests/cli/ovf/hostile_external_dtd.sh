#!/usr/bin/env bash
# An external DTD and an external parameter entity pointing at
# http://127.0.0.1:PORT are refused (exit 4) and nothing connects: a Python
# listener records every connection it accepts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/hostile_lib.bash"
need python3
python3 - "$T/port" "$T/connections" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(0.2)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
deadline = time.time() + 60
while time.time() < deadline:
    try:
        c, _ = s.accept()
        with open(sys.argv[2], "a") as f: f.write("connection\n")
        c.close()
    except socket.timeout:
        pass
PY
listener=$!
trap 'kill "$listener" 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 50); do [[ -s $T/port ]] && break; sleep 0.1; done
port=$(cat "$T/port")
# Check the listener works, so that "no connection" below means something.
python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$port"
for _ in $(seq 1 50); do [[ -s $T/connections ]] && break; sleep 0.1; done
[[ $(wc -l <"$T/connections") == 1 ]] || fail "the listener did not record the probe connection"
: >"$T/connections"

envelope "<!DOCTYPE Envelope SYSTEM \"http://127.0.0.1:$port/ovf.dtd\">" x >"$T/dtd.ovf"
refuse_all 4 "$T/dtd.ovf"
envelope "<!DOCTYPE Envelope [<!ENTITY % p SYSTEM \"http://127.0.0.1:$port/p.ent\"> %p;]>" x >"$T/pe.ovf"
refuse_all 4 "$T/pe.ovf"
# xsi:schemaLocation is never fetched either, even with --schema.
cat >"$T/loc.ovf" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://schemas.dmtf.org/ovf/envelope/1 http://127.0.0.1:$port/dsp8023.xsd">
  <References/>
  <VirtualSystem ovf:id="vm"><Info>x</Info></VirtualSystem>
</Envelope>
XML
bounded "0 1" "$OVFKIT" validate --schema "$T/loc.ovf"
sleep 0.5
[[ ! -s $T/connections ]] || fail "ovfkit connected to the listener $(wc -l <"$T/connections") time(s)"
exit 0
