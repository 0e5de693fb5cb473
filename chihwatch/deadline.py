"""An overall time limit for one network exchange, not a per-read timeout.

A socket timeout bounds each read: a peer that drips one byte every few seconds never trips it and
can hold a caller for hours. A `Deadline` bounds the whole exchange: when it expires (or when
`abort_all()` is called, e.g. by a daemon told to stop), every socket registered with it is shut
down, which wakes the thread blocked on it with an error at once. The caller then asks
`deadline.expired` to tell "too slow" from any other failure.

    with Deadline(60, "e-mail to smtp.example.org") as dl:
        client = smtplib.SMTP(timeout=dl.socket_timeout(30))
        dl.watch(lambda: client.sock)     # read at expiry time: STARTTLS replaces the socket
        ...

`run_within(fn, seconds)` is the fallback for libraries whose sockets cannot be reached (Apprise):
the call runs in a daemon thread that is abandoned, not waited for, once the time is up.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Deadline", "DeadlineExpired", "abort_all", "run_within"]

T = TypeVar("T")

_active: set[Deadline] = set()
_active_lock = threading.Lock()


class DeadlineExpired(Exception):
    """Raised by `run_within` when the call did not return in time (or was aborted)."""


class Deadline:
    """Shut down the watched sockets `seconds` after entering, or when aborted."""

    def __init__(self, seconds: float, what: str = "operation") -> None:
        if not seconds > 0:
            raise ValueError(f"deadline must be positive, got {seconds!r}")
        self.seconds = float(seconds)
        self.what = what
        self.expired = False
        self.reason = ""
        self._end = 0.0
        self._watched: list[Callable[[], Any]] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self.expire, args=("timed out",))
        self._timer.daemon = True
        self._timer.start()
        with _active_lock:
            _active.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with _active_lock:
            _active.discard(self)

    def remaining(self) -> float:
        """Seconds left (0 once expired)."""
        return 0.0 if self.expired else max(0.0, self._end - time.monotonic())

    def socket_timeout(self, per_read: float) -> float:
        """A per-read timeout no longer than what is left of the deadline (connects included),
        plus a margin so that at the deadline itself the deadline fires first, and says so."""
        return max(0.05, min(per_read, self.remaining() + 0.5))

    def watch(self, get_socket: Callable[[], Any]) -> None:
        """Register a socket (or a callable returning the current one) to shut down on expiry."""
        with self._lock:
            self._watched.append(get_socket)
            late = self.expired
        if late:
            _shutdown(get_socket)

    def expire(self, reason: str = "timed out") -> None:
        """End the exchange now: shut down every watched socket."""
        with self._lock:
            if self.expired:
                return
            self.expired = True
            self.reason = reason
            watched = list(self._watched)
        for get in watched:
            _shutdown(get)


def _shutdown(get: Callable[[], Any] | Any) -> None:
    sock = get() if callable(get) and not isinstance(get, socket.socket) else get
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError, AttributeError):
        pass


def abort_all(reason: str = "stopping") -> int:
    """Expire every deadline in progress (a daemon stopping); returns how many there were."""
    with _active_lock:
        active = list(_active)
    for dl in active:
        dl.expire(reason)
    return len(active)


def run_within(fn: Callable[[], T], seconds: float, what: str = "operation") -> T:
    """fn() in a daemon thread; DeadlineExpired if it has not returned within `seconds`
    (or `abort_all()` was called meanwhile). An abandoned call keeps running in its thread
    but never holds up the caller or the process's exit."""
    result: list[Any] = []
    error: list[BaseException] = []
    done = threading.Event()

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed to the caller below
            error.append(exc)
        finally:
            done.set()

    with Deadline(seconds, what) as dl:
        # abort_all() expires this deadline; the watched "socket" is the event that ends the wait.
        dl.watch(lambda: _EventWaker(done))
        thread = threading.Thread(target=target, name=f"deadline: {what}", daemon=True)
        thread.start()
        done.wait(seconds)
    if not result and not error:
        raise DeadlineExpired(dl.reason or "timed out")
    if error:
        raise error[0]
    return result[0]


class _EventWaker:
    """Looks like a socket to `_shutdown`: shutting it down sets the event being waited on."""

    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def shutdown(self, how: int) -> None:
        self._event.set()
