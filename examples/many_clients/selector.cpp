// many_clients_selector: the report's echo server for many clients at once, in ONE
// thread, with csnet::selector (Python's `selectors`).
//
// The report (section 2): "a mayor número de clientes, más problemas para el
// servidor". Its server waits inside recv() for one client while the others queue.
// Here the server never waits for one client: it asks the selector which sockets
// are ready and serves only those.
//
// This is the `selectors` example of Python's documentation, line for line, made
// correct where that example says "Hope it won't block":
//   - every socket is non-blocking, so a call that would wait throws instead;
//   - each client has its own outgoing buffer: what send() could not take now is
//     kept and sent when the selector says the socket is writable;
//   - the server asks for EVENT_WRITE only while that buffer is not empty
//     (otherwise select() would report "writable" all the time and spin);
//   - a client that sends but never reads cannot make the server wait, and once
//     its buffer is full the server stops reading from it until it drains;
//   - a client quiet for longer than --idle seconds is dropped (as in
//     many_clients_threads): silent clients cannot keep descriptors for ever;
//   - out of descriptors ("Too many open files"), the server stops watching the
//     listening socket until a client leaves, instead of failing accept() in a loop.
//
// USAGE: many_clients_selector [HOST [PORT]] [--idle SECONDS]   (default 127.0.0.1 9999, idle 60)
#include <csnet.hpp>

#include "args.hpp"  // NAME [HOST [PORT]] [--option VALUE]: --help, usage, exit 2

#include <chrono>     // std::chrono::steady_clock: when a client was last heard from
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <list>       // std::list: clients keep their address while others come and go
#include <sstream>    // std::ostringstream: the seconds in "quiet for more than 60 s"
#include <string>     // std::string

namespace {

constexpr std::size_t chunk = 65536;             // at most this much per recv()
constexpr std::size_t outgoing_limit = 1 << 20;  // stop reading a client with 1 MiB not yet sent

using steady = std::chrono::steady_clock;

// What the server keeps for each client (Python would put it in key.data too).
struct client {
    csnet::socket conn;
    csnet::address address;
    std::string outgoing;                            // received, echoed back when the socket is writable
    int events = csnet::event_read;                  // what the selector watches it for now
    steady::time_point last_active = steady::now();  // the last byte received or sent
};

csnet::selector sel;
std::list<client> clients;
csnet::socket* listener = nullptr;  // the listening socket (main() owns it)
bool accepting = true;              // false: out of descriptors, the listener is not watched

std::string who(const client& c) { return "('" + c.address.host() + "', " + std::to_string(c.address.port()) + ")"; }

// The events a client needs now: read unless its buffer is full, write while
// something is waiting to be sent.
int interest(const client& c) {
    int events = 0;
    if (c.outgoing.size() < outgoing_limit) events |= csnet::event_read;
    if (!c.outgoing.empty()) events |= csnet::event_write;
    return events;
}

// Out of descriptors, accept() fails with "Too many open files", yet the client
// stays in the listen queue: the listening socket is still ready to read, select()
// returns it again at once, and the loop would spin at 100 % CPU, failing accept()
// and writing the error thousands of times a second. So: stop watching it...
void stop_accepting(const csnet::error& e) {
    std::cerr << e.what() << "\nnot accepting new clients until one leaves\n";
    sel.unregister(*listener);
    accepting = false;
}

// ...until a client leaves (its descriptor is free again) or a second has passed.
void accept_again() {
    if (accepting) return;
    sel.register_(*listener, csnet::event_read);
    accepting = true;
}

void drop(client& c, const std::string& why) {
    std::cerr << "closing " << who(c) << " [" << clients.size() - 1 << " clients]: " << why << '\n';
    sel.unregister(c.conn);  // first unregister, then close (as in Python)
    c.conn.close();
    for (auto it = clients.begin(); it != clients.end(); ++it) {
        if (&*it == &c) {
            clients.erase(it);
            break;
        }
    }
    accept_again();
}

// Drops the clients that have sent and read nothing for `idle` seconds.
void drop_quiet_clients(double idle) {
    const steady::time_point now = steady::now();
    for (auto it = clients.begin(); it != clients.end();) {
        client& c = *it++;  // step first: drop() erases c
        if (std::chrono::duration<double>(now - c.last_active).count() > idle) {
            std::ostringstream why;
            why << "quiet for more than " << idle << " s";
            drop(c, why.str());
        }
    }
}

// Accepts every client waiting in the listen queue, up to 64 at a time (so that the
// clients already connected still get their turn). Accepting only one per select()
// is not enough when many connect at once: the queue (listen's backlog) fills, the
// system drops the newcomers' SYNs, and each of them retries a second later: the
// report's "congestión", made by the server itself.
void accept_clients(csnet::socket& server) {
    for (int i = 0; i < 64; ++i) {
        auto [conn, address] = server.accept();  // non-blocking: throws "would block" when the queue is empty
        conn.setblocking(false);
        clients.push_back(client{std::move(conn), address, "", csnet::event_read});
        client& c = clients.back();
        std::cerr << "accepted " << who(c) << " [" << clients.size() << " clients]\n";
        sel.register_(c.conn, csnet::event_read, &c);
    }
}

void serve(client& c, int mask) {
    try {
        if (mask & csnet::event_read) {
            std::string data = c.conn.recv(chunk);  // ready: recv() will not wait
            if (data.empty()) {
                drop(c, "the client closed the connection");
                return;
            }
            c.outgoing += data;
            c.last_active = steady::now();
        }
        if (!c.outgoing.empty()) {
            // send() takes what fits in the socket's buffer now and says how much.
            const std::size_t sent = c.conn.send(c.outgoing);
            c.outgoing.erase(0, sent);
            if (sent > 0) c.last_active = steady::now();
        }
    } catch (const csnet::error& e) {
        if (e.code() != std::errc::operation_would_block) {  // not ready after all: try later
            drop(c, e.what());
            return;
        }
    }
    // Tell the selector only when it changes (modify() on every call would work too,
    // at the price of a look-up each time).
    if (interest(c) != c.events) {
        c.events = interest(c);
        sel.modify(c.conn, c.events);
    }
}

}  // namespace

int main(int argc, char* argv[]) {
    const command_line args = parse_command_line(
        argc, argv, "many_clients_selector [HOST [PORT]] [--idle SECONDS]   (default 127.0.0.1 9999, idle 60)",
        {"--idle"});
    const std::string& host = args.host;
    const int port = args.port;
    const double idle = args.number("--idle", 60);
    if (!(idle > 0)) {  // (also refuses "nan")
        std::cerr << "many_clients_selector: --idle must be a positive number of seconds\n";
        return 2;
    }
    try {
        csnet::socket server(csnet::af_inet, csnet::sock_stream);
        server.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        server.bind({host, port});
        server.listen(128);  // the queue of clients waiting for accept()
        server.setblocking(false);
        auto [bound_host, bound_port] = server.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;

        // The listening socket's data stays nullptr: that is how the loop tells it apart.
        listener = &server;
        sel.register_(server, csnet::event_read);
        steady::time_point last_round = steady::now();
        while (true) {
            // At most 1 s: even when nobody sends anything, the loop comes round once
            // a second to drop the quiet clients.
            for (auto& [key, mask] : sel.select(1.0)) {
                if (key.data == nullptr) {
                    try {
                        accept_clients(server);
                    } catch (const csnet::error& e) {
                        // "would block": the queue is empty. Out of descriptors: stop
                        // accepting for a while. Anything else (a client that left
                        // before accept()): say it, keep serving.
                        if (e.code() == std::errc::too_many_files_open ||
                            e.code() == std::errc::too_many_files_open_in_system) {
                            stop_accepting(e);
                        } else if (e.code() != std::errc::operation_would_block) {
                            std::cerr << e.what() << '\n';
                        }
                    }
                } else {
                    serve(*static_cast<client*>(key.data), mask);
                }
            }
            if (steady::now() - last_round >= std::chrono::seconds(1)) {
                last_round = steady::now();
                drop_quiet_clients(idle);
                accept_again();  // out of descriptors a second ago: try again
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
