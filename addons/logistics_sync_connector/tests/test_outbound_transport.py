# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The outbound transport against real local servers (no database): the checked
address is the one connected to, answers are capped, requests end at their deadline."""

import datetime
import socket
import ssl
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest.mock import patch

import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from odoo.tests import common

from ..lib import outbound

PUBLIC = "93.184.216.34"
_real_getaddrinfo = socket.getaddrinfo


def _rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@contextmanager
def _peak_rss():
    """{"peak": highest resident size seen while the block ran, "base": before it}."""
    seen = {"base": _rss(), "peak": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            seen["peak"] = max(seen["peak"], _rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


class _Server:
    """A local HTTP(S) server answering POSTs with ``answer(handler)``."""

    def __init__(self, answer, tls_context=None):
        self.requests = []  # (Host header, path)
        self.connections = 0  # accepted
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                res = super().setup()
                server.connections += 1
                return res

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append((self.headers.get("Host"), self.path))
                try:
                    answer(self, server.stop)
                except OSError:
                    self.close_connection = True  # the client went away: expected

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls_context:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _ok(handler, stop):
    handler.send_response(200)
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"{}")


def _huge(handler, stop):
    """500 MB, generated as it is written."""
    chunk = b"x" * 65536
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(500 * 1024 * 1024))
    handler.end_headers()
    for _i in range(500 * 16):
        if stop.is_set():
            return
        handler.wfile.write(chunk)


def _trickled_body(handler, stop):
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.flush()
    while not stop.wait(1):
        handler.wfile.write(b"x")
        handler.wfile.flush()


def _trickled_headers(handler, stop):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    handler.wfile.flush()
    while not stop.wait(1):
        handler.wfile.write(b"x")
        handler.wfile.flush()


def _certificate(directory, name):
    """A self-signed certificate for ``name`` and its key, as files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = Path(directory, f"{name}.pem"), Path(directory, f"{name}.key")
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class TestOutboundTransport(common.BaseCase):
    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Every request of these tests goes to a local server (names resolved by the
        # patched resolver): let them through, with their own timeouts.
        return common._super_send(s, r, **kw)

    def _resolving(self, names):
        """Patch the system resolver: ``names[host]`` is the list of addresses the
        successive lookups of ``host`` return (the last one repeats)."""
        lookups = []

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in names:
                return _real_getaddrinfo(host, port, *args, **kwargs)
            lookups.append(host)
            answers = names[host]
            address = answers[min(len(lookups), len(answers)) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        return patch.object(socket, "getaddrinfo", getaddrinfo), lookups

    # ------------------------------------------------------------------ item 8
    def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(self):
        """The guard resolved the name to a public address, then requests resolved it
        again, to 127.0.0.1 by then, and connected there."""
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        resolving, lookups = self._resolving({"rebind.example": [PUBLIC, "127.0.0.1"]})
        connects = []
        real_connect = urllib3.util.connection.create_connection

        def create_connection(address, *args, **kwargs):
            connects.append(address[0])
            if address[0] == PUBLIC:  # no network in tests: that host refuses
                raise ConnectionRefusedError(111, "refused")
            return real_connect(address, *args, **kwargs)

        with listener, resolving, patch.object(urllib3.util.connection, "create_connection",
                                               create_connection):
            result = outbound.send("POST", f"https://rebind.example:{port}/hook", b"{}", {},
                                   timeout=(1, 1), deadline=5)
            try:
                accepted = listener.accept()[0]
                accepted.close()
            except TimeoutError:
                accepted = None
        self.assertIsNone(accepted, "nothing connected to 127.0.0.1")
        self.assertEqual(connects, [PUBLIC], "connected to the checked address only")
        self.assertEqual(lookups, ["rebind.example"], "the name is resolved once")
        self.assertEqual(result.outcome, "retry")

    def test_a_pinned_request_keeps_the_host_header_and_reaches_an_allowed_local_server(self):
        with _Server(_ok) as server:
            resolving, lookups = self._resolving({"receiver.test": ["127.0.0.1"]})
            with resolving:
                result = outbound.send("POST", f"http://receiver.test:{server.port}/hook", b"{}",
                                       {}, timeout=(1, 2), allow_private=True, deadline=5)
        self.assertEqual((result.outcome, result.status_code), ("ok", 200))
        self.assertEqual(server.requests, [(f"receiver.test:{server.port}", "/hook")])
        self.assertEqual(lookups, ["receiver.test"])

    def test_tls_uses_the_name_for_sni_and_certificate_verification(self):
        with tempfile.TemporaryDirectory() as directory:
            cert, key = _certificate(directory, "tls.example")
            other_cert, _other_key = _certificate(directory, "other.example")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            sni = []
            context.sni_callback = lambda sock, name, ctx: sni.append(name)
            resolving, _lookups = self._resolving({"tls.example": ["127.0.0.1"]})
            with _Server(_ok, tls_context=context) as server, resolving:
                url = f"https://tls.example:{server.port}/hook"
                result = outbound.send("POST", url, b"{}", {}, timeout=(2, 2),
                                       allow_private=True, deadline=5, verify=cert)
                # A certificate of another name is refused, though the address is the same.
                refused = outbound.send("POST", url, b"{}", {}, timeout=(2, 2),
                                        allow_private=True, deadline=5, verify=other_cert)
        self.assertEqual((result.outcome, result.status_code), ("ok", 200))
        self.assertEqual(sni[0], "tls.example")
        self.assertEqual(server.requests, [(f"tls.example:{server.port}", "/hook")])
        self.assertEqual(refused.outcome, "retry")
        self.assertIn("certificate", refused.reason.lower())

    # ------------------------------------------------------------------ item 9
    def test_a_500_mb_answer_is_read_up_to_64_kb_with_flat_memory(self):
        with _Server(_huge) as server, _peak_rss() as rss:
            started = time.monotonic()
            result = outbound.send("POST", f"http://127.0.0.1:{server.port}/hook", b"{}", {},
                                   timeout=(2, 5), allow_private=True, deadline=5)
            elapsed = time.monotonic() - started
        self.assertEqual((result.outcome, result.status_code), ("ok", 200))
        self.assertTrue(result.truncated)
        self.assertLess(elapsed, 5)
        self.assertLess(rss["peak"] - rss["base"], 32 * 1024 * 1024, "memory stays flat")

    def test_a_trickling_server_is_cut_at_the_deadline(self):
        for answer, outcome in ((_trickled_body, "ok"), (_trickled_headers, "retry")):
            with self.subTest(answer=answer.__name__), _Server(answer) as server:
                results = []
                started = time.monotonic()
                sender = threading.Thread(target=lambda p=server.port, r=results: r.append(
                    outbound.send("POST", f"http://127.0.0.1:{p}/hook", b"{}", {},
                                  timeout=(2, 30), allow_private=True, deadline=2)))
                sender.start()
                sender.join(6)
                elapsed = time.monotonic() - started
                self.assertFalse(sender.is_alive(), "ended by the deadline")
                self.assertLess(elapsed, 3.5)
                self.assertEqual(results[0].outcome, outcome)
                if outcome == "retry":
                    self.assertIn("deadline", results[0].reason)
                else:
                    self.assertTrue(results[0].truncated)

    # ------------------------------------------------------------------ kept-alive connections
    def test_a_client_reuses_its_connection_and_still_ends_each_request_at_its_deadline(self):
        answers = iter([_ok, _ok, _trickled_body])
        with _Server(lambda handler, stop: next(answers)(handler, stop)) as server, \
                outbound.Client() as client:
            url = f"http://127.0.0.1:{server.port}/hook"
            first = [client.send("POST", url, b"{}", {}, timeout=(2, 30), allow_private=True, deadline=2)
                     for _i in range(2)]
            started = time.monotonic()
            slow = client.send("POST", url, b"{}", {}, timeout=(2, 30), allow_private=True, deadline=2)
            elapsed = time.monotonic() - started
        self.assertEqual([r.outcome for r in first], ["ok", "ok"])
        self.assertEqual((len(server.requests), server.connections), (3, 1), "one connection, kept alive")
        self.assertLess(elapsed, 3.5, "the deadline watches the reused connection too")
        self.assertTrue(slow.truncated)

    def test_a_client_connects_to_the_address_checked_for_each_request(self):
        """The name resolves to another address for the second request: a connection kept
        alive to the first one is not reused (nothing listens on the second)."""
        resolving, lookups = self._resolving({"receiver.test": ["127.0.0.1", "127.0.0.2"]})
        with _Server(_ok) as server, resolving, outbound.Client() as client:
            url = f"http://receiver.test:{server.port}/hook"
            results = [client.send("POST", url, b"{}", {}, timeout=(1, 2), allow_private=True, deadline=5)
                       for _i in range(2)]
        self.assertEqual([r.outcome for r in results], ["ok", "retry"])
        self.assertEqual(len(server.requests), 1)
        self.assertEqual(lookups, ["receiver.test"] * 2, "resolved and checked for each request")
