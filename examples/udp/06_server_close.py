#!/usr/bin/env python3
"""The UDP twin of the report's echo server, in Python 3: the twin of 06_server_close.cpp.

Usage: python3 06_server_close.py [HOST] [PORT] [--once]
No listen(), no accept(), no connection to close: recvfrom() says who sent each datagram.
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

# Creating the UDP/IP socket
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

# Binding the socket to the address and port
server_address = (host, port)
sock.bind(server_address)
bound_host, bound_port = sock.getsockname()
print("starting up on %s port %s" % (bound_host, bound_port), file=sys.stderr, flush=True)

# No listening in UDP: a bound socket already receives datagrams

while True:
    # Waiting for a datagram: no connection, each one says who sent it
    print("waiting for a datagram", file=sys.stderr, flush=True)
    data, client_address = sock.recvfrom(4096)
    print('received "%s" from %s' % (data.decode(errors="replace"), client_address),
          file=sys.stderr, flush=True)

    # Send the datagram back, whole, to the address it came from
    sock.sendto(data, client_address)
    # No connection to close: the same socket waits for the next datagram
    if once:
        break
sock.close()
