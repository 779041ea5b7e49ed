// UDP server, step 3 of 6: there is NO listen() in UDP.
// The report, section 4, "Escuchando conexiones entrantes":
//   sock.listen(1)
// UDP has no connections, so there is nothing to listen for: once bound, the
// socket already receives every datagram sent to its port. This program asks
// anyway, to show what the system says (Python: OSError: [Errno 95] Operation
// not supported). The UDP server goes on from 02 straight to recvfrom() (04).
//
// USAGE: udp_03_server_listen [HOST] [PORT]      (default: 127.0.0.1 9999)
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_03_server_listen [HOST] [PORT]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_03_server_listen 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = argc > 2 ? std::stoi(argv[2]) : 9999;

        // Creating the UDP/IP socket
        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);

        // Binding the socket to the address and port
        csnet::address server_address{host, port};
        sock.bind(server_address);
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << '\n';

        // No listening in UDP: a bound socket already receives datagrams
        try {
            sock.listen(1);
        } catch (const csnet::error& e) {
            std::cerr << "listen() on a UDP socket fails: " << e.what() << '\n';
        }
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
