"""Whether a role's server can listen on its port, checked before the role is (re)started, and the
one line that says why not: the same wording whether the check or the server's own bind failed."""

from __future__ import annotations

import errno
import socket

HOST = "127.0.0.1"  # every role that listens (flower, the simulator) binds loopback only


def bind_error(port: int, host: str = HOST) -> OSError | None:
    """Why a server could not listen on host:port now, or None. Binds as aiohttp and tornado do
    (SO_REUSEADDR), so a port a stopped server left in TIME_WAIT counts as free, as it is for them."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc
    return None


def describe(error: OSError, port: int, source: str, host: str = HOST) -> str:
    """One line naming the setting (`source`) that chose the port."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is taken ({source})"
    return f"cannot listen on {host}:{port} ({source}): {error.strerror}"


def problem(port: int, source: str, host: str = HOST) -> str | None:
    error = bind_error(port, host)
    return describe(error, port, source, host) if error is not None else None
