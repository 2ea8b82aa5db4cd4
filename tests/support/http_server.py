#!/usr/bin/env python3
"""A small HTTP/1.1 file server for ovfkit's URL tests, with switchable faults.

Python's http.server answers every GET with the whole file (no Range
support), so this one implements single byte ranges itself and can be told
to misbehave:

  --no-ranges      ignore Range headers (200 with the whole file)
  --lie            state a Content-Length 1000 bytes larger than the body
                   sent, then close the connection
  --redirect-file  answer every request with a redirect to file:///etc/passwd
  --redirect-loop  redirect every request to itself with a new query
  --hang           send the headers and 10 bytes, then stall for a minute
  --tls CERT KEY   speak https with this certificate (PEM) and key

It binds 127.0.0.1 on a free port, writes the port to --port-file once it
listens, and serves ROOT until killed. Only files directly in ROOT are served.
"""
import argparse
import http.server
import os
import re
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--no-ranges", action="store_true")
    ap.add_argument("--lie", action="store_true")
    ap.add_argument("--redirect-file", action="store_true")
    ap.add_argument("--redirect-loop", action="store_true")
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    root = os.path.realpath(args.root)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_HEAD(self):
            self.answer(body=False)

        def do_GET(self):
            self.answer(body=True)

        def redirect(self, where):
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def answer(self, body):
            url = urllib.parse.urlsplit(self.path)
            if args.redirect_file:
                return self.redirect("file:///etc/passwd")
            if args.redirect_loop:
                n = int(url.query or "0") + 1
                return self.redirect(f"{url.path}?{n}")
            name = urllib.parse.unquote(url.path.lstrip("/"))
            path = os.path.join(root, name)
            if "/" in name or not name or not os.path.isfile(path):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = os.path.getsize(path)
            first, last = 0, size - 1
            status = 200
            rng = self.headers.get("Range")
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng or "")
            if m and not args.no_ranges:
                first = int(m.group(1))
                last = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
                if first >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            length = last - first + 1
            self.send_response(status)
            if status == 206:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            if not args.no_ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length + (1000 if args.lie else 0)))
            self.end_headers()
            if not body:
                return
            with open(path, "rb") as f:
                f.seek(first)
                if args.hang:
                    self.wfile.write(f.read(min(10, length)))
                    self.wfile.flush()
                    time.sleep(60)
                    return
                left = length
                while left:
                    chunk = f.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
            if args.lie:
                self.close_connection = True

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
