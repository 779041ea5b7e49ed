"""tiers lesson, 2-tier: tiers_db_client and tiers_db_server, and the frames on the wire.

usage: test_db.py TIERS_DB_SERVER TIERS_DB_CLIENT
"""
import os
import socket
import sys
import tempfile
import time

import lessontest as lt
from tierstest import LIMIT, ask, closed_by_peer, frame, recv_frame


def client(exe, address, *args):
    result = lt.run([exe, address[0], address[1]] + list(args), timeout=15)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def expect(exe, address, args, code, out):
    got = client(exe, address, *args)
    lt.check(got[:2] == (code, out), "tiers_db_client %s: %r, expected %r" % (" ".join(args), got, (code, out)))


def test():
    server_exe, client_exe = sys.argv[1], sys.argv[2]
    tmp = tempfile.TemporaryDirectory()
    data_file = os.path.join(tmp.name, "notes.db")

    # == Command lines: --help, bad arguments ==
    for exe in (server_exe, client_exe):
        result = lt.run([exe, "--help"])
        lt.check(result.returncode == 0 and b"usage:" in result.stdout, "--help: %r" % (result,))
    for bad in (["127.0.0.1", "70000"], ["--nope"], ["127.0.0.1", "7000", "extra"], ["--file"]):
        result = lt.run([server_exe] + bad)
        lt.check(result.returncode == 2 and b"usage:" in result.stderr, "server %r: %r" % (bad, result))
    for bad in ([], ["127.0.0.1", "7000"], ["127.0.0.1", "x", "list"], ["127.0.0.1", "7000", "get"],
                ["127.0.0.1", "7000", "set", "k"], ["127.0.0.1", "7000", "set", "two words", "v"],
                ["127.0.0.1", "7000", "frobnicate", "k"]):
        result = lt.run([client_exe] + bad)
        lt.check(result.returncode == 2 and b"usage:" in result.stderr, "client %r: %r" % (bad, result))

    with lt.Server([server_exe, "127.0.0.1", "0", "--file", data_file, "--timeout", "3"]) as db:
        address = ("127.0.0.1", str(db.port))
        db.wait_for("does not exist yet: starting empty")

        # == 2-tier round trips: the client talks to the database itself ==
        expect(client_exe, address, ["set", "greeting", "hola mundo"], 0, "OK\n")
        expect(client_exe, address, ["get", "greeting"], 0, "OK hola mundo\n")
        lt.check(client(client_exe, address, "set", "note-1", "buy milk")[0] == 0, "set 2")
        expect(client_exe, address, ["list"], 0, "OK 2\ngreeting\nnote-1\n")
        expect(client_exe, address, ["delete", "note-1"], 0, "OK\n")
        expect(client_exe, address, ["delete", "note-1"], 1, "NOTFOUND\n")
        expect(client_exe, address, ["get", "note-1"], 1, "NOTFOUND\n")
        code, out, _ = client(client_exe, address, "get", "a/b")
        lt.check(code == 1 and out.startswith("ERR usage: GET key"), "bad key: %r" % out)
        db.wait_for(r"\('127\.0\.0\.1', \d+\) SET greeting \(10-byte value\) -> OK  \[27-byte frame read in 2 recv calls\]")

        # == The protocol, from Python: many requests on one connection ==
        address = ("127.0.0.1", db.port)
        value = b"line 1\nline 2 \\ with a backslash\r\n\xc3\xb1"
        replies = ask(address, b"SET multi " + value, b"GET multi", b"SET empty ", b"GET empty",
                      b"LIST", b"FROB x", b"LIST extra", b"SET", b"", b"GET")
        lt.check(replies[:5] == [b"OK", b"OK " + value, b"OK", b"OK ", b"OK 3\nempty\ngreeting\nmulti"],
                 "one connection: %r" % replies[:5])
        lt.check(replies[5].startswith(b"ERR unknown command \"FROB\""), "unknown: %r" % replies[5])
        lt.check(all(r.startswith(b"ERR usage") or r.startswith(b"ERR unknown") for r in replies[6:]),
                 "errors: %r" % replies[6:])

        # Two frames in one sendall: the framing splits them; two replies, in order.
        with lt.connect(address) as sock:
            sock.sendall(frame(b"GET greeting") + frame(b"GET multi"))
            lt.check(recv_frame(sock) == b"OK hola mundo" and recv_frame(sock) == b"OK " + value,
                     "two frames in one send")

        # == A frame sent byte by byte: recv returns less than asked, the server loops ==
        with lt.connect(address) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for byte in frame(b"SET bytewise 1234"):
                sock.sendall(bytes([byte]))
                time.sleep(0.01)
            lt.check(recv_frame(sock) == b"OK", "byte by byte")
        match = db.wait_for(r"SET bytewise \(4-byte value\) -> OK  \[21-byte frame read in (\d+) recv calls\]")
        lt.check(int(match.group(1)) >= 10, "the frame came in %s recv calls" % match.group(1))

        # == Limits: exactly 64 KiB is fine, one byte more is refused and closed ==
        big = b"SET big " + b"x" * (LIMIT - 8)
        lt.check(ask(address, big, b"GET greeting") == [b"OK", b"OK hola mundo"], "a 64 KiB frame")
        with lt.connect(address) as sock:
            sock.sendall(frame(b"SET big " + b"x" * (LIMIT - 7)))
            reply = recv_frame(sock)
            lt.check(reply == b"ERR a frame of 65537 bytes is over the limit of 65536 bytes", "too big: %r" % reply)
            lt.check(closed_by_peer(sock), "the connection is closed after a frame too big")
        with lt.connect(address) as sock:  # a length of 4 GiB - 1, and nothing after it
            sock.sendall(b"\xff\xff\xff\xff")
            lt.check(recv_frame(sock).startswith(b"ERR a frame of 4294967295 bytes"), "4 GiB frame")
            lt.check(closed_by_peer(sock), "closed after 4 GiB")
        db.wait_for("refused: a frame of 4294967295 bytes is over the limit")

        # A client that closes inside a frame: logged, the server goes on.
        with lt.connect(address) as sock:
            sock.sendall(frame(b"GET greeting")[:7])
        db.wait_for("closed after 3 of 12 bytes of a frame")

        # == A stalled client does not block the others; it is dropped after --timeout ==
        stalled = lt.connect(address)
        stalled.sendall(b"\x00\x00")  # half a length, then nothing
        start = time.monotonic()
        for i in range(20):
            lt.check(ask(address, b"SET k%d v" % i, b"GET k%d" % i) == [b"OK", b"OK v"], "while stalled")
        lt.check(time.monotonic() - start < 2.5, "others waited for the stalled client (dropped after 3 s)")
        stalled.settimeout(10)
        lt.check(closed_by_peer(stalled), "the stalled client was not dropped")
        stalled.close()
        db.wait_for(r"sent no complete frame for 3 s; closing")

        # Many clients at once, each in its own thread on the server.
        socks = [lt.connect(address) for _ in range(30)]
        for i, sock in enumerate(socks):
            sock.sendall(frame(b"SET many%02d %d" % (i, i)))
        for sock in socks:
            lt.check(recv_frame(sock) == b"OK", "30 clients")
            sock.close()
        lt.check(db.alive(), "the server died")

    # == Persistence: restart with the same --file, the data is back ==
    names = os.listdir(tmp.name)
    lt.check(names == ["notes.db"], "files left behind: %r" % names)
    with lt.Server([server_exe, "127.0.0.1", "0", "--file", data_file]) as db:
        db.wait_for(r"loaded 55 keys from ")
        address = ("127.0.0.1", db.port)
        replies = ask(address, b"GET greeting", b"GET multi", b"GET empty", b"GET note-1", b"GET big")
        lt.check(replies[:4] == [b"OK hola mundo", b"OK " + value, b"OK ", b"NOTFOUND"], "after restart: %r" % replies[:4])
        lt.check(replies[4] == b"OK " + b"x" * (LIMIT - 8), "the 64 KiB value after restart")

    # A damaged file: the server says where, and exits 1.
    with open(data_file, "ab") as f:
        f.write(b"bad\\x value\n")
    result = lt.run([server_exe, "127.0.0.1", "0", "--file", data_file], timeout=10)
    lt.check(result.returncode == 1 and b"notes.db, line 57: " in result.stderr, "damaged file: %r" % (result,))

    # == At most 256 keys: the 257th is refused, and LIST (256 keys of 200 characters,
    # the longest) still fits in one frame ==
    with lt.Server([server_exe, "127.0.0.1", "0"]) as db:
        address = ("127.0.0.1", db.port)
        keys = [(b"k%03d" % i).ljust(200, b"x") for i in range(256)]
        lt.check(ask(address, *[b"SET " + k + b" v" for k in keys]) == [b"OK"] * 256, "256 keys")
        replies = ask(address, b"SET one-more v", b"SET " + keys[0] + b" new", b"LIST")
        lt.check(replies[0].startswith(b"ERR full: 256 keys at most"), "the 257th key: %r" % replies[0][:80])
        lt.check(replies[1] == b"OK", "a key already there can still change")
        lt.check(replies[2] == b"OK 256\n" + b"\n".join(keys), "LIST of 256 long keys (%d bytes)" % len(replies[2]))
        lt.check(ask(address, b"DELETE " + keys[1], b"SET one-more v") == [b"OK", b"OK"], "room again after DELETE")
    with open(data_file, "wb") as f:  # a file with more keys than that: refused at start
        f.write(b"".join(b"k%d v\n" % i for i in range(257)))
    result = lt.run([server_exe, "127.0.0.1", "0", "--file", data_file], timeout=10)
    lt.check(result.returncode == 1 and b"more than 256 keys" in result.stderr, "257 keys in the file: %r" % (result,))

    # == No server: the client says so and exits 1 ==
    with socket.socket() as s:  # a port with nobody listening on it
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    code, out, err = client(client_exe, ("127.0.0.1", str(free)), "list")
    # "[Errno 111] Connection refused" (Linux), "... actively refused it" (Windows)
    lt.check(code == 1 and "refused" in err, "no server: %r %r" % (code, err))
    tmp.cleanup()


lt.main(test)
