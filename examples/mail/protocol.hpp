// protocol.hpp - the small pieces of SMTP (RFC 5321) and POP3 (RFC 1939) that are
// pure text: split a command line, read an address out of "FROM:<ana@example.org>",
// dot-stuffing, a reply's code. No sockets here: each function takes text and
// returns text, so it can be tried (and fuzzed) without a network.
#ifndef CSNET_EXAMPLES_MAIL_PROTOCOL_HPP
#define CSNET_EXAMPLES_MAIL_PROTOCOL_HPP

#include <cstddef>      // std::size_t
#include <optional>     // std::optional: "no number here"
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

namespace mail {

/// "mail" -> "MAIL". SMTP and POP3 verbs are case-insensitive (smtplib sends
/// lower case, poplib upper case), so the servers compare upper-case verbs.
inline std::string upper(std::string_view text) {
    std::string result(text);
    for (char& c : result) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return result;
}

/// "Ana" -> "ana".
inline std::string lower(std::string_view text) {
    std::string result(text);
    for (char& c : result) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return result;
}

/// A command line cut in two: "mail FROM:<a@b>" -> verb "MAIL", argument "FROM:<a@b>".
struct command {
    std::string verb;      // upper case
    std::string argument;  // the rest of the line after one space, as sent
};

/// LINE without its "\r\n".
inline command split_command(std::string_view line) {
    std::size_t space = line.find(' ');
    command result;
    result.verb = upper(line.substr(0, space));
    if (space != std::string_view::npos) result.argument = std::string(line.substr(space + 1));
    return result;
}

/// What MAIL FROM and RCPT TO carry: "FROM:<ana@example.org> SIZE=1234".
struct mail_path {
    bool ok = false;
    std::string error;                                            // why not ok, for a 501 reply
    std::string address;                                          // "ana@example.org" ("" for MAIL FROM:<>, a bounce)
    std::vector<std::pair<std::string, std::string>> parameters;  // {"SIZE", "1234"}
};

/// Reads ARGUMENT (what follows "MAIL " or "RCPT "), which must start with KEYWORD
/// ("FROM:" or "TO:", any case), then an address between < and >, then parameters.
inline mail_path parse_path(std::string_view argument, std::string_view keyword) {
    mail_path result;
    if (argument.size() < keyword.size() || upper(argument.substr(0, keyword.size())) != keyword) {
        result.error = "expected " + std::string(keyword) + "<address>";
        return result;
    }
    std::string_view rest = argument.substr(keyword.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);  // "FROM: <a>": tolerated
    std::size_t close = rest.find('>');
    if (rest.empty() || rest.front() != '<' || close == std::string_view::npos) {
        result.error = "the address must be written between < and >";
        return result;
    }
    std::string_view path = rest.substr(1, close - 1);
    // An old "source route" (<@relay1,@relay2:ana@example.org>): RFC 5321 says to ignore it.
    if (!path.empty() && path.front() == '@') {
        std::size_t colon = path.find(':');
        if (colon == std::string_view::npos) {
            result.error = "bad source route";
            return result;
        }
        path.remove_prefix(colon + 1);
    }
    for (char c : path) {
        if (c == ' ' || c == '<' || c == '"' || static_cast<unsigned char>(c) < 0x20) {
            result.error = "this server takes simple addresses only (no spaces, no quotes)";
            return result;
        }
    }
    result.address = std::string(path);
    // Parameters: " SIZE=1234 BODY=8BITMIME", separated by spaces.
    rest.remove_prefix(close + 1);
    while (!rest.empty()) {
        if (rest.front() == ' ') {
            rest.remove_prefix(1);
            continue;
        }
        std::size_t end = rest.find(' ');
        std::string_view word = rest.substr(0, end);
        std::size_t equals = word.find('=');
        std::string name = upper(word.substr(0, equals));
        std::string value = equals == std::string_view::npos ? "" : std::string(word.substr(equals + 1));
        result.parameters.emplace_back(name, value);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    result.ok = true;
    return result;
}

/// The mailbox an address goes to: its local part, in lower case.
/// "Ana@example.org" -> "ana"; "postmaster" -> "postmaster".
inline std::string local_part(std::string_view address) { return lower(address.substr(0, address.rfind('@'))); }

/// True when NAME can be a folder name on every system: 1 to 64 letters, digits,
/// '.', '-', '_', '+', and it does not start with a '.' (no "..", no hidden folders).
inline bool valid_mailbox_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '.') return false;
    for (char c : name) {
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (!letter && !digit && c != '.' && c != '-' && c != '_' && c != '+') return false;
    }
    return true;
}

/// A whole number of at most 18 digits ("3" -> 3); anything else -> no number.
inline std::optional<unsigned long long> parse_number(std::string_view text) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    unsigned long long value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned long long>(c - '0');
    }
    return value;
}

/// Dot-stuffing (RFC 5321 4.5.2, RFC 1939 3): the message ends with a line holding
/// just ".", so a line of the message that starts with "." is sent with one more "."
/// in front. The receiver removes it again (unstuffing).
inline std::string dot_stuff(std::string_view line) {
    if (!line.empty() && line.front() == '.') return "." + std::string(line);
    return std::string(line);
}
inline std::string dot_unstuff(std::string_view line) {
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);
    return std::string(line);
}

/// One line of an SMTP reply: "250-SIZE 1000" (more lines follow) or "250 OK" (last).
struct reply_line {
    bool ok = false;   // false: not "ddd", "ddd text" or "ddd-text"
    int code = 0;      // 250
    bool last = true;  // false after "ddd-"
    std::string text;  // "SIZE 1000"
};

/// LINE without its "\r\n".
inline reply_line parse_reply_line(std::string_view line) {
    reply_line result;
    if (line.size() < 3) return result;
    for (std::size_t i = 0; i < 3; ++i) {
        if (line[i] < '0' || line[i] > '9') return result;
    }
    if (line[0] < '2' || line[0] > '5') return result;
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return result;
    result.ok = true;
    result.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    result.last = line.size() == 3 || line[3] == ' ';
    if (line.size() > 4) result.text = std::string(line.substr(4));
    return result;
}

/// TEXT as it may be shown in a log: control bytes written as \xNN (so a client
/// cannot move the cursor of the terminal that shows the log); other bytes as sent.
inline std::string printable(std::string_view text) {
    static const char hex[] = "0123456789abcdef";
    std::string result;
    for (char c : text) {
        unsigned char byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            result += "\\x";
            result += hex[byte >> 4];
            result += hex[byte & 0x0f];
        } else {
            result += c;
        }
    }
    return result;
}

}  // namespace mail

#endif  // CSNET_EXAMPLES_MAIL_PROTOCOL_HPP
