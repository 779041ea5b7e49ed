// TCP server, step 5 of 6: receive in chunks of 19 bytes and send each chunk back.
// The report, section 4, "Recibe los datos en trozos y retransmite":
//   while True:
//       data = connection.recv(19)
//       print >>sys.stderr, 'recibido "%s"' % data
//       if data:
//           print >>sys.stderr, 'enviando mensaje de vuelta al cliente'
//           connection.sendall(data)
//       else:
//           print >>sys.stderr, 'no hay más datos', client_address
//           break
// (Section 5's capture shows only 'received "Hola mundo"' and 'received ""': the
// examples print those, as the capture does; see examples/README.md.)
// recv(19) returns AT MOST 19 bytes: whatever has arrived, maybe less. An empty
// result means the client closed its side: there is nothing more to read.
//
// USAGE: tcp_05_server_echo [HOST] [PORT] [--once]   (--once: serve one client, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_05_server_echo [HOST] [PORT] [--once]";
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bool once = std::find(args.begin(), args.end(), "--once") != args.end();
        args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
        std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_05_server_echo 9999" puts a PORT where the HOST goes: show the usage
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

            // Receive the data in chunks of 19 bytes and send it back
            while (true) {
                std::string data = connection.recv(19);
                std::cerr << "received \"" << data << "\"\n";
                if (!data.empty()) {
                    connection.sendall(data);
                } else {
                    break;
                }
            }
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
