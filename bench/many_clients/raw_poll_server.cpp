// raw_poll_server.cpp - the limit for csnet::selector: the same echo server as
// examples/many_clients/selector.cpp, written on the bare POSIX calls (poll, accept4,
// recv, send), with a descriptor-indexed table instead of a hash map. Same policy:
// non-blocking sockets, a per-client outgoing buffer, POLLOUT only while it is not
// empty, stop reading a client with 1 MiB unsent.
// usage: raw_poll_server HOST PORT    (prints "starting up on HOST port PORT")
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {
constexpr std::size_t chunk = 65536;
constexpr std::size_t outgoing_limit = 1 << 20;

struct client {
    std::string outgoing;
};

short interest(const client& c) {
    short events = 0;
    if (c.outgoing.size() < outgoing_limit) events |= POLLIN;
    if (!c.outgoing.empty()) events |= POLLOUT;
    return events;
}
}  // namespace

int main(int argc, char* argv[]) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: raw_poll_server HOST PORT\n");
        return 2;
    }
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<unsigned short>(std::atoi(argv[2])));
    if (::inet_pton(AF_INET, argv[1], &address.sin_addr) != 1 ||
        ::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(server, 128) != 0) {
        std::perror("bind/listen");
        return 1;
    }
    socklen_t size = sizeof address;
    ::getsockname(server, reinterpret_cast<sockaddr*>(&address), &size);
    std::fprintf(stderr, "starting up on %s port %d\n", argv[1], ntohs(address.sin_port));

    std::vector<pollfd> entries{{server, POLLIN, 0}};
    std::vector<int> slot_of_fd;     // descriptor -> position in entries (and clients)
    std::vector<client> clients(1);  // clients[0] is unused (the listener)
    std::vector<char> buffer(chunk);
    const auto remove = [&](std::size_t i) {
        ::close(entries[i].fd);
        const std::size_t last = entries.size() - 1;
        entries[i] = entries[last];
        clients[i] = std::move(clients[last]);
        slot_of_fd[static_cast<std::size_t>(entries[i].fd)] = static_cast<int>(i);
        entries.pop_back();
        clients.pop_back();
    };
    while (true) {
        int n = ::poll(entries.data(), entries.size(), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::perror("poll");
            return 1;
        }
        for (std::size_t i = entries.size(); i-- > 0;) {
            const short got = entries[i].revents;
            if (got == 0) continue;
            if (i == 0) {  // as the lesson's server: every waiting client, up to 64 at a time
                for (int k = 0; k < 64; ++k) {
                    int fd = ::accept4(server, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    if (slot_of_fd.size() <= static_cast<std::size_t>(fd))
                        slot_of_fd.resize(static_cast<std::size_t>(fd) + 1);
                    slot_of_fd[static_cast<std::size_t>(fd)] = static_cast<int>(entries.size());
                    entries.push_back({fd, POLLIN, 0});
                    clients.emplace_back();
                }
                continue;
            }
            client& c = clients[i];
            const int fd = entries[i].fd;
            if (got & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = ::recv(fd, buffer.data(), buffer.size(), 0);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    remove(i);
                    continue;
                }
                if (r > 0) c.outgoing.append(buffer.data(), static_cast<std::size_t>(r));
            }
            if (!c.outgoing.empty()) {
                ssize_t s = ::send(fd, c.outgoing.data(), c.outgoing.size(), MSG_NOSIGNAL);
                if (s < 0 && errno != EAGAIN && errno != EINTR) {
                    remove(i);
                    continue;
                }
                if (s > 0) c.outgoing.erase(0, static_cast<std::size_t>(s));
            }
            entries[i].events = interest(c);
        }
    }
}
