// libFuzzer target: the trace's preview of data ("Hola mundo" quoted as Python
// shows it). It must read only `size` bytes (ASan checks: the input buffer is
// exactly that long), show at most 40 of them, and decode back to them.
#include <csnet.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const char* bytes = reinterpret_cast<const char*>(data);
    const std::string text = csnet::detail::preview(bytes, size);
    const bool cut = size > 40;
    if (text.size() < 2 || text.front() != '"') std::abort();
    if (cut != (text.size() >= 4 && text.compare(text.size() - 4, 4, "\"...") == 0)) std::abort();
    const std::string body = text.substr(1, text.size() - (cut ? 5 : 2));
    std::string decoded;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) >= 127) std::abort();
        if (c != '\\') {
            if (c == '"') std::abort();  // an unescaped quote would end the text early
            decoded += c;
            continue;
        }
        if (i + 1 >= body.size()) std::abort();
        if (body[i + 1] == '\\' || body[i + 1] == '"') {
            decoded += body[++i];
        } else if (body[i + 1] == 'x' && i + 3 < body.size()) {
            decoded += static_cast<char>(std::stoi(body.substr(i + 2, 2), nullptr, 16));
            i += 3;
        } else {
            std::abort();
        }
    }
    if (decoded != std::string(bytes, cut ? 40 : size)) std::abort();
    return 0;
}
