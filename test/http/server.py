#!/usr/bin/env python3
"""A file server for import tests: optional X-Checksum-Sha256 header and basic auth, a request log.

usage: server.py DIR PORTFILE LOG [--checksum] [--auth USER:PASS]
Binds 127.0.0.1 on a free port, writes the port to PORTFILE, appends "METHOD PATH STATUS" lines to LOG.
"""
import base64
import hashlib
import http.server
import os
import sys

root, portfile, logfile = sys.argv[1:4]
checksum = "--checksum" in sys.argv
auth = sys.argv[sys.argv.index("--auth") + 1] if "--auth" in sys.argv else None


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def log_message(self, fmt, *args):
        pass

    def _log(self, status):
        with open(logfile, "a") as f:
            f.write(f"{self.command} {self.path} {status}\n")

    def _authorized(self):
        if auth is None:
            return True
        want = "Basic " + base64.b64encode(auth.encode()).decode()
        if self.headers.get("Authorization") == want:
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="test"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._log(401)
        return False

    def end_headers(self):
        path = self.translate_path(self.path)
        if checksum and os.path.isfile(path):
            with open(path, "rb") as f:
                self.send_header("X-Checksum-Sha256", hashlib.sha256(f.read()).hexdigest())
        super().end_headers()

    def do_HEAD(self):
        if self._authorized():
            self._log("ok")
            super().do_HEAD()

    def do_GET(self):
        if self._authorized():
            self._log("ok")
            super().do_GET()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
