// asio_server.cpp - standalone asio's asynchronous echo server (one io_context, one
// thread), the usual shape from asio's own examples: async_read_some, then
// async_write of what was read, then read again. For bench/many_clients/run.sh.
// usage: asio_server HOST PORT    (prints "starting up on HOST port PORT")
#include <asio.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {
class session : public std::enable_shared_from_this<session> {
public:
    explicit session(asio::ip::tcp::socket s) : socket_(std::move(s)) {}
    void start() { read(); }

private:
    void read() {
        auto self = shared_from_this();
        socket_.async_read_some(asio::buffer(data_), [this, self](std::error_code ec, std::size_t n) {
            if (!ec) write(n);
        });
    }
    void write(std::size_t n) {
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(data_, n), [this, self](std::error_code ec, std::size_t) {
            if (!ec) read();
        });
    }
    asio::ip::tcp::socket socket_;
    std::array<char, 65536> data_{};
};

void accept_next(asio::ip::tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](std::error_code ec, asio::ip::tcp::socket s) {
        if (!ec) std::make_shared<session>(std::move(s))->start();
        accept_next(acceptor);
    });
}
}  // namespace

int main(int argc, char* argv[]) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: asio_server HOST PORT\n");
        return 2;
    }
    asio::io_context io;
    asio::ip::tcp::endpoint where(asio::ip::make_address(argv[1]), static_cast<unsigned short>(std::atoi(argv[2])));
    asio::ip::tcp::acceptor acceptor(io, where);  // reuse_address on by default
    acceptor.listen(128);
    std::fprintf(stderr, "starting up on %s port %d\n", argv[1], acceptor.local_endpoint().port());
    accept_next(acceptor);
    io.run();
}
