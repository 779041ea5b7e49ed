// TCP server, step 2 of 6: bind the socket to an address and a port.
// The report, section 4, "Enlace de socket y puerto":
//   server_address = ('192.168.1.100', 9999)
//   print >>sys.stderr, 'starting up on %s port %s' % server_address
//   sock.bind(server_address)
// Port 0 asks the system for a free port; getsockname() tells which one it chose,
// so we print after bind() (the report prints before). SO_REUSEADDR, as the Python
// peers do, lets you restart the server at once on the same port.
//
// USAGE: tcp_02_server_bind [HOST] [PORT]        (default: 127.0.0.1 9999)
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <stdexcept>  // std::logic_error (what std::stoi throws for a bad PORT)
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
  try {
    std::string host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? std::stoi(argv[2]) : 9999;

    // Creating the TCP/IP socket
    csnet::socket sock(csnet::af_inet, csnet::sock_stream);
    sock.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);

    // Binding the socket to the address and port
    csnet::address server_address{host, port};
    sock.bind(server_address);
    auto [bound_host, bound_port] = sock.getsockname();
    std::cerr << "starting up on " << bound_host << " port " << bound_port << '\n';
  } catch (const std::logic_error&) {
    std::cerr << "usage: tcp_02_server_bind [HOST] [PORT]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
