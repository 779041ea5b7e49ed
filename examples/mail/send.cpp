// mail_send: an SMTP client written by hand, the one of the Kurose & Ross SMTP
// assignment. It connects to a mail server, says HELO, MAIL FROM, RCPT TO, DATA,
// sends the message and a line with ".", then QUIT, and prints every line of the
// dialogue ("C:" what this client sends, "S:" what the server answers). If the
// server refuses a step, mail_send says which one and why, and exits with code 1.
//
//   $ mail_send 127.0.0.1 2525 --from ana@example.org --to beto@example.org "Hola mundo"
//   S: 220 pc csnet SMTP lesson server ready
//   C: HELO laptop
//   S: 250 pc hello laptop
//   C: MAIL FROM:<ana@example.org>
//   ...
//
// USAGE: mail_send HOST PORT --from ADDRESS --to ADDRESS [--to ADDRESS ...]
//                  [--subject TEXT] [MESSAGE | -]      (-: read the message from stdin)
#include <csnet.hpp>

#include "lines.hpp"     // mail::line_reader: the server's replies, one line at a time
#include "protocol.hpp"  // mail::parse_reply_line, dot_stuff, parse_number

#include <ctime>      // std::time, std::gmtime, std::strftime: the Date header
#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr, std::cin
#include <stdexcept>  // std::invalid_argument, std::runtime_error
#include <string>     // std::string, std::getline
#include <vector>     // std::vector

namespace {

const char* const usage =
    "usage: mail_send HOST PORT --from ADDRESS --to ADDRESS [--to ADDRESS ...] [--subject TEXT] [MESSAGE | -]\n"
    "  sends MESSAGE (default \"Hola mundo\"; - reads it from standard input) by SMTP\n"
    "  and prints the dialogue: C: what mail_send sends, S: what the server replies\n";

/// Thrown when the server answers a step with a code we did not expect.
struct refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Reads one reply (all its lines: "250-..." lines, then "250 ...") and prints it.
/// Returns its code.
int read_reply(mail::line_reader& reader) {
    while (true) {
        std::string raw;
        mail::line_status status = reader.read_line(raw);
        if (status == mail::line_status::peer_closed) {
            throw std::runtime_error("the server closed the connection without replying");
        }
        if (status == mail::line_status::too_long) {
            throw std::runtime_error("the server sent a reply line longer than 512 bytes");
        }
        std::string line(mail::without_ending(raw));
        std::cout << "S: " << mail::printable(line) << std::endl;
        mail::reply_line reply = mail::parse_reply_line(line);
        if (!reply.ok) throw std::runtime_error("not an SMTP reply: " + mail::printable(line));
        if (reply.last) return reply.code;
    }
}

/// Sends one command, prints it, reads the reply; the reply must have the EXPECTED code.
void step(csnet::socket& sock, mail::line_reader& reader, const std::string& command, int expected) {
    std::cout << "C: " << command << std::endl;
    sock.sendall(command + "\r\n");
    int code = read_reply(reader);
    if (code != expected) {
        throw refused("the server refused \"" + command + "\" (it replied " + std::to_string(code) + ", expected " +
                      std::to_string(expected) + ")");
    }
}

/// "Tue, 01 Dec 2026 08:30:00 +0000", as the Date header wants it (RFC 5322).
std::string date_now() {
    std::time_t now = std::time(nullptr);
    char text[64] = "";
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", std::gmtime(&now));
    return text;
}

/// The message's lines: the headers, a blank line, the body.
std::vector<std::string> compose(const std::string& from, const std::vector<std::string>& to,
                                 const std::string& subject, const std::string& body) {
    std::string to_header;
    for (const std::string& address : to) to_header += (to_header.empty() ? "" : ", ") + address;
    std::vector<std::string> lines = {"From: " + from, "To: " + to_header, "Subject: " + subject, "Date: " + date_now(),
                                      ""};
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        std::string line = body.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!(end == body.size() && line.empty() && start > 0)) lines.push_back(line);  // no extra blank at the end
        start = end + 1;
    }
    return lines;
}

}  // namespace

int main(int argc, char* argv[]) {
    // == The command line ==
    std::string host, from, subject = "Hola", body = "Hola mundo";
    std::vector<std::string> to;
    int port = 0;
    try {
        std::vector<std::string> positional;
        for (int i = 1; i < argc; ++i) {
            std::string arg = argv[i];
            bool has_value = i + 1 < argc;
            if (arg == "--help" || arg == "-h") {
                std::cout << usage;
                return 0;
            } else if (arg == "--from" && has_value) {
                from = argv[++i];
            } else if (arg == "--to" && has_value) {
                to.push_back(argv[++i]);
            } else if (arg == "--subject" && has_value) {
                subject = argv[++i];
            } else if (arg.size() > 1 && arg[0] == '-') {
                throw std::invalid_argument("unknown option or missing value: " + arg);
            } else {
                positional.push_back(arg);
            }
        }
        if (positional.size() < 2 || positional.size() > 3) throw std::invalid_argument("HOST and PORT are needed");
        if (from.empty() || to.empty()) throw std::invalid_argument("--from and --to are needed");
        host = positional[0];
        auto number = mail::parse_number(positional[1]);
        if (!number || *number < 1 || *number > 65535) throw std::invalid_argument("PORT must be 1 to 65535");
        port = static_cast<int>(*number);
        if (positional.size() == 3) body = positional[2];
    } catch (const std::logic_error& e) {
        std::cerr << "mail_send: " << e.what() << '\n' << usage;
        return 2;
    }

    try {
        if (body == "-") {  // the message from standard input (at most 1 MiB)
            body.clear();
            std::string line;
            while (body.size() < 1048576 && std::getline(std::cin, line)) body += line + "\n";
        }
        // Connect, and wait at most 30 s for each reply.
        csnet::socket sock = csnet::create_connection({host, port}, 30.0);
        mail::line_reader reader(sock, 512);

        int greeting = read_reply(reader);  // the server speaks first: 220
        if (greeting != 220)
            throw refused("the server is not ready (it greeted with " + std::to_string(greeting) + ")");
        try {
            step(sock, reader, "HELO " + csnet::gethostname(), 250);
            step(sock, reader, "MAIL FROM:<" + from + ">", 250);
            for (const std::string& address : to) step(sock, reader, "RCPT TO:<" + address + ">", 250);
            step(sock, reader, "DATA", 354);
            // The message, line by line; a line that starts with "." gets another "."
            // (dot-stuffing), so that only the final "." line ends the message.
            std::string data;
            for (const std::string& line : compose(from, to, subject, body)) {
                std::string stuffed = mail::dot_stuff(line);
                std::cout << "C: " << stuffed << std::endl;
                data += stuffed + "\r\n";
            }
            sock.sendall(data);
            step(sock, reader, ".", 250);
        } catch (const refused&) {
            // Be polite even when refused: say QUIT before leaving, then report.
            try {
                std::cout << "C: QUIT" << std::endl;
                sock.sendall("QUIT\r\n");
                read_reply(reader);
            } catch (const std::exception&) {
            }
            throw;
        }
        step(sock, reader, "QUIT", 221);
        sock.close();
        std::cout << "mail sent" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "mail_send: " << e.what() << '\n';
        return 1;
    }
}
