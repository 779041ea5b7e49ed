"""http_server against CPython's http.client (one persistent connection, many
requests), HTTP/1.0 with and without keep-alive, pipelined requests answered in order,
and many clients at once.

usage: test_server_python.py HTTP_SERVER
"""
import http.client
import sys
import threading

import lessontest as lt
import httptest as ht


def test():
    server = sys.argv[1]
    with ht.tempdir() as tmp:
        root, files = ht.make_root(tmp)
        with lt.Server([server, "127.0.0.1", "0", "--root", root]) as srv:
            # http.client: one connection, every file, then HEAD and a 404, in turn.
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            first_socket = None
            for path, data in files.items():
                conn.request("GET", path.replace(" ", "%20").replace("\u00e9", "%C3%A9"))
                resp = conn.getresponse()
                body = resp.read()
                lt.check(resp.status == 200 and body == data, "GET %s: %d" % (path, resp.status))
                lt.check(resp.version == 11 and not resp.will_close, "HTTP/1.1, connection kept")
                first_socket = first_socket or conn.sock
                lt.check(conn.sock is first_socket, "http.client reused its connection")
            conn.request("HEAD", "/hello.txt")
            resp = conn.getresponse()
            lt.check(resp.status == 200 and resp.read() == b"", "HEAD: no body")
            lt.check(resp.getheader("Content-Length") == str(len(files["/hello.txt"])), "HEAD: Content-Length")
            conn.request("GET", "/missing")
            resp = conn.getresponse()
            lt.check(resp.status == 404 and b"404 Not Found" in resp.read(), "404 with a page")
            # Other methods: 405 with Allow; a body is skipped and the connection goes on.
            conn.request("POST", "/hello.txt", body=b"x" * 5000)
            resp = conn.getresponse()
            lt.check(resp.status == 405 and resp.getheader("Allow") == "GET, HEAD", "POST: 405 + Allow")
            resp.read()
            conn.request("BREW", "/hello.txt")
            resp = conn.getresponse()
            lt.check(resp.status == 501, "an unknown method: 501")
            resp.read()
            conn.request("GET", "/hello.txt", headers={"Connection": "close"})
            resp = conn.getresponse()
            lt.check(resp.read() == files["/hello.txt"] and resp.will_close, "Connection: close is honoured")
            lt.check(resp.getheader("Connection") == "close", "the answer says close")
            conn.close()
            lt.check(conn.sock is None, "")

            # HTTP/1.0 by hand: closes, unless it asks for keep-alive (ab -k does).
            with ht.Conn(srv.address) as c:
                c.send(b"GET /hello.txt HTTP/1.0\r\n\r\n")
                status, headers, body, line = c.response()
                lt.check(line.startswith("HTTP/1.1 200") and body == files["/hello.txt"], "1.0: %s" % line)
                lt.check(headers.get("connection") == "close" and c.closed_by_server(), "1.0: closed")
            with ht.Conn(srv.address) as c:
                for _ in range(3):
                    c.send(b"GET /hello.txt HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                    status, headers, body, line = c.response()
                    lt.check(status == 200 and headers.get("connection") == "keep-alive", "1.0 keep-alive")

            # Pipelining: three requests in one send; three answers, in that order.
            # A HEAD in the middle and a 404 between them must not confuse the framing.
            with ht.Conn(srv.address) as c:
                c.send(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"HEAD /page.html HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                got = [c.response(), c.response(head_only=True), c.response(), c.response()]
                lt.check([g[0] for g in got] == [200, 200, 404, 200], "statuses %r" % [g[0] for g in got])
                lt.check(got[0][2] == files["/hello.txt"] and got[3][2] == files["/page.html"], "bodies in order")
                lt.check(got[1][1]["content-length"] == str(len(files["/page.html"])), "HEAD's length")
                lt.check(c.closed_by_server(), "closed after the last (Connection: close)")

            # Many clients at once: 40 threads, 5 requests each, every answer right.
            errors = []

            def client(n):
                try:
                    cc = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
                    for _ in range(5):
                        cc.request("GET", "/data.bin")
                        r = cc.getresponse()
                        if r.status != 200 or r.read() != files["/data.bin"]:
                            errors.append("client %d: bad answer" % n)
                    cc.close()
                except Exception as e:  # noqa: BLE001 - collected and reported below
                    errors.append("client %d: %r" % (n, e))

            threads = [threading.Thread(target=client, args=(n,)) for n in range(40)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            lt.check(not any(t.is_alive() for t in threads), "some clients never finished")
            lt.check(not errors, "\n".join(errors[:5]))
            # The server logs after it has sent: its last lines may come a moment later.
            # 200 requests here, and one in the first loop.
            logged = ht.wait_until(lambda: srv.stderr.count(r'"GET /data.bin HTTP/1.1" 200 262144') == 201)
            lt.check(logged, "one log line per request (201)")


if __name__ == "__main__":
    lt.main(test)
