// bench_csnet.cpp - the benchmarks written with csnet, line for line as bench_py.py does
// them with Python's socket module. Receiving uses recv_into/recvfrom_into (csnet's
// zero-allocation path) unless `--api string` asks for recv/recvfrom returning a
// std::string (what the report's Python does), to show what that costs.
//
// usage: bench_csnet tcp_pingpong|tcp_stream|udp_pingpong|accept [--count N] [--seconds S]
//                    [--size BYTES] [--total BYTES] [--chunk BYTES] [--api into|string]
#include <csnet.hpp>  // first: the header must stand on its own

#include "common.hpp"

#include <cstdint>      // std::uint64_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace {

constexpr int backlog = 4096;  // the same for every program (see bench/README.md)

csnet::socket make_server(csnet::socket_kind kind) {
    csnet::socket sock(csnet::af_inet, kind);
    sock.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
    sock.bind(csnet::address{"127.0.0.1", 0});
    if (kind == csnet::sock_stream) sock.listen(backlog);
    return sock;
}

// recv_into until exactly `size` bytes have come.
void recv_exact(csnet::socket& sock, char* data, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        const std::size_t n = sock.recv_into(csnet::mutable_buffer{data + got, size - got});
        if (n == 0) throw bench::failure("recv_into: the peer closed early");
        got += n;
    }
}

// recv (a std::string each time) until exactly `size` bytes have come.
std::string recv_exact_string(csnet::socket& sock, std::size_t size) {
    std::string data = sock.recv(size);
    while (data.size() < size) {
        const std::string more = sock.recv(size - data.size());
        if (more.empty()) throw bench::failure("recv: the peer closed early");
        data += more;
    }
    return data;
}

// ---- TCP ping-pong ----
int tcp_pingpong(const char* impl, const bench::options& o) {
    const bool strings = o.api == "string";
    return bench::run(
        impl, o,
        [&](auto announce) {
            csnet::socket listener = make_server(csnet::sock_stream);
            announce(listener.getsockname().port());
            auto accepted = listener.accept();
            csnet::socket& conn = accepted.first;
            listener.close();
            conn.setsockopt(csnet::ipproto_tcp, csnet::tcp_nodelay, 1);
            if (strings) {
                for (;;) {
                    const std::string data = conn.recv(o.size);
                    if (data.empty()) break;  // the client closed
                    conn.sendall(data);
                }
            } else {
                std::vector<char> buf(o.size);
                for (;;) {
                    const std::size_t n = conn.recv_into(buf);
                    if (n == 0) break;
                    conn.sendall(std::string_view(buf.data(), n));
                }
            }
        },
        [&](int port) {
            csnet::socket sock(csnet::af_inet, csnet::sock_stream);
            sock.connect(csnet::address{"127.0.0.1", port});
            sock.setsockopt(csnet::ipproto_tcp, csnet::tcp_nodelay, 1);
            const std::string msg(o.size, 'x');
            std::vector<char> buf(o.size);
            if (strings)
                return bench::pingpong_loop(o, [&] {
                    sock.sendall(msg);
                    (void)recv_exact_string(sock, o.size);
                });
            return bench::pingpong_loop(o, [&] {
                sock.sendall(msg);
                recv_exact(sock, buf.data(), buf.size());
            });
        });
}

// ---- TCP stream ----
int tcp_stream(const char* impl, const bench::options& o) {
    const bool strings = o.api == "string";
    return bench::run(
        impl, o,
        [&](auto announce) {
            csnet::socket listener = make_server(csnet::sock_stream);
            announce(listener.getsockname().port());
            auto accepted = listener.accept();
            csnet::socket& conn = accepted.first;
            listener.close();
            std::uint64_t total = 0;
            if (strings) {
                for (;;) {
                    const std::string data = conn.recv(o.chunk);
                    if (data.empty()) break;
                    total += data.size();
                }
            } else {
                std::vector<char> buf(o.chunk);
                for (;;) {
                    const std::size_t n = conn.recv_into(buf);
                    if (n == 0) break;
                    total += n;
                }
            }
            conn.sendall(std::string_view(reinterpret_cast<const char*>(&total), sizeof total));
        },
        [&](int port) {
            csnet::socket sock(csnet::af_inet, csnet::sock_stream);
            sock.connect(csnet::address{"127.0.0.1", port});
            const std::vector<char> chunk(o.chunk, 'x');
            return bench::stream_loop(
                o, [&] { sock.sendall(std::string_view(chunk.data(), chunk.size())); },
                [&] {
                    sock.shutdown(csnet::shut_wr);
                    std::uint64_t total = 0;
                    recv_exact(sock, reinterpret_cast<char*>(&total), sizeof total);
                    return static_cast<std::size_t>(total);
                });
        });
}

// ---- UDP ping-pong ----
int udp_pingpong(const char* impl, const bench::options& o) {
    const bool strings = o.api == "string";
    return bench::run(
        impl, o,
        [&](auto announce) {
            csnet::socket sock = make_server(csnet::sock_dgram);
            announce(sock.getsockname().port());
            if (strings) {
                for (;;) {
                    auto [data, client_address] = sock.recvfrom(4096);
                    if (data.empty()) break;
                    sock.sendto(data, client_address);
                }
            } else {
                char buf[4096];
                for (;;) {
                    auto [n, client_address] = sock.recvfrom_into(buf);
                    if (n == 0) break;
                    sock.sendto(std::string_view(buf, n), client_address);
                }
            }
        },
        [&](int port) {
            csnet::socket sock(csnet::af_inet, csnet::sock_dgram);
            const csnet::address server_address{"127.0.0.1", port};
            const std::string msg(o.size, 'x');
            char buf[4096];
            bench::result r;
            if (strings)
                r = bench::pingpong_loop(o, [&] {
                    sock.sendto(msg, server_address);
                    if (sock.recvfrom(4096).first.size() != msg.size())
                        throw bench::failure("recvfrom: short datagram");
                });
            else
                r = bench::pingpong_loop(o, [&] {
                    sock.sendto(msg, server_address);
                    if (sock.recvfrom_into(buf).first != msg.size())
                        throw bench::failure("recvfrom_into: short datagram");
                });
            sock.sendto("", server_address);  // stops the server
            return r;
        });
}

// ---- Accept rate ----
int accept_rate(const char* impl, const bench::options& o) {
    bench::shared_counter* c = bench::make_shared_counter();
    return bench::run(
        impl, o,
        [&](auto announce) {
            csnet::socket listener = make_server(csnet::sock_stream);
            announce(listener.getsockname().port());
            for (;;) {
                auto accepted = listener.accept();
                accepted.first.close();
                ++c->accepted;
                if (c->stop.load()) break;
            }
        },
        [&](int port) {
            const csnet::address server_address{"127.0.0.1", port};
            return bench::accept_loop(o, *c, [&] {
                csnet::socket sock(csnet::af_inet, csnet::sock_stream);
                sock.connect(server_address);
            });
        });
}

}  // namespace

int main(int argc, char** argv) {
    bool strings = false;  // --api string: name the results "csnet_str"
    for (int i = 2; i + 1 < argc; ++i)
        if (std::string_view(argv[i]) == "--api" && std::string_view(argv[i + 1]) == "string") strings = true;
    return bench::main_for(strings ? "csnet_str" : "csnet", argc, argv, tcp_pingpong, tcp_stream, udp_pingpong,
                           accept_rate);
}
