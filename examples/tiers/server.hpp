// server.hpp: what the two servers of the tiers lesson (tiers_db_server and
// tiers_app_server) do in the same way: the command line, the log, the listening
// socket, a thread per client, and closing a connection gently. What each server answers stays in its
// own .cpp file.
#ifndef CSNET_EXAMPLES_TIERS_SERVER_HPP
#define CSNET_EXAMPLES_TIERS_SERVER_HPP

#include <csnet.hpp>

#include <chrono>        // std::chrono::milliseconds
#include <functional>    // std::function: what to do with each client
#include <iostream>      // std::cerr, std::cout
#include <mutex>         // std::mutex, std::lock_guard
#include <stdexcept>     // std::runtime_error
#include <string>        // std::string, std::stoi, std::to_string
#include <system_error>  // std::system_error (what accept() and std::thread throw)
#include <thread>        // std::this_thread::sleep_for
#include <utility>       // std::move

namespace tiers {

// Thrown for a bad command line: main() prints it with the usage and exits with 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A port number from the command line: 1 to 5 digits, from 0 to 65535.
inline int parse_port(const std::string& text) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(text) > 65535) {
        throw usage_error("PORT must be a number from 0 to 65535");
    }
    return std::stoi(text);
}

// Reads the command line "[HOST [PORT]] [--option VALUE ...]" into HOST and PORT,
// which keep their defaults when they are not given. Each "--option VALUE" is handed
// to READ_OPTION(option, value), which returns false for an option it does not know.
// Returns false after --help (the usage is printed on stdout: main() exits with 0).
// A bad argument throws usage_error.
inline bool read_command_line(int argc, char* argv[], const char* usage, std::string& host, int& port,
                              const std::function<bool(const std::string&, const std::string&)>& read_option) {
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool is_option = arg.rfind("-", 0) == 0;
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return false;
        } else if (is_option && i + 1 < argc && read_option(arg, argv[i + 1])) {
            ++i;  // the server took the option and its value
        } else if (is_option) {
            throw usage_error("unknown option or missing value: " + arg);
        } else if (positional == 0) {
            host = arg;
            ++positional;
        } else if (positional == 1) {
            port = parse_port(arg);
            ++positional;
        } else {
            throw usage_error("too many arguments: " + arg);
        }
    }
    return true;
}

// One line at a time on standard error, even with many client threads.
inline std::mutex log_mutex;
inline void log_line(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    std::cerr << line << '\n';
}

// A client in the log as Python prints an address: ('127.0.0.1', 50000).
inline std::string peer_name(const csnet::address& client) {
    return "('" + client.host() + "', " + std::to_string(client.port()) + ")";
}

// Creating the TCP/IP socket, binding it and listening. SO_REUSEADDR lets a
// restarted server take its port back at once, while old connections are still in
// TIME_WAIT. Then it says where it listens: "starting up on HOST port PORT".
inline csnet::socket listen_on(const std::string& host, int port) {
    csnet::socket sock(host.find(':') == std::string::npos ? csnet::af_inet : csnet::af_inet6, csnet::sock_stream);
    sock.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
    sock.bind({host, port});
    sock.listen();  // from here on, clients can connect (they wait in the queue)
    auto [bound_host, bound_port] = sock.getsockname();
    std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;
    return sock;
}

// The server's loop, for ever: accept() a client and hand it to START_CLIENT, which
// starts a thread for it, so that a slow client never makes the others wait.
// Running out of descriptors or threads (std::system_error) drops that one client.
[[noreturn]] inline void serve_forever(csnet::socket& sock,
                                       const std::function<void(csnet::socket, csnet::address)>& start_client) {
    while (true) {
        try {
            auto accepted = sock.accept();
            start_client(std::move(accepted.first), accepted.second);
        } catch (const std::system_error& e) {  // out of descriptors or threads: drop this one
            log_line(std::string("cannot take a client now: ") + e.what());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

// Close gently: say "no more data" (FIN), then read and throw away what the client
// is still sending, for a moment (at most MAX_READS recv() calls, 1 s each).
// Closing with unread data would send a reset, which could destroy our last reply
// before the client reads it.
inline void close_gently(csnet::socket& connection, int max_reads) {
    connection.shutdown(csnet::shut_wr);
    connection.settimeout(1.0);
    for (int i = 0; i < max_reads && !connection.recv(65536).empty(); ++i) {
    }
}

}  // namespace tiers

#endif  // CSNET_EXAMPLES_TIERS_SERVER_HPP
