// Hints: the line of advice under an error must point the right way. Each case
// makes the mistake for real, over loopback, and reads what a student would read.
#include "support.hpp"

#include <chrono>   // std::chrono::nanoseconds
#include <cstdlib>  // setenv, unsetenv (_putenv_s on Windows)
#include <string>   // std::string

using csnet_test::catch_as;
using csnet_test::contains;
using csnet_test::listening_socket;
using csnet_test::reserved_port_without_listener;
using csnet_test::starts_with;

namespace {

/// The hint line of an error message, without "hint: " (or "pista: ").
std::string hint_of(const std::string& what) {
    for (const char* label : {"\nhint: ", "\npista: "}) {
        const std::size_t at = what.find(label);
        if (at != std::string::npos) return what.substr(at + std::string(label).size());
    }
    return "";
}

/// Switches the hints to Spanish for one test case, and back to English after it.
struct spanish_hints {
    spanish_hints() { csnet::detail::set_language_for_tests(csnet::detail::language::spanish); }
    ~spanish_hints() { csnet::detail::set_language_for_tests(csnet::detail::language::english); }
    spanish_hints(const spanish_hints&) = delete;
    spanish_hints& operator=(const spanish_hints&) = delete;
};

void set_environment(const char* name, const char* value) {
#ifdef _WIN32
    _putenv_s(name, value == nullptr ? "" : value);  // "" removes it
#else
    if (value == nullptr) {
        unsetenv(name);
    } else {
        setenv(name, value, 1);
    }
#endif
}

}  // namespace

TEST_SUITE("hints") {
    // ---- Address already in use: three different truths -------------------------

    TEST_CASE("a TCP port held by a listener, so_reuseaddr not set: both causes and so_reuseaddr are named") {
        csnet::socket holder = listening_socket();
        const int port = holder.getsockname().port();
        csnet::socket second(csnet::af_inet, csnet::sock_stream);
        const auto c = catch_as<csnet::error>([&] { second.bind({"127.0.0.1", port}); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::address_in_use);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "port " + std::to_string(port)));
        CHECK(contains(hint, "another program"));
#ifndef _WIN32
        CHECK(contains(hint, "TIME_WAIT"));
        CHECK(contains(hint, "so_reuseaddr before bind()"));
#endif
    }

    TEST_CASE("a TCP port held by a listener, so_reuseaddr already set: no advice to set it again") {
        csnet::socket holder = listening_socket();
        const int port = holder.getsockname().port();
        csnet::socket second(csnet::af_inet, csnet::sock_stream);
        second.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        const auto c = catch_as<csnet::error>([&] { second.bind({"127.0.0.1", port}); });
        REQUIRE(c.thrown);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "another program"));
        CHECK_FALSE(contains(hint, "set so_reuseaddr before"));
    }

    TEST_CASE("a UDP port in use: the hint warns that so_reuseaddr would share the port, not fix it") {
        csnet::socket holder = csnet_test::bound_udp_socket();
        const int port = holder.getsockname().port();
        csnet::socket second(csnet::af_inet, csnet::sock_dgram);
        const auto c = catch_as<csnet::error>([&] { second.bind({"127.0.0.1", port}); });
        REQUIRE(c.thrown);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "UDP port " + std::to_string(port)));
        CHECK(contains(hint, "so_reuseaddr would not help"));
        CHECK_FALSE(contains(hint, "TIME_WAIT"));
    }

#ifndef _WIN32  // Windows lets a new socket bind over TIME_WAIT without any option
    /// The port of a server that served one client and closed first, as the report's
    /// server does: its side of the connection waits in TIME_WAIT; no socket is open.
    int port_left_in_time_wait(bool server_sets_reuseaddr) {
        csnet::socket listener(csnet::af_inet, csnet::sock_stream);
        if (server_sets_reuseaddr) listener.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        listener.bind({"127.0.0.1", 0});
        listener.listen(1);
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(listener.getsockname());
        auto accepted = listener.accept();
        accepted.first.close();  // the server closes first
        CHECK(client.recv(1).empty());
        return listener.getsockname().port();
    }

    TEST_CASE("only TIME_WAIT holds the port: the hint names it, and so_reuseaddr in both runs takes it back") {
        const int port = port_left_in_time_wait(true);
        csnet::socket restarted(csnet::af_inet, csnet::sock_stream);
        const auto c = catch_as<csnet::error>([&] { restarted.bind({"127.0.0.1", port}); });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "TIME_WAIT"));
        CHECK(contains(hint_of(c.what), "so_reuseaddr before bind(), in every run"));
        csnet::socket with_option(csnet::af_inet, csnet::sock_stream);
        with_option.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        CHECK_NOTHROW(with_option.bind({"127.0.0.1", port}));
    }

    TEST_CASE("TIME_WAIT left by a run without so_reuseaddr: setting it now is not enough, and the hint says so") {
        const int port = port_left_in_time_wait(false);
        csnet::socket with_option(csnet::af_inet, csnet::sock_stream);
        with_option.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        const auto c = catch_as<csnet::error>([&] { with_option.bind({"127.0.0.1", port}); });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "only if the run that left them did not set it too"));
    }
#endif

    // ---- Using a socket in the wrong order ------------------------------------------

    TEST_CASE("sendall on a TCP socket that never connected says: connect first") {
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        const auto c = catch_as<csnet::error>([&] { sock.sendall("Hola mundo"); });
        REQUIRE(c.thrown);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "connect() first"));
        CHECK_FALSE(contains(hint, "peer"));
    }

    TEST_CASE("sendall after the peer left still says the peer closed") {
        auto pair = csnet_test::connected_pair();
        pair.server.close();
        CHECK(pair.client.recv(1).empty());
        const auto c = catch_as<csnet::error>([&] {
            for (int i = 0; i < 100; ++i) pair.client.sendall(std::string(1000, 'x'));  // the reset comes back
        });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "peer"));
        CHECK_FALSE(contains(hint_of(c.what), "connect() first"));
    }

    TEST_CASE("accept() without listen() on TCP says: call listen() first") {
        csnet::socket sock = reserved_port_without_listener();
        const auto c = catch_as<csnet::error>([&] { sock.accept(); });
        REQUIRE(c.thrown);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "call listen() first"));
        CHECK_FALSE(contains(hint, "UDP"));
    }

    TEST_CASE("accept() on a UDP socket says UDP has no accept") {
        csnet::socket sock = csnet_test::bound_udp_socket();
        const auto c = catch_as<csnet::error>([&] { sock.accept(); });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "recvfrom()"));
    }

    TEST_CASE("accept() after shutdown() names shutdown, not UDP") {
        csnet::socket listener = listening_socket();
        try {
            listener.shutdown(csnet::shut_rdwr);
        } catch (const csnet::error& e) {
            MESSAGE("this system refuses shutdown() on a listening socket: " << std::string(e.what()));
            CHECK(contains(hint_of(e.what()), "close()"));
            return;
        }
        listener.settimeout(0.5);
        const auto c = catch_as<csnet::error>([&] { listener.accept(); });
        REQUIRE(c.thrown);
        if (c.code == std::errc::timed_out) return;  // the socket still listens here: nothing to advise
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "shutdown()"));
        CHECK_FALSE(contains(hint, "UDP"));
    }

    TEST_CASE("shutdown() on a socket that never connected says what shutdown is for") {
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        const auto c = catch_as<csnet::error>([&] { sock.shutdown(csnet::shut_rdwr); });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "shutdown() is for a connected socket"));
    }

    TEST_CASE("listen() on a connected socket says a server needs its own socket") {
        auto pair = csnet_test::connected_pair();
        const auto c = catch_as<csnet::error>([&] { pair.client.listen(1); });
        if (!c.thrown) {
            MESSAGE("this system lets a connected socket listen");
            return;
        }
        // csnet may refuse it itself (invalid_argument) or leave it to the system: either way the
        // hint speaks of the connection, not of UDP.
        CHECK(contains(hint_of(c.what), "connect"));
        CHECK_FALSE(contains(hint_of(c.what), "UDP"));
    }

    TEST_CASE("UDP send() without connect() says: sendto, or connect first") {
        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);
        const auto c = catch_as<csnet::error>([&] { sock.send("Hola mundo"); });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "sendto(data, address)"));
    }

    // ---- Nobody there -----------------------------------------------------------------

    TEST_CASE("a refused TCP client hears about the server's bind address") {
        csnet::socket holder = reserved_port_without_listener();
        const int port = holder.getsockname().port();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        const auto c = catch_as<csnet::error>([&] { client.connect({"127.0.0.1", port}); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::connection_refused);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "port " + std::to_string(port)));
        CHECK(contains(hint, "start the server first"));
        CHECK(contains(hint, "0.0.0.0"));
    }

    TEST_CASE("a connected UDP client with no server: the ICMP answer, not retransmission") {
        csnet::socket holder = csnet_test::bound_udp_socket();
        const int port = holder.getsockname().port();
        holder.close();  // nobody on that port now
        csnet::socket client(csnet::af_inet, csnet::sock_dgram);
        client.connect({"127.0.0.1", port});
        client.settimeout(2.0);
        const auto c = catch_as<csnet::error>([&] {
            client.send("Hola mundo");
            client.recv(4096);
        });
        REQUIRE(c.thrown);
#ifdef _WIN32
        // csnet turns ICMP reports off on every Windows UDP socket (SIO_UDP_CONNRESET): the client waits.
        CHECK(c.code == std::errc::timed_out);
        return;
#endif
        CHECK(c.code == std::errc::connection_refused);
        const std::string hint = hint_of(c.what);
        CHECK(contains(hint, "UDP port " + std::to_string(port)));
        CHECK(contains(hint, "ICMP"));
        CHECK_FALSE(contains(hint, "retransmit"));
    }

    TEST_CASE("a UDP server goes on after a client left before its echo (Windows: SIO_UDP_CONNRESET off)") {
        csnet::socket server = csnet_test::bound_udp_socket();
        server.settimeout(2.0);
        int gone_port = 0;
        {
            csnet::socket leaving(csnet::af_inet, csnet::sock_dgram);
            leaving.sendto("Hola mundo", server.getsockname());
            gone_port = leaving.getsockname().port();
        }  // the client is gone before its echo
        auto [data, client] = server.recvfrom(4096);
        CHECK(client.port() == gone_port);
        server.sendto(data, client);  // the answer meets a closed port: ICMP "port unreachable"
        csnet::socket next(csnet::af_inet, csnet::sock_dgram);
        next.sendto("siguiente", server.getsockname());
        // Windows' default would fail this recvfrom with WSAECONNRESET; csnet's server gets the datagram.
        auto [second, second_client] = server.recvfrom(4096);
        CHECK(second == "siguiente");
        CHECK(second_client.port() == next.getsockname().port());
    }

    // ---- Addresses and arguments ------------------------------------------------------

    TEST_CASE("host \"localhost:9999\" is told that host and port are separate") {
        const auto c = catch_as<csnet::error>([] { csnet::address a{"localhost:9999", 0}; });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::invalid_argument);
        CHECK(contains(hint_of(c.what), "{\"localhost\", 9999}"));
        CHECK_FALSE(contains(c.what, "IPv6"));
        const auto numeric = catch_as<csnet::error>([] { csnet::address a{"127.0.0.1:80", 0}; });
        CHECK(contains(hint_of(numeric.what), "{\"127.0.0.1\", 80}"));
        // A real IPv6 address is still an IPv6 address.
        CHECK_NOTHROW(csnet::address{"::1", 9999});
        CHECK(contains(catch_as<csnet::error>([] { csnet::address a{"fe80::zz", 0}; }).what, "IPv6"));
    }

    TEST_CASE("an empty host prints as Python writes it: ''") {
        csnet::socket holder(csnet::af_inet, csnet::sock_stream);
        holder.bind({"", 0});
        const int port = holder.getsockname().port();
        csnet::socket second(csnet::af_inet, csnet::sock_stream);
        const auto c = catch_as<csnet::error>([&] { second.bind({"", port}); });
        REQUIRE(c.thrown);
        CHECK(starts_with(c.what, "bind('':" + std::to_string(port) + "): "));
    }

    TEST_CASE("socket(af_unspec) and an unknown family get a hint about families, not about addresses") {
        const auto unspec = catch_as<csnet::error>([] { csnet::socket s(csnet::af_unspec, csnet::sock_stream); });
        REQUIRE(unspec.thrown);
        CHECK(contains(hint_of(unspec.what), "af_unspec is only for getaddrinfo()"));
        const auto unknown = catch_as<csnet::error>(
            [] { csnet::socket s(static_cast<csnet::address_family>(12345), csnet::sock_stream); });
        REQUIRE(unknown.thrown);
        CHECK(contains(hint_of(unknown.what), "not an address family csnet knows"));
        CHECK_FALSE(contains(hint_of(unknown.what), "different families"));
    }

    TEST_CASE("settimeout(1ns) is shown as the time it is, not as 0 s") {
        csnet::socket sock = csnet_test::bound_udp_socket();
        sock.settimeout(std::chrono::nanoseconds(1));
        const auto c = catch_as<csnet::timeout>([&] { sock.recvfrom(10); });
        REQUIRE(c.thrown);
        CHECK(contains(hint_of(c.what), "within the 1e-09 s"));
        CHECK(csnet::detail::seconds_text(2.0) == "2");
        CHECK(csnet::detail::seconds_text(0.2) == "0.2");
    }

    // ---- Spanish --------------------------------------------------------------------

    TEST_CASE("every hint has an English and a Spanish text with the same places for values") {
        const auto places = [](const char* text) {
            int n = 0;
            const std::string s = text;
            for (std::size_t at = s.find("{}"); at != std::string::npos; at = s.find("{}", at + 2)) ++n;
            return n;
        };
        for (int id = 0; id <= static_cast<int>(csnet::detail::hint::selector_closed_while_registered); ++id) {
            int rows = 0;
            for (const auto& row : csnet::detail::hint_table) {
                if (static_cast<int>(row.id) != id) continue;
                ++rows;
                CHECK(std::string(row.english) != "");
                CHECK(std::string(row.spanish) != "");
                CHECK(places(row.english) == places(row.spanish));
                CHECK(places(row.english) <= static_cast<int>(csnet::detail::gap_values::most));
                for (const char* c = row.spanish; *c != '\0'; ++c) CHECK(static_cast<unsigned char>(*c) < 128);
            }
            CHECK_MESSAGE(rows == 1, "hint number " << id);
        }
    }

    TEST_CASE("with Spanish chosen, hints and csnet's own messages are in Spanish; the OS text is not") {
        spanish_hints spanish;
        csnet::socket holder = reserved_port_without_listener();
        const int port = holder.getsockname().port();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        const auto refused = catch_as<csnet::error>([&] { client.connect({"127.0.0.1", port}); });
        REQUIRE(refused.thrown);
        CHECK(contains(refused.what, "\npista: nada escucha en el puerto " + std::to_string(port)));
#ifndef _WIN32
        CHECK(contains(refused.what, "[Errno 111] Connection refused"));  // as the system says it
#endif
        const auto host_port = catch_as<csnet::error>([] { csnet::address a{"localhost:9999", 0}; });
        CHECK(contains(host_port.what,
                       "\npista: \"localhost:9999\": el host y el puerto van separados: "
                       "escribe {\"localhost\", 9999}"));
        const auto bad_port = catch_as<csnet::error>([] { csnet::address a{"127.0.0.1", 70000}; });
        CHECK(contains(bad_port.what, "\npista: un puerto es un numero de 0 a 65535"));
        const auto bad_ipv4 = catch_as<csnet::error>([] { csnet::address a{"256.1.1.1", 1}; });
        CHECK(contains(bad_ipv4.what, "\"256.1.1.1\" no es una direccion IPv4 valida"));
    }

    TEST_CASE("csnet's own messages written elsewhere in the header have their Spanish row") {
        // A message that is changed in English without its row in hint_table would stay in English.
        spanish_hints spanish;
        auto pair = csnet_test::connected_pair();
        const std::string messages[] = {
            catch_as<csnet::error>([&] { pair.client.listen(); }).what,
            catch_as<csnet::error>([&] { pair.client.shutdown(99); }).what,
            catch_as<csnet::error>([&] { pair.client.settimeout(-1.0); }).what,
            catch_as<csnet::error>([] {
                csnet::address a{std::string("127.0.0.1\0x", 11), 1};
            }).what,
            catch_as<csnet::error>([] { csnet::getaddrinfo("localhost", 70000); }).what,
            catch_as<csnet::error>([&] {
                char buffer[4];
                pair.client.recv_into(csnet::mutable_buffer(buffer, 4), 8);
            }).what,
        };
        for (const std::string& what : messages) {
            INFO(what);
            CHECK(contains(what, "\npista: "));
            CHECK_FALSE(contains(hint_of(what), " the "));
        }
    }

    TEST_CASE("the language comes from CSNET_LANG, else from LC_ALL, LC_MESSAGES, LANG") {
        using csnet::detail::language;
        using csnet::detail::language_from_environment;
        const char* names[] = {"CSNET_LANG", "LC_ALL", "LC_MESSAGES", "LANG"};
        std::string saved[4];
        bool had[4] = {};
        for (int i = 0; i < 4; ++i) {
            const std::string value = csnet::detail::environment_text(names[i]);
            had[i] = !value.empty();
            saved[i] = value;
            set_environment(names[i], nullptr);
        }
        CHECK(language_from_environment() == language::english);
        set_environment("LANG", "es_CL.UTF-8");
        CHECK(language_from_environment() == language::spanish);
        set_environment("LC_ALL", "C");  // LC_ALL comes before LANG
        CHECK(language_from_environment() == language::english);
        set_environment("LC_ALL", nullptr);
        set_environment("LC_MESSAGES", "es_ES.UTF-8");
        set_environment("LANG", "en_US.UTF-8");
        CHECK(language_from_environment() == language::spanish);
        set_environment("CSNET_LANG", "en");  // CSNET_LANG decides alone
        CHECK(language_from_environment() == language::english);
        set_environment("CSNET_LANG", "es");
        set_environment("LC_MESSAGES", nullptr);
        CHECK(language_from_environment() == language::spanish);
        for (int i = 0; i < 4; ++i) set_environment(names[i], had[i] ? saved[i].c_str() : nullptr);
    }

}  // TEST_SUITE
