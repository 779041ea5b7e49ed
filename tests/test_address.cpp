// address: Python's (host, port) tuple, checked when it is made.
#include "support.hpp"

#include <sstream>      // std::ostringstream
#include <string>       // std::string
#include <type_traits>  // std::is_same_v

using csnet_test::catch_as;
using csnet_test::contains;

namespace {

std::string printed(const csnet::address& a) {
    std::ostringstream out;
    out << a;
    return out.str();
}

/// Constructing the address throws csnet::error with invalid_argument and a
/// message that quotes what was wrong.
void check_rejected(const std::string& host, int port, const std::string& quoted) {
    CAPTURE(host);
    CAPTURE(port);
    auto c = catch_as<csnet::error>([&] {
        csnet::address a{host, port};
        (void)a;
    });
    REQUIRE(c.thrown);
    CHECK(c.code == std::errc::invalid_argument);
    CHECK(contains(c.what, quoted));
}

}  // namespace

TEST_SUITE("address") {
    TEST_CASE("a default address is the empty host and port 0") {
        csnet::address a;
        CHECK(a.host() == "");
        CHECK(a.port() == 0);
    }

    TEST_CASE("host port and to_string return a std::string and an int by value") {
        // By value, as API.md says: a reference into a temporary address would
        // dangle in `for (char c : sock.getsockname().host())`.
        CHECK(std::is_same_v<decltype(std::declval<const csnet::address&>().host()), std::string>);
        CHECK(std::is_same_v<decltype(std::declval<const csnet::address&>().port()), int>);
        CHECK(std::is_same_v<decltype(std::declval<const csnet::address&>().to_string()), std::string>);
        std::string seen;
        for (char c : csnet::address{"127.0.0.1", 1}.host()) {
            seen += c;
        }
        CHECK(seen == "127.0.0.1");
    }

    TEST_CASE("an address keeps its host and port") {
        csnet::address a{"127.0.0.1", 9999};
        CHECK(a.host() == "127.0.0.1");
        CHECK(a.port() == 9999);
        const std::string name = "localhost";
        csnet::address b{name, 80};
        CHECK(b.host() == "localhost");
        CHECK(b.port() == 80);
    }

    TEST_CASE("an address prints as host colon port with IPv6 in brackets") {
        csnet::address v4{"127.0.0.1", 9999};
        CHECK(v4.to_string() == "127.0.0.1:9999");
        CHECK(printed(v4) == "127.0.0.1:9999");
        csnet::address v6{"::1", 9999};
        CHECK(v6.to_string() == "[::1]:9999");
        CHECK(printed(v6) == "[::1]:9999");
        csnet::address name{"localhost", 80};
        CHECK(name.to_string() == "localhost:80");
    }

    TEST_CASE("addresses compare by host text and port") {
        CHECK(csnet::address{"127.0.0.1", 1} == csnet::address{"127.0.0.1", 1});
        CHECK_FALSE(csnet::address{"127.0.0.1", 1} != csnet::address{"127.0.0.1", 1});
        CHECK(csnet::address{"127.0.0.1", 1} != csnet::address{"127.0.0.1", 2});
        CHECK(csnet::address{"127.0.0.1", 1} != csnet::address{"127.0.0.2", 1});
        // localhost is a name, not the same text as 127.0.0.1.
        CHECK(csnet::address{"localhost", 1} != csnet::address{"127.0.0.1", 1});
        CHECK_FALSE(csnet::address{"localhost", 1} == csnet::address{"127.0.0.1", 1});
    }

    TEST_CASE("an address unpacks into host and port with structured bindings") {
        const csnet::address a{"127.0.0.1", 4242};
        auto [host, port] = a;
        static_assert(std::is_same_v<std::decay_t<decltype(host)>, std::string>);
        static_assert(std::is_same_v<std::decay_t<decltype(port)>, int>);
        CHECK(host == "127.0.0.1");
        CHECK(port == 4242);
        static_assert(std::tuple_size<csnet::address>::value == 2);
    }

    TEST_CASE("valid numeric hosts and the port range ends are accepted") {
        for (const char* host :
             {"0.0.0.0", "127.0.0.1", "255.255.255.255", "10.1.2.3", "::", "::1", "fe80::1", "2001:db8::8a2e:370:7334",
              "::ffff:192.0.2.1", "1:2:3:4:5:6:7:8", "localhost", "example.org", ""}) {
            CAPTURE(host);
            CHECK_NOTHROW(csnet::address{host, 0});
            CHECK_NOTHROW(csnet::address{host, 65535});
        }
    }

    TEST_CASE("a port above 65535 is rejected before reaching the network") {
        check_rejected("127.0.0.1", 70000, "70000");
        check_rejected("127.0.0.1", 65536, "65536");
    }

    TEST_CASE("a negative port is rejected") { check_rejected("127.0.0.1", -1, "-1"); }

    TEST_CASE("an IPv4 address with a part above 255 is rejected") { check_rejected("256.1.1.1", 80, "256.1.1.1"); }

    TEST_CASE("an IPv4 address with too few parts is rejected") {
        check_rejected("1.2.3", 80, "1.2.3");
        check_rejected("127.1", 80, "127.1");
    }

    TEST_CASE("an IPv4 address with too many parts is rejected") { check_rejected("1.2.3.4.5", 80, "1.2.3.4.5"); }

    TEST_CASE("a malformed IPv6 address is rejected") {
        check_rejected("::g", 80, "::g");
        check_rejected("1:2:3:4:5:6:7:8:9", 80, "1:2:3:4:5:6:7:8:9");
    }

    TEST_CASE("an IPv6 address in brackets is rejected") { check_rejected("[::1]", 80, "[::1]"); }

    TEST_CASE("hex and octal IPv4 forms are rejected, not read as numbers by the system") {
        check_rejected("0x7f.0.0.1", 80, "0x7f.0.0.1");
        check_rejected("0x7f000001", 80, "0x7f000001");
        check_rejected("017.0.0.1", 80, "017.0.0.1");
    }

    TEST_CASE("an IPv6 zone after % must be one interface name or number") {
        check_rejected("::1%", 80, "::1%");
        check_rejected("::1%%", 80, "::1%%");
        CHECK(csnet::address{"fe80::1%1", 80}.host() == "fe80::1%1");
    }

    TEST_CASE("the address error is a csnet error that names the address") {
        try {
            csnet::address a{"256.1.1.1", 80};
            (void)a;
            FAIL("no exception");
        } catch (const std::system_error& e) {
            // Catchable as the standard type too.
            CHECK(e.code() == std::errc::invalid_argument);
            CHECK(contains(e.what(), "256.1.1.1"));
        }
    }

    TEST_CASE("getsockname gives the bound loopback address and the port the system chose") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.bind(csnet::address{"127.0.0.1", 0});
        csnet::address a = s.getsockname();
        CHECK(a.host() == "127.0.0.1");
        CHECK(a.port() > 0);
        CHECK(a.port() <= 65535);
    }

    TEST_CASE("getsockname gives ::1 for a socket bound to IPv6 loopback") {
        CSNET_REQUIRE_IPV6_OR_SKIP();
        csnet::socket s(csnet::af_inet6, csnet::sock_stream);
        s.bind(csnet::address{"::1", 0});
        csnet::address a = s.getsockname();
        CHECK(a.host() == "::1");
        CHECK(a.port() > 0);
        CHECK(a.to_string() == "[::1]:" + std::to_string(a.port()));
    }

}  // TEST_SUITE
