// UDP server, step 2 of 6: bind the socket to an address and a port.
// The report, section 4, "Enlace de socket y puerto":
//   server_address = ('192.168.1.100', 9999)
//   print >>sys.stderr, 'empezando a levantar %s puerto %s' % server_address
//   sock.bind(server_address)
// (Section 5's capture shows this line in English; the examples print the capture's
// English, so that run_pair can compare them line for line: see examples/README.md.)
// Port 0 asks the system for a free port; getsockname() tells which one it chose,
// so we print after bind() (the report prints before). No SO_REUSEADDR here: for
// UDP it would let a second server bind the same port and steal datagrams.
//
// USAGE: udp_02_server_bind [HOST] [PORT]        (default: 127.0.0.1 9999)
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi

int main(int argc, char* argv[]) {
    const char* usage = "usage: udp_02_server_bind [HOST] [PORT]";
    try {
        std::string host = argc > 1 ? argv[1] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "udp_02_server_bind 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = argc > 2 ? std::stoi(argv[2]) : 9999;

        // Creating the UDP/IP socket
        csnet::socket sock(csnet::af_inet, csnet::sock_dgram);

        // Binding the socket to the address and port
        csnet::address server_address{host, port};
        sock.bind(server_address);
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << '\n';
    } catch (const std::logic_error&) {
        std::cerr << usage << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
