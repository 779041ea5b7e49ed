// tiers_db_server: the "database server" of the tiers lesson, a key-value store.
// The course notes (seeds/000, section 5) draw three architectures:
//   2-Tier: "El cliente se comunica directamente con el servidor."
//   3-Tier: "el cliente se comunica con un servidor de aplicaciones, que a su vez se
//            comunica con un servidor de bases de datos."
// This program is that "servidor de bases de datos" in both: tiers_db_client talks to
// it directly (2-tier), tiers_app_server talks to it for a browser (3-tier).
//
// On the wire: length-prefixed frames (frames.hpp), each holding one text command:
//   GET key            -> "OK value"                 or "NOTFOUND"
//   SET key value      -> "OK"
//   DELETE key         -> "OK"                       or "NOTFOUND"
//   LIST               -> "OK 2\nkey1\nkey2"  (how many keys, then one per line)
//   anything else      -> "ERR what was wrong"
// A key is 1-200 letters, digits or . _ : -   A value is any bytes (even newlines).
// One connection may carry many requests; the client closes it when done.
// At most 256 keys: a SET of a new key beyond that is "ERR full". So the whole
// database stays under 16 MiB (values fit in a 64 KiB frame), and LIST's reply
// always fits in one frame.
//
// With --file F the data survives a restart: F is read at start and rewritten after
// every change (into F.tmp, then renamed over F, so F is never half-written).
// Many clients at once: a thread per client and one mutex for the map.
//
// USAGE: tiers_db_server [HOST [PORT]] [--file F] [--timeout SECONDS]
//        (defaults: 127.0.0.1, port 7000, data in memory only, timeout 30 s)
#include "frames.hpp"  // frames::send_frame, recv_frame
#include "server.hpp"  // tiers::read_command_line, log_line, listen_on, serve_forever, close_gently

#include <csnet.hpp>

#include <cstddef>     // std::size_t
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem::rename, std::filesystem::exists
#include <fstream>     // std::ifstream, std::ofstream
#include <iostream>    // std::cerr
#include <map>         // std::map: keys kept in order
#include <memory>      // std::shared_ptr, std::make_shared
#include <mutex>       // std::mutex, std::lock_guard
#include <stdexcept>   // std::runtime_error
#include <string>      // std::string, std::stoi
#include <thread>      // std::thread: one per client
#include <utility>     // std::move

namespace {

const char* const usage_text =
    "usage: tiers_db_server [HOST [PORT]] [--file F] [--timeout SECONDS]\n"
    "  a key-value database speaking length-prefixed frames (GET, SET, DELETE, LIST)\n"
    "  HOST     address to listen on (default 127.0.0.1)\n"
    "  PORT     port to listen on (default 7000; 0 picks a free one)\n"
    "  --file F keep the data in file F (read at start, rewritten after each change)\n"
    "  --timeout SECONDS  drop a client that sends nothing for that long (default 30)\n";

// == The data: one map, one mutex, maybe one file ===============================
constexpr std::size_t max_keys = 256;
constexpr std::size_t max_key_length = 200;
// LIST's reply, "OK 256" and a line per key, must fit in one frame.
static_assert(3 + 3 + max_keys * (1 + max_key_length) <= frames::max_payload, "LIST would not fit in a frame");

struct database {
    std::mutex mutex;                         // one lock for the whole map
    std::map<std::string, std::string> data;  // key -> value
    std::string file;                         // "" = in memory only
};

bool valid_key(const std::string& key) {
    if (key.empty() || key.size() > max_key_length) return false;
    for (char c : key) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// In the file, one "key value" per line; a value's newlines and backslashes are
// written as \n, \r and \\ so that each entry stays on one line.
std::string escape(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

std::string unescape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        char next = i + 1 < text.size() ? text[i + 1] : ' ';
        if (next == '\\')
            out += '\\';
        else if (next == 'n')
            out += '\n';
        else if (next == 'r')
            out += '\r';
        else
            throw std::runtime_error("a backslash that is not \\\\, \\n or \\r");
        ++i;
    }
    return out;
}

std::map<std::string, std::string> load(const std::string& file) {
    std::map<std::string, std::string> data;
    std::ifstream in(file, std::ios::binary);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();  // edited on Windows
        if (line.empty() || line[0] == '#') continue;
        std::size_t space = line.find(' ');
        std::string key = line.substr(0, space);
        std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        try {
            if (!valid_key(key)) throw std::runtime_error("not a valid key: \"" + key + "\"");
            data[key] = unescape(value);
            if (data.size() > max_keys) throw std::runtime_error("more than " + std::to_string(max_keys) + " keys");
        } catch (const std::exception& e) {
            throw std::runtime_error(file + ", line " + std::to_string(number) + ": " + e.what());
        }
    }
    return data;
}

// Write everything to FILE.tmp, then rename it over FILE: the rename replaces the
// file in one step, so a crash leaves the old file or the new one, never half of one.
void save(const std::string& file, const std::map<std::string, std::string>& data) {
    std::string temp = file + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << "# tiers_db_server data: one \"key value\" per line (\\n, \\r, \\\\ escaped)\n";
        for (const auto& entry : data) out << entry.first << ' ' << escape(entry.second) << '\n';
        out.flush();
        if (!out) throw std::runtime_error("cannot write " + temp);
    }
    std::filesystem::rename(temp, file);
}

// == The commands ================================================================
// execute(): one request in, one reply out. With a file, a change counts only once it
// is saved: we change a copy, save the copy, and only then keep it (saving rewrites
// the whole file anyway). In memory only, the map is changed in place.
std::string execute(database& db, const std::string& request) {
    std::size_t first_space = request.find(' ');
    std::string command = request.substr(0, first_space);
    std::string rest = first_space == std::string::npos ? "" : request.substr(first_space + 1);

    std::lock_guard<std::mutex> lock(db.mutex);
    if (command == "GET" || command == "DELETE") {
        if (!valid_key(rest)) return "ERR usage: " + command + " key (1-200 letters, digits, . _ : -)";
        auto found = db.data.find(rest);
        if (found == db.data.end()) return "NOTFOUND";
        if (command == "GET") return "OK " + found->second;
        if (db.file.empty()) {
            db.data.erase(found);
            return "OK";
        }
        std::map<std::string, std::string> next = db.data;
        next.erase(rest);
        save(db.file, next);
        db.data = std::move(next);
        return "OK";
    }
    if (command == "SET") {
        std::size_t space = rest.find(' ');
        std::string key = rest.substr(0, space);
        if (space == std::string::npos || !valid_key(key)) {
            return "ERR usage: SET key value (key: 1-200 letters, digits, . _ : -)";
        }
        if (db.data.size() >= max_keys && db.data.count(key) == 0) {
            return "ERR full: " + std::to_string(max_keys) + " keys at most; DELETE one first";
        }
        if (db.file.empty()) {
            db.data[key] = rest.substr(space + 1);
            return "OK";
        }
        std::map<std::string, std::string> next = db.data;
        next[key] = rest.substr(space + 1);
        save(db.file, next);
        db.data = std::move(next);
        return "OK";
    }
    if (command == "LIST") {
        if (!rest.empty()) return "ERR usage: LIST";
        std::string reply = "OK " + std::to_string(db.data.size());
        for (const auto& entry : db.data) reply += "\n" + entry.first;
        return reply;
    }
    return "ERR unknown command \"" + command.substr(0, 20) + "\" (GET, SET, DELETE, LIST)";
}

// For the log: a request or reply on one short line.
std::string summary(const std::string& message) {
    std::string text = message;
    if (message.rfind("SET ", 0) == 0) {  // do not print whole values
        std::size_t space = message.find(' ', 4);
        if (space != std::string::npos) {
            text = message.substr(0, space) + " (" + std::to_string(message.size() - space - 1) + "-byte value)";
        }
    }
    if (text.size() > 60) text = text.substr(0, 60) + "...";
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 32) c = ' ';
    }
    return text;
}

// == One client ================================================================
// Runs in its own thread: reads frames until the client closes the connection.
// The shared_ptr keeps the database alive as long as any client thread uses it.
void serve_client(std::shared_ptr<database> db, csnet::socket connection, csnet::address client, double timeout) {
    std::string who = tiers::peer_name(client);
    try {
        connection.settimeout(timeout);  // a client that stalls is dropped, not waited for
        std::string request;
        int recv_calls = 0;
        while (frames::recv_frame(connection, request, &recv_calls)) {
            std::string reply;
            try {
                reply = execute(*db, request);
            } catch (const std::exception& e) {  // the file could not be written
                reply = std::string("ERR could not save: ") + e.what();
            }
            frames::send_frame(connection, reply);
            tiers::log_line(who + " " + summary(request) + " -> " + summary(reply) + "  [" +
                            std::to_string(4 + request.size()) + "-byte frame read in " + std::to_string(recv_calls) +
                            " recv calls]");
            recv_calls = 0;
        }
        tiers::log_line(who + " closed the connection");
    } catch (const frames::frame_too_big& e) {
        tiers::log_line(who + " refused: " + e.what() + "; closing the connection");
        try {
            frames::send_frame(connection, std::string("ERR ") + e.what());
            tiers::close_gently(connection, 64);  // FIN, then read what is left: the ERR frame arrives
        } catch (const std::exception&) {         // the client is gone already: nothing to do
        }
    } catch (const csnet::timeout&) {
        tiers::log_line(who + " sent no complete frame for " + std::to_string(static_cast<int>(timeout)) +
                        " s; closing");
    } catch (const std::exception& e) {
        tiers::log_line(who + " " + e.what());
    }
}

int parse_int(const std::string& text, const std::string& what, int low, int high) {
    std::size_t used = 0;
    int value = 0;
    try {
        value = std::stoi(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || value < low || value > high) {
        throw tiers::usage_error(what + " must be a number from " + std::to_string(low) + " to " +
                                 std::to_string(high));
    }
    return value;
}

}  // namespace

int main(int argc, char* argv[]) {
    try {
        std::string host = "127.0.0.1";
        int port = 7000;
        std::string file;
        double timeout = 30;
        // The command line: HOST and PORT are read in server.hpp, the options here.
        auto read_option = [&file, &timeout](const std::string& option, const std::string& value) {
            if (option == "--file") {
                file = value;
            } else if (option == "--timeout") {
                timeout = parse_int(value, "--timeout", 1, 3600);
            } else {
                return false;  // not an option of this server
            }
            return true;
        };
        if (!tiers::read_command_line(argc, argv, usage_text, host, port, read_option)) return 0;  // --help

        // The data, read back from the file if there is one.
        auto db = std::make_shared<database>();
        db->file = file;
        std::string loaded = "the data lives in memory only (--file F keeps it)";
        if (!file.empty() && std::filesystem::exists(file)) {
            db->data = load(file);
            loaded = "loaded " + std::to_string(db->data.size()) + " keys from " + file;
        } else if (!file.empty()) {
            loaded = file + " does not exist yet: starting empty";
        }

        // Creating the TCP/IP socket, binding it and listening (server.hpp). SO_REUSEADDR
        // lets a restarted database take its port back at once.
        csnet::socket sock = tiers::listen_on(host, port);
        tiers::log_line(loaded);

        // A thread per client: a slow client never makes the others wait.
        tiers::serve_forever(sock, [db, timeout](csnet::socket connection, csnet::address client_address) {
            std::thread(serve_client, db, std::move(connection), client_address, timeout).detach();
        });
    } catch (const tiers::usage_error& e) {
        std::cerr << "tiers_db_server: " << e.what() << '\n' << usage_text;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
