#!/usr/bin/env python3
"""The report's TCP echo client (section 5), in Python 3: the twin of 05_client_close.cpp.

Usage: python3 05_client_close.py [HOST] [PORT] [MESSAGE]
Read it next to the C++ file: the same steps, line for line, in the same order.
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

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Family :", sock.family.name)
print("Type :", sock.type.name)
print("Protocol:", "IPPROTO_IP" if sock.proto == 0 else sock.proto)
print()

server_address = (host, port)
sock.connect(server_address)
try:
    sock.sendall(message)
    print('Lo que enviaste fue : "%s"' % message.decode())

    received = b""
    while len(received) < len(message):
        data = sock.recv(19)
        if not data:
            break
        received += data
    print('La respuesta del servidor fue "%s"' % received.decode())
    status = 0
    if len(received) < len(message):
        # recv() returned b"" before the whole echo was back: the server closed (or stopped) early
        print("the server closed the connection after %d of %d bytes"
              % (len(received), len(message)), file=sys.stderr)
        status = 1
finally:
    sock.close()
    print("Socket cerrado")
sys.exit(status)
