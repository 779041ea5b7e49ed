"""Sends one frame to tiers_db_server ONE BYTE AT A TIME, to show that TCP has no
message boundaries: the server's recv(4) returns 1 byte, so it must ask again.
Run the server with CSNET_TRACE=1 and watch its recv() calls.

usage: python3 bytewise.py [HOST [PORT [REQUEST]]]   (default 127.0.0.1 7000 "GET greeting")
"""
import socket
import struct
import sys
import time

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 7000
payload = (sys.argv[3] if len(sys.argv) > 3 else "GET greeting").encode()

frame = struct.pack(">I", len(payload)) + payload  # 4-byte big-endian length, then the payload
print("sending %d bytes, one at a time: %r" % (len(frame), frame))
with socket.create_connection((host, port), timeout=10) as sock:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each byte in its own segment
    for byte in frame:
        sock.sendall(bytes([byte]))
        time.sleep(0.05)
    header = sock.recv(4)
    (length,) = struct.unpack(">I", header)
    reply = b""
    while len(reply) < length:
        piece = sock.recv(length - len(reply))
        if not piece:
            break
        reply += piece
    print("reply: %r" % reply.decode("utf-8", "replace"))
