// Compile cost of a small client with raw sockets: connect, send, recv, close.
// (Compiled only, never run.)
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>

int main() {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo("127.0.0.1", "9999", &hints, &res) != 0) return 1;
    const int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd == -1 || connect(fd, res->ai_addr, res->ai_addrlen) == -1) return 1;
    freeaddrinfo(res);
    const std::string message = "Hola mundo";
    if (send(fd, message.data(), message.size(), 0) == -1) return 1;
    char buf[19];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    const std::string data(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    close(fd);
    return data == message ? 0 : 1;
}
