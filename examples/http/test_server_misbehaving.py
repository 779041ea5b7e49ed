"""http_server against clients that misbehave, while others are being served: a
connection left idle, half a request and then silence, a header that never ends, a
client that vanishes (reset) in the middle of a request or of a big answer, and a
hundred silent connections at once, accept() failing for want of file descriptors.
The server closes what it must, in bounded time and memory, and keeps answering
everyone else.

usage: test_server_misbehaving.py HTTP_SERVER
"""
import os
import socket
import struct
import sys
import time

import lessontest as lt
import httptest as ht

OK = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"


def served_quickly(srv, files):
    """Another client is answered at once, whatever the others are doing."""
    start = time.monotonic()
    with ht.Conn(srv.address, timeout=5) as c:
        c.send(OK)
        status, _, body, _ = c.response()
    elapsed = time.monotonic() - start
    lt.check(status == 200 and body == files["/hello.txt"], "another client was not served")
    lt.check(elapsed < 1.5, "another client waited %.2f s (--idle is 2 s)" % elapsed)


def reset(sock):
    """Closes with a reset (RST) instead of a normal end (FIN): SO_LINGER, 0 seconds."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test():
    server = sys.argv[1]
    with ht.tempdir() as tmp:
        root, files = ht.make_root(tmp)
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(b"z" * (16 << 20))  # 16 MiB: more than the sockets' buffers hold
        with lt.Server([server, "127.0.0.1", "0", "--root", root, "--idle", "2"]) as srv:
            # 1. Idle: after one answer, a silent keep-alive connection is closed after ~2 s.
            with ht.Conn(srv.address) as c:
                c.send(OK)
                c.response()
                start = time.monotonic()
                lt.check(c.closed_by_server(within=8), "an idle connection was not closed")
                elapsed = time.monotonic() - start
                lt.check(1.5 < elapsed < 6, "closed after %.2f s, --idle 2" % elapsed)
            srv.wait_for(r"idle for 2 s: closing the connection")

            # 2. Half a request, then silence: others are served meanwhile; after the
            #    idle time the half request gets 408 and the connection is closed.
            with ht.Conn(srv.address) as stalled:
                stalled.send(b"GET /hello.txt HTTP/1.1\r\nHo")
                served_quickly(srv, files)
                status, _, _, _ = stalled.response()
                lt.check(status == 408, "a stalled request: %d, expected 408" % status)
                lt.check(stalled.closed_by_server(), "the stalled connection was not closed")

            # 3. A header that never ends: the server stops at 8 KiB with 431 and stops
            #    reading soon after; we may see the 431 or a reset, never an endless read.
            with ht.Conn(srv.address) as c:
                c.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Endless: ")
                sent, outcome = 0, None
                try:
                    while sent < (64 << 20):
                        c.sock.sendall(b"y" * 65536)
                        sent += 65536
                except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
                    outcome = repr(e)
                lt.check(sent < (64 << 20), "the server read 64 MiB of one header")
                srv.wait_for(r'"GET / HTTP/1.1" 431')
                print("endless header: stopped after %d KiB (%s)" % (sent >> 10, outcome), flush=True)
            served_quickly(srv, files)

            # 4. Clients that vanish: one in the middle of a request, one in the middle
            #    of a 16 MiB answer (the server's sendall fails: logged, not fatal).
            c = socket.create_connection(srv.address, timeout=10)
            c.sendall(b"GET /hello.txt HTTP/1.1\r\nHos")
            time.sleep(0.1)  # let the server read those bytes, then vanish
            reset(c)
            c = socket.create_connection(srv.address, timeout=10)
            c.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            lt.check(c.recv(100).startswith(b"HTTP/1.1 200 OK"), "the big file's answer starts")
            reset(c)
            srv.wait_for(r"reset|[Bb]roken pipe")
            served_quickly(srv, files)

            # 5. A hundred silent connections at once: still, others are served.
            silent = [socket.create_connection(srv.address, timeout=10) for _ in range(100)]
            served_quickly(srv, files)
            for s in silent:
                s.close()
            lt.check(srv.alive(), "the server is still running")

        # 6. accept() fails (here: no file descriptor left, the server may hold only 12):
        #    the server logs it and goes on serving once clients leave (POSIX only:
        #    the limit is set with the resource module, then the server replaces Python).
        #    Not under ASan/UBSan: they need descriptors of their own to check memory,
        #    and there are none left, so they would report themselves.
        with open(server, "rb") as f:
            program = f.read()
        sanitized = b"__asan_init" in program or b"__ubsan_handle" in program
        if os.name == "posix" and not sanitized:
            limit = "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (12, 12)); " \
                    "os.execv(sys.argv[1], sys.argv[1:])"
            with lt.Server([sys.executable, "-c", limit, server, "127.0.0.1", "0", "--root", root]) as srv:
                crowd = [socket.create_connection(srv.address, timeout=10) for _ in range(20)]
                srv.wait_for(r"accept\(\) failed: .*[Tt]oo many open files")
                for s in crowd:
                    s.close()
                served_quickly(srv, files)
                lt.check(srv.alive(), "the server stopped when accept() failed")


if __name__ == "__main__":
    lt.main(test)
