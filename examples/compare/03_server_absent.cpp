// TCP vs UDP, 3: when the server is not there. Runs alone (loopback). See docs/tcp-vs-udp.md.
// TCP: connect() fails at once with "Connection refused": the other system answers
//   the handshake with a reset (RST).
// UDP: sendto() succeeds anyway; the answer simply never comes (recvfrom times
//   out). The other system does send back an ICMP "port unreachable", but only a
//   connect()ed UDP socket hears it, as ECONNREFUSED on its next recv().
//   (Windows also reports it on a socket that is not connected: WSAECONNRESET.)
// The report's client, connect step. Python: sock.connect(addr) raises
//   ConnectionRefusedError; UDP: sock.sendto(data, addr), then socket.timeout.
//
// USAGE: compare_03_server_absent
#include <csnet.hpp>

#include <exception>     // std::exception
#include <iostream>      // std::cout, std::cerr
#include <system_error>  // std::errc

int main() {
    try {
        // A TCP port that is bound but not listening: nobody accepts connections there.
        csnet::socket not_listening(csnet::af_inet, csnet::sock_stream);
        not_listening.bind(csnet::address{"127.0.0.1", 0});
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        bool tcp_ok = false;
        try {
            client.connect(not_listening.getsockname());
            std::cout << "TCP: connect() succeeded?!\n";
        } catch (const csnet::error& e) {
            std::cout << "TCP: connect() failed at once:\n  " << e.what() << '\n';
            tcp_ok = e.code() == std::errc::connection_refused;
        }

        // A UDP port where nobody is: bind one, note its number, close it.
        csnet::address nobody;
        {
            csnet::socket gone(csnet::af_inet, csnet::sock_dgram);
            gone.bind(csnet::address{"127.0.0.1", 0});
            nobody = gone.getsockname();
        }
        csnet::socket udp(csnet::af_inet, csnet::sock_dgram);
        udp.settimeout(1.0);
        udp.sendto("Hola mundo", nobody);
        std::cout << "UDP: sendto(" << nobody << ") succeeded, though nobody is there\n";
        try {
            udp.recvfrom(4096);
            std::cout << "UDP: an answer came?!\n";
        } catch (const csnet::timeout&) {
            std::cout << "UDP: recvfrom() heard nothing for 1 s: silence\n";
        } catch (const csnet::error& e) {
            std::cout << "UDP: recvfrom() failed (Windows reports the ICMP here too):\n  " << e.what() << '\n';
        }

        csnet::socket connected(csnet::af_inet, csnet::sock_dgram);
        connected.settimeout(1.0);
        connected.connect(nobody);  // sends nothing: only remembers the address
        connected.send("Hola mundo");
        std::cout << "UDP: connect() and send() succeeded too\n";
        try {
            connected.recv(4096);
            std::cout << "UDP: an answer came?!\n";
        } catch (const csnet::timeout&) {
            std::cout << "UDP: recv() on the connected socket heard nothing for 1 s\n";
        } catch (const csnet::error& e) {
            std::cout << "UDP: recv() on the connected socket got the ICMP error:\n  " << e.what() << '\n';
        }

        std::cout << (tcp_ok ? "compare: OK\n" : "compare: FAILED\n");
        return tcp_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
