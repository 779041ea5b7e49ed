// The report's last TCP frame, on purpose: a client that closes with bytes unread.
// The report's Wireshark capture (seed 004, section 5) ends its conversation with
//   27  16984 -> 9999 [RST, ACK] Seq=11 Ack=29 Win=0 Len=0
// and not with a FIN: the server had sent 28 bytes, the client read only what it
// expected, and closed the socket with the rest still waiting in its buffer. A TCP that
// is closed while received data is still unread must not pretend that all went well
// (RFC 1122, 4.2.2.13; RFC 9293, 3.6): it sends RST, "se reinicia la conexion", and the
// server's next recv() fails with "Connection reset by peer" instead of returning "".
//
// This client does the same against the report's echo server (tcp_06_server_close):
// it sends "Hola mundo", reads only the first 4 bytes of the echo ("Hola"), and
// closes with " mundo" (6 bytes) unread. Watch it with
//   examples/capture/capture.sh rst
//
// USAGE: capture_rst_client HOST PORT [MESSAGE]   (default MESSAGE: "Hola mundo")
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error (what std::stoi throws for a bad PORT)
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    try {
        if (argc == 2 && std::string(argv[1]) == "--help") {
            std::cout << "usage: capture_rst_client HOST PORT [MESSAGE]\n"
                         "sends MESSAGE, reads only 4 bytes of the echo, closes: RST, not FIN\n";
            return 0;
        }
        if (argc < 3 || argc > 4) throw std::invalid_argument("HOST and PORT are needed");
        std::string host = argv[1];
        int port = std::stoi(argv[2]);
        std::string message = argc > 3 ? argv[3] : "Hola mundo";

        // Creating the TCP/IP socket and connecting: SYN, SYN-ACK, ACK on the wire
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        csnet::address server_address{host, port};
        sock.connect(server_address);
        sock.settimeout(5.0);  // never wait for ever for an echo that does not come

        // Sending the whole message: one segment with PSH, ACK and Len=10
        sock.sendall(message);
        std::cout << "Lo que enviaste fue : \"" << message << "\"\n";

        // Reading only part of the echo: recv(4) returns at most 4 bytes
        std::string data = sock.recv(4);
        std::cout << "Leiste solo \"" << data << "\": el resto del eco queda sin leer\n";

        // Closing with unread bytes: the system sends RST instead of FIN
        sock.close();
        std::cout << "Socket cerrado con datos sin leer: se envia RST, no FIN\n";
    } catch (const std::logic_error&) {
        std::cerr << "usage: capture_rst_client HOST PORT [MESSAGE]\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
