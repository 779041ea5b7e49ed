// Timeouts, as in Python: settimeout(seconds) bounds each blocking call (and
// the whole of sendall), settimeout(0) makes the socket non-blocking, and
// settimeout(std::nullopt) blocks forever.
#include "support.hpp"

#include <atomic>    // std::atomic
#include <cerrno>    // ETIMEDOUT
#include <chrono>    // std::chrono::milliseconds
#include <optional>  // std::nullopt
#include <sstream>   // std::ostringstream
#include <string>    // std::string
#include <thread>    // std::thread
#include <vector>    // std::vector

#ifndef _WIN32
#    include <fcntl.h>  // fcntl, O_NONBLOCK
#endif

using csnet_test::catch_as;
using csnet_test::connected_pair;
using csnet_test::listening_socket;
using csnet_test::stopwatch;

namespace {

/// A timeout of about 0.2 s took at least ~0.15 s and well under 2 s.
void check_took_about_the_timeout(double took) {
    CAPTURE(took);
    CHECK(took >= 0.15);
    CHECK(took < 2.0);
}

}  // namespace

TEST_SUITE("timeouts") {
    TEST_CASE("a new socket blocks with no timeout") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        CHECK_FALSE(s.gettimeout().has_value());
        CHECK(s.getblocking());
    }

    TEST_CASE("settimeout and gettimeout round-trip seconds durations and nullopt") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.settimeout(0.2);
        REQUIRE(s.gettimeout().has_value());
        CHECK(*s.gettimeout() == doctest::Approx(0.2));
        CHECK(s.getblocking());  // Python: a timeout still counts as blocking

        s.settimeout(std::chrono::milliseconds(250));
        REQUIRE(s.gettimeout().has_value());
        CHECK(*s.gettimeout() == doctest::Approx(0.25));

        s.settimeout(std::chrono::seconds(3));
        REQUIRE(s.gettimeout().has_value());
        CHECK(*s.gettimeout() == doctest::Approx(3.0));

        s.settimeout(std::nullopt);
        CHECK_FALSE(s.gettimeout().has_value());
        CHECK(s.getblocking());
    }

    TEST_CASE("settimeout 0 and setblocking false are the same non-blocking mode") {
        csnet::socket s(csnet::af_inet, csnet::sock_stream);
        s.settimeout(0.0);
        REQUIRE(s.gettimeout().has_value());
        CHECK(*s.gettimeout() == 0.0);
        CHECK_FALSE(s.getblocking());

        s.settimeout(std::nullopt);
        s.setblocking(false);
        REQUIRE(s.gettimeout().has_value());
        CHECK(*s.gettimeout() == 0.0);
        CHECK_FALSE(s.getblocking());

        s.setblocking(true);
        CHECK_FALSE(s.gettimeout().has_value());
        CHECK(s.getblocking());
    }

    TEST_CASE("recv with a timeout throws csnet::timeout after about that long") {
        auto pair = connected_pair();
        pair.server.settimeout(0.2);
        stopwatch clock;
        auto c = catch_as<csnet::timeout>([&] { pair.server.recv(10); });
        const double took = clock.seconds();
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::timed_out);
        check_took_about_the_timeout(took);
    }

    TEST_CASE("a socket is usable after its timeout expired") {
        auto pair = connected_pair();
        pair.server.settimeout(0.2);
        CHECK_THROWS_AS(pair.server.recv(10), csnet::timeout);
        pair.client.sendall("later");
        std::string got;
        for (int i = 0; i < 100 && got.size() < 5; ++i) {
            got += pair.server.recv(5 - got.size());
        }
        CHECK(got == "later");
        CHECK(*pair.server.gettimeout() == doctest::Approx(0.2));
    }

    TEST_CASE("recv_into with a timeout throws csnet::timeout") {
        auto pair = connected_pair();
        pair.server.settimeout(0.2);
        char buffer[8] = {};
        stopwatch clock;
        auto c = catch_as<csnet::timeout>([&] { pair.server.recv_into(buffer); });
        REQUIRE(c.thrown);
        check_took_about_the_timeout(clock.seconds());
    }

    TEST_CASE("accept with a timeout throws csnet::timeout") {
        csnet::socket listener = listening_socket();
        listener.settimeout(0.2);
        stopwatch clock;
        auto c = catch_as<csnet::timeout>([&] { listener.accept(); });
        const double took = clock.seconds();
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::timed_out);
        CHECK(csnet_test::starts_with(c.what, "accept("));
        check_took_about_the_timeout(took);
    }

    TEST_CASE("connect with a timeout throws csnet::timeout when the server's queue is full") {
        // A listener with backlog 0 that never accepts: once its queue is full,
        // the system drops new connection requests and connect() waits.
        csnet::socket listener = listening_socket(csnet::af_inet, 0);
        std::vector<csnet::socket> queued;
        bool timed_out = false;
        double took = 0;
        for (int i = 0; i < 16 && !timed_out; ++i) {
            csnet::socket client(csnet::af_inet, csnet::sock_stream);
            client.settimeout(0.2);
            stopwatch clock;
            try {
                client.connect(listener.getsockname());
                queued.push_back(std::move(client));
            } catch (const csnet::timeout& e) {
                took = clock.seconds();
                timed_out = true;
                CHECK(e.code() == std::errc::timed_out);
                CHECK(csnet_test::starts_with(e.what(), "connect("));
            }
        }
#if defined(__linux__)
        REQUIRE(timed_out);
#else
        if (!timed_out) {
            MESSAGE("this system accepted 16 queued connections: the connect timeout was not reached");
            return;
        }
#endif
        check_took_about_the_timeout(took);
    }

    TEST_CASE("connect_ex with a timeout returns the timed-out error number") {
        csnet::socket listener = listening_socket(csnet::af_inet, 0);
        std::vector<csnet::socket> queued;
        int rc = 0;
        for (int i = 0; i < 16 && rc == 0; ++i) {
            csnet::socket client(csnet::af_inet, csnet::sock_stream);
            client.settimeout(0.2);
            rc = client.connect_ex(listener.getsockname());
            if (rc == 0) {
                queued.push_back(std::move(client));
            }
        }
#if defined(__linux__)
        CHECK(rc == ETIMEDOUT);
#elif defined(_WIN32)
        if (rc != 0) {
            CHECK(rc == WSAETIMEDOUT);
        }
#endif
    }

    TEST_CASE("connect with a timeout to a refused port is refused at once not timed out") {
        csnet::socket holder = csnet_test::reserved_port_without_listener();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.settimeout(5.0);
        stopwatch clock;
        auto c = catch_as<csnet::error>([&] { client.connect(holder.getsockname()); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::connection_refused);
        CHECK(clock.seconds() < 4.0);
    }

    TEST_CASE("connect with a timeout succeeds and the timeout stays on the socket") {
        csnet::socket listener = listening_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.settimeout(2.0);
        client.connect(listener.getsockname());
        CHECK(client.getpeername() == listener.getsockname());
        CHECK(*client.gettimeout() == doctest::Approx(2.0));
        CHECK(client.getblocking());
    }

    TEST_CASE("create_connection's timeout bounds its recv") {
        csnet::socket listener = listening_socket();
        csnet::socket client = csnet::create_connection(listener.getsockname(), 0.2);
        stopwatch clock;
        CHECK_THROWS_AS(client.recv(1), csnet::timeout);
        check_took_about_the_timeout(clock.seconds());
    }

    TEST_CASE("sendall with a timeout to a peer that never reads throws timeout with bytes_sent") {
        auto pair = connected_pair();
        pair.client.setsockopt(csnet::sol_socket, csnet::so_sndbuf, 65536);
        const std::string data = csnet_test::pattern(32u * 1024u * 1024u);
        pair.client.settimeout(0.3);
        stopwatch clock;
        auto c = catch_as<csnet::timeout>([&] { pair.client.sendall(data); });
        const double took = clock.seconds();
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::timed_out);
        CHECK(csnet_test::starts_with(c.what, "sendall("));
        CAPTURE(took);
        CHECK(took >= 0.25);
        CHECK(took < 2.0);
        CHECK(c.bytes_sent > 0);
        CHECK(c.bytes_sent < data.size());

        // Exactly bytes_sent bytes went out, in order: the peer reads them all.
        pair.client.close();
        pair.server.settimeout(10.0);
        std::size_t received = 0;
        bool in_order = true;
        for (int i = 0; i < 100000; ++i) {
            std::string part = pair.server.recv(1 << 20);
            if (part.empty()) {
                break;
            }
            for (std::size_t k = 0; k < part.size() && in_order; ++k) {
                in_order = part[k] == csnet_test::pattern_byte(received + k);
            }
            received += part.size();
        }
        CHECK(in_order);
        CHECK(received == c.bytes_sent);
    }

    TEST_CASE("sendall's timeout bounds the whole call even while the peer keeps reading slowly") {
        auto pair = connected_pair();
        pair.client.setsockopt(csnet::sol_socket, csnet::so_sndbuf, 16384);
        pair.server.setsockopt(csnet::sol_socket, csnet::so_rcvbuf, 16384);
        const std::string data = csnet_test::pattern(64u * 1024u * 1024u);
        std::atomic<bool> stop{false};
        // The reader paces itself (this is not synchronisation): 16 KiB every 20 ms,
        // so every single send makes progress well within the timeout, but 64 MiB
        // would take minutes. It stops on its own after 4 s at most.
        std::thread reader([&] {
            pair.server.settimeout(0.5);
            stopwatch running;
            while (!stop.load() && running.seconds() < 4.0) {
                try {
                    if (pair.server.recv(16384).empty()) {
                        break;
                    }
                } catch (const csnet::timeout&) {
                    continue;
                } catch (const csnet::error&) {
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
        pair.client.settimeout(0.4);
        stopwatch clock;
        auto c = catch_as<csnet::timeout>([&] { pair.client.sendall(data); });
        const double took = clock.seconds();
        stop.store(true);
        reader.join();
        REQUIRE(c.thrown);
        CAPTURE(took);
        CHECK(took >= 0.35);
        CHECK(took < 2.0);  // a per-send timeout would run until the reader gave up (4 s)
        CHECK(c.bytes_sent > 0);
        CHECK(c.bytes_sent < data.size());
    }

    TEST_CASE("sendall with a tiny send buffer and a timeout loops over partial sends") {
        auto pair = connected_pair();
        pair.client.setsockopt(csnet::sol_socket, csnet::so_sndbuf, 4096);
        const std::string data = csnet_test::pattern(2u * 1024u * 1024u);
        std::size_t received = 0;
        bool in_order = true;
        pair.server.settimeout(10.0);
        std::thread reader([&] {
            for (int i = 0; i < 1000000 && received < data.size(); ++i) {
                std::string part = pair.server.recv(65536);
                if (part.empty()) {
                    break;
                }
                for (std::size_t k = 0; k < part.size() && in_order; ++k) {
                    in_order = part[k] == data[received + k];
                }
                received += part.size();
            }
        });
        pair.client.settimeout(10.0);
        std::ostringstream trace;
        csnet::set_trace(&trace);
        CHECK_NOTHROW(pair.client.sendall(data));
        csnet::set_trace(nullptr);
        reader.join();
        CHECK(received == data.size());
        CHECK(in_order);
        // More than one send() reached the system: sendall looped over partial sends.
        const std::string lines = trace.str();
        std::size_t sends = 0;
        for (std::size_t at = lines.find("[csnet] send("); at != std::string::npos;
             at = lines.find("[csnet] send(", at + 1)) {
            ++sends;
        }
        CAPTURE(sends);
        CHECK(sends > 1);
    }

    TEST_CASE("accepted sockets start blocking with no timeout whatever the listener had") {
        SUBCASE("listener with a timeout") {
            csnet::socket listener = listening_socket();
            listener.settimeout(2.0);
            csnet::socket client(csnet::af_inet, csnet::sock_stream);
            client.connect(listener.getsockname());
            auto accepted = listener.accept();
            CHECK_FALSE(accepted.first.gettimeout().has_value());
            CHECK(accepted.first.getblocking());
#ifndef _WIN32
            CHECK((::fcntl(accepted.first.fileno(), F_GETFL) & O_NONBLOCK) == 0);
#endif
        }
        SUBCASE("non-blocking listener") {
            csnet::socket listener = listening_socket();
            csnet::socket client(csnet::af_inet, csnet::sock_stream);
            client.connect(listener.getsockname());
            listener.setblocking(false);
            std::optional<std::pair<csnet::socket, csnet::address>> accepted;
            // The connection is complete once connect() returned; allow for a
            // slow system with a bounded number of tries.
            for (int i = 0; i < 100000 && !accepted; ++i) {
                try {
                    accepted = listener.accept();
                } catch (const csnet::error& e) {
                    REQUIRE(e.code() == std::errc::operation_would_block);
                }
            }
            REQUIRE(accepted.has_value());
            CHECK_FALSE(accepted->first.gettimeout().has_value());
            CHECK(accepted->first.getblocking());
#ifndef _WIN32
            CHECK((::fcntl(accepted->first.fileno(), F_GETFL) & O_NONBLOCK) == 0);
#endif
            // It really blocks: with data on the way, recv waits for it instead of
            // failing with would-block.
            std::thread sender([&] { client.sendall("blocking"); });
            std::string got = accepted->first.recv(8, csnet::msg_waitall);
            sender.join();
            CHECK(got == "blocking");
        }
    }

    TEST_CASE("a timeout of a duration of zero is non-blocking too") {
        auto pair = connected_pair();
        pair.server.settimeout(std::chrono::milliseconds(0));
        CHECK_FALSE(pair.server.getblocking());
        auto c = catch_as<csnet::error>([&] { pair.server.recv(1); });
        REQUIRE(c.thrown);
        CHECK(c.code == std::errc::operation_would_block);
    }

}  // TEST_SUITE
