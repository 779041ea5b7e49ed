// bench_raw.cpp - the benchmarks written with raw BSD sockets, plainly, the way a student
// following Beej's Guide to Network Programming would write them: getaddrinfo once,
// socket/bind/listen/accept/connect, a sendall() loop, recv() into a char buffer.
// The harness (fork, clock, output) is in common.hpp; the work is here.
//
// usage: bench_raw tcp_pingpong|tcp_stream|udp_pingpong|accept [--count N] [--seconds S] ...
#include "common.hpp"

#include <cstring>  // memset
#include <string>   // std::string, std::to_string

#include <arpa/inet.h>    // ntohs
#include <netdb.h>        // getaddrinfo, freeaddrinfo, gai_strerror
#include <netinet/in.h>   // sockaddr_in, IPPROTO_TCP
#include <netinet/tcp.h>  // TCP_NODELAY
#include <sys/socket.h>   // socket, bind, listen, accept, connect, send, recv, ...
#include <sys/types.h>
#include <unistd.h>  // close

namespace {

constexpr int backlog = 4096;  // the same for every program (see bench/README.md)

// getaddrinfo for 127.0.0.1:port; the caller frees the list.
addrinfo* resolve(int type, int port) {
    addrinfo hints;
    std::memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = type;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    const int rv = getaddrinfo("127.0.0.1", service.c_str(), &hints, &res);
    if (rv != 0) throw bench::failure(std::string("getaddrinfo: ") + gai_strerror(rv));
    return res;
}

// socket, SO_REUSEADDR, bind to 127.0.0.1 port 0, and listen (TCP).
int make_server(int type) {
    addrinfo* res = resolve(type, 0);
    const int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    bench::check(fd != -1, "socket");
    int yes = 1;
    bench::check(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == 0, "setsockopt");
    bench::check(bind(fd, res->ai_addr, res->ai_addrlen) == 0, "bind");
    freeaddrinfo(res);
    if (type == SOCK_STREAM) bench::check(listen(fd, backlog) == 0, "listen");
    return fd;
}

int port_of(int fd) {
    sockaddr_in sin;
    socklen_t len = sizeof sin;
    bench::check(getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0, "getsockname");
    return ntohs(sin.sin_port);
}

void set_nodelay(int fd) {
    int yes = 1;
    bench::check(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes) == 0, "setsockopt");
}

// Beej's sendall(): send() until every byte is gone.
void sendall(int fd, const char* buf, std::size_t len) {
    std::size_t total = 0;
    while (total < len) {
        const ssize_t n = send(fd, buf + total, len - total, 0);
        bench::check(n != -1, "send");
        total += static_cast<std::size_t>(n);
    }
}

// recv() until exactly len bytes have come.
void recv_exact(int fd, char* buf, std::size_t len) {
    std::size_t got = 0;
    while (got < len) {
        const ssize_t n = recv(fd, buf + got, len - got, 0);
        bench::check(n != -1, "recv");
        if (n == 0) throw bench::failure("recv: the peer closed early");
        got += static_cast<std::size_t>(n);
    }
}

int accept_one(int listener) {
    sockaddr_storage their_addr;
    socklen_t addr_size = sizeof their_addr;
    const int fd = accept(listener, reinterpret_cast<sockaddr*>(&their_addr), &addr_size);
    bench::check(fd != -1, "accept");
    return fd;
}

int connect_to(const addrinfo* p) {
    const int fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
    bench::check(fd != -1, "socket");
    bench::check(connect(fd, p->ai_addr, p->ai_addrlen) == 0, "connect");
    return fd;
}

// ---- TCP ping-pong: an echo server; the client sends `size` bytes and waits for them.
int tcp_pingpong(const char* impl, const bench::options& o) {
    return bench::run(
        impl, o,
        [&](auto announce) {
            const int listener = make_server(SOCK_STREAM);
            announce(port_of(listener));
            const int fd = accept_one(listener);
            close(listener);
            set_nodelay(fd);
            std::vector<char> buf(o.size);
            for (;;) {
                const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
                bench::check(n != -1, "recv");
                if (n == 0) break;  // the client closed
                sendall(fd, buf.data(), static_cast<std::size_t>(n));
            }
            close(fd);
        },
        [&](int port) {
            addrinfo* res = resolve(SOCK_STREAM, port);
            const int fd = connect_to(res);
            freeaddrinfo(res);
            set_nodelay(fd);
            std::vector<char> msg(o.size, 'x');
            std::vector<char> buf(o.size);
            bench::result r = bench::pingpong_loop(o, [&] {
                sendall(fd, msg.data(), msg.size());
                recv_exact(fd, buf.data(), buf.size());
            });
            close(fd);
            return r;
        });
}

// ---- TCP stream: the client writes `total` bytes in `chunk`-sized sendall()s; the server
// recv()s into a `chunk`-sized buffer until EOF and answers with the count (8 bytes).
int tcp_stream(const char* impl, const bench::options& o) {
    return bench::run(
        impl, o,
        [&](auto announce) {
            const int listener = make_server(SOCK_STREAM);
            announce(port_of(listener));
            const int fd = accept_one(listener);
            close(listener);
            std::vector<char> buf(o.chunk);
            unsigned long long total = 0;
            for (;;) {
                const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
                bench::check(n != -1, "recv");
                if (n == 0) break;
                total += static_cast<unsigned long long>(n);
            }
            sendall(fd, reinterpret_cast<const char*>(&total), sizeof total);
            close(fd);
        },
        [&](int port) {
            addrinfo* res = resolve(SOCK_STREAM, port);
            const int fd = connect_to(res);
            freeaddrinfo(res);
            std::vector<char> chunk(o.chunk, 'x');
            bench::result r = bench::stream_loop(
                o, [&] { sendall(fd, chunk.data(), chunk.size()); },
                [&] {
                    bench::check(shutdown(fd, SHUT_WR) == 0, "shutdown");
                    unsigned long long total = 0;
                    recv_exact(fd, reinterpret_cast<char*>(&total), sizeof total);
                    return static_cast<std::size_t>(total);
                });
            close(fd);
            return r;
        });
}

// ---- UDP ping-pong: the server sends every datagram back to its sender; an empty
// datagram stops it.
int udp_pingpong(const char* impl, const bench::options& o) {
    return bench::run(
        impl, o,
        [&](auto announce) {
            const int fd = make_server(SOCK_DGRAM);
            announce(port_of(fd));
            char buf[4096];
            for (;;) {
                sockaddr_storage their_addr;
                socklen_t addr_len = sizeof their_addr;
                const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&their_addr), &addr_len);
                bench::check(n != -1, "recvfrom");
                if (n == 0) break;
                bench::check(sendto(fd, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&their_addr),
                                    addr_len) == n,
                             "sendto");
            }
            close(fd);
        },
        [&](int port) {
            addrinfo* p = resolve(SOCK_DGRAM, port);
            const int fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
            bench::check(fd != -1, "socket");
            std::vector<char> msg(o.size, 'x');
            char buf[4096];
            bench::result r = bench::pingpong_loop(o, [&] {
                bench::check(sendto(fd, msg.data(), msg.size(), 0, p->ai_addr, p->ai_addrlen) ==
                                 static_cast<ssize_t>(msg.size()),
                             "sendto");
                sockaddr_storage their_addr;
                socklen_t addr_len = sizeof their_addr;
                const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&their_addr), &addr_len);
                bench::check(n == static_cast<ssize_t>(msg.size()), "recvfrom");
            });
            bench::check(sendto(fd, buf, 0, 0, p->ai_addr, p->ai_addrlen) == 0, "sendto");
            freeaddrinfo(p);
            close(fd);
            return r;
        });
}

// ---- Accept rate: the client connects and closes, again and again; the server accepts
// and closes.
int accept_rate(const char* impl, const bench::options& o) {
    bench::shared_counter* c = bench::make_shared_counter();
    return bench::run(
        impl, o,
        [&](auto announce) {
            const int listener = make_server(SOCK_STREAM);
            announce(port_of(listener));
            for (;;) {
                close(accept_one(listener));
                ++c->accepted;
                if (c->stop.load()) break;
            }
            close(listener);
        },
        [&](int port) {
            addrinfo* res = resolve(SOCK_STREAM, port);
            bench::result r = bench::accept_loop(o, *c, [&] { close(connect_to(res)); });
            freeaddrinfo(res);
            return r;
        });
}

}  // namespace

int main(int argc, char** argv) {
    return bench::main_for("raw", argc, argv, tcp_pingpong, tcp_stream, udp_pingpong, accept_rate);
}
