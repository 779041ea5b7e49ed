// lines.hpp - read a TCP byte stream one line at a time, as SMTP and POP3 need.
//
// TCP delivers a stream of bytes, not messages (examples/compare/02_message_boundaries):
// one recv() may bring half a command, or three commands at once. SMTP and POP3
// put one command per line, ended by CR LF ("\r\n"). So the programs of this lesson
// never parse what one recv() returned: they ask a line_reader for the next line.
//
// The reader keeps what recv() brought in a buffer and hands it out line by line:
//
//     "EHLO pc\r\nMAIL FR"   ->  line "EHLO pc\r\n", and "MAIL FR" waits in the buffer
//     "OM:<a@b>\r\n"         ->  line "MAIL FROM:<a@b>\r\n"
//
// Two limits keep a misbehaving client from hurting the server:
//   - size: a line longer than the limit is thrown away (the reader says so); the
//     buffer never holds more than the limit plus one recv().
//   - time: the caller sets a timeout on the socket (settimeout); a recv() that
//     waits longer throws csnet::timeout, and the caller closes the connection.
//     A whole line must arrive within that timeout too, counted from its first
//     byte: a byte every few seconds, or a line that never ends, would otherwise
//     keep a connection for ever (line_too_slow, a csnet::timeout). It is checked
//     before each recv(), which may wait one more timeout: cut within two at most.
#ifndef CSNET_EXAMPLES_MAIL_LINES_HPP
#define CSNET_EXAMPLES_MAIL_LINES_HPP

#include <csnet.hpp>

#include <chrono>        // std::chrono::steady_clock: how long a line has taken
#include <cstddef>       // std::size_t
#include <optional>      // std::optional: the socket's timeout, if it has one
#include <string>        // std::string
#include <system_error>  // std::make_error_code, std::errc
#include <string_view>   // std::string_view

namespace mail {

/// What read_line() found.
enum class line_status {
    ok,           // a whole line, ending in "\n" (normally "\r\n")
    too_long,     // a line longer than the limit: it was read and thrown away
    peer_closed,  // the peer closed the connection (recv returned ""), no whole line left
};

/// A line that did not arrive whole within the socket's timeout.
class line_too_slow : public csnet::timeout {
public:
    using csnet::timeout::timeout;
};

class line_reader {
public:
    /// Reads lines from SOCK; a line (with its "\r\n") may be at most MAX_LINE bytes.
    line_reader(csnet::socket& sock, std::size_t max_line) : sock_(sock), max_line_(max_line) {}

    /// SMTP allows 512 bytes for a command but 1000 for a line of a message.
    void set_limit(std::size_t max_line) { max_line_ = max_line; }

    /// Reads the next line into LINE, WITH its ending ("\r\n", or "\n" alone if the
    /// peer sent a bare LF): the caller decides what a bare LF means.
    /// Throws csnet::timeout if the peer stalls longer than the socket's timeout,
    /// and line_too_slow if the whole line takes longer than that.
    line_status read_line(std::string& line) {
        bool too_long = false;
        std::optional<std::chrono::steady_clock::time_point> started;  // the line's first byte
        while (true) {
            // Is a whole line already in the buffer?
            std::size_t end = buffer_.find('\n');
            if (end != std::string::npos) {
                std::size_t length = end + 1;  // the line and its "\n"
                line = buffer_.substr(0, length);
                buffer_.erase(0, length);
                if (too_long || length > max_line_) {
                    line.clear();
                    return line_status::too_long;
                }
                return line_status::ok;
            }
            // No: the line goes on. Past the limit, stop keeping it (keep reading,
            // to find where it ends).
            if (buffer_.size() > max_line_) {
                too_long = true;
                buffer_.clear();
            }
            // Wait for more bytes (at most 4096 at a time), if the line still has time.
            // (The silence before a line begins is the per-recv() timeout's business.)
            const auto now = std::chrono::steady_clock::now();
            if (!started && (!buffer_.empty() || too_long)) started = now;
            const std::optional<double> limit = sock_.gettimeout();
            if (started && limit && std::chrono::duration<double>(now - *started).count() > *limit) {
                throw line_too_slow(std::make_error_code(std::errc::timed_out), "a line took longer than the timeout");
            }
            std::string data = sock_.recv(4096);
            if (data.empty()) {
                line.clear();
                return line_status::peer_closed;
            }
            buffer_ += data;
        }
    }

private:
    csnet::socket& sock_;
    std::size_t max_line_;
    std::string buffer_;  // bytes received but not yet handed out as a line
};

/// The line without its ending: "EHLO pc\r\n" -> "EHLO pc".
inline std::string_view without_ending(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

/// True when the line ends in CR LF, as SMTP and POP3 require ("nc -C" sends CR LF;
/// plain "nc" sends a bare LF).
inline bool ends_with_crlf(std::string_view line) { return line.size() >= 2 && line.substr(line.size() - 2) == "\r\n"; }

}  // namespace mail

#endif  // CSNET_EXAMPLES_MAIL_LINES_HPP
