// websocket_chat: a chat room in the browser, over WebSocket (RFC 6455).
//
// The course notes (seed 000, "WebSockets"): "una conexión bidireccional y
// persistente entre un cliente (como un navegador) y un servidor ... especialmente
// útil para aplicaciones en tiempo real, como chats". Three steps:
//   1. "Establecimiento de la conexión": the browser sends an HTTP request, the
//      "handshake" (handshake.hpp), and this server answers 101 Switching Protocols;
//   2. "Comunicación en tiempo real": both sides send frames (frame.hpp) whenever
//      they like, on the same TCP connection;
//   3. "Cierre de la conexión": either side sends a close frame, the other answers
//      with one, and the server closes the TCP connection.
//
// What it serves:
//   GET /       the chat page (chat_page.hpp): open http://127.0.0.1:8765/
//   GET /chat   the WebSocket: every text message goes to every connected client
//
// Two threads per client (the report's accept loop, plus std::thread): one reads
// its frames, one writes the frames queued for it (its "outbox"), in order. The
// list of clients (the "room") is shared, so a mutex guards it. A message for the
// room is put in every member's outbox, which never waits for the network: a
// client that does not read holds up only its own writer, never the others. Every
// connection has a timeout: a client that cannot keep up is dropped when a send
// takes longer than that (or when 4 MiB wait in its outbox), and one that says
// nothing gets a ping, then is dropped if it still says nothing.
//
// USAGE: websocket_chat [HOST [PORT]] [--timeout SECONDS]
#include <csnet.hpp>

#include <chrono>              // std::chrono::steady_clock
#include <condition_variable>  // std::condition_variable: the writer waits for frames
#include <cstddef>             // std::size_t, std::ptrdiff_t
#include <cstdint>             // std::uint8_t, std::uint16_t
#include <deque>               // std::deque: the outbox
#include <exception>           // std::exception
#include <iostream>            // std::cerr, std::cout
#include <memory>              // std::shared_ptr, std::make_shared
#include <mutex>               // std::mutex, std::lock_guard
#include <optional>            // std::optional
#include <stdexcept>           // std::invalid_argument
#include <string>              // std::string, std::stoi, std::stod
#include <string_view>         // std::string_view
#include <system_error>        // std::system_error (what std::thread throws when it cannot start)
#include <thread>              // std::thread, std::this_thread::sleep_for
#include <utility>             // std::move
#include <vector>              // std::vector

#include "chat_page.hpp"
#include "frame.hpp"
#include "handshake.hpp"

namespace {

constexpr std::size_t max_request_head = 8 * 1024;   // bytes of HTTP head we accept
constexpr std::size_t max_message = 1024 * 1024;     // 1 MiB: longer messages get 1009
constexpr std::size_t max_outbox = 4 * max_message;  // bytes waiting for one client before it is dropped
double timeout_seconds = 10.0;                       // --timeout

const char* const usage = "usage: websocket_chat [HOST [PORT]] [--timeout SECONDS]\n";

// One line on standard error; the lock keeps lines from two threads apart.
std::mutex log_mutex;
void log(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    std::cerr << line + "\n" << std::flush;
}

// The first line of an error's message (csnet adds a "hint:" line below it).
std::string first_line(const std::exception& e) {
    const std::string text = e.what();
    return text.substr(0, text.find('\n'));
}

// == The room: who is connected ================================================
// A frame is encoded once and shared by every outbox it is in (a 1 MiB message to
// 200 clients is 1 MiB, not 200).
using shared_frame = std::shared_ptr<const std::string>;

struct client {
    client(csnet::socket accepted, std::string peer) : connection(std::move(accepted)), name(std::move(peer)) {}
    csnet::socket connection;
    std::string name;  // "127.0.0.1:50312", for the log
    // The outbox: frames waiting for this client's writer thread, in order.
    std::mutex out_mutex;
    std::condition_variable out_changed;
    std::deque<shared_frame> outbox;  // under out_mutex
    std::size_t outbox_bytes = 0;     // under out_mutex
    bool closing = false;             // under out_mutex: nothing more may be queued (close frame queued, or dropped)
};

std::mutex room_mutex;
std::vector<std::shared_ptr<client>> room;  // under room_mutex

std::size_t room_size() {
    std::lock_guard<std::mutex> lock(room_mutex);
    return room.size();
}

void leave_room(const std::shared_ptr<client>& c) {
    std::lock_guard<std::mutex> lock(room_mutex);
    for (std::size_t i = 0; i < room.size(); ++i) {
        if (room[i] == c) {
            room.erase(room.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
    }
}

// Gives up on a client (under its out_mutex): nothing more is queued or sent, and
// shutdown() wakes its reader thread, waiting in recv(), so that it leaves the room.
void stop_locked(client& c) noexcept {
    c.closing = true;
    c.outbox.clear();
    c.outbox_bytes = 0;
    c.out_changed.notify_all();
    try {
        c.connection.shutdown(csnet::shut_rdwr);
    } catch (...) {
        // already gone: nothing to wake
    }
}

void drop_locked(client& c, const std::string& why) {
    stop_locked(c);
    log(c.name + " dropped: " + why);
}

// Puts a frame in a client's outbox; never waits for the network. `last`: the
// close frame, after which nothing may be queued. False when the client is
// closing, or has fallen 4 MiB behind (then it is dropped).
bool queue_frame(client& to, shared_frame frame, bool last = false) {
    std::lock_guard<std::mutex> lock(to.out_mutex);
    if (to.closing) return false;
    if (to.outbox_bytes + frame->size() > max_outbox) {
        drop_locked(to, "more than " + std::to_string(max_outbox) + " bytes waiting, it does not read fast enough");
        return false;
    }
    to.outbox_bytes += frame->size();
    to.outbox.push_back(std::move(frame));
    to.closing = last;
    to.out_changed.notify_all();
    return true;
}

bool queue_frame(client& to, const std::string& frame, bool last = false) {
    return queue_frame(to, std::make_shared<const std::string>(frame), last);
}

// The writer thread of one client: sends what its outbox holds, in order, until
// the outbox is empty and closing. A send that takes longer than the timeout
// (the client does not read: its buffers are full) drops the client.
void write_all(const std::shared_ptr<client>& c) {
    while (true) {
        shared_frame next;
        {
            std::unique_lock<std::mutex> lock(c->out_mutex);
            c->out_changed.wait(lock, [&] { return !c->outbox.empty() || c->closing; });
            if (c->outbox.empty()) return;  // closing, and everything is sent
            next = std::move(c->outbox.front());
            c->outbox.pop_front();
            c->outbox_bytes -= next->size();
        }
        try {
            c->connection.sendall(*next);
        } catch (const csnet::error& e) {
            const bool slow = e.code() == std::errc::timed_out;
            std::lock_guard<std::mutex> lock(c->out_mutex);
            if (!c->closing) {  // (closing: it is leaving anyway)
                drop_locked(*c, slow ? "sendall() timed out, it does not read fast enough" : first_line(e));
            }
            return;
        }
    }
}

void write_frames(std::shared_ptr<client> c) {
    try {
        write_all(c);
    } catch (...) {  // out of memory (say, while logging): give up on this client only
        std::lock_guard<std::mutex> lock(c->out_mutex);
        stop_locked(*c);
    }
}

// Starts a client's writer thread, and ends it however serve() ends: nothing more
// may be queued, the writer sends what is left (each send bounded by the timeout)
// and returns, and this thread waits for it.
class writer_thread {
public:
    explicit writer_thread(std::shared_ptr<client> c) : client_(c), thread_(write_frames, c) {}
    writer_thread(const writer_thread&) = delete;
    writer_thread& operator=(const writer_thread&) = delete;
    ~writer_thread() { finish(); }
    void finish() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(client_->out_mutex);
            client_->closing = true;
            client_->out_changed.notify_all();
        }
        thread_.join();
    }

private:
    std::shared_ptr<client> client_;
    std::thread thread_;
};

// A text message to everyone in the room (the sender too: that is how its page
// knows the message went through): into every member's outbox. Returns how many
// took it.
std::size_t broadcast(std::string_view text) {
    std::vector<std::shared_ptr<client>> everyone;
    {
        std::lock_guard<std::mutex> lock(room_mutex);
        everyone = room;
    }
    const auto frame = std::make_shared<const std::string>(websocket::encode_frame(websocket::op_text, text));
    std::size_t delivered = 0;
    for (const auto& member : everyone) {
        if (queue_frame(*member, frame)) ++delivered;
    }
    return delivered;
}

// == Reading the request and the frames ===========================================
// What the conversation ended with: the close frame's payload to send back (none
// when the peer is gone) and a few words for the log.
struct ending {
    std::optional<std::string> close_payload;
    std::string why;
};

ending close_with(const websocket::problem& p) {
    return {websocket::close_payload(p.code, p.reason), "close " + std::to_string(p.code) + " (" + p.reason + ")"};
}

// Reads the HTTP request head: every byte up to the empty line. What came after
// it in the same recv() (the first frames, from a quick client) stays in `buffer`.
std::optional<std::string> read_request_head(client& c, std::string& buffer) {
    const auto start = std::chrono::steady_clock::now();
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (buffer.size() > max_request_head) return std::nullopt;
        std::string data = c.connection.recv(4096);  // may throw csnet::timeout
        if (data.empty()) return std::nullopt;       // the peer closed
        buffer += data;
        const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
        if (spent.count() > timeout_seconds) return std::nullopt;  // a request sent a byte at a time
    }
    std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    return head;
}

// Receives more bytes into `buffer`. A peer silent for the timeout gets a ping;
// silent for another timeout, it is gone. Returns false when the peer closed.
bool receive_more(client& c, std::string& buffer, bool& ping_sent) {
    while (true) {
        try {
            std::string data = c.connection.recv(64 * 1024);
            if (data.empty()) return false;
            buffer += data;
            ping_sent = false;  // it spoke: it is alive
            return true;
        } catch (const csnet::timeout&) {
            if (ping_sent) throw;  // no answer to our ping either
            queue_frame(c, websocket::encode_frame(websocket::op_ping, "are you there?"));
            ping_sent = true;
        }
    }
}

// The conversation after the handshake: frames in, until a close frame, an error
// or the end of the connection.
ending talk(client& c, std::string& buffer) {
    using namespace websocket;
    std::string message;              // the fragments received so far
    std::uint8_t message_opcode = 0;  // op_text or op_binary; 0: no message begun
    bool ping_sent = false;
    while (true) {
        // 1. The header (2 to 14 bytes).
        const frame_header h = parse_header(buffer);
        if (h.header_size == 0) {
            if (!receive_more(c, buffer, ping_sent))
                return {std::nullopt, "the connection ended without a close frame"};
            continue;
        }
        if (auto p = header_problem(h)) return close_with(*p);
        if (!is_control(h.opcode)) {
            if (h.opcode == op_continuation && message_opcode == 0) {
                return close_with({close_protocol_error, "continuation frame with no message begun"});
            }
            if (h.opcode != op_continuation && message_opcode != 0) {
                return close_with({close_protocol_error, "new message before the last one ended"});
            }
            if (h.length > max_message - message.size()) {  // checked before reading a byte of it
                return close_with({close_too_big, "message over " + std::to_string(max_message) + " bytes"});
            }
        }

        // 2. The payload: h.length is at most 1 MiB here (125 for control frames).
        const std::size_t frame_size = h.header_size + static_cast<std::size_t>(h.length);
        while (buffer.size() < frame_size) {
            if (!receive_more(c, buffer, ping_sent))
                return {std::nullopt, "the connection ended in the middle of a frame"};
        }
        std::string payload = buffer.substr(h.header_size, static_cast<std::size_t>(h.length));
        buffer.erase(0, frame_size);
        apply_mask(payload, h.mask);

        // 3. What the frame says.
        if (h.opcode == op_ping) {  // control frames may come between fragments
            queue_frame(c, encode_frame(op_pong, payload));
        } else if (h.opcode == op_pong) {
            // the answer to our ping: receive_more() already knows the client is alive
        } else if (h.opcode == op_close) {
            if (auto p = close_problem(payload)) return close_with(*p);
            const std::uint16_t code = close_code_of(payload);
            // Echo the code (an empty close frame when the client sent no code).
            return {payload.empty() ? std::string() : close_payload(code), "closed with code " + std::to_string(code)};
        } else {  // text, binary or continuation
            if (h.opcode != op_continuation) message_opcode = h.opcode;
            message += payload;
            if (!h.fin) continue;  // more fragments to come
            if (message_opcode == op_binary) return close_with({close_unsupported_data, "this chat takes text only"});
            if (!is_utf8(message)) return close_with({close_invalid_data, "text that is not UTF-8"});
            const std::size_t delivered = broadcast(message);
            log(c.name + " sent " + std::to_string(message.size()) + " bytes, delivered to " +
                std::to_string(delivered) + " clients");
            message.clear();
            message_opcode = 0;
        }
    }
}

// The server closes the TCP connection first (RFC 6455 section 7.1.1): it stops
// sending (shutdown: FIN after the close frame), then reads whatever the client
// still sends (its close frame) until it closes too, for two seconds at most.
// Closing with unread bytes would send a reset that can destroy our last frame.
void finish(client& c) {
    try {
        c.connection.shutdown(csnet::shut_wr);
        c.connection.settimeout(timeout_seconds < 2.0 ? timeout_seconds : 2.0);
        for (int reads = 0; reads < 32; ++reads) {
            if (c.connection.recv(64 * 1024).empty()) break;
        }
    } catch (const csnet::error&) {
        // gone, or silent: we close anyway
    }
}

// Sends a short HTTP response and ends the connection (for every request that
// is not a WebSocket: the page, errors).
void respond(client& c, const std::string& response) {
    c.connection.sendall(response);
    finish(c);
}

std::string http_response(const std::string& status, const std::string& type, std::string_view body) {
    std::string response = "HTTP/1.1 " + status + "\r\n";
    response += "Content-Type: " + type + "\r\n";
    response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    response += "Connection: close\r\n";
    response += "\r\n";
    return response + std::string(body);
}

// == One client, from accept() to close() (runs in its own thread) ================
void serve(std::shared_ptr<client> c) {
    try {
        c->connection.settimeout(timeout_seconds);
        std::string buffer;  // bytes received and not used yet

        // The request.
        const std::optional<std::string> head = read_request_head(*c, buffer);
        const auto request = head ? websocket::parse_request(*head) : std::nullopt;
        if (!request) {
            if (head) {
                log(c->name + ": not an HTTP request -> 400");
                respond(*c, http_response("400 Bad Request", "text/plain", "Bad request\n"));
            } else if (buffer.empty()) {  // browsers open spare connections, just in case
                log(c->name + ": closed without sending a request");
            } else {
                log(c->name + ": request too long or cut short, closing");
            }
            return;
        }
        const std::string line = c->name + " " + request->method + " " + request->target;
        if (request->target == "/" || request->target == "/index.html") {
            if (request->method != "GET") {
                log(line + " -> 405");
                respond(*c, http_response("405 Method Not Allowed", "text/plain", "Only GET\n"));
                return;
            }
            log(line + " -> 200 (the chat page)");
            respond(*c, http_response("200 OK", "text/html; charset=utf-8", websocket::chat_page));
            return;
        }
        if (request->target != "/chat") {
            log(line + " -> 404");
            respond(*c, http_response("404 Not Found", "text/plain", "Try / or /chat\n"));
            return;
        }

        // The handshake.
        const std::string problem = websocket::upgrade_problem(*request);
        if (!problem.empty()) {
            log(line + " -> 400 (" + problem + ")");
            respond(*c, websocket::bad_request_response(problem));
            return;
        }
        // Into the room first, then the 101: a message broadcast meanwhile waits in
        // the outbox, and the writer thread, started after the 101, sends it after
        // the 101. So a client that has its 101 misses no message sent after it.
        {
            std::lock_guard<std::mutex> lock(room_mutex);
            room.push_back(c);
        }
        std::optional<writer_thread> writer;
        try {
            c->connection.sendall(websocket::upgrade_response(*request->header("Sec-WebSocket-Key")));
            writer.emplace(c);
        } catch (...) {  // the 101 could not be sent, or no thread could start
            leave_room(c);
            throw;
        }
        log(line + " -> 101, joined the chat (" + std::to_string(room_size()) + " connected)");

        // The conversation. A timeout (no answer to a ping) or a reset ends it too.
        ending end;
        try {
            end = talk(*c, buffer);
        } catch (const csnet::timeout&) {
            end = {std::nullopt, "silent for the timeout, then no answer to a ping either"};
        } catch (const std::exception& e) {  // e.g. connection reset by peer (or out of memory)
            end = {std::nullopt, first_line(e)};
        }

        // Leaving: out of the room, then the close frame last in the outbox; the
        // writer sends what is left and ends.
        leave_room(c);
        if (end.close_payload) {
            queue_frame(*c, websocket::encode_frame(websocket::op_close, *end.close_payload), true);
        }
        writer->finish();  // from here on, only this thread touches the socket
        log(c->name + " left: " + end.why + " (" + std::to_string(room_size()) + " connected)");
        finish(*c);
    } catch (const csnet::timeout&) {
        log(c->name + ": no request within the timeout, closing");
    } catch (const std::exception& e) {  // a csnet::error, or anything else: this client only
        log(c->name + ": " + first_line(e));
    }
    // The socket closes when the last std::shared_ptr to this client goes away
    // (this thread's, or that of a broadcast still holding a copy of the room).
}

}  // namespace

int main(int argc, char* argv[]) {
    std::vector<std::string> positional;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::cout << usage;
                return 0;
            } else if (arg == "--timeout" && i + 1 < argc) {
                std::size_t used = 0;
                const std::string value = argv[++i];
                timeout_seconds = std::stod(value, &used);  // "10x" is refused below
                if (used != value.size() || !(timeout_seconds > 0 && timeout_seconds <= 3600)) {
                    throw std::invalid_argument("--timeout");
                }
            } else if (arg.rfind("--", 0) == 0 || positional.size() == 2) {
                throw std::invalid_argument(arg);
            } else {
                positional.push_back(arg);
            }
        }
        if (positional.size() > 1) {
            std::size_t used = 0;
            const int port = std::stoi(positional[1], &used);
            if (used != positional[1].size() || port < 0 || port > 65535) throw std::invalid_argument("PORT");
        }
    } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
        std::cerr << usage;
        return 2;
    }
    const std::string host = positional.size() > 0 ? positional[0] : "127.0.0.1";
    const int port = positional.size() > 1 ? std::stoi(positional[1]) : 8765;

    try {
        // The report's server: create, bind, listen...
        const auto family = host.find(':') != std::string::npos ? csnet::af_inet6 : csnet::af_inet;
        csnet::socket sock(family, csnet::sock_stream);
        sock.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        sock.bind(csnet::address{host, port});
        sock.listen(64);  // before the first line: a test connects as soon as it reads it
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;
        const std::string url_host = family == csnet::af_inet6 ? "[" + bound_host + "]" : bound_host;
        std::cerr << "open http://" << url_host << ":" << bound_port << "/ in a browser" << std::endl;

        // ... and accept, with a thread for each client.
        while (true) {
            try {
                auto accepted = sock.accept();
                auto c = std::make_shared<client>(std::move(accepted.first), accepted.second.to_string());
                std::thread(serve, c).detach();
            } catch (const csnet::error& e) {  // e.g. out of file descriptors
                log("accept: " + first_line(e));
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            } catch (const std::system_error& e) {  // no more threads: that client is closed
                log("cannot start a thread: " + std::string(e.what()));
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
