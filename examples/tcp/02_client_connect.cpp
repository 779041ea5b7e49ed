// TCP client, step 2 of 5: connect to the server.
// Python (05_client_close.py):
//   sock.connect((host, port))
// connect() performs TCP's three-way handshake (SYN, SYN-ACK, ACK: the first three
// TCP lines of the report's Wireshark capture). When it returns, the connection
// exists, even if the server has not called accept() yet. No server there: the
// system answers at once, and connect() throws "Connection refused".
//
// USAGE: tcp_02_client_connect [HOST] [PORT]     (default: 127.0.0.1 9999)
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_02_client_connect [HOST] [PORT]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_02_client_connect 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = argc > 2 ? std::stoi(argv[2]) : 9999;

        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        std::cout << "Family : " << sock.family() << '\n';
        std::cout << "Type : " << sock.type() << '\n';
        std::cout << "Protocol: " << sock.proto() << '\n';
        std::cout << '\n';

        csnet::address server_address{host, port};
        sock.connect(server_address);
        std::cout << "connected from " << sock.getsockname() << " to " << server_address << '\n';
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
