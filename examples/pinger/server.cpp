// The UDP pinger server of Kurose & Ross ("Computer Networking: A Top-Down
// Approach", socket programming assignment "UDP Pinger"), in C++ with csnet.
//
// It answers every datagram with the same text in upper case, except that it
// drops a fraction of them on purpose, at random, to play a network that loses
// packets. UDP does not notice: nothing is sent again, so the client's only clue
// is silence ("Request timed out"). Over TCP the same loss would only show as a
// delay, because TCP sends a lost segment again (see README.md).
// Python twin: pinger_server.py (the same options, the same drops for the same seed).
//
// USAGE: pinger_server [HOST [PORT]] [--loss P] [--seed N]   (127.0.0.1 12000, 0.3)
#include <csnet.hpp>

#include "text.hpp"  // pinger::parse_number, parse_whole, add_positional, preview

#include <cstdint>    // std::uint32_t
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <random>     // std::mt19937, std::random_device
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string
#include <vector>     // std::vector

namespace {

const char* const usage =
    "usage: pinger_server [HOST [PORT]] [--loss P] [--seed N]\n"
    "  HOST      address to listen on (default 127.0.0.1)\n"
    "  PORT      UDP port (default 12000; 0 picks a free port)\n"
    "  --loss P  fraction of datagrams dropped on purpose, 0 to 1 (default 0.3)\n"
    "  --seed N  seed of the random drops, 0 to 4294967295 (default: a random one);\n"
    "            the same seed drops the same datagrams every time\n";

// Python's bytes.upper(): a-z become A-Z, every other byte stays as it is.
std::string upper_case(std::string data) {
    for (char& c : data) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return data;
}

}  // namespace

int main(int argc, char* argv[]) {
    std::string host = "127.0.0.1";
    int port = 12000;
    double loss = 0.3;
    std::uint32_t seed = 0;
    bool seed_given = false;
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        std::vector<std::string> positional;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "--help" || args[i] == "-h") {
                std::cout << usage;
                return 0;
            } else if (args[i] == "--loss" && i + 1 < args.size()) {
                loss = pinger::parse_number(args[++i]);
                if (!(loss >= 0 && loss <= 1)) throw std::invalid_argument("--loss");
            } else if (args[i] == "--seed" && i + 1 < args.size()) {
                seed = static_cast<std::uint32_t>(pinger::parse_whole(args[++i], 4294967295));
                seed_given = true;
            } else {
                pinger::add_positional(args[i], positional);  // HOST or PORT
            }
        }
        if (positional.size() > 0) host = positional[0];
        if (positional.size() > 1) {
            port = static_cast<int>(pinger::parse_whole(positional[1], 65535));
        }
    } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
        std::cerr << usage;
        return 2;
    }

    try {
        // No --seed: a seed from the system's source of randomness
        if (!seed_given) seed = std::random_device{}();

        // Creating the UDP socket: SOCK_DGRAM, no listen(), no accept()
        bool ipv6 = host.find(':') != std::string::npos;
        csnet::socket sock(ipv6 ? csnet::af_inet6 : csnet::af_inet, csnet::sock_dgram);
        sock.bind({host, port});
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;
        std::cerr << "dropping a fraction " << loss << " of the datagrams at random (--loss " << loss << " --seed "
                  << seed << ")" << std::endl;

        // The "network" that loses packets: a Mersenne Twister seeded with N draws
        // one 32-bit number per datagram; a number below loss * 2^32 means "lost".
        // std::mt19937's numbers are the same on every compiler, so a seed always
        // drops the same datagrams (pinger_server.py draws the very same numbers).
        std::mt19937 generator(seed);
        const double threshold = loss * 4294967296.0;  // 2^32

        unsigned long count = 0;
        while (true) {
            // Waiting for a datagram. 65536 bytes holds the largest one UDP can
            // carry, so nothing a client sends is ever cut short.
            std::string data;
            csnet::address client_address;
            try {
                auto received = sock.recvfrom(65536);
                data = received.first;
                client_address = received.second;
            } catch (const csnet::error& e) {
                // Windows reports here that an earlier answer found no one at home
                // (an ICMP "port unreachable"): not this server's problem.
                std::cerr << "recvfrom failed, going on: " << e.code().message() << std::endl;
                continue;
            }
            ++count;
            std::string line = "datagram " + std::to_string(count) + " from ('" + client_address.host() + "', " +
                               std::to_string(client_address.port()) + "): \"" + pinger::preview(data) + "\" (" +
                               std::to_string(data.size()) + " bytes) -> ";

            // Simulating a lost packet: the server simply does not answer
            if (static_cast<double>(generator()) < threshold) {
                std::cerr << line + "dropped (simulated loss)" << std::endl;
                continue;
            }

            // Otherwise the server answers: the same datagram, upper-cased
            try {
                sock.sendto(upper_case(data), client_address);
                std::cerr << line + "echoed in upper case" << std::endl;
            } catch (const csnet::error& e) {
                std::cerr << line + "sendto failed: " + e.code().message() << std::endl;
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
