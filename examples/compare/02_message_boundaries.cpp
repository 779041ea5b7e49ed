// TCP vs UDP, 2: message boundaries. Runs alone (loopback, port 0). See docs/tcp-vs-udp.md.
// TCP carries a stream of bytes: two send()s may arrive in one recv(), and one
// send() may need several recv()s (the report's recv(19) reads at most 19 bytes).
// UDP carries datagrams: each recvfrom() returns exactly one whole datagram; if the
// buffer is too small, the datagram is cut short and the rest is lost.
// The report's step 5 (section 4). Python: data = connection.recv(19)  /  UDP:
//   data, address = sock.recvfrom(19)
//
// USAGE: compare_02_message_boundaries
#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <string>     // std::string

int main() {
    try {
        csnet::socket listener(csnet::af_inet, csnet::sock_stream);
        listener.bind(csnet::address{"127.0.0.1", 0});
        listener.listen(1);
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.setsockopt(csnet::ipproto_tcp, csnet::tcp_nodelay, 1);  // send each piece at once
        client.connect(listener.getsockname());
        auto [connection, client_address] = listener.accept();

        // TCP: two sends, then read until the client has finished sending.
        client.sendall("Hola");
        client.sendall(" mundo");
        client.sendall(std::string(50, 'x'));  // one send of 50 bytes
        client.shutdown(csnet::shut_wr);       // "no more data": the server's recv() returns ""
        std::string all;
        int pieces = 0;
        std::cout << "TCP: sent \"Hola\", \" mundo\" and 50 x's; recv(19) returned:";
        for (std::string data = connection.recv(19); !data.empty(); data = connection.recv(19)) {
            std::cout << " [" << data << "]";
            all += data;
            ++pieces;
        }
        std::cout << "\nTCP: " << pieces << " pieces for 3 sends: the bytes keep their order,"
                  << " the sends' boundaries are gone\n";
        bool tcp_ok = all == "Hola mundo" + std::string(50, 'x') && pieces >= 4;

        // UDP: the same sends, as datagrams.
        csnet::socket udp_server(csnet::af_inet, csnet::sock_dgram);
        udp_server.bind(csnet::address{"127.0.0.1", 0});
        udp_server.settimeout(2.0);
        csnet::socket udp_client(csnet::af_inet, csnet::sock_dgram);
        for (std::string d :
             {std::string("Hola"), std::string(" mundo"), std::string(50, 'x'), std::string("siguiente")})
            udp_client.sendto(d, udp_server.getsockname());
        std::cout << "UDP: sent \"Hola\", \" mundo\", 50 x's and \"siguiente\"; recvfrom(19) returned:";
        std::string got[4];
        for (auto& data : got) {
            data = udp_server.recvfrom(19).first;
            std::cout << " [" << data << "]";
        }
        std::cout << "\nUDP: one datagram per recvfrom(), never merged; the 50 x's were cut to 19,"
                  << " the other 31 are lost\n";
        bool udp_ok = got[0] == "Hola" && got[1] == " mundo" && got[2] == std::string(19, 'x') && got[3] == "siguiente";

        std::cout << (tcp_ok && udp_ok ? "compare: OK\n" : "compare: FAILED\n");
        return tcp_ok && udp_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
