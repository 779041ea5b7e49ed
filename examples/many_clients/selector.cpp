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
//     its buffer is full the server stops reading from it until it drains.
//
// USAGE: many_clients_selector [HOST [PORT]]    (default 127.0.0.1 9999; port 0: any)
#include <csnet.hpp>

#include "args.hpp"  // NAME [HOST [PORT]] [--option VALUE]: --help, usage, exit 2

#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <list>       // std::list: clients keep their address while others come and go
#include <string>     // std::string

namespace {

constexpr std::size_t chunk = 65536;             // at most this much per recv()
constexpr std::size_t outgoing_limit = 1 << 20;  // stop reading a client with 1 MiB not yet sent

// What the server keeps for each client (Python would put it in key.data too).
struct client {
    csnet::socket conn;
    csnet::address address;
    std::string outgoing;            // received, echoed back when the socket is writable
    int events = csnet::event_read;  // what the selector watches it for now
};

csnet::selector sel;
std::list<client> clients;

std::string who(const client& c) { return "('" + c.address.host() + "', " + std::to_string(c.address.port()) + ")"; }

// The events a client needs now: read unless its buffer is full, write while
// something is waiting to be sent.
int interest(const client& c) {
    int events = 0;
    if (c.outgoing.size() < outgoing_limit) events |= csnet::event_read;
    if (!c.outgoing.empty()) events |= csnet::event_write;
    return events;
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
        }
        if (!c.outgoing.empty()) {
            // send() takes what fits in the socket's buffer now and says how much.
            const std::size_t sent = c.conn.send(c.outgoing);
            c.outgoing.erase(0, sent);
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
    const command_line args = parse_command_line(argc, argv,
                                                 "many_clients_selector [HOST [PORT]]   "
                                                 "(default 127.0.0.1 9999; port 0: any free port)",
                                                 {});
    const std::string& host = args.host;
    const int port = args.port;
    try {
        csnet::socket server(csnet::af_inet, csnet::sock_stream);
        server.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        server.bind({host, port});
        server.listen(128);  // the queue of clients waiting for accept()
        server.setblocking(false);
        auto [bound_host, bound_port] = server.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;

        // The listening socket's data stays nullptr: that is how the loop tells it apart.
        sel.register_(server, csnet::event_read);
        while (true) {
            for (auto& [key, mask] : sel.select()) {
                if (key.data == nullptr) {
                    try {
                        accept_clients(server);
                    } catch (const csnet::error& e) {
                        // "would block": the queue is empty. Anything else (a client that
                        // left before accept(), no descriptors left): say it, keep serving.
                        if (e.code() != std::errc::operation_would_block) std::cerr << e.what() << '\n';
                    }
                } else {
                    serve(*static_cast<client*>(key.data), mask);
                }
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
