// TCP vs UDP, 4: reliability and order. Runs alone (loopback, port 0). See docs/tcp-vs-udp.md.
// Both receivers below do not read at first, with small receive buffers.
// TCP: when the receiver's buffer is full the sender is made to WAIT (flow control;
//   a non-blocking send() says "would block"). Nothing is lost, nothing reordered.
// UDP: sendto() always succeeds; datagrams that do not fit are DROPPED, silently.
//   Loopback never reorders; a real network may, and UDP would not fix it.
// The report's sendall/recv steps. Python: sock.settimeout(0); sock.send(data) raises
//   BlockingIOError when the buffers are full; UDP: sock.sendto(data, addr) never does.
//
// USAGE: compare_04_reliability
#include <csnet.hpp>

#include <exception>     // std::exception
#include <iostream>      // std::cout, std::cerr
#include <string>        // std::string, std::to_string
#include <string_view>   // std::string_view
#include <system_error>  // std::errc

int main() {
    try {
        csnet::socket listener(csnet::af_inet, csnet::sock_stream);
        listener.setsockopt(csnet::sol_socket, csnet::so_rcvbuf, 4096);  // accepted sockets inherit it
        listener.bind(csnet::address{"127.0.0.1", 0});
        listener.listen(1);
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.setsockopt(csnet::sol_socket, csnet::so_sndbuf, 4096);
        client.connect(listener.getsockname());
        auto [connection, client_address] = listener.accept();

        // TCP: numbered lines, sent without waiting until the system says "wait".
        std::string stream;
        for (int i = 0; i < 200000; ++i) stream += std::to_string(1000000 + i) + '\n';
        client.settimeout(0);  // non-blocking: send() takes what fits, then "would block"
        std::size_t sent = 0;
        try {
            while (sent < stream.size()) sent += client.send(std::string_view(stream).substr(sent));
        } catch (const csnet::error& e) {
            if (e.code() != std::errc::operation_would_block) throw;
        }
        if (sent < stream.size())
            std::cout << "TCP: the receiver read nothing; after " << sent << " bytes send() would block:\n"
                      << "     the sender must wait (flow control), nothing is dropped\n";
        else
            std::cout << "TCP: all " << sent << " bytes fit in the buffers; none was dropped\n";
        client.close();  // the receiver gets what was sent, then ""
        std::string received;
        for (std::string data = connection.recv(65536); !data.empty(); data = connection.recv(65536)) received += data;
        bool tcp_ok = received == stream.substr(0, sent);
        std::cout << "TCP: received " << received.size() << " bytes, "
                  << (tcp_ok ? "all of them, in order\n" : "NOT what was sent\n");

        // UDP: 100 numbered datagrams of 1000 bytes to a receiver that does not read yet.
        csnet::socket udp_server(csnet::af_inet, csnet::sock_dgram);
        udp_server.setsockopt(csnet::sol_socket, csnet::so_rcvbuf, 4096);
        udp_server.bind(csnet::address{"127.0.0.1", 0});
        csnet::socket udp_client(csnet::af_inet, csnet::sock_dgram);
        for (int i = 0; i < 100; ++i)
            udp_client.sendto(std::to_string(1000 + i) + std::string(996, '.'), udp_server.getsockname());
        std::cout << "UDP: 100 sendto() calls of 1000 bytes each, all succeeded\n";
        udp_server.settimeout(0.5);
        int count = 0, last = -1;
        bool in_order = true;
        try {
            for (int i = 0; i < 100; ++i) {
                int number = std::stoi(udp_server.recvfrom(2000).first.substr(0, 4)) - 1000;
                in_order = in_order && number > last;
                last = number;
                ++count;
            }
        } catch (const csnet::timeout&) {
        }
        std::cout << "UDP: received " << count << ", lost " << 100 - count
                  << " without any error; those that arrived were " << (in_order ? "" : "NOT ") << "in order\n";
        std::cout << (tcp_ok ? "compare: OK\n" : "compare: FAILED\n");
        return tcp_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
