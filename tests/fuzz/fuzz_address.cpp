// libFuzzer target: csnet::address's constructor (the host parser) and what an
// accepted address gives back. Input: 3 bytes of port (0..16M: most are out of
// range on purpose), then the host text. Invariants: the constructor throws
// only csnet::error with invalid_argument; it never accepts a NUL byte; an
// accepted numeric host is one the system's inet_pton accepts too; to_string(),
// host(), structured bindings and == agree. Opens no socket.
#include <csnet.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const int port = (data[0] << 16 | data[1] << 8 | data[2]) - 1000;  // also negative
    const std::string host(reinterpret_cast<const char*>(data + 3), size - 3);
    try {
        const csnet::address a(host, port);
        if (port < 0 || port > 65535) std::abort();              // out of range accepted
        if (host.find('\0') != std::string::npos) std::abort();  // a NUL accepted
        if (a.host() != host || a.port() != port) std::abort();
        auto [h, p] = a;
        if (h != host || p != port) std::abort();
        if (!(a == a) || a != csnet::address(host, port)) std::abort();
        const std::string text = a.to_string();
        if (text.find(std::to_string(port)) == std::string::npos) std::abort();
        const bool numeric4 = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
        if (numeric4) {
            in_addr binary{};
            if (inet_pton(AF_INET, host.c_str(), &binary) != 1) std::abort();  // csnet is stricter, never looser
        }
        if (host.find(':') != std::string::npos) {
            in6_addr binary{};
            const std::string bare = host.substr(0, host.find('%'));
            if (inet_pton(AF_INET6, bare.c_str(), &binary) != 1) std::abort();
        }
    } catch (const csnet::error& e) {
        if (e.code() != std::errc::invalid_argument) std::abort();
        if (std::string(e.what()).rfind("address(", 0) != 0) std::abort();
    }
    return 0;
}
