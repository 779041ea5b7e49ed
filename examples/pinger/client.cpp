// The UDP pinger client of Kurose & Ross ("Computer Networking: A Top-Down
// Approach", socket programming assignment "UDP Pinger"), in C++ with csnet.
//
// It sends COUNT datagrams "Ping <seq> <time>", one after the other. For each
// one it waits at most TIMEOUT seconds: if the answer comes, it prints it with the
// round-trip time (RTT); if not, it prints "Request timed out" and goes on, as
// UDP itself does: nothing is sent again. At the end it prints the summary that
// the ping command prints (sent, received, loss, min/avg/max RTT).
// An answer that comes too late belongs to an earlier ping: its sequence number
// says so, and it is not taken as the answer to the current one.
// Python twin: pinger_client.py (the same output).
//
// USAGE: pinger_client HOST PORT [--count N] [--timeout S]   (10 pings, 1.0 s)
#include <csnet.hpp>

#include "text.hpp"  // pinger::parse_number, parse_whole, add_positional, preview

#include <algorithm>  // std::min_element, std::max_element
#include <chrono>     // std::chrono::steady_clock, system_clock
#include <cstdio>     // std::snprintf
#include <exception>  // std::exception
#include <iomanip>    // std::setprecision
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string
#include <vector>     // std::vector

namespace {

const char* const usage =
    "usage: pinger_client HOST PORT [--count N] [--timeout S]\n"
    "  HOST PORT    the pinger server (pinger_server listens on 127.0.0.1 12000)\n"
    "  --count N    how many pings to send (default 10)\n"
    "  --timeout S  seconds to wait for each answer (default 1.0)\n"
    "exit status: 0 if at least one ping was answered, 1 if none, 2 bad arguments\n";

// Seconds since 1970 with 6 decimals, as Python's "%.6f" % time.time().
std::string wall_clock_text() {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    long long micro = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    char text[40];
    std::snprintf(text, sizeof text, "%lld.%06lld", micro / 1000000, micro % 1000000);
    return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string milliseconds_text(double seconds) {
    char text[40];
    std::snprintf(text, sizeof text, "%.3f", seconds * 1000.0);
    return text;
}

}  // namespace

int main(int argc, char* argv[]) {
    std::string host;
    int port = 0;
    int count = 10;
    double timeout = 1.0;
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        std::vector<std::string> positional;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "--help" || args[i] == "-h") {
                std::cout << usage;
                return 0;
            } else if (args[i] == "--count" && i + 1 < args.size()) {
                count = static_cast<int>(pinger::parse_whole(args[++i], 1000000));
                if (count < 1) throw std::invalid_argument("--count");
            } else if (args[i] == "--timeout" && i + 1 < args.size()) {
                timeout = pinger::parse_number(args[++i]);
                if (!(timeout > 0 && timeout <= 3600)) throw std::invalid_argument("--timeout");
            } else {
                pinger::add_positional(args[i], positional);  // HOST or PORT
            }
        }
        if (positional.size() != 2) throw std::invalid_argument("HOST PORT");
        host = positional[0];
        port = static_cast<int>(pinger::parse_whole(positional[1], 65535));
        if (port < 1) throw std::invalid_argument("PORT");
    } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
        std::cerr << usage;
        return 2;
    }

    try {
        // A UDP socket: no connect(), each sendto() names the server
        bool ipv6 = host.find(':') != std::string::npos;
        csnet::socket sock(ipv6 ? csnet::af_inet6 : csnet::af_inet, csnet::sock_dgram);
        csnet::address server_address{host, port};
        std::cout << "PING " << host << " port " << port << ": " << count << " pings, timeout " << timeout << " s"
                  << std::endl;

        std::vector<double> rtts;  // the round-trip time of each answered ping, seconds
        for (int seq = 1; seq <= count; ++seq) {
            // The assignment's message: "Ping sequence_number time"
            std::string message = "Ping " + std::to_string(seq) + " " + wall_clock_text();
            auto start = std::chrono::steady_clock::now();
            sock.sendto(message, server_address);

            // The answer we wait for starts with "PING <seq> " (the server upper-cases).
            // Anything else is a late answer to an earlier ping, or not an answer at
            // all: say so and keep waiting, but never past TIMEOUT from the sending.
            std::string expected = "PING " + std::to_string(seq) + " ";
            bool answered = false;
            while (!answered) {
                double left = timeout - seconds_since(start);
                if (left <= 0) break;
                sock.settimeout(left);
                try {
                    auto [reply, from] = sock.recvfrom(65536);
                    double rtt = seconds_since(start);
                    if (reply.compare(0, expected.size(), expected) == 0) {
                        std::cout << "Reply from " << from.host() << " port " << from.port() << ": "
                                  << pinger::preview(reply) << "  rtt=" << milliseconds_text(rtt) << " ms" << std::endl;
                        rtts.push_back(rtt);
                        answered = true;
                    } else {
                        std::cout << "  (ignored " << reply.size() << " bytes that are not the answer to ping " << seq
                                  << ": \"" << pinger::preview(reply) << "\")" << std::endl;
                    }
                } catch (const csnet::timeout&) {
                    break;  // TIMEOUT seconds went by: this ping is lost
                } catch (const csnet::error& e) {
                    // Windows may report that the server's port is closed (ICMP)
                    std::cout << "  (" << e.code().message() << ")" << std::endl;
                    break;
                }
            }
            if (!answered) {
                std::cout << "Request timed out (ping " << seq << ")" << std::endl;
            }
        }

        // The summary, as ping prints it
        std::size_t received = rtts.size();
        double loss_percent = 100.0 * static_cast<double>(static_cast<std::size_t>(count) - received) / count;
        std::cout << "\n--- " << host << " port " << port << " ping statistics ---\n";
        std::cout << count << " packets transmitted, " << received << " received, " << std::setprecision(3)
                  << loss_percent << "% packet loss\n";
        if (received > 0) {
            double sum = 0;
            for (double rtt : rtts) sum += rtt;
            std::cout << "rtt min/avg/max = " << milliseconds_text(*std::min_element(rtts.begin(), rtts.end())) << "/"
                      << milliseconds_text(sum / static_cast<double>(received)) << "/"
                      << milliseconds_text(*std::max_element(rtts.begin(), rtts.end())) << " ms\n";
        }
        return received > 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
