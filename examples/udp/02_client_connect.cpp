// UDP client, step 2 of 5: there is NO connection to make in UDP.
// Python, TCP (tcp/05_client_close.py):
//   sock.connect((host, port))
// UDP sends nothing before the data itself: no handshake, and nobody needs to be
// listening. The client just keeps the server's address and names it in every
// sendto() (next step). So this program sends nothing at all: it works even
// when no server is running. (connect() on a UDP socket exists, but it only
// remembers a default address: see examples/compare/03_server_absent.cpp.)
//
// USAGE: udp_02_client_connect [HOST] [PORT]     (default: 127.0.0.1 9999)
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_02_client_connect [HOST] [PORT]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_02_client_connect 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = argc > 2 ? std::stoi(argv[2]) : 9999;

        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);
        std::cout << "Family : " << sock.family() << '\n';
        std::cout << "Type : " << sock.type() << '\n';
        std::cout << "Protocol: " << sock.proto() << '\n';
        std::cout << '\n';

        csnet::address server_address{host, port};
        // No connect(): UDP has no connection; each sendto() names server_address
        std::cout << "no connection: datagrams will go to " << server_address << '\n';
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
