// http_server: a small web server ("servidor web") built with csnet alone.
// A browser (the client, "el navegador") asks for a page over a TCP connection; the
// server reads the request, finds the file under its root folder and sends it back,
// as the course notes put it: "Un navegador web (cliente) solicita una página web a
// un servidor web, que procesa la solicitud y devuelve la página HTML al navegador."
//
// It is the report's echo server with a protocol on top: socket, bind, listen,
// accept, then recv() until a whole request has arrived, and sendall() the answer.
// The HTTP parsing lives in http.hpp; this file moves bytes and files.
//
// USAGE: http_server [HOST [PORT]] [--root DIR] [--idle SECONDS]
//   HOST 127.0.0.1, PORT 8080 (0: any free port); --root: the folder to serve
//   (default: this lesson's www/ folder); --idle: close a connection after this many
//   seconds without a complete request (default 5).
#include <csnet.hpp>

#include "http.hpp"

#include <atomic>      // std::atomic (how many clients are being served)
#include <chrono>      // std::chrono::steady_clock (deadlines)
#include <cstdint>     // std::uint64_t
#include <ctime>       // std::time, std::gmtime, std::strftime (the Date header)
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem::path, canonical, is_directory, file_size
#include <fstream>     // std::ifstream
#include <iostream>    // std::cerr
#include <mutex>       // std::mutex, std::lock_guard
#include <sstream>     // std::ostringstream
#include <stdexcept>   // std::invalid_argument, std::runtime_error
#include <string>      // std::string, std::stoi, std::stod
#include <thread>      // std::thread
#include <utility>     // std::move
#include <vector>      // std::vector

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

// The build (CMake or Meson) passes the path of this lesson's www/ folder, so the
// server finds its page when run from anywhere in a fresh clone.
#ifndef HTTP_DEFAULT_ROOT
#    define HTTP_DEFAULT_ROOT "www"
#endif  // HTTP_DEFAULT_ROOT

const char* const usage = "usage: http_server [HOST [PORT]] [--root DIR] [--idle SECONDS]\n";

struct settings {
    fs::path root;      // canonical: no "..", no symbolic links
    double idle = 5.0;  // seconds a connection may wait for its next complete request
};

constexpr int max_clients = 256;             // more at once: 503 Service Unavailable
constexpr std::uint64_t max_body = 1 << 20;  // a GET may carry a body; we skip at most 1 MiB
constexpr double send_timeout = 30.0;        // a client that stops reading is dropped
std::atomic<int> clients{0};

// One log line per request. Several threads log at once: a mutex keeps lines whole.
void log_line(const std::string& line) {
    static std::mutex log_mutex;
    std::lock_guard<std::mutex> lock(log_mutex);
    std::cerr << line << std::endl;
}

// The Date header (RFC 9110 section 6.6.1): "Tue, 01 Dec 2026 09:30:00 GMT".
std::string http_date() {
    static std::mutex time_mutex;  // std::gmtime shares one result between threads
    std::lock_guard<std::mutex> lock(time_mutex);
    std::time_t now = std::time(nullptr);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&now));
    return text;
}

// The first line of what the client sent, printable, for the log: "GET / HTTP/1.1".
std::string printable_first_line(const std::string& bytes) {
    std::string line;
    for (char c : bytes.substr(0, bytes.find_first_of("\r\n"))) {
        if (line.size() == 80) {
            line += "...";
            break;
        }
        line += (c >= ' ' && c < 127 && c != '"') ? c : '?';
    }
    return line;
}

// == Reading: as many recv() calls as it takes ====================================

enum class received { data, closed, timed_out };

// Waits for more bytes from the client until `deadline`, appends them to `buffer`.
received receive_more(csnet::socket& connection, std::string& buffer, clock_type::time_point deadline) {
    double left = std::chrono::duration<double>(deadline - clock_type::now()).count();
    if (left <= 0) return received::timed_out;
    connection.settimeout(left);
    try {
        std::string data = connection.recv(4096);
        if (data.empty()) return received::closed;  // the client closed its side (FIN)
        buffer += data;
        return received::data;
    } catch (const csnet::timeout&) {
        return received::timed_out;
    }
}

// Closing while the client's bytes are still unread makes the system send a reset
// (RST) instead of a normal end (FIN), and the client may lose our answer. So: say
// we are done (shutdown), read what is left for a moment, then close.
void close_gracefully(csnet::socket& connection) {
    try {
        connection.shutdown(csnet::shut_wr);
        clock_type::time_point deadline = clock_type::now() + std::chrono::seconds(2);
        std::size_t drained = 0;
        while (drained < (1 << 20)) {  // at most 1 MiB, at most 2 s
            std::string rest;
            if (receive_more(connection, rest, deadline) != received::data) break;
            drained += rest.size();
        }
    } catch (const csnet::error&) {
        // reset or timeout: nothing more to save
    }
    connection.close();
}

// == Writing the answer ==========================================================

// The status line, the header fields and the empty line that ends them.
std::string response_head(int status, const std::vector<http::header>& fields) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + http::reason_phrase(status) + "\r\n";
    head += "Date: " + http_date() + "\r\n";
    head += "Server: csnet-http-lesson\r\n";
    for (const http::header& field : fields) head += field.name + ": " + field.value + "\r\n";
    head += "\r\n";
    return head;
}

// What the answer says about the connection (RFC 9112 section 9.3).
void add_connection_header(std::vector<http::header>& fields, bool keep_alive, int minor) {
    if (!keep_alive) fields.push_back({"Connection", "close"});
    if (keep_alive && minor == 0) fields.push_back({"Connection", "keep-alive"});  // 1.0 must be told
}

// A small HTML page that says what went wrong. Returns the body's size (for the log).
std::uint64_t send_error(csnet::socket& connection, int status, const std::string& why, bool head_only, bool keep_alive,
                         int minor, std::vector<http::header> fields = {}) {
    std::string title = std::to_string(status) + " " + http::reason_phrase(status);
    std::string body = "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n<body><h1>" + title +
                       "</h1>\n<p>" + why + "</p></body></html>\n";
    fields.push_back({"Content-Type", "text/html; charset=utf-8"});
    fields.push_back({"Content-Length", std::to_string(body.size())});
    add_connection_header(fields, keep_alive, minor);
    connection.settimeout(send_timeout);
    connection.sendall(response_head(status, fields) + (head_only ? std::string() : body));
    return head_only ? 0 : body.size();
}

// Is `path` inside `root`? Both canonical: compare them folder by folder.
bool inside(const fs::path& path, const fs::path& root) {
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p) {
        if (p == path.end() || *p != *r) return false;
    }
    return true;
}

struct outcome {
    int status = 200;
    std::uint64_t bytes = 0;  // body bytes sent
    bool must_close = false;  // the connection cannot carry another request
};

// Answers one well-formed request: the file, or why not.
outcome answer(csnet::socket& connection, const http::request& req, const settings& cfg, bool keep_alive) {
    bool head_only = req.method == "HEAD";
    outcome out;
    auto fail = [&](int status, const std::string& why, std::vector<http::header> fields = {}) {
        out.status = status;
        out.bytes = send_error(connection, status, why, head_only, keep_alive, req.minor, std::move(fields));
        return out;
    };

    int method = http::method_status(req.method);
    if (method == 405) return fail(405, "This server only answers GET and HEAD.", {{"Allow", "GET, HEAD"}});
    if (method == 501) return fail(501, "This server does not know that method.");

    http::target_path target = http::split_target(req.target);
    if (target.status != 0) return fail(target.status, target.why);

    // From "/docs/a%20b.txt" to ROOT/docs/a b.txt, one decoded name at a time.
    fs::path file = cfg.root;
    for (const std::string& segment : target.segments) file /= fs::u8path(segment);
    std::error_code error;
    fs::path real = fs::weakly_canonical(file, error);                     // follows symbolic links
    if (error) return fail(404, "There is no such file on this server.");  // e.g. a name too long for the system
    if (!inside(real, cfg.root)) return fail(403, "That path leads out of the server's folder.");

    if (fs::is_directory(real, error)) {
        if (!target.folder) {
            // "/docs" is a folder: send the browser to "/docs/" so that the page's relative
            // links ("style.css") are looked up inside the folder, not next to it.
            std::string path = req.target.substr(0, req.target.find('?'));
            return fail(301, "A folder's address ends with a slash: see the Location header.",
                        {{"Location", path + "/"}});
        }
        real = fs::weakly_canonical(real / "index.html", error);  // a folder is its index.html
        if (error) return fail(404, "There is no such file on this server.");
        if (!inside(real, cfg.root)) return fail(403, "That path leads out of the server's folder.");
    } else if (target.folder) {
        return fail(404, "There is no such folder on this server.");  // "/hello.txt/": a file is no folder
    }
    if (!fs::is_regular_file(real, error)) return fail(404, "There is no such file on this server.");

    std::ifstream input(real, std::ios::binary);
    std::uint64_t size = fs::file_size(real, error);
    if (!input || error) return fail(403, "The server may not read that file.");

    std::vector<http::header> fields = {{"Content-Type", http::content_type_for(real.filename().u8string())},
                                        {"Content-Length", std::to_string(size)}};
    add_connection_header(fields, keep_alive, req.minor);
    connection.settimeout(send_timeout);
    // The head goes out together with the first piece of the file, in ONE sendall():
    // two small sends in a row meet Nagle's algorithm (the second waits for the ACK of
    // the first) and the client's delayed ACK (~40 ms): 25 answers a second at most.
    std::string pending = response_head(200, fields);
    if (!head_only) {
        // The body, 64 KiB at a time: a big file is never all in memory.
        std::vector<char> chunk(64 * 1024);
        while (out.bytes < size) {
            input.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            std::size_t got = static_cast<std::size_t>(input.gcount());
            if (got == 0) break;
            pending.append(chunk.data(), got);
            connection.sendall(pending);
            pending.clear();
            out.bytes += got;
        }
        // A file that shrank while we sent it: the Content-Length we promised is wrong,
        // and only closing the connection tells the client.
        if (out.bytes != size) out.must_close = true;
    }
    if (!pending.empty()) connection.sendall(pending);  // HEAD, or an empty file: the head alone
    return out;
}

// == One client: requests and answers until one side closes =======================

void serve_client(csnet::socket connection, csnet::address peer, settings cfg) {
    std::string who = peer.to_string();
    std::string buffer;  // bytes received and not used yet (maybe the next request already)
    try {
        while (true) {
            // 1. Read until the empty line that ends the head. TCP is a byte stream:
            //    one recv() may bring half a request, or two pipelined requests.
            clock_type::time_point deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                                      std::chrono::duration<double>(cfg.idle));
            http::head_scan scan;
            while (true) {
                buffer.erase(0, http::leading_empty_lines(buffer));
                scan = http::scan_head(buffer);
                if (scan.complete() || scan.status != 0) break;
                received r = receive_more(connection, buffer, deadline);
                if (r == received::closed) {
                    if (!buffer.empty()) log_line(who + " closed the connection in the middle of a request");
                    return;
                }
                if (r == received::timed_out) {
                    if (buffer.empty()) {
                        std::ostringstream idle;
                        idle << cfg.idle;  // 5 -> "5", 0.5 -> "0.5"
                        log_line(who + " idle for " + idle.str() + " s: closing the connection");
                        connection.close();
                    } else {
                        send_error(connection, 408, "The request did not arrive in time.", false, false, 1);
                        log_line(who + " \"" + printable_first_line(buffer) + "\" 408 (incomplete request)");
                        close_gracefully(connection);
                    }
                    return;
                }
            }

            // 2. Too long, or malformed: answer why and close (we can't find the next request).
            if (scan.status != 0) {
                std::string line = printable_first_line(buffer);
                send_error(connection, scan.status, "The request line or the header fields are too long.", false, false,
                           1);
                log_line(who + " \"" + line + "\" " + std::to_string(scan.status));
                close_gracefully(connection);
                return;
            }
            http::parsed_request parsed = http::parse_request(std::string_view(buffer).substr(0, scan.end));
            std::string line = printable_first_line(buffer);
            buffer.erase(0, scan.end);
            if (parsed.status != 0) {
                send_error(connection, parsed.status, parsed.why, false, false, 1);
                log_line(who + " \"" + line + "\" " + std::to_string(parsed.status) + " (" + parsed.why + ")");
                close_gracefully(connection);
                return;
            }
            const http::request& req = parsed.req;
            bool keep_alive = http::wants_keep_alive(req);
            bool head_only = req.method == "HEAD";

            // 3. A body? GET and HEAD have none, but a request may carry one: skip it, so
            //    that the next request on this connection starts at the right byte.
            if (http::find_header(req.headers, "Transfer-Encoding")) {
                send_error(connection, 501, "This server does not accept request bodies sent in chunks.", head_only,
                           false, req.minor);
                log_line(who + " \"" + line + "\" 501 (Transfer-Encoding)");
                close_gracefully(connection);
                return;
            }
            std::uint64_t body =
                http::parse_content_length(http::find_header(req.headers, "Content-Length").value_or("0")).value_or(0);
            if (body > max_body) {
                send_error(connection, 413, "This server accepts at most 1 MiB of request body.", head_only, false,
                           req.minor);
                log_line(who + " \"" + line + "\" 413");
                close_gracefully(connection);
                return;
            }
            while (buffer.size() < body) {
                if (receive_more(connection, buffer, deadline) != received::data) {
                    log_line(who + " \"" + line + "\" the request body did not arrive");
                    return;
                }
            }
            buffer.erase(0, static_cast<std::size_t>(body));

            // 4. The answer, and one log line: who, what was asked, status, body bytes.
            outcome out = answer(connection, req, cfg, keep_alive);
            log_line(who + " \"" + line + "\" " + std::to_string(out.status) + " " + std::to_string(out.bytes));
            if (!keep_alive || out.must_close) {
                close_gracefully(connection);
                return;
            }
        }
    } catch (const csnet::error& e) {
        // The client reset the connection, or stopped reading for too long.
        std::string what = e.what();
        log_line(who + " " + what.substr(0, what.find('\n')));
    } catch (const std::exception& e) {
        // Anything else (no memory, a file name Windows cannot convert): this client only.
        log_line(who + " error: " + e.what());
    }
}

// Runs serve_client and counts the clients being served.
void client_thread(csnet::socket connection, csnet::address peer, settings cfg) {
    serve_client(std::move(connection), peer, std::move(cfg));
    --clients;
}

int main(int argc, char* argv[]) {
    settings cfg;
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string root_option;
    try {
        std::vector<std::string> positional;
        for (int i = 1; i < argc; ++i) {
            std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::cout << usage;
                return 0;
            } else if (arg == "--root" && i + 1 < argc) {
                root_option = argv[++i];
            } else if (arg == "--idle" && i + 1 < argc) {
                std::size_t used = 0;
                cfg.idle = std::stod(argv[++i], &used);
                if (argv[i][used] != '\0' || !(cfg.idle > 0 && cfg.idle <= 3600)) throw std::invalid_argument("--idle");
            } else if (arg.rfind("--", 0) == 0 || positional.size() == 2) {
                throw std::invalid_argument(arg);
            } else {
                positional.push_back(arg);
            }
        }
        if (positional.size() > 0) host = positional[0];
        if (positional.size() > 1) {
            std::size_t used = 0;
            port = std::stoi(positional[1], &used);
            if (used != positional[1].size() || port < 0 || port > 65535) throw std::invalid_argument("PORT");
        }
    } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
        std::cerr << usage;
        return 2;
    }

    try {
        // The folder to serve: --root, else this lesson's www/ (the path the build gave),
        // else ./www.
        fs::path root = root_option.empty() ? fs::u8path(HTTP_DEFAULT_ROOT) : fs::u8path(root_option);
        if (root_option.empty() && !fs::is_directory(root)) root = "www";
        if (!fs::is_directory(root))
            throw std::runtime_error("the folder to serve, " + root.u8string() + ", does not exist (try --root DIR)");
        cfg.root = fs::canonical(root);

        // Create, bind, listen: the report's server.
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        sock.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        sock.bind(csnet::address{host, port});
        sock.listen();  // before saying where we are: a client may connect at once
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;
        log_line("serving " + cfg.root.u8string() + " at http://" + bound_host + ":" + std::to_string(bound_port) +
                 "/");

        while (true) {
            try {
                auto accepted = sock.accept();
                if (clients >= max_clients) {  // too many at once: say so and close
                    accepted.first.settimeout(1.0);
                    try {
                        send_error(accepted.first, 503, "Too many clients at once; try again.", false, false, 1);
                    } catch (const csnet::error&) {
                    }
                    log_line(accepted.second.to_string() + " 503 (too many clients)");
                    continue;
                }
                // A thread per client: a slow client never makes the others wait.
                ++clients;
                try {
                    std::thread(client_thread, std::move(accepted.first), accepted.second, cfg).detach();
                } catch (const std::system_error& e) {  // the system could not start a thread
                    --clients;
                    log_line(accepted.second.to_string() + " no thread: " + e.what());
                }
            } catch (const csnet::error& e) {
                // accept() itself failed: no file descriptor left (every client holds one,
                // and a file being sent another), or a client that reset its connection
                // before we took it (macOS, Windows). That is no reason to stop serving the
                // others: log it, let them finish for a moment, and accept again.
                std::string what = e.what();
                log_line("accept() failed: " + what.substr(0, what.find('\n')));
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
