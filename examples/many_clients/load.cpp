// many_clients_load: many clients at once against an echo server, each checking its
// echo byte for byte. It measures what the report only says in words: "a mayor
// número de clientes, más problemas para el servidor".
//
// N clients connect, then each sends M messages of random sizes (1 byte to S), one
// at a time: send a message, wait until all of it has come back, compare, send the
// next. The time from the first byte sent to the last byte echoed is the message's
// round trip. All clients run in this one thread with a csnet::selector: the
// client side of many_clients_selector.
//
// It prints one line, and exits 0 only when nothing was lost, changed or refused:
//   clients 1000, messages 20000, bytes sent ..., bytes echoed ..., mismatches 0,
//   errors 0, seconds ..., connect seconds ..., messages/s ..., p50 ms ..., p99 ms ...
// (messages/s counts from the moment every client is connected.)
//
// USAGE: many_clients_load HOST PORT [--clients N] [--messages M] [--max-size S]
//                                    [--seed K] [--timeout SECONDS]
#include <csnet.hpp>

#include "args.hpp"  // NAME [HOST [PORT]] [--option VALUE]: --help, usage, exit 2

#include <algorithm>    // std::sort, std::min
#include <chrono>       // std::chrono::steady_clock
#include <cstdio>       // std::printf
#include <exception>    // std::exception
#include <iostream>     // std::cerr
#include <random>       // std::mt19937: the same --seed gives the same messages
#include <stdexcept>    // std::runtime_error
#include <string>       // std::string
#include <string_view>  // std::string_view: the part of a message not sent yet
#include <vector>       // std::vector

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct load_client {
    csnet::socket sock;  // a new TCP socket (AF_INET, SOCK_STREAM), as in Python
    std::mt19937 random;
    std::string message;     // the message on its way
    std::size_t sent = 0;    // how much of it send() has taken
    std::size_t echoed = 0;  // how much of it has come back
    int done = 0;            // messages echoed completely
    double started = 0;      // when the message's first byte was sent
    bool finished = false;
};

struct totals {
    long long messages = 0, bytes_sent = 0, bytes_echoed = 0, mismatches = 0, errors = 0;
    std::vector<double> round_trips;  // seconds
};

// A message of random size whose bytes follow a pattern with a random start: a
// lost, repeated or reordered piece changes what arrives (the period, 251, is a
// prime, so no power-of-two chunk can hide).
std::string next_message(std::mt19937& random, std::size_t max_size) {
    std::uniform_int_distribution<std::size_t> size(1, max_size);
    std::string message(size(random), '\0');
    const std::size_t start = static_cast<std::size_t>(random() % 251);
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>((start + i) % 251);
    return message;
}

}  // namespace

int main(int argc, char* argv[]) {
    const command_line args = parse_command_line(
        argc, argv,
        "many_clients_load HOST PORT [--clients N] [--messages M] [--max-size S] [--seed K] [--timeout SECONDS]\n"
        "  defaults: 100 clients, 10 messages each, sizes 1 to 1024 bytes, seed 1, timeout 60 s",
        {"--clients", "--messages", "--max-size", "--seed", "--timeout"}, 2);
    const int clients = static_cast<int>(args.number("--clients", 100));
    const int messages = static_cast<int>(args.number("--messages", 10));
    const double max_size_option = args.number("--max-size", 1024);
    const unsigned seed = static_cast<unsigned>(args.number("--seed", 1));
    const double timeout = args.number("--timeout", 60);
    if (clients < 1 || messages < 1 || max_size_option < 1 || max_size_option > (1 << 26) || timeout <= 0) {
        std::cerr << "many_clients_load: --clients, --messages, --max-size and --timeout must be positive "
                     "(--max-size at most 64 MiB)\n";
        return 2;
    }
    const std::size_t max_size = static_cast<std::size_t>(max_size_option);

    totals total;
    const double start = now();
    const double deadline = start + timeout;
    double connected = start;  // when the last client had connected: messages/s counts from there
    try {
        csnet::selector sel;
        std::vector<load_client> all(static_cast<std::size_t>(clients));
        // 1. Connect every client (one at a time: the server's listen queue holds
        //    those it has not accepted yet).
        for (std::size_t i = 0; i < all.size(); ++i) {
            load_client& c = all[i];
            c.random.seed(seed * 1000003u + static_cast<unsigned>(i));
            try {
                c.sock.settimeout(std::max(0.001, deadline - now()));
                c.sock.connect({args.host, args.port});
                c.sock.setblocking(false);
                c.message = next_message(c.random, max_size);
                sel.register_(c.sock, csnet::event_read | csnet::event_write, &c);
            } catch (const csnet::error& e) {
                if (total.errors++ == 0) std::cerr << "client " << i << ": " << e.what() << '\n';
                c.finished = true;
                c.sock.close();
            }
        }
        connected = now();
        // 2. Send and check, for every client at once, until all are done or time is up.
        std::vector<char> buffer(65536);
        while (sel.size() > 0 && now() < deadline) {
            for (auto& [key, mask] : sel.select(deadline - now())) {
                load_client& c = *static_cast<load_client*>(key.data);
                try {
                    if ((mask & csnet::event_write) && c.sent < c.message.size()) {
                        if (c.sent == 0) c.started = now();
                        const std::size_t n = c.sock.send(std::string_view(c.message).substr(c.sent));
                        c.sent += n;
                        total.bytes_sent += static_cast<long long>(n);
                        if (c.sent == c.message.size()) sel.modify(c.sock, csnet::event_read);
                    }
                    if (mask & csnet::event_read) {
                        const std::size_t n = c.sock.recv_into(buffer);
                        if (n == 0) throw std::runtime_error("the server closed the connection early");
                        total.bytes_echoed += static_cast<long long>(n);
                        const std::size_t expected = std::min(n, c.message.size() - c.echoed);
                        if (n > expected || c.message.compare(c.echoed, n, buffer.data(), n) != 0) {
                            ++total.mismatches;
                            c.finished = true;  // this connection's stream is not to be trusted any more
                        }
                        c.echoed += expected;
                        if (!c.finished && c.echoed == c.message.size()) {  // the whole echo is back
                            total.round_trips.push_back(now() - c.started);
                            ++total.messages;
                            if (++c.done == messages) {
                                c.finished = true;
                            } else {
                                c.message = next_message(c.random, max_size);
                                c.sent = c.echoed = 0;
                                sel.modify(c.sock, csnet::event_read | csnet::event_write);
                            }
                        }
                    }
                } catch (const std::exception& e) {
                    if (const auto* ce = dynamic_cast<const csnet::error*>(&e);
                        ce && ce->code() == std::errc::operation_would_block) {
                        continue;  // not ready after all: the selector will say when
                    }
                    if (total.errors++ == 0) std::cerr << "a client failed: " << e.what() << '\n';
                    c.finished = true;
                }
                if (c.finished) {
                    sel.unregister(c.sock);
                    c.sock.close();
                }
            }
        }
        if (sel.size() > 0) {  // the time ran out: every unfinished client is an error
            std::cerr << "timed out after " << timeout << " s with " << sel.size() << " clients unfinished\n";
            total.errors += static_cast<long long>(sel.size());
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }

    const double finished = now();
    const double seconds = finished - start;
    const double exchanging = finished - connected > 0 ? finished - connected : 1e-9;
    std::sort(total.round_trips.begin(), total.round_trips.end());
    const auto percentile = [&total](double p) {
        if (total.round_trips.empty()) return 0.0;
        const std::size_t i = static_cast<std::size_t>(p * static_cast<double>(total.round_trips.size() - 1));
        return total.round_trips[i] * 1000.0;
    };
    std::printf(
        "clients %d, messages %lld, bytes sent %lld, bytes echoed %lld, mismatches %lld, errors %lld, "
        "seconds %.2f, connect seconds %.2f, messages/s %.0f, p50 ms %.2f, p99 ms %.2f\n",
        clients, total.messages, total.bytes_sent, total.bytes_echoed, total.mismatches, total.errors, seconds,
        connected - start, static_cast<double>(total.messages) / exchanging, percentile(0.50), percentile(0.99));
    return total.mismatches == 0 && total.errors == 0 ? 0 : 1;
}
