// TCP server, step 6 of 6: close each connection. This is the report's whole server.
// The report, section 4:
//   finally:
//       # Cerrando conexión
//       connection.close()
// Python needs try/finally so that the connection is closed even when recv() or
// sendall() fails. In C++ the socket's destructor is that "finally": it runs on
// every way out of the block. close() says it out loud, as the report does.
// Python twin: 06_server_close.py. Output (section 5, "Captura del Servidor"):
//   starting up on 127.0.0.1 port 9999 / waiting for a connection /
//   client connected: ('127.0.0.1', 17585) / received "Hola mundo" / received "" / ...
//
// USAGE: tcp_06_server_close [HOST] [PORT] [--once]   (--once: serve one client, exit)
#include <csnet.hpp>

#include <algorithm>  // std::find, std::remove
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <stdexcept>  // std::logic_error: std::stoi throws it for a bad PORT; std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

int main(int argc, char* argv[]) {
    const char* usage = "usage: tcp_06_server_close [HOST] [PORT] [--once]";
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bool once = std::find(args.begin(), args.end(), "--once") != args.end();
        args.erase(std::remove(args.begin(), args.end(), "--once"), args.end());
        std::string host = args.size() > 0 ? args[0] : "127.0.0.1";
        if (host == "--help" || host == "-h") {
            std::cout << usage << '\n';
            return 0;
        }
        // "tcp_06_server_close 9999" puts a PORT where the HOST goes: show the usage
        if (!host.empty() && host.find_first_not_of("0123456789") == std::string::npos) {
            throw std::invalid_argument("HOST comes before PORT");
        }
        int port = args.size() > 1 ? std::stoi(args[1]) : 9999;

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

        while (true) {
            // Waiting for a connection
            std::cerr << "waiting for a connection\n";
            auto [connection, client_address] = sock.accept();
            std::cerr << "client connected: ('" << client_address.host() << "', " << client_address.port() << ")\n";

            // Receive the data in chunks of 19 bytes and send it back
            while (true) {
                std::string data = connection.recv(19);
                std::cerr << "received \"" << data << "\"\n";
                if (!data.empty()) {
                    connection.sendall(data);
                } else {
                    break;
                }
            }
            // Closing the connection
            connection.close();
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
