// Base64 (RFC 4648, section 4), small and readable, for the WebSocket handshake.
//
// Base64 writes any bytes with 64 printable characters: every 3 bytes (24 bits)
// become 4 characters of 6 bits each; a last group of 1 or 2 bytes is padded
// with '=' so that the text is always a multiple of 4 characters.
//   "Man" = 0x4D 0x61 0x6E = 010011 010110 000101 101110 = T W F u
#ifndef CSNET_EXAMPLES_WEBSOCKET_BASE64_HPP
#define CSNET_EXAMPLES_WEBSOCKET_BASE64_HPP

#include <cstdint>      // std::uint32_t
#include <optional>     // std::optional, std::nullopt
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace websocket {

inline constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 text of `bytes`, padded with '='.
inline std::string base64_encode(std::string_view bytes) {
    std::string text;
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {  // whole groups of 3 bytes
        const std::uint32_t group = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                                    (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                                    static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        text += base64_alphabet[(group >> 18) & 63u];
        text += base64_alphabet[(group >> 12) & 63u];
        text += base64_alphabet[(group >> 6) & 63u];
        text += base64_alphabet[group & 63u];
    }
    const std::size_t left = bytes.size() - i;  // 0, 1 or 2 bytes
    if (left > 0) {
        std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (left == 2) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        text += base64_alphabet[(group >> 18) & 63u];
        text += base64_alphabet[(group >> 12) & 63u];
        text += left == 2 ? base64_alphabet[(group >> 6) & 63u] : '=';
        text += '=';
    }
    return text;
}

/// The bytes that base64 `text` stands for, or nothing when it is not valid
/// base64 (a character outside the alphabet, a length that is not a multiple of
/// 4, '=' anywhere but at the end).
inline std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string bytes;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::uint32_t group = 0;
        int padding = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            std::uint32_t value = 0;
            if (c == '=') {
                // '=' only in the last group, only in its last two places, and
                // nothing but '=' after the first one.
                if (!last || j < 2) return std::nullopt;
                ++padding;
            } else {
                const std::size_t position = base64_alphabet.find(c);
                if (position == std::string_view::npos || padding > 0) return std::nullopt;
                value = static_cast<std::uint32_t>(position);
            }
            group = (group << 6) | value;
        }
        bytes += static_cast<char>((group >> 16) & 0xFFu);
        if (padding < 2) bytes += static_cast<char>((group >> 8) & 0xFFu);
        if (padding < 1) bytes += static_cast<char>(group & 0xFFu);
    }
    return bytes;
}

}  // namespace websocket

#endif  // CSNET_EXAMPLES_WEBSOCKET_BASE64_HPP
