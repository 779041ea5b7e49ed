// UDP server, step 4 of 6: there is NO accept() in UDP; recvfrom() takes its place.
// The report, section 4 (TCP):
//   while True:
//       print >>sys.stderr, 'Esperando para conectarse'
//       connection, client_address = sock.accept()
// UDP has no connection to accept: each datagram arrives on the one bound socket,
// and recvfrom() says who sent it. So the UDP server waits for a datagram instead:
//   data, client_address = sock.recvfrom(4096)
// This step only prints it; 05_server_echo.cpp sends it back.
//
// USAGE: udp_04_server_accept [HOST] [PORT] [--once]   (--once: one datagram, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_04_server_accept [HOST] [PORT] [--once]";
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bool once = std::find(args.begin(), args.end(), "--once") != args.end();
        args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
        std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_04_server_accept 9999" puts a PORT where the HOST goes: show the usage
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
