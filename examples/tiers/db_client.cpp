// tiers_db_client: the 2-tier client. It talks to the database server itself:
//   2-Tier: "El cliente se comunica directamente con el servidor." (seeds/000, section 5)
//   Analogy: "El camarero (cliente) se comunica directamente con el chef (servidor)."
// It sends one request in one frame (frames.hpp), reads one reply frame, prints the
// reply and exits: 0 when the reply is OK, 1 otherwise (ERR, NOTFOUND, no server).
//
// USAGE: tiers_db_client HOST PORT get KEY
//        tiers_db_client HOST PORT set KEY VALUE     (quote a VALUE with spaces)
//        tiers_db_client HOST PORT delete KEY
//        tiers_db_client HOST PORT list
#include "frames.hpp"

#include <csnet.hpp>

#include <exception>  // std::exception
#include <iostream>   // std::cout, std::cerr
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

namespace {

const char* const usage_text =
    "usage: tiers_db_client HOST PORT get KEY\n"
    "       tiers_db_client HOST PORT set KEY VALUE   (quote a VALUE with spaces)\n"
    "       tiers_db_client HOST PORT delete KEY\n"
    "       tiers_db_client HOST PORT list\n"
    "  sends one request to tiers_db_server and prints its reply;\n"
    "  exit status 0 when the reply is OK, 1 otherwise\n";

// The request a command line asks for, or "" when the command line is wrong.
std::string request_for(const std::vector<std::string>& args) {
    if (args.size() == 2 && args[0] == "get") return "GET " + args[1];
    if (args.size() == 3 && args[0] == "set") return "SET " + args[1] + " " + args[2];
    if (args.size() == 2 && args[0] == "delete") return "DELETE " + args[1];
    if (args.size() == 1 && args[0] == "list") return "LIST";
    return "";
}

}  // namespace

int main(int argc, char* argv[]) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << usage_text;
        return 0;
    }
    std::string request = args.size() >= 3 ? request_for({args.begin() + 2, args.end()}) : "";
    int port = -1;
    try {
        if (args.size() >= 2) port = std::stoi(args[1]);
    } catch (const std::exception&) {
        port = -1;
    }
    // A key is one word: "SET my key x" could not say where the key ends.
    bool key_ok = args.size() < 4 || (!args[3].empty() && args[3].find_first_of(" \t\r\n") == std::string::npos);
    if (request.empty() || port < 1 || port > 65535 || !key_ok) {
        std::cerr << usage_text;
        return 2;
    }

    try {
        // Connect to the database server: the client knows where the data lives.
        csnet::socket db = csnet::create_connection({args[0], port}, 5.0);

        // One frame out, one frame back.
        std::string reply = frames::ask(db, request);
        db.close();

        std::cout << reply << '\n';
        return reply == "OK" || reply.rfind("OK ", 0) == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
