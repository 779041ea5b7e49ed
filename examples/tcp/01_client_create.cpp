// TCP client, step 1 of 5: create the socket and say what it is.
// The report, section 5, "Captura del Cliente" (the first lines it prints);
// Python (05_client_close.py):
//   sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//   print("Family :", sock.family.name)   ... "Type :" ... "Protocol:"
// IPPROTO_IP (0) means "let the system choose": for SOCK_STREAM that is TCP.
//
// USAGE: tcp_01_client_create
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr

int main() {
    try {
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        std::cout << "Family : " << sock.family() << '\n';
        std::cout << "Type : " << sock.type() << '\n';
        std::cout << "Protocol: " << sock.proto() << '\n';
        std::cout << '\n';
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
