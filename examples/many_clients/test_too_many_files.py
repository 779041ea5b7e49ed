"""More clients than the server may open files: accept() fails with "Too many open
files", and the server must say so and keep serving, not exit. The server runs with a
limit of 40 descriptors (RLIMIT_NOFILE); 60 clients connect, then leave; a new client
must get its echo. usage: test_too_many_files.py SERVER [SERVER ...]"""
import sys
import time

import lessontest as lt

try:
    import resource  # POSIX only
except ImportError:
    resource = None

LIMIT = 40
# Runs the server with a lower descriptor limit: exec keeps the PID, so lt.Server stops it.
WRAPPER = ("import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (%d, %d)); "
           "os.execv(sys.argv[1], sys.argv[1:])" % (LIMIT, LIMIT))


def check_server(program):
    with lt.Server([sys.executable, "-c", WRAPPER, program, "127.0.0.1", "0"], echo=False) as srv:
        crowd = []
        for _ in range(60):  # the listen queue (128) takes those the server cannot accept
            crowd.append(lt.connect(srv.address, timeout=5))
        srv.wait_for(r"Too many open files", timeout=10)
        lt.check(srv.alive(), "%s exited when accept() failed" % program)
        for sock in crowd:
            sock.close()
        # Once the crowd is gone, a new client is served (give the server a few seconds).
        echo = b""
        deadline = time.monotonic() + 10
        while echo != b"hola" and time.monotonic() < deadline:
            try:
                client = lt.connect(srv.address, timeout=2)
                client.sendall(b"hola")
                echo = client.recv(4)
                client.close()
            except OSError:
                time.sleep(0.1)  # still full: try again
        lt.check(echo == b"hola", "%s did not serve a new client after the crowd left" % program)
        lt.check(srv.alive(), "%s is still running" % program)
        print("%s: survived accept() failing with Too many open files" % program)


def sanitized(program):
    """ASan/UBSan need descriptors of their own to check memory: with none left they
    report errors that are not the program's (UBSan: "invalid vptr")."""
    with open(program, "rb") as f:
        binary = f.read()
    return b"__asan_init" in binary or b"__ubsan_handle" in binary


def test():
    if resource is None:
        lt.skip("needs POSIX resource limits")
    if any(sanitized(p) for p in sys.argv[1:]):
        lt.skip("built with ASan/UBSan, which need free descriptors themselves")
    for program in sys.argv[1:]:
        check_server(program)


lt.main(test)
