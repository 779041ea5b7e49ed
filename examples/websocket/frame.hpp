// The WebSocket frame (RFC 6455, section 5.2): pure functions, no sockets, so that
// a test (or a fuzzer) can feed them any bytes.
//
//   byte 0: FIN (1 bit: last fragment of a message), RSV1-3 (3 bits, 0 here),
//           opcode (4 bits: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong)
//   byte 1: MASK (1 bit: the payload is masked; set in every client frame, never in a
//           server frame), payload length (7 bits: 0-125, or 126 / 127)
//   then:   126 -> the length in the next 2 bytes; 127 -> in the next 8 (big-endian)
//   then:   the 4-byte masking key, when MASK is set
//   then:   the payload; byte i travels XOR-ed with masking key byte i % 4
//
// RFC 6455 section 5.7's examples: the text "Hello" from the server is
//   81 05 48 65 6c 6c 6f
// and from a client (masked with 37 fa 21 3d)
//   81 85 37 fa 21 3d 7f 9f 4d 51 58
#ifndef CSNET_EXAMPLES_WEBSOCKET_FRAME_HPP
#define CSNET_EXAMPLES_WEBSOCKET_FRAME_HPP

#include <array>        // std::array
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t, std::uint16_t, std::uint64_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace websocket {

// Opcodes (RFC 6455 section 5.2). 0-2 carry messages, 8-10 are control frames.
inline constexpr std::uint8_t op_continuation = 0x0;
inline constexpr std::uint8_t op_text = 0x1;
inline constexpr std::uint8_t op_binary = 0x2;
inline constexpr std::uint8_t op_close = 0x8;
inline constexpr std::uint8_t op_ping = 0x9;
inline constexpr std::uint8_t op_pong = 0xA;

// Close codes (RFC 6455 section 7.4.1) that this lesson sends.
inline constexpr std::uint16_t close_normal = 1000;
inline constexpr std::uint16_t close_going_away = 1001;
inline constexpr std::uint16_t close_protocol_error = 1002;
inline constexpr std::uint16_t close_unsupported_data = 1003;
inline constexpr std::uint16_t close_invalid_data = 1007;  // text that is not UTF-8
inline constexpr std::uint16_t close_too_big = 1009;

inline bool is_control(std::uint8_t opcode) { return (opcode & 0x8) != 0; }

/// What the first bytes of a frame say. `header_size` is 0 while more bytes are
/// needed to read the whole header.
struct frame_header {
    bool fin = false;
    std::uint8_t rsv = 0;  // the three RSV bits; must be 0 (no extension agreed)
    std::uint8_t opcode = 0;
    bool masked = false;
    std::uint64_t length = 0;  // payload length
    std::array<std::uint8_t, 4> mask{};
    std::size_t header_size = 0;
};

/// Reads a frame header from the start of `bytes` (which may hold less than a
/// whole header: then header_size is 0). It does not judge the header: see
/// header_problem().
inline frame_header parse_header(std::string_view bytes) {
    frame_header h;
    if (bytes.size() < 2) return h;
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    h.fin = (byte(0) & 0x80) != 0;
    h.rsv = static_cast<std::uint8_t>((byte(0) >> 4) & 0x7);
    h.opcode = static_cast<std::uint8_t>(byte(0) & 0x0F);
    h.masked = (byte(1) & 0x80) != 0;
    const std::uint8_t length7 = static_cast<std::uint8_t>(byte(1) & 0x7F);

    std::size_t size = 2;
    std::size_t extended = 0;  // how many bytes hold the length after byte 1
    if (length7 == 126) extended = 2;
    if (length7 == 127) extended = 8;
    if (bytes.size() < size + extended + (h.masked ? 4u : 0u)) return h;  // not yet

    if (extended == 0) {
        h.length = length7;
    } else {
        for (std::size_t i = 0; i < extended; ++i) h.length = (h.length << 8) | byte(size + i);
    }
    size += extended;
    if (h.masked) {
        for (std::size_t i = 0; i < 4; ++i) h.mask[i] = byte(size + i);
        size += 4;
    }
    h.header_size = size;
    return h;
}

/// What is wrong with a header that a client sent, or nothing. The answer is the
/// close code to send (RFC 6455 section 7.4.1) and a short reason.
struct problem {
    std::uint16_t code;
    std::string reason;
};
inline std::optional<problem> header_problem(const frame_header& h) {
    if (h.rsv != 0) return problem{close_protocol_error, "RSV bits set without an extension"};
    const bool known = h.opcode <= op_binary || (h.opcode >= op_close && h.opcode <= op_pong);
    if (!known) return problem{close_protocol_error, "unknown opcode"};
    if (!h.masked) return problem{close_protocol_error, "client frames must be masked"};
    if ((h.length >> 63) != 0) return problem{close_protocol_error, "64-bit length with its top bit set"};
    if (is_control(h.opcode) && !h.fin) return problem{close_protocol_error, "fragmented control frame"};
    if (is_control(h.opcode) && h.length > 125) return problem{close_protocol_error, "control frame over 125 bytes"};
    return std::nullopt;
}

/// XORs `payload` with the masking key (RFC 6455 section 5.3). Masking and
/// unmasking are the same operation.
inline void apply_mask(std::string& payload, const std::array<std::uint8_t, 4>& mask) {
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[i % 4]);
    }
}

/// A whole frame, header and payload. Servers send frames without a mask;
/// `mask` is for clients (and the tests that play one).
inline std::string encode_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                                const std::array<std::uint8_t, 4>* mask = nullptr) {
    std::string frame;
    frame += static_cast<char>((fin ? 0x80 : 0x00) | opcode);
    const std::uint8_t mask_bit = mask ? 0x80 : 0x00;
    const std::uint64_t n = payload.size();
    if (n <= 125) {
        frame += static_cast<char>(mask_bit | n);
    } else if (n <= 0xFFFF) {
        frame += static_cast<char>(mask_bit | 126);
        frame += static_cast<char>((n >> 8) & 0xFF);
        frame += static_cast<char>(n & 0xFF);
    } else {
        frame += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xFF);
    }
    std::string body(payload);
    if (mask) {
        for (std::uint8_t b : *mask) frame += static_cast<char>(b);
        apply_mask(body, *mask);
    }
    return frame + body;
}

/// The payload of a close frame: the code (2 bytes, big-endian), then the reason.
inline std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    std::string payload;
    payload += static_cast<char>((code >> 8) & 0xFF);
    payload += static_cast<char>(code & 0xFF);
    payload += reason;
    return payload;
}

/// Is `text` valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF)? Text messages must be (RFC 6455 section 8.1).
inline bool is_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto b0 = static_cast<std::uint8_t>(text[i]);
        std::size_t more = 0;        // how many continuation bytes (10xxxxxx) follow
        std::uint32_t code = 0;      // the code point being built
        std::uint32_t smallest = 0;  // below this, the form is overlong
        if (b0 < 0x80) {             // 0xxxxxxx: ASCII
            ++i;
            continue;
        } else if ((b0 & 0xE0) == 0xC0) {  // 110xxxxx
            more = 1;
            code = b0 & 0x1Fu;
            smallest = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {  // 1110xxxx
            more = 2;
            code = b0 & 0x0Fu;
            smallest = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {  // 11110xxx
            more = 3;
            code = b0 & 0x07u;
            smallest = 0x10000;
        } else {
            return false;  // a continuation byte where a character should start, or 0xF8-0xFF
        }
        if (i + more >= text.size()) return false;  // cut short
        for (std::size_t j = 1; j <= more; ++j) {
            const auto b = static_cast<std::uint8_t>(text[i + j]);
            if ((b & 0xC0) != 0x80) return false;
            code = (code << 6) | (b & 0x3Fu);
        }
        if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += more + 1;
    }
    return true;
}

/// The status code in a close frame's payload, or 1005 ("no status code") when
/// the payload is empty (RFC 6455 section 7.1.5).
inline std::uint16_t close_code_of(std::string_view payload) {
    if (payload.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                      static_cast<std::uint8_t>(payload[1]));
}

/// What is wrong with the payload of a close frame a client sent, or nothing:
/// one lone byte, a code nobody may send (RFC 6455 section 7.4), a reason that
/// is not UTF-8.
inline std::optional<problem> close_problem(std::string_view payload) {
    if (payload.empty()) return std::nullopt;
    if (payload.size() == 1) return problem{close_protocol_error, "close frame with a 1-byte payload"};
    const std::uint16_t code = close_code_of(payload);
    const bool allowed =
        (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    if (!allowed) return problem{close_protocol_error, "close code " + std::to_string(code) + " may not be sent"};
    if (!is_utf8(payload.substr(2))) return problem{close_invalid_data, "close reason is not UTF-8"};
    return std::nullopt;
}

}  // namespace websocket

#endif  // CSNET_EXAMPLES_WEBSOCKET_FRAME_HPP
