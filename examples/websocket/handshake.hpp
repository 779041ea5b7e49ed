// The WebSocket opening handshake (RFC 6455, section 4): an HTTP/1.1 request that
// asks to "upgrade" the connection, and the server's "101 Switching Protocols".
// Pure functions on text, no sockets.
//
// What Chromium sends (Network tab, "Request Headers"), cut to what matters:
//   GET /chat HTTP/1.1
//   Host: 127.0.0.1:8765
//   Connection: Upgrade
//   Upgrade: websocket
//   Sec-WebSocket-Version: 13
//   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
// and what the server answers:
//   HTTP/1.1 101 Switching Protocols
//   Upgrade: websocket
//   Connection: Upgrade
//   Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
// After the empty line that ends the answer, both sides speak in frames (frame.hpp).
#ifndef CSNET_EXAMPLES_WEBSOCKET_HANDSHAKE_HPP
#define CSNET_EXAMPLES_WEBSOCKET_HANDSHAKE_HPP

#include <cctype>       // std::tolower
#include <cstddef>      // std::size_t
#include <optional>     // std::optional, std::nullopt
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "base64.hpp"
#include "sha1.hpp"

namespace websocket {

/// The value RFC 6455 (section 1.3) fixes for every server: a GUID that no
/// program that does not know WebSocket would use.
inline constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key:
/// base64(SHA-1(key + GUID)).
inline std::string accept_key(std::string_view client_key) {
    return base64_encode(sha1(std::string(client_key) + std::string(handshake_guid)));
}

inline std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

inline std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

/// An HTTP request's head: the request line and the header fields.
struct http_request {
    std::string method;   // GET
    std::string target;   // /chat
    std::string version;  // HTTP/1.1
    // Each header field as (name, value), the name in lower case: ("host", "127.0.0.1:8765")
    std::vector<std::pair<std::string, std::string>> headers;

    /// The value of header `name` (any case), or nothing. Fields sent more than
    /// once are joined with ", ", as HTTP allows (RFC 9110 section 5.3).
    std::optional<std::string> header(std::string_view name) const {
        std::optional<std::string> value;
        for (const auto& field : headers) {
            if (field.first != lower(name)) continue;
            value = value ? *value + ", " + field.second : field.second;
        }
        return value;
    }
};

/// Reads a request head (everything before the empty line, without it), or
/// nothing when it is not HTTP.
inline std::optional<http_request> parse_request(std::string_view head) {
    http_request request;
    bool first_line = true;
    while (!head.empty()) {
        std::size_t end = head.find("\r\n");
        if (end == std::string_view::npos) end = head.size();
        const std::string_view line = head.substr(0, end);
        head.remove_prefix(end == head.size() ? end : end + 2);
        if (first_line) {  // GET /chat HTTP/1.1
            const std::size_t space1 = line.find(' ');
            const std::size_t space2 = line.rfind(' ');
            if (space1 == std::string_view::npos || space1 == space2) return std::nullopt;
            request.method = std::string(line.substr(0, space1));
            request.target = std::string(line.substr(space1 + 1, space2 - space1 - 1));
            request.version = std::string(line.substr(space2 + 1));
            if (request.version.rfind("HTTP/", 0) != 0) return std::nullopt;
            first_line = false;
        } else {  // Name: value
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) return std::nullopt;
            request.headers.emplace_back(lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
        }
    }
    if (first_line) return std::nullopt;
    return request;
}

/// Does a comma-separated header value hold `token` (any case)?
/// "keep-alive, Upgrade" (Firefox's Connection) holds "upgrade".
inline bool has_token(std::string_view value, std::string_view token) {
    while (true) {
        const std::size_t comma = value.find(',');
        if (lower(trim(value.substr(0, comma))) == lower(token)) return true;
        if (comma == std::string_view::npos) return false;
        value.remove_prefix(comma + 1);
    }
}

/// Why `request` is not a valid WebSocket opening handshake (RFC 6455 section
/// 4.2.1), or an empty string when it is.
inline std::string upgrade_problem(const http_request& request) {
    if (request.method != "GET") return "the method must be GET";
    if (request.version != "HTTP/1.1") return "the version must be HTTP/1.1";
    if (!request.header("Host")) return "no Host header";
    const auto upgrade = request.header("Upgrade");
    if (!upgrade || !has_token(*upgrade, "websocket")) return "Upgrade must be websocket";
    const auto connection = request.header("Connection");
    if (!connection || !has_token(*connection, "Upgrade")) return "Connection must include Upgrade";
    const auto key = request.header("Sec-WebSocket-Key");
    if (!key) return "no Sec-WebSocket-Key";
    const auto key_bytes = base64_decode(*key);
    if (!key_bytes || key_bytes->size() != 16) return "Sec-WebSocket-Key must be 16 bytes in base64";
    const auto version = request.header("Sec-WebSocket-Version");
    if (!version || *version != "13") return "Sec-WebSocket-Version must be 13";
    return "";
}

/// The server's answer to a valid handshake: 101, then frames.
inline std::string upgrade_response(std::string_view client_key) {
    std::string response = "HTTP/1.1 101 Switching Protocols\r\n";
    response += "Upgrade: websocket\r\n";
    response += "Connection: Upgrade\r\n";
    response += "Sec-WebSocket-Accept: " + accept_key(client_key) + "\r\n";
    response += "\r\n";  // the empty line: from here on, frames
    return response;
}

/// The answer to a request that is not a valid handshake. RFC 6455 section
/// 4.4: say which version this server speaks.
inline std::string bad_request_response(std::string_view why) {
    const std::string body = "Bad WebSocket handshake: " + std::string(why) + "\n";
    std::string response = "HTTP/1.1 400 Bad Request\r\n";
    response += "Sec-WebSocket-Version: 13\r\n";
    response += "Content-Type: text/plain; charset=utf-8\r\n";
    response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    response += "Connection: close\r\n";
    response += "\r\n";
    return response + body;
}

}  // namespace websocket

#endif  // CSNET_EXAMPLES_WEBSOCKET_HANDSHAKE_HPP
