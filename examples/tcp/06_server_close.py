#!/usr/bin/env python3
"""The report's TCP echo server (section 4), in Python 3: the twin of 06_server_close.cpp.

Usage: python3 06_server_close.py [HOST] [PORT] [--once]
Read it next to the C++ file: the same steps, line for line, in the same order.
"""
import socket
import sys

args = [a for a in sys.argv[1:] if a != "--once"]
once = "--once" in sys.argv
usage = "usage: 06_server_close.py [HOST] [PORT] [--once]"
host = args[0] if len(args) > 0 else "127.0.0.1"
if host in ("--help", "-h"):
    print(usage)
    sys.exit(0)
# "06_server_close.py 9999" puts a PORT where the HOST goes: show the usage
if host.isdigit():
    print(usage, file=sys.stderr)
    sys.exit(2)
port = int(args[1]) if len(args) > 1 else 9999

# Creating the TCP/IP socket
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

# Binding the socket to the address and port
server_address = (host, port)
sock.bind(server_address)
bound_host, bound_port = sock.getsockname()
print("starting up on %s port %s" % (bound_host, bound_port), file=sys.stderr, flush=True)

# Listening for incoming connections
sock.listen(1)

while True:
    # Waiting for a connection
    print("waiting for a connection", file=sys.stderr, flush=True)
    connection, client_address = sock.accept()
    try:
        print("client connected:", client_address, file=sys.stderr, flush=True)

        # Receive the data in chunks of 19 bytes and send it back
        while True:
            data = connection.recv(19)
            print('received "%s"' % data.decode(errors="replace"), file=sys.stderr, flush=True)
            if data:
                connection.sendall(data)
            else:
                break
    finally:
        # Closing the connection
        connection.close()
    if once:
        break
sock.close()
