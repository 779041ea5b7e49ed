"""More clients than the server may open files: accept() fails with "Too many open
files", and the server must say so and keep serving, not exit, nor spin (the listening
socket stays ready while accept() fails: a loop that asks again at once burns a CPU and
floods its log). The server runs with a limit of 40 descriptors (RLIMIT_NOFILE); 60
clients connect and wait, then leave; a new client must get its echo.
usage: test_too_many_files.py SERVER [SERVER ...]"""
import os
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
        # While the crowd stays, the server must wait, not spin: CPU time and log lines.
        before_cpu, before_lines = cpu_seconds(srv.proc.pid), srv.stderr.count(r"Too many open files")
        time.sleep(2)  # measuring over 2 s, not waiting for the server
        cpu = cpu_seconds(srv.proc.pid) - before_cpu if before_cpu is not None else 0.0
        lines = srv.stderr.count(r"Too many open files") - before_lines
        lt.check(cpu < 0.5, "%s spins while out of descriptors: %.2f s of CPU in 2 s" % (program, cpu))
        lt.check(lines <= 40, "%s floods its log: %d errors in 2 s" % (program, lines))
        for sock in crowd:
            sock.close()
        # Once the crowd is gone, a new client is served (give the server a few seconds).
        ok = False
        deadline = time.monotonic() + 10
        while not ok and time.monotonic() < deadline:
            try:
                ok = served(srv.address, program.rstrip(".exe").endswith("chat"))
            except OSError:
                time.sleep(0.1)  # still full: try again
        lt.check(ok, "%s did not serve a new client after the crowd left" % program)
        lt.check(srv.alive(), "%s is still running" % program)
        print("%s: survived accept() failing with Too many open files" % program)


def served(address, chat):
    """A new client gets its answer: its echo, or (the chat) another new client's line."""
    with lt.connect(address, timeout=2) as a:
        if not chat:
            a.sendall(b"hola")
            return a.recv(4) == b"hola"
        with lt.connect(address, timeout=2) as b:
            b.sendall(b"hola\n")  # a hears "* ... joined" (b), then b's line
            return lt.recv_until(a, b": hola\n").endswith(b": hola\n")


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux's /proc), or None elsewhere."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


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
