// A load balancer: a TCP proxy that hands each client to the next backend server in
// turn (round robin) and copies the bytes both ways. The course notes:
//   "Balanceo de carga: Distribuye las solicitudes entre varios servidores para
//    mejorar el rendimiento."
//   "Dependencia del servidor: Si el servidor se cae, los clientes no pueden acceder
//    a los servicios."
// With a balancer in front, one server that goes down no longer cuts clients off: a
// backend that refuses the connection (or does not answer within 1 s) is skipped for
// a while (a passive health check, as nginx's max_fails/fail_timeout) and the client
// goes to the next one. Only when every backend is down is the client turned away,
// at once, and the log says why.
//
// Each client gets two threads, one per direction (client -> backend and backend ->
// client), bounded by --idle-timeout: a connection quiet in both directions for that
// long is closed.
//
// USAGE: load_balancer_proxy [HOST [PORT]] --backend HOST:PORT [--backend HOST:PORT ...]
//            [--max-fails N] [--fail-timeout S] [--idle-timeout S]   (127.0.0.1 9000)
#include <csnet.hpp>

#include <atomic>        // std::atomic
#include <chrono>        // std::chrono::steady_clock
#include <cstdio>        // std::snprintf
#include <exception>     // std::exception
#include <functional>    // std::ref
#include <iostream>      // std::cerr, std::cout
#include <mutex>         // std::mutex, std::lock_guard
#include <optional>      // std::optional
#include <stdexcept>     // std::invalid_argument
#include <string>        // std::string, std::stod
#include <system_error>  // std::system_error (a thread that cannot start)
#include <thread>        // std::thread
#include <utility>       // std::move
#include <vector>        // std::vector

namespace {

const char* const usage =
    "usage: load_balancer_proxy [HOST [PORT]] --backend HOST:PORT [--backend HOST:PORT ...]\n"
    "                           [--max-fails N] [--fail-timeout S] [--idle-timeout S]\n"
    "  HOST PORT          where clients connect (default 127.0.0.1 9000; 0 picks a free port)\n"
    "  --backend H:P      a backend server; give it once per server, in rotation order\n"
    "  --max-fails N      failed connects in a row that take a backend out (default 1;\n"
    "                     0: never take it out)\n"
    "  --fail-timeout S   seconds a failed backend stays out of the rotation (default 10)\n"
    "  --idle-timeout S   seconds a connection may stay quiet both ways (default 60)\n";

const double connect_timeout = 1.0;  // seconds to wait for a backend's answer to connect()
const int max_clients = 200;         // clients served at once (two threads each)

using steady = std::chrono::steady_clock;

double seconds_between(steady::time_point from, steady::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

std::string seconds_text(double seconds) {
    char text[40];
    std::snprintf(text, sizeof text, "%.1f s", seconds);
    return text;
}

// One log line, whole, even when several threads log at once.
std::mutex log_mutex;
void log_line(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    std::cerr << line << std::endl;
}

std::string python_tuple(const csnet::address& a) { return "('" + a.host() + "', " + std::to_string(a.port()) + ")"; }

// == The backends and whose turn it is ========================================
// Shared by every client's thread, so every look and every change holds the mutex.
struct backend {
    csnet::address address;
    int fails = 0;                 // failed connects in a row
    steady::time_point out_until;  // skipped until then (passive health check)
};

class backend_pool {
public:
    backend_pool(std::vector<backend> backends, int max_fails, double fail_timeout)
        : backends_(std::move(backends)), max_fails_(max_fails), fail_timeout_(fail_timeout) {}

    std::size_t size() const { return backends_.size(); }

    csnet::address address(std::size_t i) {
        std::lock_guard<std::mutex> lock(mutex_);
        return backends_[i].address;
    }

    // Round robin: the next backend after the last one handed out, skipping those
    // that are out of the rotation and those this client already tried.
    // Returns size() when there is none left.
    std::size_t next(const std::vector<bool>& tried) {
        std::lock_guard<std::mutex> lock(mutex_);
        steady::time_point now = steady::now();
        for (std::size_t step = 0; step < backends_.size(); ++step) {
            std::size_t i = (turn_ + step) % backends_.size();
            if (!tried[i] && now >= backends_[i].out_until) {
                turn_ = i + 1;
                return i;
            }
        }
        return backends_.size();
    }

    // connect() to backend i failed: count it; at max_fails in a row it leaves the
    // rotation for fail_timeout seconds, then gets another chance.
    void failed(std::size_t i, const std::string& why) {
        std::lock_guard<std::mutex> lock(mutex_);
        backend& b = backends_[i];
        b.fails += 1;
        std::string line =
            "backend " + b.address.to_string() + " failed: " + why + " (" + std::to_string(b.fails) + " in a row): ";
        if (max_fails_ > 0 && b.fails >= max_fails_) {
            b.out_until = steady::now() +
                          std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(fail_timeout_));
            line += "out of the rotation for " + seconds_text(fail_timeout_);
        } else {
            line += "still in the rotation";
        }
        log_line(line);
    }

    void succeeded(std::size_t i) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (backends_[i].fails >= max_fails_ && max_fails_ > 0) {
            log_line("backend " + backends_[i].address.to_string() + " is back");
        }
        backends_[i].fails = 0;
    }

    // Why no backend could take a client: each one's state, for the log.
    std::string states() {
        std::lock_guard<std::mutex> lock(mutex_);
        steady::time_point now = steady::now();
        std::string text;
        for (const backend& b : backends_) {
            if (!text.empty()) text += ", ";
            text += b.address.to_string();
            if (now < b.out_until) {
                text += " out for " + seconds_text(seconds_between(now, b.out_until)) + " more";
            } else {
                text += " failed just now";
            }
        }
        return text;
    }

private:
    std::mutex mutex_;
    std::vector<backend> backends_;
    std::size_t turn_ = 0;
    int max_fails_;
    double fail_timeout_;
};

// == Copying bytes, one direction per thread ===================================
// When the last byte went through in either direction (for the idle timeout).
struct activity {
    std::atomic<steady::rep> last{steady::now().time_since_epoch().count()};
    void touch() { last = steady::now().time_since_epoch().count(); }
    double idle_seconds() const {
        return seconds_between(steady::time_point(steady::duration(last.load())), steady::now());
    }
};

// Copies what `from` sends to `to` until `from` has nothing more to send (recv()
// returns ""), then says the same to `to`: shutdown(shut_wr), TCP's FIN, a
// half-close. The other direction goes on: a client that has finished sending
// still gets its answer. Returns false when the connection broke or stayed idle.
bool copy_bytes(csnet::socket& from, csnet::socket& to, activity& last, double idle_timeout) {
    try {
        while (true) {
            std::string data;
            try {
                data = from.recv(65536);  // at most 64 KiB at a time
            } catch (const csnet::timeout&) {
                if (last.idle_seconds() < idle_timeout) continue;  // the other way is busy
                return false;
            }
            if (data.empty()) {
                to.shutdown(csnet::shut_wr);
                return true;
            }
            last.touch();
            to.sendall(data);  // bounded by the timeout too: a peer that never reads
        }
    } catch (const csnet::error&) {
        return false;  // reset by the peer, broken pipe, ...
    }
}

// Ends both directions at once: a thread blocked in recv() wakes up with "".
void break_both(csnet::socket& a, csnet::socket& b) {
    try {
        a.shutdown(csnet::shut_rdwr);
    } catch (const csnet::error&) {
    }
    try {
        b.shutdown(csnet::shut_rdwr);
    } catch (const csnet::error&) {
    }
}

// Turns a client away with a clean end (FIN: its recv() returns ""), not a reset.
// close() on a socket with unread bytes sends RST ("Connection reset by peer"), and
// the client has probably sent its message already: so first say "nothing more
// from me" (shutdown), then read and throw away what it sent until it closes too
// (at most 1 s and 64 KiB), then close.
void close_gently(csnet::socket& client) {
    try {
        client.shutdown(csnet::shut_wr);
        client.settimeout(1.0);
        std::size_t thrown_away = 0;
        while (thrown_away < 65536) {
            std::string data = client.recv(4096);
            if (data.empty()) break;
            thrown_away += data.size();
        }
    } catch (const csnet::error&) {
        // reset or timed out: it ends here anyway
    }
    client.close();
}

// == One client, in its own thread ============================================
void proxy_client(csnet::socket& client, const csnet::address& client_address, backend_pool& pool,
                  double idle_timeout) {
    // Find a backend that answers: the next in turn, else the one after, ...
    std::vector<bool> tried(pool.size(), false);
    std::optional<csnet::socket> server;  // none yet
    std::size_t chosen = pool.size();
    for (std::size_t i = pool.next(tried); i < pool.size(); i = pool.next(tried)) {
        tried[i] = true;
        try {
            server.emplace(csnet::create_connection(pool.address(i), connect_timeout));
            pool.succeeded(i);
            chosen = i;
            break;
        } catch (const csnet::timeout&) {
            pool.failed(i, "connect timed out (no answer within 1 s)");
        } catch (const csnet::error& e) {
            pool.failed(i, e.code().message());  // "Connection refused": nobody listens there
        }
    }
    if (chosen == pool.size()) {
        // No server is up: close the client's connection now rather than let it wait
        log_line("client " + python_tuple(client_address) + ": no backend alive (" + pool.states() +
                 "): connection closed");
        close_gently(client);
        return;
    }
    log_line("client " + python_tuple(client_address) + " -> backend " + pool.address(chosen).to_string());

    // Two directions, two threads: this one carries the client's bytes to the
    // server, `answers` carries the server's bytes back to the client.
    csnet::socket& backend_socket = *server;
    client.settimeout(idle_timeout);
    backend_socket.settimeout(idle_timeout);
    activity last;
    std::thread answers([&backend_socket, &client, &last, idle_timeout] {
        if (!copy_bytes(backend_socket, client, last, idle_timeout)) break_both(backend_socket, client);
    });
    if (!copy_bytes(client, backend_socket, last, idle_timeout)) break_both(client, backend_socket);
    answers.join();
}  // the backend's socket closes here

// The thread of one client: whatever goes wrong ends this client only.
std::atomic<int> clients_now{0};

void serve_client(csnet::socket client, csnet::address client_address, backend_pool& pool, double idle_timeout) {
    try {
        proxy_client(client, client_address, pool, idle_timeout);
    } catch (const std::exception& e) {
        log_line("client " + python_tuple(client_address) + ": " + e.what());
    }
    clients_now -= 1;
}  // the client's socket closes here

// A whole number from the command line: digits only, from 0 to `highest`.
long long parse_whole(const std::string& text, long long highest) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument(text);
    }
    long long value = std::stoll(text);
    if (value > highest) throw std::invalid_argument(text);
    return value;
}

// "HOST:PORT" or "[IPv6]:PORT" -> an address (throws std::invalid_argument).
csnet::address parse_backend(const std::string& text) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument(text);
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int number = static_cast<int>(parse_whole(text.substr(colon + 1), 65535));
    if (number < 1) throw std::invalid_argument(text);
    return csnet::address{host, number};  // a bad numeric host throws csnet::error
}

// A number of seconds from the command line, whole text or nothing ("0.3x" is refused).
double parse_number(const std::string& text, double lowest, double highest) {
    std::size_t used = 0;
    double value = std::stod(text, &used);
    if (used != text.size() || !(value >= lowest && value <= highest)) throw std::invalid_argument(text);
    return value;
}

}  // namespace

int main(int argc, char* argv[]) {
    std::string host = "127.0.0.1";
    int port = 9000;
    std::vector<backend> backends;
    int max_fails = 1;
    double fail_timeout = 10;
    double idle_timeout = 60;
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        std::vector<std::string> positional;
        for (std::size_t i = 0; i < args.size(); ++i) {
            bool has_value = i + 1 < args.size();
            if (args[i] == "--help" || args[i] == "-h") {
                std::cout << usage;
                return 0;
            } else if (args[i] == "--backend" && has_value) {
                backend b;
                b.address = parse_backend(args[++i]);
                backends.push_back(b);
            } else if (args[i] == "--max-fails" && has_value) {
                max_fails = static_cast<int>(parse_whole(args[++i], 1000));
            } else if (args[i] == "--fail-timeout" && has_value) {
                fail_timeout = parse_number(args[++i], 0, 86400);
            } else if (args[i] == "--idle-timeout" && has_value) {
                idle_timeout = parse_number(args[++i], 0.001, 86400);
            } else if (args[i].rfind("--", 0) == 0 || positional.size() == 2) {
                throw std::invalid_argument(args[i]);
            } else {
                positional.push_back(args[i]);
            }
        }
        if (backends.empty()) throw std::invalid_argument("no --backend");
        if (positional.size() > 0) host = positional[0];
        if (positional.size() > 1) {
            port = static_cast<int>(parse_whole(positional[1], 65535));
        }
    } catch (const csnet::error& e) {  // a backend's host that is not a valid address
        std::cerr << e.what() << '\n' << usage;
        return 2;
    } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
        std::cerr << usage;
        return 2;
    }

    try {
        bool ipv6 = host.find(':') != std::string::npos;
        csnet::socket listener = csnet::create_server({host, port}, ipv6 ? csnet::af_inet6 : csnet::af_inet);
        auto [bound_host, bound_port] = listener.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;
        std::string list;
        for (const backend& b : backends) list += " " + b.address.to_string();
        log_line("round robin over" + list + " (max-fails " + std::to_string(max_fails) + ", fail-timeout " +
                 seconds_text(fail_timeout) + ")");

        backend_pool pool(backends, max_fails, fail_timeout);
        while (true) {
            try {
                auto accepted = listener.accept();
                if (clients_now >= max_clients) {
                    log_line("client " + python_tuple(accepted.second) +
                             ": too many clients at once, connection closed");
                    continue;
                }
                clients_now += 1;
                try {
                    std::thread(serve_client, std::move(accepted.first), accepted.second, std::ref(pool), idle_timeout)
                        .detach();
                } catch (const std::system_error& e) {  // no thread to be had: turn the client away
                    clients_now -= 1;
                    log_line("client " + python_tuple(accepted.second) + ": no thread for it: " + e.what());
                }
            } catch (const csnet::error& e) {  // out of descriptors, ...: wait a little
                log_line(std::string("accept failed: ") + e.code().message());
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
