// TCP server, step 3 of 6: listen.
// The report, section 4, "Escuchando conexiones entrantes":
//   sock.listen(1)
// From here on the operating system answers clients' connection requests (the
// three-way handshake) by itself and queues them; accept() (next step) takes them
// from that queue. This program stops right after listen(), closing the socket.
//
// USAGE: tcp_03_server_listen [HOST] [PORT]      (default: 127.0.0.1 9999)
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

    // Listening for incoming connections
    sock.listen(1);
    std::cerr << "listening: the system now accepts connections and queues them\n";
  } catch (const std::logic_error&) {
    std::cerr << "usage: tcp_03_server_listen [HOST] [PORT]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
