// csnet.hpp - sockets for the client-server model, the way Python writes them.
//
// One header, C++17, no dependency beyond the operating system's sockets
// (BSD sockets on Linux, macOS and the BSDs; Winsock 2 on Windows).
// MIT licence: see LICENSE. https://github.com/ (csnet project)
//
// How to read this file
// ---------------------
// It is written to be read by students, top to bottom. First what a program
// uses, in the order of the course's Python report:
//
//   1. includes                       what each system header gives us
//   2. platform types                 native_handle_type: a socket as the system names it
//   3. constants                      AF_INET, SOCK_STREAM, ... (and how they print)
//   4. errors                         csnet::error, csnet::timeout, csnet::gaierror
//      (what the classes below use from sections 10-13: declared, defined there)
//   5. address                        Python's ('127.0.0.1', 9999) tuple
//   6. class socket                   create, bind, listen, accept, connect,
//                                     recv, send/sendall, sendto/recvfrom, close
//   7. class selector                 many clients in one thread: register_, select
//   8. free functions                 create_connection, create_server, getaddrinfo, ...
//   9. tracing                        CSNET_TRACE=1 prints every system call
//
// Then how it works inside (a student may stop before it):
//
//  10. the platform layer             the ONLY place where Windows and POSIX differ
//  11. error messages and hints       what() in English or Spanish, with advice
//  12. the trace                      where trace lines go, one whole line at a time
//  13. addresses inside               parsing a host, sockaddr, getaddrinfo
//  14. the public functions' bodies   to_string, gai_category, address's constructor
//
// Each public call says which system call it makes. A csnet call makes the same
// system calls that a careful C program would, and nothing else: no threads, no
// hidden buffers.

#ifndef CSNET_HPP
#define CSNET_HPP

// csnet's version, written once here: CMake and Meson read it from this file.
#define CSNET_VERSION_MAJOR 0
#define CSNET_VERSION_MINOR 2
#define CSNET_VERSION_PATCH 0

// ============================================================================
// 1. Includes
// ============================================================================

#include <atomic>        // std::atomic: the trace switch and the trace lock
#include <cstddef>       // std::size_t
#include <cstdint>       // std::uint16_t, std::uint32_t
#include <cstdio>        // std::fwrite, stderr: where CSNET_TRACE=1 writes
#include <cstdlib>       // std::getenv
#include <cstring>       // std::memcpy, std::memset, std::strlen
#include <iosfwd>        // std::basic_ostream (declared only: operator<< is a template)
#include <optional>      // std::optional: gettimeout() is "None" or seconds
#include <stdexcept>     // std::runtime_error: holds the error's message
#include <string>        // std::string: what recv() returns
#include <string_view>   // std::string_view: what send() takes
#include <system_error>  // std::system_error, std::error_code, std::errc
#include <type_traits>   // std::enable_if_t, std::is_same_v
#include <utility>       // std::pair, std::move
#include <vector>        // std::vector: what getaddrinfo() returns

#if defined(_WIN32)
// Winsock. <winsock2.h> must come before <windows.h>'s old <winsock.h>; with
// MSVC, a <windows.h> included first (without WIN32_LEAN_AND_MEAN) has already
// pulled in <winsock.h>, and the two clash in hundreds of errors. Say it once.
#    if defined(_MSC_VER) && defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
#        error \
            "csnet: <windows.h> was included before <csnet.hpp> and brought in the old <winsock.h>. Fix: #include <csnet.hpp> before <windows.h>, or #define WIN32_LEAN_AND_MEAN before including <windows.h>."
#    endif  // defined(_MSC_VER) && defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
#    if defined(_WIN32_WINNT) && _WIN32_WINNT < 0x0600
#        error "csnet needs Windows Vista or later: define _WIN32_WINNT as 0x0600 or higher (or leave it undefined)."
#    endif  // defined(_WIN32_WINNT) && _WIN32_WINNT < 0x0600
// Keep <windows.h> small and keep its min/max macros away from std::min/std::max,
// but leave the user's own settings exactly as they were.
#    ifndef WIN32_LEAN_AND_MEAN
#        define WIN32_LEAN_AND_MEAN
#        define CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#    endif  // !WIN32_LEAN_AND_MEAN
#    ifndef NOMINMAX
#        define NOMINMAX
#        define CSNET_UNDEF_NOMINMAX
#    endif  // !NOMINMAX
#    if defined(__MINGW32__) && defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
// MinGW's old winsock.h came first (via <windows.h>): its winsock2.h copes, but would #warning.
#        undef _WINSOCKAPI_
#    endif                 // defined(__MINGW32__) && defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
#    include <winsock2.h>  // socket, bind, listen, accept, send, recv, select, ...
#    include <ws2tcpip.h>  // getaddrinfo, inet_pton, inet_ntop, socklen_t
#    include <windows.h>   // QueryPerformanceCounter, SetHandleInformation
#    ifdef CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#        undef WIN32_LEAN_AND_MEAN
#        undef CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#    endif  // CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#    ifdef CSNET_UNDEF_NOMINMAX
#        undef NOMINMAX
#        undef CSNET_UNDEF_NOMINMAX
#    endif  // CSNET_UNDEF_NOMINMAX
#    if defined(_MSC_VER)
#        pragma comment(lib, "ws2_32.lib")  // MSVC links Winsock by itself; MinGW needs -lws2_32
#    endif                                  // _MSC_VER
#else
#    include <arpa/inet.h>    // inet_pton, inet_ntop: text <-> binary addresses
#    include <cerrno>         // errno, EINTR, EAGAIN, ...
#    include <fcntl.h>        // fcntl: non-blocking mode, close-on-exec
#    include <netdb.h>        // getaddrinfo, gai_strerror
#    include <netinet/in.h>   // sockaddr_in, sockaddr_in6, IPPROTO_TCP
#    include <netinet/tcp.h>  // TCP_NODELAY
#    include <poll.h>         // poll: wait until a socket is ready (timeouts)
#    include <sys/socket.h>   // socket, bind, listen, accept, send, recv, ...
#    include <time.h>         // clock_gettime: a clock that never jumps
#    include <unistd.h>       // close, gethostname
#endif                        // _WIN32

// CSNET_COLD marks what a successful send() or recv() never runs (reporting an
// error, writing the trace, waiting for a timeout): the compiler keeps it out of
// line, so the path every call takes stays short (bench/instructions.sh counts it).
#if defined(__GNUC__)
#    define CSNET_COLD __attribute__((noinline, cold))
#elif defined(_MSC_VER)
#    define CSNET_COLD __declspec(noinline)
#else
#    define CSNET_COLD
#endif

namespace csnet {

// ============================================================================
// 2. Platform types
// ----------------------------------------------------------------------------
// The one name that differs between systems and that a program may see. Every
// other difference between Windows and POSIX is in section 10.
// ============================================================================

/// A socket as the operating system names it: what ::socket() returns, a file
/// descriptor (an int) on POSIX, a SOCKET on Windows.
using native_handle_type = decltype(::socket(0, 0, 0));
/// "No socket": -1 on POSIX, INVALID_SOCKET (the same bits) on Windows.
inline constexpr native_handle_type invalid_native_handle = static_cast<native_handle_type>(-1);

// ============================================================================
// 3. Constants
// ----------------------------------------------------------------------------
// The system's AF_INET, SOCK_STREAM, ... are macros, so csnet's names are lower
// case. They print as Python prints them: AF_INET, SOCK_STREAM, IPPROTO_IP.
// ============================================================================

/// Which kind of address a socket uses: IPv4 (af_inet) or IPv6 (af_inet6).
enum class address_family : int { af_unspec = AF_UNSPEC, af_inet = AF_INET, af_inet6 = AF_INET6 };
/// A byte stream with connections (TCP), or separate datagrams (UDP).
enum class socket_kind : int { sock_stream = SOCK_STREAM, sock_dgram = SOCK_DGRAM };
/// The protocol; ipproto_ip (0) lets the system choose TCP for streams, UDP for datagrams.
enum class protocol : int { ipproto_ip = 0, ipproto_tcp = IPPROTO_TCP, ipproto_udp = IPPROTO_UDP };

inline constexpr address_family af_unspec = address_family::af_unspec;
inline constexpr address_family af_inet = address_family::af_inet;
inline constexpr address_family af_inet6 = address_family::af_inet6;
inline constexpr socket_kind sock_stream = socket_kind::sock_stream;
inline constexpr socket_kind sock_dgram = socket_kind::sock_dgram;
inline constexpr protocol ipproto_ip = protocol::ipproto_ip;
inline constexpr protocol ipproto_tcp = protocol::ipproto_tcp;
inline constexpr protocol ipproto_udp = protocol::ipproto_udp;

// Option levels and names are plain ints, as in Python, so the system's own
// SOL_SOCKET / SO_* values work too.
inline constexpr int sol_socket = SOL_SOCKET;
inline constexpr int so_reuseaddr = SO_REUSEADDR;
inline constexpr int so_keepalive = SO_KEEPALIVE;
inline constexpr int so_broadcast = SO_BROADCAST;
inline constexpr int so_rcvbuf = SO_RCVBUF;
inline constexpr int so_sndbuf = SO_SNDBUF;
inline constexpr int so_error = SO_ERROR;
inline constexpr int tcp_nodelay = TCP_NODELAY;
inline constexpr int ipproto_ipv6 = IPPROTO_IPV6;
inline constexpr int ipv6_v6only = IPV6_V6ONLY;
#if defined(SO_REUSEPORT)
inline constexpr int so_reuseport = SO_REUSEPORT;
#endif                                     // SO_REUSEPORT
inline constexpr int msg_peek = MSG_PEEK;  // look at the data without taking it
// Wait until the whole buffer is full. Only on a blocking socket: with a timeout the
// socket is non-blocking inside (as in Python), and recv() returns what is there.
inline constexpr int msg_waitall = MSG_WAITALL;
inline constexpr int shut_rd = 0;    // SHUT_RD (Windows: SD_RECEIVE; section 10 checks both)
inline constexpr int shut_wr = 1;    // SHUT_WR (Windows: SD_SEND)
inline constexpr int shut_rdwr = 2;  // SHUT_RDWR (Windows: SD_BOTH)

/// listen()'s backlog when none is given: Python's choice, min(SOMAXCONN, 128).
inline constexpr int default_backlog = SOMAXCONN < 128 ? SOMAXCONN : 128;

/// "AF_INET", "SOCK_STREAM", "IPPROTO_IP": the names Python prints.
inline std::string to_string(address_family f);
inline std::string to_string(socket_kind k);
inline std::string to_string(protocol p);

// Written as templates over the stream so that this header needs only <iosfwd>,
// not all of <ostream>: the program that prints has <iostream> already.
template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, address_family f) {
    return out << to_string(f);
}
template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, socket_kind k) {
    return out << to_string(k);
}
template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, protocol p) {
    return out << to_string(p);
}

// ============================================================================
// 4. Errors
// ----------------------------------------------------------------------------
// Python raises OSError and its subclasses; csnet throws one family:
//   csnet::error     (a std::system_error)  every failed call
//   csnet::timeout   (a csnet::error)       a timeout set with settimeout() expired
//   csnet::gaierror  (a csnet::error)       a host name could not be resolved
// what() names the call and its arguments, then the error as Python prints it,
// then, where a student is likely to be stuck, a line of advice:
//   connect(127.0.0.1:9999): [Errno 111] Connection refused
//   hint: nothing is listening on port 9999 at that address: start the server first, ...
// (in Spanish with CSNET_LANG=es or a Spanish locale: see "The language of hints")
// ============================================================================

class error : public std::system_error {
public:
    error(std::error_code code, const std::string& message, std::size_t bytes_sent = 0)
        : std::system_error(code), message_(message), bytes_sent_(bytes_sent) {}

    const char* what() const noexcept override { return message_.what(); }

    /// How many bytes sendall() had sent before it failed (0 for every other call).
    std::size_t bytes_sent() const noexcept { return bytes_sent_; }

private:
    std::runtime_error message_;  // copies without throwing, as an exception must
    std::size_t bytes_sent_;
};

class timeout : public error {
public:
    using error::error;
};

class gaierror : public error {
public:
    using error::error;
};

/// The category of csnet::gaierror's codes: getaddrinfo's EAI_* values.
inline const std::error_category& gai_category();

// ============================================================================
// What the classes below use from the inside
// ----------------------------------------------------------------------------
// address, socket and selector call a few helpers that are written at the end
// of the file (sections 10-13). Here they are only named, with their types, so
// that the classes can use them; skip this block on a first reading.
// ============================================================================

class address;
struct address_info;

namespace detail {

// ---- Types used on both sides -----------------------------------------------
using address_length = socklen_t;   // a sockaddr's size (Winsock's <ws2tcpip.h> has socklen_t too: an int)
using poll_entry = pollfd;          // one socket in a poll() (Windows: WSAPoll's WSAPOLLFD is this struct)
inline constexpr int any_kind = 0;  // getaddrinfo's "stream or datagram"

/// Which readiness a wait waits for.
enum class wait_for : unsigned char { reading, writing };
/// A socket's mode: a call waits (blocking), or fails with "would block" (non-blocking).
enum class io_mode : unsigned char { blocking, nonblocking };
/// Which end of a connection: this socket's own address, or its peer's.
enum class which_end : unsigned char { local, peer };

// ---- 10. The platform layer -------------------------------------------------
inline void start_networking();  // Winsock's WSAStartup, once; nothing on POSIX
inline int last_error();         // errno, or WSAGetLastError()
inline bool interrupted(int error);
inline bool would_block(int error);
inline bool connect_pending(int error);
inline bool message_truncated(int error);
inline int error_timed_out();    // ETIMEDOUT, or WSAETIMEDOUT
inline int error_would_block();  // EWOULDBLOCK, or WSAEWOULDBLOCK
inline std::size_t sendall_piece();
inline bool recv_discards(int flags);
inline native_handle_type open_socket(int family, int type, int proto);
inline native_handle_type accept_socket(native_handle_type listener, sockaddr* peer, address_length* size);
inline bool accept_inherits_nonblocking();
inline int close_socket(native_handle_type s);
inline int set_nonblocking(native_handle_type s, io_mode mode);
inline int wait_ready(native_handle_type s, wait_for direction, int milliseconds);
inline long long send_some(native_handle_type s, const char* data, std::size_t size, int flags);
inline long long sendto_some(native_handle_type s, const char* data, std::size_t size, int flags, const sockaddr* to,
                             address_length to_size);
inline long long recv_some(native_handle_type s, char* into, std::size_t size, int flags);
inline long long recvfrom_some(native_handle_type s, char* into, std::size_t size, int flags, sockaddr* from,
                               address_length* from_size);
inline bool reuse_address_is_exclusive();  // Windows: so_reuseaddr means SO_EXCLUSIVEADDRUSE
inline int set_exclusive_address_use(native_handle_type s);
inline short poll_readable();
inline short poll_writable();
inline int poll_sockets(poll_entry* entries, std::size_t count, int milliseconds);
inline double monotonic_seconds();
inline std::error_code native_error(int code);
inline std::error_code own_error(std::errc e);
inline std::string handle_text(native_handle_type s);  // "fd 3", or "socket 260"
inline std::string nonblocking_call_text(const std::string& handle, io_mode mode);
inline std::string wait_call_text(const std::string& handle, wait_for direction, int milliseconds);

// ---- 11. Error messages -----------------------------------------------------
struct failure_context {
    const char* call = "";  // "bind"
    // Its arguments ("127.0.0.1:9999") are written by describe(state) only when the
    // call fails: formatting them on every send or recv would cost time for nothing,
    // and a context that owns no string costs nothing to make or to drop.
    const void* state = nullptr;
    std::string (*describe)(const void*) = nullptr;
    int port = -1;        // the port involved, if any
    double timeout = -1;  // the socket's timeout, if one expired
    // The socket that failed, still open while the message is written: advice()
    // asks it what it is (TCP or UDP, bound, connected) to choose the right hint.
    native_handle_type handle = invalid_native_handle;

    std::string arguments() const { return describe ? describe(state) : std::string(); }
};

// A context whose arguments are written by `describe()`, only if needed. The
// context points at `describe` (a lambda the caller keeps alive as long as the
// context); a temporary lambda would be gone at once, so it does not compile.
template <class Describe>
failure_context lazy_context(const char*, const Describe&&, int = -1) = delete;
template <class Describe>
failure_context lazy_context(const char* call, const Describe& describe, int port = -1) {
    failure_context context;
    context.call = call;
    context.state = &describe;
    context.describe = [](const void* state) { return (*static_cast<const Describe*>(state))(); };
    context.port = port;
    return context;
}

[[noreturn]] inline void throw_error(const std::error_code& code, const failure_context& where,
                                     const std::string& explanation = "", std::size_t bytes_sent = 0);
[[noreturn]] inline void throw_timeout(const failure_context& where, std::size_t bytes_sent = 0);  // settimeout's
[[noreturn]] inline void raise_invalid(const failure_context& where, const std::string& explanation);
inline std::string seconds_text(double seconds);
inline int socket_kind_of(native_handle_type s);  // SOCK_STREAM, SOCK_DGRAM; 0: not an open socket

// ---- 12. The trace ----------------------------------------------------------
using trace_writer = void (*)(void* out, const char* text, std::size_t size);
inline bool tracing();  // one load: is anybody listening?
inline void trace(const std::string& line) noexcept;
inline void set_trace_writer(void* stream, trace_writer writer);
inline std::string preview(const char* data, std::size_t size);
inline std::string error_text(int code);
inline void refuse_nul(const char* call, const std::string& host, const std::string& rest);

// How a failed send or recv shows its arguments ("19", "b'hello'"). Each makes a
// lambda that holds a copy of what it shows, made only on the way to the error:
// a call that succeeds stores nothing for a message it never writes.
inline auto size_argument(std::size_t size) {
    return [size] { return std::to_string(size); };
}
inline auto data_argument(std::string_view data) {
    return [data] { return preview(data.data(), data.size()); };
}
inline std::string shown(const address& a);                                     // 127.0.0.1:9999, [::1]:9999, '':9999
inline auto data_argument(std::string_view data, const address& destination) {  // sendto's
    return [data, &destination] { return preview(data.data(), data.size()) + ", " + shown(destination); };
}

// What one system call gave, for every call that may wait or fail, in one number
// (one register, much as Linux's own system calls answer):
//   value >= 0          the call's result;
//   value == -1 - e     it failed with error number e (-1 - e: even an error
//                       number 0, which no system should give, reads as a failure);
//   expired_first       the socket's own timeout (settimeout) ran out first.
struct call_result {
    long long value = 0;
    static constexpr long long expired_first = -(1LL << 40);  // error numbers are ints: never this low

    bool ok() const { return value >= 0; }
    bool timed_out() const { return value == expired_first; }
    int error() const { return timed_out() ? 0 : static_cast<int>(-1 - value); }

    // The result of a call that returns -1 on failure; reads the error at once.
    static call_result of(long long result) { return result >= 0 ? call_result{result} : failed(last_error()); }
    static call_result failed(int error_number) { return call_result{-1 - static_cast<long long>(error_number)}; }
    static call_result expired() { return call_result{expired_first}; }
    // How the trace shows a failure: "timed out", or "error: [Errno 111] ...".
    std::string text() const { return timed_out() ? std::string("timed out") : error_text(error()); }
};

// ---- 13. Addresses inside -----------------------------------------------------
inline const char* name_of(address_family f);  // "AF_INET"
inline const char* name_of(socket_kind k);     // "SOCK_STREAM"
inline const char* name_of(protocol p);        // "IPPROTO_TCP"

// An IPv4 or IPv6 sockaddr, as an address keeps it ready for the system calls.
union inet_sockaddr {
    sockaddr_in in4;
    sockaddr_in6 in6;
};

// A sockaddr big enough for any family: what the system calls take and give.
struct socket_address {
    sockaddr_storage storage;  // filled by the system call or by from_numeric()
    address_length size = sizeof(sockaddr_storage);

    socket_address() { storage.ss_family = AF_UNSPEC; }  // "no address" until filled

    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }

    // The numeric forms need no look-up; returns false for names.
    inline bool from_numeric(const address& a, address_family family);
};

inline address to_address(const socket_address& raw);
// An address's own sockaddr, for the system calls: ready_sockaddr() gives it when
// it is a numeric address of `family` (else nullptr: see from_numeric and resolve);
// recvfrom() writes the sender straight into writable_sockaddr(), then
// adopt_sockaddr() reads the family and the port from it.
inline const sockaddr* ready_sockaddr(const address& a, address_family family);
inline sockaddr* writable_sockaddr(address& a);
inline void adopt_sockaddr(address& a);
inline std::vector<address_info> lookup(const std::string& host, const char* service, address_family family, int kind,
                                        const failure_context& where);
inline socket_address resolve(const address& a, address_family family, socket_kind type, const failure_context& where);

}  // namespace detail

// ============================================================================
// 5. address: Python's (host, port) tuple
// ----------------------------------------------------------------------------
//   csnet::address server_address{"127.0.0.1", 9999};
//   auto [host, port] = client_address;          // like Python's tuple unpacking
// The constructor refuses, at once, what is certainly wrong: a port outside
// 0..65535, or a host that looks numeric but is not a valid address ("256.1.1.1",
// "1.2.3", "::g"). Names such as "localhost" are looked up later, by the call that
// needs an address (bind, connect, sendto), as Python does.
// ============================================================================

class address {
public:
    /// ("", 0): any address of this machine, any port (the system picks one).
    address() = default;

    /// A host and a port; refuses a port outside 0..65535 and a malformed
    /// numeric host at once (a csnet::error with std::errc::invalid_argument).
    inline address(std::string host, int port);

    std::string host() const { return text_pending_ ? numeric_text() : host_; }
    int port() const noexcept { return port_; }

    /// "127.0.0.1:9999", or "[::1]:9999" for IPv6.
    std::string to_string() const {
        if (kind_ == host_kind::ipv6) return "[" + host() + "]:" + std::to_string(port_);
        return host() + ":" + std::to_string(port_);
    }

    /// Same host text and same port ("localhost" is not "127.0.0.1").
    friend bool operator==(const address& a, const address& b) {
        if (a.port_ != b.port_) return false;
        if (!a.text_pending_ && !b.text_pending_) return a.host_ == b.host_;
        return a.host() == b.host();
    }
    friend bool operator!=(const address& a, const address& b) { return !(a == b); }

    /// For structured bindings: auto [host, port] = addr; (a std::string and an int)
    template <std::size_t I>
    auto get() const {
        static_assert(I < 2, "an address has two parts: host and port");
        if constexpr (I == 0) {
            return host();
        } else {
            return port_;
        }
    }

private:
    friend struct detail::socket_address;
    friend address detail::to_address(const detail::socket_address& raw);
    friend const sockaddr* detail::ready_sockaddr(const address& a, address_family family);
    friend sockaddr* detail::writable_sockaddr(address& a);
    friend void detail::adopt_sockaddr(address& a);
    friend detail::socket_address detail::resolve(const address& a, address_family family, socket_kind type,
                                                  const detail::failure_context& where);

    // What the host text is, found once by parse_host() (or set by adopt_sockaddr()):
    // the calls that use the address never read the text again.
    enum class host_kind : unsigned char { any, name, ipv4, ipv6, broadcast };

    // Section 13 has the bodies.
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    static inline bool parse_ipv4(const std::string& text, unsigned char* out);
    inline std::string parse_host();
    inline std::string numeric_text() const;

    std::string host_;
    int port_ = 0;
    host_kind kind_ = host_kind::any;
    bool text_pending_ = false;  // host_ not written yet: numeric_text() gives it
    // A numeric address (kind ipv4 or ipv6) as the system calls take it: family,
    // port, the address's bytes and an IPv6 zone (the interface of a link-local
    // address). sendto() hands it to the system as it is; recvfrom() writes it.
    detail::inet_sockaddr raw_{};
};

template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, const address& a) {
    return out << a.to_string();
}

}  // namespace csnet

// Structured bindings: auto [host, port] = address;
namespace std {
template <>
struct tuple_size<csnet::address> : integral_constant<size_t, 2> {};
template <>
struct tuple_element<0, csnet::address> {
    using type = string;
};
template <>
struct tuple_element<1, csnet::address> {
    using type = int;
};
}  // namespace std

namespace csnet {

// ============================================================================
// 6. class socket
// ----------------------------------------------------------------------------
// Owns one operating-system socket. It closes it in its destructor (RAII: the
// C++ form of Python's `finally: sock.close()`), and it can be moved but not
// copied: two objects closing one socket would be a bug.
//
// Timeouts work as in Python. With none (the default) a call blocks until it can
// finish. With settimeout(0.2) the socket is put in non-blocking mode, and a call
// that cannot finish at once waits with poll()/select() for at most 0.2 s, then
// throws csnet::timeout. With settimeout(0) nothing waits: a call that would have
// to, throws a csnet::error with std::errc::operation_would_block.
// ============================================================================

/// A writable piece of memory for recv_into(): a char array, std::array<char, N>,
/// std::vector<char>, std::string (its current size), or {pointer, size}.
struct mutable_buffer {
    char* data = nullptr;
    std::size_t size = 0;

    mutable_buffer() = default;
    mutable_buffer(char* pointer, std::size_t bytes) : data(pointer), size(bytes) {}
    template <std::size_t N>
    mutable_buffer(char (&array)[N]) : data(array), size(N) {}
    template <class Container,
              class = std::enable_if_t<std::is_same_v<decltype(std::declval<Container&>().data()), char*>>,
              class = decltype(std::declval<Container&>().size())>
    mutable_buffer(Container& container) : data(container.data()), size(container.size()) {}
};

class socket {
public:
    // ---- create ------------------------------------------------------------
    /// socket(): a new socket. Python: socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    /// The operating system only sets up an endpoint here: no packet is sent, no
    /// address or port is chosen yet. The family (IPv4/IPv6) and the kind (TCP
    /// stream / UDP datagrams) are fixed for the socket's whole life.
    explicit socket(address_family family = af_inet, socket_kind type = sock_stream, protocol proto = ipproto_ip)
        : family_(family), type_(type), proto_(proto) {
        detail::start_networking();
        handle_ = detail::open_socket(static_cast<int>(family), static_cast<int>(type), static_cast<int>(proto));
        if (handle_ == invalid_native_handle) {
            const int err = detail::last_error();
            if (detail::tracing()) detail::trace("socket(" + creation_text() + ") -> " + detail::error_text(err));
            const auto arguments = [&] { return creation_text(); };
            detail::throw_error(detail::native_error(err), detail::lazy_context("socket", arguments));
        }
        if (detail::tracing()) {
            try {
                detail::trace("socket(" + creation_text() + ") -> " + detail::handle_text(handle_));
            } catch (...) {  // out of memory while tracing: do not leak the new socket
                close();
                throw;
            }
        }
    }

    /// Adopts a socket that is already open (Python: socket.socket(fileno=...)).
    socket(address_family family, socket_kind type, protocol proto, native_handle_type fileno) noexcept
        : handle_(fileno), family_(family), type_(type), proto_(proto) {}

    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    socket(socket&& other) noexcept { take(other); }
    socket& operator=(socket&& other) noexcept {
        if (this != &other) {
            close();
            take(other);
        }
        return *this;
    }
    ~socket() { close(); }

    // ---- bind --------------------------------------------------------------
    /// bind(): give the socket a local address and port. Python: sock.bind(('127.0.0.1', 9999))
    /// A server binds so that clients know where to find it. The address says
    /// which of this machine's networks may reach it: "127.0.0.1" this machine
    /// only, "" every network. Port 0 lets the system choose a free port;
    /// getsockname() tells which. Clients rarely bind: connect() picks a port.
    void bind(const address& local) {
        const auto arguments = [&] { return detail::shown(local); };
        const detail::failure_context where = detail::lazy_context("bind", arguments, local.port());
        check_open(where);
        const detail::socket_address raw = detail::resolve(local, family_, type_, where);
        finish_simple(detail::call_result::of(::bind(handle_, raw.get(), raw.size)), where,
                      [&] { return "bind(" + detail::handle_text(handle_) + ", " + local.to_string() + ")"; });
    }

    // ---- listen ------------------------------------------------------------
    /// listen(): make a TCP socket accept connections. Python: sock.listen(1)
    /// From now on the operating system completes TCP's three-way handshake
    /// (SYN, SYN-ACK, ACK) with each client by itself, and queues the finished
    /// connections until the program calls accept(); `backlog` is about how long
    /// that queue may grow. UDP has no connections, so no listen().
    void listen(int backlog = default_backlog) {
        const auto arguments = [&] { return std::to_string(backlog); };
        const detail::failure_context where = detail::lazy_context("listen", arguments);
        check_open(where);
        if (connected_ && type_ == sock_stream) {  // stopped here: the system would say only "Invalid argument"
            detail::raise_invalid(where,
                                  "this socket is connected (by connect() or accept()); a server listens on "
                                  "a new socket that it bound, and accept() gives it connected ones");
        }
        finish_simple(detail::call_result::of(::listen(handle_, backlog < 0 ? 0 : backlog)), where,
                      [&] { return "listen(" + detail::handle_text(handle_) + ", " + std::to_string(backlog) + ")"; });
    }

    // ---- accept ------------------------------------------------------------
    /// accept(): wait for a client; returns a NEW socket connected to it, and its
    /// address. Python: connection, client_address = sock.accept()
    /// accept() takes the oldest connection from listen()'s queue (waiting if it
    /// is empty). The handshake is already over: the client may have sent data.
    /// The listening socket goes on listening; each client gets its own socket.
    std::pair<socket, address> accept() {
        const detail::failure_context where{"accept"};
        check_open(where);
        detail::socket_address peer;
        native_handle_type accepted = invalid_native_handle;
        const detail::call_result r = io(detail::wait_for::reading, "accept", no_size, no_deadline, [&] {
            peer.size = sizeof(peer.storage);
            accepted = detail::accept_socket(handle_, peer.get(), &peer.size);
            return accepted == invalid_native_handle ? -1 : 0;
        });
        socket connection(family_, type_, proto_, accepted);
        address client = r.ok() ? detail::to_address(peer) : address();
        if (detail::tracing()) {
            detail::trace("accept(" + detail::handle_text(handle_) + ") -> " +
                          (r.ok() ? detail::handle_text(accepted) + ", " + client.to_string() : r.text()));
        }
        if (!r.ok()) fail(r, where);
        connection.connected_ = true;
        // A new connection starts blocking, without timeout, whatever the listener's.
        if (timeout_ >= 0 && detail::accept_inherits_nonblocking()) {
            connection.finish_simple(  // `connection` closes it on error
                detail::call_result::of(detail::set_nonblocking(accepted, detail::io_mode::blocking)), where, [&] {
                    return detail::nonblocking_call_text(detail::handle_text(accepted), detail::io_mode::blocking);
                });
        }
        return {std::move(connection), std::move(client)};
    }

    // ---- connect (the client's side) ----------------------------------------
    /// connect(): open a connection to a server (TCP), or fix the peer of a UDP
    /// socket. Python: sock.connect(('127.0.0.1', 9999))
    /// For TCP this is where the handshake happens; if nothing listens on that
    /// port, the server's system answers at once with a reset: connection refused.
    /// For UDP nothing is sent: the socket just remembers where send() goes.
    void connect(const address& server) {
        const auto arguments = [&] { return detail::shown(server); };
        detail::failure_context where = detail::lazy_context("connect", arguments);
        where.port = server.port();
        where.timeout = timeout_;
        check_open(where);
        const detail::call_result r = connect_to(server, where);
        if (r.timed_out()) detail::throw_timeout(where);
        if (!r.ok() && r.error() == detail::error_would_block() && timeout_ == 0) {
            detail::throw_error(detail::native_error(r.error()), where,
                                "the socket is non-blocking, so connect() only started the connection; "
                                "wait until it is writable, then getsockopt(csnet::sol_socket, csnet::so_error) "
                                "says how it ended (0: connected)");
        }
        if (!r.ok()) detail::throw_error(detail::native_error(r.error()), where);
    }

    /// connect_ex(): like connect(), but returns the error number instead of
    /// throwing (0: connected). Python: sock.connect_ex(address)
    /// When the socket's own timeout expires it returns ETIMEDOUT (WSAETIMEDOUT on
    /// Windows), which says what happened; CPython returns EWOULDBLOCK there.
    int connect_ex(const address& server) {
        const auto arguments = [&] { return detail::shown(server); };
        detail::failure_context where = detail::lazy_context("connect_ex", arguments);
        where.port = server.port();
        check_open(where);
        const detail::call_result r = connect_to(server, where);
        if (r.ok()) return 0;
        return r.timed_out() ? detail::error_timed_out() : r.error();
    }

    // ---- recv --------------------------------------------------------------
    /// recv(): read at most `bufsize` bytes of what has arrived, waiting if nothing
    /// has. An EMPTY result means the peer closed the connection.
    /// Python: data = connection.recv(19)
    /// TCP carries a stream of bytes, not messages: one send() of 10 bytes may
    /// arrive as one recv() of 10, or as two of 3 and 7, and two sends may arrive
    /// together. Loop until you have what you expect, as the report's server does.
    std::string recv(std::size_t bufsize, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("recv", bufsize);
        if (bufsize > largest_size) throw_too_large(bufsize, "recv");
        if (bufsize == 0) return std::string();
        return receive_string(bufsize, flags, nullptr, nullptr, "recv");
    }

    /// recv_into(): like recv(), but into memory you own: no allocation at all.
    /// nbytes 0 means the whole buffer. Returns how many bytes arrived (0: closed).
    /// With Linux's MSG_TRUNC on UDP it returns the datagram's real length, as the
    /// system and Python do, which may be more than the buffer: only the buffer is written.
    std::size_t recv_into(mutable_buffer buffer, std::size_t nbytes = 0, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("recv_into", nbytes);
        const std::size_t size = checked_into_size(buffer, nbytes, "recv_into");
        return size == 0 ? 0 : receive(buffer.data, size, flags, nullptr, nullptr, "recv_into", nbytes);
    }

    // ---- send, sendall -----------------------------------------------------
    /// send(): send some of `data`; returns how many bytes the system took, which
    /// may be fewer than all. Python: sent = sock.send(data)
    std::size_t send(std::string_view data, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("send", data);
        // send_some(handle_, data, size, flags), made the io() way (section 10 has it).
        const detail::call_result r = io(detail::wait_for::writing, "send", data.size(), no_deadline, detail::send_some,
                                         handle_, data.data(), data.size(), flags);
        if (detail::tracing()) trace_transfer("send", data.size(), r, data.data());
        if (!r.ok()) fail(r, "send", data);
        return static_cast<std::size_t>(r.value);
    }

    /// sendall(): send ALL of `data`, calling send() as often as needed (a single
    /// send may take only part of it). With a timeout, the timeout bounds the whole
    /// call. If it fails, e.bytes_sent() says how much had gone out.
    /// Python: connection.sendall(data)
    /// "Sent" means handed to this machine's operating system, which delivers it
    /// (and resends lost packets) in the background: not yet read by the peer.
    void sendall(std::string_view data, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("sendall", data);
        std::size_t sent = 0;
        double deadline = 0;  // one deadline for the whole call
        do {
            const char* rest = data.data() + sent;
            const std::size_t all_left = data.size() - sent;
            const std::size_t piece = detail::sendall_piece();
            const std::size_t left = all_left < piece ? all_left : piece;
            const detail::call_result r =
                io(detail::wait_for::writing, "send", left, &deadline, detail::send_some, handle_, rest, left, flags);
            if (detail::tracing()) trace_transfer("send", left, r, rest);
            if (!r.ok()) fail(r, "sendall", data, sent);
            sent += static_cast<std::size_t>(r.value);
        } while (sent < data.size());
    }

    // A mutable char array would be read only up to its first NUL byte: say which
    // bytes to send with std::string_view(buffer, size) instead.
    template <std::size_t N>
    std::size_t send(char (&)[N], int = 0) = delete;
    template <std::size_t N>
    void sendall(char (&)[N], int = 0) = delete;
    template <std::size_t N>
    std::size_t sendto(char (&)[N], const address&, int = 0) = delete;

    // ---- sendto, recvfrom (UDP) --------------------------------------------
    /// sendto(): send one datagram to `destination` (UDP: no connection needed).
    /// Python: sock.sendto(data, ('127.0.0.1', 9999))
    std::size_t sendto(std::string_view data, const address& destination, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("sendto", data, destination);
        // A numeric address of this socket's family is ready as it is; others
        // ("localhost", "") are written first, by send_to_other().
        const sockaddr* to = detail::ready_sockaddr(destination, family_);
        if (to == nullptr) return send_to_other(data, destination, flags);
        return send_datagram(data, destination, flags, to);
    }

    /// recvfrom(): receive one datagram and who sent it. A datagram longer than
    /// `bufsize` is cut to `bufsize` bytes, on every system; the rest is lost.
    /// Python: data, address = sock.recvfrom(4096)
    std::pair<std::string, address> recvfrom(std::size_t bufsize, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("recvfrom", bufsize);
        if (bufsize > largest_size) throw_too_large(bufsize, "recvfrom");
        std::pair<std::string, address> result;  // the sender's address is written in place
        detail::address_length sender_size = sizeof(detail::inet_sockaddr);
        result.first =
            receive_string(bufsize, flags, detail::writable_sockaddr(result.second), &sender_size, "recvfrom");
        detail::adopt_sockaddr(result.second);
        return result;
    }

    /// recvfrom_into(): recvfrom() into memory you own (no allocation for the data).
    std::pair<std::size_t, address> recvfrom_into(mutable_buffer buffer, std::size_t nbytes = 0, int flags = 0) {
        if (handle_ == invalid_native_handle) throw_closed("recvfrom_into", nbytes);
        const std::size_t size = checked_into_size(buffer, nbytes, "recvfrom_into");
        std::pair<std::size_t, address> result;  // the sender's address is written in place
        detail::address_length sender_size = sizeof(detail::inet_sockaddr);
        result.first = receive(buffer.data, size, flags, detail::writable_sockaddr(result.second), &sender_size,
                               "recvfrom_into", nbytes);
        detail::adopt_sockaddr(result.second);
        return result;
    }

    // ---- shutdown, close ---------------------------------------------------
    /// shutdown(): stop reading (shut_rd), writing (shut_wr) or both (shut_rdwr),
    /// and tell the peer; the socket stays open until close().
    void shutdown(int how) {
        const auto arguments = [&] { return std::to_string(how); };
        const detail::failure_context where = detail::lazy_context("shutdown", arguments);
        check_open(where);
        if (how != shut_rd && how != shut_wr && how != shut_rdwr) {
            detail::raise_invalid(where,
                                  "how is csnet::shut_rd (stop reading), csnet::shut_wr (stop sending) "
                                  "or csnet::shut_rdwr (both)");
        }
        finish_simple(detail::call_result::of(::shutdown(handle_, how)), where,
                      [&] { return "shutdown(" + detail::handle_text(handle_) + ", " + std::to_string(how) + ")"; });
    }

    /// close(): release the socket. Never throws; closing twice is harmless.
    /// The destructor calls it, so most programs never need to.
    /// On a TCP connection the system then sends FIN: the peer's recv() returns
    /// "" once it has read everything that was sent before.
    void close() noexcept {
        if (handle_ == invalid_native_handle) return;
        const native_handle_type closing = handle_;
        handle_ = invalid_native_handle;
        // No retry on EINTR: the descriptor is released either way, and a retry
        // could close a descriptor another thread has just been given.
        const int result = detail::close_socket(closing);
        if (detail::tracing()) {
            try {
                detail::trace("close(" + detail::handle_text(closing) + ") -> " +
                              (result == 0 ? std::string("ok") : detail::error_text(detail::last_error())));
            } catch (...) {  // tracing must never make close() throw
            }
        }
    }

    // ---- timeouts and blocking ---------------------------------------------
    /// settimeout(seconds): each later call waits at most this long, then throws
    /// csnet::timeout. 0: never wait (non-blocking). Python: sock.settimeout(2.0)
    void settimeout(double seconds) {
        const auto arguments = [&] { return detail::seconds_text(seconds); };
        const detail::failure_context where = detail::lazy_context("settimeout", arguments);
        if (!(seconds >= 0)) {  // also catches NaN
            detail::raise_invalid(where,
                                  "a timeout is a number of seconds, 0 or more; "
                                  "settimeout(std::nullopt) means no timeout");
        }
        set_mode(seconds, where);
    }
    /// settimeout(std::nullopt): no timeout; calls block until they can finish.
    void settimeout(std::nullopt_t) {
        const auto arguments = [] { return std::string("None"); };
        set_mode(-1, detail::lazy_context("settimeout", arguments));
    }
    void settimeout(std::optional<double> seconds) {
        if (seconds) {
            settimeout(*seconds);
        } else {
            settimeout(std::nullopt);
        }
    }
    /// settimeout(std::chrono::milliseconds(200)), or any std::chrono::duration.
    template <class Duration, class Rep = typename Duration::rep, class Period = typename Duration::period>
    void settimeout(Duration duration) {
        settimeout(static_cast<double>(duration.count()) * static_cast<double>(Period::num) /
                   static_cast<double>(Period::den));
    }
    /// The timeout in seconds, or no value when calls block without limit.
    std::optional<double> gettimeout() const noexcept {
        return timeout_ < 0 ? std::nullopt : std::optional<double>(timeout_);
    }
    /// setblocking(false) is settimeout(0); setblocking(true) is settimeout(None).
    void setblocking(bool blocking) {
        if (blocking) {
            settimeout(std::nullopt);
        } else {
            settimeout(0.0);
        }
    }
    /// True unless the socket is non-blocking (timeout 0), as in Python.
    bool getblocking() const noexcept { return timeout_ != 0; }

    // ---- options -----------------------------------------------------------
    /// setsockopt(): set an option. Python: sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    /// On Windows, SO_REUSEADDR would let ANOTHER program take over a port that is
    /// in use; csnet sets SO_EXCLUSIVEADDRUSE instead (the safe meaning) and
    /// remembers the value, so getsockopt() reads back what you set. (Windows lets
    /// a restarted server bind over old TIME_WAIT connections without any option;
    /// with SO_EXCLUSIVEADDRUSE it may have to wait until the previous run's
    /// connections have finished closing.)
    void setsockopt(int level, int option, int value) {
        const auto arguments = [&] { return option_text(level, option) + ", " + std::to_string(value); };
        const detail::failure_context where = detail::lazy_context("setsockopt", arguments);
        check_open(where);
        if (level == SOL_SOCKET && option == SO_REUSEADDR && detail::reuse_address_is_exclusive()) {  // Windows
            finish_simple(detail::call_result::of(detail::set_exclusive_address_use(handle_)), where,
                          [&] { return "setsockopt(" + detail::handle_text(handle_) + ", SO_EXCLUSIVEADDRUSE, 1)"; });
            reuse_address_ = value != 0;
            return;
        }
        const int result = ::setsockopt(handle_, level, option, reinterpret_cast<const char*>(&value), sizeof value);
        finish_simple(detail::call_result::of(result), where,
                      [&] { return "setsockopt(" + detail::handle_text(handle_) + ", " + where.arguments() + ")"; });
    }
    void setsockopt(protocol level, int option, int value) { setsockopt(static_cast<int>(level), option, value); }

    /// getsockopt(): read an option's value (an int).
    int getsockopt(int level, int option) const {
        const auto arguments = [&] { return option_text(level, option); };
        const detail::failure_context where = detail::lazy_context("getsockopt", arguments);
        check_open(where);
        if (level == SOL_SOCKET && option == SO_REUSEADDR && detail::reuse_address_is_exclusive()) {  // Windows
            return reuse_address_ ? 1 : 0;
        }
        int value = 0;
        detail::address_length size = sizeof value;
        const detail::call_result r =
            detail::call_result::of(::getsockopt(handle_, level, option, reinterpret_cast<char*>(&value), &size));
        if (detail::tracing()) {
            detail::trace("getsockopt(" + detail::handle_text(handle_) + ", " + where.arguments() + ") -> " +
                          (r.ok() ? std::to_string(value) : r.text()));
        }
        if (!r.ok()) detail::throw_error(detail::native_error(r.error()), where);
        return value;
    }
    int getsockopt(protocol level, int option) const { return getsockopt(static_cast<int>(level), option); }

    // ---- who is who --------------------------------------------------------
    /// getsockname(): this socket's own address (after bind with port 0: the port chosen).
    address getsockname() const { return name_query(detail::which_end::local); }
    /// getpeername(): the address of the connected peer.
    address getpeername() const { return name_query(detail::which_end::peer); }

    address_family family() const noexcept { return family_; }
    socket_kind type() const noexcept { return type_; }
    protocol proto() const noexcept { return proto_; }

    /// The operating system's handle (a file descriptor on POSIX, a SOCKET on Windows).
    native_handle_type fileno() const {
        check_open({"fileno"});
        return handle_;
    }
    /// detach(): give up ownership: returns the handle, which you must now close.
    native_handle_type detach() {
        check_open({"detach"});
        const native_handle_type h = handle_;
        handle_ = invalid_native_handle;
        return h;
    }
    /// True while the socket is open.
    explicit operator bool() const noexcept { return handle_ != invalid_native_handle; }

private:
    void take(socket& other) noexcept {
        handle_ = other.handle_;
        family_ = other.family_;
        type_ = other.type_;
        proto_ = other.proto_;
        timeout_ = other.timeout_;
        reuse_address_ = other.reuse_address_;
        connected_ = other.connected_;
        other.handle_ = invalid_native_handle;
    }

    std::string creation_text() const {
        std::string text = std::string(detail::name_of(family_)) + ", " + detail::name_of(type_);
        if (proto_ != protocol::ipproto_ip) text += std::string(", ") + detail::name_of(proto_);
        return text;
    }

    static std::string option_text(int level, int option) {
        if (level == SOL_SOCKET) {
            switch (option) {
                case SO_REUSEADDR: return "SOL_SOCKET, SO_REUSEADDR";
                case SO_KEEPALIVE: return "SOL_SOCKET, SO_KEEPALIVE";
                case SO_BROADCAST: return "SOL_SOCKET, SO_BROADCAST";
                case SO_RCVBUF: return "SOL_SOCKET, SO_RCVBUF";
                case SO_SNDBUF: return "SOL_SOCKET, SO_SNDBUF";
                case SO_ERROR: return "SOL_SOCKET, SO_ERROR";
                default: break;
            }
        }
        if (level == IPPROTO_TCP && option == TCP_NODELAY) return "IPPROTO_TCP, TCP_NODELAY";
        if (level == IPPROTO_IPV6 && option == IPV6_V6ONLY) return "IPPROTO_IPV6, IPV6_V6ONLY";
        return std::to_string(level) + ", " + std::to_string(option);
    }

    // A closed or moved-from socket: Python's "[Errno 9] Bad file descriptor".
    void check_open(const detail::failure_context& where) const {
        if (handle_ == invalid_native_handle) throw_closed(where);
    }
    [[noreturn]] CSNET_COLD static void throw_closed(const detail::failure_context& where) {
        detail::throw_error(std::make_error_code(std::errc::bad_file_descriptor), where);
    }
    // The same for send and recv, whose arguments (a size; the data, and where it
    // goes) are written only now: the call passes them as they are.
    [[noreturn]] CSNET_COLD static void throw_closed(const char* call, std::size_t size) {
        const auto arguments = detail::size_argument(size);
        throw_closed(detail::lazy_context(call, arguments));
    }
    [[noreturn]] CSNET_COLD static void throw_closed(const char* call, std::string_view data) {
        const auto arguments = detail::data_argument(data);
        throw_closed(detail::lazy_context(call, arguments));
    }
    [[noreturn]] CSNET_COLD static void throw_closed(const char* call, std::string_view data,
                                                     const address& destination) {
        const auto arguments = detail::data_argument(data, destination);
        throw_closed(detail::lazy_context(call, arguments, destination.port()));
    }

    // A size_t that a negative int became is huge: refuse it before the OS sees it.
    static constexpr std::size_t largest_size = 0x7fffffff;
    static void check_size(std::size_t size, const detail::failure_context& where) {
        if (size > largest_size) throw_too_large(size, where);
    }
    [[noreturn]] CSNET_COLD static void throw_too_large(std::size_t size, const detail::failure_context& where) {
        detail::raise_invalid(
            where, "the size " + std::to_string(size) + " is too large (a negative number converted to std::size_t?)");
    }
    [[noreturn]] CSNET_COLD static void throw_too_large(std::size_t size, const char* call) {
        const auto arguments = detail::size_argument(size);
        throw_too_large(size, detail::lazy_context(call, arguments));
    }

    // recv_into's sizes: `nbytes` (0: the whole buffer) must fit in the buffer.
    static std::size_t checked_into_size(const mutable_buffer& buffer, std::size_t nbytes, const char* call) {
        if (nbytes > buffer.size || buffer.size > largest_size || (buffer.data == nullptr && buffer.size > 0)) {
            refuse_buffer(buffer, nbytes, call);
        }
        return nbytes == 0 ? buffer.size : nbytes;
    }
    [[noreturn]] CSNET_COLD static void refuse_buffer(const mutable_buffer& buffer, std::size_t nbytes,
                                                      const char* call) {
        const auto arguments = [&] { return std::to_string(nbytes); };
        const detail::failure_context where = detail::lazy_context(call, arguments);
        check_size(nbytes, where);
        check_size(buffer.size, where);  // mutable_buffer{p, total - used} gone negative
        if (nbytes > buffer.size) {
            detail::raise_invalid(where, "nbytes (" + std::to_string(nbytes) + ") is larger than the buffer (" +
                                             std::to_string(buffer.size) + " bytes)");
        }
        detail::raise_invalid(where, "the buffer's pointer is null");
    }

    // Finishes a call that returns 0 or -1 (bind, listen, shutdown, setsockopt).
    // `call_text()` names the call for the trace: written only while tracing.
    template <class CallText>
    void finish_simple(const detail::call_result& r, const detail::failure_context& where,
                       const CallText& call_text) const {
        if (detail::tracing()) detail::trace(call_text() + " -> " + (r.ok() ? std::string("ok") : r.text()));
        if (!r.ok()) {
            detail::failure_context context = where;
            context.handle = handle_;  // so that the hint can ask what this socket is
            detail::throw_error(detail::native_error(r.error()), context);
        }
    }

    // A failed recv, send or sendto: its arguments are written only now.
    [[noreturn]] CSNET_COLD void fail(detail::call_result r, const char* call, std::size_t size) const {
        const auto arguments = detail::size_argument(size);
        fail(r, detail::lazy_context(call, arguments));
    }
    [[noreturn]] CSNET_COLD void fail(detail::call_result r, const char* call, std::string_view data,
                                      std::size_t sent = 0) const {
        const auto arguments = detail::data_argument(data);
        fail(r, detail::lazy_context(call, arguments), sent);
    }
    [[noreturn]] CSNET_COLD void fail(detail::call_result r, const char* call, std::string_view data,
                                      const address& destination) const {
        const auto arguments = detail::data_argument(data, destination);
        fail(r, detail::lazy_context(call, arguments, destination.port()));
    }
    [[noreturn]] CSNET_COLD void fail(detail::call_result r, const detail::failure_context& where,
                                      std::size_t sent = 0) const {
        detail::failure_context context = where;
        context.timeout = timeout_;
        context.handle = handle_;  // so that the hint can ask what this socket is
        if (r.timed_out()) detail::throw_timeout(context, sent);
        detail::throw_error(detail::native_error(r.error()), context, "", sent);
    }

    // The heart of every call that may have to wait, done the way Python does it:
    //  - EINTR (a signal arrived) is not an error: call again (PEP 475);
    //  - with a timeout, the socket is non-blocking: when the call would block,
    //    wait with poll()/select() until it is ready or the deadline passes.
    // io(..., detail::send_some, handle_, data, size, flags) makes the system call
    // send_some(handle_, data, size, flags) this way. A call that succeeds at once
    // (the usual case) only makes it; the retries are in retry(), out of line, which
    // gets the same arguments one by one (so nothing is stored for it on the way).
    // `call` and `size` name the call in the trace ("recv(fd 4, 19)"; no_size: no size
    // shown). `deadline` (0: not yet known) is shared by the calls of one sendall().
    static constexpr std::size_t no_size = ~std::size_t(0);
    static constexpr double* no_deadline = nullptr;
    template <class SystemCall, class... Arguments>
    detail::call_result io(detail::wait_for direction, const char* call, std::size_t size, double* deadline,
                           SystemCall system_call, Arguments... arguments) {
        const detail::call_result r = detail::call_result::of(system_call(arguments...));
        if (r.ok()) return r;  // done at once
        return retry(direction, call, size, deadline, r.error(), system_call, arguments...);
    }

    // The rest of io(): the first call failed with `error`.
    template <class SystemCall, class... Arguments>
    CSNET_COLD detail::call_result retry(detail::wait_for direction, const char* call, std::size_t size,
                                         double* deadline, int error, SystemCall system_call, Arguments... arguments) {
        double local_deadline = 0;
        double& limit = deadline ? *deadline : local_deadline;
        for (;;) {
            if (!detail::interrupted(error)) {  // EINTR: simply call again
                if (timeout_ <= 0 || !detail::would_block(error)) return detail::call_result::failed(error);
                if (detail::tracing()) trace_attempt(call, size, error);  // the attempt that would block
                const detail::call_result ready = wait_until(direction, limit);
                if (!ready.ok()) return ready;  // timed out, or poll/select failed
            }
            const detail::call_result r = detail::call_result::of(system_call(arguments...));
            if (r.ok()) return r;
            error = r.error();
        }
    }

    // Out of io(), which stays small enough to be inlined into every call.
    CSNET_COLD void trace_attempt(const char* call, std::size_t size, int error) const {
        detail::trace(std::string(call) + "(" + detail::handle_text(handle_) +
                      (size == no_size ? std::string() : ", " + std::to_string(size)) + ") -> " +
                      detail::error_text(error));
    }

    // Waits for readiness until the deadline (computed on first use): ok (ready),
    // timed out, or the error poll/select failed with.
    CSNET_COLD detail::call_result wait_until(detail::wait_for direction, double& deadline) const {
        if (deadline == 0) deadline = detail::monotonic_seconds() + timeout_;
        for (;;) {
            const double left = deadline - detail::monotonic_seconds();
            if (left <= 0) return detail::call_result::expired();
            const double ms = left * 1000.0 + 0.999;  // round up: never wake early
            const detail::call_result ready = wait_once(direction, ms > 2e9 ? 2000000000 : static_cast<int>(ms));
            if (ready.ok()) return ready;
            if (!ready.timed_out() && !detail::interrupted(ready.error())) return ready;
            // time up or EINTR: loop, re-checking the time left
        }
    }

    // One poll()/select(), traced: ok (ready), timed out, or the error it failed with.
    detail::call_result wait_once(detail::wait_for direction, int milliseconds) const {
        const int n = detail::wait_ready(handle_, direction, milliseconds);
        const detail::call_result ready = n > 0    ? detail::call_result::of(1)
                                          : n == 0 ? detail::call_result::expired()
                                                   : detail::call_result::failed(detail::last_error());
        if (detail::tracing()) {
            detail::trace(detail::wait_call_text(detail::handle_text(handle_), direction, milliseconds) + " -> " +
                          (ready.ok() ? std::string("ready") : ready.text()));
        }
        return ready;
    }

    // recv() and recvfrom(): a string that holds what arrived, not `bufsize` bytes
    // of capacity. Up to 4 KiB: read into a buffer on the stack, then copied into
    // a string of the right size. Larger: read straight into the string (C++17 can
    // only make it zero-filled), then trimmed; a read much shorter than the string
    // is copied into one of its own size, so no result keeps a large unused capacity.
    // A read without MSG_WAITALL returns at most what is there, so a huge bufsize is
    // read through at most 1 MiB (a datagram is smaller than 64 KiB): recv(1 GB)
    // allocates no GB. (With MSG_WAITALL the program asks for all of bufsize at once.)
    std::string receive_string(std::size_t bufsize, int flags, sockaddr* sender, detail::address_length* sender_size,
                               const char* call) {
        constexpr std::size_t on_stack = 4096;
        constexpr std::size_t most_per_read = 1024 * 1024;
        if (bufsize <= on_stack) {
            char local[on_stack];
            if (detail::recv_discards(flags)) std::memset(local, 0, bufsize);  // never old memory
            const std::size_t n = receive(local, bufsize, flags, sender, sender_size, call, bufsize);
            return std::string(local, n < bufsize ? n : bufsize);
        }
        const std::size_t size = (flags & msg_waitall) == 0 && bufsize > most_per_read ? most_per_read : bufsize;
        std::string data(size, '\0');
        const std::size_t n = receive(&data[0], size, flags, sender, sender_size, call, bufsize);
        if (n < size / 4) return std::string(data, 0, n);
        data.resize(n < size ? n : size);  // (with MSG_TRUNC, n may exceed size)
        return data;
    }

    // recv, recv_into, recvfrom and recvfrom_into all come here. `call` and
    // `asked_size` (the size the program asked for) name the call in an error.
    // recvfrom's `sender_size` is set once, before the first attempt: the systems
    // csnet runs on (Linux, the BSDs, macOS, Windows) write it only when a datagram
    // arrives, so a retry after EINTR or a wait finds it as it was.
    std::size_t receive(char* into, std::size_t size, int flags, sockaddr* sender, detail::address_length* sender_size,
                        const char* call, std::size_t asked_size) {
        detail::call_result r;
        if (sender != nullptr) {
            r = io(detail::wait_for::reading, "recvfrom", size, no_deadline, detail::recvfrom_some, handle_, into, size,
                   flags, sender, sender_size);
        } else {
            r = io(detail::wait_for::reading, "recv", size, no_deadline, detail::recv_some, handle_, into, size, flags);
        }
        if (detail::tracing()) trace_transfer(sender ? "recvfrom" : "recv", size, r, into);
        if (!r.ok()) fail(r, call, asked_size);
        return static_cast<std::size_t>(r.value);
    }

    // sendto() once it has the destination as a sockaddr.
    // (`to` is an IPv4 or IPv6 sockaddr of this socket's family, whose size that says.)
    std::size_t send_datagram(std::string_view data, const address& destination, int flags, const sockaddr* to) {
        const detail::address_length to_size =
            family_ == address_family::af_inet6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        const detail::call_result r = io(detail::wait_for::writing, "sendto", data.size(), no_deadline,
                                         detail::sendto_some, handle_, data.data(), data.size(), flags, to, to_size);
        if (detail::tracing()) trace_sendto(data, destination, r);
        if (!r.ok()) fail(r, "sendto", data, destination);
        return static_cast<std::size_t>(r.value);
    }

    // sendto() to "" or "<broadcast>" (written for this socket's family), to a
    // numeric address of the other family, or to a name ("localhost": getaddrinfo).
    CSNET_COLD std::size_t send_to_other(std::string_view data, const address& destination, int flags) {
        detail::socket_address raw;
        if (!raw.from_numeric(destination, family_)) {
            const auto arguments = detail::data_argument(data, destination);
            const detail::failure_context where = detail::lazy_context("sendto", arguments, destination.port());
            raw = detail::resolve(destination, family_, type_, where);
        }
        return send_datagram(data, destination, flags, raw.get());
    }

    // sendto()'s trace line.
    CSNET_COLD void trace_sendto(std::string_view data, const address& destination, detail::call_result r) const {
        detail::trace("sendto(" + detail::handle_text(handle_) + ", " + detail::preview(data.data(), data.size()) +
                      ", " + destination.to_string() + ") -> " +
                      (r.ok() ? std::to_string(r.value) + " bytes" : r.text()));
    }

    CSNET_COLD void trace_transfer(const char* call, std::size_t size, detail::call_result r, const char* data) const {
        std::string line =
            std::string(call) + "(" + detail::handle_text(handle_) + ", " + std::to_string(size) + ") -> ";
        if (r.ok()) {
            line += std::to_string(r.value) + " bytes";
            const std::size_t shown =
                static_cast<std::size_t>(r.value) < size ? static_cast<std::size_t>(r.value) : size;
            if (shown > 0) line += " " + detail::preview(data, shown);  // MSG_TRUNC: r.value may exceed size
        } else {
            line += r.text();
        }
        detail::trace(line);
    }

    // connect() and connect_ex(): ok (connected), an error, or timed out.
    detail::call_result connect_to(const address& server, const detail::failure_context& where) {
        const detail::socket_address raw = detail::resolve(server, family_, type_, where);
        detail::call_result r = detail::call_result::of(::connect(handle_, raw.get(), raw.size));
        if (detail::tracing()) {
            detail::trace("connect(" + detail::handle_text(handle_) + ", " + server.to_string() + ") -> " +
                          (r.ok() ? std::string("ok") : r.text()));
        }
        // Interrupted by a signal, or (with a timeout) still in progress: the
        // connection goes on in the background; wait until the socket is writable,
        // then ask it how the connection ended (SO_ERROR). The trace shows each call.
        if (!r.ok() && (detail::interrupted(r.error()) || (timeout_ > 0 && detail::connect_pending(r.error())))) {
            double deadline = 0;
            detail::call_result ready;
            if (timeout_ > 0) {
                ready = wait_until(detail::wait_for::writing, deadline);
            } else {
                // A blocking socket: wait for ever (again after each signal).
                do {
                    ready = wait_once(detail::wait_for::writing, -1);
                } while (!ready.ok() && !ready.timed_out() && detail::interrupted(ready.error()));
            }
            if (!ready.ok()) {
                r = ready;  // timed out, or poll/select itself failed
            } else {
                int status = 0;
                detail::address_length size = sizeof status;
                const int err =
                    ::getsockopt(handle_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&status), &size) == 0
                        ? status
                        : detail::last_error();
                r = err == 0 ? detail::call_result() : detail::call_result::failed(err);
                if (detail::tracing()) {
                    detail::trace("getsockopt(" + detail::handle_text(handle_) + ", SOL_SOCKET, SO_ERROR) -> " +
                                  (err == 0 ? std::string("0 (connected)")
                                            : std::to_string(err) + " (" + detail::native_error(err).message() + ")"));
                }
            }
        }
        // Non-blocking (timeout 0) and started: "would block", with one code on every
        // platform (POSIX says EINPROGRESS, Winsock WSAEWOULDBLOCK; Python: BlockingIOError).
        if (timeout_ == 0 && !r.ok() && !r.timed_out() && detail::connect_pending(r.error())) {
            r = detail::call_result::failed(detail::error_would_block());
        }
        if (r.ok()) connected_ = true;
        return r;
    }

    void set_mode(double seconds, const detail::failure_context& where) {
        check_open(where);
        const detail::io_mode mode = seconds >= 0 ? detail::io_mode::nonblocking : detail::io_mode::blocking;
        const detail::io_mode now = timeout_ >= 0 ? detail::io_mode::nonblocking : detail::io_mode::blocking;
        if (mode != now) {
            finish_simple(detail::call_result::of(detail::set_nonblocking(handle_, mode)), where,
                          [&] { return detail::nonblocking_call_text(detail::handle_text(handle_), mode); });
        }
        timeout_ = seconds;
    }

    address name_query(detail::which_end end) const {
        const bool peer = end == detail::which_end::peer;
        const detail::failure_context where{peer ? "getpeername" : "getsockname"};
        check_open(where);
        detail::socket_address raw;
        const detail::call_result r = detail::call_result::of(peer ? ::getpeername(handle_, raw.get(), &raw.size)
                                                                   : ::getsockname(handle_, raw.get(), &raw.size));
        address a = r.ok() ? detail::to_address(raw) : address();
        if (detail::tracing()) {
            detail::trace(std::string(where.call) + "(" + detail::handle_text(handle_) + ") -> " +
                          (r.ok() ? a.to_string() : r.text()));
        }
        if (!r.ok()) detail::throw_error(detail::native_error(r.error()), where);
        return a;
    }

    native_handle_type handle_ = invalid_native_handle;
    address_family family_ = af_inet;
    socket_kind type_ = sock_stream;
    protocol proto_ = ipproto_ip;
    double timeout_ = -1;         // < 0: none (blocking); 0: non-blocking; > 0: seconds
    bool reuse_address_ = false;  // what so_reuseaddr reads back on Windows
    bool connected_ = false;      // connect() succeeded, or accept() made it: no listen()
};

// ============================================================================
// 7. class selector: many clients in one thread
// ----------------------------------------------------------------------------
// Python's `selectors.DefaultSelector`. The report's server serves one client at
// a time: while it waits in recv() for one client, nobody else is served. A
// selector turns the question around: register every socket, then ask "which
// of them can I use now without waiting?" One poll() (WSAPoll() on Windows)
// answers it for all of them at once. Then the server serves only the ready
// ones: accept() on a listening socket that is ready to read never waits, and
// recv() on a ready connection returns at once (data, or "" when the peer left).
//
//     csnet::selector sel;                               sel = selectors.DefaultSelector()
//     sel.register_(server, csnet::event_read);          sel.register(server, selectors.EVENT_READ)
//     for (auto& [key, mask] : sel.select()) ...         for key, mask in sel.select(): ...
//
// A selector remembers a pointer to each registered socket (key.fileobj): call
// unregister() before a socket is closed, moved or destroyed. A socket closed
// while registered makes the next select() throw, naming its descriptor.
// Windows: WSAPoll() before Windows 10 version 2004 never reports a non-blocking
// connect() that failed. A selector program that connects with a selector
// should give select() a timeout and check getsockopt(sol_socket, so_error).
// ============================================================================

/// What a selector waits for (Python: selectors.EVENT_READ, selectors.EVENT_WRITE).
/// event_read: data to recv(), a client to accept(), or the peer closed/reset.
/// event_write: room in the send buffer: send() will not wait.
inline constexpr int event_read = 1;
inline constexpr int event_write = 2;

/// One registered socket (Python: selectors.SelectorKey).
struct selector_key {
    socket* fileobj = nullptr;                      // the registered socket
    native_handle_type fd = invalid_native_handle;  // its descriptor (fileno())
    int events = 0;                                 // event_read, event_write or both
    void* data = nullptr;                           // whatever you attached (Python's data)
};

// Why a template: a program compiles the functions of a class template only if it
// calls them. The report's programs never use a selector, and compile about 7 %
// faster for it (bench/README.md). Its one parameter is unused: read
// basic_selector<> as "selector", as std::string is std::basic_string<char>.
template <class Unused = void>
class basic_selector {
public:
    basic_selector() { detail::start_networking(); }
    basic_selector(const basic_selector&) = delete;
    basic_selector& operator=(const basic_selector&) = delete;
    basic_selector(basic_selector&&) = default;
    basic_selector& operator=(basic_selector&&) = default;

    /// register_(): watch `sock` for `events`. Python: sel.register(sock, EVENT_READ, data)
    /// (`register` is a C++ keyword: PEP 8's trailing underscore.) No system call:
    /// the socket joins the list that each select() hands to poll().
    const selector_key& register_(socket& sock, int events, void* data = nullptr) {
        const auto arguments = [&] { return describe(sock, events); };
        const detail::failure_context where = detail::lazy_context("register_", arguments);
        const native_handle_type fd = registrable(sock, events, where);
        const std::size_t slot = position_of(fd);
        if (slot < keys_.size() && keys_[slot].fd == fd) {
            detail::raise_invalid(where, detail::handle_text(fd) +
                                             " is already registered: use modify() to "
                                             "change its events");
        }
        // Inserted in descriptor order (see the members below).
        const auto offset = static_cast<std::ptrdiff_t>(slot);
        keys_.insert(keys_.begin() + offset, selector_key{&sock, fd, events, data});
        entries_.insert(entries_.begin() + offset, entry_for(fd, events));
        return keys_[slot];
    }

    /// modify(): change what `sock` is watched for. Python: sel.modify(sock, events, data)
    /// Unlike Python, modify(sock, events) keeps the data you attached (Python's
    /// modify() replaces it with None when you leave it out: a common surprise).
    const selector_key& modify(socket& sock, int events) { return keys_[change_events(sock, events)]; }
    const selector_key& modify(socket& sock, int events, void* data) {
        const std::size_t slot = change_events(sock, events);
        keys_[slot].data = data;
        return keys_[slot];
    }

    /// unregister(): stop watching `sock`; returns its key. Python: sel.unregister(sock)
    /// Call it before you close the socket.
    selector_key unregister(const socket& sock) {
        const auto arguments = [&] { return sock ? detail::handle_text(sock.fileno()) : "closed socket"; };
        const detail::failure_context where = detail::lazy_context("unregister", arguments);
        if (!sock) closed_socket(where);
        const std::size_t slot = slot_of(sock.fileno(), where);
        const selector_key removed = keys_[slot];
        keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(slot));
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(slot));
        return removed;
    }

    /// select(timeout): wait until at least one registered socket is ready, then
    /// return each ready key with the events that are ready. Python: sel.select(timeout)
    /// No timeout (std::nullopt): wait for ever. 0: look once and return. An empty
    /// result means the time ran out. System call: poll() (Windows: WSAPoll()).
    std::vector<std::pair<selector_key, int>> select(std::optional<double> timeout = std::nullopt) {
        // Python rounds up to whole milliseconds, so a tiny timeout still waits a little.
        double deadline = 0;
        int milliseconds = -1;
        if (timeout) {
            const double seconds = *timeout > 0 ? *timeout : 0;  // Python: a negative timeout polls once
            deadline = detail::monotonic_seconds() + seconds;
            milliseconds = whole_milliseconds(seconds);
        }
        std::vector<std::pair<selector_key, int>> ready;
        while (true) {
            const detail::call_result r =
                detail::call_result::of(detail::poll_sockets(entries_.data(), entries_.size(), milliseconds));
            if (detail::tracing()) trace_poll(r, milliseconds);
            if (r.ok()) break;
            if (!detail::interrupted(r.error())) {
                // Winsock's WSAPoll fails as a whole ("not a socket") where poll()
                // reports POLLNVAL for the one closed socket: name it the same way.
                for (const selector_key& key : keys_) {
                    if (!still_open(key.fd)) closed_while_registered(key.fd, milliseconds);
                }
                const auto arguments = [&] { return wait_text(milliseconds); };
                detail::throw_error(detail::native_error(r.error()), detail::lazy_context("select", arguments));
            }
            // Interrupted by a signal (PEP 475): poll again for the time that is left.
            if (timeout) {
                const double left = deadline - detail::monotonic_seconds();
                if (left <= 0) return ready;
                milliseconds = whole_milliseconds(left);
            }
        }
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            const short got = entries_[i].revents;
            if (got == 0) continue;
            if (got & POLLNVAL) closed_while_registered(keys_[i].fd, milliseconds);
            // As Python's PollSelector: a hang-up or an error wakes both readers and
            // writers, so that the next recv()/send() says what happened.
            int events = 0;
            if (got & (detail::poll_readable() | POLLHUP | POLLERR)) events |= event_read;
            if (got & (detail::poll_writable() | POLLHUP | POLLERR)) events |= event_write;
            events &= keys_[i].events;
            if (events != 0) ready.emplace_back(keys_[i], events);
        }
        return ready;
    }
    std::vector<std::pair<selector_key, int>> select(std::nullopt_t) { return select(std::optional<double>()); }
    std::vector<std::pair<selector_key, int>> select(double seconds) { return select(std::optional<double>(seconds)); }
    /// select(std::chrono::milliseconds(100)), or any std::chrono::duration.
    template <class Duration, class Rep = typename Duration::rep, class Period = typename Duration::period>
    std::vector<std::pair<selector_key, int>> select(Duration duration) {
        return select(static_cast<double>(duration.count()) * static_cast<double>(Period::num) /
                      static_cast<double>(Period::den));
    }

    /// get_key(): the key of a registered socket. Python: sel.get_key(sock)
    const selector_key& get_key(const socket& sock) const {
        const auto arguments = [&] { return sock ? detail::handle_text(sock.fileno()) : "closed socket"; };
        const detail::failure_context where = detail::lazy_context("get_key", arguments);
        if (!sock) closed_socket(where);
        return keys_[slot_of(sock.fileno(), where)];
    }

    /// How many sockets are registered. Python: len(sel.get_map())
    std::size_t size() const noexcept { return keys_.size(); }

    /// close(): forget every registration (the sockets stay open). Python: sel.close()
    void close() noexcept {
        keys_.clear();
        entries_.clear();
    }

private:
    static std::string events_text(int events) {
        switch (events) {
            case event_read: return "EVENT_READ";
            case event_write: return "EVENT_WRITE";
            case event_read | event_write: return "EVENT_READ | EVENT_WRITE";
            default: return std::to_string(events);
        }
    }
    static std::string describe(const socket& sock, int events) {
        return (sock ? detail::handle_text(sock.fileno()) : std::string("closed socket")) + ", " + events_text(events);
    }
    static std::string wait_text(int milliseconds) {
        return milliseconds < 0 ? std::string("None") : detail::seconds_text(milliseconds / 1000.0);
    }
    static int whole_milliseconds(double seconds) {
        const double ms = seconds * 1000.0;
        if (ms >= 2e9) return 2000000000;  // about 23 days: poll() takes an int
        int whole = static_cast<int>(ms);
        if (whole < ms) ++whole;
        return whole;
    }
    static detail::poll_entry entry_for(native_handle_type fd, int events) {
        detail::poll_entry entry{};
        entry.fd = fd;
        entry.events = static_cast<short>(((events & event_read) ? detail::poll_readable() : 0) |
                                          ((events & event_write) ? detail::poll_writable() : 0));
        return entry;
    }
    [[noreturn]] static void closed_while_registered(native_handle_type fd, int milliseconds) {
        const auto arguments = [&] { return wait_text(milliseconds); };
        detail::throw_error(std::make_error_code(std::errc::bad_file_descriptor),
                            detail::lazy_context("select", arguments),
                            detail::handle_text(fd) +
                                " was closed while it was registered: "
                                "call unregister() before you close a socket");
    }
    // Is `fd` still an open socket? getsockopt(SO_TYPE) answers on every system
    // (socket_kind_of() asks it: 0 when it fails).
    static bool still_open(native_handle_type fd) { return detail::socket_kind_of(fd) != 0; }
    [[noreturn]] static void closed_socket(const detail::failure_context& where) {
        detail::throw_error(std::make_error_code(std::errc::bad_file_descriptor), where,
                            "the socket is closed (or was moved from): only an open socket can be watched");
    }
    // The checks Python makes before it registers: an open socket, events 1, 2 or 3.
    static native_handle_type registrable(const socket& sock, int events, const detail::failure_context& where) {
        if (!sock) closed_socket(where);
        if (events <= 0 || (events & ~(event_read | event_write)) != 0) {
            detail::raise_invalid(where,
                                  "events must be csnet::event_read, csnet::event_write or both "
                                  "(event_read | event_write), not " +
                                      std::to_string(events));
        }
        return sock.fileno();
    }
    // modify()'s work: new events for a registered socket; returns its position.
    std::size_t change_events(const socket& sock, int events) {
        const auto arguments = [&] { return describe(sock, events); };
        const detail::failure_context where = detail::lazy_context("modify", arguments);
        const std::size_t slot = slot_of(registrable(sock, events, where), where);
        keys_[slot].events = events;
        entries_[slot].events = entry_for(keys_[slot].fd, events).events;
        return slot;
    }
    // Where `fd` is in keys_ (sorted by descriptor), or where it would go: a binary
    // search, as one looks a word up in a dictionary.
    std::size_t position_of(native_handle_type fd) const {
        std::size_t low = 0;
        std::size_t high = keys_.size();
        while (low < high) {
            const std::size_t middle = low + (high - low) / 2;
            if (keys_[middle].fd < fd) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }
    std::size_t slot_of(native_handle_type fd, const detail::failure_context& where) const {
        const std::size_t slot = position_of(fd);
        if (slot == keys_.size() || keys_[slot].fd != fd) {
            detail::raise_invalid(where, detail::handle_text(fd) + " is not registered: call register_() first");
        }
        return slot;
    }
    void trace_poll(const detail::call_result& r, int milliseconds) const {
        std::string text = "poll([";
        const std::size_t shown = entries_.size() < 8 ? entries_.size() : 8;
        for (std::size_t i = 0; i < shown; ++i) {
            if (i > 0) text += ", ";
            text += detail::handle_text(keys_[i].fd) + ":" + (keys_[i].events & event_read ? "r" : "") +
                    (keys_[i].events & event_write ? "w" : "");
        }
        if (shown < entries_.size()) text += ", ... " + std::to_string(entries_.size() - shown) + " more";
        text += "], " + (milliseconds < 0 ? std::string("-1") : std::to_string(milliseconds)) + " ms) -> ";
        text += r.ok() ? std::to_string(r.value) + " ready" : r.text();
        detail::trace(text);
    }

    // Two views of the same registrations, in the same order, sorted by descriptor:
    // keys_ (what select() returns) and entries_ (what poll() takes). The order is
    // what lets position_of() find a socket quickly (Python keeps a dictionary).
    std::vector<selector_key> keys_;
    std::vector<detail::poll_entry> entries_;
};

using selector = basic_selector<>;

// ============================================================================
// 8. Free functions, as in Python's socket module
// ============================================================================

/// create_connection(): a TCP connection to `server`. A name is looked up and
/// every address it has (IPv6 and IPv4) is tried in turn, so "localhost" works
/// One answer of getaddrinfo(): Python's (family, type, proto, canonname, sockaddr).
struct address_info {
    address_family family;
    socket_kind type;
    protocol proto;
    std::string canonname;
    csnet::address address;
};

/// getaddrinfo(): the addresses a host name and a port (a number, or a service
/// name such as "http") stand for, IPv6 and IPv4, for streams and datagrams.
/// Python: socket.getaddrinfo('localhost', 80)
inline std::vector<address_info> getaddrinfo(const std::string& host, const std::string& service,
                                             address_family family = af_unspec) {
    detail::refuse_nul("getaddrinfo", host, "\"" + service + "\"");
    const auto arguments = [&] { return "\"" + host + "\", \"" + service + "\""; };
    const detail::failure_context where = detail::lazy_context("getaddrinfo", arguments);
    return detail::lookup(host, service.c_str(), family, detail::any_kind, where);
}
/// getaddrinfo() for one kind only: Python: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
inline std::vector<address_info> getaddrinfo(const std::string& host, const std::string& service, address_family family,
                                             socket_kind type) {
    detail::refuse_nul("getaddrinfo", host, "\"" + service + "\"");
    const auto arguments = [&] { return "\"" + host + "\", \"" + service + "\""; };
    const detail::failure_context where = detail::lazy_context("getaddrinfo", arguments);
    return detail::lookup(host, service.c_str(), family, static_cast<int>(type), where);
}
inline std::vector<address_info> getaddrinfo(const std::string& host, int port, address_family family = af_unspec) {
    if (port < 0 || port > 65535) {
        const auto arguments = [&] { return "\"" + host + "\", " + std::to_string(port); };
        detail::raise_invalid(detail::lazy_context("getaddrinfo", arguments, port),
                              "a port is a number from 0 to 65535");
    }
    return getaddrinfo(host, std::to_string(port), family);
}
inline std::vector<address_info> getaddrinfo(const std::string& host, int port, address_family family,
                                             socket_kind type) {
    if (port < 0 || port > 65535) {
        const auto arguments = [&] { return "\"" + host + "\", " + std::to_string(port); };
        detail::raise_invalid(detail::lazy_context("getaddrinfo", arguments, port),
                              "a port is a number from 0 to 65535");
    }
    return getaddrinfo(host, std::to_string(port), family, type);
}

/// create_connection(): a TCP connection to `server`. A name is looked up and
/// every address it has (IPv6 and IPv4) is tried in turn, so "localhost" works
/// whether the server listens on 127.0.0.1 or on ::1. If all fail, the last
/// error is thrown. Python: socket.create_connection(('localhost', 9999))
inline socket create_connection(const address& server, std::optional<double> timeout = std::nullopt) {
    // One try: a socket of the address's family, the timeout, connect().
    const auto attempt = [&timeout](address_family family, const address& target) {
        socket s(family, sock_stream);
        if (timeout) s.settimeout(*timeout);
        s.connect(target);
        return s;
    };
    detail::socket_address numeric;
    if (numeric.from_numeric(server, af_inet)) return attempt(af_inet, server);
    if (numeric.from_numeric(server, af_inet6)) return attempt(af_inet6, server);
    const auto arguments = [&] { return detail::shown(server); };
    detail::failure_context where = detail::lazy_context("create_connection", arguments, server.port());
    where.timeout = timeout ? *timeout : -1;
    const std::vector<address_info> candidates =
        detail::lookup(server.host(), std::to_string(server.port()).c_str(), af_unspec, SOCK_STREAM, where);
    if (candidates.empty()) detail::throw_error(detail::own_error(std::errc::address_not_available), where);
    for (std::size_t i = 0;; ++i) {
        try {
            return attempt(candidates[i].family, candidates[i].address);
        } catch (const error&) {
            if (i + 1 == candidates.size()) throw;  // the last one: its error is the answer
        }
    }
}

/// create_server(): a TCP socket bound to `local` and listening, ready for
/// accept(). so_reuseaddr is set: on POSIX a restarted server can take its port
/// back at once, on Windows it means SO_EXCLUSIVEADDRUSE (no other program can
/// take the port). With dualstack_ipv6 one af_inet6 socket also takes IPv4 clients.
/// Python: socket.create_server(('127.0.0.1', 9999))
inline socket create_server(const address& local, address_family family = af_inet, int backlog = default_backlog,
                            bool reuse_port = false, bool dualstack_ipv6 = false) {
    const auto arguments = [&] { return detail::shown(local); };
    const detail::failure_context where = detail::lazy_context("create_server", arguments, local.port());
    if (dualstack_ipv6 && family != af_inet6) {
        detail::raise_invalid(where, "dualstack_ipv6 needs family csnet::af_inet6");
    }
    socket s(family, sock_stream);
    s.setsockopt(sol_socket, so_reuseaddr, 1);
    if (reuse_port) {
#if defined(SO_REUSEPORT)
        s.setsockopt(sol_socket, SO_REUSEPORT, 1);
#else
        detail::throw_error(detail::own_error(std::errc::operation_not_supported), where,
                            "SO_REUSEPORT is not available on this system");
#endif  // SO_REUSEPORT
    }
    if (family == af_inet6) s.setsockopt(ipproto_ipv6, ipv6_v6only, dualstack_ipv6 ? 0 : 1);
    s.bind(local);
    s.listen(backlog);
    return s;
}

/// gethostname(): this machine's name.
inline std::string gethostname() {
    detail::start_networking();
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) {
        detail::throw_error(detail::native_error(detail::last_error()), {"gethostname"});
    }
    return name;
}

/// gethostbyname(): the IPv4 address of `host`, as text ("127.0.0.1").
inline std::string gethostbyname(const std::string& host) {
    const address a(host, 0);
    detail::socket_address numeric;
    if (numeric.from_numeric(a, af_inet)) return detail::to_address(numeric).host();
    const auto arguments = [&] { return "\"" + host + "\""; };
    const detail::failure_context where = detail::lazy_context("gethostbyname", arguments);
    const std::vector<address_info> answers = detail::lookup(host, nullptr, af_inet, detail::any_kind, where);
    if (answers.empty()) detail::throw_error(detail::own_error(std::errc::address_not_available), where);
    return answers.front().address.host();
}

/// has_dualstack_ipv6(): can one IPv6 socket also serve IPv4 clients here?
inline bool has_dualstack_ipv6() {
    try {
        socket s(af_inet6, sock_stream);
        s.setsockopt(ipproto_ipv6, ipv6_v6only, 0);
        return true;
    } catch (const error&) {
        return false;
    }
}

// ============================================================================
// 9. Tracing: see every system call
// ----------------------------------------------------------------------------
// Run a program with CSNET_TRACE=1 in its environment (or call
// csnet::set_trace(&std::cerr)) and every system call is printed:
//   [csnet] socket(AF_INET, SOCK_STREAM) -> fd 3
//   [csnet] bind(fd 3, 127.0.0.1:9999) -> ok
//   [csnet] recv(fd 4, 19) -> 10 bytes "Hola mundo"
// Off, it costs one load and one branch per call, and nothing is formatted.
// ============================================================================

/// Print every system call on `out` (e.g. &std::cerr); nullptr stops.
/// Any thread may call it; once it returns, no line goes to the previous stream.
template <class Stream>
void set_trace(Stream* out) {
    detail::set_trace_writer(out, [](void* stream, const char* text, std::size_t size) {
        Stream& s = *static_cast<Stream*>(stream);
        // (std::streamsize is a std::ptrdiff_t; <ios>, which names it, is not included.)
        s.write(text, static_cast<std::ptrdiff_t>(size));
        s.flush();
    });
}
inline void set_trace(std::nullptr_t) { detail::set_trace_writer(nullptr, nullptr); }

// ############################################################################
// How it works inside. Everything below is in namespace csnet::detail (but the
// bodies of a few public functions, in section 14). A program never names it.
// ############################################################################

namespace detail {

// ============================================================================
// 10. The platform layer
// ----------------------------------------------------------------------------
// Everything that differs between Windows (Winsock) and POSIX stands here, in
// small functions with the same names on both sides. The rest of the file is
// written once, for both.
// ============================================================================

#if defined(_WIN32)

using io_length = int;  // Winsock's send/recv count bytes in an int

inline constexpr int no_sigpipe_flag = 0;  // Windows has no SIGPIPE
inline int error_timed_out() { return WSAETIMEDOUT; }

// Winsock must be started (WSAStartup) once per process before the first socket.
// A function-local static is initialised once, thread-safely, even when the first
// socket is opened by a global object's constructor before main().
inline void start_networking() {
    struct winsock {
        winsock() {
            WSADATA data;
            WSAStartup(MAKEWORD(2, 2), &data);
        }
        ~winsock() { WSACleanup(); }
    };
    static winsock started;
    (void)started;
}

inline int last_error() { return WSAGetLastError(); }
inline bool interrupted(int e) { return e == WSAEINTR; }
inline bool would_block(int e) { return e == WSAEWOULDBLOCK; }
inline bool connect_pending(int e) { return e == WSAEWOULDBLOCK || e == WSAEINPROGRESS || e == WSAEALREADY; }
inline bool message_truncated(int e) { return e == WSAEMSGSIZE; }

// Sockets are not inherited by child processes (as in Python, PEP 446).
#    ifndef WSA_FLAG_NO_HANDLE_INHERIT
#        define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#    endif  // !WSA_FLAG_NO_HANDLE_INHERIT
// A UDP socket on Windows reports an ICMP "port unreachable" (the answer to an
// earlier datagram sent to a port where nobody listens) as WSAECONNRESET from its
// next recvfrom(), even when it is not connected: a UDP echo server would fail
// because one client left before its echo arrived. csnet switches that off
// (SIO_UDP_CONNRESET), so a UDP server behaves as on Linux and macOS, where an
// unconnected socket never hears of it. The price: a connect()ed UDP socket on
// Windows does not hear of it either (Linux reports Connection refused there), so
// a UDP client with no server waits for its timeout. (CPython leaves Windows'
// default: a Python UDP server on Windows can die of [WinError 10054].)
inline constexpr DWORD udp_connreset_ioctl = _WSAIOW(IOC_VENDOR, 12);  // SIO_UDP_CONNRESET (<mstcpip.h>)
inline native_handle_type open_socket(int family, int type, int proto) {
    SOCKET s = WSASocketW(family, type, proto, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
        // Windows before 7 SP1 does not know the flag: clear inheritance afterwards.
        s = WSASocketW(family, type, proto, nullptr, 0, WSA_FLAG_OVERLAPPED);
        if (s != INVALID_SOCKET) SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
    }
    if (s != INVALID_SOCKET && type == SOCK_DGRAM) {
        BOOL report = FALSE;
        DWORD unused = 0;
        WSAIoctl(s, udp_connreset_ioctl, &report, sizeof report, nullptr, 0, &unused, nullptr, nullptr);
    }
    return s;
}

inline native_handle_type accept_socket(native_handle_type listener, sockaddr* peer, address_length* size) {
    native_handle_type s = ::accept(listener, peer, size);
    if (s != INVALID_SOCKET) {
        SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
    }
    return s;
}

inline bool accept_inherits_nonblocking() { return true; }  // Winsock copies it: undo that

inline int close_socket(native_handle_type s) { return closesocket(s); }

inline int set_nonblocking(native_handle_type s, io_mode mode) {
    u_long on = mode == io_mode::nonblocking ? 1 : 0;
    return ioctlsocket(s, static_cast<long>(FIONBIO), &on);
}

// Wait until the socket can be read (or written), at most `milliseconds`
// (-1: for ever). 1: ready, 0: time is up, -1: error. select() is used because
// it is the one call every Windows version (and Wine) has always had. A failed
// non-blocking connect is reported in the "except" set, so that set is watched
// when waiting to write (connect); not when reading, where it would also report
// urgent (out-of-band) data that recv() does not return.
inline int wait_ready(native_handle_type s, wait_for direction, int milliseconds) {
    const bool for_writing = direction == wait_for::writing;
    fd_set ready;
    fd_set failed;
    FD_ZERO(&ready);
    FD_ZERO(&failed);
    FD_SET(s, &ready);
    FD_SET(s, &failed);
    timeval limit{milliseconds / 1000, (milliseconds % 1000) * 1000};
    int n = ::select(0, for_writing ? nullptr : &ready, for_writing ? &ready : nullptr, for_writing ? &failed : nullptr,
                     milliseconds < 0 ? nullptr : &limit);
    return n > 0 ? 1 : n;
}

// How the trace names the calls above (issue 7: the real calls, as a C program writes them).
inline std::string nonblocking_call_text(const std::string& handle, io_mode mode) {
    return "ioctlsocket(" + handle + ", FIONBIO, " + (mode == io_mode::nonblocking ? "1)" : "0)");
}
inline std::string wait_call_text(const std::string& handle, wait_for direction, int milliseconds) {
    return "select(" + handle + (direction == wait_for::writing ? ", write, " : ", read, ") +
           (milliseconds < 0 ? std::string("NULL") : std::to_string(milliseconds) + " ms") + ")";
}

// "Would block", whichever call says it: one code on every platform (a
// non-blocking connect says WSAEWOULDBLOCK here, EINPROGRESS on POSIX).
inline int error_would_block() { return WSAEWOULDBLOCK; }

// A blocking send() of a big buffer is all-or-nothing in Winsock: when the peer
// resets midway it reports nothing sent. sendall() sends in pieces of this size,
// so that e.bytes_sent() counts what went out.
inline std::size_t sendall_piece() { return 64 * 1024; }

inline bool recv_discards(int) { return false; }  // Winsock's recv never skips the copy

// The trace lock (section 12): who holds it, and how a waiting thread sleeps.
inline long process_id() { return static_cast<long>(GetCurrentProcessId()); }
inline void pause_briefly(int round) { Sleep(round < 4 ? 0 : 1); }

// CSNET_TRACE=1 writes to standard error; never when that is a socket (a
// program started with its standard error connected to a network peer).
inline bool standard_error_is_network() {
    HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
    if (h == nullptr || h == INVALID_HANDLE_VALUE) return true;  // nowhere to write
    if (GetFileType(h) != FILE_TYPE_PIPE) return false;          // sockets say "pipe"
    int type = 0;
    int size = static_cast<int>(sizeof type);
    return ::getsockopt(reinterpret_cast<SOCKET>(h), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &size) == 0;
}

// The selector's one system call: WSAPoll, Winsock's poll(). Its flags are
// POLLRDNORM/POLLWRNORM (WSAPoll refuses POLLPRI). WSAPoll with no socket at all
// is an error, where poll() just waits: Sleep() does that wait here.
// Known defect: before Windows 10 version 2004, WSAPoll did not report a
// non-blocking connect() that failed (the socket never became ready); see the
// selector section below for what csnet advises.
inline short poll_readable() { return POLLRDNORM; }  // poll_entry (before section 5): WSAPOLLFD is struct pollfd
inline short poll_writable() { return POLLWRNORM; }
inline int poll_sockets(poll_entry* entries, std::size_t count, int milliseconds) {
    if (count == 0) {
        ::Sleep(milliseconds < 0 ? INFINITE : static_cast<DWORD>(milliseconds));
        return 0;
    }
    return ::WSAPoll(entries, static_cast<ULONG>(count), milliseconds);
}

inline double monotonic_seconds() {
    LARGE_INTEGER now;
    LARGE_INTEGER frequency;
    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&frequency);
    return static_cast<double>(now.QuadPart) / static_cast<double>(frequency.QuadPart);
}

inline bool environment_says(const char* name) {
#    if defined(_MSC_VER)
#        pragma warning(push)
#        pragma warning(disable : 4996)  // getenv is fine here: the value is read at once
#    endif                               // _MSC_VER
    const char* value = std::getenv(name);
#    if defined(_MSC_VER)
#        pragma warning(pop)
#    endif  // _MSC_VER
    return value != nullptr && value[0] != '\0' && value[0] != '0';
}

// gai_strerrorA writes into one static buffer (not thread-safe): ask
// FormatMessageA for the same text, into a buffer of this call's own.
inline std::string gai_message(int code) {
    char buffer[512] = {};
    DWORD size = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                                static_cast<DWORD>(code), 0, buffer, sizeof buffer, nullptr);
    std::string text(buffer, size);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.' || text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    if (text.empty()) text = "getaddrinfo error " + std::to_string(code);
    return text;
}

// Short texts for when the system has none (Wine, for one).
inline const char* winsock_fallback_text(int code) {
    switch (code) {
        case WSAEADDRINUSE: return "Address already in use";
        case WSAEADDRNOTAVAIL: return "Cannot assign requested address";
        case WSAECONNREFUSED: return "Connection refused";
        case WSAECONNRESET: return "Connection reset by peer";
        case WSAECONNABORTED: return "Software caused connection abort";
        case WSAETIMEDOUT: return "Connection timed out";
        case WSAEWOULDBLOCK: return "Resource temporarily unavailable";
        case WSAEINPROGRESS: return "Operation now in progress";
        case WSAENOTCONN: return "Transport endpoint is not connected";
        case WSAESHUTDOWN: return "Cannot send after transport endpoint shutdown";
        case WSAEACCES: return "Permission denied";
        case WSAEINVAL: return "Invalid argument";
        case WSAENOTSOCK: return "Socket operation on non-socket";
        case WSAEAFNOSUPPORT: return "Address family not supported by protocol";
        case WSAEISCONN: return "Transport endpoint is already connected";
        case WSAEMSGSIZE: return "Message too long";
        case WSAENETUNREACH: return "Network is unreachable";
        case WSAEHOSTUNREACH: return "No route to host";
        case WSAEOPNOTSUPP: return "Operation not supported";
        default: return nullptr;
    }
}

// Winsock reports errors as WSAE* numbers (10061 for "connection refused"). This
// category gives them Windows' own text and says which portable std::errc each one
// is, so that `e.code() == std::errc::connection_refused` holds on Windows too.
class winsock_category_type : public std::error_category {
public:
    const char* name() const noexcept override { return "winsock"; }
    std::string message(int code) const override {
        char text[512] = {};
        DWORD size = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                                    static_cast<DWORD>(code), 0, text, sizeof text, nullptr);
        while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r' || text[size - 1] == '.')) {
            text[--size] = '\0';
        }
        if (size > 0) return std::string(text, size);
        if (const char* fallback = winsock_fallback_text(code)) return fallback;
        return "Winsock error " + std::to_string(code);
    }
    std::error_condition default_error_condition(int code) const noexcept override {
        switch (code) {
            case WSAEINTR: return std::errc::interrupted;
            case WSAEBADF:
            case WSAENOTSOCK: return std::errc::bad_file_descriptor;
            case WSAEACCES: return std::errc::permission_denied;
            case WSAEFAULT: return std::errc::bad_address;
            case WSAEINVAL: return std::errc::invalid_argument;
            case WSAEMFILE: return std::errc::too_many_files_open;
            case WSAEWOULDBLOCK: return std::errc::operation_would_block;
            case WSAEINPROGRESS: return std::errc::operation_in_progress;
            case WSAEALREADY: return std::errc::connection_already_in_progress;
            case WSAEDESTADDRREQ: return std::errc::destination_address_required;
            case WSAEMSGSIZE: return std::errc::message_size;
            case WSAEPROTOTYPE: return std::errc::wrong_protocol_type;
            case WSAENOPROTOOPT: return std::errc::no_protocol_option;
            case WSAEPROTONOSUPPORT: return std::errc::protocol_not_supported;
            case WSAEOPNOTSUPP: return std::errc::operation_not_supported;
            case WSAEAFNOSUPPORT:
            case WSAEPFNOSUPPORT: return std::errc::address_family_not_supported;
            case WSAEADDRINUSE: return std::errc::address_in_use;
            case WSAEADDRNOTAVAIL: return std::errc::address_not_available;
            case WSAENETDOWN: return std::errc::network_down;
            case WSAENETUNREACH: return std::errc::network_unreachable;
            case WSAENETRESET: return std::errc::network_reset;
            case WSAECONNABORTED: return std::errc::connection_aborted;
            case WSAECONNRESET: return std::errc::connection_reset;
            case WSAENOBUFS: return std::errc::no_buffer_space;
            case WSAEISCONN: return std::errc::already_connected;
            case WSAENOTCONN: return std::errc::not_connected;
            case WSAESHUTDOWN: return std::errc::broken_pipe;  // POSIX says EPIPE here
            case WSAETIMEDOUT: return std::errc::timed_out;
            case WSAECONNREFUSED: return std::errc::connection_refused;
            case WSAEHOSTUNREACH:
            case WSAEHOSTDOWN: return std::errc::host_unreachable;
            case WSAENAMETOOLONG: return std::errc::filename_too_long;
            default: return std::error_condition(code, *this);
        }
    }
};

inline const std::error_category& native_category() {
    static const winsock_category_type category;
    return category;
}

inline const char* native_error_label() { return "WinError"; }  // Python prints [WinError 10061]

// An error csnet finds itself, as Winsock would report it: the C runtime has no
// text for errno values of 100 and above (EAFNOSUPPORT, ...), Winsock has.
inline std::error_code own_error(std::errc e) {
    switch (e) {
        case std::errc::address_family_not_supported: return std::error_code(WSAEAFNOSUPPORT, native_category());
        case std::errc::address_not_available: return std::error_code(WSAEADDRNOTAVAIL, native_category());
        case std::errc::operation_not_supported: return std::error_code(WSAEOPNOTSUPP, native_category());
        default: return std::make_error_code(e);
    }
}

// Windows' SO_REUSEADDR would let ANOTHER program take a port in use: csnet's
// so_reuseaddr sets SO_EXCLUSIVEADDRUSE there (see socket::setsockopt), and a
// restarted server never waits for TIME_WAIT, so "address in use" means another program.
inline bool reuse_address_is_exclusive() { return true; }
inline int set_exclusive_address_use(native_handle_type s) {
    int exclusive = 1;
    return ::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&exclusive),
                        sizeof exclusive);
}
inline bool reuse_address_set(native_handle_type) { return false; }

// getaddrinfo's own codes say everything on Windows.
inline int gai_system_error(int, int) { return 0; }

inline std::string handle_text(native_handle_type s) {
    return "socket " + std::to_string(static_cast<unsigned long long>(s));
}

static_assert(SD_RECEIVE == 0 && SD_SEND == 1 && SD_BOTH == 2, "csnet::shut_rd, shut_wr, shut_rdwr");

#else  // POSIX: Linux, macOS, the BSDs

using io_length = std::size_t;

// Writing to a connection the peer has closed raises SIGPIPE, whose default
// action kills the process. csnet asks the kernel not to, call by call
// (MSG_NOSIGNAL), or socket by socket (SO_NOSIGPIPE on macOS and the BSDs),
// and never touches the process's signal settings.
#    if defined(MSG_NOSIGNAL)
inline constexpr int no_sigpipe_flag = MSG_NOSIGNAL;
#    else
inline constexpr int no_sigpipe_flag = 0;
#    endif  // MSG_NOSIGNAL
inline int error_timed_out() { return ETIMEDOUT; }

inline void start_networking() {}  // nothing to start on POSIX

inline int last_error() { return errno; }
inline bool interrupted(int e) { return e == EINTR; }
inline bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }
inline bool connect_pending(int e) { return e == EINPROGRESS || e == EALREADY; }
inline bool message_truncated(int) { return false; }  // POSIX truncates a datagram silently

inline void set_close_on_exec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

// Sockets are not inherited by programs started with exec (as in Python, PEP 446).
inline native_handle_type open_socket(int family, int type, int proto) {
#    if defined(SOCK_CLOEXEC)
    int fd = ::socket(family, type | SOCK_CLOEXEC, proto);
#    else
    int fd = ::socket(family, type, proto);
    if (fd >= 0) set_close_on_exec(fd);
#    endif  // SOCK_CLOEXEC
#    if defined(SO_NOSIGPIPE)
    if (fd >= 0) {
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
    }
#    endif  // SO_NOSIGPIPE
    return fd;
}

inline native_handle_type accept_socket(native_handle_type listener, sockaddr* peer, address_length* size) {
#    if defined(__linux__) || defined(__FreeBSD__)
    return ::accept4(listener, peer, size, SOCK_CLOEXEC);
#    else
    int fd = ::accept(listener, peer, size);
    if (fd >= 0) set_close_on_exec(fd);
#        if defined(SO_NOSIGPIPE)
    if (fd >= 0) {
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
    }
#        endif  // SO_NOSIGPIPE
    return fd;
#    endif      // defined(__linux__) || defined(__FreeBSD__)
}

// Linux's accept4 gives a blocking socket; macOS and the BSDs copy the listener's
// non-blocking flag to the accepted socket.
inline bool accept_inherits_nonblocking() {
#    if defined(__linux__)
    return false;
#    else
    return true;
#    endif  // __linux__
}

inline int close_socket(native_handle_type s) { return ::close(s); }

inline int set_nonblocking(native_handle_type s, io_mode mode) {
    int flags = ::fcntl(s, F_GETFL);
    if (flags < 0) return -1;
    return ::fcntl(s, F_SETFL, mode == io_mode::nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

// Wait until the socket can be read (or written), at most `milliseconds`
// (-1: for ever). 1: ready, 0: time is up, -1: error (EINTR included).
inline int wait_ready(native_handle_type s, wait_for direction, int milliseconds) {
    pollfd entry{};
    entry.fd = s;
    entry.events = direction == wait_for::writing ? POLLOUT : POLLIN;
    int n = ::poll(&entry, 1, milliseconds);
    return n > 0 ? 1 : n;
}

// How the trace names the calls above (issue 7: the real calls, as a C program writes them).
inline std::string nonblocking_call_text(const std::string& handle, io_mode mode) {
    return "fcntl(" + handle +
           (mode == io_mode::nonblocking ? ", F_SETFL, flags | O_NONBLOCK)" : ", F_SETFL, flags & ~O_NONBLOCK)");
}
inline std::string wait_call_text(const std::string& handle, wait_for direction, int milliseconds) {
    return "poll(" + handle + (direction == wait_for::writing ? ", POLLOUT, " : ", POLLIN, ") +
           (milliseconds < 0 ? std::string("-1") : std::to_string(milliseconds) + " ms") + ")";
}

// "Would block", whichever call says it: one code on every platform (a
// non-blocking connect says EINPROGRESS here, WSAEWOULDBLOCK on Windows).
inline int error_would_block() { return EWOULDBLOCK; }

// send() may take part of a buffer and say so: sendall() hands it all at once.
inline std::size_t sendall_piece() { return 0x7fffffff; }

// Linux's MSG_TRUNC on a TCP socket discards the bytes without copying them.
#    if defined(MSG_TRUNC)
inline bool recv_discards(int flags) { return (flags & MSG_TRUNC) != 0; }
#    else
inline bool recv_discards(int) { return false; }
#    endif  // MSG_TRUNC

// The trace lock (section 12): who holds it, and how a waiting thread sleeps.
inline long process_id() { return static_cast<long>(::getpid()); }
inline void pause_briefly(int round) {
    timespec pause{0, round < 4 ? 1000L : 200000L};  // 1 us, then 0.2 ms
    ::nanosleep(&pause, nullptr);
}

// CSNET_TRACE=1 writes to descriptor 2; never when that is a network socket
// (a daemon started with 2>&- gets descriptor 2 for its first socket, and an
// inetd-style server has its client there): tracing must not change the wire.
// A local (AF_UNIX) socket, such as systemd's journal, is fine.
inline bool standard_error_is_network() {
    // getsockname() answers only for a socket: ENOTSOCK for a terminal, a file or a
    // pipe (write there), EBADF when descriptor 2 is closed (nowhere to write).
    sockaddr_storage name{};
    socklen_t size = sizeof name;
    if (::getsockname(2, reinterpret_cast<sockaddr*>(&name), &size) != 0) return errno != ENOTSOCK;
    return name.ss_family == AF_INET || name.ss_family == AF_INET6;  // a Unix socket (a log) is fine
}

// The selector's one system call: poll() on many sockets at once.
inline short poll_readable() { return POLLIN; }
inline short poll_writable() { return POLLOUT; }
inline int poll_sockets(poll_entry* entries, std::size_t count, int milliseconds) {
    return ::poll(entries, static_cast<nfds_t>(count), milliseconds);
}

inline double monotonic_seconds() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

inline bool environment_says(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && value[0] != '\0' && value[0] != '0';
}

inline std::string gai_message(int code) { return ::gai_strerror(code); }

// errno values are the portable std::errc values already.
inline const std::error_category& native_category() { return std::generic_category(); }

inline const char* native_error_label() { return "Errno"; }  // Python prints [Errno 111]

// An error csnet finds itself (errno values are portable already).
inline std::error_code own_error(std::errc e) { return std::make_error_code(e); }

// POSIX's SO_REUSEADDR is the safe meaning already: set as asked.
inline bool reuse_address_is_exclusive() { return false; }
inline int set_exclusive_address_use(native_handle_type) { return -1; }  // never called on POSIX
inline bool reuse_address_set(native_handle_type s) {
    int value = 0;
    socklen_t size = sizeof value;
    return s != invalid_native_handle && ::getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &value, &size) == 0 && value != 0;
}

// getaddrinfo's EAI_SYSTEM: the real error is in errno (0 when it is not that).
inline int gai_system_error(int status, int saved_errno) {
#    if defined(EAI_SYSTEM)
    if (status == EAI_SYSTEM) return saved_errno ? saved_errno : EIO;
#    endif  // EAI_SYSTEM
    (void)status;
    (void)saved_errno;
    return 0;
}

inline std::string handle_text(native_handle_type s) { return "fd " + std::to_string(s); }

static_assert(SHUT_RD == 0 && SHUT_WR == 1 && SHUT_RDWR == 2, "csnet::shut_rd, shut_wr, shut_rdwr");

#endif  // _WIN32

// From here on, nothing depends on the platform.

inline std::error_code native_error(int code) { return std::error_code(code, native_category()); }

inline io_length clamp_length(std::size_t size) {
    // One call moves at most 2 GiB - 1: the most an int (Winsock) can count.
    constexpr std::size_t most = 0x7fffffff;
    return static_cast<io_length>(size < most ? size : most);
}

// The calls that move bytes, as every platform spells them: at most clamp_length
// bytes, and never SIGPIPE.
inline long long send_some(native_handle_type s, const char* data, std::size_t size, int flags) {
    return static_cast<long long>(::send(s, data, clamp_length(size), flags | no_sigpipe_flag));
}
inline long long sendto_some(native_handle_type s, const char* data, std::size_t size, int flags, const sockaddr* to,
                             address_length to_size) {
    return static_cast<long long>(::sendto(s, data, clamp_length(size), flags | no_sigpipe_flag, to, to_size));
}
// Winsock reports a datagram longer than the buffer as WSAEMSGSIZE, with the
// buffer filled: the receiving calls give the same result as POSIX (the first bytes).
// (A TCP socket never reports it, so the check needs no socket type.)
inline long long recv_some(native_handle_type s, char* into, std::size_t size, int flags) {
    const long long n = static_cast<long long>(::recv(s, into, clamp_length(size), flags));
    return n < 0 && message_truncated(last_error()) ? static_cast<long long>(clamp_length(size)) : n;
}
inline long long recvfrom_some(native_handle_type s, char* into, std::size_t size, int flags, sockaddr* from,
                               address_length* from_size) {
    const long long n = static_cast<long long>(::recvfrom(s, into, clamp_length(size), flags, from, from_size));
    return n < 0 && message_truncated(last_error()) ? static_cast<long long>(clamp_length(size)) : n;
}

// getenv, for the language of hints (section 11).
inline std::string environment_text(const char* name) {
#if defined(_MSC_VER)
#    pragma warning(push)
#    pragma warning(disable : 4996)  // getenv is fine here: the value is copied at once
#endif                               // _MSC_VER
    const char* value = std::getenv(name);
#if defined(_MSC_VER)
#    pragma warning(pop)
#endif  // _MSC_VER
    return value ? value : "";
}
// ============================================================================
// 11. Error messages and hints
// ----------------------------------------------------------------------------
// What a failed call throws: its what() names the call and its arguments, the
// error as Python prints it, and, where a student is likely to be stuck, a hint.
// ============================================================================

class gai_category_type : public std::error_category {
public:
    const char* name() const noexcept override { return "getaddrinfo"; }
    std::string message(int code) const override { return gai_message(code); }
};

inline std::string python_style(const std::error_code& code) {
    const char* label = (code.category() == native_category()) ? native_error_label() : "Errno";
    return "[" + std::string(label) + " " + std::to_string(code.value()) + "] " + code.message();
}

// Seconds as Python prints a float: 2, 0.2, 1e-09 (never "0" for a tiny timeout).
inline std::string seconds_text(double seconds) {
    char text[32] = {};
    std::snprintf(text, sizeof text, "%.9g", seconds);
    return text;
}

// ---- The language of hints ---------------------------------------------------
// Hints and csnet's own messages are in Spanish when CSNET_LANG=es, or, without
// CSNET_LANG, when the locale asks for it (the first of LC_ALL, LC_MESSAGES, LANG
// that is set starts with "es"). The environment is read once. The system's own
// error text ("Connection refused") stays as the system gives it.
enum class language : unsigned char { english, spanish };

inline language language_from_environment() {
    for (const char* name : {"CSNET_LANG", "LC_ALL", "LC_MESSAGES", "LANG"}) {
        const std::string value = environment_text(name);
        if (!value.empty()) return value.compare(0, 2, "es") == 0 ? language::spanish : language::english;
    }
    return language::english;
}

inline language& chosen_language() {
    static language value = language_from_environment();  // read once, thread-safely
    return value;
}

/// For tests only: choose the language of hints (not thread-safe; call it first).
inline void set_language_for_tests(language l) { chosen_language() = l; }

// ---- The hints -----------------------------------------------------------------
// Every hint, in English and in Spanish (tu, without accents: a Windows console
// shows ASCII right in any code page). {} stands for a value: a port ("port 9999"
// / "el puerto 9999"), a number of seconds, a host.
enum class hint : int {
    name_not_found,
    port_in_use,
    port_in_use_reuse_set,
    port_in_use_udp,
    port_in_use_other,
    refused,
    refused_udp,
    low_port,
    broadcast,
    timed_out_after,
    timed_out,
    reset,
    broken_pipe,
    send_never_connected,
    no_such_address,
    closed_socket,
    not_connected,
    shutdown_not_connected,
    not_connected_udp,
    destination_required,
    would_block,
    in_progress,
    unreachable,
    family_mismatch,
    socket_family_unspec,
    socket_family_unknown,
    listen_accept_udp,
    accept_not_listening,
    listen_connected,
    already_connected,
    too_many_files,
    // csnet's own messages, written elsewhere in English (matched, then translated)
    host_with_port,
    bad_port,
    bad_port_short,
    bad_ipv4,
    bad_ipv4_decimal,
    bad_ipv6,
    ipv6_brackets,
    ipv6_zone,
    ipv6_on_inet,
    ipv4_on_inet6,
    no_family_address,
    bad_timeout,
    size_too_large,
    nbytes_too_large,
    null_buffer,
    dualstack_family,
    no_reuseport,
    nul_in_host,
    listen_on_connected,
    connect_started,
    shutdown_how,
    selector_registered_twice,
    selector_not_registered,
    selector_closed_socket,
    selector_events,
    selector_closed_while_registered,
};

struct hint_text {
    hint id;
    const char* english;
    const char* spanish;
};

inline constexpr hint_text hint_table[] = {
    {hint::name_not_found,
     "the name could not be turned into an address: check its spelling, or use an IP address such as 127.0.0.1",
     "el nombre no se pudo convertir en una direccion: revisa como esta escrito, o usa una direccion IP como "
     "127.0.0.1"},
    {hint::port_in_use,
     "{} is taken: another program (or another run of this one) is using it, or the connections of an earlier "
     "run are still closing (TIME_WAIT, a minute or two); stop the other program or choose another port, and "
     "set so_reuseaddr before bind(), in every run, so that a restarted server takes its port back at once",
     "{} esta ocupado: otro programa (u otra ejecucion de este) lo usa, o las conexiones de una ejecucion "
     "anterior aun se estan cerrando (TIME_WAIT, uno o dos minutos); deten el otro programa o elige otro puerto, "
     "y pon so_reuseaddr antes de bind(), en cada ejecucion, para que un servidor reiniciado recupere su puerto "
     "al momento"},
    {hint::port_in_use_reuse_set,
     "another program (or another run of this one) is using {}; so_reuseaddr is set, so connections still "
     "closing get in the way only if the run that left them did not set it too (then wait a minute or two): "
     "stop the other program or choose another port",
     "otro programa (u otra ejecucion de este) esta usando {}; so_reuseaddr esta puesto, asi que las conexiones "
     "que aun se cierran solo estorban si la ejecucion que las dejo no lo puso tambien (entonces espera uno o "
     "dos minutos): deten el otro programa o elige otro puerto"},
    {hint::port_in_use_udp,
     "another program (or another run of this one) is using UDP {}: stop it or choose another port "
     "(so_reuseaddr would not help: on UDP it lets two programs share the port, and each datagram reaches "
     "only one of them)",
     "otro programa (u otra ejecucion de este) esta usando {} UDP: detenlo o elige otro puerto (so_reuseaddr no "
     "ayudaria: en UDP deja que dos programas compartan el puerto, y cada datagrama llega solo a uno de ellos)"},
    {hint::port_in_use_other,
     "another program (or another run of this one) is using {}: stop it or choose another port",
     "otro programa (u otra ejecucion de este) esta usando {}: detenlo o elige otro puerto"},
    {hint::refused,
     "nothing is listening on {} at that address: start the server first, and check the host and port; a "
     "server bound to 127.0.0.1 takes clients from its own machine only (bind it to \"\" or 0.0.0.0 to take "
     "other machines)",
     "nada escucha en {} de esa direccion: arranca primero el servidor, y revisa el host y el puerto; un "
     "servidor enlazado a 127.0.0.1 solo acepta clientes de su propia maquina (enlazalo a \"\" o 0.0.0.0 para "
     "aceptar otras maquinas)"},
    {hint::refused_udp,
     "nothing is listening on UDP {} at that address: that machine answered a datagram with ICMP \"port "
     "unreachable\", which a connected UDP socket reports here; start the server first, and check the host and "
     "port",
     "nada escucha en {} UDP de esa direccion: esa maquina respondio a un datagrama con ICMP \"port "
     "unreachable\", que un socket UDP conectado informa aqui; arranca primero el servidor, y revisa el host y "
     "el puerto"},
    {hint::low_port, "ports below 1024 are reserved for the administrator; choose a port above 1023, such as 9999",
     "los puertos bajo 1024 estan reservados al administrador; elige un puerto sobre 1023, como 9999"},
    {hint::broadcast,
     "sending to a broadcast address needs setsockopt(csnet::sol_socket, csnet::so_broadcast, 1) first",
     "enviar a una direccion de broadcast necesita antes setsockopt(csnet::sol_socket, csnet::so_broadcast, 1)"},
    {hint::timed_out_after,
     "nothing happened within the {} s set with settimeout(); is the other side running, and sending?",
     "no paso nada en los {} s fijados con settimeout(); esta funcionando el otro lado, y esta enviando?"},
    {hint::timed_out, "the other side stopped answering: is it running, and is the network up?",
     "el otro lado dejo de responder: esta funcionando, y funciona la red?"},
    {hint::reset, "the peer closed the connection abruptly (it stopped, or closed without reading everything)",
     "el otro extremo cerro la conexion de golpe (se detuvo, o cerro sin leer todo)"},
    {hint::broken_pipe, "the peer has closed the connection: it will not read anything more",
     "el otro extremo cerro la conexion: ya no leera nada mas"},
    {hint::send_never_connected,
     "this TCP socket never connected: call connect() first (a server talks to a client on the socket that "
     "accept() returned, not on the listening one)",
     "este socket TCP nunca se conecto: llama primero a connect() (un servidor habla con un cliente por el "
     "socket que devolvio accept(), no por el que escucha)"},
    {hint::no_such_address,
     "this machine has no such address: bind to 127.0.0.1 (this machine only) or to \"\" (all its addresses)",
     "esta maquina no tiene esa direccion: enlaza a 127.0.0.1 (solo esta maquina) o a \"\" (todas sus "
     "direcciones)"},
    {hint::closed_socket, "this socket is closed (or was moved from): create a new csnet::socket",
     "este socket esta cerrado (o fue movido): crea un nuevo csnet::socket"},
    {hint::not_connected,
     "this TCP socket is not connected: call connect() first (a server talks to a client on the socket that "
     "accept() returned, not on the listening one)",
     "este socket TCP no esta conectado: llama primero a connect() (un servidor habla con un cliente por el "
     "socket que devolvio accept(), no por el que escucha)"},
    {hint::shutdown_not_connected,
     "shutdown() is for a connected socket (Windows refuses it on a listening one too); to stop using a "
     "socket, close() it",
     "shutdown() es para un socket conectado (Windows tampoco lo acepta en uno que escucha); para dejar de usar "
     "un socket, cierralo con close()"},
    {hint::not_connected_udp,
     "this UDP socket has no peer: send with sendto(data, address), or call connect(address) first",
     "este socket UDP no tiene destino: envia con sendto(data, address), o llama antes a connect(address)"},
    {hint::destination_required,
     "a UDP socket without connect() does not know where to send: use sendto(data, address), or call "
     "connect(address) once and then send()",
     "un socket UDP sin connect() no sabe a donde enviar: usa sendto(data, address), o llama una vez a "
     "connect(address) y despues a send()"},
    {hint::would_block, "the socket is non-blocking (settimeout(0) or setblocking(false)) and nothing was ready yet",
     "el socket no bloquea (settimeout(0) o setblocking(false)) y aun no habia nada listo"},
    {hint::in_progress,
     "the socket is non-blocking, so connect() only started the connection; wait until it is writable",
     "el socket no bloquea, asi que connect() solo inicio la conexion; espera a que se pueda escribir en el"},
    {hint::unreachable, "there is no route to that address: check the IP address and the network",
     "no hay ruta hacia esa direccion: revisa la direccion IP y la red"},
    {hint::family_mismatch,
     "the address and the socket are of different families: IPv6 addresses need csnet::af_inet6, IPv4 ones "
     "csnet::af_inet",
     "la direccion y el socket son de familias distintas: las direcciones IPv6 necesitan csnet::af_inet6, las "
     "IPv4 csnet::af_inet"},
    {hint::socket_family_unspec,
     "a socket needs a family: csnet::af_inet (IPv4) or csnet::af_inet6 (IPv6); af_unspec is only for "
     "getaddrinfo(), to mean \"either\"",
     "un socket necesita una familia: csnet::af_inet (IPv4) o csnet::af_inet6 (IPv6); af_unspec es solo para "
     "getaddrinfo(), y significa \"cualquiera\""},
    {hint::socket_family_unknown,
     "that is not an address family csnet knows: use csnet::af_inet (IPv4) or csnet::af_inet6 (IPv6)",
     "esa no es una familia de direcciones que csnet conozca: usa csnet::af_inet (IPv4) o csnet::af_inet6 "
     "(IPv6)"},
    {hint::listen_accept_udp,
     "listen() and accept() are for TCP sockets (csnet::sock_stream); a UDP socket just calls recvfrom() after "
     "bind()",
     "listen() y accept() son para sockets TCP (csnet::sock_stream); un socket UDP solo llama a recvfrom() "
     "despues de bind()"},
    {hint::accept_not_listening,
     "accept() needs a listening socket: call listen() first, after bind() (a socket shut down with shutdown() "
     "accepts no more connections)",
     "accept() necesita un socket que escuche: llama primero a listen(), despues de bind() (un socket cerrado "
     "con shutdown() ya no acepta conexiones)"},
    {hint::listen_connected,
     "a connected socket cannot listen: a server creates its own socket, then bind(), listen(), accept()",
     "un socket conectado no puede escuchar: un servidor crea su propio socket, luego bind(), listen(), "
     "accept()"},
    {hint::already_connected, "this socket is already connected; a new connection needs a new socket",
     "este socket ya esta conectado; una conexion nueva necesita un socket nuevo"},
    {hint::too_many_files, "the program has too many sockets or files open: close the ones you no longer need",
     "el programa tiene demasiados sockets o archivos abiertos: cierra los que ya no necesites"},
    {hint::host_with_port, "\"{}\": the host and the port are separate: write {\"{}\", {}}",
     "\"{}\": el host y el puerto van separados: escribe {\"{}\", {}}"},
    {hint::bad_port, "a port is a number from 0 to 65535 (0 lets the system choose a free one)",
     "un puerto es un numero de 0 a 65535 (0 deja que el sistema elija uno libre)"},
    {hint::bad_port_short, "a port is a number from 0 to 65535", "un puerto es un numero de 0 a 65535"},
    {hint::bad_ipv4,
     "\"{}\" is not a valid IPv4 address: write four numbers from 0 to 255 separated by dots, like 127.0.0.1",
     "\"{}\" no es una direccion IPv4 valida: escribe cuatro numeros de 0 a 255 separados por puntos, como "
     "127.0.0.1"},
    {hint::bad_ipv4_decimal,
     "\"{}\" is not a valid IPv4 address: write four decimal numbers from 0 to 255 separated by dots, like "
     "127.0.0.1",
     "\"{}\" no es una direccion IPv4 valida: escribe cuatro numeros decimales de 0 a 255 separados por puntos, "
     "como 127.0.0.1"},
    {hint::bad_ipv6, "\"{}\" is not a valid IPv6 address (like ::1 or 2001:db8::7)",
     "\"{}\" no es una direccion IPv6 valida (como ::1 o 2001:db8::7)"},
    {hint::ipv6_brackets, "write an IPv6 address without brackets: \"::1\", not \"[::1]\"",
     "escribe una direccion IPv6 sin corchetes: \"::1\", no \"[::1]\""},
    {hint::ipv6_zone, "\"{}\": after % comes one interface name or number, as in fe80::1%eth0",
     "\"{}\": despues de % va un nombre o numero de interfaz, como en fe80::1%eth0"},
    {hint::ipv6_on_inet, "\"{}\" is an IPv6 address but this socket is AF_INET: create it with csnet::af_inet6",
     "\"{}\" es una direccion IPv6 pero este socket es AF_INET: crealo con csnet::af_inet6"},
    {hint::ipv4_on_inet6, "\"{}\" is an IPv4 address but this socket is AF_INET6: create it with csnet::af_inet",
     "\"{}\" es una direccion IPv4 pero este socket es AF_INET6: crealo con csnet::af_inet"},
    {hint::no_family_address, "\"{}\" has no {} address", "\"{}\" no tiene direccion {}"},
    {hint::bad_timeout, "a timeout is a number of seconds, 0 or more; settimeout(std::nullopt) means no timeout",
     "un timeout es un numero de segundos, 0 o mas; settimeout(std::nullopt) significa sin timeout"},
    {hint::size_too_large, "the size {} is too large (a negative number converted to std::size_t?)",
     "{} es demasiado grande (un numero negativo convertido a std::size_t?)"},
    {hint::nbytes_too_large, "nbytes ({}) is larger than the buffer ({} bytes)",
     "nbytes ({}) es mayor que el buffer ({} bytes)"},
    {hint::null_buffer, "the buffer's pointer is null", "el puntero del buffer es nulo"},
    {hint::dualstack_family, "dualstack_ipv6 needs family csnet::af_inet6",
     "dualstack_ipv6 necesita la familia csnet::af_inet6"},
    {hint::no_reuseport, "SO_REUSEPORT is not available on this system", "SO_REUSEPORT no existe en este sistema"},
    {hint::nul_in_host,
     "a host name or service never contains a NUL byte ('\\0'): the system would read only the text before it",
     "un nombre de host o servicio nunca contiene un byte NUL ('\\0'): el sistema solo leeria el texto de antes"},
    {hint::listen_on_connected,
     "this socket is connected (by connect() or accept()); a server listens on a new socket that it bound, and "
     "accept() gives it connected ones",
     "este socket esta conectado (por connect() o accept()); un servidor escucha en un socket nuevo que enlazo, "
     "y accept() le da los conectados"},
    {hint::connect_started,
     "the socket is non-blocking, so connect() only started the connection; wait until it is writable, then "
     "getsockopt(csnet::sol_socket, csnet::so_error) says how it ended (0: connected)",
     "el socket no bloquea, asi que connect() solo inicio la conexion; espera a que se pueda escribir en el, y "
     "getsockopt(csnet::sol_socket, csnet::so_error) dira como termino (0: conectado)"},
    {hint::shutdown_how,
     "how is csnet::shut_rd (stop reading), csnet::shut_wr (stop sending) or csnet::shut_rdwr (both)",
     "how es csnet::shut_rd (dejar de leer), csnet::shut_wr (dejar de enviar) o csnet::shut_rdwr (ambos)"},
    {hint::selector_registered_twice, "{} is already registered: use modify() to change its events",
     "{} ya esta registrado: usa modify() para cambiar sus eventos"},
    {hint::selector_not_registered, "{} is not registered: call register_() first",
     "{} no esta registrado: llama primero a register_()"},
    {hint::selector_closed_socket, "the socket is closed (or was moved from): only an open socket can be watched",
     "el socket esta cerrado (o fue movido): solo se puede vigilar un socket abierto"},
    {hint::selector_events,
     "events must be csnet::event_read, csnet::event_write or both (event_read | event_write), not {}",
     "events debe ser csnet::event_read, csnet::event_write o ambos (event_read | event_write), no {}"},
    {hint::selector_closed_while_registered,
     "{} was closed while it was registered: call unregister() before you close a socket",
     "{} se cerro mientras estaba registrado: llama a unregister() antes de cerrar un socket"},
};

// The row of a hint; {} in its text are filled with `values`, in order.
inline std::string say(hint id, std::initializer_list<std::string> values = {}) {
    const char* pattern = "";
    for (const hint_text& row : hint_table) {
        if (row.id == id) pattern = chosen_language() == language::spanish ? row.spanish : row.english;
    }
    std::string text;
    auto value = values.begin();
    for (const char* c = pattern; *c != '\0'; ++c) {
        if (c[0] == '{' && c[1] == '}' && value != values.end()) {
            text += *value++;
            ++c;
        } else {
            text += *c;
        }
    }
    return text;
}

// The pieces of a message found in place of the {} of a row. A row has at most
// four {} (tests/test_hints.cpp checks it); an array, not a std::vector: one
// std::vector type fewer for every program to compile.
struct gap_values {
    static constexpr std::size_t most = 4;
    std::string value[most];
    std::size_t count = 0;
};

// Does `text` read as `pattern`, with anything in place of each {}? The pieces
// found there go to `found`.
inline bool matches(const char* pattern, const std::string& text, gap_values& found) {
    found.count = 0;
    const std::string p = pattern;
    std::size_t at = 0;    // where we are in text
    std::size_t from = 0;  // where we are in the pattern
    bool after_gap = false;
    for (;;) {
        const std::size_t gap = p.find("{}", from);
        const std::string piece = p.substr(from, gap == std::string::npos ? std::string::npos : gap - from);
        std::size_t place = at;
        if (after_gap) {
            place = gap == std::string::npos
                        ? (text.size() >= piece.size() ? text.size() - piece.size() : std::string::npos)
                        : text.find(piece, at);
            if (place == std::string::npos || place < at || found.count == gap_values::most) return false;
            found.value[found.count++] = text.substr(at, place - at);
        }
        if (text.compare(place, piece.size(), piece) != 0) return false;
        at = place + piece.size();
        if (gap == std::string::npos) return at == text.size();
        from = gap + 2;
        after_gap = true;
    }
}

// csnet's own messages are written in English where they are found; this gives
// them in the chosen language (unchanged when no row of the table reads as them).
inline std::string translated(const std::string& english) {
    if (chosen_language() == language::english) return english;
    gap_values found;
    for (const hint_text& row : hint_table) {
        if (!matches(row.english, english, found)) continue;
        std::string text;
        std::size_t next = 0;
        for (const char* c = row.spanish; *c != '\0'; ++c) {
            if (c[0] == '{' && c[1] == '}' && next < found.count) {
                text += found.value[next++];
                ++c;
            } else {
                text += *c;
            }
        }
        return text;
    }
    return english;
}

// What the failed socket is, asked of the system only while an error is worded.
inline int socket_kind_of(native_handle_type s) {
    int kind = 0;
    address_length size = sizeof kind;
    if (s == invalid_native_handle ||
        ::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&kind), &size) != 0) {
        return 0;
    }
    return kind;
}

// The local (or, with peer, the remote) port of a socket; -1 when it has none.
inline int port_of(native_handle_type s, which_end end) {
    sockaddr_storage storage{};
    address_length size = sizeof storage;
    sockaddr* raw = reinterpret_cast<sockaddr*>(&storage);
    if (s == invalid_native_handle ||
        (end == which_end::peer ? ::getpeername(s, raw, &size) : ::getsockname(s, raw, &size)) != 0) {
        return -1;
    }
    if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return -1;
}

// One line of advice for the errors students meet most. Empty when there is
// nothing more useful to say than the error itself. The texts are in hint_table.
inline std::string advice(const std::error_code& code, const failure_context& where) {
    const bool spanish = chosen_language() == language::spanish;
    const int kind = socket_kind_of(where.handle);
    const bool udp = kind == SOCK_DGRAM;
    int port_number = where.port;
    if (port_number < 0 && code == std::errc::connection_refused) port_number = port_of(where.handle, which_end::peer);
    const std::string port = port_number >= 0 ? (spanish ? "el puerto " : "port ") + std::to_string(port_number)
                                              : (spanish ? "ese puerto" : "that port");
    const std::string call = where.call;
    if (code.category() == gai_category()) return say(hint::name_not_found);
    if (code == std::errc::address_in_use) {
        if (udp) return say(hint::port_in_use_udp, {port});
        if (reuse_address_is_exclusive()) return say(hint::port_in_use_other, {port});
        return say(reuse_address_set(where.handle) ? hint::port_in_use_reuse_set : hint::port_in_use, {port});
    }
    if (code == std::errc::connection_refused) return say(udp ? hint::refused_udp : hint::refused, {port});
    if (code == std::errc::permission_denied && call == "bind" && where.port > 0 && where.port < 1024) {
        return say(hint::low_port);
    }
    if (code == std::errc::permission_denied && call == "sendto") return say(hint::broadcast);
    if (code == std::errc::timed_out) {
        if (where.timeout >= 0) return say(hint::timed_out_after, {seconds_text(where.timeout)});
        return say(hint::timed_out);
    }
    const bool peer_gone =
        code == std::errc::broken_pipe || code == std::errc::connection_reset || code == std::errc::connection_aborted;
    // Linux says "broken pipe" (Wine "reset") for a TCP socket that never connected: it has no local port.
    if (peer_gone && kind == SOCK_STREAM && port_of(where.handle, which_end::local) <= 0)
        return say(hint::send_never_connected);
    if (code == std::errc::connection_reset || code == std::errc::connection_aborted) return say(hint::reset);
    if (code == std::errc::broken_pipe) return say(hint::broken_pipe);
    if (code == std::errc::address_not_available) return say(hint::no_such_address);
    if (code == std::errc::bad_file_descriptor) return say(hint::closed_socket);
    if (code == std::errc::not_connected && call == "shutdown") return say(hint::shutdown_not_connected);
    if (code == std::errc::not_connected) return say(udp ? hint::not_connected_udp : hint::not_connected);
    if (code == std::errc::destination_address_required) return say(hint::destination_required);
    // Windows: send() on a UDP socket that has no address yet (no connect, no bind) is "invalid argument".
    if (code == std::errc::invalid_argument && udp && (call == "send" || call == "sendall")) {
        return say(hint::destination_required);
    }
    if (code == std::errc::operation_would_block) return say(hint::would_block);
    if (code == std::errc::operation_in_progress) return say(hint::in_progress);
    if (code == std::errc::network_unreachable || code == std::errc::host_unreachable) return say(hint::unreachable);
    if (call == "socket") {
        const std::string created = where.arguments();  // "AF_UNSPEC, SOCK_STREAM"; "AF_?, ..." for 12345
        if (created.compare(0, 10, "AF_UNSPEC,") == 0) return say(hint::socket_family_unspec);
        if (created.compare(0, 4, "AF_?") == 0) return say(hint::socket_family_unknown);
    }
    if (code == std::errc::address_family_not_supported) return say(hint::family_mismatch);
    if ((code == std::errc::operation_not_supported || code == std::errc::invalid_argument) &&
        (call == "listen" || call == "accept")) {
        if (udp) return say(hint::listen_accept_udp);
        if (call == "accept") return say(hint::accept_not_listening);
        if (kind == SOCK_STREAM && port_of(where.handle, which_end::peer) >= 0) return say(hint::listen_connected);
        return "";
    }
    if (code == std::errc::already_connected) return say(hint::already_connected);
    if (code == std::errc::too_many_files_open) return say(hint::too_many_files);
    return "";
}

// "connect(127.0.0.1:9999): [Errno 111] Connection refused", a hint line, and the
// exception whose type follows the code. `what_happened` is Python's text of the error.
[[noreturn]] inline void throw_described(const std::error_code& code, const failure_context& where,
                                         const std::string& what_happened, const std::string& explanation,
                                         std::size_t bytes_sent) {
    std::string message = std::string(where.call) + "(" + where.arguments() + "): " + what_happened;
    std::string hint_line = explanation.empty() ? advice(code, where) : translated(explanation);
    if (!hint_line.empty()) {
        message += (chosen_language() == language::spanish ? "\npista: " : "\nhint: ") + hint_line;
    }
    if (code.category() == gai_category()) throw gaierror(code, message, bytes_sent);
    if (code == std::errc::timed_out) throw timeout(code, message, bytes_sent);
    throw error(code, message, bytes_sent);
}

[[noreturn]] inline void throw_error(const std::error_code& code, const failure_context& where,
                                     const std::string& explanation, std::size_t bytes_sent) {
    throw_described(code, where, python_style(code), explanation, bytes_sent);
}

// The socket's own timeout (settimeout) expired: Python says just "timed out".
[[noreturn]] inline void throw_timeout(const failure_context& where, std::size_t bytes_sent) {
    throw_described(std::make_error_code(std::errc::timed_out), where, "timed out", "", bytes_sent);
}

[[noreturn]] inline void raise_invalid(const failure_context& where, const std::string& explanation) {
    throw_error(std::make_error_code(std::errc::invalid_argument), where, explanation);
}

// ============================================================================
// 12. The trace: where CSNET_TRACE=1 and set_trace() send their lines
// ============================================================================

// Where trace lines go. `out` is read by every call (atomically, as other
// threads may be tracing); both fields change only under the trace lock, which
// also keeps lines from several threads from mixing. The lock is a word that
// holds the id of the process whose thread holds it (0: free), so that
//  - a waiting thread sleeps a little between tries instead of spinning;
//  - a child forked while another thread held it (that thread does not exist in
//    the child, and would never let go) sees another process's id, and takes it;
//  - a trace from inside the trace (a stream that itself uses csnet) is dropped,
//    not deadlocked: each thread knows whether it is inside.
// Every call asks tracing(): one load of a flag that needs no initialisation,
// 1 (on), 0 (off) or -1 (not known yet: the first call reads CSNET_TRACE).
inline std::atomic<int> trace_on{-1};

struct trace_state {
    std::atomic<void*> out{nullptr};  // nullptr: tracing is off
    trace_writer write = nullptr;
    std::atomic<long> holder{0};

    trace_state() {
        if (environment_says("CSNET_TRACE")) {
            write = [](void* stream, const char* text, std::size_t size) {
                if (standard_error_is_network()) return;  // never into a socket: see section 10
                (void)std::fwrite(text, 1, size, static_cast<std::FILE*>(stream));  // one call: one whole line
                (void)std::fflush(static_cast<std::FILE*>(stream));
            };
            out.store(stderr);
        }
        trace_on.store(out.load() != nullptr ? 1 : 0, std::memory_order_release);
    }
    static bool& inside() {  // this thread is writing a trace line
        static thread_local bool writing = false;
        return writing;
    }
    void lock() {
        const long me = process_id();
        for (int round = 0;; ++round) {
            long seen = 0;
            if (holder.compare_exchange_weak(seen, me, std::memory_order_acquire)) return;
            if (seen != 0 && seen != me && holder.compare_exchange_strong(seen, me, std::memory_order_acquire)) {
                return;  // held in the process we were forked from
            }
            pause_briefly(round);
        }
    }
    void unlock() { holder.store(0, std::memory_order_release); }
    void set(void* stream, trace_writer writer) {
        const bool nested = inside();  // set_trace() called by the trace stream itself: the lock is ours
        if (!nested) lock();
        write = writer;
        out.store(stream, std::memory_order_release);
        trace_on.store(stream != nullptr ? 1 : 0, std::memory_order_release);
        if (!nested) unlock();
    }
};

inline trace_state& tracer() {
    static trace_state state;  // reads CSNET_TRACE once, thread-safely
    return state;
}

CSNET_COLD inline bool tracing_first_asked() { return tracer().out.load(std::memory_order_acquire) != nullptr; }
inline bool tracing() {
    const int on = trace_on.load(std::memory_order_acquire);
    return on != 0 && (on > 0 || tracing_first_asked());
}

// Never throws: a stream that fails must not make a socket call fail.
inline void trace(const std::string& line) noexcept {
    trace_state& t = tracer();
    if (trace_state::inside()) return;  // from inside the trace stream: dropped
    try {
        const std::string text = "[csnet] " + line + "\n";
        trace_state::inside() = true;
        t.lock();
        try {
            void* stream = t.out.load(std::memory_order_relaxed);
            if (stream != nullptr) t.write(stream, text.data(), text.size());
        } catch (...) {
        }
        t.unlock();
        trace_state::inside() = false;
    } catch (...) {
    }
}

// The first bytes of some data, quoted as Python would show them.
inline std::string preview(const char* data, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string text = "\"";
    const std::size_t shown = size < 40 ? size : 40;
    for (std::size_t i = 0; i < shown; ++i) {
        const unsigned char c = static_cast<unsigned char>(data[i]);
        if (c == '"' || c == '\\') {
            text += '\\';
            text += static_cast<char>(c);
        } else if (c >= 32 && c < 127) {
            text += static_cast<char>(c);
        } else {
            text += "\\x";
            text += digits[c >> 4];
            text += digits[c & 15];
        }
    }
    text += size > shown ? "\"..." : "\"";
    return text;
}

inline std::string error_text(int code) { return "error: " + python_style(native_error(code)); }

// A NUL byte inside a host (or service) would cut it short where the system reads
// it: "127.0.0.1\0.evil.example" would connect to 127.0.0.1. Refused, as CPython does;
// the message shows the whole text, escaped. `rest` is the call's other arguments.
inline void refuse_nul(const char* call, const std::string& host, const std::string& rest) {
    if (host.find('\0') == std::string::npos && rest.find('\0') == std::string::npos) return;
    const auto arguments = [&] { return preview(host.data(), host.size()) + ", " + preview(rest.data(), rest.size()); };
    raise_invalid(lazy_context(call, arguments),
                  "a host name or service never contains a NUL byte ('\\0'): the system would read only "
                  "the text before it");
}

inline void set_trace_writer(void* stream, trace_writer writer) { tracer().set(stream, writer); }

// ============================================================================
// 13. Addresses inside: sockaddr, getaddrinfo
// ============================================================================

inline const char* name_of(address_family f) {
    switch (f) {
        case address_family::af_inet: return "AF_INET";
        case address_family::af_inet6: return "AF_INET6";
        case address_family::af_unspec: return "AF_UNSPEC";
    }
    return "AF_?";
}
inline const char* name_of(socket_kind k) {
    switch (k) {
        case socket_kind::sock_stream: return "SOCK_STREAM";
        case socket_kind::sock_dgram: return "SOCK_DGRAM";
    }
    return "SOCK_?";
}
inline const char* name_of(protocol p) {
    switch (p) {
        case protocol::ipproto_ip: return "IPPROTO_IP";
        case protocol::ipproto_tcp: return "IPPROTO_TCP";
        case protocol::ipproto_udp: return "IPPROTO_UDP";
    }
    return "IPPROTO_?";
}

// The numeric forms need no look-up; returns false for names.
inline bool socket_address::from_numeric(const address& a, address_family family) {
    if (const sockaddr* ready = ready_sockaddr(a, family)) {
        size = family == address_family::af_inet6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        std::memcpy(&storage, ready, static_cast<std::size_t>(size));
        return true;
    }
    // "" (every address of this machine) and "<broadcast>" take the socket's family.
    const bool want6 = family == address_family::af_inet6;
    std::memset(&storage, 0, want6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    if (want6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<std::uint16_t>(a.port_));
        size = sizeof(sockaddr_in6);
        return a.kind_ == address::host_kind::any;  // in6addr_any is all zeros
    }
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<std::uint16_t>(a.port_));
    size = sizeof(sockaddr_in);
    switch (a.kind_) {
        case address::host_kind::any: in4->sin_addr.s_addr = htonl(INADDR_ANY); return true;
        case address::host_kind::broadcast: in4->sin_addr.s_addr = htonl(INADDR_BROADCAST); return true;
        default: return false;  // a name, or a numeric address of the other family
    }
}

inline const sockaddr* ready_sockaddr(const address& a, address_family family) {
    if (family == address_family::af_inet && a.kind_ == address::host_kind::ipv4) {
        return reinterpret_cast<const sockaddr*>(&a.raw_.in4);
    }
    // "fe80::1%eth0" names its interface: getaddrinfo() turns the name into a number.
    if (family == address_family::af_inet6 && a.kind_ == address::host_kind::ipv6 &&
        a.host_.find('%') == std::string::npos) {
        return reinterpret_cast<const sockaddr*>(&a.raw_.in6);
    }
    return nullptr;
}

inline sockaddr* writable_sockaddr(address& a) { return reinterpret_cast<sockaddr*>(&a.raw_); }

inline void adopt_sockaddr(address& a) {
    if (a.raw_.in4.sin_family == AF_INET) {
        a.kind_ = address::host_kind::ipv4;
        a.port_ = ntohs(a.raw_.in4.sin_port);
    } else if (a.raw_.in6.sin6_family == AF_INET6) {
        a.kind_ = address::host_kind::ipv6;
        a.port_ = ntohs(a.raw_.in6.sin6_port);
        a.raw_.in6.sin6_flowinfo = 0;  // as an address typed by hand: sent back, it carries no flow label
    } else {
        a.raw_ = inet_sockaddr{};  // no address (recvfrom on a connected TCP socket): ("", 0)
        return;
    }
    a.text_pending_ = true;
}

inline address to_address(const socket_address& raw) {
    address result;
    if (raw.storage.ss_family == AF_INET) std::memcpy(&result.raw_, &raw.storage, sizeof(sockaddr_in));
    if (raw.storage.ss_family == AF_INET6) std::memcpy(&result.raw_, &raw.storage, sizeof(sockaddr_in6));
    adopt_sockaddr(result);
    return result;
}

// An address as an error message shows it: 127.0.0.1:9999, [::1]:9999, and the
// empty host (every address of this machine) as Python writes it: '':9999.
inline std::string shown(const address& a) {
    return a.host().empty() ? "'':" + std::to_string(a.port()) : a.to_string();
}

// Runs ::getaddrinfo and gives the answers; a failure is a csnet::gaierror that
// names `call` (the csnet call that needed the look-up).
inline std::vector<address_info> lookup(const std::string& host, const char* service, address_family family, int kind,
                                        const failure_context& where) {
    start_networking();
    addrinfo hints{};
    hints.ai_family = static_cast<int>(family);
    hints.ai_socktype = kind;
    addrinfo* answers = nullptr;
    const int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service, &hints, &answers);
    const int saved_errno = last_error();  // before anything else can change it
    struct release {                       // freeaddrinfo on every way out, exceptions included
        addrinfo* list;
        ~release() {
            if (list != nullptr) freeaddrinfo(list);
        }
    } owner{answers};
    if (tracing()) {
        trace("getaddrinfo(\"" + host + "\", " + (service ? service : "None") + ", " + name_of(family) +
              (kind ? std::string(", ") + name_of(static_cast<socket_kind>(kind)) : std::string()) + ") -> " +
              (status == 0 ? "ok" : gai_message(status)));
    }
    if (const int system_error = gai_system_error(status, saved_errno)) throw_error(native_error(system_error), where);
    if (status != 0) throw_error(std::error_code(status, gai_category()), where);
    // Glibc answers once per kind (stream, datagram, raw); Windows once, with kind
    // 0 meaning "any". Give the same list everywhere: a stream and a datagram answer
    // per address (SOCK_RAW answers are left out: csnet does not open raw sockets).
    // Counted first, then filled in place: cheaper to compile than push_back.
    std::size_t count = 0;
    for (const addrinfo* a = answers; a != nullptr; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
        if (a->ai_socktype == SOCK_STREAM || a->ai_socktype == SOCK_DGRAM || (a->ai_socktype == 0 && kind)) count += 1;
        if (a->ai_socktype == 0 && !kind) count += 2;
    }
    std::vector<address_info> results(count);
    std::size_t i = 0;
    for (const addrinfo* a = answers; a != nullptr; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
        int kinds[2] = {a->ai_socktype, 0};
        if (a->ai_socktype == 0) {
            kinds[0] = kind ? kind : SOCK_STREAM;
            kinds[1] = kind ? 0 : SOCK_DGRAM;
        } else if (a->ai_socktype != SOCK_STREAM && a->ai_socktype != SOCK_DGRAM) {
            continue;
        }
        socket_address raw;
        std::memcpy(&raw.storage, a->ai_addr, static_cast<std::size_t>(a->ai_addrlen));
        raw.size = static_cast<address_length>(a->ai_addrlen);
        for (int k : kinds) {
            if (k == 0) continue;
            address_info& info = results[i++];
            info.family = static_cast<address_family>(a->ai_family);
            info.type = static_cast<socket_kind>(k);
            info.proto =
                static_cast<protocol>(a->ai_protocol ? a->ai_protocol : (k == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP));
            info.canonname = a->ai_canonname ? a->ai_canonname : "";
            info.address = to_address(raw);
        }
    }
    return results;
}

// The sockaddr for `a` in the socket's family: numeric hosts directly, names

inline socket_address resolve(const address& a, address_family family, socket_kind type, const failure_context& where) {
    socket_address raw;
    if (raw.from_numeric(a, family)) return raw;
    if (family == address_family::af_inet && a.kind_ == address::host_kind::ipv6) {
        throw_error(
            detail::own_error(std::errc::address_family_not_supported), where,
            "\"" + a.host() + "\" is an IPv6 address but this socket is AF_INET: create it with csnet::af_inet6");
    }
    if (family == address_family::af_inet6 && a.kind_ == address::host_kind::ipv4) {
        throw_error(
            detail::own_error(std::errc::address_family_not_supported), where,
            "\"" + a.host() + "\" is an IPv4 address but this socket is AF_INET6: create it with csnet::af_inet");
    }
    const std::string port = std::to_string(a.port());
    std::vector<address_info> answers = lookup(a.host(), port.c_str(), family, static_cast<int>(type), where);
    if (answers.empty()) {
        throw_error(detail::own_error(std::errc::address_family_not_supported), where,
                    "\"" + a.host() + "\" has no " + name_of(family) + " address");
    }
    socket_address first;
    first.from_numeric(answers.front().address, family);
    return first;
}

}  // namespace detail

// ============================================================================
// 14. The bodies of public functions declared in sections 3-5
// ============================================================================

inline std::string to_string(address_family f) { return detail::name_of(f); }
inline std::string to_string(socket_kind k) { return detail::name_of(k); }
inline std::string to_string(protocol p) { return detail::name_of(p); }

inline const std::error_category& gai_category() {
    static const detail::gai_category_type category;
    return category;
}

inline address::address(std::string host, int port) : host_(std::move(host)), port_(port) {
    detail::refuse_nul("address", host_, std::to_string(port));
    const auto arguments = [&] { return "\"" + host_ + "\", " + std::to_string(port); };
    const detail::failure_context where = detail::lazy_context("address", arguments);
    if (port < 0 || port > 65535) {
        detail::raise_invalid(where, "a port is a number from 0 to 65535 (0 lets the system choose a free one)");
    }
    std::string problem = parse_host();
    if (!problem.empty()) detail::raise_invalid(where, problem);
}

// Exactly four decimal numbers 0..255, no leading zeros: the standard form.
// (inet_aton would also take "127.1" and "0x7f.1", which surprise students.)
inline bool address::parse_ipv4(const std::string& text, unsigned char* out) {
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= text.size() || text[i] != '.') return false;
            ++i;
        }
        std::size_t start = i;
        int value = 0;
        while (i < text.size() && is_digit(text[i]) && i - start < 4) value = value * 10 + (text[i++] - '0');
        const std::size_t length = i - start;
        if (length == 0 || length > 3 || value > 255 || (length > 1 && text[start] == '0')) return false;
        out[part] = static_cast<unsigned char>(value);
    }
    return i == text.size();
}

// Sorts the host text into any / name / IPv4 / IPv6 and keeps the binary
// form of a numeric address, so that using it later needs no look-up.
// Returns what is wrong with it, or "" when it is fine.
inline std::string address::parse_host() {
    if (host_.empty()) {
        kind_ = host_kind::any;
        return "";
    }
    if (host_ == "<broadcast>") {  // Python's name for 255.255.255.255
        kind_ = host_kind::broadcast;
        return "";
    }
    if (host_.front() == '[') {
        return "write an IPv6 address without brackets: \"::1\", not \"[::1]\"";
    }
    if (host_.find(':') != std::string::npos) {
        // "localhost:9999": one colon, then a port number. (An IPv6 address has two colons or more.)
        const std::size_t colon = host_.find(':');
        if (host_.find(':', colon + 1) == std::string::npos && colon + 1 < host_.size() &&
            host_.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
            return "\"" + host_ + "\": the host and the port are separate: write {\"" + host_.substr(0, colon) +
                   "\", " + host_.substr(colon + 1) + "}";
        }
        detail::start_networking();                   // Winsock's inet_pton wants WSAStartup first
        const std::size_t percent = host_.find('%');  // fe80::1%eth0: the zone (interface) after %
        if (percent != std::string::npos &&
            (percent + 1 == host_.size() || host_.find('%', percent + 1) != std::string::npos)) {
            return "\"" + host_ + "\": after % comes one interface name or number, as in fe80::1%eth0";
        }
        const std::string bare = host_.substr(0, percent);
        in6_addr binary{};
        if (inet_pton(AF_INET6, bare.c_str(), &binary) != 1) {
            return "\"" + host_ + "\" is not a valid IPv6 address (like ::1 or 2001:db8::7)";
        }
        kind_ = host_kind::ipv6;
        sockaddr_in6 in6{};  // (written whole: every field of the union member is set)
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(static_cast<std::uint16_t>(port_));
        in6.sin6_addr = binary;
        raw_.in6 = in6;
        return "";
    }
    bool numeric = true;
    for (char c : host_) numeric = numeric && (is_digit(c) || c == '.');
    if (numeric) {
        sockaddr_in in4{};
        if (!parse_ipv4(host_, reinterpret_cast<unsigned char*>(&in4.sin_addr))) {
            return "\"" + host_ +
                   "\" is not a valid IPv4 address: write four numbers from 0 to 255 "
                   "separated by dots, like 127.0.0.1";
        }
        kind_ = host_kind::ipv4;
        in4.sin_family = AF_INET;
        in4.sin_port = htons(static_cast<std::uint16_t>(port_));
        raw_.in4 = in4;
        return "";
    }
    // Hex and octal forms such as "0x7f.0.0.1" are not names: the system would
    // read them as numbers (inet_aton's old rules). Ask it, without any DNS query.
    if (host_.find_first_not_of("0123456789abcdefABCDEFxX.") == std::string::npos) {
        detail::start_networking();
        addrinfo hints{};
        hints.ai_family = AF_INET;
        hints.ai_flags = AI_NUMERICHOST;
        addrinfo* found = nullptr;
        if (::getaddrinfo(host_.c_str(), nullptr, &hints, &found) == 0) {
            freeaddrinfo(found);
            return "\"" + host_ +
                   "\" is not a valid IPv4 address: write four decimal numbers from 0 to 255 "
                   "separated by dots, like 127.0.0.1";
        }
    }
    kind_ = host_kind::name;
    return "";
}

// The text of an address that came from the system (accept, recvfrom, ...),
// written only when asked for: a server answering datagrams never needs it.
inline std::string address::numeric_text() const {
    char text[INET6_ADDRSTRLEN + 16] = {};
    if (kind_ == host_kind::ipv6) {
        in6_addr binary = raw_.in6.sin6_addr;  // (a copy: Winsock's inet_ntop takes a non-const pointer)
        inet_ntop(AF_INET6, &binary, text, sizeof text);
        const auto zone = static_cast<std::uint32_t>(raw_.in6.sin6_scope_id);
        if (zone != 0) return std::string(text) + "%" + std::to_string(zone);  // link-local zone
        return text;
    }
    // IPv4 by hand: glibc's inet_ntop formats it with sprintf, which is slow.
    const auto* bytes = reinterpret_cast<const unsigned char*>(&raw_.in4.sin_addr);
    char* out = text;
    for (int i = 0; i < 4; ++i) {
        const unsigned value = bytes[i];
        if (value >= 100) *out++ = static_cast<char>('0' + value / 100);
        if (value >= 10) *out++ = static_cast<char>('0' + value / 10 % 10);
        *out++ = static_cast<char>('0' + value % 10);
        if (i < 3) *out++ = '.';
    }
    return std::string(text, static_cast<std::size_t>(out - text));
}

}  // namespace csnet

#undef CSNET_COLD  // csnet's own: not left defined in the programs that include it

#endif  // CSNET_HPP
