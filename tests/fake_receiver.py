"""A fake external system for the reliability tests: a local HTTP server whose
behaviour can be switched at run time (ok, down, 429 with Retry-After, 500, reset),
optionally slow (``delay`` seconds before answering)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeReceiver:
    def __init__(self):
        self.mode = "ok"
        self.delay = 0  # seconds to wait before answering (a slow system)
        self.calls = []  # (idempotency key, status, body) of every request received
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                mode = receiver.mode
                if mode == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    status = 0
                else:
                    status = {"ok": 200, "down": 503, "throttle": 429, "error": 500}[mode]
                    try:
                        self.send_response(status)
                        if status == 429:
                            self.send_header("Retry-After", "1")
                        self.send_header("Content-Type", "application/json")
                        self.end_headers()
                        self.wfile.write(json.dumps({"mode": mode}).encode())
                        self.wfile.flush()
                    except OSError:  # the sender is gone: the request was handled all the same
                        self.close_connection = True
                with receiver.lock:
                    receiver.calls.append((self.headers.get("Idempotency-Key"), status, body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def delivered(self):
        """Bodies of the requests answered 2xx, in arrival order."""
        with self.lock:
            return [(key, json.loads(body)) for key, status, body in self.calls if status == 200]
