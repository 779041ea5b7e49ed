// bench_asio.cpp - the benchmarks written with standalone asio's synchronous API, as its
// blocking_tcp_echo_server / blocking_udp_echo examples do: acceptor.accept(),
// asio::write(), socket.read_some(), asio::read(), send_to/receive_from.
// Needs the standalone asio headers (Debian: libasio-dev) and ASIO_STANDALONE.
//
// usage: bench_asio tcp_pingpong|tcp_stream|udp_pingpong|accept [--count N] [--seconds S] ...
#include "common.hpp"

#include <asio.hpp>

#include <cstdint>  // std::uint64_t
#include <vector>   // std::vector

namespace {

using asio::ip::tcp;
using asio::ip::udp;

constexpr int backlog = 4096;  // the same for every program (see bench/README.md)

const asio::ip::address loopback = asio::ip::make_address("127.0.0.1");

tcp::acceptor make_acceptor(asio::io_context& io) {
    tcp::acceptor acceptor(io);
    const tcp::endpoint where(loopback, 0);
    acceptor.open(where.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(where);
    acceptor.listen(backlog);
    return acceptor;
}

int port_of(const tcp::acceptor& a) { return a.local_endpoint().port(); }

// ---- TCP ping-pong ----
int tcp_pingpong(const char* impl, const bench::options& o) {
    return bench::run(
        impl, o,
        [&](auto announce) {
            asio::io_context io;
            tcp::acceptor acceptor = make_acceptor(io);
            announce(port_of(acceptor));
            tcp::socket sock = acceptor.accept();
            acceptor.close();
            sock.set_option(tcp::no_delay(true));
            std::vector<char> buf(o.size);
            for (;;) {
                asio::error_code ec;
                const std::size_t n = sock.read_some(asio::buffer(buf), ec);
                if (ec == asio::error::eof) break;
                if (ec) throw asio::system_error(ec);
                asio::write(sock, asio::buffer(buf.data(), n));
            }
        },
        [&](int port) {
            asio::io_context io;
            tcp::socket sock(io);
            sock.connect(tcp::endpoint(loopback, static_cast<unsigned short>(port)));
            sock.set_option(tcp::no_delay(true));
            std::vector<char> msg(o.size, 'x');
            std::vector<char> buf(o.size);
            return bench::pingpong_loop(o, [&] {
                asio::write(sock, asio::buffer(msg));
                asio::read(sock, asio::buffer(buf));
            });
        });
}

// ---- TCP stream ----
int tcp_stream(const char* impl, const bench::options& o) {
    return bench::run(
        impl, o,
        [&](auto announce) {
            asio::io_context io;
            tcp::acceptor acceptor = make_acceptor(io);
            announce(port_of(acceptor));
            tcp::socket sock = acceptor.accept();
            acceptor.close();
            std::vector<char> buf(o.chunk);
            std::uint64_t total = 0;
            for (;;) {
                asio::error_code ec;
                const std::size_t n = sock.read_some(asio::buffer(buf), ec);
                if (ec == asio::error::eof) break;
                if (ec) throw asio::system_error(ec);
                total += n;
            }
            asio::write(sock, asio::buffer(&total, sizeof total));
        },
        [&](int port) {
            asio::io_context io;
            tcp::socket sock(io);
            sock.connect(tcp::endpoint(loopback, static_cast<unsigned short>(port)));
            std::vector<char> chunk(o.chunk, 'x');
            return bench::stream_loop(
                o, [&] { asio::write(sock, asio::buffer(chunk)); },
                [&] {
                    sock.shutdown(tcp::socket::shutdown_send);
                    std::uint64_t total = 0;
                    asio::read(sock, asio::buffer(&total, sizeof total));
                    return static_cast<std::size_t>(total);
                });
        });
}

// ---- UDP ping-pong ----
int udp_pingpong(const char* impl, const bench::options& o) {
    return bench::run(
        impl, o,
        [&](auto announce) {
            asio::io_context io;
            udp::socket sock(io, udp::endpoint(loopback, 0));
            announce(sock.local_endpoint().port());
            char buf[4096];
            for (;;) {
                udp::endpoint sender;
                const std::size_t n = sock.receive_from(asio::buffer(buf), sender);
                if (n == 0) break;
                sock.send_to(asio::buffer(buf, n), sender);
            }
        },
        [&](int port) {
            asio::io_context io;
            udp::socket sock(io, udp::v4());
            const udp::endpoint server(loopback, static_cast<unsigned short>(port));
            std::vector<char> msg(o.size, 'x');
            char buf[4096];
            bench::result r = bench::pingpong_loop(o, [&] {
                sock.send_to(asio::buffer(msg), server);
                udp::endpoint sender;
                if (sock.receive_from(asio::buffer(buf), sender) != msg.size())
                    throw bench::failure("receive_from: short datagram");
            });
            sock.send_to(asio::buffer(buf, 0), server);
            return r;
        });
}

// ---- Accept rate ----
int accept_rate(const char* impl, const bench::options& o) {
    bench::shared_counter* c = bench::make_shared_counter();
    return bench::run(
        impl, o,
        [&](auto announce) {
            asio::io_context io;
            tcp::acceptor acceptor = make_acceptor(io);
            announce(port_of(acceptor));
            for (;;) {
                tcp::socket sock = acceptor.accept();
                sock.close();
                ++c->accepted;
                if (c->stop.load()) break;
            }
        },
        [&](int port) {
            asio::io_context io;
            const tcp::endpoint server(loopback, static_cast<unsigned short>(port));
            return bench::accept_loop(o, *c, [&] {
                tcp::socket sock(io);
                sock.connect(server);
            });
        });
}

}  // namespace

int main(int argc, char** argv) {
    return bench::main_for("asio", argc, argv, tcp_pingpong, tcp_stream, udp_pingpong, accept_rate);
}
