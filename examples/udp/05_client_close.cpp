// UDP client, step 5 of 5: close the socket. The UDP twin of the report's client.
// Python (05_client_close.py):
//   except socket.timeout:
//       print("no answer within 2 s: is the server running?")
//   finally:
//       sock.close()
//       print("Socket cerrado")
// close() sends nothing in UDP (there is no connection to end); the server never
// learns that the client is gone. Output: Family : AF_INET / Type : SOCK_DGRAM /
//   Protocol: IPPROTO_IP / (blank) / Lo que enviaste fue : "Hola mundo" /
//   La respuesta del servidor fue "Hola mundo" / Socket cerrado
//
// USAGE: udp_05_client_close [HOST] [PORT] [MESSAGE]  (default: 127.0.0.1 9999 "Hola mundo")
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_05_client_close [HOST] [PORT] [MESSAGE]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_05_client_close 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = argc > 2 ? std::stoi(argv[2]) : 9999;
        std::string message = argc > 3 ? argv[3] : "Hola mundo";

        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);
        std::cout << "Family : " << sock.family() << '\n';
        std::cout << "Type : " << sock.type() << '\n';
        std::cout << "Protocol: " << sock.proto() << '\n';
        std::cout << '\n';

        csnet::address server_address{host, port};
        // No connect(): UDP has no connection; each sendto() names server_address

        int status = 0;
        try {
            sock.sendto(message, server_address);
            std::cout << "Lo que enviaste fue : \"" << message << "\"\n";

            sock.settimeout(2.0);
            auto [received, server] = sock.recvfrom(4096);
            std::cout << "La respuesta del servidor fue \"" << received << "\"\n";
        } catch (const csnet::timeout&) {
            // UDP sends no error back to this socket when nobody listens: the client can only wait
            std::cout << "no answer within 2 s: is the server running?\n";
            status = 1;
        }
        sock.close();
        std::cout << "Socket cerrado\n";
        return status;
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
