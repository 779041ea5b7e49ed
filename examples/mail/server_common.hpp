// server_common.hpp - what mail_smtp_server and mail_pop3_server do in the same way:
// write the log, read the command line, open the listening socket, and accept()
// clients, a thread for each. What makes each server what it is (its dialogue)
// stays in its own .cpp file.
#ifndef CSNET_EXAMPLES_MAIL_SERVER_COMMON_HPP
#define CSNET_EXAMPLES_MAIL_SERVER_COMMON_HPP

#include <csnet.hpp>

#include "lines.hpp"     // mail::line_too_slow
#include "protocol.hpp"  // mail::parse_number, printable

#include <atomic>      // std::atomic<int>: clients being served
#include <chrono>      // std::chrono::milliseconds: the pause after a failed accept()
#include <filesystem>  // std::filesystem::path: the mailbox folders
#include <functional>  // std::function: each server's own options
#include <exception>   // std::exception
#include <iostream>    // std::cerr, std::cout
#include <mutex>       // std::mutex: one log line at a time
#include <stdexcept>   // std::invalid_argument: a bad command-line argument
#include <string>      // std::string, std::stod
#include <thread>      // std::thread: one thread per client; sleep_for
#include <utility>     // std::pair: what accept() returns; std::move
#include <vector>      // std::vector

namespace mail {

// == The log: the whole dialogue, one line at a time, on stderr ===============
inline std::mutex log_mutex;  // lines of different clients must not mix mid-line

/// One log line: WHO (the client, "[127.0.0.1:50000]") and what happened.
inline void log(const std::string& who, const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mutex);
    std::cerr << who << ' ' << text << std::endl;
}

/// Why a client was disconnected for taking too long, for the log.
inline std::string timeout_text(const csnet::timeout& e, double seconds) {
    const std::string limit = std::to_string(static_cast<int>(seconds)) + " s";
    if (dynamic_cast<const line_too_slow*>(&e) != nullptr) return "client took more than " + limit + " to send a line";
    return "client silent for " + limit;
}

/// Sends one line of a reply ("250 OK", "+OK ...") and logs it as "S: ...".
inline void send_reply(csnet::socket& connection, const std::string& who, const std::string& line) {
    log(who, "S: " + printable(line));
    connection.sendall(line + "\r\n");
}

// == The command line =========================================================
/// What both servers read from "[HOST [PORT]] [--option VALUE ...]".
struct server_settings {
    std::string host = "127.0.0.1";
    int port = 0;  // each server sets its own default before parsing
    std::filesystem::path maildir = "maildir";
    double timeout = 300;  // seconds a client may stay silent
    bool help = false;
};

/// Reads the command line into CONFIG. --help, --maildir and --timeout mean the
/// same in both servers and are read here; any other "--option VALUE" is handed
/// to READ_OPTION(option, value), which returns false when the option is not one
/// of its own. A bad argument throws std::invalid_argument (std::stod may throw
/// std::out_of_range): main() then prints the usage and exits with 2.
inline void parse_server_arguments(int argc, char* argv[], server_settings& config,
                                   const std::function<bool(const std::string&, const std::string&)>& read_option) {
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        bool is_option = arg.size() > 1 && arg[0] == '-';
        if (arg == "--help" || arg == "-h") {
            config.help = true;
        } else if (arg == "--maildir" && has_value) {
            config.maildir = argv[++i];
        } else if (arg == "--timeout" && has_value) {
            config.timeout = std::stod(argv[++i]);  // std::invalid_argument if not a number
            if (!(config.timeout > 0 && config.timeout <= 86400)) {
                throw std::invalid_argument("--timeout needs seconds, more than 0 and at most 86400");
            }
        } else if (is_option && has_value && read_option(arg, argv[i + 1])) {
            ++i;  // the server took the option and its value
        } else if (is_option) {
            throw std::invalid_argument("unknown option or missing value: " + arg);
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() > 2) throw std::invalid_argument("too many arguments");
    if (positional.size() > 0) config.host = positional[0];
    if (positional.size() > 1) {
        auto port = parse_number(positional[1]);
        if (!port || *port > 65535) throw std::invalid_argument("PORT must be a number from 0 to 65535");
        config.port = static_cast<int>(*port);
    }
}

/// main()'s first step. Returns true when the server may start. Otherwise it
/// has printed what main() must say and set EXIT_CODE: 0 after --help (the usage,
/// on stdout), 2 after a bad argument (PROGRAM: what was wrong, and the usage,
/// on stderr).
inline bool read_command_line(int argc, char* argv[], const std::string& program, const char* usage,
                              server_settings& config,
                              const std::function<bool(const std::string&, const std::string&)>& read_option,
                              int& exit_code) {
    try {
        parse_server_arguments(argc, argv, config, read_option);
    } catch (const std::logic_error& e) {  // std::invalid_argument, std::out_of_range
        std::cerr << program << ": " << e.what() << '\n' << usage;
        exit_code = 2;
        return false;
    }
    if (config.help) {
        std::cout << usage;
        exit_code = 0;
        return false;
    }
    return true;
}

// == The listening socket =====================================================
/// Creating the TCP/IP socket, binding it and listening, as the report's server
/// (csnet::create_server does the three steps; a HOST with ':' such as ::1 is
/// IPv6). Then it says where it listens: "starting up on HOST port PORT".
inline csnet::socket listen_on(const server_settings& config) {
    csnet::address server_address{config.host, config.port};
    auto family = config.host.find(':') != std::string::npos ? csnet::af_inet6 : csnet::af_inet;
    csnet::socket sock = csnet::create_server(server_address, family);
    auto [bound_host, bound_port] = sock.getsockname();
    std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;
    std::cerr << "maildir: " << std::filesystem::absolute(config.maildir).string() << std::endl;
    return sock;
}

/// accept(), until it works. A failed accept() (too many open files, a client that
/// reset before it was taken) must not stop the server: say it, pause, try again.
inline std::pair<csnet::socket, csnet::address> accept_next(csnet::socket& sock) {
    while (true) {
        try {
            return sock.accept();
        } catch (const csnet::error& e) {
            log("[server]", std::string("accept() failed: ") + e.what());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let some clients leave first
        }
    }
}

// == Many clients at once =====================================================
constexpr int clients_limit = 64;           // clients served at the same time
inline std::atomic<int> active_clients{0};  // ++ here, -- when a client's thread ends

/// The server's loop, for ever: accept() the next client and start
/// CLIENT_THREAD(connection, who) in a thread of its own, so that a slow client
/// does not make the others wait. Past clients_limit clients at a time, a new
/// client gets the reply TOO_BUSY and is closed at once.
[[noreturn]] inline void serve_forever(csnet::socket& sock, const std::string& too_busy,
                                       const std::function<void(csnet::socket, std::string)>& client_thread) {
    while (true) {
        auto accepted = accept_next(sock);
        std::string who = "[" + accepted.second.to_string() + "]";
        log(who, "client connected");
        if (active_clients >= clients_limit) {
            try {
                send_reply(accepted.first, who, too_busy);
            } catch (const csnet::error&) {
            }
            continue;  // accepted.first closes here
        }
        ++active_clients;
        try {
            std::thread(client_thread, std::move(accepted.first), who).detach();
        } catch (const std::exception& e) {  // the system could not start a thread
            --active_clients;
            log(who, std::string("could not start a thread: ") + e.what());
        }
    }
}

/// The last step of a client's thread: close the connection, log it, and count
/// the client out (serve_forever counted it in).
inline void finish_client(csnet::socket& connection, const std::string& who) {
    connection.close();
    log(who, "connection closed");
    --active_clients;
}

}  // namespace mail

#endif  // CSNET_EXAMPLES_MAIL_SERVER_COMMON_HPP
