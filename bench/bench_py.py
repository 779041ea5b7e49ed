#!/usr/bin/env python3
"""The benchmarks written with Python 3's socket module, as the report's programs are.

usage: bench_py.py tcp_pingpong|tcp_stream|udp_pingpong|accept [--count N] [--seconds S]
                   [--size BYTES] [--total BYTES] [--chunk BYTES]

The same work and the same process layout as bench_raw/bench_csnet/bench_asio (see
common.hpp): the server runs in a child process (os.fork), tells its port through a
pipe, and the client prints one "RESULT key=value ..." line. The stream's receiver uses
recv_into, as csnet's does. POSIX only (fork).
"""
import mmap
import os
import signal
import socket
import struct
import sys
import time

BACKLOG = 4096  # the same for every program (see bench/README.md)


def parse(argv):
    if len(argv) < 2 or len(argv) % 2 != 0:
        return None
    o = {"test": argv[1], "count": 200000, "seconds": 1.0, "size": 32,
         "total": 1 << 30, "chunk": 1 << 20}
    for k, v in zip(argv[2::2], argv[3::2]):
        if not k.startswith("--") or k[2:] not in o or k == "--test":
            return None
        o[k[2:]] = float(v) if k == "--seconds" else int(v)
    if o["test"] not in ("tcp_pingpong", "tcp_stream", "udp_pingpong", "accept"):
        return None
    return o


def warmup_count(o):
    return min(1000, o["count"] // 10)


def make_server(kind):
    sock = socket.socket(socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        sock.listen(BACKLOG)
    return sock


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise OSError("recv: the peer closed early")
        data += more
    return data


def pingpong_loop(o, round_trip):
    for _ in range(warmup_count(o)):
        round_trip()
    now = time.perf_counter_ns
    lat = []
    count = o["count"]
    t0 = now()
    limit = t0 + int(o["seconds"] * 1e9)
    t = t0
    while len(lat) < count:
        round_trip()
        t1 = now()
        lat.append(t1 - t)
        t = t1
        if t1 >= limit:
            break
    seconds = (t - t0) / 1e9
    lat.sort()

    def pct(p):
        return lat[int(p / 100.0 * (len(lat) - 1) + 0.5)] / 1000.0
    return {"n": len(lat), "seconds": seconds, "rate": len(lat) / seconds,
            "p50_us": pct(50), "p99_us": pct(99)}


# ---- the four tests: each returns (server(announce), client(port) -> result) ----

def tcp_pingpong(o, shared):
    size = o["size"]

    def server(announce):
        listener = make_server(socket.SOCK_STREAM)
        announce(listener.getsockname()[1])
        conn, _ = listener.accept()
        listener.close()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(size)
            if not data:
                break
            conn.sendall(data)
        conn.close()

    def client(port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.connect(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        msg = b"x" * size

        def round_trip():
            sock.sendall(msg)
            data = sock.recv(size)
            if len(data) != size:
                data += recv_exact(sock, size - len(data))
        r = pingpong_loop(o, round_trip)
        sock.close()
        return r
    return server, client


def tcp_stream(o, shared):
    chunk_size, total = o["chunk"], o["total"]

    def server(announce):
        listener = make_server(socket.SOCK_STREAM)
        announce(listener.getsockname()[1])
        conn, _ = listener.accept()
        listener.close()
        buf = bytearray(chunk_size)
        got = 0
        while True:
            n = conn.recv_into(buf)
            if n == 0:
                break
            got += n
        conn.sendall(struct.pack("=Q", got))
        conn.close()

    def client(port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.connect(("127.0.0.1", port))
        chunk = b"x" * chunk_size
        t0 = time.perf_counter()
        limit = t0 + o["seconds"]
        sent = 0
        while sent + chunk_size <= total:
            sock.sendall(chunk)
            sent += chunk_size
            if time.perf_counter() >= limit:
                break
        sock.shutdown(socket.SHUT_WR)
        got = struct.unpack("=Q", recv_exact(sock, 8))[0]
        seconds = time.perf_counter() - t0
        sock.close()
        if got != sent:
            raise OSError("sent %d bytes, the server read %d" % (sent, got))
        return {"n": sent, "seconds": seconds, "rate": sent / seconds / 1e9}
    return server, client


def udp_pingpong(o, shared):
    size = o["size"]

    def server(announce):
        sock = make_server(socket.SOCK_DGRAM)
        announce(sock.getsockname()[1])
        while True:
            data, address = sock.recvfrom(4096)
            if not data:
                break
            sock.sendto(data, address)
        sock.close()

    def client(port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server_address = ("127.0.0.1", port)
        msg = b"x" * size

        def round_trip():
            sock.sendto(msg, server_address)
            data, _ = sock.recvfrom(4096)
            if len(data) != size:
                raise OSError("recvfrom: short datagram")
        r = pingpong_loop(o, round_trip)
        sock.sendto(b"", server_address)
        sock.close()
        return r
    return server, client


def accept_rate(o, shared):
    # shared[0:8]: connections accepted by the server; shared[8:16]: stop flag.
    def server(announce):
        listener = make_server(socket.SOCK_STREAM)
        announce(listener.getsockname()[1])
        accepted = 0
        while True:
            conn, _ = listener.accept()
            conn.close()
            accepted += 1
            struct.pack_into("=q", shared, 0, accepted)
            if struct.unpack_from("=q", shared, 8)[0]:
                break
        listener.close()

    def accepted():
        return struct.unpack_from("=q", shared, 0)[0]

    def wait_until_accepted(n):
        t0 = time.perf_counter()
        while accepted() < n and time.perf_counter() - t0 < o["seconds"] + 5:
            time.sleep(0.00002)
        if accepted() < n:
            raise OSError("the server did not accept every connection")

    def client(port):
        server_address = ("127.0.0.1", port)

        def connect_close():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.connect(server_address)
            sock.close()
        warm = warmup_count(o)
        for _ in range(warm):
            connect_close()
        wait_until_accepted(warm)
        t0 = time.perf_counter()
        limit = t0 + o["seconds"]
        done = 0
        while done < o["count"]:
            connect_close()
            done += 1
            if time.perf_counter() >= limit:
                break
        wait_until_accepted(warm + done)
        seconds = time.perf_counter() - t0
        struct.pack_into("=q", shared, 8, 1)
        try:
            connect_close()
        except OSError:
            pass
        return {"n": done, "seconds": seconds, "rate": done / seconds}
    return server, client


def main():
    o = parse(sys.argv)
    if o is None:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    shared = mmap.mmap(-1, 16)  # MAP_SHARED | MAP_ANONYMOUS: seen by the child too
    tests = {"tcp_pingpong": tcp_pingpong, "tcp_stream": tcp_stream,
             "udp_pingpong": udp_pingpong, "accept": accept_rate}
    server, client = tests[o["test"]](o, shared)
    guard = int(o["seconds"]) + 30
    r_fd, w_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(r_fd)
        signal.alarm(guard)
        rc = 0
        try:
            def announce(port):
                os.write(w_fd, struct.pack("=i", port))
                os.close(w_fd)
            server(announce)
        except Exception as e:  # report, exit non-zero
            print("py %s server: %s" % (o["test"], e), file=sys.stderr)
            rc = 1
        sys.stderr.flush()
        os._exit(rc)
    os.close(w_fd)
    signal.alarm(guard)
    rc = 0
    try:
        data = os.read(r_fd, 4)
        os.close(r_fd)
        if len(data) != 4:
            raise OSError("the server did not start")
        r = client(struct.unpack("=i", data)[0])
        line = "RESULT test=%s impl=py n=%d seconds=%.6f rate=%.6g" % (
            o["test"], r["n"], r["seconds"], r["rate"])
        if "p50_us" in r:
            line += " p50_us=%.3f p99_us=%.3f" % (r["p50_us"], r["p99_us"])
        print(line, flush=True)
    except Exception as e:
        print("py %s client: %s" % (o["test"], e), file=sys.stderr)
        rc = 1
        os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        if rc == 0:
            print("py %s: the server failed" % o["test"], file=sys.stderr)
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
