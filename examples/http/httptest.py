"""Helpers shared by the HTTP lesson's tests (next to lessontest, which starts servers).

A test root folder with known files, a raw HTTP response reader (for the tests that
talk bytes rather than through a client library), and a send-byte-by-byte helper.
"""
import os
import socket
import tempfile
import time

import lessontest as lt

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(HERE, "www")


def make_root(parent):
    """A folder to serve, under PARENT, with files whose bytes the tests know, a
    sub-folder with its own index.html, and a secret file NEXT TO the root (outside
    it) that no request may ever reach. Returns (root, files) where files maps a URL
    path to the bytes expected."""
    root = os.path.join(parent, "root")
    os.makedirs(os.path.join(root, "sub"))
    files = {
        "/hello.txt": b"Hola mundo\n",
        "/page.html": b"<!DOCTYPE html><title>t</title><p>hi</p>\n",
        "/a b.txt": b"a file name with a space\n",
        "/caf\u00e9.txt": "caf\u00e9 con leche\n".encode("utf-8"),
        "/sub/index.html": b"<!DOCTYPE html><title>sub</title>\n",
        "/data.bin": bytes(range(256)) * 1024,  # 256 KiB, every byte value
    }
    for path, data in files.items():
        with open(os.path.join(root, *path.strip("/").split("/")), "wb") as f:
            f.write(data)
    with open(os.path.join(parent, "secret.txt"), "wb") as f:
        f.write(b"TOP SECRET\n")
    return root, files


def read_response(sock, head_only=False, limit=1 << 22):
    """Reads one response from SOCK: (status, headers with lower-case names, body,
    raw head). Follows Content-Length; with neither that nor a HEAD request, reads
    until the server closes. Raises AssertionError if the connection ends early."""
    data = getattr(sock, "_pending", b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        lt.check(chunk, "the connection closed before a whole head; got %r" % data[:200])
        data += chunk
        lt.check(len(data) < limit, "a head longer than %d bytes" % limit)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, _reason = (lines[0].split(" ", 2) + [""])[:3]
    lt.check(version in ("HTTP/1.1", "HTTP/1.0"), "not a status line: %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if head_only:
        body, rest = b"", rest
    elif "content-length" in headers:
        length = int(headers["content-length"])
        while len(rest) < length:
            chunk = sock.recv(65536)
            lt.check(chunk, "the connection closed %d bytes into a %d-byte body" % (len(rest), length))
            rest += chunk
        body, rest = rest[:length], rest[length:]
    else:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        body, rest = rest, b""
    sock._pending = rest
    return int(status), headers, body, lines[0]


class Conn:
    """A raw TCP connection (socket.socket has __slots__-free subclasses only)."""

    def __init__(self, address, timeout=10.0):
        self.sock = socket.create_connection(address, timeout=timeout)
        # Send each send() at once, so that "byte by byte" really is one byte a packet.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = b""

    def send(self, data, byte_by_byte=False):
        if byte_by_byte:
            for i in range(len(data)):
                self.sock.sendall(data[i:i + 1])
        else:
            self.sock.sendall(data)

    def recv(self, n):
        return self.sock.recv(n)

    def response(self, head_only=False):
        return read_response(self, head_only)

    def closed_by_server(self, within=5.0):
        """True when the server closes (FIN or reset) within WITHIN seconds and sends
        nothing more."""
        self.sock.settimeout(within)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def tempdir():
    return tempfile.TemporaryDirectory(prefix="csnet-http-")


def wait_until(condition, timeout=5.0, step=0.02):
    """Polls CONDITION until it is true (bounded); returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
