// Names: getaddrinfo, gethostbyname, gethostname, has_dualstack_ipv6, and
// "localhost" reaching a server whichever loopback address it listens on.
// Only loopback names and numbers are looked up; "no such host" (with spaces)
// fails inside the resolver without sending a query.
#include "support.hpp"

#include <fstream>   // std::ifstream
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#ifndef _WIN32
#    include <netdb.h>       // EAI_NONAME
#    include <netinet/in.h>  // IPPROTO_IPV6, IPV6_V6ONLY
#    include <unistd.h>      // ::gethostname
#endif

using csnet_test::catch_as;
using csnet_test::listening_socket;

namespace {

static_assert(std::is_same_v<decltype(csnet::getaddrinfo("localhost", 80)), std::vector<csnet::address_info>>);
static_assert(std::is_same_v<decltype(csnet::address_info::family), csnet::address_family>);
static_assert(std::is_same_v<decltype(csnet::address_info::type), csnet::socket_kind>);
static_assert(std::is_same_v<decltype(csnet::address_info::proto), csnet::protocol>);
static_assert(std::is_same_v<decltype(csnet::address_info::canonname), std::string>);
static_assert(std::is_same_v<decltype(csnet::address_info::address), csnet::address>);
static_assert(std::is_same_v<decltype(csnet::gethostname()), std::string>);
static_assert(std::is_same_v<decltype(csnet::gethostbyname("localhost")), std::string>);
static_assert(std::is_same_v<decltype(csnet::has_dualstack_ipv6()), bool>);

/// Does "localhost" resolve to ::1 on this machine?
bool localhost_names_ipv6() {
    for (const auto& info : csnet::getaddrinfo("localhost", 0, csnet::af_unspec, csnet::sock_stream)) {
        if (info.family == csnet::af_inet6 && info.address.host() == "::1") {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_SUITE("resolve") {
    TEST_CASE("getaddrinfo of a numeric IPv4 address gives that address and port") {
        auto answers = csnet::getaddrinfo("127.0.0.1", 8080);
        REQUIRE_FALSE(answers.empty());
        for (const auto& info : answers) {
            CHECK(info.family == csnet::af_inet);
            CHECK(info.address.host() == "127.0.0.1");
            CHECK(info.address.port() == 8080);
        }
    }

    TEST_CASE("getaddrinfo without a type gives stream and datagram answers") {
        auto answers = csnet::getaddrinfo("127.0.0.1", 53);
        bool stream = false;
        bool dgram = false;
        for (const auto& info : answers) {
            stream = stream || (info.type == csnet::sock_stream && info.proto == csnet::ipproto_tcp);
            dgram = dgram || (info.type == csnet::sock_dgram && info.proto == csnet::ipproto_udp);
        }
        CHECK(stream);
        CHECK(dgram);
    }

    TEST_CASE("getaddrinfo filters by family and type") {
        auto answers = csnet::getaddrinfo("localhost", 9999, csnet::af_inet, csnet::sock_stream);
        REQUIRE_FALSE(answers.empty());
        for (const auto& info : answers) {
            CHECK(info.family == csnet::af_inet);
            CHECK(info.type == csnet::sock_stream);
            CHECK(info.address.host() == "127.0.0.1");
            CHECK(info.address.port() == 9999);
        }
    }

    TEST_CASE("getaddrinfo of ::1 gives an IPv6 answer") {
        auto answers = csnet::getaddrinfo("::1", 7, csnet::af_inet6, csnet::sock_dgram);
        REQUIRE_FALSE(answers.empty());
        CHECK(answers.front().family == csnet::af_inet6);
        CHECK(answers.front().type == csnet::sock_dgram);
        CHECK(answers.front().address == csnet::address{"::1", 7});
    }

    TEST_CASE("getaddrinfo takes a service name for the port") {
#ifndef _WIN32
        if (!std::ifstream("/etc/services")) {
            MESSAGE("this system has no /etc/services: skipped");
            return;
        }
#endif
        auto answers = csnet::getaddrinfo("127.0.0.1", "http", csnet::af_inet, csnet::sock_stream);
        REQUIRE_FALSE(answers.empty());
        CHECK(answers.front().address.port() == 80);
        auto numeric = csnet::getaddrinfo("127.0.0.1", "8080", csnet::af_inet, csnet::sock_stream);
        REQUIRE_FALSE(numeric.empty());
        CHECK(numeric.front().address.port() == 8080);
    }

    TEST_CASE("an address from getaddrinfo can be used to connect") {
        csnet::socket listener = listening_socket();
        auto answers =
            csnet::getaddrinfo("127.0.0.1", listener.getsockname().port(), csnet::af_inet, csnet::sock_stream);
        REQUIRE_FALSE(answers.empty());
        const auto& info = answers.front();
        csnet::socket client(info.family, info.type, info.proto);
        client.connect(info.address);
        CHECK(client.getpeername() == listener.getsockname());
    }

    TEST_CASE("getaddrinfo of a name that does not resolve throws gaierror") {
        try {
            csnet::getaddrinfo("no such host", 80);
            FAIL("getaddrinfo did not throw");
        } catch (const csnet::gaierror& e) {
            CHECK(e.code().category() == csnet::gai_category());
#ifndef _WIN32
            CHECK(e.code().value() == EAI_NONAME);
#endif
            const std::string what = e.what();
            CAPTURE(what);
            CHECK(csnet_test::starts_with(what, "getaddrinfo("));
            CHECK(csnet_test::contains(what, "no such host"));
            CHECK(csnet_test::has_hint(what));
        }
    }

    TEST_CASE("getaddrinfo of an unknown service name throws gaierror") {
        CHECK_THROWS_AS(csnet::getaddrinfo("127.0.0.1", "no such service"), csnet::gaierror);
    }

    TEST_CASE("gethostbyname gives the IPv4 address as text") {
        CHECK(csnet::gethostbyname("localhost") == "127.0.0.1");
        CHECK(csnet::gethostbyname("127.0.0.1") == "127.0.0.1");
    }

    TEST_CASE("gethostbyname of a name that does not resolve throws gaierror") {
        auto c = catch_as<csnet::gaierror>([] { csnet::gethostbyname("no such host"); });
        REQUIRE(c.thrown);
        CHECK(csnet_test::starts_with(c.what, "gethostbyname("));
        CHECK(csnet_test::contains(c.what, "no such host"));
    }

    TEST_CASE("gethostname gives this machine's name") {
        const std::string name = csnet::gethostname();
        CHECK_FALSE(name.empty());
#ifndef _WIN32
        char native[256] = {};
        REQUIRE(::gethostname(native, sizeof native - 1) == 0);
        CHECK(name == native);
#endif
    }

    TEST_CASE("has_dualstack_ipv6 agrees with what the system lets a socket do") {
        const bool dual = csnet::has_dualstack_ipv6();
        if (dual) {
            csnet::socket s(csnet::af_inet6, csnet::sock_stream);
            CHECK_NOTHROW(s.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0));
            CHECK(s.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) == 0);
        } else {
            MESSAGE("no dual-stack IPv6 here");
        }
    }

    TEST_CASE("localhost reaches a server that listens only on 127.0.0.1") {
        csnet::socket server = csnet::create_server(csnet::address{"127.0.0.1", 0});
        const int port = server.getsockname().port();
        csnet::socket client = csnet::create_connection(csnet::address{"localhost", port}, 5.0);
        CHECK(client.getpeername() == csnet::address{"127.0.0.1", port});
        auto accepted = server.accept();
        CHECK(accepted.second == client.getsockname());
    }

    TEST_CASE("connect and bind resolve localhost too") {
        csnet::socket server(csnet::af_inet, csnet::sock_stream);
        server.bind(csnet::address{"localhost", 0});
        server.listen(1);
        CHECK(server.getsockname().host() == "127.0.0.1");
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(csnet::address{"localhost", server.getsockname().port()});
        CHECK(client.getpeername() == server.getsockname());
    }

    TEST_CASE("localhost reaches a server that listens only on ::1 where localhost names ::1") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        csnet::socket server = csnet::create_server(csnet::address{"::1", 0}, csnet::af_inet6);
        const int port = server.getsockname().port();
        if (localhost_names_ipv6()) {
            csnet::socket client = csnet::create_connection(csnet::address{"localhost", port}, 5.0);
            CHECK(client.family() == csnet::af_inet6);
            CHECK(client.getpeername().host() == "::1");
            CHECK(client.getpeername().port() == port);
        } else {
            MESSAGE("localhost does not name ::1 on this machine: checking that the IPv4 try is refused");
            // Hold 127.0.0.1:port so that nothing can be listening there.
            csnet::socket holder(csnet::af_inet, csnet::sock_stream);
            try {
                holder.bind(csnet::address{"127.0.0.1", port});
            } catch (const csnet::error&) {
                MESSAGE("127.0.0.1:" << port << " is in use by another program: skipped");
                return;
            }
            auto c = catch_as<csnet::error>([&] { csnet::create_connection(csnet::address{"localhost", port}, 5.0); });
            REQUIRE(c.thrown);
            CHECK(c.code == std::errc::connection_refused);
        }
    }

    TEST_CASE("create_connection to ::1 by number works") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        csnet::socket server = csnet::create_server(csnet::address{"::1", 0}, csnet::af_inet6);
        csnet::socket client = csnet::create_connection(server.getsockname(), 5.0);
        CHECK(client.family() == csnet::af_inet6);
        CHECK(client.getpeername() == server.getsockname());
    }

    TEST_CASE("an IPv6 address given to an IPv4 socket is a clear error") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        auto c = catch_as<csnet::error>([&] { s.connect(csnet::address{"::1", 80}); });
        REQUIRE(c.thrown);
        CHECK(csnet_test::starts_with(c.what, "connect("));
        CHECK(csnet_test::has_hint(c.what));
    }

}  // TEST_SUITE
