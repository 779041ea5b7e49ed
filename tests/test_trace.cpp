// Tracing: csnet::set_trace(&stream) prints one line per system call, as
// API.md shows ("[csnet] socket(AF_INET, SOCK_STREAM) -> fd 3"), and
// set_trace(nullptr) stops it.
#include "support.hpp"

#include <sstream>  // std::ostringstream, std::istringstream
#include <string>   // std::string
#include <thread>   // std::thread
#include <vector>   // std::vector

using csnet_test::contains;
using csnet_test::starts_with;

namespace {

/// Stops tracing when the test ends, even if it fails.
struct trace_guard {
    ~trace_guard() { csnet::set_trace(nullptr); }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

/// "fd 3" on POSIX, "socket 123" on Windows: what the trace calls a handle.
std::string handle_text(const csnet::socket& s) {
#ifdef _WIN32
    return "socket " + std::to_string(static_cast<unsigned long long>(s.fileno()));
#else
    return "fd " + std::to_string(s.fileno());
#endif
}

bool any_line(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& line : lines) {
        if (line == text) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_SUITE("trace") {
    TEST_CASE("the trace shows socket bind listen connect accept recv and sendall as API.md does") {
        trace_guard guard;
        std::ostringstream out;
        csnet::set_trace(&out);

        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        sock.bind(csnet::address{"127.0.0.1", 0});
        const int port = sock.getsockname().port();
        sock.listen(1);
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(csnet::address{"127.0.0.1", port});
        auto accepted = sock.accept();
        client.sendall("Hola mundo");
        std::string got;
        for (int i = 0; i < 100 && got.size() < 10; ++i) {
            got += accepted.first.recv(19);
        }
        csnet::set_trace(nullptr);
        REQUIRE(got == "Hola mundo");

        const std::string text = out.str();
        const auto lines = lines_of(text);
        CAPTURE(text);
        REQUIRE_FALSE(lines.empty());
        for (const auto& line : lines) {
            CHECK(starts_with(line, "[csnet] "));
            CHECK(contains(line, " -> "));
        }
        CHECK(any_line(lines, "[csnet] socket(AF_INET, SOCK_STREAM) -> " + handle_text(sock)));
        CHECK(any_line(lines, "[csnet] bind(" + handle_text(sock) + ", 127.0.0.1:0) -> ok"));
        CHECK(any_line(lines, "[csnet] recv(" + handle_text(accepted.first) + ", 19) -> 10 bytes \"Hola mundo\""));
        CHECK(contains(text, "[csnet] listen(" + handle_text(sock)));
        CHECK(contains(text, "[csnet] connect(" + handle_text(client) + ", 127.0.0.1:" + std::to_string(port)));
        CHECK(contains(text, "[csnet] accept(" + handle_text(sock)));
        CHECK(contains(text, "[csnet] send"));
        CHECK(text.back() == '\n');
    }

    TEST_CASE("set_trace nullptr stops the trace") {
        trace_guard guard;
        std::ostringstream out;
        csnet::set_trace(&out);
        { csnet::socket first(csnet::af_inet, csnet::sock_dgram); }
        const std::string before = out.str();
        CHECK_FALSE(before.empty());
        csnet::set_trace(nullptr);
        { csnet::socket second(csnet::af_inet, csnet::sock_dgram); }
        CHECK(out.str() == before);
    }

    TEST_CASE("a failed call is traced with its error") {
        trace_guard guard;
        csnet::socket holder = csnet_test::reserved_port_without_listener();
        std::ostringstream out;
        csnet::set_trace(&out);
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        CHECK_THROWS_AS(client.connect(holder.getsockname()), csnet::error);
        csnet::set_trace(nullptr);
        const std::string text = out.str();
        CAPTURE(text);
        CHECK(contains(text, "[csnet] connect(" + handle_text(client)));
        CHECK(contains(text, "-> error: " + csnet_test::os_error_tag()));
    }

    TEST_CASE("set_trace takes any output stream type") {
        trace_guard guard;
        std::stringstream out;  // not an ostringstream: the template takes it
        csnet::set_trace(&out);
        { csnet::socket s(csnet::af_inet6, csnet::sock_dgram); }
        csnet::set_trace(nullptr);
        CHECK(starts_with(out.str(), "[csnet] socket(AF_INET6, SOCK_DGRAM) -> "));
    }

    TEST_CASE("trace lines from several threads never mix mid-line") {
        trace_guard guard;
        std::ostringstream out;
        csnet::set_trace(&out);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([] {
                for (int i = 0; i < 50; ++i) {
                    csnet::socket s(csnet::af_inet, csnet::sock_dgram);
                    s.bind(csnet::address{"127.0.0.1", 0});
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        csnet::set_trace(nullptr);
        const auto lines = lines_of(out.str());
        CHECK(lines.size() >= 4u * 50u * 2u);
        std::size_t well_formed = 0;
        for (const auto& line : lines) {
            if (starts_with(line, "[csnet] ") && line.find("[csnet] ", 1) == std::string::npos) {
                ++well_formed;
            }
        }
        CHECK(well_formed == lines.size());
    }

}  // TEST_SUITE
