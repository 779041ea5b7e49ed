// UDP over loopback: datagrams, their sender's address, and what happens
// when a datagram is larger than the buffer.
#include "support.hpp"

#include <array>   // std::array
#include <string>  // std::string
#include <vector>  // std::vector

using csnet_test::bound_udp_socket;
using csnet_test::catch_as;
using csnet_test::stopwatch;

TEST_SUITE("udp") {
    TEST_CASE("sendto and recvfrom carry a datagram and the sender's address") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        server.settimeout(5.0);
        std::size_t sent = client.sendto("Hola mundo", server.getsockname());
        CHECK(sent == 10);
        auto [data, from] = server.recvfrom(4096);
        CHECK(data == "Hola mundo");
        // sendto bound the client implicitly (to the any address, so compare the port).
        CHECK(from.host() == "127.0.0.1");
        CHECK(from.port() == client.getsockname().port());

        // The reference's UDP echo: answer to whoever sent.
        server.sendto(data, from);
        client.settimeout(5.0);
        auto reply = client.recvfrom(4096);
        CHECK(reply.first == "Hola mundo");
        CHECK(reply.second == server.getsockname());
    }

    TEST_CASE("UDP works over IPv6 loopback") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        csnet::socket server = bound_udp_socket(csnet::af_inet6);
        csnet::socket client(csnet::af_inet6, csnet::sock_dgram);
        server.settimeout(5.0);
        client.sendto("six", server.getsockname());
        auto got = server.recvfrom(100);
        CHECK(got.first == "six");
        CHECK(got.second.host() == "::1");
        CHECK(got.second.port() == client.getsockname().port());
    }

    TEST_CASE("datagrams keep their boundaries") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        server.settimeout(5.0);
        client.sendto("one", server.getsockname());
        client.sendto("two", server.getsockname());
        client.sendto("three", server.getsockname());
        CHECK(server.recv(100) == "one");
        CHECK(server.recv(100) == "two");
        CHECK(server.recv(100) == "three");
    }

    TEST_CASE("an empty datagram arrives as an empty string with its sender") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client = bound_udp_socket();
        server.settimeout(5.0);
        CHECK(client.sendto("", server.getsockname()) == 0);
        auto got = server.recvfrom(100);
        CHECK(got.first == "");
        CHECK(got.second == client.getsockname());
    }

    TEST_CASE("a connected UDP socket uses send and recv") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        client.connect(server.getsockname());
        CHECK(client.getpeername() == server.getsockname());
        CHECK(client.send("via send") == 8);
        server.settimeout(5.0);
        auto got = server.recvfrom(100);
        CHECK(got.first == "via send");
        server.sendto("back", got.second);
        client.settimeout(5.0);
        CHECK(client.recv(100) == "back");
    }

    TEST_CASE("a datagram larger than the recv buffer is truncated and the rest discarded") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        server.settimeout(5.0);
        const std::string big = csnet_test::pattern(100);
        client.sendto(big, server.getsockname());
        client.sendto("next", server.getsockname());
        std::string got;
        CHECK_NOTHROW(got = server.recv(10));
        CHECK(got == big.substr(0, 10));
        CHECK(server.recv(100) == "next");  // the rest of the first datagram is gone
    }

    TEST_CASE("recvfrom truncates a large datagram to the buffer and still gives the sender") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client = bound_udp_socket();
        server.settimeout(5.0);
        const std::string big = csnet_test::pattern(1000);
        client.sendto(big, server.getsockname());
        client.sendto("next", server.getsockname());
        auto got = server.recvfrom(16);
        CHECK(got.first == big.substr(0, 16));
        CHECK(got.second == client.getsockname());
        auto next = server.recvfrom(100);
        CHECK(next.first == "next");
    }

    TEST_CASE("recv_into and recvfrom_into truncate a large datagram to the buffer") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client = bound_udp_socket();
        server.settimeout(5.0);
        const std::string big = csnet_test::pattern(500);
        client.sendto(big, server.getsockname());
        client.sendto(big, server.getsockname());
        client.sendto("next", server.getsockname());

        std::array<char, 8> small{};
        CHECK(server.recv_into(small) == 8);
        CHECK(std::string(small.data(), 8) == big.substr(0, 8));

        char smaller[5] = {};
        auto got = server.recvfrom_into(smaller);
        CHECK(got.first == 5);
        CHECK(std::string(smaller, 5) == big.substr(0, 5));
        CHECK(got.second == client.getsockname());

        std::vector<char> rest(100);
        CHECK(server.recv_into(rest) == 4);
        CHECK(std::string(rest.data(), 4) == "next");
    }

    TEST_CASE("recvfrom_into fills every buffer kind and reports the sender") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client = bound_udp_socket();
        server.settimeout(5.0);
        const csnet::address to = server.getsockname();
        const csnet::address from = client.getsockname();

        SUBCASE("char array") {
            client.sendto("arr", to);
            char buffer[16] = {};
            auto got = server.recvfrom_into(buffer);
            CHECK(got.first == 3);
            CHECK(std::string(buffer, 3) == "arr");
            CHECK(got.second == from);
        }
        SUBCASE("std::array") {
            client.sendto("std", to);
            std::array<char, 16> buffer{};
            auto got = server.recvfrom_into(buffer);
            CHECK(got.first == 3);
            CHECK(std::string(buffer.data(), 3) == "std");
            CHECK(got.second == from);
        }
        SUBCASE("std::vector") {
            client.sendto("vec", to);
            std::vector<char> buffer(16);
            auto got = server.recvfrom_into(buffer);
            CHECK(got.first == 3);
            CHECK(std::string(buffer.data(), 3) == "vec");
            CHECK(got.second == from);
        }
        SUBCASE("std::string") {
            client.sendto("str", to);
            std::string buffer(16, '.');
            auto got = server.recvfrom_into(buffer);
            CHECK(got.first == 3);
            CHECK(buffer.substr(0, 3) == "str");
            CHECK(buffer.size() == 16);
            CHECK(got.second == from);
        }
        SUBCASE("mutable_buffer with nbytes") {
            client.sendto("mutable", to);
            char storage[16] = {};
            auto got = server.recvfrom_into(csnet::mutable_buffer{storage, sizeof storage}, 3);
            CHECK(got.first == 3);
            CHECK(std::string(storage, 3) == "mut");
            CHECK(storage[3] == '\0');
            CHECK(got.second == from);
        }
    }

    TEST_CASE("recv with bufsize 0 on UDP returns an empty string at once as Python does") {
        csnet::socket server = bound_udp_socket();
        server.settimeout(2.0);
        stopwatch clock;
        CHECK(server.recv(0) == "");
        CHECK(clock.seconds() < 1.0);
    }

    TEST_CASE("recvfrom on a UDP socket with a timeout throws csnet::timeout") {
        csnet::socket server = bound_udp_socket();
        server.settimeout(0.2);
        stopwatch clock;
        auto c = catch_as<csnet::timeout>([&] { server.recvfrom(100); });
        const double took = clock.seconds();
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::timed_out);
        CHECK(took >= 0.15);
        CHECK(took < 2.0);
    }

    TEST_CASE("a non-blocking recvfrom with nothing to read would block") {
        csnet::socket server = bound_udp_socket();
        server.setblocking(false);
        auto c = catch_as<csnet::error>([&] { server.recvfrom(100); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::operation_would_block);
    }

    TEST_CASE("sendto a name resolves it") {
        csnet::socket server = bound_udp_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        server.settimeout(5.0);
        client.sendto("by name", csnet::address{"localhost", server.getsockname().port()});
        CHECK(server.recv(100) == "by name");
    }

    TEST_CASE("sendto takes the address recvfrom gave, typed or received, IPv4 and IPv6") {
        // recvfrom writes the sender's sockaddr into the address it returns, and
        // sendto hands a numeric address to the system as it is: both ways must
        // keep the port, the bytes and the text.
        csnet::socket server = bound_udp_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        server.settimeout(5.0);
        client.settimeout(5.0);
        const csnet::address typed{"127.0.0.1", server.getsockname().port()};
        for (int round = 0; round < 3; ++round) {
            client.sendto("ping " + std::to_string(round), typed);
            auto [data, from] = server.recvfrom(100);
            CHECK(data == "ping " + std::to_string(round));
            CHECK(from == csnet::address{"127.0.0.1", client.getsockname().port()});
            CHECK(from.to_string() == "127.0.0.1:" + std::to_string(client.getsockname().port()));
            server.sendto("pong", from);
            char buf[16];
            auto [n, back] = client.recvfrom_into(buf);
            CHECK(std::string(buf, n) == "pong");
            CHECK(back == typed);
            auto [host, port] = back;
            CHECK(host == "127.0.0.1");
            CHECK(port == typed.port());
        }
        if (csnet_test::ipv6_loopback_available()) {
            csnet::socket server6 = bound_udp_socket(csnet::af_inet6);
            csnet::socket client6(csnet::af_inet6, csnet::sock_dgram);
            server6.settimeout(5.0);
            client6.settimeout(5.0);
            client6.sendto("six", csnet::address{"::1", server6.getsockname().port()});
            auto [data, from] = server6.recvfrom(100);
            CHECK(data == "six");
            CHECK(from.to_string() == "[::1]:" + std::to_string(client6.getsockname().port()));
            server6.sendto("xis", from);
            CHECK(client6.recvfrom(100).second == csnet::address{"::1", server6.getsockname().port()});
        }
    }

    TEST_CASE("sendto refuses a numeric address of the other family, and says which") {
        csnet::socket four(csnet::af_inet, csnet::sock_dgram);
        auto c4 = catch_as<csnet::error>([&] { four.sendto("x", csnet::address{"::1", 9}); });
        REQUIRE(c4.thrown);
        CHECK(c4.code == std::errc::address_family_not_supported);
        CHECK(c4.what.find("sendto(\"x\", [::1]:9)") != std::string::npos);
        CHECK(c4.what.find("is an IPv6 address but this socket is AF_INET") != std::string::npos);
        if (csnet_test::ipv6_loopback_available()) {
            csnet::socket six(csnet::af_inet6, csnet::sock_dgram);
            auto c6 = catch_as<csnet::error>([&] { six.sendto("x", csnet::address{"127.0.0.1", 9}); });
            REQUIRE(c6.thrown);
            CHECK(c6.what.find("is an IPv4 address but this socket is AF_INET6") != std::string::npos);
        }
    }

    TEST_CASE("recvfrom on a connected TCP socket gives the empty address") {
        csnet::socket listener(csnet::af_inet, csnet::sock_stream);
        listener.bind({"127.0.0.1", 0});
        listener.listen();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(listener.getsockname());
        auto accepted = listener.accept();
        accepted.first.sendall("tcp");
        client.settimeout(5.0);
        auto [data, from] = client.recvfrom(10);
        CHECK(data == "tcp");
        CHECK(from.port() == 0);
        CHECK(from.host().empty());
    }

    TEST_CASE("so_broadcast can be switched on for a UDP socket") {
        csnet::socket s(csnet::af_inet, csnet::sock_dgram);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_broadcast) == 0);
        s.setsockopt(csnet::sol_socket, csnet::so_broadcast, 1);
        CHECK(s.getsockopt(csnet::sol_socket, csnet::so_broadcast) != 0);
    }

}  // TEST_SUITE
