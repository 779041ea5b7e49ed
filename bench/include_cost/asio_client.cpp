// Compile cost of a small client with standalone asio's sync API: connect, write,
// read_some, close. (Compiled only, never run; compile with -DASIO_STANDALONE.)
#include <asio.hpp>

#include <string>

int main() {
    try {
        asio::io_context io;
        asio::ip::tcp::socket sock(io);
        sock.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 9999));
        const std::string message = "Hola mundo";
        asio::write(sock, asio::buffer(message));
        char buf[19];
        const std::size_t n = sock.read_some(asio::buffer(buf));
        return std::string(buf, n) == message ? 0 : 1;
    } catch (const std::exception&) {
        return 1;
    }
}
