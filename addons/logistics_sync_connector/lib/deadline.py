# Copyright 2026 Logistics Sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Request deadlines of lib/outbound.py: the sockets of a request are shut down when its
time is up, by a timer thread per request or by one watchdog thread per client."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Deadline:
    """Shuts the sockets of one request down when its time is up: a read timeout
    applies per read, and a server sending a byte at a time never reaches it."""

    def __init__(self, seconds: float, watchdog=None):
        self.seconds = seconds
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._watchdog = watchdog
        self._timer = None
        if watchdog is None:
            self._timer = threading.Timer(seconds, self.expire)
            self._timer.daemon = True

    def __enter__(self):
        if self._watchdog is not None:
            self._watchdog.arm(self, time.monotonic() + self.seconds)
        else:
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if self._watchdog is not None:
            self._watchdog.disarm()
        else:
            self._timer.cancel()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            shutdown(sock)

    def expire(self):
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            shutdown(sock)


class Watchdog:
    """One thread that ends a client's requests at their deadlines, one request at a
    time: starting a timer thread per request costs more than a kept-alive request."""

    def __init__(self):
        self._cond = threading.Condition()
        self._current = None  # (deadline, monotonic time it expires)
        self._stopped = False
        self._thread = None

    def arm(self, deadline, at):
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="outbound-deadline", daemon=True)
                self._thread.start()
            self._current = (deadline, at)
            self._cond.notify()

    def disarm(self):
        with self._cond:
            self._current = None
            self._cond.notify()

    def stop(self):
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self):
        with self._cond:
            while not self._stopped:
                if self._current is None:
                    self._cond.wait()
                    continue
                deadline, at = self._current
                remaining = at - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._current = None
                deadline.expire()


def shutdown(sock):
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class Sockets:
    """The sockets of one pinned session, watched by the deadline of the request under
    way: a kept-alive connection was opened by an earlier request, whose deadline is over."""

    def __init__(self):
        self.deadline = None
        self._sockets = []

    def watch(self, sock):
        self._sockets = [s for s in self._sockets if s.fileno() != -1] + [sock]
        if self.deadline is not None:
            self.deadline.watch(sock)

    def begin(self, deadline):
        self.deadline = deadline
        for sock in self._sockets:
            if sock.fileno() != -1:
                deadline.watch(sock)

    def end(self):
        self.deadline = None
