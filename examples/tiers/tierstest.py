"""Helpers shared by the tiers lesson's tests: the frames of frames.hpp, in Python."""
import socket
import struct

import lessontest as lt

LIMIT = 64 * 1024  # frames.hpp: max_payload


def frame(payload):
    """b'LIST' -> b'\\x00\\x00\\x00\\x04LIST': a 4-byte big-endian length, then the payload."""
    return struct.pack(">I", len(payload)) + payload


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        piece = sock.recv(n - len(data))
        if not piece:
            break
        data += piece
    return data


def recv_frame(sock):
    """One reply's payload, or None when the server closed the connection."""
    header = recv_exactly(sock, 4)
    if not header:
        return None
    lt.check(len(header) == 4, "the connection closed inside a reply's length: %r" % header)
    (length,) = struct.unpack(">I", header)
    lt.check(length <= LIMIT, "a reply of %d bytes" % length)
    payload = recv_exactly(sock, length)
    lt.check(len(payload) == length, "the connection closed inside a reply")
    return payload


def ask(address, *requests):
    """Sends each request on one connection and returns the replies."""
    with lt.connect(address) as sock:
        replies = []
        for request in requests:
            sock.sendall(frame(request))
            replies.append(recv_frame(sock))
        return replies


def closed_by_peer(sock):
    """True when the peer has closed: recv returns b'' (or the connection was reset)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
