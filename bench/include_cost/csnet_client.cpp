// Compile cost of a small client with csnet: connect, sendall, recv, close.
// (Compiled only, never run.)
#include <csnet.hpp>

#include <string>

int main() {
    try {
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        sock.connect(csnet::address{"127.0.0.1", 9999});
        sock.sendall("Hola mundo");
        const std::string data = sock.recv(19);
        return data == "Hola mundo" ? 0 : 1;
    } catch (const csnet::error&) {
        return 1;
    }
}
