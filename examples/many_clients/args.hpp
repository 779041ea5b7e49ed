// args.hpp: the command line of this lesson's programs, read the same way in each:
//   NAME [HOST [PORT]] [--option VALUE ...]
// --help prints the usage and exits 0; anything malformed prints it and exits 2,
// as every lesson program of csnet does.
#pragma once

#include <cstdlib>    // std::exit
#include <iostream>   // std::cerr
#include <map>        // std::map: option name -> value
#include <stdexcept>  // std::exception: what std::stod throws
#include <string>     // std::string
#include <vector>     // std::vector

struct command_line {
    std::string host = "127.0.0.1";
    int port = 9999;
    std::map<std::string, std::string> options;  // "--clients" -> "1000"

    // The value of an option as a number, or `fallback` when it was not given.
    double number(const std::string& name, double fallback) const {
        const auto found = options.find(name);
        return found == options.end() ? fallback : std::stod(found->second);
    }
};

// A whole number in [low, high], or -1 when `text` is not one.
inline long whole_number(const std::string& text, long low, long high) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
    const long value = std::stol(text);
    return value < low || value > high ? -1 : value;
}

// Reads argv. `allowed` lists the options that take a value; `positional` is how
// many of HOST and PORT may appear (2 for servers) and `needed` how many must.
inline command_line parse_command_line(int argc, char* argv[], const std::string& usage,
                                       const std::vector<std::string>& allowed, std::size_t needed = 0) {
    const auto fail = [&usage](int status) {
        std::cerr << "usage: " << usage << '\n';
        std::exit(status);
    };
    command_line result;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") fail(0);
        if (arg.rfind("--", 0) == 0) {
            bool known = false;
            for (const auto& name : allowed) known = known || name == arg;
            if (!known || i + 1 >= argc) fail(2);
            result.options[arg] = argv[++i];
            try {
                (void)std::stod(result.options[arg]);  // every option of this lesson is a number
            } catch (const std::exception&) {
                fail(2);
            }
        } else {
            positional.push_back(arg);
        }
    }
    if (!positional.empty() && whole_number(positional[0], 0, 65535) >= 0) {  // "NAME 9999"
        std::cerr << "'" << positional[0] << "' looks like a port: give the host first, e.g. 127.0.0.1 "
                  << positional[0] << '\n';
        fail(2);
    }
    if (positional.size() > 2 || positional.size() < needed) fail(2);
    if (!positional.empty()) result.host = positional[0];
    if (positional.size() > 1) {
        const long port = whole_number(positional[1], 0, 65535);
        if (port < 0) fail(2);
        result.port = static_cast<int>(port);
    }
    return result;
}
