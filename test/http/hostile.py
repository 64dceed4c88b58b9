#!/usr/bin/env python3
"""A hostile registry and file server on 127.0.0.1 for the network tests: it serves a valid manifest, then
misbehaves on blobs and files as MODE says.

usage: hostile.py MODE PORTFILE LOG
  stall          blobs and files: headers and a few bytes, then silence
  file-redirect  blobs and files: 302 to file:///etc/passwd
  big-manifest   manifests: a 1 GiB Content-Length, zeros sent until the client hangs up (bytes sent: LOG)
  redirect-away  files: 302 to this server's second port, which logs the Authorization header it gets
Writes the port to PORTFILE; appends "METHOD PATH AUTHORIZATION" lines to LOG.
"""
import hashlib
import http.server
import json
import os
import sys
import threading
import time

mode, portfile, logfile = sys.argv[1:4]

CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'
LAYER = b"not really a layer, never verified this far"
MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + hashlib.sha256(CONFIG).hexdigest(), "size": len(CONFIG)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + hashlib.sha256(LAYER).hexdigest(), "size": len(LAYER)}],
}).encode()


def log(line):
    with open(logfile, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    other_port = None

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def misbehave(self):
        if mode == "stall":
            # a blob announces the size its descriptor says, so only the silence is wrong
            length = len(CONFIG) if hashlib.sha256(CONFIG).hexdigest() in self.path else len(LAYER) if "/blobs/" in self.path else 1000
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(b"0123456789")
                self.wfile.flush()
                time.sleep(600)
        elif mode == "file-redirect":
            self.answer(302, headers=[("Location", "file:///etc/passwd")])
        elif mode == "redirect-away":
            self.answer(302, headers=[("Location", "http://127.0.0.1:%d%s" % (Handler.other_port, self.path))])
        else:
            self.answer(200, LAYER)

    def handle_any(self):
        log("%s %s %s" % (self.command, self.path, self.headers.get("Authorization")))
        if self.path == "/v2/":
            self.answer(200, b"{}", [("Docker-Distribution-Api-Version", "registry/2.0")])
        elif "/manifests/" in self.path:
            if mode == "big-manifest":
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                self.send_header("Content-Length", str(1 << 30))
                self.end_headers()
                sent = 0
                try:
                    while sent < (1 << 30):
                        self.wfile.write(b"\0" * 65536)
                        sent += 65536
                finally:
                    log("sent %d" % sent)
            else:
                self.answer(200, MANIFEST, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
        else:
            self.misbehave()

    do_GET = handle_any
    do_HEAD = handle_any


class Away(http.server.BaseHTTPRequestHandler):
    """The second port: where redirect-away sends files; it logs what it was sent."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def handle_any(self):
        log("away %s %s %s" % (self.command, self.path, self.headers.get("Authorization")))
        body = b"from elsewhere\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = handle_any
    do_HEAD = handle_any


away = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Away)
Handler.other_port = away.server_address[1]
threading.Thread(target=away.serve_forever, daemon=True).start()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
