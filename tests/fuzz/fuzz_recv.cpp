// libFuzzer target: recv, recv_into, recvfrom and recvfrom_into with any sizes
// and any mix of MSG_PEEK, MSG_TRUNC, MSG_WAITALL, MSG_DONTWAIT, traced or not,
// over a TCP and a UDP pair on 127.0.0.1 (never an address from the input).
// The receiving sockets are non-blocking, so no call waits. A model of what was
// sent checks every byte returned; buffers are exactly as long as the call is
// told, so ASan sees any write or trace read past them.
// Input: 4 bytes per step: what to do, two size bytes, flags.
#include <csnet.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

namespace {

struct null_sink {
    std::size_t bytes = 0;
    void write(const char*, std::streamsize n) { bytes += static_cast<std::size_t>(n); }
    void flush() {}
};

// Fresh sockets for every input (only the listener is kept), so that an input
// that fails fails again when run alone.
struct world {
    csnet::socket tcp_client;
    csnet::socket tcp_server;
    csnet::socket udp_receiver;
    csnet::socket udp_sender;
    csnet::address receiver_address;
    csnet::address sender_address;
    // Closed with a reset (SO_LINGER 0): no TIME_WAIT, so tens of thousands of
    // inputs never run out of loopback ports.
    ~world() {
        if (!tcp_client) return;
        linger abort_on_close{1, 0};
        ::setsockopt(tcp_client.fileno(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    }
    world() = default;
    world(world&&) = default;
};

csnet::socket& listener() {
    static csnet::socket* s = [] {
        auto* made = new csnet::socket(csnet::af_inet, csnet::sock_stream);
        made->setsockopt(csnet::sol_socket, csnet::so_rcvbuf, 1 << 20);  // accepted sockets inherit it
        made->bind(csnet::address{"127.0.0.1", 0});
        made->listen(1);
        return made;
    }();
    return *s;
}

world make_world() {
    world w;
    w.tcp_client = csnet::socket(csnet::af_inet, csnet::sock_stream);
    w.tcp_client.connect(listener().getsockname());
    w.tcp_server = std::move(listener().accept().first);
    w.tcp_server.settimeout(0.0);
    w.udp_receiver = csnet::socket(csnet::af_inet, csnet::sock_dgram);
    w.udp_receiver.bind(csnet::address{"127.0.0.1", 0});
    w.udp_receiver.settimeout(0.0);
    w.udp_sender = csnet::socket(csnet::af_inet, csnet::sock_dgram);
    w.udp_sender.bind(csnet::address{"127.0.0.1", 0});
    w.receiver_address = w.udp_receiver.getsockname();
    w.sender_address = w.udp_sender.getsockname();
    return w;
}

std::string bytes_for(std::size_t length, std::uint32_t seed) {
    std::string s(length, '\0');
    for (std::size_t i = 0; i < length; ++i) {
        seed = seed * 1103515245u + 12345u;
        s[i] = static_cast<char>(seed >> 24);
    }
    return s;
}

bool would_block(const csnet::error& e) { return e.code() == std::errc::operation_would_block; }

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    world w = make_world();
    static null_sink sink;
    std::string stream_model;                // TCP bytes sent, not yet read
    std::deque<std::string> datagram_model;  // UDP datagrams sent, not yet read
    std::uint32_t seed = 1;
    for (std::size_t at = 0; at + 4 <= size; at += 4) {
        const std::uint8_t op = data[at];
        const std::uint8_t a = data[at + 1];
        const std::uint8_t b = data[at + 2];
        const std::uint8_t f = data[at + 3];
        const bool udp = (op & 0x80) != 0;
        int flags = 0;
        if (f & 1) flags |= MSG_PEEK;
        if (f & 2) flags |= MSG_TRUNC;
        if (f & 4) flags |= MSG_WAITALL;
        if (f & 8) flags |= MSG_DONTWAIT;
        const bool peek = (flags & MSG_PEEK) != 0;
        const bool trunc = (flags & MSG_TRUNC) != 0;
        if (f & 0x80) {
            csnet::set_trace(&sink);
        } else {
            csnet::set_trace(nullptr);
        }
        // Sizes: small, medium, and now and then very large.
        const std::size_t n = a == 255 ? (std::size_t(1) << 20) + b : std::size_t(a) * 37u + (b & 31u);
        const std::size_t m = b < 200 ? std::size_t(b) * (n / 200 + 1) : n + b;  // may exceed n: refused
        csnet::socket& s = udp ? w.udp_receiver : w.tcp_server;
        try {
            switch (op % 6) {
                case 0: {  // send on the stream
                    // Well within the receive buffer: loopback then delivers within the send.
                    if (stream_model.size() > 48000) break;
                    const std::string out = bytes_for(n % 16000, ++seed);
                    w.tcp_client.sendall(out);
                    stream_model += out;
                    break;
                }
                case 1: {  // send a datagram
                    if (datagram_model.size() > 40) break;
                    const std::string out = bytes_for(n % 4000, ++seed);
                    w.udp_sender.sendto(out, w.receiver_address);
                    datagram_model.push_back(out);
                    break;
                }
                case 2:
                case 4: {  // recv / recvfrom: a string
                    std::string got;
                    if (op % 6 == 2) {
                        got = s.recv(n, flags);
                        if (n == 0) {
                            check(got.empty());
                            break;  // no system call was made
                        }
                    } else {
                        auto from = s.recvfrom(n, flags);
                        got = from.first;
                        if (udp) check(from.second == w.sender_address);
                    }
                    check(got.size() <= n);
                    if (udp) {
                        check(!datagram_model.empty());
                        const std::string& d = datagram_model.front();
                        check(got == d.substr(0, n));
                        if (!peek) datagram_model.pop_front();
                    } else if (n > 0) {
                        check(got.size() <= stream_model.size());
                        if (trunc) {
                            check(got == std::string(got.size(), '\0'));  // discarded, never old memory
                        } else {
                            check(got == stream_model.substr(0, got.size()));
                        }
                        if (!peek) stream_model.erase(0, got.size());
                    }
                    break;
                }
                case 3:
                case 5: {  // recv_into / recvfrom_into: a buffer of exactly n bytes
                    std::vector<char> buffer(n);
                    const csnet::mutable_buffer into{n ? buffer.data() : nullptr, n};
                    std::size_t got = 0;
                    if (op % 6 == 3) {
                        got = s.recv_into(into, m, flags);
                    } else {
                        auto from = s.recvfrom_into(into, m, flags);
                        got = from.first;
                        if (udp) check(from.second == w.sender_address);
                    }
                    const std::size_t asked = m == 0 ? n : m;
                    if (asked == 0 && op % 6 == 3) {
                        check(got == 0);
                        break;  // no system call was made
                    }
                    if (udp) {
                        check(!datagram_model.empty());
                        const std::string& d = datagram_model.front();
                        const std::size_t copied = d.size() < asked ? d.size() : asked;
                        check(got == (trunc ? d.size() : copied));
                        check(std::string(buffer.data(), copied) == d.substr(0, copied));
                        if (!peek) datagram_model.pop_front();
                    } else if (asked > 0) {
                        check(got <= asked && got <= stream_model.size());
                        if (!trunc) check(std::string(buffer.data(), got) == stream_model.substr(0, got));
                        if (!peek) stream_model.erase(0, got);
                    }
                    break;
                }
            }
        } catch (const csnet::error& e) {
            if (e.code() == std::errc::invalid_argument) continue;  // nbytes larger than the buffer
            check(would_block(e));
            // Loopback delivers within the send: nothing there means nothing sent.
            check(udp ? datagram_model.empty() : stream_model.empty());
        }
    }
    csnet::set_trace(nullptr);
    // Drain both sockets: what is left is what the model says.
    std::string rest;
    w.tcp_server.settimeout(5.0);  // what the model still expects may be on its way
    for (int i = 0; i < 100000; ++i) {
        if (rest.size() >= stream_model.size()) w.tcp_server.settimeout(0.0);
        try {
            const std::string part = w.tcp_server.recv(65536);
            check(!part.empty());  // the client never closes
            rest += part;
        } catch (const csnet::error& e) {
            check(would_block(e));
            break;
        }
    }
    check(rest == stream_model);
    for (std::size_t i = 0;; ++i) {
        try {
            const auto d = w.udp_receiver.recvfrom(65536);
            check(i < datagram_model.size() && d.first == datagram_model[i]);
        } catch (const csnet::error& e) {
            check(would_block(e) && i == datagram_model.size());
            break;
        }
    }
    return 0;
}
