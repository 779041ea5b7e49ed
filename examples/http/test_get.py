"""http_get against http_server and against CPython's http.server: Content-Length,
chunked and read-until-close bodies, a 404, what curl -i prints; and its errors:
https://, malformed URLs, nobody listening, a server that does not speak HTTP, a body
cut short.

usage: test_get.py HTTP_GET HTTP_SERVER
"""
import os
import shutil
import socket
import sys
import threading

import lessontest as lt
import httptest as ht


def get(url):
    r = lt.run([HTTP_GET, url], timeout=30)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def head_and_body(out):
    head, sep, body = out.partition(b"\r\n\r\n")
    lt.check(sep, "no empty line after the head: %r" % out[:200])
    return head.decode("latin-1"), body


class OneShotServer:
    """A listener that answers the first connection with fixed bytes, then closes."""

    def __init__(self, reply):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, args=(reply,), daemon=True)
        self.thread.start()

    def _serve(self, reply):
        self.sock.settimeout(20)
        try:
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(65536)  # the request (small: it arrives in one piece here)
                conn.sendall(reply)
        except OSError:
            pass
        finally:
            self.sock.close()


def test():
    global HTTP_GET
    HTTP_GET, server = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))

    # Against http_server, with its default root: the lesson's own page.
    with lt.Server([server, "127.0.0.1", "0"]) as srv:
        base = "http://127.0.0.1:%d" % srv.port
        for path, name in (("/", "index.html"), ("/logo.svg", "logo.svg"), ("/style.css", "style.css")):
            code, out, err = get(base + path)
            lt.check(code == 0, "http_get %s: exit %d %s" % (path, code, err))
            head, body = head_and_body(out)
            with open(os.path.join(ht.WWW, name), "rb") as f:
                lt.check(body == f.read(), "%s: the body is the file www/%s" % (path, name))
            lt.check(head.startswith("HTTP/1.1 200 OK\r\n"), "status line: %r" % head[:40])
        code, out, err = get(base + "/no/such/page")
        lt.check(code == 0 and out.startswith(b"HTTP/1.1 404 Not Found\r\n"), "a 404 is printed, exit 0")
        srv.wait_for(r'"GET / HTTP/1.1" 200')
        if shutil.which("curl"):
            # The same bytes as curl -i (but the Date, which may tick in between).
            curl = lt.run(["curl", "-s", "-i", "--max-time", "10", base + "/style.css"]).stdout
            code, out, err = get(base + "/style.css")
            strip = lambda b: b"\n".join(l for l in b.split(b"\n") if not l.startswith(b"Date:") and
                                         not l.startswith(b"Connection:"))
            lt.check(strip(out) == strip(curl), "http_get and curl -i differ:\n%r\n%r" % (out[:300], curl[:300]))

    # Against CPython's http.server: HTTP/1.0, Content-Length, chunked, until close.
    with ht.tempdir() as tmp:
        root, files = ht.make_root(tmp)
        with lt.Server([sys.executable, os.path.join(here, "py_http_server.py"), root]) as py:
            base = "http://127.0.0.1:%d" % py.port
            code, out, err = get(base + "/hello.txt")
            head, body = head_and_body(out)
            lt.check(code == 0 and head.startswith("HTTP/1.0 200 OK\r\n") and body == files["/hello.txt"], head)
            lt.check("\r\nServer: SimpleHTTP/" in head, "it was CPython's http.server")
            code, out, err = get(base + "/a%20b.txt")
            lt.check(code == 0 and head_and_body(out)[1] == files["/a b.txt"], "a%20b.txt")
            code, out, err = get(base + "/data.bin")
            lt.check(code == 0 and head_and_body(out)[1] == files["/data.bin"], "256 KiB of every byte value")
            code, out, err = get(base + "/chunked")
            head, body = head_and_body(out)
            lt.check(code == 0 and "Transfer-Encoding: chunked" in head, "chunked: %s %s" % (head, err))
            lt.check(body == b"Hola desde un cuerpo en trozos\n", "chunked body: %r" % body)
            code, out, err = get(base + "/until-close")
            head, body = head_and_body(out)
            lt.check(code == 0 and "Content-Length" not in head, "until-close: %s" % head)
            lt.check(body == b"sin Content-Length: hasta que el servidor cierra\n", "until-close body %r" % body)
            code, out, err = get(base + "/missing#fragment")
            lt.check(code == 0 and out.startswith(b"HTTP/1.0 404 "), "404 from http.server")

    # https: a clear message about TLS.
    code, out, err = get("https://127.0.0.1/")
    lt.check(code == 1 and "TLS" in err and "curl -v https://" in err and out == b"", "https: %d %s" % (code, err))

    # Malformed URLs: usage, exit 2, nothing sent.
    for url in ("ftp://127.0.0.1/", "127.0.0.1:8080/", "http://", "http:///x", "http://127.0.0.1:99999/",
                "http://127.0.0.1:/", "http://127.0.0.1:8o/", "http://[::1/", "http://a b/", "http://u@127.0.0.1/"):
        code, out, err = get(url)
        lt.check(code == 2 and "usage: http_get URL" in err, "%r: exit %d %s" % (url, code, err))

    # Nobody listening: the error and csnet's hint, exit 1.
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    code, out, err = get("http://127.0.0.1:%d/" % port)
    # "[Errno 111] Connection refused" (Linux), "... actively refused it" (Windows)
    lt.check(code == 1 and "refused" in err, "refused: %d %s" % (code, err))

    # Servers that break the rules.
    bad = OneShotServer(b"HELLO THERE\r\n\r\n")
    code, out, err = get("http://127.0.0.1:%d/" % bad.port)
    lt.check(code == 1 and "not an HTTP response" in err, "not HTTP: %d %s" % (code, err))
    bad = OneShotServer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
    code, out, err = get("http://127.0.0.1:%d/" % bad.port)
    lt.check(code == 1 and "after 10 of 100 bytes" in err and out.endswith(b"0123456789"), "cut: %s" % err)
    bad = OneShotServer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n")
    code, out, err = get("http://127.0.0.1:%d/" % bad.port)
    lt.check(code == 1 and "chunk size" in err, "bad chunk: %s" % err)
    # Legal but rarer: an interim "100 Continue" head first (printed, like curl -i), a
    # chunk extension (";name=x", ignored) and a trailer field after the last chunk.
    odd = OneShotServer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"3;name=x\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n")
    code, out, err = get("http://127.0.0.1:%d/" % odd.port)
    lt.check(code == 0 and out == b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
             b"Transfer-Encoding: chunked\r\n\r\nabc", "1xx, extension, trailer: %d %r %s" % (code, out, err))
    bad = OneShotServer(b"")
    code, out, err = get("http://127.0.0.1:%d/" % bad.port)
    lt.check(code == 1 and "without answering" in err, "no answer: %s" % err)


if __name__ == "__main__":
    lt.main(test)
