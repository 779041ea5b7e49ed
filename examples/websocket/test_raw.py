"""websocket_chat against raw sockets: what no polite client library will send.

Checks: the page and a 404; handshakes that break a rule get 400 with
Sec-WebSocket-Version: 13, Firefox's "Connection: keep-alive, Upgrade" gets 101 with
RFC 6455's own accept key; a frame sent in the same packet as the handshake is not
lost; control frames between fragments; unmasked frames, lengths of 2^63 and over
1 MiB, text that is not UTF-8, bad close frames all get the right close code; a
client that vanishes mid-message and peers that stall are dropped, and the server
keeps serving. Also --help and bad arguments.

Usage: test_raw.py PATH/TO/websocket_chat
"""
import os
import struct
import sys
import time

import lessontest as lt

TIMEOUT = 1.0  # the server's --timeout
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def handshake_text(port, connection="Upgrade", key=RFC_KEY, version="13", request_line="GET /chat HTTP/1.1"):
    return ("%s\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: %s\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n\r\n"
            % (request_line, port, connection, key, version)).encode()


def frame(opcode, payload=b"", fin=True, mask=True, length=None):
    """A client frame, built by hand as RFC 6455 section 5.2 draws it."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    if n <= 125:
        head += bytes([bit | n])
    elif n <= 0xFFFF:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise AssertionError("the server closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def read_frame(sock):
    """One server frame: (opcode, payload). Server frames must never be masked."""
    b0, b1 = read_exact(sock, 2)
    lt.check(b1 & 0x80 == 0, "a server frame is masked")
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exact(sock, 8))[0]
    return b0 & 0x0F, read_exact(sock, n)


def open_chat(server, extra=b""):
    """A raw connection through the handshake; EXTRA goes in the same sendall."""
    sock = lt.connect(server.address)
    sock.sendall(handshake_text(server.port) + extra)
    head = b""
    while b"\r\n\r\n" not in head:  # byte by byte: leave the first frame in the socket
        byte = sock.recv(1)
        lt.check(byte, "the server closed during the handshake")
        head += byte
    lt.check(head.startswith(b"HTTP/1.1 101 "), "no 101: %r" % head)
    return sock, head.decode()


def expect_close(sock, code, what):
    """Reads frames until the close frame, checks its code, then expects the end
    of the connection (the server closes TCP first)."""
    for _ in range(10):
        opcode, payload = read_frame(sock)
        if opcode == 0x8:
            got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            lt.check(got == code, "%s: expected close %s, got %s" % (what, code, got))
            sock.sendall(frame(0x8, payload[:2]))  # our half of the close handshake
            lt.check(sock.recv(100) == b"", "%s: the server did not close the connection" % what)
            sock.close()
            return
    raise AssertionError("%s: no close frame" % what)


def http(server, text):
    sock = lt.connect(server.address)
    sock.sendall(text)
    reply = lt.recv_until(sock, b"\0")  # everything, until the server closes
    sock.close()
    return reply.decode("utf-8", "replace")


def test_http(server):
    page = http(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    lt.check(page.startswith("HTTP/1.1 200 OK") and "new WebSocket(" in page, "GET / serves the page")
    lt.check(http(server, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").startswith("HTTP/1.1 404"), "404")

    broken = {
        "version 8": handshake_text(server.port, version="8"),
        "key of 5 bytes": handshake_text(server.port, key="c2hvcnQ="),
        "key not base64": handshake_text(server.port, key="not base64 at all!!!!!!="),
        "no Upgrade in Connection": handshake_text(server.port, connection="keep-alive"),
        "POST": handshake_text(server.port, request_line="POST /chat HTTP/1.1"),
        "HTTP/1.0": handshake_text(server.port, request_line="GET /chat HTTP/1.0"),
        "no Upgrade header": handshake_text(server.port).replace(b"Upgrade: websocket\r\n", b""),
    }
    for what, text in broken.items():
        reply = http(server, text)
        lt.check(reply.startswith("HTTP/1.1 400 ") and "Sec-WebSocket-Version: 13\r\n" in reply,
                 "bad handshake (%s) refused with 400 and the version: %r" % (what, reply[:200]))

    sock = lt.connect(server.address)
    sock.sendall(handshake_text(server.port, connection="keep-alive, Upgrade").replace(b"websocket", b"WebSocket"))
    reply = lt.recv_until(sock, b"\r\n\r\n").decode()
    lt.check(reply.startswith("HTTP/1.1 101 "), "Firefox's Connection: keep-alive, Upgrade is accepted")
    lt.check("Sec-WebSocket-Accept: %s\r\n" % RFC_ACCEPT in reply, "the accept key of RFC 6455's example")
    sock.close()


def test_frames(server):
    # A frame in the same sendall as the handshake is not lost.
    sock, _ = open_chat(server, extra=frame(0x1, b"right after the handshake"))
    lt.check(read_frame(sock) == (0x1, b"right after the handshake"), "the early frame is not lost")

    # Fragments with a ping between them: the pong comes at once, then the message.
    sock.sendall(frame(0x1, b"Hel", fin=False) + frame(0x9, b"between") + frame(0x0, b"lo"))
    lt.check(read_frame(sock) == (0xA, b"between"), "pong with the ping's payload, between fragments")
    lt.check(read_frame(sock) == (0x1, b"Hello"), "the fragments reassembled")

    # UTF-8 split across fragments is fine: only the whole message must be valid.
    euro = "€".encode()
    sock.sendall(frame(0x1, euro[:1], fin=False) + frame(0x0, euro[1:]))
    lt.check(read_frame(sock) == (0x1, euro), "a character split across fragments")

    # Close with a code and a reason: the code comes back, then the end.
    sock.sendall(frame(0x8, struct.pack("!H", 1000) + b"done"))
    opcode, payload = read_frame(sock)
    lt.check(opcode == 0x8 and payload[:2] == struct.pack("!H", 1000), "close 1000 echoed: %r" % payload)
    lt.check(sock.recv(100) == b"", "the server closes the TCP connection after the close handshake")
    sock.close()

    cases = [
        ("unmasked frame", frame(0x1, b"Hello", mask=False), 1002),
        ("length 2^63", frame(0x1, length=1 << 63), 1002),
        ("length 2^63 - 1", frame(0x1, length=(1 << 63) - 1), 1009),
        ("length 1 MiB + 1", frame(0x1, length=(1 << 20) + 1), 1009),
        ("fragments over 1 MiB", frame(0x1, b"x" * 1000, fin=False) + frame(0x0, length=1 << 20), 1009),
        ("text not UTF-8", frame(0x1, b"\xff\xfe"), 1007),
        ("continuation first", frame(0x0, b"lo"), 1002),
        ("new message inside one", frame(0x1, b"a", fin=False) + frame(0x1, b"b"), 1002),
        ("ping of 126 bytes", frame(0x9, b"p" * 126), 1002),
        ("fragmented ping", frame(0x9, b"p", fin=False), 1002),
        ("opcode 3", frame(0x3, b""), 1002),
        ("RSV1 set", bytes([0xC1, 0x80]) + b"\0\0\0\0", 1002),
        ("close of 1 byte", frame(0x8, b"\x03"), 1002),
        ("close 1005", frame(0x8, struct.pack("!H", 1005)), 1002),
        ("close reason not UTF-8", frame(0x8, struct.pack("!H", 1000) + b"\xff"), 1007),
        ("binary", frame(0x2, b"\0\1"), 1003),
    ]
    for what, data, code in cases:
        sock, _ = open_chat(server)
        sock.sendall(data)
        expect_close(sock, code, what)
        server.wait_for(r"left: close %d" % code)


def test_peers_that_misbehave(server):
    # A client that vanishes in the middle of a message.
    sock, _ = open_chat(server)
    sock.sendall(frame(0x1, b"x" * 100)[:50])
    sock.close()
    server.wait_for(r"left: the connection ended in the middle of a frame")

    # ... and one that vanishes between two fragments.
    sock, _ = open_chat(server)
    sock.sendall(frame(0x1, b"first half", fin=False))
    sock.close()
    server.wait_for(r"left: the connection ended without a close frame")

    # Silent before the request: closed after the timeout.
    started = time.monotonic()
    sock = lt.connect(server.address)
    lt.check(sock.recv(100) == b"", "a silent connection is closed")
    took = time.monotonic() - started
    lt.check(took < TIMEOUT + 3, "a silent connection took %.1f s to close" % took)

    # Half a request, then silence.
    sock = lt.connect(server.address)
    sock.sendall(b"GET /chat HTTP/1.1\r\nHost: x\r\n")
    lt.check(sock.recv(100) == b"", "a stalled request is closed")

    # Silent after the handshake: a ping after the timeout, dropped after another.
    sock, _ = open_chat(server)
    started = time.monotonic()
    opcode, _ = read_frame(sock)
    lt.check(opcode == 0x9, "a silent client is pinged")
    lt.check(sock.recv(100) == b"", "a client that does not answer the ping is dropped")
    took = time.monotonic() - started
    lt.check(took < 2 * TIMEOUT + 3, "dropping a silent client took %.1f s" % took)
    server.wait_for(r"left: silent for the timeout, then no answer to a ping")

    # After all that, the server still serves.
    sock, _ = open_chat(server)
    sock.sendall(frame(0x1, b"still fine"))
    lt.check(read_frame(sock) == (0x1, b"still fine"), "a new client after the misbehaving ones")
    sock.close()


def test_command_line(exe):
    result = lt.run([exe, "--help"])
    lt.check(result.returncode == 0 and b"usage: websocket_chat" in result.stdout, "--help")
    for bad in (["--timeout", "0"], ["--timeout"], ["127.0.0.1", "x"], ["127.0.0.1", "70000"], ["--nope"],
                ["a", "1", "b"]):
        result = lt.run([exe] + bad)
        lt.check(result.returncode == 2 and b"usage:" in result.stderr, "bad arguments %r: exit 2" % bad)
    result = lt.run([exe, "256.1.1.1", "0"])
    lt.check(result.returncode == 1, "a bad address: exit 1")


def test():
    exe = sys.argv[1]
    test_command_line(exe)
    with lt.Server([exe, "127.0.0.1", "0", "--timeout", str(TIMEOUT)]) as server:
        test_http(server)
        test_frames(server)
        test_peers_that_misbehave(server)
        lt.check(server.alive(), "the server is still running")


if __name__ == "__main__":
    lt.main(test)
