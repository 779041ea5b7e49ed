// frames.hpp: messages over a TCP byte stream, shared by the three programs of the
// tiers lesson (tiers_db_server, tiers_db_client, tiers_app_server).
//
// TCP carries a stream of bytes, not messages: one sendall() of 20 bytes may arrive as
// one recv() of 20, or as 20 recv()s of 1 byte, and two sendall()s may arrive in one
// recv(). So the two sides agree on where each message ends. Here, every message (a
// "frame") is:
//
//   +----+----+----+----+------------------------------+
//   | length (4 bytes)  | payload (length bytes)       |
//   | big-endian        | e.g. "SET greeting hola"     |
//   +----+----+----+----+------------------------------+
//
// The length goes first, most significant byte first ("network byte order", what
// htonl() produces), so the reader knows how many bytes to wait for. A reader never
// trusts that length blindly: a frame longer than max_payload is refused.
#ifndef CSNET_EXAMPLES_TIERS_FRAMES_HPP
#define CSNET_EXAMPLES_TIERS_FRAMES_HPP

#include <csnet.hpp>

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t
#include <stdexcept>    // std::runtime_error
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view

namespace frames {

// The largest payload a program of this lesson accepts: 64 KiB.
constexpr std::size_t max_payload = 64 * 1024;

// Thrown when a frame announces more than max_payload bytes.
struct frame_too_big : std::runtime_error {
    std::size_t length;
    explicit frame_too_big(std::size_t n)
        : std::runtime_error("a frame of " + std::to_string(n) + " bytes is over the limit of " +
                             std::to_string(max_payload) + " bytes"),
          length(n) {}
};

// Thrown when the peer closes the connection in the middle of a frame.
struct frame_cut : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// recv_exactly(): read exactly n bytes. recv(n) returns AT MOST n bytes: whatever has
// arrived, maybe 1 byte. So we ask again for what is still missing, until we have n.
// Returns fewer than n bytes only when the peer closed the connection.
// recv_calls (optional) counts the recv() calls it took.
inline std::string recv_exactly(csnet::socket& sock, std::size_t n, int* recv_calls = nullptr) {
    std::string data;
    while (data.size() < n) {
        std::string piece = sock.recv(n - data.size());  // may be less than asked
        if (recv_calls != nullptr) ++*recv_calls;
        if (piece.empty()) break;  // the peer closed the connection
        data += piece;
    }
    return data;
}

// encode_length(): 1234 -> "\x00\x00\x04\xd2" (big-endian, 4 bytes).
inline std::string encode_length(std::size_t n) {
    const auto value = static_cast<std::uint32_t>(n);
    std::string bytes(4, '\0');
    bytes[0] = static_cast<char>((value >> 24) & 0xFF);
    bytes[1] = static_cast<char>((value >> 16) & 0xFF);
    bytes[2] = static_cast<char>((value >> 8) & 0xFF);
    bytes[3] = static_cast<char>(value & 0xFF);
    return bytes;
}

// decode_length(): "\x00\x00\x04\xd2" -> 1234.
inline std::size_t decode_length(const std::string& bytes) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return n;
}

// send_frame(): the 4-byte length, then the payload, in one sendall().
inline void send_frame(csnet::socket& sock, std::string_view payload) {
    if (payload.size() > max_payload) throw frame_too_big(payload.size());
    std::string frame = encode_length(payload.size());
    frame += payload;
    sock.sendall(frame);
}

// recv_frame(): read one frame into payload. Returns false when the peer closed the
// connection between two frames (its way of saying "I am done"); throws frame_cut
// when it closed in the middle of one, frame_too_big when the length is over the limit.
inline bool recv_frame(csnet::socket& sock, std::string& payload, int* recv_calls = nullptr) {
    std::string header = recv_exactly(sock, 4, recv_calls);
    if (header.empty()) return false;
    if (header.size() < 4) throw frame_cut("the connection closed inside a frame's length");
    std::size_t length = decode_length(header);
    if (length > max_payload) throw frame_too_big(length);
    payload = recv_exactly(sock, length, recv_calls);
    if (payload.size() < length) {
        throw frame_cut("the connection closed after " + std::to_string(payload.size()) + " of " +
                        std::to_string(length) + " bytes of a frame");
    }
    return true;
}

// ask(): one request, one reply, on a connection to the database server.
inline std::string ask(csnet::socket& db, std::string_view request) {
    send_frame(db, request);
    std::string reply;
    if (!recv_frame(db, reply)) throw frame_cut("the database server closed the connection");
    return reply;
}

}  // namespace frames

#endif  // CSNET_EXAMPLES_TIERS_FRAMES_HPP
