// load.cpp: a load test (issue 9). A csnet echo server with a thread per client,
// and CLIENTS client threads that connect all at once, then each send MESSAGES
// messages of 1 byte to 64 KiB and check that every byte comes back, in order.
// Sizes are spread evenly on a log scale (small and large messages both common),
// or evenly from 1 to the maximum (--sizes uniform: most bytes). Bounded in time: every socket has a timeout, and a
// watchdog ends the program if the whole run takes longer than --seconds.
//
//   csnet_load [--clients 1000] [--messages 100] [--max-size 65536] [--sizes log|uniform] [--seconds 60]
//
// Prints one line of figures; exit 0 when every byte came back, 1 otherwise.
#include <csnet.hpp>

#include <atomic>      // std::atomic
#include <chrono>      // std::chrono::steady_clock
#include <cmath>       // std::exp, std::log
#include <cstdio>      // std::printf, std::fprintf
#include <cstdlib>     // std::atoi, std::_Exit
#include <cstring>     // std::strcmp
#include <functional>  // std::cref
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string
#include <thread>      // std::thread
#include <vector>      // std::vector

#ifndef _WIN32
#    include <sys/resource.h>  // getrlimit, setrlimit: two descriptors per client
#endif

namespace {

struct settings {
    int clients = 1000;
    int messages = 100;
    std::size_t max_size = 65536;
    bool uniform = false;
    double seconds = 60;
};

std::atomic<long long> bytes_echoed{0};
std::atomic<int> clients_ok{0};
std::atomic<int> clients_failed{0};
std::atomic<int> connected{0};

/// Message `m` of client `c`: its size (1..max_size, log-uniform) and bytes.
std::string message(int c, int m, std::size_t max_size, bool uniform) {
    std::uint32_t state = static_cast<std::uint32_t>(c) * 2654435761u + static_cast<std::uint32_t>(m) * 40503u + 1u;
    const auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return state >> 8;
    };
    const double unit = static_cast<double>(next() & 0xFFFF) / 65535.0;
    auto size = uniform ? static_cast<std::size_t>(1.0 + unit * static_cast<double>(max_size - 1))
                        : static_cast<std::size_t>(std::exp(unit * std::log(static_cast<double>(max_size))));
    if (size < 1) size = 1;
    if (size > max_size) size = max_size;
    std::string text(size, '\0');
    for (char& ch : text) ch = static_cast<char>(next());
    return text;
}

void serve(csnet::socket connection, double seconds) {
    try {
        connection.settimeout(seconds);
        for (;;) {
            std::string data = connection.recv(65536);
            if (data.empty()) break;  // the client is done
            connection.sendall(data);
        }
    } catch (const csnet::error& e) {
        std::fprintf(stderr, "server: %s\n", e.what());
    }
}

void client(int c, const csnet::address& server, const settings& s) {
    try {
        csnet::socket sock = csnet::create_connection(server, s.seconds);
        // Every client connected before any sends: CLIENTS connections at once.
        connected.fetch_add(1);
        const auto start = std::chrono::steady_clock::now();
        while (connected.load() < s.clients &&
               std::chrono::steady_clock::now() - start < std::chrono::duration<double>(s.seconds / 4)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::vector<char> back(s.max_size);
        for (int m = 0; m < s.messages; ++m) {
            const std::string out = message(c, m, s.max_size, s.uniform);
            sock.sendall(out);
            std::size_t got = 0;
            while (got < out.size()) {
                const std::size_t n = sock.recv_into(csnet::mutable_buffer{back.data() + got, out.size() - got});
                if (n == 0) throw std::runtime_error("the server closed early");
                got += n;
            }
            if (std::string(back.data(), got) != out) throw std::runtime_error("the echo differs");
            bytes_echoed.fetch_add(static_cast<long long>(got));
        }
        sock.shutdown(csnet::shut_wr);
        if (!sock.recv(1).empty()) throw std::runtime_error("bytes after the last echo");
        clients_ok.fetch_add(1);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "client %d: %s\n", c, e.what());
        clients_failed.fetch_add(1);
        connected.fetch_add(1);  // never let the others wait for this one
    }
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--clients") == 0)
            s.clients = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--messages") == 0)
            s.messages = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--max-size") == 0)
            s.max_size = static_cast<std::size_t>(std::atoi(argv[i + 1]));
        else if (std::strcmp(argv[i], "--seconds") == 0)
            s.seconds = std::atof(argv[i + 1]);
        else if (std::strcmp(argv[i], "--sizes") == 0 && std::strcmp(argv[i + 1], "uniform") == 0)
            s.uniform = true;
        else if (std::strcmp(argv[i], "--sizes") == 0 && std::strcmp(argv[i + 1], "log") == 0)
            s.uniform = false;
        else {
            std::fprintf(stderr,
                         "usage: csnet_load [--clients N] [--messages N] [--max-size BYTES] [--sizes log|uniform] "
                         "[--seconds S]\n");
            return 2;
        }
    }
    if (s.clients < 1 || s.messages < 1 || s.max_size < 1 || !(s.seconds > 0)) {
        std::fprintf(
            stderr,
            "usage: csnet_load [--clients N] [--messages N] [--max-size BYTES] [--sizes log|uniform] [--seconds S]\n");
        return 2;
    }
#ifndef _WIN32
    rlimit limit{};
    const rlim_t needed = static_cast<rlim_t>(2 * s.clients + 64);
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < needed) {
        limit.rlim_cur = limit.rlim_max < needed ? limit.rlim_max : needed;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < needed) {
            std::fprintf(stderr, "load: %d clients need %lu descriptors; the limit is %lu\n", s.clients,
                         static_cast<unsigned long>(needed), static_cast<unsigned long>(limit.rlim_cur));
            return 1;
        }
    }
#endif
    const auto started = std::chrono::steady_clock::now();
    std::thread watchdog([&s] {
        std::this_thread::sleep_for(std::chrono::duration<double>(s.seconds * 2));
        std::fprintf(stderr, "load: still running after %.0f s: stopped\n", s.seconds * 2);
        std::_Exit(1);
    });
    watchdog.detach();

    csnet::socket listener = csnet::create_server(csnet::address{"127.0.0.1", 0}, csnet::af_inet, 4096);
    const csnet::address where = listener.getsockname();
    std::vector<std::thread> servers;
    std::thread acceptor([&] {
        try {
            listener.settimeout(s.seconds);
            for (int i = 0; i < s.clients; ++i) {
                auto accepted = listener.accept();
                servers.emplace_back(serve, std::move(accepted.first), s.seconds);
            }
        } catch (const csnet::error& e) {
            std::fprintf(stderr, "accept: %s\n", e.what());
        }
    });
    std::vector<std::thread> clients;
    for (int c = 0; c < s.clients; ++c) clients.emplace_back(client, c, where, std::cref(s));
    for (auto& t : clients) t.join();
    acceptor.join();
    for (auto& t : servers) t.join();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "load: %d clients x %d messages (1 B to %zu B, %s): %d byte-exact, %d failed; %lld bytes echoed "
        "(%.1f MB each way) in %.1f s\n",
        s.clients, s.messages, s.max_size, s.uniform ? "uniform" : "log-uniform", clients_ok.load(),
        clients_failed.load(), bytes_echoed.load(), static_cast<double>(bytes_echoed.load()) / 1e6, took);
    return clients_ok.load() == s.clients ? 0 : 1;
}
