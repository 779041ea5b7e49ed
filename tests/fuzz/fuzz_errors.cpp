// libFuzzer target: the builders of csnet's error messages: any error number
// in the system's category, getaddrinfo's and the portable one, any call name,
// arguments, port, timeout, bytes_sent and explanation. Every message names the
// call, says the error as Python prints it, has at most one hint line, and the
// exception's type follows the code. Opens no socket.
#include <csnet.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 8) return 0;
    static const char* const calls[] = {"socket",        "bind",
                                        "listen",        "accept",
                                        "connect",       "connect_ex",
                                        "recv",          "recv_into",
                                        "recvfrom",      "recvfrom_into",
                                        "send",          "sendall",
                                        "sendto",        "shutdown",
                                        "setsockopt",    "getsockopt",
                                        "getsockname",   "getpeername",
                                        "settimeout",    "address",
                                        "getaddrinfo",   "create_connection",
                                        "create_server", "gethostbyname",
                                        "fileno",        "detach",
                                        "select"};
    const int value = static_cast<int>(data[0] | data[1] << 8) - 2000;  // also negative, and WSA-sized
    const std::error_category& category = (data[2] % 3 == 0)   ? csnet::detail::native_category()
                                          : (data[2] % 3 == 1) ? csnet::gai_category()
                                                               : std::generic_category();
    const std::error_code code(value, category);
    csnet::detail::failure_context where;
    where.call = calls[data[3] % (sizeof calls / sizeof calls[0])];
    const std::size_t split = 8 + (size - 8) / 2;
    const std::string arguments(reinterpret_cast<const char*>(data + 8), split - 8);
    where.state = &arguments;
    where.describe = [](const void* state) { return *static_cast<const std::string*>(state); };
    where.port = static_cast<int>(data[4] | data[5] << 8) - 100;
    where.timeout = data[6] == 0 ? -1.0 : data[6] / 7.0;
    const bool own_timeout = (data[7] & 1) != 0;
    const std::size_t bytes_sent = data[7] >> 1;
    const std::string explanation((data[7] & 2) ? reinterpret_cast<const char*>(data + split) : "",
                                  (data[7] & 2) ? size - split : 0);
    try {
        if (own_timeout) csnet::detail::throw_timeout(where, bytes_sent);  // settimeout's: "timed out"
        csnet::detail::throw_error(code, where, explanation, bytes_sent);
    } catch (const csnet::gaierror& e) {
        if (e.code().category() != csnet::gai_category()) std::abort();
        if (std::strlen(e.what()) == 0) std::abort();
    } catch (const csnet::timeout& e) {
        if (e.code() != std::errc::timed_out) std::abort();
        if (e.bytes_sent() != bytes_sent) std::abort();
        // (what() is a C string: it ends at a NUL byte of the arguments)
        if (own_timeout && arguments.find('\0') == std::string::npos &&
            std::string(e.what()).find("): timed out") == std::string::npos)
            std::abort();
    } catch (const csnet::error& e) {
        const std::string what = e.what();
        if (what.rfind(std::string(where.call) + "(", 0) != 0 && what.find(where.call) == std::string::npos)
            std::abort();
        if (e.bytes_sent() != bytes_sent) std::abort();
        if (e.code() != code) std::abort();
    }
    return 0;
}
