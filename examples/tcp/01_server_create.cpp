// TCP server, step 1 of 6: create the socket.
// The report, section 4, "# Creando el socket TCP/IP":
//   sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
// The socket exists only inside this program: it has no address yet, so no
// client can reach it. Next, 02_server_bind.cpp gives it an address and a port.
//
// USAGE: tcp_01_server_create
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cerr (the report's server prints on stderr)

int main() {
    try {
        // Creating the TCP/IP socket
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        std::cerr << "created a socket: " << sock.family() << ", " << sock.type() << ", " << sock.proto() << '\n';
        // No close() needed: the socket's destructor closes it when main returns.
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
