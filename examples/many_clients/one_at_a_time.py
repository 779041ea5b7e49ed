"""What goes wrong first: two clients and the report's server.

Client A connects, sends, gets its echo and stays connected for HOLD seconds (a
person typing slowly). Client B connects just after and sends too. How long does B
wait for its echo? The report's server (tcp_06_server_close) serves one client at a
time: B waits in the listen queue until A leaves. A server of this lesson answers B
at once.

usage: one_at_a_time.py SERVER_PROGRAM [SERVER_PROGRAM ...] [--hold SECONDS] [--check]
  e.g. python3 examples/many_clients/one_at_a_time.py ./build/examples/tcp_06_server_close \\
           ./build/examples/many_clients_selector
--check: exit 1 unless the report's server made B wait and the others did not.
"""
import argparse
import os
import socket
import subprocess
import sys
import time


def start(program):
    """Starts PROGRAM on a free port and returns (process, port) once it listens."""
    proc = subprocess.Popen([program, "127.0.0.1", "0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = proc.stderr.readline().decode()  # "starting up on 127.0.0.1 port N"
    if "starting up on" not in first:
        proc.kill()
        sys.exit("%s did not start: %r" % (program, first))
    return proc, int(first.split()[-1])


def connect_when_listening(port):
    """The report's server prints its first line before listen(): a connect() made
    in between is refused. Try again for up to 5 s."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def b_waits(program, hold):
    """Seconds client B waited for its echo while A stayed connected for HOLD seconds."""
    proc, port = start(program)
    try:
        a = connect_when_listening(port)
        a.sendall(b"soy A")
        a.recv(19)  # A is being served
        b = socket.create_connection(("127.0.0.1", port), timeout=10)  # the listen queue takes it
        t0 = time.monotonic()
        b.sendall(b"soy B")
        leave_at = t0 + hold
        b.settimeout(0.05)
        echo = b""
        while not echo and time.monotonic() < t0 + hold + 10:
            if a is not None and time.monotonic() >= leave_at:
                a.close()  # A leaves: now the one-at-a-time server gets to B
                a = None
            try:
                echo = b.recv(19)
            except socket.timeout:
                pass
        waited = time.monotonic() - t0
        if a is not None:
            a.close()
        b.close()
        if echo != b"soy B":
            sys.exit("%s: B got %r" % (program, echo))
        return waited
    finally:
        proc.terminate()
        proc.wait(5)


def main():
    parser = argparse.ArgumentParser(description="Two clients against one server: does B wait for A?")
    parser.add_argument("servers", nargs="+")
    parser.add_argument("--hold", type=float, default=2.0, help="how long A stays connected (seconds)")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    failures = 0
    for program in args.servers:
        waited = b_waits(program, args.hold)
        one_at_a_time = waited >= args.hold * 0.9
        print("%-28s B waited %.3f s for its echo (A stayed %.1f s): %s"
              % (os.path.basename(program), waited, args.hold,
                 "B had to wait until A left" if one_at_a_time else "B was served at once"))
        expected = os.path.basename(program).startswith(("tcp_06_server_close", "tcp_05_server_echo"))
        failures += one_at_a_time != expected
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    sys.exit(main())
