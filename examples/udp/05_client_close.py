#!/usr/bin/env python3
"""The UDP twin of the report's echo client, in Python 3: the twin of 05_client_close.cpp.

Usage: python3 05_client_close.py [HOST] [PORT] [MESSAGE]
No connect(): each sendto() names the server; recvfrom() waits at most 2 s.
"""
import socket
import sys

usage = "usage: 05_client_close.py [HOST] [PORT] [MESSAGE]"
host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
if host in ("--help", "-h"):
    print(usage)
    sys.exit(0)
# "05_client_close.py 9999" puts a PORT where the HOST goes: show the usage
if host.isdigit():
    print(usage, file=sys.stderr)
    sys.exit(2)
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
message = (sys.argv[3] if len(sys.argv) > 3 else "Hola mundo").encode()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("Family :", sock.family.name)
print("Type :", sock.type.name)
print("Protocol:", "IPPROTO_IP" if sock.proto == 0 else sock.proto)
print()

server_address = (host, port)
# No connect(): UDP has no connection; each sendto() names server_address

status = 0
try:
    sock.sendto(message, server_address)
    print('Lo que enviaste fue : "%s"' % message.decode())

    sock.settimeout(2.0)
    received, server = sock.recvfrom(4096)
    print('La respuesta del servidor fue "%s"' % received.decode())
except socket.timeout:
    # UDP sends no error back to this socket when nobody listens: the client can only wait
    print("no answer within 2 s: is the server running?")
    status = 1
finally:
    sock.close()
    print("Socket cerrado")
sys.exit(status)
