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
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_03_server_listen [HOST] [PORT]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_03_server_listen 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
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
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
