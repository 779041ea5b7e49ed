// many_clients_chat: a line chat. Every complete line a client sends goes to every
// other client, with the sender's address in front; joins and leaves are announced.
// One thread and csnet::selector, as in many_clients_selector.
//
// Try it with nc in three terminals:   nc 127.0.0.1 9999
//
// What TCP does not give you, and this program adds: TCP carries a stream of
// bytes, not messages. A line typed in nc may arrive in one recv() or in three,
// and two lines may arrive together. So each client has an `incoming` buffer:
// bytes wait there until their newline arrives, then the whole line is sent on.
// A line longer than max_line is cut there (a client cannot make the server
// keep unlimited bytes), and a client that reads too slowly to keep up is
// disconnected rather than slowing the room down. Out of descriptors ("Too many
// open files"), the server stops watching the listening socket until a client
// leaves, instead of failing accept() in a loop.
//
// USAGE: many_clients_chat [HOST [PORT]]   (default 127.0.0.1 9999; port 0: any free port)
#include <csnet.hpp>

#include "args.hpp"  // NAME [HOST [PORT]] [--option VALUE]: --help, usage, exit 2

#include <chrono>     // std::chrono::steady_clock: once a second, try accepting again
#include <exception>  // std::exception
#include <iostream>   // std::cerr
#include <list>       // std::list: clients keep their address while others come and go
#include <string>     // std::string

namespace {

constexpr std::size_t max_line = 4096;           // longer lines are cut
constexpr std::size_t outgoing_limit = 1 << 20;  // a client this far behind is dropped

struct client {
    csnet::socket conn;
    std::string name;      // "('127.0.0.1', 51234)"
    std::string incoming;  // bytes of a line whose newline has not arrived yet
    std::string outgoing;  // lines for this client that send() has not taken yet
    std::string leaving;   // why it is leaving (empty: it stays)
};

csnet::selector sel;
std::list<client> clients;
csnet::socket* listener = nullptr;  // the listening socket (main() owns it)
bool accepting = true;              // false: out of descriptors, the listener is not watched

// Write interest only while something waits to be sent (else select() spins).
void update_interest(client& c) {
    sel.modify(c.conn, c.outgoing.empty() ? csnet::event_read : csnet::event_read | csnet::event_write);
}

// For the log: a control byte from a client (ESC starts the sequences that recolour
// or clear a terminal) is shown as '?', so a client cannot write on the server's screen.
std::string printable(std::string text) {
    for (char& c : text) {
        const unsigned char byte = static_cast<unsigned char>(c);
        if ((byte < 32 && c != '\n' && c != '\t') || byte == 127) c = '?';
    }
    return text;
}

// Queues `line` for every client except `from` (nullptr: for everybody).
void broadcast(const std::string& line, const client* from) {
    std::cerr << printable(line);
    for (client& c : clients) {
        if (&c == from || !c.leaving.empty()) continue;
        if (c.outgoing.size() + line.size() > outgoing_limit) {
            c.leaving = "too slow: more than 1 MiB waiting";  // dropped after this round
            continue;
        }
        c.outgoing += line;
        update_interest(c);
    }
}

// Out of descriptors, accept() fails, yet the client stays in the listen queue: the
// listening socket is still ready, select() returns it again at once, and the loop
// would spin at 100 % CPU. So stop watching it until a client leaves (or a second
// passes). many_clients_selector does the same, and says more.
void stop_accepting(const csnet::error& e) {
    std::cerr << e.what() << "\nnot accepting new clients until one leaves\n";
    sel.unregister(*listener);
    accepting = false;
}

void accept_again() {
    if (accepting) return;
    sel.register_(*listener, csnet::event_read);
    accepting = true;
}

void drop(std::list<client>::iterator it, std::string why) {
    const std::string name = it->name;
    sel.unregister(it->conn);
    clients.erase(it);  // its destructor closes the socket
    accept_again();
    broadcast("* " + name + " left (" + why + ")\n", nullptr);
}

void accept_client(csnet::socket& server) {
    auto [conn, address] = server.accept();
    conn.setblocking(false);
    const std::string name = "('" + address.host() + "', " + std::to_string(address.port()) + ")";
    broadcast("* " + name + " joined\n", nullptr);  // announced to those already here
    clients.push_back(client{std::move(conn), name, "", "", ""});
    sel.register_(clients.back().conn, csnet::event_read, &clients.back());
}

// Reads what arrived and sends every complete line to the others.
void read_from(client& c) {
    std::string data = c.conn.recv(4096);
    if (data.empty()) {
        c.leaving = c.incoming.empty() ? "closed" : "closed in the middle of a line";
        return;
    }
    c.incoming += data;
    std::size_t newline;
    while ((newline = c.incoming.find('\n')) != std::string::npos) {
        broadcast(c.name + ": " + c.incoming.substr(0, newline + 1), &c);
        c.incoming.erase(0, newline + 1);
    }
    if (c.incoming.size() > max_line) {  // no newline in sight: send what we have as a line
        broadcast(c.name + ": " + c.incoming.substr(0, max_line) + "\n", &c);
        c.incoming.erase(0, max_line);
    }
}

void write_to(client& c) {
    c.outgoing.erase(0, c.conn.send(c.outgoing));
    update_interest(c);
}

}  // namespace

int main(int argc, char* argv[]) {
    const command_line args = parse_command_line(
        argc, argv, "many_clients_chat [HOST [PORT]]   (default 127.0.0.1 9999; port 0: any free port)", {});
    try {
        csnet::socket server(csnet::af_inet, csnet::sock_stream);
        server.setsockopt(csnet::sol_socket, csnet::so_reuseaddr, 1);
        server.bind({args.host, args.port});
        server.listen(128);
        server.setblocking(false);
        auto [bound_host, bound_port] = server.getsockname();
        std::cerr << "starting up on " << bound_host << " port " << bound_port << std::endl;

        listener = &server;
        sel.register_(server, csnet::event_read);
        std::chrono::steady_clock::time_point last_round = std::chrono::steady_clock::now();
        while (true) {
            for (auto& [key, mask] : sel.select(1.0)) {  // at most 1 s: see accept_again() below
                if (key.data == nullptr) {
                    try {
                        accept_client(server);
                    } catch (const csnet::error& e) {
                        if (e.code() == std::errc::too_many_files_open ||
                            e.code() == std::errc::too_many_files_open_in_system) {
                            stop_accepting(e);
                        } else if (e.code() != std::errc::operation_would_block) {
                            std::cerr << e.what() << '\n';
                        }
                    }
                    continue;
                }
                client& c = *static_cast<client*>(key.data);
                if (!c.leaving.empty()) continue;
                try {
                    if (mask & csnet::event_read) read_from(c);
                    if ((mask & csnet::event_write) && c.leaving.empty()) write_to(c);
                } catch (const csnet::error& e) {
                    if (e.code() != std::errc::operation_would_block) c.leaving = e.code().message();
                }
            }
            // Drop the clients that left (or fell too far behind) after the round,
            // so that no key of this round points to a client that is gone.
            // (A goodbye may find another client too slow: look again until none is left.)
            for (bool again = true; again;) {
                again = false;
                for (auto it = clients.begin(); it != clients.end(); ++it) {
                    if (!it->leaving.empty()) {
                        drop(it, it->leaving);
                        again = true;
                        break;
                    }
                }
            }
            if (std::chrono::steady_clock::now() - last_round >= std::chrono::seconds(1)) {
                last_round = std::chrono::steady_clock::now();
                accept_again();  // out of descriptors a second ago: try again
            }
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
