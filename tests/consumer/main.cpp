// A program outside csnet that uses it as any user would: open a TCP server on
// 127.0.0.1 (port 0: the system picks a free port), connect to it with
// csnet::create_connection, send "ping", echo it back, check it, print OK.
// Built by tests/consumer/*/ (find_package, add_subdirectory, Meson subproject,
// pkg-config); .ci/consumer.sh runs them all.
#include <csnet.hpp>

#include <iostream>  // std::cout, std::cerr
#include <string>    // std::string

namespace {

// Reads exactly `size` bytes (or fewer if the peer closes); bounded loop.
std::string recv_exactly(csnet::socket& sock, std::size_t size) {
    std::string data;
    for (int tries = 0; tries < 64 && data.size() < size; ++tries) {
        std::string part = sock.recv(size - data.size());
        if (part.empty()) {
            break;  // peer closed
        }
        data += part;
    }
    return data;
}

}  // namespace

int main() {
    try {
        csnet::socket server(csnet::af_inet, csnet::sock_stream);
        server.bind(csnet::address{"127.0.0.1", 0});
        server.listen(1);
        const csnet::address where = server.getsockname();

        // The kernel completes the handshake from the listen backlog, so one
        // thread can connect first and accept afterwards.
        csnet::socket client = csnet::create_connection(where, 5.0);
        auto accepted = server.accept();
        csnet::socket& connection = accepted.first;
        connection.settimeout(5.0);
        client.settimeout(5.0);

        client.sendall("ping");
        const std::string received = recv_exactly(connection, 4);
        connection.sendall(received);
        const std::string echoed = recv_exactly(client, 4);

        if (received != "ping" || echoed != "ping") {
            std::cerr << "consumer: expected \"ping\" both ways, got \"" << received << "\" and \"" << echoed << "\"\n";
            return 1;
        }
        std::cout << "OK\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "consumer: " << e.what() << '\n';
        return 1;
    }
}
