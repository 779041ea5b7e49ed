// run_pair: runs one client-server pair over loopback and shows both transcripts,
// the way the report shows them (section 5: "Captura del Cliente", "Captura del Servidor").
//
// It does what you would do in two terminals, without a fixed port and without sleeping:
//   1. starts   SERVER HOST 0 --once   (port 0: the system picks a free port),
//   2. reads the server's output until "starting up on HOST port N" and "waiting for ...",
//   3. runs     CLIENT HOST N          and collects its output,
//   4. lets the server finish (--once: it exits after one client) and collects the rest.
// Every wait is bounded: if a program hangs, run_pair says so and fails.
//
// USAGE: run_pair [--host HOST] [--expect-server FILE] [--expect-client FILE]
//                 [--server-has TEXT]... [--client-has TEXT]... [--client-exit N] SERVER CLIENT
//   SERVER, CLIENT: a program, or a command line such as "python3 06_server_close.py".
//   --expect-*: compare the whole transcript with FILE (ports are replaced by N first;
//               CSNET_TRACE's "[csnet] ..." lines are left out).
//   --*-has:    the transcript must contain TEXT somewhere.
//   --client-exit N: the client must exit with N (default 0), e.g. 1 against a server that fails.
// Exit code 0 only when the server exits with 0, the client as expected, and every check holds.
#include <csnet.hpp>  // only to wake up a server that did not finish (see poke)

#include <chrono>              // std::chrono::seconds
#include <condition_variable>  // std::condition_variable
#include <cstdio>              // FILE, std::fgets, popen/pclose (_popen/_pclose on Windows)
#include <cstdlib>             // std::_Exit
#include <exception>           // std::exception
#include <fstream>             // std::ifstream
#include <iostream>            // std::cout, std::cerr
#include <mutex>               // std::mutex, std::unique_lock
#include <regex>               // std::regex, std::regex_search, std::regex_replace
#include <string>              // std::string, std::getline
#include <thread>              // std::thread
#include <utility>             // std::pair
#include <vector>              // std::vector
#ifndef _WIN32
#    include <sys/wait.h>  // WIFEXITED, WEXITSTATUS: what pclose() returns on POSIX
#endif

namespace {

FILE* open_pipe(const std::string& command) {
#ifdef _WIN32
    // cmd.exe /c drops the first and the last quote: wrap the whole line once more.
    return _popen(("\"" + command + "\"").c_str(), "r");
#else
    return popen(command.c_str(), "r");
#endif
}

int close_pipe(FILE* pipe) {
#ifdef _WIN32
    return _pclose(pipe);
#else
    int status = pclose(pipe);
    if (status != -1 && WIFEXITED(status)) return WEXITSTATUS(status);
    return -1;  // killed by a signal, or pclose failed
#endif
}

// What one program printed, filled by a reader thread while main waits.
struct transcript {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lines;
    bool finished = false;
    int exit_code = -1;
};

void read_all(FILE* pipe, transcript* out) {
    std::string line;
    char chunk[512];
    auto push = [&] {
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        std::lock_guard<std::mutex> lock(out->mutex);
        out->lines.push_back(line);
        out->changed.notify_all();
        line.clear();
    };
    while (std::fgets(chunk, static_cast<int>(sizeof chunk), pipe) != nullptr) {
        line += chunk;
        if (line.back() == '\n') push();
    }
    if (!line.empty()) push();
    int code = close_pipe(pipe);
    std::lock_guard<std::mutex> lock(out->mutex);
    out->finished = true;
    out->exit_code = code;
    out->changed.notify_all();
}

// A quoted path when the argument names a file (it may contain spaces), else as given.
std::string command_of(const std::string& program) {
    if (std::ifstream(program).good()) return "\"" + program + "\"";
    return program;
}

std::string short_name(const std::string& program) {
    std::string name = program.substr(program.find_last_of("/\\") + 1);
    return name.empty() ? program : name;
}

// Ports differ from run to run: "port 41234" -> "port N", "('127.0.0.1', 41234)" ->
// "('127.0.0.1', N)", "127.0.0.1:41234" -> "127.0.0.1:N".
std::string normalise(const std::string& line) {
    static const std::regex port(R"(port \d+)"), tuple(R"(', \d+\))"), colon(R"(:\d+\b)");
    std::string out = std::regex_replace(line, port, "port N");
    out = std::regex_replace(out, tuple, "', N)");
    return std::regex_replace(out, colon, ":N");
}

void print(const std::string& title, transcript& t) {
    std::cout << "--- " << title << " (exit code " << t.exit_code << ") ---\n";
    for (const auto& line : t.lines) std::cout << line << '\n';
}

// A server that should have finished but did not: one TCP connection and one empty
// UDP datagram make a --once echo server finish its turn and exit.
void poke(const std::string& host, int port) {
    try {
        csnet::socket s = csnet::create_connection(csnet::address{host, port}, 1.0);
    } catch (const std::exception&) {
    }
    try {
        csnet::socket u(csnet::af_inet, csnet::sock_dgram);
        u.sendto("", csnet::address{host, port});
    } catch (const std::exception&) {
    }
}

[[noreturn]] void give_up(const std::string& why, transcript& server, transcript* client) {
    std::cout << "run_pair: FAILED: " << why << '\n';
    {
        std::lock_guard<std::mutex> lock(server.mutex);
        print("server output so far", server);
    }
    if (client != nullptr) {
        std::lock_guard<std::mutex> lock(client->mutex);
        print("client output so far", *client);
    }
    std::cout.flush();
    std::_Exit(1);  // reader threads may still be blocked on a pipe
}

bool compare(const std::string& who, const std::vector<std::string>& lines, const std::string& expected_file) {
    std::vector<std::string> got;  // without CSNET_TRACE=1's "[csnet] ..." lines
    for (const auto& line : lines)
        if (line.rfind("[csnet] ", 0) != 0) got.push_back(line);
    std::ifstream in(expected_file);
    if (!in) {
        std::cout << "run_pair: cannot read " << expected_file << '\n';
        return false;
    }
    std::vector<std::string> expected;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        expected.push_back(line);
    }
    bool same = got.size() == expected.size();
    for (std::size_t i = 0; i < got.size() || i < expected.size(); ++i) {
        std::string g = i < got.size() ? normalise(got[i]) : "(nothing)";
        std::string e = i < expected.size() ? expected[i] : "(nothing)";
        if (g != e) {
            std::cout << who << " line " << i + 1 << ": expected [" << e << "], got [" << g << "]\n";
            same = false;
        }
    }
    std::cout << who << " transcript " << (same ? "matches " : "DIFFERS from ") << expected_file
              << " (ports replaced by N)\n";
    return same;
}

bool contains(const std::string& who, const std::vector<std::string>& got, const std::string& text) {
    for (const auto& line : got)
        if (line.find(text) != std::string::npos) return true;
    std::cout << who << " transcript lacks: " << text << '\n';
    return false;
}

int run(int argc, char* argv[]) {
    std::string host = "127.0.0.1", expect_server, expect_client;
    std::vector<std::string> server_has, client_has, programs;
    int client_exit = 0;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        if (arg == "--host" && has_value)
            host = argv[++i];
        else if (arg == "--expect-server" && has_value)
            expect_server = argv[++i];
        else if (arg == "--expect-client" && has_value)
            expect_client = argv[++i];
        else if (arg == "--server-has" && has_value)
            server_has.push_back(argv[++i]);
        else if (arg == "--client-has" && has_value)
            client_has.push_back(argv[++i]);
        else if (arg == "--client-exit" && has_value)
            client_exit = std::stoi(argv[++i]);
        else
            programs.push_back(arg);
    }
    if (programs.size() != 2) {
        std::cerr << "usage: run_pair [--host HOST] [--expect-server FILE] [--expect-client FILE]\n"
                     "                [--server-has TEXT]... [--client-has TEXT]... [--client-exit N]\n"
                     "                SERVER CLIENT\n";
        return 2;
    }
    const std::string server_line = command_of(programs[0]) + " " + host + " 0 --once";
    std::cout << "run_pair: starting the server: " << server_line << '\n' << std::flush;

    transcript server, client;
    FILE* server_pipe = open_pipe(server_line + " 2>&1");
    if (server_pipe == nullptr) give_up("cannot start the server", server, nullptr);
    std::thread server_reader(read_all, server_pipe, &server);

    // Wait (at most 15 s) for "starting up on HOST port N" (printed after bind()), then
    // for "waiting for a connection" / "waiting for a datagram": a TCP server prints it
    // after listen(), and a client that came earlier would be refused.
    int port = 0;
    {
        static const std::regex starting(R"(starting up on (\S+) port (\d+))");
        std::unique_lock<std::mutex> lock(server.mutex);
        bool ready = server.changed.wait_for(lock, std::chrono::seconds(15), [&] {
            for (const auto& line : server.lines) {
                std::smatch m;
                if (port == 0 && std::regex_search(line, m, starting)) port = std::stoi(m[2].str());
                if (port != 0 && line.find("waiting for") != std::string::npos) return true;
            }
            return server.finished;
        });
        lock.unlock();
        if (!ready)
            give_up("the server did not say 'starting up on ...' and 'waiting for ...' within 15 s", server, nullptr);
        if (port == 0) give_up("the server stopped before it was listening", server, nullptr);
    }

    const std::string client_line = command_of(programs[1]) + " " + host + " " + std::to_string(port);
    std::cout << "run_pair: the server listens on port " << port << "; starting the client: " << client_line << "\n\n"
              << std::flush;
    FILE* client_pipe = open_pipe(client_line + " 2>&1");
    if (client_pipe == nullptr) give_up("cannot start the client", server, nullptr);
    std::thread client_reader(read_all, client_pipe, &client);

    auto wait_finished = [](transcript& t, int seconds) {
        std::unique_lock<std::mutex> lock(t.mutex);
        return t.changed.wait_for(lock, std::chrono::seconds(seconds), [&] { return t.finished; });
    };
    if (!wait_finished(client, 20)) {
        poke(host, port);
        give_up("the client did not finish within 20 s", server, &client);
    }
    if (!wait_finished(server, 10)) {
        poke(host, port);
        if (!wait_finished(server, 5)) give_up("the server did not exit after one client", server, &client);
    }
    client_reader.join();
    server_reader.join();

    // Client first, then server: the order of the report's section 5.
    print("client: " + short_name(programs[1]), client);
    std::cout << '\n';
    print("server: " + short_name(programs[0]) + " (stderr and stdout)", server);
    std::cout << "(the server ran with --once, so it stops after one client; without --once it\n"
                 " goes back to waiting for the next one, as in the report)\n\n";

    bool ok = client.exit_code == client_exit && server.exit_code == 0;
    if (!ok) {
        std::cout << "run_pair: a program did not exit as expected (client: " << client_exit << ", server: 0)\n";
    }
    if (!expect_client.empty()) ok = compare("client", client.lines, expect_client) && ok;
    if (!expect_server.empty()) ok = compare("server", server.lines, expect_server) && ok;
    for (const auto& text : client_has) ok = contains("client", client.lines, text) && ok;
    for (const auto& text : server_has) ok = contains("server", server.lines, text) && ok;
    std::cout << (ok ? "run_pair: OK\n" : "run_pair: FAILED\n");
    std::cout << "To run this pair yourself, use two terminals:\n  1) " << programs[0] << "\n  2) " << programs[1]
              << '\n';
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char* argv[]) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cout << "run_pair: FAILED: " << e.what() << '\n';
        std::cout.flush();
        std::_Exit(1);  // a reader thread may still be running
    }
}
