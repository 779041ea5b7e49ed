#!/usr/bin/env python3
"""A server that stops halfway, for trying out a client: not one of the report's steps.

Usage: python3 early_close_server.py [HOST] [PORT] [--once]
It accepts a client, reads the 10 bytes of "Hola mundo", sends back only the first
5 and closes the connection, as a server would that was stopped (Ctrl+C) mid-echo.
The report's client (05_client_close.cpp, .py) must then say that the server closed
early, and exit with 1, instead of showing a short echo as if all were well.
"""
import socket
import sys

args = [a for a in sys.argv[1:] if a != "--once"]
once = "--once" in sys.argv
host = args[0] if len(args) > 0 else "127.0.0.1"
port = int(args[1]) if len(args) > 1 else 9999

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind((host, port))
bound_host, bound_port = sock.getsockname()
print("starting up on %s port %s" % (bound_host, bound_port), file=sys.stderr, flush=True)
sock.listen(1)

while True:
    print("waiting for a connection", file=sys.stderr, flush=True)
    connection, client_address = sock.accept()
    connection.settimeout(5.0)
    data = b""
    while len(data) < 10:  # all of "Hola mundo": closing with unread bytes would send a reset
        chunk = connection.recv(10 - len(data))
        if not chunk:
            break
        data += chunk
    connection.sendall(data[:len(data) // 2])
    print('received "%s", sent back only "%s", closing' % (data.decode(errors="replace"),
          data[:len(data) // 2].decode(errors="replace")), file=sys.stderr, flush=True)
    connection.close()
    if once:
        break
sock.close()
