// UDP server, step 5 of 6: send each datagram back to whoever sent it.
// The report, section 4 (TCP: recv(19) in a loop, then sendall), becomes in UDP:
//   data, client_address = sock.recvfrom(4096)
//   sock.sendto(data, client_address)
// One recvfrom() returns one whole datagram (up to 4096 bytes here; a longer one
// would be cut short and the rest lost), so there is no loop reading chunks and no
// empty "client closed" result: UDP has no connection to close.
//
// USAGE: udp_05_server_echo [HOST] [PORT] [--once]   (--once: one datagram, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_05_server_echo [HOST] [PORT] [--once]";
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bool once = std::find(args.begin(), args.end(), "--once") != args.end();
        args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
        std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_05_server_echo 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = args.size() > 1 ? std::stoi(args[1]) : 9999;

        // Creating the UDP/IP socket
        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);

        // Binding the socket to the address and port
        csnet::address server_address{host, port};
        sock.bind(server_address);
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << '\n';

        // No listening in UDP: a bound socket already receives datagrams

        while (true) {
            // Waiting for a datagram: no connection, each one says who sent it
            std::cerr << "waiting for a datagram\n";
            auto [data, client_address] = sock.recvfrom(4096);
            std::cerr << "received \"" << data << "\" from ('" << client_address.host() << "', "
                      << client_address.port() << ")\n";

            // Send the datagram back, whole, to the address it came from
            sock.sendto(data, client_address);
            if (once) break;
        }
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
