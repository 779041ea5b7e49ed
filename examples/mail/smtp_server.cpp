// SMTP server: the mail server a mail client hands a message to (course notes, 001:
// "SMTP (Simple Mail Transfer Protocol): Utilizado para el envío de correos
// electrónicos"). It speaks the minimum of RFC 5321 that every SMTP client expects,
// and puts each message it accepts in a folder per recipient, where
// mail_pop3_server finds it.
//
// The dialogue (C: the client, S: this server; every line ends in CR LF):
//   S: 220 pc csnet SMTP lesson server ready       the greeting, as soon as TCP connects
//   C: EHLO laptop                                  who the client is
//   S: 250-pc hello laptop / 250-SIZE 1048576 / 250 8BITMIME   (one reply, three lines)
//   C: MAIL FROM:<ana@example.org>                  who sends (where bounces would go)
//   S: 250 OK
//   C: RCPT TO:<beto@example.org>                   one RCPT per recipient
//   S: 250 OK, will deliver to mailbox beto
//   C: DATA
//   S: 354 End data with <CR><LF>.<CR><LF>
//   C: Subject: Hola / (blank line) / Hola mundo / .     the message, then a lone "."
//   S: 250 OK, stored for beto
//   C: QUIT
//   S: 221 pc closing connection
// A message for beto@anything is stored as MAILDIR/beto/<time>-<n>.eml, byte for
// byte as received (after removing the dot-stuffing).
//
// USAGE: mail_smtp_server [HOST [PORT]] [--maildir DIR] [--max-size BYTES] [--timeout SECONDS]
#include <csnet.hpp>

#include "lines.hpp"          // mail::line_reader: one line at a time from a TCP stream
#include "protocol.hpp"       // mail::split_command, parse_path, dot_unstuff, ...
#include "server_common.hpp"  // mail::log, read_command_line, listen_on, serve_forever

#include <atomic>      // std::atomic: the counter of stored messages, shared by the client threads
#include <chrono>      // std::chrono::system_clock: file names in arrival order
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem: the mailbox folders
#include <fstream>     // std::ofstream: writing a message
#include <iomanip>     // std::setw, std::setfill
#include <iostream>    // std::cerr
#include <sstream>     // std::ostringstream
#include <stdexcept>   // std::invalid_argument: a bad command-line argument
#include <string>      // std::string
#include <utility>     // std::move
#include <vector>      // std::vector

namespace fs = std::filesystem;

namespace {

const char* const usage =
    "usage: mail_smtp_server [HOST [PORT]] [--maildir DIR] [--max-size BYTES] [--timeout SECONDS]\n"
    "  HOST         address to listen on (default 127.0.0.1)\n"
    "  PORT         TCP port (default 2525; 0 picks a free one)\n"
    "  --maildir    folder for the mailboxes (default ./maildir): a message for\n"
    "               user@anything goes to DIR/user/\n"
    "  --max-size   largest message accepted, in bytes (default 1048576), announced as SIZE\n"
    "  --timeout    seconds a client may stay silent before it is disconnected (default 300)\n";

// == Limits (RFC 5321, section 4.5.3.1) =======================================
constexpr std::size_t command_line_limit = 512;  // a command, with its CR LF
constexpr std::size_t text_line_limit = 1000;    // a line of a message, with its CR LF
constexpr std::size_t recipients_limit = 100;    // RCPT commands in one message

// What the command line sets: host, port, maildir, timeout (server_common.hpp),
// and this server's own option.
struct settings : mail::server_settings {
    std::size_t max_size = 1048576;
};

/// Sends one reply (one or more lines) and logs each line as "S: ...".
void send_reply(csnet::socket& connection, const std::string& who, const std::vector<std::string>& lines) {
    std::string wire;
    for (const std::string& line : lines) {
        mail::log(who, "S: " + mail::printable(line));
        wire += line + "\r\n";
    }
    connection.sendall(wire);
}
void send_reply(csnet::socket& connection, const std::string& who, const std::string& line) {
    send_reply(connection, who, std::vector<std::string>{line});
}

// == Storing a message: one file per mailbox ===================================
std::atomic<unsigned long> stored_count{0};

/// Writes TEXT to MAILDIR/USER/<time>-<n>.eml and returns the file's path. It is
/// written as .tmp first and renamed when complete, so that the POP3 server never
/// sees half a message.
fs::path store_message(const fs::path& maildir, const std::string& user, const std::string& text) {
    fs::path folder = maildir / user;
    fs::create_directories(folder);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    long long microseconds = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    std::ostringstream name;  // names sort in arrival order: time, then a counter
    name << std::setw(20) << std::setfill('0') << microseconds << '-' << std::setw(6) << ++stored_count;
    fs::path temporary = folder / (name.str() + ".tmp");
    fs::path final_path = folder / (name.str() + ".eml");
    std::ofstream out(temporary, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    fs::rename(temporary, final_path);
    return final_path;
}

// == DATA: the message itself, line by line, until a line holding only "." ===
struct received_message {
    std::string text;  // what will be stored (dot-unstuffed)
    std::size_t lines = 0;
    std::size_t bytes = 0;       // bytes of text, counted even past the limit
    bool complete = false;       // the final "." arrived
    bool line_too_long = false;  // a line was over 1000 bytes
    bool too_big = false;        // the message was over --max-size
};

received_message receive_message(mail::line_reader& reader, std::size_t max_size) {
    received_message message;
    reader.set_limit(text_line_limit);
    while (true) {
        std::string line;
        mail::line_status status = reader.read_line(line);
        if (status == mail::line_status::peer_closed) break;  // the client left mid-message
        if (status == mail::line_status::too_long) {
            message.line_too_long = true;  // keep reading up to the ".": then say 500
            continue;
        }
        if (line == ".\r\n") {  // the end: CR LF . CR LF (a bare LF does not end it)
            message.complete = true;
            break;
        }
        std::string unstuffed = mail::dot_unstuff(line);  // "..hola" was ".hola"
        message.lines += 1;
        message.bytes += unstuffed.size();
        if (message.bytes > max_size) {
            message.too_big = true;  // keep reading up to the ".", keep nothing: then say 552
            message.text.clear();
        } else {
            message.text += unstuffed;
        }
    }
    reader.set_limit(command_line_limit);
    return message;
}

// == One client: the SMTP dialogue ============================================
void serve_client(csnet::socket& connection, const std::string& who, const settings& config,
                  const std::string& server_name) {
    // Every recv() waits at most config.timeout seconds: a silent client cannot
    // keep this thread (and its socket) for ever.
    connection.settimeout(config.timeout);
    mail::line_reader reader(connection, command_line_limit);

    std::string client_name;              // from HELO/EHLO; empty: not greeted yet
    bool in_transaction = false;          // after MAIL, until DATA ends or RSET
    std::vector<std::string> recipients;  // mailbox names, from RCPT

    send_reply(connection, who, "220 " + server_name + " csnet SMTP lesson server ready");
    while (true) {
        std::string raw;
        mail::line_status status = reader.read_line(raw);
        if (status == mail::line_status::peer_closed) {
            mail::log(who, "client left without QUIT");
            return;
        }
        if (status == mail::line_status::too_long) {
            mail::log(who, "C: (a line longer than 512 bytes, thrown away)");
            send_reply(connection, who, "500 Line too long (512 bytes at most)");
            continue;
        }
        std::string line(mail::without_ending(raw));
        mail::log(who, "C: " + mail::printable(line));
        if (!mail::ends_with_crlf(raw)) {
            send_reply(connection, who, "500 Lines must end with CR LF (with nc, type nc -C)");
            continue;
        }
        mail::command cmd = mail::split_command(line);  // verbs in any case: "mail" is MAIL

        if (cmd.verb == "EHLO" || cmd.verb == "HELO") {
            if (cmd.argument.empty()) {
                send_reply(connection, who, "501 Syntax: " + cmd.verb + " your.host.name");
                continue;
            }
            client_name = mail::printable(cmd.argument);  // it goes back in the reply
            in_transaction = false;                       // a new greeting starts afresh
            recipients.clear();
            if (cmd.verb == "HELO") {
                send_reply(connection, who, "250 " + server_name + " hello " + client_name);
            } else {  // EHLO: also list the extensions, one per line ("250-" = more follow)
                send_reply(connection, who,
                           {"250-" + server_name + " hello " + client_name,
                            "250-SIZE " + std::to_string(config.max_size), "250 8BITMIME"});
            }
        } else if (cmd.verb == "MAIL") {
            if (client_name.empty()) {
                send_reply(connection, who, "503 Bad sequence of commands: send EHLO or HELO first");
                continue;
            }
            if (in_transaction) {
                send_reply(connection, who, "503 Bad sequence of commands: MAIL already given (RSET to start again)");
                continue;
            }
            mail::mail_path from = mail::parse_path(cmd.argument, "FROM:");
            if (!from.ok) {
                send_reply(connection, who, "501 Syntax: MAIL FROM:<address> (" + from.error + ")");
                continue;
            }
            std::string refusal;
            for (const auto& parameter : from.parameters) {
                if (parameter.first == "SIZE") {  // RFC 1870: the client says the size first
                    auto size = mail::parse_number(parameter.second);
                    if (!size)
                        refusal = "501 Syntax: SIZE=<number of bytes>";
                    else if (*size > config.max_size)
                        refusal = "552 Message size exceeds fixed maximum message size (" +
                                  std::to_string(config.max_size) + " bytes)";
                } else if (parameter.first != "BODY") {  // BODY=8BITMIME or BODY=7BIT: fine
                    refusal = "555 MAIL FROM parameter not recognized: " + parameter.first;
                }
            }
            if (!refusal.empty()) {
                send_reply(connection, who, refusal);
                continue;
            }
            in_transaction = true;
            recipients.clear();
            send_reply(connection, who, "250 OK");
        } else if (cmd.verb == "RCPT") {
            if (!in_transaction) {
                send_reply(connection, who, "503 Bad sequence of commands: send MAIL FROM first");
                continue;
            }
            mail::mail_path to = mail::parse_path(cmd.argument, "TO:");
            if (!to.ok || to.address.empty()) {
                send_reply(connection, who,
                           "501 Syntax: RCPT TO:<address> (" + (to.ok ? std::string("empty address") : to.error) + ")");
                continue;
            }
            if (!to.parameters.empty()) {
                send_reply(connection, who, "555 RCPT TO parameters not recognized");
                continue;
            }
            std::string user = mail::local_part(to.address);  // beto@example.org -> beto
            if (!mail::valid_mailbox_name(user)) {
                send_reply(connection, who, "553 Mailbox name not allowed: " + mail::printable(user));
                continue;
            }
            if (recipients.size() >= recipients_limit) {
                send_reply(connection, who, "452 Too many recipients");
                continue;
            }
            bool already_there = false;
            for (const std::string& r : recipients) already_there = already_there || r == user;
            if (!already_there) recipients.push_back(user);  // one copy per mailbox
            send_reply(connection, who, "250 OK, will deliver to mailbox " + user);
        } else if (cmd.verb == "DATA") {
            if (!cmd.argument.empty()) {
                send_reply(connection, who, "501 Syntax: DATA takes no argument");
                continue;
            }
            if (!in_transaction || recipients.empty()) {
                send_reply(connection, who,
                           std::string("503 Bad sequence of commands: send ") +
                               (in_transaction ? "RCPT TO" : "MAIL FROM") + " first");
                continue;
            }
            send_reply(connection, who, "354 End data with <CR><LF>.<CR><LF>");
            received_message message = receive_message(reader, config.max_size);
            mail::log(who, "C: (the message: " + std::to_string(message.lines) + " lines, " +
                               std::to_string(message.bytes) + " bytes)");
            if (!message.complete) {
                mail::log(who, "client left in the middle of DATA: message thrown away");
                return;
            }
            mail::log(who, "C: .");
            in_transaction = false;  // whatever happens now, this transaction is over
            if (message.line_too_long) {
                send_reply(connection, who, "500 Line too long (1000 bytes at most in a message): message refused");
            } else if (message.too_big) {
                send_reply(
                    connection, who,
                    "552 Message exceeds fixed maximum message size (" + std::to_string(config.max_size) + " bytes)");
            } else {
                std::string stored_for;
                try {
                    for (const std::string& user : recipients) {
                        fs::path file = store_message(config.maildir, user, message.text);
                        mail::log(who, "stored " + std::to_string(message.text.size()) + " bytes in " + file.string());
                        stored_for += (stored_for.empty() ? "" : ", ") + user;
                    }
                    send_reply(connection, who, "250 OK, stored for " + stored_for);
                } catch (const std::exception& e) {  // disk full, no permission, ...
                    mail::log(who, std::string("could not store the message: ") + e.what());
                    send_reply(connection, who, "451 Local error: could not store the message");
                }
            }
            recipients.clear();
        } else if (cmd.verb == "RSET") {
            in_transaction = false;
            recipients.clear();
            send_reply(connection, who, "250 OK");
        } else if (cmd.verb == "NOOP") {
            send_reply(connection, who, "250 OK");
        } else if (cmd.verb == "VRFY") {
            send_reply(connection, who, "252 Cannot VRFY user, but will accept message and attempt delivery");
        } else if (cmd.verb == "QUIT") {
            send_reply(connection, who, "221 " + server_name + " closing connection");
            return;  // the socket's destructor closes the connection
        } else if (cmd.verb == "EXPN" || cmd.verb == "HELP" || cmd.verb == "STARTTLS" || cmd.verb == "AUTH" ||
                   cmd.verb == "BDAT" || cmd.verb == "TURN" || cmd.verb == "ETRN") {
            send_reply(connection, who, "502 Command not implemented in this lesson");
        } else {
            send_reply(connection, who, "500 Command not recognized");
        }
    }
}

/// The client's thread: the dialogue, and whatever ends it.
void client_thread(csnet::socket connection, std::string who, const settings& config, std::string server_name) {
    try {
        serve_client(connection, who, config, server_name);
    } catch (const csnet::timeout& e) {
        mail::log(who, mail::timeout_text(e, config.timeout) + ": disconnected");
        try {
            send_reply(connection, who, "421 " + server_name + " timeout, closing connection");
        } catch (const csnet::error&) {  // the client may be gone already: nothing to do
        }
    } catch (const std::exception& e) {  // the client reset the connection, ...
        mail::log(who, std::string("connection lost: ") + e.what());
    }
    mail::finish_client(connection, who);  // close, log, count out: server_common.hpp
}

}  // namespace

int main(int argc, char* argv[]) {
    // The command line: HOST, PORT, --help, --maildir and --timeout are read in
    // server_common.hpp; read_max_size reads the one option only this server has.
    settings config;
    config.port = 2525;
    auto read_max_size = [&config](const std::string& option, const std::string& value) {
        if (option != "--max-size") return false;  // not an option of this server
        auto size = mail::parse_number(value);
        if (!size || *size == 0) throw std::invalid_argument("--max-size needs a number of bytes");
        config.max_size = static_cast<std::size_t>(*size);
        return true;
    };
    int exit_code = 0;
    if (!mail::read_command_line(argc, argv, "mail_smtp_server", usage, config, read_max_size, exit_code)) {
        return exit_code;
    }
    try {
        // Creating the TCP/IP socket, binding it and listening, as the report's server.
        csnet::socket sock = mail::listen_on(config);  // socket, bind, listen: server_common.hpp
        std::string server_name = csnet::gethostname();

        // Waiting for connections; each client gets its own thread, running client_thread.
        mail::serve_forever(sock, "421 Too many clients, try again later",
                            [&config, server_name](csnet::socket connection, std::string who) {
                                client_thread(std::move(connection), who, config, server_name);
                            });
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
