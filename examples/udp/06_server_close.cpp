// UDP server, step 6 of 6: close. The UDP twin of the report's whole server.
// The report, section 4:
//   finally:
//       connection.close()
// UDP has no connection to close after each client: the one bound socket serves
// everybody, and is closed when the server stops (its destructor would do it too).
// Python twin: 06_server_close.py. Output: starting up on 127.0.0.1 port 9999 /
//   waiting for a datagram / received "Hola mundo" from ('127.0.0.1', 17585) / ...
//
// USAGE: udp_06_server_close [HOST] [PORT] [--once]   (--once: one datagram, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_06_server_close [HOST] [PORT] [--once]";
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bool once = std::find(args.begin(), args.end(), "--once") != args.end();
        args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
        std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_06_server_close 9999" puts a PORT where the HOST goes: show the usage
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

            // Send the datagram back, whole, to the address it came from
            sock.sendto(data, client_address);
            // No connection to close: the same socket waits for the next datagram
            if (once) break;
        }
        sock.close();
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
