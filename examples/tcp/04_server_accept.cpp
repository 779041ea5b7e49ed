// TCP server, step 4 of 6: accept connections, one after another.
// The report, section 4:
//   while True:
//       print >>sys.stderr, 'waiting for a connection'
//       connection, client_address = sock.accept()
//       print >>sys.stderr, 'client connected:', client_address
// accept() waits for a client and returns a NEW socket for that one connection,
// plus the client's address. This step does not talk to the client yet: the
// connection is closed at the end of each turn of the loop (its destructor).
//
// USAGE: tcp_04_server_accept [HOST] [PORT] [--once]   (--once: serve one client, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <stdexcept>  // std::logic_error (what std::stoi throws for a bad PORT)
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool once = std::find(args.begin(), args.end(), "--once") != args.end();
    args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
    std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
    int port = args.size() > 1 ? std::stoi(args[1]) : 9999;

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

    while (true) {
      // Waiting for a connection
      std::cerr << "waiting for a connection\n";
      auto [connection, client_address] = sock.accept();
      std::cerr << "client connected: ('" << client_address.host() << "', "
                << client_address.port() << ")\n";
      if (once) break;
    }
  } catch (const std::logic_error&) {
    std::cerr << "usage: tcp_04_server_accept [HOST] [PORT] [--once]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
