// Constants: csnet's lower-case names, printed as Python prints them.
#include "support.hpp"

#include <sstream>      // std::ostringstream
#include <type_traits>  // std::is_same_v

#ifndef _WIN32
#    include <netinet/in.h>   // IPPROTO_TCP, IPPROTO_UDP
#    include <netinet/tcp.h>  // TCP_NODELAY
#    include <sys/socket.h>   // SOL_SOCKET, SO_*, MSG_*, SHUT_*
#endif

namespace {

template <class T>
std::string printed(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

// The constants are usable at compile time and have the documented types.
static_assert(std::is_same_v<decltype(csnet::af_inet), const csnet::address_family>);
static_assert(std::is_same_v<decltype(csnet::sock_stream), const csnet::socket_kind>);
static_assert(std::is_same_v<decltype(csnet::ipproto_ip), const csnet::protocol>);
static_assert(csnet::af_inet != csnet::af_inet6);
static_assert(csnet::af_inet != csnet::af_unspec);
static_assert(csnet::sock_stream != csnet::sock_dgram);
static_assert(csnet::ipproto_tcp != csnet::ipproto_udp);
static_assert(std::is_same_v<std::decay_t<decltype(csnet::sol_socket)>, int>);
static_assert(std::is_same_v<std::decay_t<decltype(csnet::so_reuseaddr)>, int>);
static_assert(std::is_same_v<std::decay_t<decltype(csnet::msg_peek)>, int>);
static_assert(std::is_same_v<std::decay_t<decltype(csnet::default_backlog)>, int>);

}  // namespace

TEST_SUITE("constants") {
    TEST_CASE("address families print as Python's names") {
        CHECK(csnet::to_string(csnet::af_inet) == "AF_INET");
        CHECK(csnet::to_string(csnet::af_inet6) == "AF_INET6");
        CHECK(csnet::to_string(csnet::af_unspec) == "AF_UNSPEC");
        CHECK(printed(csnet::af_inet) == "AF_INET");
        CHECK(printed(csnet::af_inet6) == "AF_INET6");
        CHECK(printed(csnet::af_unspec) == "AF_UNSPEC");
    }

    TEST_CASE("socket kinds print as Python's names") {
        CHECK(csnet::to_string(csnet::sock_stream) == "SOCK_STREAM");
        CHECK(csnet::to_string(csnet::sock_dgram) == "SOCK_DGRAM");
        CHECK(printed(csnet::sock_stream) == "SOCK_STREAM");
        CHECK(printed(csnet::sock_dgram) == "SOCK_DGRAM");
    }

    TEST_CASE("protocols print as Python's names") {
        CHECK(csnet::to_string(csnet::ipproto_ip) == "IPPROTO_IP");
        CHECK(csnet::to_string(csnet::ipproto_tcp) == "IPPROTO_TCP");
        CHECK(csnet::to_string(csnet::ipproto_udp) == "IPPROTO_UDP");
        CHECK(printed(csnet::ipproto_ip) == "IPPROTO_IP");
        CHECK(printed(csnet::ipproto_tcp) == "IPPROTO_TCP");
        CHECK(printed(csnet::ipproto_udp) == "IPPROTO_UDP");
        CHECK(static_cast<int>(csnet::ipproto_ip) == 0);
    }

    TEST_CASE("a new socket reports its family type and protocol as Python does") {
        csnet::socket tcp(csnet::af_inet, csnet::sock_stream);
        CHECK(tcp.family() == csnet::af_inet);
        CHECK(tcp.type() == csnet::sock_stream);
        CHECK(tcp.proto() == csnet::ipproto_ip);
        CHECK(printed(tcp.family()) == "AF_INET");
        CHECK(printed(tcp.type()) == "SOCK_STREAM");
        CHECK(printed(tcp.proto()) == "IPPROTO_IP");

        csnet::socket udp(csnet::af_inet, csnet::sock_dgram, csnet::ipproto_udp);
        CHECK(udp.type() == csnet::sock_dgram);
        CHECK(udp.proto() == csnet::ipproto_udp);
        CHECK(printed(udp.type()) == "SOCK_DGRAM");

        csnet::socket defaulted;
        CHECK(defaulted.family() == csnet::af_inet);
        CHECK(defaulted.type() == csnet::sock_stream);
        CHECK(defaulted.proto() == csnet::ipproto_ip);
    }

    TEST_CASE("option levels names and flags are the system's values") {
        CHECK(csnet::sol_socket == SOL_SOCKET);
        CHECK(csnet::so_reuseaddr == SO_REUSEADDR);
        CHECK(csnet::so_keepalive == SO_KEEPALIVE);
        CHECK(csnet::so_broadcast == SO_BROADCAST);
        CHECK(csnet::so_rcvbuf == SO_RCVBUF);
        CHECK(csnet::so_sndbuf == SO_SNDBUF);
        CHECK(csnet::so_error == SO_ERROR);
        CHECK(csnet::tcp_nodelay == TCP_NODELAY);
        CHECK(csnet::msg_peek == MSG_PEEK);
        CHECK(csnet::msg_waitall == MSG_WAITALL);
        CHECK(static_cast<int>(csnet::ipproto_tcp) == IPPROTO_TCP);
        CHECK(static_cast<int>(csnet::ipproto_udp) == IPPROTO_UDP);
#ifdef _WIN32
        CHECK(csnet::shut_rd == SD_RECEIVE);
        CHECK(csnet::shut_wr == SD_SEND);
        CHECK(csnet::shut_rdwr == SD_BOTH);
#else
        CHECK(csnet::shut_rd == SHUT_RD);
        CHECK(csnet::shut_wr == SHUT_WR);
        CHECK(csnet::shut_rdwr == SHUT_RDWR);
#endif
        CHECK(csnet::default_backlog > 0);
    }

}  // TEST_SUITE
