// POP3 server: where a mail client collects the messages that mail_smtp_server
// stored (course notes, 001: "POP3 (Post Office Protocol 3): Utilizado para la
// recuperación de correos electrónicos"). It speaks RFC 1939: log in, list, read,
// delete. Deletions happen only when the client says QUIT: a client that loses
// its connection loses nothing.
//
// The dialogue (C: the client, S: this server; every line ends in CR LF):
//   S: +OK csnet POP3 lesson server ready
//   C: USER beto                 S: +OK send PASS
//   C: PASS secreto              S: +OK beto has 2 messages (345 octets)
//   C: STAT                      S: +OK 2 345
//   C: LIST                      S: +OK 2 messages / 1 120 / 2 225 / .
//   C: RETR 1                    S: +OK 120 octets / (the message, lines) / .
//   C: DELE 1                    S: +OK message 1 deleted
//   C: QUIT                      S: +OK bye, 1 message left      (now message 1 is gone)
// Every reply starts with "+OK" or "-ERR". A reply of several lines ends with a line
// holding only "."; a line of the message that starts with "." gets one more "."
// in front (byte-stuffing), as in SMTP.
//
// USAGE: mail_pop3_server [HOST [PORT]] [--maildir DIR] [--password PW] [--timeout SECONDS]
#include <csnet.hpp>

#include "lines.hpp"          // mail::line_reader: one line at a time from a TCP stream
#include "protocol.hpp"       // mail::split_command, parse_number, dot_stuff, ...
#include "server_common.hpp"  // mail::log, send_reply, read_command_line, listen_on, serve_forever

#include <algorithm>     // std::sort
#include <cstdint>       // std::uintmax_t: file sizes
#include <exception>     // std::exception
#include <filesystem>    // std::filesystem: the mailbox folders
#include <fstream>       // std::ifstream: reading a message
#include <iostream>      // std::cerr
#include <iterator>      // std::istreambuf_iterator
#include <mutex>         // std::mutex: one session per maildrop
#include <set>           // std::set: the mailboxes in use
#include <string>        // std::string
#include <system_error>  // std::error_code: file errors without exceptions
#include <utility>       // std::move
#include <vector>        // std::vector

namespace fs = std::filesystem;

namespace {

const char* const usage =
    "usage: mail_pop3_server [HOST [PORT]] [--maildir DIR] [--password PW] [--timeout SECONDS]\n"
    "  HOST         address to listen on (default 127.0.0.1)\n"
    "  PORT         TCP port (default 1110; 0 picks a free one)\n"
    "  --maildir    folder for the mailboxes (default ./maildir): user USER reads DIR/USER/\n"
    "  --password   the password of every user (default secreto)\n"
    "  --timeout    seconds a client may stay silent before it is disconnected (default 300)\n";

constexpr std::size_t command_line_limit = 255;  // RFC 2449: a POP3 command, with its CR LF

// What the command line sets: host, port, maildir, timeout (server_common.hpp),
// and this server's own option.
struct settings : mail::server_settings {
    std::string password = "secreto";
};

/// "1 message", "2 messages".
std::string how_many(std::size_t n, const std::string& thing) {
    return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}

// == The maildrop: one user's messages =========================================
struct message_file {
    fs::path path;
    std::string uid;          // the file's name without .eml: unique and stable (UIDL)
    std::uintmax_t size = 0;  // octets
    bool deleted = false;     // marked by DELE, removed at QUIT
};

/// The messages in MAILDIR/USER/, oldest first (the names start with the time).
std::vector<message_file> list_maildrop(const fs::path& maildir, const std::string& user) {
    std::vector<message_file> messages;
    std::error_code error;
    fs::path folder = maildir / user;
    if (!fs::is_directory(folder, error)) return messages;  // no mail yet: an empty maildrop
    for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
        if (entry.path().extension() != ".eml" || !entry.is_regular_file()) continue;  // not .tmp
        message_file m;
        m.path = entry.path();
        m.uid = entry.path().stem().string();
        m.size = entry.file_size();
        messages.push_back(m);
    }
    std::sort(messages.begin(), messages.end(),
              [](const message_file& a, const message_file& b) { return a.uid < b.uid; });
    return messages;
}

/// RFC 1939: while a client holds a maildrop, no other session may open it.
std::mutex locks_mutex;
std::set<std::string> locked_users;

bool lock_maildrop(const std::string& user) {
    std::lock_guard<std::mutex> lock(locks_mutex);
    return locked_users.insert(user).second;  // false: somebody has it already
}
void unlock_maildrop(const std::string& user) {
    std::lock_guard<std::mutex> lock(locks_mutex);
    locked_users.erase(user);
}

/// The message as RETR sends it: every line ends in CR LF, a line that starts with
/// "." gets another "." (byte-stuffing), and a line with "." alone ends it.
std::string retr_text(const std::string& content) {
    std::string text;
    std::size_t start = 0;
    while (start < content.size()) {
        std::size_t end = content.find('\n', start);
        if (end == std::string::npos) end = content.size();  // a last line without its end
        std::string line = content.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        text += mail::dot_stuff(line) + "\r\n";
        start = end + 1;
    }
    return text + ".\r\n";
}

// == One client: the POP3 dialogue =============================================
void serve_client(csnet::socket& connection, const std::string& who, const settings& config, std::string& locked) {
    connection.settimeout(config.timeout);
    mail::line_reader reader(connection, command_line_limit);

    // AUTHORIZATION state until PASS is right, then TRANSACTION (RFC 1939, section 3).
    std::string user;  // from USER, waiting for PASS
    bool logged_in = false;
    std::vector<message_file> messages;  // the maildrop, read once at login

    // The message that "n" names (numbers start at 1), or nullptr if none or deleted.
    auto find_message = [&messages](const std::string& argument) -> message_file* {
        auto number = mail::parse_number(argument);
        if (!number || *number < 1 || *number > messages.size()) return nullptr;
        message_file& m = messages[static_cast<std::size_t>(*number - 1)];
        return m.deleted ? nullptr : &m;
    };
    // How many messages are left (not deleted), and how many octets they make.
    std::size_t count = 0;
    std::uintmax_t octets = 0;
    auto recount = [&]() {
        count = 0;
        octets = 0;
        for (const message_file& m : messages) {
            if (!m.deleted) {
                count += 1;
                octets += m.size;
            }
        }
    };

    mail::send_reply(connection, who, "+OK csnet POP3 lesson server ready");
    while (true) {
        std::string raw;
        mail::line_status status = reader.read_line(raw);
        if (status == mail::line_status::peer_closed) {
            mail::log(who, "client left without QUIT: nothing deleted");
            return;
        }
        if (status == mail::line_status::too_long) {
            mail::log(who, "C: (a line longer than 255 bytes, thrown away)");
            mail::send_reply(connection, who, "-ERR line too long (255 bytes at most)");
            continue;
        }
        std::string line(mail::without_ending(raw));
        mail::command cmd = mail::split_command(line);
        // The log never shows a password.
        mail::log(who, "C: " + (cmd.verb == "PASS" ? std::string("PASS ********") : mail::printable(line)));
        if (!mail::ends_with_crlf(raw)) {
            mail::send_reply(connection, who, "-ERR lines must end with CR LF (with nc, type nc -C)");
            continue;
        }

        if (cmd.verb == "QUIT") {
            if (!logged_in) {
                mail::send_reply(connection, who, "+OK bye");
                return;
            }
            // UPDATE state: now, and only now, the messages marked by DELE are removed.
            std::size_t removed = 0;
            std::size_t failed = 0;
            for (const message_file& m : messages) {
                if (!m.deleted) continue;
                std::error_code error;
                if (fs::remove(m.path, error))
                    removed += 1;
                else
                    failed += 1;
            }
            mail::log(who, "removed " + how_many(removed, "message") + " of " + user);
            unlock_maildrop(user);  // before the reply: the client may log in again at once
            locked.clear();
            if (failed > 0) {
                mail::send_reply(connection, who, "-ERR " + std::to_string(failed) + " deleted messages not removed");
            } else {
                mail::send_reply(connection, who,
                                 "+OK bye, " + how_many(messages.size() - removed, "message") + " left");
            }
            return;
        }
        if (cmd.verb == "NOOP" && logged_in) {
            mail::send_reply(connection, who, "+OK");
            continue;
        }

        if (!logged_in) {  // AUTHORIZATION: only USER, PASS (and QUIT, above)
            if (cmd.verb == "USER") {
                std::string name = mail::lower(cmd.argument);
                if (!mail::valid_mailbox_name(name)) {
                    user.clear();
                    mail::send_reply(connection, who, "-ERR not a valid mailbox name");
                    continue;
                }
                user = name;
                mail::send_reply(connection, who, "+OK send PASS");
            } else if (cmd.verb == "PASS") {
                if (user.empty()) {
                    mail::send_reply(connection, who, "-ERR send USER first");
                    continue;
                }
                if (cmd.argument != config.password) {
                    mail::log(who, "wrong password for " + user);
                    user.clear();  // start again with USER
                    mail::send_reply(connection, who, "-ERR invalid password");
                    continue;
                }
                if (!lock_maildrop(user)) {
                    mail::send_reply(connection, who, "-ERR maildrop of " + user + " already in use");
                    user.clear();
                    continue;
                }
                locked = user;  // client_thread unlocks it, however the dialogue ends
                messages = list_maildrop(config.maildir, user);
                logged_in = true;
                recount();
                mail::send_reply(
                    connection, who,
                    "+OK " + user + " has " + how_many(count, "message") + " (" + std::to_string(octets) + " octets)");
            } else {
                mail::send_reply(connection, who, "-ERR log in first with USER and PASS");
            }
            continue;
        }

        // TRANSACTION state.
        recount();
        if (cmd.verb == "STAT") {
            mail::send_reply(connection, who, "+OK " + std::to_string(count) + " " + std::to_string(octets));
        } else if ((cmd.verb == "LIST" || cmd.verb == "UIDL") && cmd.argument.empty()) {
            // A reply of several lines: "+OK", one line per message, then ".".
            mail::send_reply(connection, who,
                             "+OK " + how_many(count, "message") + " (" + std::to_string(octets) + " octets)");
            std::string lines;
            for (std::size_t i = 0; i < messages.size(); ++i) {
                if (messages[i].deleted) continue;
                std::string value = cmd.verb == "LIST" ? std::to_string(messages[i].size) : messages[i].uid;
                lines += std::to_string(i + 1) + " " + value + "\r\n";
            }
            mail::log(who, "S: (one line per message, then \".\")");
            connection.sendall(lines + ".\r\n");
        } else if (cmd.verb == "LIST" || cmd.verb == "UIDL" || cmd.verb == "RETR" || cmd.verb == "DELE") {
            message_file* m = find_message(cmd.argument);
            if (m == nullptr) {
                mail::send_reply(connection, who, "-ERR no such message");
                continue;
            }
            if (cmd.verb == "LIST") {
                mail::send_reply(connection, who, "+OK " + cmd.argument + " " + std::to_string(m->size));
            } else if (cmd.verb == "UIDL") {
                mail::send_reply(connection, who, "+OK " + cmd.argument + " " + m->uid);
            } else if (cmd.verb == "DELE") {
                m->deleted = true;
                mail::send_reply(connection, who, "+OK message " + cmd.argument + " deleted");
            } else {  // RETR
                std::ifstream in(m->path, std::ios::binary);
                std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                if (!in) {
                    mail::send_reply(connection, who, "-ERR cannot read message " + cmd.argument);
                    continue;
                }
                mail::send_reply(connection, who, "+OK " + std::to_string(m->size) + " octets");
                mail::log(who, "S: (the message, then \".\")");
                connection.sendall(retr_text(content));
            }
        } else if (cmd.verb == "RSET") {
            for (message_file& m : messages) m.deleted = false;
            recount();
            mail::send_reply(
                connection, who,
                "+OK maildrop has " + how_many(count, "message") + " (" + std::to_string(octets) + " octets)");
        } else {
            mail::send_reply(connection, who, "-ERR command not recognized");
        }
    }
}

/// The client's thread: the dialogue, and whatever ends it.
void client_thread(csnet::socket connection, std::string who, const settings& config) {
    std::string locked;  // the maildrop this client holds, if any
    try {
        serve_client(connection, who, config, locked);
    } catch (const csnet::timeout& e) {
        mail::log(who, mail::timeout_text(e, config.timeout) + ": disconnected, nothing deleted");
    } catch (const std::exception& e) {
        mail::log(who, std::string("connection lost: ") + e.what());
    }
    if (!locked.empty()) unlock_maildrop(locked);
    mail::finish_client(connection, who);  // close, log, count out: server_common.hpp
}

}  // namespace

int main(int argc, char* argv[]) {
    // The command line: HOST, PORT, --help, --maildir and --timeout are read in
    // server_common.hpp; read_password reads the one option only this server has.
    settings config;
    config.port = 1110;
    auto read_password = [&config](const std::string& option, const std::string& value) {
        if (option != "--password") return false;  // not an option of this server
        config.password = value;
        return true;
    };
    int exit_code = 0;
    if (!mail::read_command_line(argc, argv, "mail_pop3_server", usage, config, read_password, exit_code)) {
        return exit_code;
    }
    try {
        csnet::socket sock = mail::listen_on(config);  // socket, bind, listen: server_common.hpp

        // Waiting for connections; each client gets its own thread, running client_thread.
        mail::serve_forever(sock, "-ERR too many clients, try again later",
                            [&config](csnet::socket connection, std::string who) {
                                client_thread(std::move(connection), who, config);
                            });
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
