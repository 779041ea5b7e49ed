// Ownership: a csnet::socket owns one OS socket, moves but never copies,
// closes it exactly once, and leaks nothing when calls fail.
#include "support.hpp"

#include <string>       // std::string
#include <type_traits>  // std::is_copy_constructible_v, ...
#include <utility>      // std::move
#include <vector>       // std::vector

#ifndef _WIN32
#    include <fcntl.h>   // fcntl
#    include <unistd.h>  // close
#endif

using csnet_test::catch_as;
using csnet_test::listening_socket;
using csnet_test::open_handle_count;

namespace {

static_assert(!std::is_copy_constructible_v<csnet::socket>, "a socket has one owner");
static_assert(!std::is_copy_assignable_v<csnet::socket>, "a socket has one owner");
static_assert(std::is_nothrow_move_constructible_v<csnet::socket>);
static_assert(std::is_nothrow_move_assignable_v<csnet::socket>);
static_assert(std::is_nothrow_destructible_v<csnet::socket>);

/// True while the handle names an open OS socket.
bool handle_is_open(csnet::native_handle_type h) {
#ifdef _WIN32
    int type = 0;
    int size = static_cast<int>(sizeof type);
    return ::getsockopt(h, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &size) == 0;
#else
    return ::fcntl(h, F_GETFD) != -1;
#endif
}

void close_handle(csnet::native_handle_type h) {
#ifdef _WIN32
    ::closesocket(h);
#else
    ::close(h);
#endif
}

/// The handle counter works here: opening a socket raises it.
bool handle_counting_works() {
    const long before = open_handle_count();
    if (before < 0) {
        return false;
    }
    csnet::socket probe(csnet::af_inet, csnet::sock_stream);
    return open_handle_count() > before;
}

#define CSNET_REQUIRE_HANDLE_COUNT_OR_SKIP()                                         \
    do {                                                                             \
        if (!handle_counting_works()) {                                              \
            MESSAGE("this system cannot count the process's open handles: skipped"); \
            return;                                                                  \
        }                                                                            \
    } while (false)

}  // namespace

TEST_SUITE("lifetime") {
    TEST_CASE("a socket is open until closed and closing twice is harmless") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        CHECK(static_cast<bool>(s));
        const csnet::native_handle_type h = s.fileno();
        CHECK(handle_is_open(h));
        s.close();
        CHECK_FALSE(static_cast<bool>(s));
        CHECK_FALSE(handle_is_open(h));
        s.close();
        s.close();
        CHECK_FALSE(static_cast<bool>(s));
    }

    TEST_CASE("closing a socket twice never closes a newer socket that got the same number") {
        csnet::socket old(csnet::af_inet, csnet::sock_stream);
        const csnet::native_handle_type old_handle = old.fileno();
        old.close();
        csnet::socket newer(csnet::af_inet, csnet::sock_stream);  // likely the same number
        const csnet::native_handle_type newer_handle = newer.fileno();
        if (newer_handle != old_handle) {
            MESSAGE("the system did not reuse the number; the check still runs");
        }
        old.close();
        { csnet::socket moved_into(std::move(old)); }  // destroying a closed socket closes nothing
        CHECK(handle_is_open(newer_handle));
        CHECK_NOTHROW(newer.bind(csnet::address{"127.0.0.1", 0}));
    }

    TEST_CASE("the destructor closes the socket") {
        csnet::native_handle_type h;
        {
            csnet::socket s(csnet::af_inet, csnet::sock_stream);
            h = s.fileno();
            CHECK(handle_is_open(h));
        }
        CHECK_FALSE(handle_is_open(h));
    }

    TEST_CASE("moving a socket moves its handle and leaves the source closed") {
        csnet::socket a(csnet::af_inet6, csnet::sock_dgram);
        const csnet::native_handle_type h = a.fileno();
        csnet::socket b(std::move(a));
        CHECK_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): the point of the test
        CHECK(static_cast<bool>(b));
        CHECK(b.fileno() == h);
        CHECK(b.family() == csnet::af_inet6);
        CHECK(b.type() == csnet::sock_dgram);
        CHECK(handle_is_open(h));
    }

    TEST_CASE("move assignment closes the target's old socket") {
        csnet::socket target(csnet::af_inet, csnet::sock_stream);
        const csnet::native_handle_type old_handle = target.fileno();
        csnet::socket source(csnet::af_inet, csnet::sock_dgram);
        source.settimeout(1.5);
        const csnet::native_handle_type source_handle = source.fileno();
        target = std::move(source);
        CHECK(target.fileno() == source_handle);
        CHECK(target.type() == csnet::sock_dgram);
        REQUIRE(target.gettimeout().has_value());
        CHECK(*target.gettimeout() == doctest::Approx(1.5));  // the timeout moves with the socket
        CHECK_FALSE(static_cast<bool>(source));               // NOLINT(bugprone-use-after-move)
        if (old_handle != source_handle) {
            CHECK_FALSE(handle_is_open(old_handle));
        }
        CHECK(handle_is_open(source_handle));
    }

    TEST_CASE("a socket can be returned from a function and stored in a vector") {
        std::vector<csnet::socket> sockets;
        for (int i = 0; i < 20; ++i) {
            sockets.push_back(listening_socket());  // the vector reallocates: sockets move
        }
        for (auto& s : sockets) {
            CHECK(static_cast<bool>(s));
            CHECK(s.getsockname().port() > 0);
        }
    }

    TEST_CASE("detach gives up the handle which stays open") {
        csnet::native_handle_type h;
        {
            csnet::socket s(csnet::af_inet, csnet::sock_stream);
            s.bind(csnet::address{"127.0.0.1", 0});
            h = s.detach();
            CHECK_FALSE(static_cast<bool>(s));
            CHECK_THROWS_AS(s.fileno(), csnet::error);
        }
        CHECK(handle_is_open(h));  // the destructor did not close it
        close_handle(h);
        CHECK_FALSE(handle_is_open(h));
    }

    TEST_CASE("an adopted handle is owned and usable again") {
        csnet::socket listener = listening_socket();
        const csnet::address where = listener.getsockname();
        const csnet::native_handle_type h = listener.detach();
        {
            csnet::socket adopted(csnet::af_inet, csnet::sock_stream, csnet::ipproto_ip, h);
            CHECK(adopted.fileno() == h);
            CHECK(adopted.getsockname() == where);
            csnet::socket client(csnet::af_inet, csnet::sock_stream);
            client.connect(where);
            adopted.settimeout(5.0);
            auto accepted = adopted.accept();
            CHECK(accepted.second == client.getsockname());
        }
        CHECK_FALSE(handle_is_open(h));  // the adopting socket closed it
    }

    TEST_CASE("sockets opened and closed in a loop leak no handles") {
        CSNET_REQUIRE_HANDLE_COUNT_OR_SKIP();
        const long before = open_handle_count();
        for (int i = 0; i < 50; ++i) {
            auto pair = csnet_test::connected_pair();
            pair.client.sendall("x");
            csnet::socket moved = std::move(pair.server);
            csnet::socket udp(csnet::af_inet, csnet::sock_dgram);
            udp = csnet::socket(csnet::af_inet, csnet::sock_dgram);  // move-assign over an open socket
        }
        CHECK(open_handle_count() == before);
    }

    TEST_CASE("failing calls leak no handles") {
        CSNET_REQUIRE_HANDLE_COUNT_OR_SKIP();
        csnet::socket holder = csnet_test::reserved_port_without_listener();
        csnet::socket busy = listening_socket();
        const long before = open_handle_count();
        for (int i = 0; i < 20; ++i) {
            {
                csnet::socket s(csnet::af_inet, csnet::sock_stream);
                CHECK_THROWS_AS(s.connect(holder.getsockname()), csnet::error);
            }
            CHECK_THROWS_AS(csnet::create_connection(holder.getsockname()), csnet::error);
            CHECK_THROWS_AS(csnet::create_connection(csnet::address{"localhost", holder.getsockname().port()}),
                            csnet::error);
            CHECK_THROWS_AS(csnet::create_server(busy.getsockname()), csnet::error);
            CHECK_THROWS_AS(csnet::create_connection(csnet::address{"no such host", 80}), csnet::gaierror);
            {
                csnet::socket s(csnet::af_inet, csnet::sock_stream);
                CHECK_THROWS_AS(s.bind(busy.getsockname()), csnet::error);
            }
        }
        CHECK(open_handle_count() == before);
    }

    TEST_CASE("accept timeouts and refused connect_ex calls leak no handles") {
        CSNET_REQUIRE_HANDLE_COUNT_OR_SKIP();
        csnet::socket listener = listening_socket();
        listener.settimeout(0.01);
        csnet::socket holder = csnet_test::reserved_port_without_listener();
        const long before = open_handle_count();
        for (int i = 0; i < 10; ++i) {
            CHECK_THROWS_AS(listener.accept(), csnet::timeout);
            csnet::socket s(csnet::af_inet, csnet::sock_stream);
            CHECK(s.connect_ex(holder.getsockname()) != 0);
        }
        CHECK(open_handle_count() == before);
    }

    TEST_CASE("a socket whose creation fails leaks nothing and says why") {
        CSNET_REQUIRE_HANDLE_COUNT_OR_SKIP();
        const long before = open_handle_count();
        // AF_INET with a UDP protocol on a stream socket: the system refuses.
        auto c =
            catch_as<csnet::error>([] { csnet::socket s(csnet::af_inet, csnet::sock_stream, csnet::ipproto_udp); });
        REQUIRE(c.thrown);
        CHECK(csnet_test::starts_with(c.what, "socket("));
        CHECK(open_handle_count() == before);
    }

}  // TEST_SUITE
