// websocket_selftest: checks this lesson's SHA-1, base64, handshake and frame
// codec against the examples printed in their RFCs. No sockets.
//   RFC 3174 section 7.3 (SHA-1), RFC 4648 section 10 (base64),
//   RFC 6455 section 1.3 (the handshake's key) and section 5.7 (frames).
// Prints one line per failed check and exits 1 if any failed, 0 otherwise.
//
// USAGE: websocket_selftest
#include <array>             // std::array
#include <cstdint>           // std::uint8_t
#include <initializer_list>  // std::initializer_list
#include <iostream>          // std::cout, std::cerr
#include <string>            // std::string
#include <string_view>       // std::string_view
#include <utility>           // std::pair

#include "base64.hpp"
#include "frame.hpp"
#include "handshake.hpp"
#include "sha1.hpp"

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const std::string& what) {
    ++checks;
    if (!ok) {
        ++failures;
        std::cerr << "FAILED: " << what << '\n';
    }
}

std::string hex(std::string_view bytes) {
    const char* digits = "0123456789abcdef";
    std::string text;
    for (char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        if (!text.empty()) text += ' ';
        text += digits[b >> 4];
        text += digits[b & 15];
    }
    return text;
}

// Bytes written as in the RFC: {0x81, 0x05, ...}.
std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out += static_cast<char>(v);
    return out;
}

void test_sha1() {
    // RFC 3174 section 7.3, TEST1..TEST4 (digests written without spaces here).
    const std::string repeat4 = "0123456701234567012345670123456701234567012345670123456701234567";
    std::string test4;
    for (int i = 0; i < 10; ++i) test4 += repeat4;
    const std::pair<std::string, std::string> vectors[] = {
        {"abc", "a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84 98 3e 44 1c 3b d2 6e ba ae 4a a1 f9 51 29 e5 e5 46 70 f1"},
        {std::string(1000000, 'a'), "34 aa 97 3c d4 c4 da a4 f6 1e eb 2b db ad 27 31 65 34 01 6f"},
        {test4, "de a3 56 a2 cd dd 90 c7 a7 ec ed c5 eb b5 63 93 4f 46 04 52"},
    };
    for (const auto& [message, digest] : vectors) {
        const std::string got = hex(websocket::sha1(message));
        check(got == digest, "sha1 of a " + std::to_string(message.size()) + "-byte message: " + got);
    }
}

void test_base64() {
    // RFC 4648 section 10.
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        check(websocket::base64_encode(plain) == encoded, "base64_encode(\"" + plain + "\")");
        const auto decoded = websocket::base64_decode(encoded);
        check(decoded && *decoded == plain, "base64_decode(\"" + encoded + "\")");
    }
    for (std::string bad : {"Zg=", "Z===", "Zg==Zg==", "Zm9v!", "Zm=v", "Zg=a"}) {
        check(!websocket::base64_decode(bad), "base64_decode refuses \"" + bad + "\"");
    }
}

void test_handshake() {
    // RFC 6455 section 1.3: the key of its example and the answer it gives.
    check(websocket::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
          "accept_key of RFC 6455's example key");

    const std::string firefox =
        "GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n"
        "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13";
    const auto request = websocket::parse_request(firefox);
    check(request && request->target == "/chat", "parse_request reads the request line");
    check(request && websocket::upgrade_problem(*request).empty(),
          "Firefox's Connection: keep-alive, Upgrade is accepted");
    check(websocket::upgrade_response("dGhlIHNhbXBsZSBub25jZQ==")
                  .find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos,
          "upgrade_response carries the accept key");

    // Each of these breaks one rule of RFC 6455 section 4.2.1.
    const std::pair<std::string, std::string> broken[] = {
        {"Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"},
        {"Upgrade: websocket", "Upgrade: h2c"},
        {"keep-alive, Upgrade", "keep-alive"},
        {"dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="},  // decodes to 5 bytes
        {"Host: 127.0.0.1:8765\r\n", ""},
        {"GET /chat HTTP/1.1", "GET /chat HTTP/1.0"},
        {"GET /chat", "POST /chat"},
    };
    for (const auto& [from, to] : broken) {
        std::string text = firefox;
        text.replace(text.find(from), from.size(), to);
        const auto bad = websocket::parse_request(text);
        check(bad && !websocket::upgrade_problem(*bad).empty(),
              "handshake refused when \"" + from + "\" becomes \"" + to + "\"");
    }
    const auto shouting = websocket::parse_request(
        "GET /chat HTTP/1.1\r\nHOST: x\r\nUPGRADE: WebSocket\r\nCONNECTION: UPGRADE\r\n"
        "SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ==\r\nSEC-WEBSOCKET-VERSION: 13");
    check(shouting && websocket::upgrade_problem(*shouting).empty(), "header names and tokens in any case");
    check(!websocket::parse_request("hello"), "parse_request refuses a line that is not HTTP");
}

void test_frames() {
    using namespace websocket;
    const std::array<std::uint8_t, 4> mask = {0x37, 0xfa, 0x21, 0x3d};

    // RFC 6455 section 5.7, one by one.
    check(encode_frame(op_text, "Hello") == bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
          "unmasked text \"Hello\": " + hex(encode_frame(op_text, "Hello")));
    const std::string masked = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    check(encode_frame(op_text, "Hello", true, &mask) == masked, "masked text \"Hello\"");
    check(encode_frame(op_text, "Hel", false) == bytes({0x01, 0x03, 0x48, 0x65, 0x6c}), "first fragment \"Hel\"");
    check(encode_frame(op_continuation, "lo") == bytes({0x80, 0x02, 0x6c, 0x6f}), "last fragment \"lo\"");
    check(encode_frame(op_ping, "Hello") == bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), "unmasked ping");
    check(encode_frame(op_pong, "Hello", true, &mask) ==
              bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
          "masked pong");
    const std::string frame256 = encode_frame(op_binary, std::string(256, 'x'));
    check(frame256.substr(0, 4) == bytes({0x82, 0x7e, 0x01, 0x00}) && frame256.size() == 4 + 256,
          "256 bytes: 16-bit length " + hex(frame256.substr(0, 4)));
    const std::string frame64k = encode_frame(op_binary, std::string(65536, 'x'));
    check(frame64k.substr(0, 10) == bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}) && frame64k.size() == 10 + 65536,
          "64 KiB: 64-bit length " + hex(frame64k.substr(0, 10)));

    // Reading them back.
    const frame_header h = parse_header(masked);
    check(h.header_size == 6 && h.fin && h.opcode == op_text && h.masked && h.length == 5 && h.mask == mask,
          "parse_header of the masked \"Hello\"");
    std::string payload = masked.substr(h.header_size);
    apply_mask(payload, mask);
    check(payload == "Hello", "unmasking gives \"Hello\"");
    check(!header_problem(h), "a masked text frame is fine");
    for (std::size_t n = 0; n < 6; ++n) {
        check(parse_header(masked.substr(0, n)).header_size == 0,
              "a header cut at " + std::to_string(n) + " bytes waits for more");
    }
    check(parse_header(frame64k.substr(0, 10)).length == 65536, "parse_header reads a 64-bit length");
    check(parse_header(frame256.substr(0, 4)).length == 256, "parse_header reads a 16-bit length");

    // What a server must refuse.
    const auto problem_of = [](const std::string& frame) {
        const auto p = header_problem(parse_header(frame));
        return p ? p->code : 0;
    };
    check(problem_of(encode_frame(op_text, "Hello")) == close_protocol_error, "unmasked client frame: 1002");
    check(problem_of(bytes({0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})) == close_protocol_error,
          "length with the top bit set (2^63): 1002");
    check(problem_of(bytes({0xc1, 0x80, 1, 2, 3, 4})) == close_protocol_error, "RSV1 set: 1002");
    check(problem_of(bytes({0x83, 0x80, 1, 2, 3, 4})) == close_protocol_error, "opcode 3: 1002");
    check(problem_of(bytes({0x09, 0x80, 1, 2, 3, 4})) == close_protocol_error, "fragmented ping: 1002");
    check(problem_of(bytes({0x89, 0xfe, 0, 126, 1, 2, 3, 4})) == close_protocol_error, "126-byte ping: 1002");

    // Close frames.
    check(close_payload(1000, "bye") == bytes({0x03, 0xe8, 'b', 'y', 'e'}), "close payload 1000 \"bye\"");
    check(close_code_of(bytes({0x03, 0xe8})) == 1000 && close_code_of("") == 1005, "close_code_of");
    check(!close_problem("") && !close_problem(bytes({0x0b, 0xb8})), "close with no code, close 3000");
    check(close_problem("x") && close_problem(bytes({0x03, 0xed}))  // 1005 may not be sent
              && close_problem(bytes({0x03, 0xe8, 0xff}))->code == close_invalid_data,
          "close_problem: 1 byte, code 1005, reason not UTF-8");

    // UTF-8.
    check(is_utf8("") && is_utf8("Hola, ¿qué tal? ñ €  𝄞"), "valid UTF-8");
    for (std::string bad : {bytes({0xff}), bytes({0xc0, 0xaf}), bytes({0xe0, 0x80, 0xaf}), bytes({0xed, 0xa0, 0x80}),
                            bytes({0xf4, 0x90, 0x80, 0x80}), bytes({0xe2, 0x82}), bytes({0x80})}) {
        check(!is_utf8(bad), "not UTF-8: " + hex(bad));
    }
}

}  // namespace

int main() {
    test_sha1();
    test_base64();
    test_handshake();
    test_frames();
    std::cout << checks - failures << " of " << checks << " checks passed\n";
    return failures == 0 ? 0 : 1;
}
