// TCP vs UDP, 1: setting up a connection. Runs alone (both ends in one program,
// loopback, port 0). See docs/tcp-vs-udp.md. The report's listen/accept/connect steps.
// TCP: connect() makes the systems of both ends shake hands (SYN, SYN-ACK, ACK).
//   It returns as soon as the server has called listen(): accept() only takes the
//   finished connection from a queue.   Python: sock.connect(addr); sock.accept()
// UDP: nothing to set up. The first packet is the data itself, and the server
//   learns who the client is from each datagram.   Python: sock.sendto(data, addr)
// Try CSNET_TRACE=1 to see every system call.
//
// USAGE: compare_01_connection_setup
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr

int main() {
    try {
        // TCP: a server that listens but has not called accept() yet.
        csnet::socket listener(csnet::af_inet, csnet::sock_stream);
        listener.bind(csnet::address{"127.0.0.1", 0});
        listener.listen(1);
        csnet::address server_address = listener.getsockname();

        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(server_address);
        std::cout << "TCP: connect() to " << server_address << " returned before accept():\n"
                  << "     the systems did the handshake; " << client.getsockname() << " is connected to "
                  << client.getpeername() << '\n';
        auto [connection, client_address] = listener.accept();
        std::cout << "TCP: accept() then takes the ready connection from the queue: " << client_address << '\n';
        bool tcp_ok = client_address == client.getsockname() && connection.getpeername() == client_address;

        // UDP: no listen(), no accept(), no connect().
        csnet::socket udp_server(csnet::af_inet, csnet::sock_dgram);
        udp_server.bind(csnet::address{"127.0.0.1", 0});
        csnet::socket udp_client(csnet::af_inet, csnet::sock_dgram);
        udp_client.sendto("Hola mundo", udp_server.getsockname());
        std::cout << "UDP: the client sent its first datagram without any set-up\n";
        udp_server.settimeout(2.0);
        auto [data, sender] = udp_server.recvfrom(4096);
        std::cout << "UDP: the server got \"" << data << "\" from " << sender
                  << ": the datagram itself says who sent it\n";
        bool udp_ok = data == "Hola mundo" && sender.port() == udp_client.getsockname().port();

        std::cout << (tcp_ok && udp_ok ? "compare: OK\n" : "compare: FAILED\n");
        return tcp_ok && udp_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
