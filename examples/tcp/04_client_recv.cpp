// TCP client, step 4 of 5: receive the echo.
// Python (05_client_close.py):
//   received = b""
//   while len(received) < len(message):
//       data = sock.recv(19)
//       if not data:
//           break
//       received += data
// TCP delivers a stream of bytes, not messages: the echo may come back in one
// piece or in several (the server sends chunks of at most 19 bytes), so we read
// until we have as many bytes as we sent, or the server closes (empty recv).
//
// USAGE: tcp_04_client_recv [HOST] [PORT] [MESSAGE]   (default: 127.0.0.1 9999 "Hola mundo")
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_04_client_recv [HOST] [PORT] [MESSAGE]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_04_client_recv 9999" puts a PORT where the HOST goes: show the usage
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

        std::string received;
        while (received.size() < message.size()) {
            std::string data = sock.recv(19);
            if (data.empty()) break;
            received += data;
        }
        std::cout << "La respuesta del servidor fue \"" << received << "\"\n";
        if (received.size() < message.size()) {
            // recv() returned "" before the whole echo was back: the server closed (or stopped) early
            std::cerr << "the server closed the connection after " << received.size() << " of " << message.size()
                      << " bytes\n";
            return 1;
        }
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
