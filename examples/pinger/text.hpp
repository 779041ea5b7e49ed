// text.hpp - the text work that pinger_server and pinger_client share: the words
// of the command line, and a datagram shown on screen. No sockets here.
#ifndef CSNET_EXAMPLES_PINGER_TEXT_HPP
#define CSNET_EXAMPLES_PINGER_TEXT_HPP

#include <cstddef>    // std::size_t
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::stod, std::stoll
#include <vector>     // std::vector

namespace pinger {

// A number from the command line, whole text or nothing ("0.3x" is refused).
inline double parse_number(const std::string& text) {
    std::size_t used = 0;
    double value = std::stod(text, &used);  // throws std::invalid_argument
    if (used != text.size()) throw std::invalid_argument(text);
    return value;
}

// A whole number from the command line: digits only, from 0 to `highest`.
inline long long parse_whole(const std::string& text, long long highest) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument(text);
    }
    long long value = std::stoll(text);
    if (value > highest) throw std::invalid_argument(text);
    return value;
}

// A word of the command line that is not a known option: HOST, then PORT. An
// unknown "--option", an option without its value, or a third word is refused.
inline void add_positional(const std::string& word, std::vector<std::string>& positional) {
    if (word.rfind("--", 0) == 0 || positional.size() == 2) throw std::invalid_argument(word);
    positional.push_back(word);
}

// A datagram as the screen shows it: at most 40 bytes, anything that is not
// printable ASCII as \xNN, so that garbage cannot mess up the terminal.
inline std::string preview(const std::string& data) {
    const char* hex = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < data.size() && i < 40; ++i) {
        unsigned char c = static_cast<unsigned char>(data[i]);
        if (c >= 32 && c < 127 && c != '"' && c != '\\') {
            text += static_cast<char>(c);
        } else {
            text += "\\x";
            text += hex[c >> 4];
            text += hex[c & 15];
        }
    }
    if (data.size() > 40) text += "...";
    return text;
}

}  // namespace pinger

#endif  // CSNET_EXAMPLES_PINGER_TEXT_HPP
