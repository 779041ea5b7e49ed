"""What every lesson test needs: start a lesson server on port 0, learn its port from
its first line, watch what it logs, and stop it (only the processes the test started).

The lesson servers print, on standard error and before they accept anyone,
    starting up on HOST port PORT
so a test never guesses a port and never sleeps to wait for a server: it waits for that
line. Every wait has a deadline, so a broken server fails the test instead of hanging it.

Usage (from a test script next to a lesson):
    import lessontest as lt
    with lt.Server([server_exe, "127.0.0.1", "0"]) as srv:
        ... connect to ("127.0.0.1", srv.port) ...
        srv.wait_for(r"client connected")
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

SKIP = 77  # ctest (SKIP_RETURN_CODE) and meson both show exit code 77 as "skipped"


def skip(why):
    """Ends the test as skipped, saying why (a real client is not installed, ...)."""
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


def need(program):
    """The full path of PROGRAM, or skip the test when it is not installed."""
    path = shutil.which(program)
    if path is None:
        skip(program + " is not installed")
    return path


def check(condition, message):
    """assert that is never optimised away, with a message."""
    if not condition:
        raise AssertionError(message)


class Output:
    """Collects the lines of one pipe in a thread, so the child never blocks on a full
    pipe, and lets the test wait for a line matching a pattern."""

    def __init__(self, pipe, echo_prefix):
        self.lines = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(pipe, echo_prefix), daemon=True)
        self._thread.start()

    def _read(self, pipe, echo_prefix):
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if echo_prefix:
                print(echo_prefix + line, flush=True)
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait_for(self, pattern, timeout=10.0, start=0):
        """The first match of PATTERN (a regex) in the lines from index START on;
        raises AssertionError after TIMEOUT seconds or when the pipe closes."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            index = start
            while True:
                while index < len(self.lines):
                    match = regex.search(self.lines[index])
                    if match:
                        return match
                    index += 1
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    why = "the program exited" if self._closed else "timed out after %gs" % timeout
                    raise AssertionError("no line matching %r (%s); lines were:\n%s"
                                         % (pattern, why, "\n".join(self.lines)))
                self._cond.wait(left)

    def count(self, pattern):
        regex = re.compile(pattern)
        with self._cond:
            return sum(1 for line in self.lines if regex.search(line))

    def text(self):
        with self._cond:
            return "\n".join(self.lines)

    def join(self, timeout):
        self._thread.join(timeout)


class Server:
    """A lesson server started with port 0 (or any command line that prints
    'starting up on HOST port PORT' first). Use it in a with-block: it is stopped at
    the end, by its own PID, whatever happens."""

    def __init__(self, argv, ready_timeout=15.0, env=None, cwd=None, echo=True, stdin=None):
        self.argv = [str(a) for a in argv]
        name = os.path.basename(self.argv[0])
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.proc = subprocess.Popen(self.argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env, cwd=cwd)
        self.stderr = Output(self.proc.stderr, "[%s] " % name if echo else "")
        self.stdout = Output(self.proc.stdout, "[%s:out] " % name if echo else "")
        try:
            match = self.stderr.wait_for(r"starting up on (\S+) port (\d+)", ready_timeout)
        except AssertionError:
            self.stop()
            raise
        self.host = match.group(1)
        self.port = int(match.group(2))
        self.address = (self.host, self.port)

    def wait_for(self, pattern, timeout=10.0, start=0):
        """Waits for a line of the server's standard error."""
        return self.stderr.wait_for(pattern, timeout, start)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=5.0):
        """Stops the server (terminate, then kill) and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self.stderr.join(2)
        self.stdout.join(2)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def run(argv, timeout=30.0, input=None, env=None, cwd=None):
    """Runs a program to the end (bounded by TIMEOUT) and returns the CompletedProcess
    with stdout and stderr as text."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([str(a) for a in argv], input=input, capture_output=True,
                          timeout=timeout, env=full_env, cwd=cwd)


def connect(address, timeout=10.0):
    """A TCP connection to ADDRESS with a timeout on every operation."""
    return socket.create_connection(address, timeout=timeout)


def recv_until(sock, marker, limit=1 << 20):
    """Reads from SOCK until MARKER (bytes) has arrived or the peer closes; bounded by
    LIMIT bytes and by the socket's own timeout."""
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def main(test):
    """Runs TEST() and turns its outcome into the exit code ctest and meson read:
    0 passed, 1 failed (with the reason), 77 skipped."""
    try:
        test()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - every failure is reported the same way
        import traceback
        traceback.print_exc()
        print("FAILED: %s" % e, flush=True)
        sys.exit(1)
    print("PASSED", flush=True)
    sys.exit(0)
