"""http_server against raw requests, good and bad, each sent twice: in one piece and
one byte per send() (so the server must read across many recv() calls). Every bad
request gets its status (400, 405, 413, 414, 431, 501, 505) and, where the server can
no longer find the next request, the connection is closed.

usage: test_server_malformed.py HTTP_SERVER
"""
import sys

import lessontest as lt
import httptest as ht

OK = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"

# (what it shows, request bytes, expected status, the server closes the connection)
CASES = [
    ("a good request", OK, 200, False),
    ("empty lines before the request line are skipped", b"\r\n\r\n" + OK, 200, False),
    ("bare LF line ends are accepted", b"GET /hello.txt HTTP/1.1\nHost: x\n\n", 200, False),
    ("absolute-form target", b"GET http://x/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, False),
    ("HTTP/1.0 needs no Host", b"GET /hello.txt HTTP/1.0\r\n\r\n", 200, True),
    ("a 1.1 request without Host", b"GET /hello.txt HTTP/1.1\r\n\r\n", 400, True),
    ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, True),
    ("two spaces in the request line", b"GET  /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400, True),
    ("no version (HTTP/0.9 style)", b"GET /hello.txt\r\n\r\n", 400, True),
    ("a word after the version", b"GET / HTTP/1.1 please\r\nHost: x\r\n\r\n", 400, True),
    ("a method that is not a token", b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, True),
    ("a lower-case version", b"GET / http/1.1\r\nHost: x\r\n\r\n", 400, True),
    ("a version with two digits", b"GET / HTTP/10.0\r\nHost: x\r\n\r\n", 400, True),
    ("a target without its slash", b"GET hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400, False),
    ("a broken %-escape", b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, False),
    ("a non-ASCII byte in the target", b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, True),
    ("a header line without a colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, True),
    ("a space before the colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, True),
    ("a folded header line", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400, True),
    ("a control byte in a value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\x01\r\n\r\n", 400, True),
    ("a bare CR in a value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n", 400, True),
    ("Content-Length not a number", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400, True),
    ("two Content-Length", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, True),
    ("Content-Length and Transfer-Encoding",
     b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, True),
    ("a chunked request body", b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, True),
    ("a body over 1 MiB announced", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413, True),
    ("a GET with a small body (skipped)", b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nHELLO", 200, False),
    ("a known method other than GET/HEAD", b"DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 405, False),
    ("an unknown method", b"FETCH /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 501, False),
    ("a method in lower case is another method", b"get /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 501, False),
    ("HTTP/2.0 as text", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, True),
    ("HTTP/0.9 with a version", b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, True),
    ("a target over 8 KiB", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, True),
    ("header fields over 8 KiB", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, True),
    ("more than 100 header fields", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", 431, True),
]


def test():
    server = sys.argv[1]
    with ht.tempdir() as tmp:
        root, files = ht.make_root(tmp)
        with lt.Server([server, "127.0.0.1", "0", "--root", root, "--idle", "3"], echo=False) as srv:
            for what, request, expected, closes in CASES:
                for byte_by_byte in (False, True):
                    how = "byte by byte" if byte_by_byte else "in one piece"
                    with ht.Conn(srv.address) as c:
                        c.send(request, byte_by_byte)
                        status, headers, body, line = c.response()
                        lt.check(status == expected, "%s, %s: got %r, expected %d" % (what, how, line, expected))
                        if expected == 200:
                            lt.check(body == files["/hello.txt"], "%s: the body" % what)
                        if expected == 405:
                            lt.check(headers.get("allow") == "GET, HEAD", "405 says Allow: GET, HEAD")
                        if closes:
                            lt.check(c.closed_by_server(), "%s, %s: the server must close" % (what, how))
                        else:
                            # The connection goes on: a second request on it is answered.
                            c.send(OK)
                            status, _, body, _ = c.response()
                            lt.check(status == 200 and body == files["/hello.txt"], "%s: next request" % what)
                    print("ok: %-45s %s -> %d" % (what, how, expected), flush=True)
            # One log line per request, the bad ones included.
            bad = sum(2 for case in CASES if case[2] != 200)
            lt.check(ht.wait_until(lambda: srv.stderr.count(r'" [45]\d\d\b') >= bad), "a log line per bad request")
            lt.check(srv.alive(), "the server is still running")


if __name__ == "__main__":
    lt.main(test)
