// UDP client, step 5 of 5: close the socket. The UDP twin of the report's client.
// Python (05_client_close.py):
//   except socket.timeout:
//       print("no answer within 2 s: UDP does not retransmit")
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
#include <stdexcept>  // std::logic_error (what std::stoi throws for a bad PORT)
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
  try {
    std::string host = argc > 1 ? argv[1] : "127.0.0.1";
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
      std::cout << "no answer within 2 s: UDP does not retransmit\n";
      status = 1;
    }
    sock.close();
    std::cout << "Socket cerrado\n";
    return status;
  } catch (const std::logic_error&) {
    std::cerr << "usage: udp_05_client_close [HOST] [PORT] [MESSAGE]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
