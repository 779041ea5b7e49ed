"""The chat relays each complete line to every other client: three clients, one of
which sends its line in pieces; joins and leaves are announced; a line without a
newline waits for it. usage: test_chat.py CHAT_SERVER"""
import socket
import sys

import lessontest as lt


class Lines:
    """Reads one line at a time from a socket, keeping what came after it."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def read(self):
        while b"\n" not in self.pending and len(self.pending) < 65536:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line + b"\n"


def test():
    with lt.Server([sys.argv[1], "127.0.0.1", "0"]) as srv:
        ana_socket = lt.connect(srv.address, timeout=5)
        ana = Lines(ana_socket)
        srv.wait_for(r"joined")
        bea_socket = lt.connect(srv.address, timeout=5)
        bea = Lines(bea_socket)
        joined = ana.read()
        lt.check(joined.startswith(b"* ('127.0.0.1', ") and joined.endswith(b" joined\n"), joined)
        carl_socket = lt.connect(srv.address, timeout=5)
        carl = Lines(carl_socket)
        ana.read(), bea.read()  # carl joined, seen by both

        ana_socket.sendall(b"hola a todos\n")
        for who in (bea, carl):
            line = who.read()
            lt.check(line.endswith(b": hola a todos\n"), line)

        # A line in three pieces: nothing is relayed until its newline arrives.
        bea_socket.sendall(b"uno ")
        srv.wait_for(r"hola a todos")
        bea_socket.sendall(b"dos ")
        ana_socket.settimeout(0.3)
        try:
            early = ana_socket.recv(100)
        except socket.timeout:
            early = b""
        lt.check(early == b"", "a partial line was relayed: %r" % early)
        ana_socket.settimeout(5)
        bea_socket.sendall(b"tres\nsegunda linea\n")
        for who in (ana, carl):
            first = who.read()
            lt.check(first.endswith(b": uno dos tres\n"), first)
            second = who.read()
            lt.check(second.endswith(b": segunda linea\n"), second)
        # The sender does not get its own line back.
        bea_socket.settimeout(0.3)
        try:
            own = bea_socket.recv(100)
        except socket.timeout:
            own = b""
        lt.check(own == b"", "the sender got its own line: %r" % own)

        carl_socket.close()
        for who in (ana, bea):
            who.sock.settimeout(5)
            left = who.read()
            lt.check(b"left" in left, left)
        ana_socket.close()
        bea_socket.close()
        srv.wait_for(r"\('127.0.0.1', \d+\) left.*\n?", timeout=5)
        lt.check(srv.alive(), "the chat is still running")


lt.main(test)
