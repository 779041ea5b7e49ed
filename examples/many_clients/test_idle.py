"""--idle SECONDS: a client that sends and reads nothing for that long is dropped, so
silent clients cannot keep descriptors (or threads) for ever; a client that keeps
talking is not. usage: test_idle.py SERVER [SERVER ...]"""
import socket
import sys
import time

import lessontest as lt


def check_server(program):
    with lt.Server([program, "127.0.0.1", "0", "--idle", "1"]) as srv:
        silent = lt.connect(srv.address, timeout=6)
        talker = lt.connect(srv.address, timeout=6)
        start = time.monotonic()
        for n in range(10):  # a byte every 0.25 s for 2.5 s: never quiet for 1 s
            talker.sendall(b"%d" % n)
            lt.check(talker.recv(10) == b"%d" % n, "%s: the talking client's echo" % program)
            time.sleep(0.25)  # pacing the client, not waiting for the server
        try:
            closed = silent.recv(10) == b""  # already closed by now, or soon
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
        took = time.monotonic() - start
        lt.check(closed, "%s kept a silent client for %.1f s with --idle 1" % (program, took))
        lt.check(took < 6, "%s dropped the silent client only after %.1f s" % (program, took))
        talker.sendall(b"still here")
        lt.check(lt.recv_until(talker, b"still here") == b"still here", "%s: the talker was dropped" % program)
        talker.close()
        silent.close()
        lt.check(srv.alive(), "%s is still running" % program)
        print("%s: dropped the silent client, kept the talking one" % program)


def test():
    for program in sys.argv[1:]:
        check_server(program)


lt.main(test)
