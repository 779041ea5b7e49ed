// http.hpp - the HTTP/1.1 parsing of the lesson, apart from the sockets.
//
// Every function here is pure: bytes in, a result out. No socket, no file, no clock.
// So each one can be read, tested and fuzzed on its own, and server.cpp and get.cpp
// only move bytes between the network and these functions.
//
// What an HTTP/1.1 request looks like on the wire (RFC 9112, section 2.1):
//
//   GET /style.css HTTP/1.1\r\n          <- request line: method SP target SP version
//   Host: 127.0.0.1:8080\r\n              <- header fields: name ":" value
//   User-Agent: curl/7.88.1\r\n
//   \r\n                                   <- an empty line ends the head
//   (a body, only if Content-Length or Transfer-Encoding says there is one)
//
// The response has the same shape, with a status line ("HTTP/1.1 200 OK") first.
#ifndef CSNET_EXAMPLES_HTTP_HPP
#define CSNET_EXAMPLES_HTTP_HPP

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace http {

// == Limits: nothing a peer sends may make us read or keep without bound =========
inline constexpr std::size_t max_request_line = 8192;  // longer: 414 URI Too Long
inline constexpr std::size_t max_header_bytes = 8192;  // longer: 431 Request Header Fields Too Large
inline constexpr std::size_t max_header_count = 100;   // more: 431 too

// == Characters (RFC 9110, section 5.6.2) =======================================

/// A "tchar": the characters allowed in a method or a header name (a token).
inline bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

inline bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

inline char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// Header names, methods' tokens in Connection, ... compare without caring for case.
inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

inline bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equals_ignoring_case(s.substr(0, prefix.size()), prefix);
}

/// Removes spaces and tabs at both ends ("OWS", optional white space).
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// == Status codes ===============================================================

/// The reason phrase that goes after the code in the status line.
inline const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 301: return "Moved Permanently";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

// == Finding the end of the head in what has arrived so far =====================
// TCP delivers a stream of bytes, not messages: a request may arrive in one recv()
// or in twenty. The server keeps what it has received in a buffer and asks, after
// each recv(), "is the whole head there yet?".

/// How many bytes of empty lines come first. RFC 9112 section 2.2: a server SHOULD
/// ignore at least one empty line before the request line (old clients send one).
inline std::size_t leading_empty_lines(std::string_view data) {
    std::size_t pos = 0;
    while (true) {
        if (data.substr(pos, 2) == "\r\n") {
            pos += 2;
        } else if (data.substr(pos, 1) == "\n") {
            pos += 1;
        } else {
            return pos;
        }
    }
}

struct head_scan {
    std::size_t end = 0;  // when complete: the head's length, empty line included
    int status = 0;       // when the head is already too long: 414 or 431
    bool complete() const { return end != 0; }
};

/// Looks for the empty line that ends the head ("\r\n\r\n"; a bare "\n" also ends a
/// line, as RFC 9112 section 2.2 allows). Not complete yet and not too long: keep
/// reading. `data` starts at the request line (skip leading_empty_lines() first).
inline head_scan scan_head(std::string_view data) {
    head_scan result;
    std::size_t line_start = 0;
    std::size_t request_line_end = std::string_view::npos;
    while (true) {
        std::size_t newline = data.find('\n', line_start);
        std::size_t line_length = (newline == std::string_view::npos ? data.size() : newline) - line_start;
        if (request_line_end == std::string_view::npos) {
            if (line_length > max_request_line) {
                result.status = 414;
                return result;
            }
        } else {
            std::size_t header_bytes =
                (newline == std::string_view::npos ? data.size() : newline + 1) - request_line_end;
            if (header_bytes > max_header_bytes) {
                result.status = 431;
                return result;
            }
        }
        if (newline == std::string_view::npos) return result;  // incomplete: read more
        if (request_line_end == std::string_view::npos) {
            request_line_end = newline + 1;
        } else if (line_length == 0 || (line_length == 1 && data[line_start] == '\r')) {
            result.end = newline + 1;  // the empty line: the head is complete
            return result;
        }
        line_start = newline + 1;
    }
}

// == Parsing a request head (RFC 9112 sections 3 and 5) =========================

struct header {
    std::string name;
    std::string value;
};

struct request {
    std::string method;  // "GET"
    std::string target;  // "/docs/index.html?x=1", as sent (still percent-encoded)
    int major = 1;       // HTTP/1.1 -> 1 and 1
    int minor = 1;
    std::vector<header> headers;
};

/// The value of the first header field called `name` (any case), if there is one.
inline std::optional<std::string> find_header(const std::vector<header>& headers, std::string_view name) {
    for (const header& h : headers) {
        if (equals_ignoring_case(h.name, name)) return h.value;
    }
    return std::nullopt;
}

inline std::size_t count_headers(const std::vector<header>& headers, std::string_view name) {
    std::size_t n = 0;
    for (const header& h : headers) {
        if (equals_ignoring_case(h.name, name)) ++n;
    }
    return n;
}

/// Does a comma-separated list such as "keep-alive, Upgrade" hold `token` (any case)?
inline bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (equals_ignoring_case(item, token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

/// A Content-Length value: digits only, and not so many that they overflow.
inline std::optional<std::uint64_t> parse_content_length(std::string_view text) {
    text = trim(text);
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

struct parsed_request {
    int status = 0;   // 0: the request is well formed; else the status to answer
    std::string why;  // what was wrong, in words (it goes to the log and the error page)
    request req;
};

namespace detail {
inline parsed_request fail(int status, std::string why) {
    parsed_request r;
    r.status = status;
    r.why = std::move(why);
    return r;
}

/// Splits the head into lines, without their "\r\n" (or "\n").
/// Returns false when a line holds a bare CR (RFC 9112 section 2.2: reject it).
inline bool split_lines(std::string_view head, std::vector<std::string_view>& lines) {
    while (!head.empty()) {
        std::size_t newline = head.find('\n');
        std::string_view line = head.substr(0, newline);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find('\r') != std::string_view::npos) return false;
        lines.push_back(line);
        if (newline == std::string_view::npos) break;
        head.remove_prefix(newline + 1);
    }
    return true;
}

/// "HTTP/1.1" -> 1, 1. Exactly "HTTP/" DIGIT "." DIGIT, case-sensitive.
inline bool parse_version(std::string_view text, int& major, int& minor) {
    if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || text[6] != '.') return false;
    if (text[5] < '0' || text[5] > '9' || text[7] < '0' || text[7] > '9') return false;
    major = text[5] - '0';
    minor = text[7] - '0';
    return true;
}
}  // namespace detail

/// Parses a complete head (what scan_head() found, empty line included).
inline parsed_request parse_request(std::string_view head) {
    std::vector<std::string_view> lines;
    if (!detail::split_lines(head, lines)) return detail::fail(400, "a bare CR in the head");
    while (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final empty line
    if (lines.empty()) return detail::fail(400, "no request line");

    // The request line: method SP request-target SP HTTP-version, one space each.
    std::string_view line = lines[0];
    std::size_t space1 = line.find(' ');
    std::size_t space2 = space1 == std::string_view::npos ? space1 : line.find(' ', space1 + 1);
    if (space2 == std::string_view::npos || line.find(' ', space2 + 1) != std::string_view::npos)
        return detail::fail(400, "the request line is not METHOD SP TARGET SP VERSION");
    std::string_view method = line.substr(0, space1);
    std::string_view target = line.substr(space1 + 1, space2 - space1 - 1);
    std::string_view version = line.substr(space2 + 1);
    if (!is_token(method)) return detail::fail(400, "the method is not a token");
    if (target.empty()) return detail::fail(400, "empty request target");
    for (char c : target) {
        if (c <= ' ' || c >= 127) return detail::fail(400, "a control, space or non-ASCII byte in the target");
    }
    parsed_request result;
    if (!detail::parse_version(version, result.req.major, result.req.minor))
        return detail::fail(400, "the version is not HTTP/DIGIT.DIGIT");
    result.req.method = std::string(method);
    result.req.target = std::string(target);

    // The header fields: name ":" OWS value OWS.
    for (std::size_t i = 1; i < lines.size(); ++i) {
        line = lines[i];
        if (line.empty()) return detail::fail(400, "an empty line inside the head");
        if (line[0] == ' ' || line[0] == '\t') return detail::fail(400, "a folded header line (obs-fold)");
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return detail::fail(400, "a header line without a colon");
        std::string_view name = line.substr(0, colon);
        if (!is_token(name)) return detail::fail(400, "a header name that is not a token (a space before the colon?)");
        std::string_view value = trim(line.substr(colon + 1));
        for (char c : value) {
            unsigned char u = static_cast<unsigned char>(c);
            if ((u < 32 && c != '\t') || u == 127) return detail::fail(400, "a control character in a header value");
        }
        if (result.req.headers.size() == max_header_count) return detail::fail(431, "too many header fields");
        result.req.headers.push_back({std::string(name), std::string(value)});
    }

    // Only HTTP/1.x is spoken here (a 1.2 would be answered as 1.1, RFC 9110 section 6.2).
    if (result.req.major != 1) return detail::fail(505, "only HTTP/1.0 and HTTP/1.1 are spoken here");

    // RFC 9112 section 3.2: a 1.1 request without Host, or with two, gets a 400.
    std::size_t hosts = count_headers(result.req.headers, "Host");
    if (hosts > 1 || (hosts == 0 && result.req.minor >= 1))
        return detail::fail(400, hosts > 1 ? "more than one Host header" : "an HTTP/1.1 request needs a Host header");

    // Body framing (RFC 9112 section 6): a wrong Content-Length would desynchronise the
    // next request on this connection, so it is an error, and so is having both.
    std::size_t lengths = count_headers(result.req.headers, "Content-Length");
    bool chunked = count_headers(result.req.headers, "Transfer-Encoding") > 0;
    if (lengths > 0 && chunked) return detail::fail(400, "both Content-Length and Transfer-Encoding");
    if (lengths > 1) return detail::fail(400, "more than one Content-Length");
    if (lengths == 1 && !parse_content_length(*find_header(result.req.headers, "Content-Length")))
        return detail::fail(400, "Content-Length is not a number");
    return result;
}

/// 0 for the methods this server implements (GET and HEAD), 405 for the other methods
/// HTTP defines (the answer carries "Allow: GET, HEAD"), 501 for any other token.
inline int method_status(std::string_view method) {
    if (method == "GET" || method == "HEAD") return 0;
    for (std::string_view known : {"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
        if (method == known) return 405;
    }
    return 501;
}

/// Persistent connections (RFC 9112 section 9.3): HTTP/1.1 keeps the connection open
/// unless the client says "Connection: close"; HTTP/1.0 closes it unless the client
/// says "Connection: keep-alive" (and then the answer must say keep-alive too).
inline bool wants_keep_alive(const request& req) {
    std::string connection = find_header(req.headers, "Connection").value_or("");
    if (req.minor >= 1) return !has_token(connection, "close");
    return has_token(connection, "keep-alive");
}

// == From the target to a file: percent-decoding and staying inside the root =====

/// "%20" -> " ", "caf%C3%A9" -> "café". No value when a '%' is not followed by two
/// hex digits. ('+' stays '+': it means a space only in HTML form data.)
inline std::optional<std::string> percent_decode(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;  // fewer than two characters left
        int high = hex(text[i + 1]);
        int low = hex(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

struct target_path {
    int status = 0;  // 0, or 400 (malformed) / 403 (tries to leave the root)
    std::string why;
    std::vector<std::string> segments;  // decoded: "/a%20b/c.txt" -> {"a b", "c.txt"}
    bool folder = false;                // the path ends with "/": ask for the folder's index.html
};

/// Turns a request target into the folder names and file name to look up under the
/// root. It refuses, before any file is touched, every way out of the root: ".." and
/// "." segments (also written "%2e%2e"), an encoded "/" or "\" ("%2f", "%5c"), a ':'
/// (a Windows drive "C:"), a NUL byte. Empty segments ("//") are skipped, so an
/// "absolute" path such as "//etc/passwd" stays inside the root. (Symbolic links that
/// point out of the root are the server's job: only the file system knows them.)
inline target_path split_target(std::string_view target) {
    target_path result;
    // absolute-form (RFC 9112 section 3.2.2), what a client sends to a proxy:
    // "http://host:port/path". A server must accept it; only the path matters here.
    if (starts_with_ignoring_case(target, "http://")) {
        std::size_t slash = target.find('/', 7);
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    if (target.empty() || target[0] != '/') {
        result.status = 400;
        result.why = "the target does not start with /";
        return result;
    }
    target = target.substr(0, target.find('?'));  // the query ("?x=1") does not name a file
    result.folder = target.back() == '/';
    while (!target.empty()) {
        std::size_t slash = target.find('/');
        std::string_view raw = target.substr(0, slash);
        target.remove_prefix(slash == std::string_view::npos ? target.size() : slash + 1);
        if (raw.empty()) continue;
        std::optional<std::string> segment = percent_decode(raw);
        if (!segment) {
            result.status = 400;
            result.why = "a '%' not followed by two hex digits";
            return result;
        }
        if (*segment == "." || *segment == ".." ||
            segment->find_first_of(std::string("/\\:\0", 4)) != std::string::npos) {
            result.status = 403;
            result.why = "the path tries to leave the root (\"..\", an encoded slash, ':' or NUL)";
            return result;
        }
        result.segments.push_back(*segment);
    }
    if (result.segments.empty()) result.folder = true;  // "/" is the root folder
    return result;
}

/// Content-Type by the file name's extension (RFC 9110 section 8.3). A browser
/// uses it to decide what the bytes are: a wrong type and the CSS is ignored.
inline std::string content_type_for(std::string_view file_name) {
    std::size_t dot = file_name.rfind('.');
    std::string ext;
    if (dot != std::string_view::npos) {
        for (char c : file_name.substr(dot + 1)) ext += to_lower(c);
    }
    if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
    if (ext == "txt" || ext == "md") return "text/plain; charset=utf-8";
    if (ext == "json") return "application/json";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
    if (ext == "gif") return "image/gif";
    if (ext == "webp") return "image/webp";
    if (ext == "ico") return "image/x-icon";
    if (ext == "pdf") return "application/pdf";
    if (ext == "wasm") return "application/wasm";
    return "application/octet-stream";  // "some bytes": a browser offers to save them
}

// == The client's side: URLs, status lines, chunks ==============================

struct url {
    std::string host;  // "127.0.0.1", "localhost", "::1" (without the brackets)
    int port = 80;
    std::string target;     // "/index.html?x=1": what goes in the request line
    std::string authority;  // "127.0.0.1:8080": what goes in the Host header
};

struct parsed_url {
    std::string error;  // empty: ok
    url value;
};

/// "http://host[:port][/path][?query][#fragment]" (RFC 3986, the parts HTTP uses).
inline parsed_url parse_url(std::string_view text) {
    parsed_url result;
    auto fail = [&result](std::string why) {
        result.error = std::move(why);
        return result;
    };
    for (char c : text) {
        if (c <= ' ' || c >= 127)
            return fail("a URL has no spaces, control or non-ASCII characters (write them as %XX)");
    }
    if (starts_with_ignoring_case(text, "https://")) return fail("https:// needs TLS, which csnet does not have");
    if (!starts_with_ignoring_case(text, "http://")) return fail("the URL must start with http://");
    text.remove_prefix(7);
    std::size_t end = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, end);
    std::string_view rest = end == std::string_view::npos ? std::string_view() : text.substr(end);
    if (authority.find('@') != std::string_view::npos) return fail("user names in URLs (user@host) are not supported");
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority[0] == '[') {  // an IPv6 address: [::1]:8080
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return fail("a '[' without its ']' in the host");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':') return fail("something after ']' that is not :PORT");
        if (!after.empty()) port = after.substr(1);
        if (!after.empty() && port.empty()) return fail("a ':' without a port number");
    } else {
        std::size_t colon = authority.find(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            if (port.empty()) return fail("a ':' without a port number");
        }
    }
    if (host.empty()) return fail("no host in the URL");
    if (!port.empty()) {
        if (port.size() > 5) return fail("the port must be a number from 1 to 65535");
        int n = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return fail("the port must be a number from 1 to 65535");
            n = n * 10 + (c - '0');
        }
        if (n < 1 || n > 65535) return fail("the port must be a number from 1 to 65535");
        result.value.port = n;
    }
    rest = rest.substr(0, rest.find('#'));  // the fragment stays in the browser
    result.value.host = std::string(host);
    result.value.authority = std::string(authority);
    result.value.target = rest.empty() || rest[0] != '/' ? "/" + std::string(rest) : std::string(rest);
    return result;
}

struct response {
    int major = 1;
    int minor = 1;
    int status = 0;      // 200
    std::string reason;  // "OK"
    std::vector<header> headers;
};

struct parsed_response {
    std::string error;  // empty: ok
    response resp;
};

/// Parses a response head: "HTTP/1.1 200 OK" then the header fields.
inline parsed_response parse_response(std::string_view head) {
    parsed_response result;
    std::vector<std::string_view> lines;
    if (!detail::split_lines(head, lines)) {
        result.error = "a bare CR in the response head";
        return result;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.empty()) {
        result.error = "an empty response";
        return result;
    }
    // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]  (RFC 9112 section 4)
    std::string_view line = lines[0];
    auto digit = [line](std::size_t i) { return i < line.size() && line[i] >= '0' && line[i] <= '9'; };
    bool ok = line.size() >= 12 && detail::parse_version(line.substr(0, 8), result.resp.major, result.resp.minor) &&
              line[8] == ' ' && digit(9) && digit(10) && digit(11) && (line.size() == 12 || line[12] == ' ');
    if (!ok || line[9] == '0' || line[9] > '5') {
        result.error = "the first line is not a status line (HTTP/1.1 200 OK)";
        return result;
    }
    result.resp.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    result.resp.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::size_t colon = lines[i].find(':');
        if (colon == std::string_view::npos || !is_token(lines[i].substr(0, colon))) {
            result.error = "a header line that is not NAME: VALUE";
            return result;
        }
        result.resp.headers.push_back(
            {std::string(lines[i].substr(0, colon)), std::string(trim(lines[i].substr(colon + 1)))});
    }
    return result;
}

/// The size line of a chunk (RFC 9112 section 7.1): hex digits, then maybe
/// ";extension" that we ignore. "1a" -> 26; "0" -> 0 (the last chunk).
inline std::optional<std::uint64_t> parse_chunk_size(std::string_view line) {
    line = trim(line.substr(0, line.find(';')));
    if (line.empty() || line.size() > 15) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : line) {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit < 0) return std::nullopt;
        n = n * 16 + static_cast<std::uint64_t>(digit);
    }
    return n;
}

}  // namespace http

#endif  // CSNET_EXAMPLES_HTTP_HPP
