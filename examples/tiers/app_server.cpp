// tiers_app_server: the "application server" of the 3-tier architecture.
//   3-Tier: "el cliente se comunica con un servidor de aplicaciones, que a su vez se
//            comunica con un servidor de bases de datos." (seeds/000, section 5)
//   Analogy: "El camarero (cliente) habla con el maître (servidor de aplicaciones),
//            quien luego se comunica con el chef (servidor de bases de datos)."
// A browser (tier 1) asks this program (tier 2) for a page of notes over HTTP; this
// program asks tiers_db_server (tier 3) for the notes, in frames (frames.hpp), and
// turns them into HTML. The browser never talks to the database.
//
//   GET /          the notes page: every key of the database with its value, a form
//   POST /notes    form field note=...: SET note-<time> ..., then "303 See Other" to /
//   POST /delete   form field key=...:  DELETE key, then "303 See Other" to /
//
// A new connection to the database for every HTTP request: when the database is down
// the page says so (503 Service Unavailable), and the next request after it comes
// back simply works, without restarting this program.
// HTTP kept to its minimum: request line, headers, a Content-Length body; sizes and
// time bounded; "Connection: close" after every response.
//
// USAGE: tiers_app_server [HOST [PORT]] [--db HOST:PORT]
//        (defaults: 127.0.0.1, port 8081, database at 127.0.0.1:7000)
#include "frames.hpp"  // frames::ask
#include "server.hpp"  // tiers::read_command_line, log_line, listen_on, serve_forever, close_gently

#include <csnet.hpp>

#include <chrono>     // std::chrono::steady_clock, system_clock
#include <cstddef>    // std::size_t
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <map>        // std::map
#include <mutex>      // std::mutex, std::lock_guard
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string, std::stoi, std::to_string
#include <thread>     // std::thread: one per browser connection
#include <utility>    // std::move, std::pair
#include <vector>     // std::vector

namespace {

const char* const usage_text =
    "usage: tiers_app_server [HOST [PORT]] [--db HOST:PORT]\n"
    "  a notes web page (HTTP) that keeps its data in tiers_db_server\n"
    "  HOST          address to listen on (default 127.0.0.1)\n"
    "  PORT          port to listen on (default 8081; 0 picks a free one)\n"
    "  --db HOST:PORT  where tiers_db_server listens (default 127.0.0.1:7000)\n";

// Limits: what a misbehaving browser (or a student with nc) can make us hold.
constexpr std::size_t max_head_bytes = 8 * 1024;   // request line + headers
constexpr std::size_t max_body_bytes = 16 * 1024;  // a form with one note
constexpr std::chrono::seconds request_time{10};   // the whole request must arrive in this time
constexpr double database_seconds = 2.0;           // each step with the database

// == HTTP: the request =========================================================
struct http_request {
    std::string method, target, version;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// Thrown while reading a request that we must refuse: becomes an error page.
struct http_error : std::runtime_error {
    int status;
    http_error(int code, const std::string& why) : std::runtime_error(why), status(code) {}
};

std::string lower(std::string text) {
    for (char& c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return text;
}

std::string trim(const std::string& text) {
    std::size_t first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    std::size_t last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

// One recv() that may wait only until the request's deadline.
std::string recv_before(csnet::socket& conn, std::chrono::steady_clock::time_point deadline) {
    std::chrono::duration<double> left = deadline - std::chrono::steady_clock::now();
    if (left.count() <= 0) throw http_error(408, "the request did not arrive in time");
    conn.settimeout(left.count());
    try {
        return conn.recv(4096);
    } catch (const csnet::timeout&) {
        throw http_error(408, "the request did not arrive in time");
    }
}

// Reads one request. Returns false when the client closed without sending anything.
bool read_request(csnet::socket& conn, http_request& request) {
    auto deadline = std::chrono::steady_clock::now() + request_time;

    // The head ends with an empty line: "\r\n\r\n".
    std::string data;
    std::size_t head_end = std::string::npos;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
        if (data.size() > max_head_bytes) throw http_error(431, "the request's headers are too long");
        std::string piece = recv_before(conn, deadline);
        if (piece.empty()) {
            if (data.empty()) return false;
            throw http_error(400, "the connection closed in the middle of the request");
        }
        data += piece;
    }
    if (head_end > max_head_bytes) throw http_error(431, "the request's headers are too long");
    std::string head = data.substr(0, head_end + 2);  // every line ends with \r\n
    std::string rest = data.substr(head_end + 4);     // the start of the body, if any

    // The request line: METHOD SP TARGET SP HTTP/1.1
    std::size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    std::size_t space1 = line.find(' ');
    std::size_t space2 = space1 == std::string::npos ? space1 : line.find(' ', space1 + 1);
    if (space2 == std::string::npos || line.find(' ', space2 + 1) != std::string::npos) {
        throw http_error(400, "the request line is not METHOD TARGET VERSION");
    }
    request.method = line.substr(0, space1);
    request.target = line.substr(space1 + 1, space2 - space1 - 1);
    request.version = line.substr(space2 + 1);
    if (request.version.rfind("HTTP/1.", 0) != 0) throw http_error(505, "only HTTP/1.x is spoken here");

    // The headers: "Name: value", one per line.
    for (std::size_t start = line_end + 2; start < head.size();) {
        std::size_t end = head.find("\r\n", start);
        std::string header = head.substr(start, end - start);
        start = end + 2;
        std::size_t colon = header.find(':');
        if (colon == std::string::npos || colon == 0) throw http_error(400, "a header line without a name and a colon");
        request.headers[lower(header.substr(0, colon))] = trim(header.substr(colon + 1));
    }

    // The body: exactly Content-Length bytes (no Content-Length: no body).
    if (request.headers.count("transfer-encoding")) throw http_error(411, "send the body with a Content-Length");
    std::size_t length = 0;
    if (request.headers.count("content-length")) {
        const std::string& text = request.headers["content-length"];
        if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
            throw http_error(400, "Content-Length is not a number");
        }
        length = static_cast<std::size_t>(std::stoul(text));
    }
    if (length > max_body_bytes) throw http_error(413, "the body is over " + std::to_string(max_body_bytes) + " bytes");
    if (length > rest.size() && lower(request.headers["expect"]) == "100-continue") {
        conn.sendall("HTTP/1.1 100 Continue\r\n\r\n");  // curl waits for this before a large body
    }
    while (rest.size() < length) {
        std::string piece = recv_before(conn, deadline);
        if (piece.empty()) throw http_error(400, "the connection closed in the middle of the body");
        rest += piece;
    }
    request.body = rest.substr(0, length);
    return true;
}

// == HTTP: the response ========================================================
const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 303: return "See Other";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 431: return "Request Header Fields Too Large";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        case 507: return "Insufficient Storage";
        default: return "Internal Server Error";
    }
}

struct http_response {
    int status = 200;
    std::string extra_headers;  // "Name: value\r\n" lines
    std::string body;           // HTML
};

void send_response(csnet::socket& conn, const http_response& response, bool head_only) {
    std::string text = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n" +
                       "Content-Type: text/html; charset=utf-8\r\n" +
                       "Content-Length: " + std::to_string(response.body.size()) + "\r\n" +
                       "Cache-Control: no-store\r\n" + response.extra_headers + "Connection: close\r\n\r\n";
    if (!head_only) text += response.body;
    conn.sendall(text);
}

// User text goes into the page as text, never as HTML: "<script>" shows as <script>.
std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (c == '"')
            out += "&quot;";
        else if (c == '\'')
            out += "&#39;";
        else
            out += c;
    }
    return out;
}

std::string page(const std::string& title, const std::string& content) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(title) +
           "</title>\n<style>body{font-family:sans-serif;max-width:42em;margin:2em auto;padding:0 1em}"
           "li{white-space:pre-wrap;margin:.4em 0}small{color:#666}form.inline{display:inline}"
           ".down{border:2px solid #b00;padding:1em}</style>\n</head>\n<body>\n<h1>" +
           html_escape(title) + "</h1>\n" + content + "</body>\n</html>\n";
}

http_response error_page(int status, const std::string& message) {
    http_response response;
    response.status = status;
    response.body = page(std::to_string(status) + " " + reason(status), "<p>" + html_escape(message) + "</p>\n");
    return response;
}

// application/x-www-form-urlencoded: "note=Hola+mundo%21&x=1" -> {note: "Hola mundo!", x: "1"}
std::string url_decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%') {
            std::string hex = text.substr(i + 1, 2);
            if (hex.size() != 2 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
                throw http_error(400, "a % in the form that is not followed by two hex digits");
            }
            out += static_cast<char>(std::stoi(hex, nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string::npos) end = body.size();
        std::string pair = body.substr(start, end - start);
        std::size_t equals = pair.find('=');
        if (!pair.empty()) {
            fields[url_decode(pair.substr(0, equals))] =
                equals == std::string::npos ? "" : url_decode(pair.substr(equals + 1));
        }
        start = end + 1;
    }
    return fields;
}

// == Tier 3: the database, through frames ======================================
// Every conversation with the database counts its requests, for the page's footer.
struct database_link {
    csnet::socket sock;
    int requests = 0;
    std::string ask(const std::string& request) {
        ++requests;
        return frames::ask(sock, request);
    }
};

// A new connection for each HTTP request: if the database restarted in between, we
// just reach the new one. create_connection() throws when nobody listens there.
database_link connect_to_database(const csnet::address& db) {
    return database_link{csnet::create_connection(db, database_seconds)};
}

// LIST, then GET for each key: every note as (key, value).
std::vector<std::pair<std::string, std::string>> fetch_notes(database_link& db) {
    std::string listing = db.ask("LIST");
    if (listing.rfind("OK", 0) != 0) throw std::runtime_error("the database answered LIST with: " + listing);
    std::vector<std::pair<std::string, std::string>> notes;
    std::size_t start = listing.find('\n');
    while (start != std::string::npos) {
        std::size_t end = listing.find('\n', start + 1);
        std::string key = listing.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
        start = end;
        std::string reply = db.ask("GET " + key);
        if (reply.rfind("OK ", 0) == 0) notes.emplace_back(key, reply.substr(3));
        // NOTFOUND: someone deleted it between our LIST and our GET; leave it out.
    }
    return notes;
}

// A key for a new note: "note-" and the time in microseconds, so that the database's
// key order is the order in which notes were written.
std::string new_note_key() {
    static std::mutex mutex;
    static long long last = 0;
    std::lock_guard<std::mutex> lock(mutex);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    long long micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    last = micros > last ? micros : last + 1;  // never twice the same key
    std::string digits = std::to_string(last);
    return "note-" + std::string(digits.size() < 16 ? 16 - digits.size() : 0, '0') + digits;
}

http_response database_down(const csnet::address& db, const std::string& why) {
    http_response response;
    response.status = 503;
    response.extra_headers = "Retry-After: 5\r\n";
    response.body = page("Notes: the database is not answering",
                         "<div class=\"down\">\n<p>This page (the application server, tier 2) is running, but the "
                         "database server (tier 3) at <b>" +
                             html_escape(db.to_string()) + "</b> is not answering:</p>\n<pre>" + html_escape(why) +
                             "</pre>\n<p>Nothing was lost or changed. Reload this page once the database is back: "
                             "the application server reconnects by itself.</p>\n</div>\n");
    return response;
}

// == The application: one HTTP request in, one response out ====================
http_response notes_page(const csnet::address& db_address, const csnet::address& own_address) {
    database_link db = connect_to_database(db_address);
    auto notes = fetch_notes(db);
    std::string content = "<p><small>browser &rarr; tiers_app_server (" + html_escape(own_address.to_string()) +
                          ") &rarr; tiers_db_server (" + html_escape(db_address.to_string()) +
                          ")</small></p>\n"
                          "<form method=\"post\" action=\"/notes\">\n<textarea name=\"note\" rows=\"3\" cols=\"50\" "
                          "required></textarea>\n"
                          "<br><button type=\"submit\">Add note</button>\n</form>\n";
    if (notes.empty()) {
        content += "<p id=\"empty\">No notes yet.</p>\n";
    } else {
        content += "<ul id=\"notes\">\n";
        for (const auto& note : notes) {
            content += "<li><small>" + html_escape(note.first) + "</small> " + html_escape(note.second) +
                       " <form class=\"inline\" method=\"post\" action=\"/delete\"><input type=\"hidden\" name=\"key\" "
                       "value=\"" +
                       html_escape(note.first) + "\"><button type=\"submit\">delete</button></form></li>\n";
        }
        content += "</ul>\n";
    }
    content += "<p><small>To build this page: 1 connection to the database, " + std::to_string(db.requests) +
               " requests (LIST, then one GET per key).</small></p>\n";
    http_response response;
    response.body = page("Notes", content);
    return response;
}

http_response see_other(const std::string& location) {
    http_response response;
    response.status = 303;
    response.extra_headers = "Location: " + location + "\r\n";
    response.body = page("303 See Other", "<p><a href=\"" + location + "\">Back to the notes</a></p>\n");
    return response;
}

http_response handle(const http_request& request, const csnet::address& db_address, const csnet::address& own_address) {
    std::string path = request.target.substr(0, request.target.find('?'));
    bool is_get = request.method == "GET" || request.method == "HEAD";
    bool is_post = request.method == "POST";

    if (path == "/" && !is_get) {
        http_response response = error_page(405, request.method + " is not allowed on /");
        response.extra_headers = "Allow: GET, HEAD\r\n";
        return response;
    }
    if ((path == "/notes" || path == "/delete") && !is_post) {
        http_response response = error_page(405, "use the form on / to send a note");
        response.extra_headers = "Allow: POST\r\n";
        return response;
    }
    if (path != "/" && path != "/notes" && path != "/delete") return error_page(404, "no page at " + path);
    if (is_post && request.headers.count("content-type") != 0 &&
        lower(request.headers.at("content-type")).rfind("application/x-www-form-urlencoded", 0) != 0) {
        return error_page(415, "send the form as application/x-www-form-urlencoded");
    }

    try {
        if (path == "/") return notes_page(db_address, own_address);

        auto fields = parse_form(request.body);
        database_link db = connect_to_database(db_address);
        if (path == "/notes") {
            std::string note = trim(fields["note"]);
            if (note.empty()) return error_page(400, "the note is empty: write something in the box");
            std::string reply = db.ask("SET " + new_note_key() + " " + note);
            if (reply.rfind("ERR full", 0) == 0) return error_page(507, "the database is full: delete a note first");
            if (reply != "OK") throw std::runtime_error("the database answered: " + reply);
        } else {
            if (fields["key"].empty()) return error_page(400, "which note? the form sends key=...");
            std::string reply = db.ask("DELETE " + fields["key"]);
            if (reply != "OK" && reply != "NOTFOUND") throw std::runtime_error("the database answered: " + reply);
        }
        return see_other("/");  // "303 See Other": the browser now GETs / (reload does not post again)
    } catch (const http_error&) {
        throw;
    } catch (const std::exception& e) {  // connect refused, timeout, closed connection, ERR
        return database_down(db_address, e.what());
    }
}

// == One HTTP client ===========================================================
void serve_client(csnet::socket conn, csnet::address client, csnet::address db_address, csnet::address own_address) {
    std::string who = tiers::peer_name(client);
    try {
        http_request request;
        http_response response;
        std::string why;
        try {
            if (!read_request(conn, request)) {
                tiers::log_line(who + " closed the connection without a request");
                return;
            }
            response = handle(request, db_address, own_address);
        } catch (const http_error& e) {
            response = error_page(e.status, e.what());
            why = std::string(": ") + e.what();
        }
        send_response(conn, response, request.method == "HEAD");
        std::string line = request.method.empty() ? "(no request line)" : request.method + " " + request.target;
        tiers::log_line(who + " \"" + line.substr(0, 80) + "\" " + std::to_string(response.status) + " " +
                        reason(response.status) + why);

        // Close gently: FIN first, then read what the client may still send (bounded),
        // so that unread bytes do not make the system reset the connection and destroy
        // the response before the client has read it.
        tiers::close_gently(conn, 16);
    } catch (const std::exception& e) {
        tiers::log_line(who + " " + e.what());
    }
}

csnet::address parse_address(const std::string& text) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) throw tiers::usage_error("--db wants HOST:PORT, not " + text);
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
        throw tiers::usage_error("--db wants HOST:PORT with a port from 1 to 65535, not " + text);
    }
    return {host, std::stoi(port)};
}

}  // namespace

int main(int argc, char* argv[]) {
    try {
        std::string host = "127.0.0.1";
        int port = 8081;
        csnet::address db_address{"127.0.0.1", 7000};
        // The command line: HOST and PORT are read in server.hpp, --db here.
        auto read_option = [&db_address](const std::string& option, const std::string& value) {
            if (option != "--db") return false;  // not an option of this server
            db_address = parse_address(value);
            return true;
        };
        if (!tiers::read_command_line(argc, argv, usage_text, host, port, read_option)) return 0;  // --help

        // Creating the TCP/IP socket, binding it and listening (server.hpp): from here
        // on, browsers can connect (they wait in the queue).
        csnet::socket sock = tiers::listen_on(host, port);
        csnet::address own_address = sock.getsockname();
        std::cerr << "the database is at " << db_address << " (tiers_db_server); open http://" << own_address
                  << "/ in a browser" << std::endl;

        // A thread per browser connection: a slow one never makes the others wait.
        tiers::serve_forever(sock, [db_address, own_address](csnet::socket connection, csnet::address client) {
            std::thread(serve_client, std::move(connection), client, db_address, own_address).detach();
        });
    } catch (const tiers::usage_error& e) {
        std::cerr << "tiers_app_server: " << e.what() << '\n' << usage_text;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
