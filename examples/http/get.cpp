// http_get: the client's side of HTTP. It asks for one URL and prints the answer the
// way `curl -i URL` does: the status line, the header fields, an empty line, the body.
// The report's echo client with a protocol on top: connect, sendall the request,
// recv() until the whole answer has arrived, close.
//
// How long is "the whole answer"? HTTP/1.1 says it in the head (RFC 9112 section 6.3):
//   Content-Length: 1234          exactly that many bytes follow
//   Transfer-Encoding: chunked    pieces, each with its size in hex; size 0 ends
//   neither                       everything until the server closes the connection
//
// USAGE: http_get URL      e.g. http_get http://127.0.0.1:8080/
#include <csnet.hpp>

#include "http.hpp"

#include <cstdint>    // std::uint64_t
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string

#ifdef _WIN32
#    include <fcntl.h>  // _O_BINARY
#    include <io.h>     // _setmode, _fileno: without it Windows turns "\n" into "\r\n" in the body
#endif                  // _WIN32

const char* const usage = "usage: http_get URL      (for example: http_get http://127.0.0.1:8080/)\n";

// Reads from the connection through a buffer: what one recv() brought may hold the
// end of the head and the start of the body together.
struct reader {
    csnet::socket& sock;
    std::string buffer;

    // One more recv(). False: the server closed the connection.
    bool fill() {
        std::string data = sock.recv(65536);
        buffer += data;
        return !data.empty();
    }

    // The head: everything up to and including the first empty line.
    std::string read_head() {
        while (true) {
            std::size_t end = buffer.find("\r\n\r\n");
            std::size_t bare = buffer.find("\n\n");  // a bare "\n" also ends a line
            if (end != std::string::npos && (bare == std::string::npos || end + 2 < bare)) return take(end + 4);
            if (bare != std::string::npos) return take(bare + 2);
            if (buffer.size() > 65536) throw std::runtime_error("the response head is longer than 64 KiB");
            if (!fill()) {
                throw std::runtime_error(buffer.empty() ? "the server closed the connection without answering"
                                                        : "the server closed the connection in the middle of the head");
            }
        }
    }

    // One line, without its "\r\n" (chunk sizes and trailers).
    std::string read_line() {
        std::size_t newline;
        while ((newline = buffer.find('\n')) == std::string::npos) {
            if (buffer.size() > 4096) throw std::runtime_error("a chunk line longer than 4 KiB");
            if (!fill()) throw std::runtime_error("the server closed the connection in the middle of a chunk");
        }
        std::string line = take(newline + 1);
        line.pop_back();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }

    // Copies exactly `n` bytes to standard output, as they arrive.
    void copy_exactly(std::uint64_t n) {
        std::uint64_t done = 0;
        while (done < n) {
            if (buffer.empty() && !fill()) {
                throw std::runtime_error("the server closed the connection after " + std::to_string(done) + " of " +
                                         std::to_string(n) + " bytes");
            }
            std::size_t part = buffer.size() < n - done ? buffer.size() : static_cast<std::size_t>(n - done);
            std::cout.write(buffer.data(), static_cast<std::streamsize>(part));
            buffer.erase(0, part);
            done += part;
        }
    }

    // Copies everything until the server closes the connection.
    void copy_until_close() {
        do {
            std::cout.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            buffer.clear();
        } while (fill());
    }

    std::string take(std::size_t n) {
        std::string part = buffer.substr(0, n);
        buffer.erase(0, n);
        return part;
    }
};

int main(int argc, char* argv[]) {
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::cout << usage;
        return 0;
    }
    if (argc != 2) {
        std::cerr << usage;
        return 2;
    }
    http::parsed_url parsed = http::parse_url(argv[1]);
    // HTTPS is this same HTTP inside TLS. The course notes (HTTP/HTTPS, "Cómo funciona
    // HTTPS") list what TLS adds before the first HTTP byte: "Intercambio de
    // certificados", "Clave de cifrado", then "Transmisión segura". csnet stops at TCP.
    if (http::starts_with_ignoring_case(argv[1], "https://")) {
        std::cerr
            << "http_get: " << argv[1] << ": https:// is HTTP inside TLS, and csnet has no TLS.\n"
            << "TLS (Transport Layer Security) would add, between TCP and HTTP: the server's certificate\n"
            << "(proof that it is who the URL names), a key agreed for this connection, and encryption\n"
            << "and integrity checks on every byte. See it happen with:\n"
            << "  curl -v https://example.org/    (the lines starting with '* TLS' and '* SSL' are the handshake)\n"
            << "For http:// URLs this program works: http_get http://127.0.0.1:8080/\n";
        return 1;
    }
    if (!parsed.error.empty()) {
        std::cerr << "http_get: " << argv[1] << ": " << parsed.error << '\n' << usage;
        return 2;
    }
    const http::url& url = parsed.value;
#ifdef _WIN32
    _setmode(_fileno(stdout), _O_BINARY);
#endif  // _WIN32

    try {
        // 1. Connect (create_connection tries every address the name has, IPv6 and IPv4).
        //    The 10 s timeout stays on the socket: every recv() below waits at most 10 s.
        csnet::socket sock = csnet::create_connection(csnet::address{url.host, url.port}, 10.0);

        // 2. The request: a request line, header fields, an empty line. No body.
        std::string request = "GET " + url.target + " HTTP/1.1\r\n";
        request += "Host: " + url.authority + "\r\n";
        request += "User-Agent: csnet-http_get\r\n";
        request += "Accept: */*\r\n";
        request += "Connection: close\r\n";  // one request, then the server may close
        request += "\r\n";                   // the empty line: the head ends here
        sock.sendall(request);

        // 3. The head of the answer. "100 Continue" and other 1xx are interim: another
        //    head follows (curl -i prints them too).
        reader in{sock, {}};
        http::response resp;
        while (true) {
            std::string head = in.read_head();
            http::parsed_response answer = http::parse_response(head);
            if (!answer.error.empty()) throw std::runtime_error("not an HTTP response: " + answer.error);
            std::cout << head;
            resp = answer.resp;
            if (resp.status >= 200 || resp.status == 101) break;
        }

        // 4. The body, framed as the head says.
        std::string encoding = http::find_header(resp.headers, "Transfer-Encoding").value_or("");
        std::string length = http::find_header(resp.headers, "Content-Length").value_or("");
        if (resp.status == 204 || resp.status == 304 || resp.status < 200) {
            // no body, by definition
        } else if (http::has_token(encoding, "chunked")) {
            while (true) {
                std::string size_line = in.read_line();
                std::optional<std::uint64_t> size = http::parse_chunk_size(size_line);
                if (!size) throw std::runtime_error("a chunk size that is not hex: \"" + size_line + "\"");
                if (*size == 0) break;
                in.copy_exactly(*size);
                if (!in.read_line().empty()) throw std::runtime_error("a chunk longer than its size");
            }
            while (!in.read_line().empty()) {
                // trailer fields after the last chunk: rare, and not printed (curl -i neither)
            }
        } else if (!length.empty()) {
            std::optional<std::uint64_t> n = http::parse_content_length(length);
            if (!n) throw std::runtime_error("a Content-Length that is not a number: \"" + length + "\"");
            in.copy_exactly(*n);
        } else {
            in.copy_until_close();
        }
        std::cout.flush();
        sock.close();
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << "http_get: " << e.what() << '\n';
        return 1;
    }
}
