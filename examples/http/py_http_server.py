"""CPython's http.server, started the way the lesson's servers are: on the port given
(0: any free port), printing "starting up on HOST port PORT" on stderr first. It
serves a folder, as `python3 -m http.server --directory DIR` does, plus two answers
that the folder cannot give, so that http_get meets every way a body can be framed:
    /chunked       HTTP/1.1, Transfer-Encoding: chunked
    /until-close   no Content-Length: the body ends when the server closes
With --http11 it answers as HTTP/1.1 and keeps connections open (http.server's
default is HTTP/1.0: one request per connection), telling an HTTP/1.0 client that
asked for keep-alive (ApacheBench -k) "Connection: keep-alive", as RFC 9112 wants.

With --backlog N it listens with a queue of N connections instead of socketserver's 5.

usage: py_http_server.py DIR [HOST [PORT]] [--http11] [--backlog N]
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/chunked":
            self.protocol_version = "HTTP/1.1"  # chunked exists only in HTTP/1.1
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for piece in (b"Hola ", b"desde un cuerpo ", b"en trozos\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
        elif self.path == "/until-close":
            self.send_response(200)  # HTTP/1.0: the server closes after the answer
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"sin Content-Length: hasta que el servidor cierra\n")
        else:
            super().do_GET()

    def end_headers(self):
        if self.protocol_version == "HTTP/1.1" and self.request_version == "HTTP/1.0" and not self.close_connection:
            self.send_header("Connection", "keep-alive")
        super().end_headers()


def main():
    args = sys.argv[1:]
    if "--http11" in args:
        args.remove("--http11")
        Handler.protocol_version = "HTTP/1.1"
    if "--backlog" in args:
        at = args.index("--backlog")
        http.server.ThreadingHTTPServer.request_queue_size = int(args[at + 1])  # listen()'s backlog
        del args[at:at + 2]
    folder = args[0]
    host = args[1] if len(args) > 1 else "127.0.0.1"
    port = int(args[2]) if len(args) > 2 else 0
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(Handler, directory=folder))
    print("starting up on %s port %d" % server.server_address[:2], file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
