"""The real nginx (Debian package, see scripts/common.sh) in front of local Odoo nodes,
running the shipped example configuration deploy/nginx/odoo.conf.

Only what ties the example to one machine is substituted (node addresses, listen ports,
certificate paths; for benchmarks, the webhook rate limit), each substitution checked,
so that the tests fail when the example changes shape. nginx runs in the foreground with its files in a temporary directory, on
127.0.0.1, with a self-signed certificate for 127.0.0.1 (clients verify it).
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "deploy" / "nginx" / "odoo.conf"
EXAMPLE_HTTP = ("10.0.0.11:8069", "10.0.0.12:8069")
EXAMPLE_GEVENT = ("10.0.0.11:8072", "10.0.0.12:8072")

MAIN_CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sub(text, old, new, count=1):
    found = text.count(old)
    if found != count:
        raise AssertionError(f"{EXAMPLE}: expected {count} x {old!r}, found {found}")
    return text.replace(old, new)


def render_site(http_nodes, gevent_nodes, https_port, http_port, cert, key, webhook_rate=None):
    """deploy/nginx/odoo.conf for these nodes ("127.0.0.1:port" each) and ports; with
    ``webhook_rate`` (requests/s), the webhook rate limit replaced (benchmarks measure the
    nodes, not the limit)."""
    text = EXAMPLE.read_text()
    if webhook_rate:
        text, found = re.subn(r"(zone=logistics_webhook:\w+ rate=)\d+r/s;", rf"\g<1>{int(webhook_rate)}r/s;", text)
        if found != 1:
            raise AssertionError(f"{EXAMPLE}: expected one limit_req_zone logistics_webhook, found {found}")
    for name, example, nodes in (("odoo", EXAMPLE_HTTP, http_nodes), ("odoo_gevent", EXAMPLE_GEVENT, gevent_nodes)):
        block = re.search(r"upstream %s \{.*?\n\}" % name, text, re.S)
        if not block:
            raise AssertionError(f"{EXAMPLE}: no upstream {name}")
        lines = [line for line in block.group(0).splitlines() if line.strip().startswith("server ")]
        if [line.split()[1] for line in lines] != list(example):
            raise AssertionError(f"{EXAMPLE}: upstream {name} should list {example}")
        options = lines[0].split(None, 2)[2]  # "max_fails=… fail_timeout=…;" as in the example
        servers = "\n".join(f"    server {node} {options}" for node in nodes)
        new_block = block.group(0).replace("\n".join(lines), servers)
        text = text.replace(block.group(0), new_block)
    text = _sub(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _sub(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _sub(text, "/etc/ssl/certs/odoo.example.com.pem", str(cert))
    text = _sub(text, "/etc/ssl/private/odoo.example.com.key", str(key))
    return text


class Nginx:
    """``with Nginx(http_ports, gevent_ports) as proxy:`` -> proxy.url (https), proxy.cert."""

    def __init__(self, http_ports, gevent_ports, timeout=20, webhook_rate=None):
        self.http_ports, self.gevent_ports, self.timeout = list(http_ports), list(gevent_ports), timeout
        self.webhook_rate = webhook_rate
        self.proc = None

    def __enter__(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise RuntimeError("nginx is missing: `make test` installs it (scripts/common.sh SYSTEM_PACKAGES)")
        self.tmp = Path(tempfile.mkdtemp(prefix="logistics-nginx-"))
        self.tmp.chmod(0o755)  # nginx workers (user nobody when started as root) use the temp paths
        self.cert, self.key = self.tmp / "proxy.pem", self.tmp / "proxy.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(self.key), "-out", str(self.cert)],
                       check=True, capture_output=True, timeout=60)
        self.port, self.http_port = _free_port(), _free_port()
        (self.tmp / "site.conf").write_text(render_site(
            [f"127.0.0.1:{p}" for p in self.http_ports], [f"127.0.0.1:{p}" for p in self.gevent_ports],
            self.port, self.http_port, self.cert, self.key, webhook_rate=self.webhook_rate))
        conf = self.tmp / "nginx.conf"
        conf.write_text(MAIN_CONF.format(tmp=self.tmp))
        self.access_log, self.error_log = self.tmp / "access.log", self.tmp / "error.log"
        cmd = [nginx, "-p", str(self.tmp), "-c", str(conf), "-e", str(self.error_log), "-g", "daemon off;"]
        check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=30)
        if check.returncode:
            raise RuntimeError(f"nginx -t failed: {check.stderr}")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.__exit__(None, None, None)
            raise RuntimeError("nginx did not listen in time")
        self.url = f"https://127.0.0.1:{self.port}"
        return self

    def entries(self, at_least=0, timeout=10):
        """The access log: (client address, request line, status, upstream(s) tried) per request;
        a request that failed over lists both nodes ("127.0.0.1:8001, 127.0.0.1:8002").

        nginx logs a request after its answer is sent, so a client can be ahead of the log: wait
        until it has ``at_least`` lines and has stopped growing."""
        pattern = re.compile(r'^(\S+) "(.*)" (\d+) upstream=(.*)$')
        deadline, previous = time.monotonic() + timeout, None
        while True:
            text = self.access_log.read_text() if self.access_log.exists() else ""
            lines = [match.groups() for match in map(pattern.match, text.splitlines()) if match]
            if (len(lines) >= at_least and text == previous) or time.monotonic() > deadline:
                return lines
            previous = text
            time.sleep(0.2)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)
