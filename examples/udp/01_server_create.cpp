// UDP server, step 1 of 6: create the socket (the UDP twin of tcp/01_server_create.cpp).
// The report, section 4, "# Creando el socket TCP/IP", with SOCK_DGRAM for UDP:
//   sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
// The socket exists only inside this program: it has no address yet, so no
// client can reach it. Next, 02_server_bind.cpp gives it an address and a port.
//
// USAGE: udp_01_server_create
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cerr (the report's server prints on stderr)

int main() {
    try {
        // Creating the UDP/IP socket
        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);
        std::cerr << "created a socket: " << sock.family() << ", " << sock.type() << ", " << sock.proto() << '\n';
        // No close() needed: the socket's destructor closes it when main returns.
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
