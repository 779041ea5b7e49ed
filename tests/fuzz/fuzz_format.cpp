// libFuzzer target: the text of an address that came from the system (accept,
// recvfrom, getsockname), written by csnet's own IPv4 formatter and by inet_ntop
// for IPv6, checked against the system's inet_ntop, and read back by the
// address constructor to the same address. Opens no socket.
#include <csnet.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    csnet::detail::socket_address raw;
    const std::uint16_t port = static_cast<std::uint16_t>(data[1] << 8 | data[2]);
    char expected[INET6_ADDRSTRLEN + 32] = {};
    std::uint32_t scope = 0;
    if ((data[0] & 1) == 0) {
        if (size < 7) return 0;
        auto* in4 = reinterpret_cast<sockaddr_in*>(&raw.storage);
        std::memset(in4, 0, sizeof *in4);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        std::memcpy(&in4->sin_addr, data + 3, 4);
        raw.size = sizeof *in4;
        if (inet_ntop(AF_INET, &in4->sin_addr, expected, sizeof expected) == nullptr) std::abort();
    } else {
        if (size < 19) return 0;
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&raw.storage);
        std::memset(in6, 0, sizeof *in6);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        std::memcpy(&in6->sin6_addr, data + 3, 16);
        if (size >= 23 && (data[0] & 2) != 0) std::memcpy(&scope, data + 19, 4);
        in6->sin6_scope_id = scope;
        raw.size = sizeof *in6;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, expected, sizeof expected) == nullptr) std::abort();
    }
    std::string want = expected;
    if (scope != 0) want += "%" + std::to_string(scope);
    const csnet::address a = csnet::detail::to_address(raw);
    if (a.host() != want) std::abort();
    if (a.port() != port) std::abort();
    // Read back: the same text is a valid address, equal to the system's one.
    try {
        const csnet::address back(a.host(), a.port());
        if (!(back == a) || back.to_string() != a.to_string()) std::abort();
    } catch (const csnet::error&) {
        std::abort();
    }
    return 0;
}
