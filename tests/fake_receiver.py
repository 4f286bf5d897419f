"""A fake external system for the reliability tests: a local HTTP server whose
behaviour can be switched at run time (ok, down, 429 with Retry-After, 500, reset,
trickle), optionally slow (``delay`` seconds before answering). It keeps connections
alive (HTTP/1.1) and counts those it accepted (``connections``). A GET (a poll) is
answered, in mode ok, with the JSON set for its path in ``answers`` (else 404)."""

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The answer of mode "trickle": sent a byte every ``trickle_interval`` seconds.
TRICKLE_BODY = json.dumps({"mode": "trickle", "status": "accepted"}).encode()


class FakeReceiver:
    def __init__(self):
        self.mode = "ok"
        self.delay = 0  # seconds to wait before answering (a slow system)
        self.trickle_interval = 0.2  # mode "trickle": seconds between the bytes of the answer
        self.calls = []  # (idempotency key, status, body) of every request received
        self.headers = []  # the headers of every request received, in arrival order
        # Mode "trickle": keys whose answer is being sent now, and keys whose answer was
        # sent whole (answered) or not (cut: the sender went away in the middle).
        self.trickling = Counter()
        self.answered, self.cut = [], []
        self.in_progress = 0  # requests being handled
        self.connections = 0  # TCP connections accepted
        self.answers = {}  # path -> JSON answer of a GET
        self.gets = []  # (path, status, headers) of every GET received
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers
            disable_nagle_algorithm = True  # headers and body in separate writes

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections += 1

            def do_POST(self):
                with receiver.lock:
                    receiver.in_progress += 1
                try:
                    self._handle()
                finally:
                    with receiver.lock:
                        receiver.in_progress -= 1

            def do_GET(self):
                mode = receiver.mode
                status = {"ok": 200, "down": 503, "throttle": 429, "error": 500}.get(mode, 503)
                answer = receiver.answers.get(self.path) if status == 200 else {"mode": mode}
                if answer is None:
                    status, answer = 404, {"error": "not found"}
                body = json.dumps(answer).encode()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with receiver.lock:
                    receiver.gets.append((self.path, status, dict(self.headers)))

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key")
                with receiver.lock:
                    receiver.headers.append(dict(self.headers))
                if receiver.delay:
                    time.sleep(receiver.delay)
                mode = receiver.mode
                if mode == "trickle":
                    # Accepted (recorded) first, as a system that commits, then answers.
                    with receiver.lock:
                        receiver.calls.append((key, 200, body))
                    self._trickle(key)
                    return
                if mode == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    self.close_connection = True
                    status = 0
                else:
                    status = {"ok": 200, "down": 503, "throttle": 429, "error": 500}[mode]
                    try:
                        self.send_response(status)
                        if status == 429:
                            self.send_header("Retry-After", "1")
                        answer = json.dumps({"mode": mode}).encode()
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(answer)))
                        self.end_headers()
                        self.wfile.write(answer)
                        self.wfile.flush()
                    except OSError:  # the sender is gone: the request was handled all the same
                        self.close_connection = True
                with receiver.lock:
                    receiver.calls.append((key, status, body))

            def _trickle(self, key):
                """200 and its headers at once, then the body a byte at a time: the sender
                is inside its streaming read (and its deadline) for the whole answer."""
                with receiver.lock:
                    receiver.trickling[key] += 1
                whole = False
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(TRICKLE_BODY)))
                    self.end_headers()
                    for i in range(len(TRICKLE_BODY)):
                        time.sleep(receiver.trickle_interval)
                        self.wfile.write(TRICKLE_BODY[i:i + 1])
                    whole = True
                except OSError:  # the sender is gone: the rest of the answer goes nowhere
                    self.close_connection = True
                finally:
                    with receiver.lock:
                        receiver.trickling[key] -= 1
                        (receiver.answered if whole else receiver.cut).append(key)

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

    def accepted_per_key(self):
        """How many requests were answered 2xx under each Idempotency-Key: a receiver
        deduplicating on the key applies each key once, however many attempts it saw."""
        with self.lock:
            return Counter(key for key, status, _body in self.calls if status == 200)
