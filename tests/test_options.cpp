// Socket options: setsockopt/getsockopt with csnet's names or the system's,
// and SO_REUSEADDR's meaning (POSIX) versus SO_EXCLUSIVEADDRUSE (Windows).
#include "support.hpp"

#include <string>  // std::string

#ifndef _WIN32
#    include <netinet/in.h>   // IPPROTO_TCP
#    include <netinet/tcp.h>  // TCP_NODELAY
#    include <sys/socket.h>   // SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT, getsockopt
#endif

using csnet_test::catch_as;
using csnet_test::listening_socket;

namespace {

#ifdef _WIN32
int native_option(const csnet::socket& s, int option) {
    int value = -1;
    int size = static_cast<int>(sizeof value);
    REQUIRE(::getsockopt(s.fileno(), SOL_SOCKET, option, reinterpret_cast<char*>(&value), &size) == 0);
    return value;
}
#endif

}  // namespace

TEST_SUITE("options") {
    TEST_CASE("so_reuseaddr is off by default and reads back 1 once set") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_reuseaddr) == 0);
        s.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_reuseaddr) == 1);
        s.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 0);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_reuseaddr) == 0);
    }

    TEST_CASE("the system's own SOL_SOCKET and SO_REUSEADDR work too") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        CHECK(s.getsockopt(SOL_SOCKET, SO_REUSEADDR) == 1);
    }

#ifdef _WIN32
    TEST_CASE("on Windows so_reuseaddr sets SO_EXCLUSIVEADDRUSE and never SO_REUSEADDR") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        CHECK(native_option(s, SO_EXCLUSIVEADDRUSE) != 0);
        CHECK(native_option(s, SO_REUSEADDR) == 0);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_reuseaddr) == 1);
    }
#endif

    TEST_CASE("with so_reuseaddr nobody can bind a port another socket listens on") {
        csnet::socket first(csnet::af_inet, csnet::sock_stream);
        first.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        first.bind(csnet::address{"127.0.0.1", 0});
        first.listen(1);
        csnet::socket thief(csnet::af_inet, csnet::sock_stream);
        thief.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        auto c = catch_as<csnet::error>([&] { thief.bind(first.getsockname()); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::address_in_use);
    }

    TEST_CASE("with so_reuseaddr a server can take its port back while old connections linger") {
        csnet::address where;
        {
            csnet::socket server(csnet::af_inet, csnet::sock_stream);
            server.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
            server.bind(csnet::address{"127.0.0.1", 0});
            server.listen(1);
            where = server.getsockname();
            csnet::socket client(csnet::af_inet, csnet::sock_stream);
            client.connect(where);
            auto accepted = server.accept();
            accepted.first.close();  // the server side closes first: its end waits in TIME_WAIT
            client.settimeout(5.0);
            CHECK(client.recv(1) == "");
        }
        csnet::socket restarted(csnet::af_inet, csnet::sock_stream);
        restarted.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        CHECK_NOTHROW(restarted.bind(where));
        CHECK_NOTHROW(restarted.listen(1));
    }

    TEST_CASE("create_server protects its port as the platform allows") {
        csnet::socket server = csnet::create_server(csnet::address{"127.0.0.1", 0});
#ifdef _WIN32
        CHECK(native_option(server, SO_REUSEADDR) == 0);
        CHECK(native_option(server, SO_EXCLUSIVEADDRUSE) != 0);  // API.md: no other process can take the port
#else
        CHECK(server.getsockopt(csnet::sol_socket, csnet::so_reuseaddr) == 1);  // as CPython
#endif
        csnet::socket thief(csnet::af_inet, csnet::sock_stream);
        thief.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        auto c = catch_as<csnet::error>([&] { thief.bind(server.getsockname()); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::address_in_use);
    }

#if defined(__linux__) && defined(SO_REUSEPORT)
    TEST_CASE("create_server sets SO_REUSEPORT only when asked") {
        csnet::socket plain = csnet::create_server(csnet::address{"127.0.0.1", 0});
        CHECK(plain.getsockopt(SOL_SOCKET, SO_REUSEPORT) == 0);
        csnet::socket shared =
            csnet::create_server(csnet::address{"127.0.0.1", 0}, csnet::af_inet, csnet::default_backlog, true);
        CHECK(shared.getsockopt(SOL_SOCKET, SO_REUSEPORT) != 0);
    }
#endif

    TEST_CASE("so_keepalive can be set and read") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_keepalive) == 0);
        s.setsockopt(csnet::sol_socket, csnet::so_keepalive, 1);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_keepalive) != 0);
    }

    TEST_CASE("tcp_nodelay takes ipproto_tcp as its level") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        CHECK(s.getsockopt(csnet::ipproto_tcp, csnet::tcp_nodelay) == 0);
        s.setsockopt(csnet::ipproto_tcp, csnet::tcp_nodelay, 1);
        CHECK(s.getsockopt(csnet::ipproto_tcp, csnet::tcp_nodelay) != 0);
        CHECK(s.getsockopt(IPPROTO_TCP, TCP_NODELAY) != 0);  // the system's names agree
    }

    TEST_CASE("so_rcvbuf and so_sndbuf read back at least what was asked") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.setsockopt(csnet::sol_socket, csnet::so_rcvbuf, 32768);
        s.setsockopt(csnet::sol_socket, csnet::so_sndbuf, 32768);
        // Linux doubles the value for its bookkeeping; others keep it.
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_rcvbuf) >= 32768);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_sndbuf) >= 32768);
    }

    TEST_CASE("so_error reads 0 on a healthy socket") {
        auto pair = csnet_test::connected_pair();
        CHECK(pair.client.getsockopt(csnet::sol_socket, csnet::so_error) == 0);
    }

    TEST_CASE("setsockopt with an unknown option is a csnet error naming setsockopt") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        auto c = catch_as<csnet::error>([&] { s.setsockopt(csnet::sol_socket, 0x7abc, 1); });
        REQUIRE(c.thrown);
        CHECK(csnet_test::starts_with(c.what, "setsockopt("));
    }

}  // TEST_SUITE
