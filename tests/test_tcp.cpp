// TCP over loopback: the report's echo server and client, and everything
// around sending and receiving on a stream.
#include "support.hpp"

#include <array>        // std::array
#include <cstring>      // std::memcmp
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <thread>       // std::thread
#include <type_traits>  // std::is_same_v, std::void_t
#include <vector>       // std::vector

#ifndef _WIN32
#    include <netinet/in.h>  // IPPROTO_IPV6, IPV6_V6ONLY
#endif

using csnet_test::catch_as;
using csnet_test::connected_pair;
using csnet_test::listening_socket;
using csnet_test::stopwatch;

// == Compile-time checks ======================================================
namespace {

template <class Data, class = void>
struct can_send : std::false_type {};
template <class Data>
struct can_send<Data, std::void_t<decltype(std::declval<csnet::socket&>().send(std::declval<Data>()))>>
    : std::true_type {};

template <class Data, class = void>
struct can_sendall : std::false_type {};
template <class Data>
struct can_sendall<Data, std::void_t<decltype(std::declval<csnet::socket&>().sendall(std::declval<Data>()))>>
    : std::true_type {};

template <class Data, class = void>
struct can_sendto : std::false_type {};
template <class Data>
struct can_sendto<Data, std::void_t<decltype(std::declval<csnet::socket&>().sendto(
                            std::declval<Data>(), std::declval<const csnet::address&>()))>> : std::true_type {};

template <class Buffer, class = void>
struct can_recv_into : std::false_type {};
template <class Buffer>
struct can_recv_into<Buffer, std::void_t<decltype(std::declval<csnet::socket&>().recv_into(std::declval<Buffer>()))>>
    : std::true_type {};

template <class Buffer, class = void>
struct can_recvfrom_into : std::false_type {};
template <class Buffer>
struct can_recvfrom_into<Buffer,
                         std::void_t<decltype(std::declval<csnet::socket&>().recvfrom_into(std::declval<Buffer>()))>>
    : std::true_type {};

// A mutable char array would stop at its first NUL byte: not accepted.
static_assert(!can_send<char (&)[16]>::value, "send(mutable char array) must not compile");
static_assert(!can_sendall<char (&)[16]>::value, "sendall(mutable char array) must not compile");
static_assert(!can_sendto<char (&)[16]>::value, "sendto(mutable char array) must not compile");
// What is accepted: string literals, std::string, std::string_view.
static_assert(can_send<const char (&)[6]>::value, "send(string literal)");
static_assert(can_send<std::string&>::value, "send(std::string)");
static_assert(can_send<const std::string&>::value, "send(const std::string)");
static_assert(can_send<std::string_view>::value, "send(std::string_view)");
static_assert(can_sendall<const char (&)[6]>::value, "sendall(string literal)");
static_assert(can_sendall<std::string&>::value, "sendall(std::string)");
static_assert(can_sendall<std::string_view>::value, "sendall(std::string_view)");
static_assert(can_sendto<const char (&)[6]>::value, "sendto(string literal)");
static_assert(can_sendto<std::string_view>::value, "sendto(std::string_view)");

// recv_into and recvfrom_into take every buffer kind API.md lists.
static_assert(can_recv_into<char (&)[16]>::value, "recv_into(char array)");
static_assert(can_recv_into<std::array<char, 16>&>::value, "recv_into(std::array)");
static_assert(can_recv_into<std::vector<char>&>::value, "recv_into(std::vector<char>)");
static_assert(can_recv_into<std::string&>::value, "recv_into(std::string)");
static_assert(can_recv_into<csnet::mutable_buffer>::value, "recv_into(mutable_buffer)");
static_assert(!can_recv_into<const std::string&>::value, "recv_into(const std::string) must not compile");
static_assert(can_recvfrom_into<char (&)[16]>::value, "recvfrom_into(char array)");
static_assert(can_recvfrom_into<std::array<char, 16>&>::value, "recvfrom_into(std::array)");
static_assert(can_recvfrom_into<std::vector<char>&>::value, "recvfrom_into(std::vector<char>)");
static_assert(can_recvfrom_into<std::string&>::value, "recvfrom_into(std::string)");
static_assert(can_recvfrom_into<csnet::mutable_buffer>::value, "recvfrom_into(mutable_buffer)");

// Documented return types.
static_assert(std::is_same_v<decltype(std::declval<csnet::socket&>().send(std::string_view{})), std::size_t>);
static_assert(std::is_same_v<decltype(std::declval<csnet::socket&>().recv(std::size_t{1})), std::string>);
static_assert(
    std::is_same_v<decltype(std::declval<csnet::socket&>().accept()), std::pair<csnet::socket, csnet::address>>);
static_assert(std::is_same_v<decltype(std::declval<csnet::socket&>().connect_ex(csnet::address{})), int>);
static_assert(std::is_same_v<decltype(std::declval<csnet::socket&>().fileno()), csnet::native_handle_type>);

/// Reads from s until `size` bytes arrived or the peer closed (bounded by a
/// timeout on the socket and a call count).
std::string recv_exactly(csnet::socket& s, std::size_t size) {
    std::string all;
    for (int calls = 0; all.size() < size && calls < 100000; ++calls) {
        std::string part = s.recv(size - all.size());
        if (part.empty()) {
            break;
        }
        all += part;
    }
    return all;
}

}  // namespace

TEST_SUITE("tcp") {
    TEST_CASE("the report's echo server and client exchange Hola mundo") {
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        sock.bind(csnet::address{"127.0.0.1", 0});
        sock.listen(1);
        const csnet::address server_address = sock.getsockname();

        std::string server_got;
        csnet::address server_saw;
        std::thread server([&] {
            auto accepted = sock.accept();
            csnet::socket& connection = accepted.first;
            server_saw = accepted.second;
            connection.settimeout(5.0);
            std::string data = connection.recv(19);
            server_got = data;
            connection.sendall(data);
            connection.close();
        });

        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.settimeout(5.0);
        client.connect(server_address);
        client.sendall("Hola mundo");
        std::string reply = recv_exactly(client, 10);
        const csnet::address client_address = client.getsockname();
        CHECK(client.recv(19) == "");  // the server closed
        server.join();

        CHECK(server_got == "Hola mundo");
        CHECK(reply == "Hola mundo");
        CHECK(server_saw == client_address);
        CHECK(client.getpeername() == server_address);
    }

    TEST_CASE("accept returns the connection and the client's address") {
        csnet::socket listener = listening_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(listener.getsockname());
        auto [connection, client_address] = listener.accept();
        CHECK(static_cast<bool>(connection));
        CHECK(client_address == client.getsockname());
        CHECK(connection.getpeername() == client.getsockname());
        CHECK(connection.getsockname() == client.getpeername());
        CHECK(connection.family() == csnet::af_inet);
        CHECK(connection.type() == csnet::sock_stream);
    }

    TEST_CASE("an echo works over IPv6 loopback") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        auto pair = connected_pair(csnet::af_inet6);
        CHECK(pair.client.getpeername().host() == "::1");
        CHECK(pair.server.getpeername().host() == "::1");
        pair.client.sendall("ping6");
        pair.server.settimeout(5.0);
        CHECK(recv_exactly(pair.server, 5) == "ping6");
        pair.server.sendall("pong6");
        pair.client.settimeout(5.0);
        CHECK(recv_exactly(pair.client, 5) == "pong6");
    }

    TEST_CASE("recv returns an empty string when the peer closed") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.sendall("last words");
        pair.client.close();
        CHECK(recv_exactly(pair.server, 10) == "last words");
        CHECK(pair.server.recv(100) == "");
        CHECK(pair.server.recv(100) == "");  // and again: the end stays the end
    }

    TEST_CASE("recv returns an empty string after the peer shut down its sending side") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.shutdown(csnet::shut_wr);
        CHECK(pair.server.recv(10) == "");
        // The other direction still works.
        pair.server.sendall("still open");
        pair.client.settimeout(5.0);
        CHECK(recv_exactly(pair.client, 10) == "still open");
    }

    TEST_CASE("recv returns at most bufsize bytes and keeps the rest") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.sendall("abcdefghij");
        std::string first = pair.server.recv(4);
        CHECK(first.size() >= 1);
        CHECK(first.size() <= 4);
        std::string rest = recv_exactly(pair.server, 10 - first.size());
        CHECK(first + rest == "abcdefghij");
    }

    TEST_CASE("recv with bufsize 0 returns an empty string at once") {
        auto pair = connected_pair();
        pair.server.settimeout(2.0);
        stopwatch clock;
        CHECK(pair.server.recv(0) == "");
        CHECK(clock.seconds() < 1.0);
        pair.client.sendall("x");
        CHECK(pair.server.recv(0) == "");
        CHECK(pair.server.recv(1) == "x");  // the byte was not consumed
    }

    TEST_CASE("send returns how many bytes it sent") {
        auto pair = connected_pair();
        std::size_t n = pair.client.send("hello");
        CHECK(n == 5);
        pair.server.settimeout(5.0);
        CHECK(recv_exactly(pair.server, 5) == "hello");
    }

    TEST_CASE("binary data with NUL bytes goes through intact") {
        auto pair = connected_pair();
        const char raw[] = {'a', '\0', 'b', '\0', '\xff', 'c'};
        pair.client.sendall(std::string_view(raw, sizeof raw));
        pair.server.settimeout(5.0);
        std::string got = recv_exactly(pair.server, sizeof raw);
        REQUIRE(got.size() == sizeof raw);
        CHECK(std::memcmp(got.data(), raw, sizeof raw) == 0);
    }

    TEST_CASE("a string literal a std::string and a string_view can all be sent") {
        auto pair = connected_pair();
        const std::string s = "two";
        const std::string_view v = "three";
        pair.client.sendall("one");
        pair.client.sendall(s);
        pair.client.sendall(v);
        CHECK(pair.client.send(s) == 3);
        pair.server.settimeout(5.0);
        CHECK(recv_exactly(pair.server, 14) == "onetwothreetwo");
    }

    TEST_CASE("recv with msg_peek leaves the data for the next recv") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.sendall("peek");
        std::string peeked;
        // A peek may see fewer bytes than were sent if they have not all arrived.
        for (int i = 0; i < 1000 && peeked.size() < 4; ++i) {
            peeked = pair.server.recv(4, csnet::msg_peek);
        }
        CHECK(peeked == "peek");
        CHECK(recv_exactly(pair.server, 4) == "peek");
    }

    TEST_CASE("recv with msg_waitall waits for the whole buffer") {
        auto pair = connected_pair();
        // Blocking, no timeout: with a timeout the socket is non-blocking inside,
        // and MSG_WAITALL then returns what is there (as in Python).
        std::thread sender([&] {
            pair.client.sendall("12345");
            pair.client.sendall("67890");
        });
        std::string got = pair.server.recv(10, csnet::msg_waitall);
        sender.join();
        if (got != "1234567890" && csnet_test::running_under_wine()) {
            // Wine's recv ignores MSG_WAITALL (measured with a plain Winsock program).
            MESSAGE("Wine ignores MSG_WAITALL: got \"" << got << "\"");
            return;
        }
        CHECK(got == "1234567890");
    }

    TEST_CASE("sendall delivers a few MiB in order to a reading peer") {
        auto pair = connected_pair();
        const std::string data = csnet_test::pattern(3 * 1024 * 1024);
        std::string received;
        pair.server.settimeout(10.0);
        std::thread reader([&] {
            received.reserve(data.size());
            for (int calls = 0; received.size() < data.size() && calls < 1000000; ++calls) {
                std::string part = pair.server.recv(65536);
                if (part.empty()) {
                    break;
                }
                received += part;
            }
        });
        pair.client.settimeout(10.0);
        pair.client.sendall(data);
        reader.join();
        CHECK(received.size() == data.size());
        CHECK(received == data);
    }

    TEST_CASE("recv_into fills a char array") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.sendall("array");
        char buffer[16] = {};
        std::size_t n = pair.server.recv_into(buffer);
        REQUIRE(n >= 1);
        REQUIRE(n <= 5);
        CHECK(std::string(buffer, n) == std::string("array").substr(0, n));
    }

    TEST_CASE("recv_into fills a std::array a std::vector a std::string and a mutable_buffer") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);

        SUBCASE("std::array") {
            std::array<char, 8> buffer{};
            pair.client.sendall("abc");
            std::size_t n = pair.server.recv_into(buffer);
            REQUIRE(n >= 1);
            CHECK(std::string(buffer.data(), n) == std::string("abc").substr(0, n));
        }
        SUBCASE("std::vector<char>") {
            std::vector<char> buffer(8);
            pair.client.sendall("def");
            std::size_t n = pair.server.recv_into(buffer);
            REQUIRE(n >= 1);
            CHECK(buffer.size() == 8);  // not resized
            CHECK(std::string(buffer.data(), n) == std::string("def").substr(0, n));
        }
        SUBCASE("std::string, filled up to its current size") {
            std::string buffer(3, '.');
            pair.client.sendall("ghijkl");
            std::size_t n = pair.server.recv_into(buffer);
            CHECK(n >= 1);
            CHECK(n <= 3);  // its size, not its capacity
            CHECK(buffer.size() == 3);
            CHECK(buffer.substr(0, n) == std::string("ghi").substr(0, n));
        }
        SUBCASE("mutable_buffer") {
            char storage[8] = {};
            pair.client.sendall("mno");
            std::size_t n = pair.server.recv_into(csnet::mutable_buffer{storage, 2});
            CHECK(n >= 1);
            CHECK(n <= 2);
            CHECK(storage[2] == '\0');  // nothing written past the given size
            CHECK(std::string(storage, n) == std::string("mn").substr(0, n));
        }
    }

    TEST_CASE("recv_into with nbytes reads at most nbytes and 0 means the whole buffer") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.sendall("0123456789");
        char buffer[10] = {};
        std::size_t n = pair.server.recv_into(buffer, 3);
        CHECK(n >= 1);
        CHECK(n <= 3);
        CHECK(buffer[3] == '\0');
        std::size_t total = n;
        for (int i = 0; i < 100 && total < 10; ++i) {
            total += pair.server.recv_into(csnet::mutable_buffer{buffer + total, 10 - total}, 0);
        }
        CHECK(total == 10);
        CHECK(std::string(buffer, 10) == "0123456789");
    }

    TEST_CASE("recv_into with nbytes larger than the buffer is an invalid argument") {
        auto pair = connected_pair();
        pair.client.sendall("data");
        char buffer[4] = {};
        auto c = catch_as<csnet::error>([&] { pair.server.recv_into(buffer, 5); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::invalid_argument);
        CHECK(csnet_test::starts_with(c.what, "recv_into("));
    }

    TEST_CASE("recv_into with a buffer size that a negative number became is an invalid argument") {
        auto pair = connected_pair();
        pair.client.sendall("more than sixteen bytes of data");
        std::array<char, 16> storage{};
        const std::size_t used = 20;  // more than the buffer holds: storage.size() - used wraps around
        auto c = catch_as<csnet::error>(
            [&] { pair.server.recv_into(csnet::mutable_buffer(storage.data(), storage.size() - used)); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::invalid_argument);
        CHECK(csnet_test::starts_with(c.what, "recv_into("));
    }

    TEST_CASE("recv_into reports 0 when the peer closed") {
        auto pair = connected_pair();
        pair.server.settimeout(5.0);
        pair.client.close();
        std::array<char, 8> buffer{};
        CHECK(pair.server.recv_into(buffer) == 0);
    }

    TEST_CASE("connect_ex returns 0 when the connection succeeds") {
        csnet::socket listener = listening_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        CHECK(client.connect_ex(listener.getsockname()) == 0);
        auto accepted = listener.accept();
        CHECK(accepted.second == client.getsockname());
    }

    TEST_CASE("listen without an argument uses a sensible backlog") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.bind(csnet::address{"127.0.0.1", 0});
        s.listen();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(s.getsockname());
        auto accepted = s.accept();
        CHECK(static_cast<bool>(accepted.first));
    }

    TEST_CASE("a server accepts several clients one after another") {
        csnet::socket listener = listening_socket(csnet::af_inet, 4);
        std::vector<csnet::socket> clients;
        for (int i = 0; i < 3; ++i) {
            clients.emplace_back(csnet::af_inet, csnet::sock_stream);
            clients.back().connect(listener.getsockname());
        }
        listener.settimeout(5.0);
        for (int i = 0; i < 3; ++i) {
            auto accepted = listener.accept();
            accepted.first.sendall(std::to_string(i));
        }
        for (auto& c : clients) {
            c.settimeout(5.0);
            std::string got = c.recv(1);
            CHECK(got.size() == 1);
        }
    }

    TEST_CASE("create_connection connects to a listening server") {
        csnet::socket listener = listening_socket();
        csnet::socket client = csnet::create_connection(listener.getsockname());
        CHECK(static_cast<bool>(client));
        CHECK(client.getpeername() == listener.getsockname());
        CHECK_FALSE(client.gettimeout().has_value());
        auto accepted = listener.accept();
        client.sendall("cc");
        accepted.first.settimeout(5.0);
        CHECK(recv_exactly(accepted.first, 2) == "cc");
    }

    TEST_CASE("create_connection with a timeout leaves that timeout on the socket") {
        csnet::socket listener = listening_socket();
        csnet::socket client = csnet::create_connection(listener.getsockname(), 3.5);
        REQUIRE(client.gettimeout().has_value());
        CHECK(*client.gettimeout() == doctest::Approx(3.5));
    }

    TEST_CASE("create_connection throws the error when nothing listens") {
        csnet::socket holder = csnet_test::reserved_port_without_listener();
        auto c = catch_as<csnet::error>([&] { csnet::create_connection(holder.getsockname()); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::connection_refused);
    }

    TEST_CASE("create_server returns a bound listening socket") {
        csnet::socket server = csnet::create_server(csnet::address{"127.0.0.1", 0});
        CHECK(server.family() == csnet::af_inet);
        CHECK(server.type() == csnet::sock_stream);
        const csnet::address where = server.getsockname();
        CHECK(where.host() == "127.0.0.1");
        CHECK(where.port() > 0);
        csnet::socket client = csnet::create_connection(where, 5.0);
        auto accepted = server.accept();
        CHECK(accepted.second == client.getsockname());
    }

    TEST_CASE("create_server on IPv6 loopback listens on ::1") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        csnet::socket server = csnet::create_server(csnet::address{"::1", 0}, csnet::af_inet6);
        CHECK(server.family() == csnet::af_inet6);
        CHECK(server.getsockname().host() == "::1");
        csnet::socket client(csnet::af_inet6, csnet::sock_stream);
        client.connect(server.getsockname());
        auto accepted = server.accept();
        CHECK(accepted.second.host() == "::1");
    }

    TEST_CASE("create_server with dualstack_ipv6 takes IPv4 clients on one IPv6 socket") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        if (!csnet::has_dualstack_ipv6()) {
            MESSAGE("no dual-stack IPv6 here: skipped");
            return;
        }
        // Loopback only: the IPv4-mapped form of 127.0.0.1 can be bound only by a
        // socket that is not v6-only, and IPv4 clients of 127.0.0.1 reach it.
        csnet::socket server = csnet::create_server(csnet::address{"::ffff:127.0.0.1", 0}, csnet::af_inet6,
                                                    csnet::default_backlog, false, true);
        CHECK(server.family() == csnet::af_inet6);
        CHECK(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) == 0);
        const int port = server.getsockname().port();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(csnet::address{"127.0.0.1", port});
        auto accepted = server.accept();
        CHECK(accepted.second.host() == "::ffff:127.0.0.1");
        CHECK(accepted.second.port() == client.getsockname().port());
    }

    TEST_CASE("create_server without dualstack_ipv6 makes a v6-only socket") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        csnet::socket server = csnet::create_server(csnet::address{"::1", 0}, csnet::af_inet6);
        CHECK(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) == 1);
        // An IPv4-mapped address needs a dual-stack socket: refused without it.
        CHECK_THROWS_AS(csnet::create_server(csnet::address{"::ffff:127.0.0.1", 0}, csnet::af_inet6), csnet::error);
    }

    TEST_CASE("create_server refuses dualstack_ipv6 for an IPv4 family") {
        auto c = catch_as<csnet::error>([&] {
            csnet::create_server(csnet::address{"127.0.0.1", 0}, csnet::af_inet, csnet::default_backlog, false, true);
        });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::invalid_argument);
    }

    TEST_CASE("a non-blocking send to a peer that does not read eventually would block") {
        auto pair = connected_pair();
        pair.client.setblocking(false);
        const std::string chunk(256 * 1024, 'x');
        bool would_block = false;
        std::size_t total = 0;
        for (int i = 0; i < 2000 && !would_block; ++i) {
            try {
                std::size_t n = pair.client.send(chunk);
                CHECK(n > 0);
                CHECK(n <= chunk.size());
                total += n;
            } catch (const csnet::timeout&) {
                FAIL("a non-blocking socket threw csnet::timeout instead of operation_would_block");
            } catch (const csnet::error& e) {
                CHECK(e.code() == std::errc::operation_would_block);
                would_block = true;
            }
        }
        CHECK(would_block);
        CHECK(total > 0);
    }

}  // TEST_SUITE
