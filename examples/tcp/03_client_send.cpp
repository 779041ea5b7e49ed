// TCP client, step 3 of 5: send the message.
// Python (05_client_close.py):
//   sock.sendall(message)
//   print('Lo que enviaste fue : "%s"' % message)
// sendall() returns once every byte is handed to the system (send() may take only
// part of them; sendall() repeats until all are gone). It does not wait for the
// server to read them.
//
// USAGE: tcp_03_client_send [HOST] [PORT] [MESSAGE]   (default: 127.0.0.1 9999 "Hola mundo")
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_03_client_send [HOST] [PORT] [MESSAGE]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_03_client_send 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = argc > 2 ? std::stoi(argv[2]) : 9999;
        std::string message = argc > 3 ? argv[3] : "Hola mundo";

        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        std::cout << "Family : " << sock.family() << '\n';
        std::cout << "Type : " << sock.type() << '\n';
        std::cout << "Protocol: " << sock.proto() << '\n';
        std::cout << '\n';

        csnet::address server_address{host, port};
        sock.connect(server_address);

        sock.sendall(message);
        std::cout << "Lo que enviaste fue : \"" << message << "\"\n";
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
