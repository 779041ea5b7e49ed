// SHA-1 (RFC 3174), small and readable, for the WebSocket handshake only.
//
// The handshake (RFC 6455, section 4.2.2) proves that the server read the client's
// key: it answers base64(SHA-1(key + a fixed GUID)). SHA-1 is no longer safe for
// signatures, but here it is only a checksum that both sides compute the same way.
//
// The algorithm, as RFC 3174 section 6.1 tells it:
//   1. pad the message: a 1 bit, zeros, then the length in bits as 64 bits, so that
//      the total is a multiple of 64 bytes (512 bits);
//   2. for each 64-byte block, expand its 16 words into 80 and mix them into five
//      32-bit words H0..H4 in 80 rounds;
//   3. the digest is H0..H4, big-endian: 20 bytes.
#ifndef CSNET_EXAMPLES_WEBSOCKET_SHA1_HPP
#define CSNET_EXAMPLES_WEBSOCKET_SHA1_HPP

#include <cstdint>      // std::uint32_t, std::uint64_t
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace websocket {

// Rotates a 32-bit word left by n bits (RFC 3174: S^n(X)).
inline std::uint32_t rotate_left(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

/// The SHA-1 digest of `message`: 20 raw bytes (not hexadecimal text).
inline std::string sha1(std::string_view message) {
    std::uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};

    // 1. Padding: the message, the byte 0x80, zeros up to 56 mod 64, then the
    //    length in bits as a 64-bit big-endian number.
    std::string padded(message);
    padded += static_cast<char>(0x80);
    while (padded.size() % 64 != 56) padded += '\0';
    const std::uint64_t bits = static_cast<std::uint64_t>(message.size()) * 8u;
    for (int shift = 56; shift >= 0; shift -= 8) {
        padded += static_cast<char>((bits >> shift) & 0xFFu);
    }

    // 2. Each 64-byte block.
    for (std::size_t block = 0; block < padded.size(); block += 64) {
        std::uint32_t w[80];
        for (int t = 0; t < 16; ++t) {  // 16 big-endian words from the block
            w[t] = 0;
            for (int i = 0; i < 4; ++i) {
                const auto byte = static_cast<unsigned char>(padded[block + static_cast<std::size_t>(4 * t + i)]);
                w[t] = (w[t] << 8) | byte;
            }
        }
        for (int t = 16; t < 80; ++t) {  // ... expanded to 80
            w[t] = rotate_left(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        }

        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int t = 0; t < 80; ++t) {
            std::uint32_t f, k;
            if (t < 20) {
                f = (b & c) | (~b & d);
                k = 0x5A827999u;
            } else if (t < 40) {
                f = b ^ c ^ d;
                k = 0x6ED9EBA1u;
            } else if (t < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8F1BBCDCu;
            } else {
                f = b ^ c ^ d;
                k = 0xCA62C1D6u;
            }
            const std::uint32_t temp = rotate_left(a, 5) + f + e + w[t] + k;
            e = d;
            d = c;
            c = rotate_left(b, 30);
            b = a;
            a = temp;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }

    // 3. The digest: H0..H4, each big-endian.
    std::string digest;
    for (std::uint32_t word : h) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            digest += static_cast<char>((word >> shift) & 0xFFu);
        }
    }
    return digest;
}

}  // namespace websocket

#endif  // CSNET_EXAMPLES_WEBSOCKET_SHA1_HPP
