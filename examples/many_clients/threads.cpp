// many_clients_threads: the report's echo server for many clients at once, with one
// thread per client.
//
// The report (section 2): "a mayor número de clientes, más problemas para el
// servidor". Its server serves one client at a time: accept(), then recv() and
// sendall() until that client leaves, and only then accept() again. A second
// client waits in the listen queue all that time.
//
// The oldest fix: the main thread only accepts, and each client gets a thread of
// its own that runs the report's loop (recv, sendall, until recv returns "").
// While one thread waits in recv() for its client, the others keep working.
//
// How a thread ends: when its client closes (recv returns ""), when the client
// stalls longer than --idle seconds (csnet::timeout), or on any error. Each thread
// catches everything: an exception that escaped a thread would end the whole
// process (std::terminate), and with it every other client's connection.
// The cost: each thread has its own stack (8 MiB of address space on Linux), so a
// thousand clients are a thousand threads; see README.md.
//
// USAGE: many_clients_threads [HOST [PORT]] [--idle SECONDS]   (default 127.0.0.1 9999, idle 60)
#include <csnet.hpp>

#include "args.hpp"  // NAME [HOST [PORT]] [--option VALUE]: --help, usage, exit 2

#include <atomic>     // std::atomic: the number of clients, shared by the threads
#include <chrono>     // std::chrono::milliseconds: the pause after a failed accept()
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <mutex>      // std::mutex: one thread writes to std::cerr at a time
#include <string>     // std::string
#include <thread>     // std::thread, std::this_thread::sleep_for

namespace {

std::atomic<int> active{0};
std::mutex log_lock;

void log(const std::string& line) {
    std::lock_guard<std::mutex> hold(log_lock);
    std::cerr << line << '\n';
}

// The report's inner loop, for one client, in a thread of its own.
void serve(csnet::socket connection, csnet::address client_address, double idle) {
    const std::string who = "('" + client_address.host() + "', " + std::to_string(client_address.port()) + ")";
    std::string why = "the client closed the connection";
    try {
        connection.settimeout(idle);  // a client that stalls cannot keep its thread for ever
        while (true) {
            std::string data = connection.recv(65536);
            if (data.empty()) break;
            connection.sendall(data);
        }
    } catch (const std::exception& e) {  // timeout, reset, ...: this client only
        why = e.what();
    }
    connection.close();
    log("closing " + who + " [" + std::to_string(--active) + " clients]: " + why);
}

}  // namespace

int main(int argc, char* argv[]) {
    const command_line args = parse_command_line(
        argc, argv, "many_clients_threads [HOST [PORT]] [--idle SECONDS]   (default 127.0.0.1 9999, idle 60)",
        {"--idle"});
    const double idle = args.number("--idle", 60);
    if (!(idle > 0)) {  // (also refuses "nan")
        std::cerr << "many_clients_threads: --idle must be a positive number of seconds\n";
        return 2;
    }
    try {
        csnet::socket sock(csnet::af_inet, csnet::sock_stream);
        sock.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        sock.bind({args.host, args.port});
        sock.listen(128);  // the queue of clients waiting for accept()
        auto [bound_host, bound_port] = sock.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;

        while (true) {
            try {
                auto accepted = sock.accept();
                const csnet::address client_address = accepted.second;
                log("accepted ('" + client_address.host() + "', " + std::to_string(client_address.port()) + ") [" +
                    std::to_string(++active) + " clients]");
                try {
                    // The thread owns the connection from now on; detach(): nobody waits for it.
                    std::thread(serve, std::move(accepted.first), client_address, idle).detach();
                } catch (const std::system_error& e) {  // no more threads: refuse this one, keep the others
                    --active;
                    log(std::string("cannot start a thread: ") + e.what());
                }
            } catch (const csnet::error& e) {  // accept() failed, e.g. "Too many open files":
                log(e.what());                 // keep serving the clients already here, and
                std::this_thread::sleep_for(std::chrono::milliseconds(100));  // give some time to leave
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
