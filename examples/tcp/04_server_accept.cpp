// TCP server, step 4 of 6: accept connections, one after another.
// The report, section 4:
//   while True:
//       print >>sys.stderr, 'Esperando para conectarse'
//       connection, client_address = sock.accept()
//   ...
//       print >>sys.stderr, 'conexión desde', client_address
// (Section 5's capture shows these lines in English; the examples print the capture's
// English, so that run_pair can compare them line for line: see examples/README.md.)
// accept() waits for a client and returns a NEW socket for that one connection,
// plus the client's address. This step does not talk to the client yet: the
// connection is closed at the end of each turn of the loop (its destructor).
//
// USAGE: tcp_04_server_accept [HOST] [PORT] [--once]   (--once: serve one client, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_04_server_accept [HOST] [PORT] [--once]";
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bool once = std::find(args.begin(), args.end(), "--once") != args.end();
        args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
        std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_04_server_accept 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
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
            std::cerr << "client connected: ('" << client_address.host() << "', " << client_address.port() << ")\n";
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
