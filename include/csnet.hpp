// csnet.hpp - sockets for the client-server model, the way Python writes them.
//
// One header, C++17, no dependency beyond the operating system's sockets
// (BSD sockets on Linux, macOS and the BSDs; Winsock 2 on Windows).
// MIT licence: see LICENSE. https://github.com/ (csnet project)
//
// How to read this file
// ---------------------
// It is written to be read by students, top to bottom, in the order of the
// course's Python report:
//
//   1. includes                       what each system header gives us
//   2. the platform layer             the ONLY place where Windows and POSIX differ
//   3. constants                      AF_INET, SOCK_STREAM, ... (and how they print)
//   4. errors                         csnet::error, csnet::timeout, csnet::gaierror
//   5. tracing                        CSNET_TRACE=1 prints every system call
//   6. address                        Python's ('127.0.0.1', 9999) tuple
//   7. class socket                   create, bind, listen, accept, connect,
//                                     recv, send/sendall, sendto/recvfrom, close
//   8. free functions                 create_connection, create_server, getaddrinfo, ...
//
// Each public call says which system call it makes. A csnet call makes the same
// system calls that a careful C program would, and nothing else: no threads, no
// hidden buffers.

#ifndef CSNET_HPP
#define CSNET_HPP

// ============================================================================
// 1. Includes
// ============================================================================

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
#  if defined(_MSC_VER) && defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
#    error "csnet: <windows.h> was included before <csnet.hpp> and brought in the old <winsock.h>. Fix: #include <csnet.hpp> before <windows.h>, or #define WIN32_LEAN_AND_MEAN before including <windows.h>."
#  endif
#  if defined(_WIN32_WINNT) && _WIN32_WINNT < 0x0600
#    error "csnet needs Windows Vista or later: define _WIN32_WINNT as 0x0600 or higher (or leave it undefined)."
#  endif
// Keep <windows.h> small and keep its min/max macros away from std::min/std::max,
// but leave the user's own settings exactly as they were.
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#    define CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#  endif
#  ifndef NOMINMAX
#    define NOMINMAX
#    define CSNET_UNDEF_NOMINMAX
#  endif
#  if defined(__MINGW32__) && defined(_WINSOCKAPI_) && !defined(_WINSOCK2API_)
#    undef _WINSOCKAPI_   // MinGW's old winsock.h came first (via <windows.h>): its winsock2.h copes, but would #warning
#  endif
#  include <winsock2.h>   // socket, bind, listen, accept, send, recv, select, ...
#  include <ws2tcpip.h>   // getaddrinfo, inet_pton, inet_ntop, socklen_t
#  include <windows.h>    // QueryPerformanceCounter, SetHandleInformation
#  ifdef CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#    undef WIN32_LEAN_AND_MEAN
#    undef CSNET_UNDEF_WIN32_LEAN_AND_MEAN
#  endif
#  ifdef CSNET_UNDEF_NOMINMAX
#    undef NOMINMAX
#    undef CSNET_UNDEF_NOMINMAX
#  endif
#  if defined(_MSC_VER)
#    pragma comment(lib, "ws2_32.lib")  // MSVC links Winsock by itself; MinGW needs -lws2_32
#  endif
#else
#  include <arpa/inet.h>   // inet_pton, inet_ntop: text <-> binary addresses
#  include <cerrno>        // errno, EINTR, EAGAIN, ...
#  include <fcntl.h>       // fcntl: non-blocking mode, close-on-exec
#  include <netdb.h>       // getaddrinfo, gai_strerror
#  include <netinet/in.h>  // sockaddr_in, sockaddr_in6, IPPROTO_TCP
#  include <netinet/tcp.h> // TCP_NODELAY
#  include <poll.h>        // poll: wait until a socket is ready (timeouts)
#  include <sys/socket.h>  // socket, bind, listen, accept, send, recv, ...
#  include <time.h>        // clock_gettime: a clock that never jumps
#  include <unistd.h>      // close, gethostname
#endif

namespace csnet {

// ============================================================================
// 2. The platform layer
// ----------------------------------------------------------------------------
// Everything that differs between Windows (Winsock) and POSIX stands here, in
// small functions with the same names on both sides. The rest of the file is
// written once, for both.
// ============================================================================

#if defined(_WIN32)

/// A socket as the operating system names it: a SOCKET on Windows.
using native_handle_type = SOCKET;
inline constexpr native_handle_type invalid_native_handle = INVALID_SOCKET;

namespace detail {

using io_length = int;        // Winsock's send/recv count bytes in an int
using address_length = int;   // and addresses' sizes too

inline constexpr int no_sigpipe_flag = 0;  // Windows has no SIGPIPE
inline constexpr int error_timed_out = WSAETIMEDOUT;

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
#  ifndef WSA_FLAG_NO_HANDLE_INHERIT
#    define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#  endif
inline native_handle_type open_socket(int family, int type, int proto) {
    SOCKET s = WSASocketW(family, type, proto, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
        // Windows before 7 SP1 does not know the flag: clear inheritance afterwards.
        s = WSASocketW(family, type, proto, nullptr, 0, WSA_FLAG_OVERLAPPED);
        if (s != INVALID_SOCKET) SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
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

inline int set_nonblocking(native_handle_type s, bool on) {
    u_long mode = on ? 1 : 0;
    return ioctlsocket(s, static_cast<long>(FIONBIO), &mode);
}

// Wait until the socket can be read (or written), at most `milliseconds`
// (-1: for ever). 1: ready, 0: time is up, -1: error. select() is used because
// it is the one call every Windows version (and Wine) has always had. A failed
// non-blocking connect is reported in the "except" set, so that set is watched
// when waiting to write (connect); not when reading, where it would also report
// urgent (out-of-band) data that recv() does not return.
inline int wait_ready(native_handle_type s, bool for_writing, int milliseconds) {
    fd_set ready;
    fd_set failed;
    FD_ZERO(&ready);
    FD_ZERO(&failed);
    FD_SET(s, &ready);
    FD_SET(s, &failed);
    timeval limit{milliseconds / 1000, (milliseconds % 1000) * 1000};
    int n = ::select(0, for_writing ? nullptr : &ready, for_writing ? &ready : nullptr,
                     for_writing ? &failed : nullptr, milliseconds < 0 ? nullptr : &limit);
    return n > 0 ? 1 : n;
}

inline double monotonic_seconds() {
    LARGE_INTEGER now;
    LARGE_INTEGER frequency;
    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&frequency);
    return static_cast<double>(now.QuadPart) / static_cast<double>(frequency.QuadPart);
}

inline bool environment_says(const char* name) {
#  if defined(_MSC_VER)
#    pragma warning(push)
#    pragma warning(disable : 4996)  // getenv is fine here: the value is read at once
#  endif
    const char* value = std::getenv(name);
#  if defined(_MSC_VER)
#    pragma warning(pop)
#  endif
    return value != nullptr && value[0] != '\0' && value[0] != '0';
}

inline std::string gai_message(int code) {
    std::string text = gai_strerrorA(code);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.' || text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
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
        case WSAEBADF: case WSAENOTSOCK: return std::errc::bad_file_descriptor;
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
        case WSAEAFNOSUPPORT: case WSAEPFNOSUPPORT: return std::errc::address_family_not_supported;
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
        case WSAEHOSTUNREACH: case WSAEHOSTDOWN: return std::errc::host_unreachable;
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

#else  // POSIX: Linux, macOS, the BSDs

/// A socket as the operating system names it: a file descriptor on POSIX.
using native_handle_type = int;
inline constexpr native_handle_type invalid_native_handle = -1;

namespace detail {

using io_length = std::size_t;
using address_length = socklen_t;

// Writing to a connection the peer has closed raises SIGPIPE, whose default
// action kills the process. csnet asks the kernel not to, call by call
// (MSG_NOSIGNAL), or socket by socket (SO_NOSIGPIPE on macOS and the BSDs),
// and never touches the process's signal settings.
#  if defined(MSG_NOSIGNAL)
inline constexpr int no_sigpipe_flag = MSG_NOSIGNAL;
#  else
inline constexpr int no_sigpipe_flag = 0;
#  endif
inline constexpr int error_timed_out = ETIMEDOUT;

inline void start_networking() {}  // nothing to start on POSIX

inline int last_error() { return errno; }
inline bool interrupted(int e) { return e == EINTR; }
inline bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }
inline bool connect_pending(int e) { return e == EINPROGRESS || e == EALREADY; }
inline bool message_truncated(int) { return false; }  // POSIX truncates a datagram silently

inline void set_close_on_exec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

// Sockets are not inherited by programs started with exec (as in Python, PEP 446).
inline native_handle_type open_socket(int family, int type, int proto) {
#  if defined(SOCK_CLOEXEC)
    int fd = ::socket(family, type | SOCK_CLOEXEC, proto);
#  else
    int fd = ::socket(family, type, proto);
    if (fd >= 0) set_close_on_exec(fd);
#  endif
#  if defined(SO_NOSIGPIPE)
    if (fd >= 0) {
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
    }
#  endif
    return fd;
}

inline native_handle_type accept_socket(native_handle_type listener, sockaddr* peer, address_length* size) {
#  if defined(__linux__) || defined(__FreeBSD__)
    return ::accept4(listener, peer, size, SOCK_CLOEXEC);
#  else
    int fd = ::accept(listener, peer, size);
    if (fd >= 0) set_close_on_exec(fd);
#    if defined(SO_NOSIGPIPE)
    if (fd >= 0) {
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
    }
#    endif
    return fd;
#  endif
}

// Linux's accept4 gives a blocking socket; macOS and the BSDs copy the listener's
// non-blocking flag to the accepted socket.
inline bool accept_inherits_nonblocking() {
#  if defined(__linux__)
    return false;
#  else
    return true;
#  endif
}

inline int close_socket(native_handle_type s) { return ::close(s); }

inline int set_nonblocking(native_handle_type s, bool on) {
    int flags = ::fcntl(s, F_GETFL);
    if (flags < 0) return -1;
    return ::fcntl(s, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

// Wait until the socket can be read (or written), at most `milliseconds`
// (-1: for ever). 1: ready, 0: time is up, -1: error (EINTR included).
inline int wait_ready(native_handle_type s, bool for_writing, int milliseconds) {
    pollfd entry{};
    entry.fd = s;
    entry.events = for_writing ? POLLOUT : POLLIN;
    int n = ::poll(&entry, 1, milliseconds);
    return n > 0 ? 1 : n;
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

#endif  // _WIN32

// Two atomic operations for the trace switch (section 5). GCC and Clang have
// them built in, which spares every program the cost of parsing <atomic>.
#if defined(_MSC_VER)
inline void* load_pointer(void* const* p) {
    return _InterlockedCompareExchangePointer(const_cast<void* volatile*>(p), nullptr, nullptr);
}
inline void store_pointer(void** p, void* value) { _InterlockedExchangePointer(p, value); }
inline char exchange_flag(char* flag, char value) { return _InterlockedExchange8(flag, value); }
#else
inline void* load_pointer(void* const* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void store_pointer(void** p, void* value) { __atomic_store_n(p, value, __ATOMIC_RELEASE); }
inline char exchange_flag(char* flag, char value) { return __atomic_exchange_n(flag, value, __ATOMIC_ACQ_REL); }
#endif

// From here on, nothing depends on the platform.

inline std::error_code native_error(int code) { return std::error_code(code, native_category()); }

inline io_length clamp_length(std::size_t size) {
    // One call moves at most 2 GiB - 1: the most an int (Winsock) can count.
    constexpr std::size_t most = 0x7fffffff;
    return static_cast<io_length>(size < most ? size : most);
}

}  // namespace detail

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
#endif
inline constexpr int msg_peek = MSG_PEEK;        // look at the data without taking it
// Wait until the whole buffer is full. Only on a blocking socket: with a timeout the
// socket is non-blocking inside (as in Python), and recv() returns what is there.
inline constexpr int msg_waitall = MSG_WAITALL;
#if defined(_WIN32)
inline constexpr int shut_rd = SD_RECEIVE;
inline constexpr int shut_wr = SD_SEND;
inline constexpr int shut_rdwr = SD_BOTH;
#else
inline constexpr int shut_rd = SHUT_RD;
inline constexpr int shut_wr = SHUT_WR;
inline constexpr int shut_rdwr = SHUT_RDWR;
#endif

/// listen()'s backlog when none is given: Python's choice, min(SOMAXCONN, 128).
inline constexpr int default_backlog = SOMAXCONN < 128 ? SOMAXCONN : 128;

namespace detail {
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
}  // namespace detail

/// "AF_INET", "SOCK_STREAM", "IPPROTO_IP": the names Python prints.
inline std::string to_string(address_family f) { return detail::name_of(f); }
inline std::string to_string(socket_kind k) { return detail::name_of(k); }
inline std::string to_string(protocol p) { return detail::name_of(p); }

// Written as templates over the stream so that this header needs only <iosfwd>,
// not all of <ostream>: the program that prints has <iostream> already.
template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, address_family f) {
    return out << detail::name_of(f);
}
template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, socket_kind k) {
    return out << detail::name_of(k);
}
template <class Traits>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, protocol p) {
    return out << detail::name_of(p);
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
//   bind(127.0.0.1:9999): [Errno 98] Address already in use
//   hint: another program is already using port 9999; stop it or choose another port
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

namespace detail {
class gai_category_type : public std::error_category {
public:
    const char* name() const noexcept override { return "getaddrinfo"; }
    std::string message(int code) const override { return gai_message(code); }
};
}  // namespace detail

/// The category of csnet::gaierror's codes: getaddrinfo's EAI_* values.
inline const std::error_category& gai_category() {
    static const detail::gai_category_type category;
    return category;
}

namespace detail {

// What a failing call knew, used only to word the error (never on the fast path).
struct failure_context {
    const char* call = "";   // "bind"
    std::string text;        // its arguments: "127.0.0.1:9999"
    int port = -1;           // the port involved, if any
    double timeout = -1;     // the socket's timeout, if one expired
    // Calls on the fast path (send, recv, ...) describe their arguments only
    // when they fail: formatting them on every call would cost time for nothing.
    const void* lazy_state = nullptr;
    std::string (*lazy_text)(const void*) = nullptr;

    std::string arguments() const { return lazy_text ? lazy_text(lazy_state) : text; }
};

// A context whose arguments are written by `describe()`, only if needed.
template <class Describe>
failure_context lazy_context(const char* call, const Describe& describe) {
    failure_context context;
    context.call = call;
    context.lazy_state = &describe;
    context.lazy_text = [](const void* state) { return (*static_cast<const Describe*>(state))(); };
    return context;
}

inline std::string python_style(const std::error_code& code, bool own_timeout) {
    if (own_timeout) return "timed out";  // Python: TimeoutError: timed out
    const char* label = (code.category() == native_category()) ? native_error_label() : "Errno";
    return "[" + std::string(label) + " " + std::to_string(code.value()) + "] " + code.message();
}

inline std::string seconds_text(double seconds) {
    std::string text = std::to_string(seconds);  // "0.200000"
    while (text.size() > 1 && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}

// One line of advice for the errors students meet most. Empty when there is
// nothing more useful to say than the error itself.
inline std::string advice(const std::error_code& code, const failure_context& where) {
    const std::string port = where.port >= 0 ? "port " + std::to_string(where.port) : "that port";
    const std::string call = where.call;
    if (code.category() == gai_category()) {
        return "the name could not be turned into an address: check its spelling, "
               "or use an IP address such as 127.0.0.1";
    }
    if (code == std::errc::address_in_use) {
        return "another program (or an earlier run of this one) is already using " + port +
               "; stop it, choose another port, or set so_reuseaddr before bind";
    }
    if (code == std::errc::connection_refused) {
        return "nothing is listening on " + port +
               " at that address: start the server first, and check the host and port";
    }
    if (code == std::errc::permission_denied && call == "bind" && where.port > 0 && where.port < 1024) {
        return "ports below 1024 are reserved for the administrator; choose a port above 1023, such as 9999";
    }
    if (code == std::errc::permission_denied && call == "sendto") {
        return "sending to a broadcast address needs setsockopt(csnet::sol_socket, csnet::so_broadcast, 1) first";
    }
    if (code == std::errc::timed_out) {
        if (where.timeout >= 0) {
            return "nothing happened within the " + seconds_text(where.timeout) +
                   " s set with settimeout(); is the other side running, and sending?";
        }
        return "the other side stopped answering: is it running, and is the network up?";
    }
    if (code == std::errc::connection_reset || code == std::errc::connection_aborted) {
        return "the peer closed the connection abruptly (it stopped, or closed without reading everything)";
    }
    if (code == std::errc::broken_pipe) {
        return "the peer has closed the connection: it will not read anything more";
    }
    if (code == std::errc::address_not_available) {
        return "this machine has no such address: bind to 127.0.0.1 (this machine only) or to \"\" (all its addresses)";
    }
    if (code == std::errc::bad_file_descriptor) {
        return "this socket is closed (or was moved from): create a new csnet::socket";
    }
    if (code == std::errc::not_connected) {
        return "call connect() first; a UDP socket can instead send with sendto(data, address)";
    }
    if (code == std::errc::operation_would_block) {
        return "the socket is non-blocking (settimeout(0) or setblocking(false)) and nothing was ready yet";
    }
    if (code == std::errc::operation_in_progress) {
        return "the socket is non-blocking, so connect() only started the connection; wait until it is writable";
    }
    if (code == std::errc::network_unreachable || code == std::errc::host_unreachable) {
        return "there is no route to that address: check the IP address and the network";
    }
    if (code == std::errc::address_family_not_supported) {
        return "the address and the socket are of different families: IPv6 addresses need csnet::af_inet6, "
               "IPv4 ones csnet::af_inet";
    }
    if ((code == std::errc::operation_not_supported || code == std::errc::invalid_argument) &&
        (call == "listen" || call == "accept")) {
        return "listen() and accept() are for TCP sockets (csnet::sock_stream), after bind(); "
               "a UDP socket just calls recvfrom()";
    }
    if (code == std::errc::already_connected) {
        return "this socket is already connected; a new connection needs a new socket";
    }
    if (code == std::errc::too_many_files_open) {
        return "the program has too many sockets or files open: close the ones you no longer need";
    }
    return "";
}

[[noreturn]] inline void throw_error(const std::error_code& code, const failure_context& where,
                               bool own_timeout = false, std::size_t bytes_sent = 0,
                               const std::string& explanation = "") {
    std::string message = std::string(where.call) + "(" + where.arguments() + "): " + python_style(code, own_timeout);
    std::string hint = explanation.empty() ? advice(code, where) : explanation;
    if (!hint.empty()) message += "\nhint: " + hint;
    if (code.category() == gai_category()) throw gaierror(code, message, bytes_sent);
    if (code == std::errc::timed_out) throw timeout(code, message, bytes_sent);
    throw error(code, message, bytes_sent);
}

[[noreturn]] inline void raise_invalid(const failure_context& where, const std::string& explanation) {
    throw_error(std::make_error_code(std::errc::invalid_argument), where, false, 0, explanation);
}

}  // namespace detail

// ============================================================================
// 5. Tracing: see every system call
// ----------------------------------------------------------------------------
// Run a program with CSNET_TRACE=1 in its environment (or call
// csnet::set_trace(&std::cerr)) and every system call is printed:
//   [csnet] socket(AF_INET, SOCK_STREAM) -> fd 3
//   [csnet] bind(fd 3, 127.0.0.1:9999) -> ok
//   [csnet] recv(fd 4, 19) -> 10 bytes "Hola mundo"
// Off, it costs one load and one branch per call.
// ============================================================================

namespace detail {

using trace_writer = void (*)(void* out, const char* text, std::size_t size);

// Where trace lines go. `out` is read by every call (atomically, as other
// threads may be tracing); both fields change only under the `busy` lock, which
// also keeps lines from several threads from mixing.
struct trace_state {
    void* out = nullptr;            // nullptr: tracing is off
    trace_writer write = nullptr;
    char busy = 0;

    trace_state() {
        if (environment_says("CSNET_TRACE")) {
            write = [](void* stream, const char* text, std::size_t size) {
                (void)std::fwrite(text, 1, size, static_cast<std::FILE*>(stream));  // one call: one whole line
                (void)std::fflush(static_cast<std::FILE*>(stream));
            };
            out = stderr;
        }
    }
    void lock() {
        while (exchange_flag(&busy, 1) != 0) {
        }
    }
    void unlock() { exchange_flag(&busy, 0); }
    void set(void* stream, trace_writer writer) {
        lock();
        write = writer;
        store_pointer(&out, stream);
        unlock();
    }
};

inline trace_state& tracer() {
    static trace_state state;  // reads CSNET_TRACE once, thread-safely
    return state;
}

inline bool tracing() { return load_pointer(&tracer().out) != nullptr; }

// Never throws: a stream that fails must not make a socket call fail.
inline void trace(const std::string& line) noexcept {
    trace_state& t = tracer();
    try {
        const std::string text = "[csnet] " + line + "\n";
        t.lock();
        try {
            if (t.out != nullptr) t.write(t.out, text.data(), text.size());
        } catch (...) {
        }
        t.unlock();
    } catch (...) {
    }
}

inline std::string handle_text(native_handle_type s) {
#if defined(_WIN32)
    return "socket " + std::to_string(static_cast<unsigned long long>(s));
#else
    return "fd " + std::to_string(s);
#endif
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

inline std::string error_text(int code) { return "error: " + python_style(native_error(code), false); }

}  // namespace detail

/// Print every system call on `out` (e.g. &std::cerr); nullptr stops.
/// Call it before starting threads that use sockets.
template <class Stream>
void set_trace(Stream* out) {
    detail::tracer().set(out, [](void* stream, const char* text, std::size_t size) {
        Stream& s = *static_cast<Stream*>(stream);
        s.write(text, static_cast<std::streamsize>(size));
        s.flush();
    });
}
inline void set_trace(std::nullptr_t) { detail::tracer().set(nullptr, nullptr); }

// ============================================================================
// 6. address: Python's (host, port) tuple
// ----------------------------------------------------------------------------
//   csnet::address server_address{"127.0.0.1", 9999};
//   auto [host, port] = client_address;          // like Python's tuple unpacking
// The constructor refuses, at once, what is certainly wrong: a port outside
// 0..65535, or a host that looks numeric but is not a valid address ("256.1.1.1",
// "1.2.3", "::g"). Names such as "localhost" are looked up later, by the call that
// needs an address (bind, connect, sendto), as Python does.
// ============================================================================

class address;
namespace detail {
struct socket_address;
address to_address(const socket_address& raw);
}  // namespace detail

class address {
public:
    /// ("", 0): any address of this machine, any port (the system picks one).
    address() = default;

    address(std::string host, int port) : host_(std::move(host)), port_(port) {
        const std::string call_args = "\"" + host_ + "\", " + std::to_string(port);
        if (port < 0 || port > 65535) {
            detail::raise_invalid({"address", call_args},
                                  "a port is a number from 0 to 65535 (0 lets the system choose a free one)");
        }
        std::string problem = classify();
        if (!problem.empty()) detail::raise_invalid({"address", call_args}, problem);
    }

    std::string host() const { return text_pending_ ? numeric_text() : host_; }
    int port() const noexcept { return port_; }

    /// "127.0.0.1:9999", or "[::1]:9999" for IPv6.
    std::string to_string() const {
        if (kind_ == text_kind::ipv6) return "[" + host() + "]:" + std::to_string(port_);
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

    enum class text_kind : unsigned char { any, name, ipv4, ipv6, broadcast };

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    // Exactly four decimal numbers 0..255, no leading zeros: the standard form.
    // (inet_aton would also take "127.1" and "0x7f.1", which surprise students.)
    static bool parse_ipv4(const std::string& text, unsigned char out[4]) {
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
    std::string classify() {
        if (host_.empty()) {
            kind_ = text_kind::any;
            return "";
        }
        if (host_ == "<broadcast>") {  // Python's name for 255.255.255.255
            kind_ = text_kind::broadcast;
            return "";
        }
        if (host_.front() == '[') {
            return "write an IPv6 address without brackets: \"::1\", not \"[::1]\"";
        }
        if (host_.find(':') != std::string::npos) {
            detail::start_networking();  // Winsock's inet_pton wants WSAStartup first
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
            kind_ = text_kind::ipv6;
            std::memcpy(bytes_, &binary, 16);
            return "";
        }
        bool numeric = true;
        for (char c : host_) numeric = numeric && (is_digit(c) || c == '.');
        if (numeric) {
            if (!parse_ipv4(host_, bytes_)) {
                return "\"" + host_ + "\" is not a valid IPv4 address: write four numbers from 0 to 255 "
                       "separated by dots, like 127.0.0.1";
            }
            kind_ = text_kind::ipv4;
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
                return "\"" + host_ + "\" is not a valid IPv4 address: write four decimal numbers from 0 to 255 "
                       "separated by dots, like 127.0.0.1";
            }
        }
        kind_ = text_kind::name;
        return "";
    }

    // The text of an address that came from the system (accept, recvfrom, ...),
    // written only when asked for: a server answering datagrams never needs it.
    std::string numeric_text() const {
        char text[INET6_ADDRSTRLEN + 16] = {};
        if (kind_ == text_kind::ipv6) {
            in6_addr binary{};
            std::memcpy(&binary, bytes_, 16);
            inet_ntop(AF_INET6, &binary, text, sizeof text);
            if (scope_id_ != 0) return std::string(text) + "%" + std::to_string(scope_id_);  // link-local zone
            return text;
        }
        // IPv4 by hand: glibc's inet_ntop formats it with sprintf, which is slow.
        char* out = text;
        for (int i = 0; i < 4; ++i) {
            const unsigned value = bytes_[i];
            if (value >= 100) *out++ = static_cast<char>('0' + value / 100);
            if (value >= 10) *out++ = static_cast<char>('0' + value / 10 % 10);
            *out++ = static_cast<char>('0' + value % 10);
            if (i < 3) *out++ = '.';
        }
        return std::string(text, static_cast<std::size_t>(out - text));
    }

    std::string host_;
    int port_ = 0;
    text_kind kind_ = text_kind::any;
    bool text_pending_ = false;     // host_ not written yet: numeric_text() gives it
    std::uint32_t scope_id_ = 0;    // IPv6 zone (interface index) of a link-local address
    unsigned char bytes_[16] = {};  // the numeric address, when there is one
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
namespace detail {

// A sockaddr big enough for IPv4 and IPv6: what the system calls take and give.
struct socket_address {
    sockaddr_storage storage;  // filled by the system call or by from_numeric()
    address_length size = sizeof(sockaddr_storage);

    socket_address() { storage.ss_family = AF_UNSPEC; }  // "no address" until filled

    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }

    // The numeric forms need no look-up; returns false for names.
    bool from_numeric(const address& a, address_family family) {
        const bool want6 = family == address_family::af_inet6;
        std::memset(&storage, 0, want6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
        if (want6) {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(static_cast<std::uint16_t>(a.port_));
            size = sizeof(sockaddr_in6);
            if (a.kind_ == address::text_kind::any) return true;  // in6addr_any is all zeros
            if (a.kind_ != address::text_kind::ipv6 || a.host_.find('%') != std::string::npos) return false;
            std::memcpy(&in6->sin6_addr, a.bytes_, 16);
            in6->sin6_scope_id = a.scope_id_;
            return true;
        }
        auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<std::uint16_t>(a.port_));
        size = sizeof(sockaddr_in);
        switch (a.kind_) {
        case address::text_kind::any: in4->sin_addr.s_addr = htonl(INADDR_ANY); return true;
        case address::text_kind::broadcast: in4->sin_addr.s_addr = htonl(INADDR_BROADCAST); return true;
        case address::text_kind::ipv4: std::memcpy(&in4->sin_addr, a.bytes_, 4); return true;
        default: return false;
        }
    }
};

inline address to_address(const socket_address& raw) {
    address result;
    if (raw.storage.ss_family == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(&raw.storage);
        result.port_ = ntohs(in4->sin_port);
        result.kind_ = address::text_kind::ipv4;
        std::memcpy(result.bytes_, &in4->sin_addr, 4);
    } else if (raw.storage.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&raw.storage);
        result.port_ = ntohs(in6->sin6_port);
        result.kind_ = address::text_kind::ipv6;
        std::memcpy(result.bytes_, &in6->sin6_addr, 16);
        result.scope_id_ = static_cast<std::uint32_t>(in6->sin6_scope_id);
    } else {
        return result;  // no address (e.g. recvfrom on a connected TCP socket): ("", 0)
    }
    result.text_pending_ = true;
    return result;
}

}  // namespace detail

// ============================================================================
// Name resolution: getaddrinfo (Python: socket.getaddrinfo)
// ============================================================================

/// One answer of getaddrinfo(): Python's (family, type, proto, canonname, sockaddr).
struct address_info {
    address_family family;
    socket_kind type;
    protocol proto;
    std::string canonname;
    csnet::address address;
};

namespace detail {

inline constexpr int any_kind = 0;  // getaddrinfo's "stream or datagram"

// Runs ::getaddrinfo and gives the answers; a failure is a csnet::gaierror that
// names `call` (the csnet call that needed the look-up).
inline std::vector<address_info> lookup(const std::string& host, const char* service, address_family family,
                                        int kind, const failure_context& where) {
    start_networking();
    addrinfo hints{};
    hints.ai_family = static_cast<int>(family);
    hints.ai_socktype = kind;
    addrinfo* answers = nullptr;
    const int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service, &hints, &answers);
    [[maybe_unused]] const int saved_errno = last_error();  // before anything else can change it
    struct release {  // freeaddrinfo on every way out, exceptions included
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
#if !defined(_WIN32) && defined(EAI_SYSTEM)
    if (status == EAI_SYSTEM) throw_error(native_error(saved_errno ? saved_errno : EIO), where);
#endif
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
            info.proto = static_cast<protocol>(a->ai_protocol ? a->ai_protocol
                                                               : (k == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP));
            info.canonname = a->ai_canonname ? a->ai_canonname : "";
            info.address = to_address(raw);
        }
    }
    return results;
}

// The sockaddr for `a` in the socket's family: numeric hosts directly, names
// through getaddrinfo (its first answer, as Python's bind/connect/sendto do).
inline socket_address resolve(const address& a, address_family family, socket_kind type,
                              const failure_context& where) {
    socket_address raw;
    if (raw.from_numeric(a, family)) return raw;
    if (family == address_family::af_inet && a.host().find(':') != std::string::npos) {
        throw_error(detail::own_error(std::errc::address_family_not_supported), where, false, 0,
              "\"" + a.host() + "\" is an IPv6 address but this socket is AF_INET: create it with csnet::af_inet6");
    }
    if (family == address_family::af_inet6 && a.host().find(':') == std::string::npos &&
        a.host().find_first_not_of("0123456789.") == std::string::npos) {
        throw_error(detail::own_error(std::errc::address_family_not_supported), where, false, 0,
              "\"" + a.host() + "\" is an IPv4 address but this socket is AF_INET6: create it with csnet::af_inet");
    }
    const std::string port = std::to_string(a.port());
    std::vector<address_info> answers = lookup(a.host(), port.c_str(), family, static_cast<int>(type), where);
    if (answers.empty()) {
        throw_error(detail::own_error(std::errc::address_family_not_supported), where, false, 0,
              "\"" + a.host() + "\" has no " + name_of(family) + " address");
    }
    socket_address first;
    first.from_numeric(answers.front().address, family);
    return first;
}

}  // namespace detail

/// getaddrinfo(): the addresses a host name and a port (a number, or a service
/// name such as "http") stand for, IPv6 and IPv4, for streams and datagrams.
/// Python: socket.getaddrinfo('localhost', 80)
inline std::vector<address_info> getaddrinfo(const std::string& host, const std::string& service,
                                             address_family family = af_unspec) {
    const detail::failure_context where{"getaddrinfo", "\"" + host + "\", \"" + service + "\""};
    return detail::lookup(host, service.c_str(), family, detail::any_kind, where);
}
/// getaddrinfo() for one kind only: Python: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
inline std::vector<address_info> getaddrinfo(const std::string& host, const std::string& service,
                                             address_family family, socket_kind type) {
    const detail::failure_context where{"getaddrinfo", "\"" + host + "\", \"" + service + "\""};
    return detail::lookup(host, service.c_str(), family, static_cast<int>(type), where);
}
inline std::vector<address_info> getaddrinfo(const std::string& host, int port, address_family family = af_unspec) {
    if (port < 0 || port > 65535) {
        detail::raise_invalid({"getaddrinfo", "\"" + host + "\", " + std::to_string(port), port},
                              "a port is a number from 0 to 65535");
    }
    return getaddrinfo(host, std::to_string(port), family);
}
inline std::vector<address_info> getaddrinfo(const std::string& host, int port, address_family family,
                                             socket_kind type) {
    if (port < 0 || port > 65535) {
        detail::raise_invalid({"getaddrinfo", "\"" + host + "\", " + std::to_string(port), port},
                              "a port is a number from 0 to 65535");
    }
    return getaddrinfo(host, std::to_string(port), family, type);
}

// ============================================================================
// 7. class socket
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
            detail::throw_error(detail::native_error(err), {"socket", creation_text()});
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
        const detail::failure_context where{"bind", local.to_string(), local.port()};
        check_open(where);
        const detail::socket_address raw = detail::resolve(local, family_, type_, where);
        const int result = ::bind(handle_, raw.get(), raw.size);
        finish_simple(result, where, "bind(" + detail::handle_text(handle_) + ", " + local.to_string() + ")");
    }

    // ---- listen ------------------------------------------------------------
    /// listen(): make a TCP socket accept connections. Python: sock.listen(1)
    /// From now on the operating system completes TCP's three-way handshake
    /// (SYN, SYN-ACK, ACK) with each client by itself, and queues the finished
    /// connections until the program calls accept(); `backlog` is about how long
    /// that queue may grow. UDP has no connections, so no listen().
    void listen(int backlog = default_backlog) {
        const detail::failure_context where{"listen", std::to_string(backlog)};
        check_open(where);
        const int result = ::listen(handle_, backlog < 0 ? 0 : backlog);
        finish_simple(result, where, "listen(" + detail::handle_text(handle_) + ", " + std::to_string(backlog) + ")");
    }

    // ---- accept ------------------------------------------------------------
    /// accept(): wait for a client; returns a NEW socket connected to it, and its
    /// address. Python: connection, client_address = sock.accept()
    /// accept() takes the oldest connection from listen()'s queue (waiting if it
    /// is empty). The handshake is already over: the client may have sent data.
    /// The listening socket goes on listening; each client gets its own socket.
    std::pair<socket, address> accept() {
        const detail::failure_context where{"accept", ""};
        check_open(where);
        detail::socket_address peer;
        native_handle_type accepted = invalid_native_handle;
        const call_result r = io(false, [&] {
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
        // A new connection starts blocking, without timeout, whatever the listener's.
        if (timeout_ >= 0 && detail::accept_inherits_nonblocking() && detail::set_nonblocking(accepted, false) != 0) {
            detail::throw_error(detail::native_error(detail::last_error()), where);  // `connection` closes it
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
        const auto arguments = [&] { return server.to_string(); };
        detail::failure_context where = detail::lazy_context("connect", arguments);
        where.port = server.port();
        where.timeout = timeout_;
        check_open(where);
        const int err = connect_to(server, where);
        if (err == timed_out_marker) detail::throw_error(std::make_error_code(std::errc::timed_out), where, true);
        if (err != 0) detail::throw_error(detail::native_error(err), where);
    }

    /// connect_ex(): like connect(), but returns the error number instead of
    /// throwing (0: connected). Python: sock.connect_ex(address)
    /// When the socket's own timeout expires it returns ETIMEDOUT (WSAETIMEDOUT on
    /// Windows), which says what happened; CPython returns EWOULDBLOCK there.
    int connect_ex(const address& server) {
        const auto arguments = [&] { return server.to_string(); };
        detail::failure_context where = detail::lazy_context("connect_ex", arguments);
        where.port = server.port();
        check_open(where);
        const int err = connect_to(server, where);
        return err == timed_out_marker ? detail::error_timed_out : err;
    }

    // ---- recv --------------------------------------------------------------
    /// recv(): read at most `bufsize` bytes of what has arrived, waiting if nothing
    /// has. An EMPTY result means the peer closed the connection.
    /// Python: data = connection.recv(19)
    /// TCP carries a stream of bytes, not messages: one send() of 10 bytes may
    /// arrive as one recv() of 10, or as two of 3 and 7, and two sends may arrive
    /// together. Loop until you have what you expect, as the report's server does.
    std::string recv(std::size_t bufsize, int flags = 0) {
        const auto arguments = [&] { return std::to_string(bufsize); };
        const detail::failure_context where = detail::lazy_context("recv", arguments);
        check_open(where);
        check_size(bufsize, where);
        std::string data(bufsize, '\0');
        if (bufsize == 0) return data;
        data.resize(receive(data.data(), bufsize, flags, nullptr, where));
        return data;
    }

    /// recv_into(): like recv(), but into memory you own: no allocation at all.
    /// nbytes 0 means the whole buffer. Returns how many bytes arrived (0: closed).
    std::size_t recv_into(mutable_buffer buffer, std::size_t nbytes = 0, int flags = 0) {
        const auto arguments = [&] { return std::to_string(nbytes); };
        const detail::failure_context where = detail::lazy_context("recv_into", arguments);
        check_open(where);
        const std::size_t size = checked_into_size(buffer, nbytes, where);
        return size == 0 ? 0 : receive(buffer.data, size, flags, nullptr, where);
    }

    // ---- send, sendall -----------------------------------------------------
    /// send(): send some of `data`; returns how many bytes the system took, which
    /// may be fewer than all. Python: sent = sock.send(data)
    std::size_t send(std::string_view data, int flags = 0) {
        const auto arguments = [&] { return detail::preview(data.data(), data.size()); };
        const detail::failure_context where = detail::lazy_context("send", arguments);
        check_open(where);
        double deadline = 0;
        const call_result r = io(true, [&] {
            return static_cast<long long>(
                ::send(handle_, data.data(), detail::clamp_length(data.size()), flags | detail::no_sigpipe_flag));
        }, &deadline);
        if (detail::tracing()) trace_transfer("send", data.size(), r, data.data());
        if (!r.ok()) fail(r, where);
        return static_cast<std::size_t>(r.value);
    }

    /// sendall(): send ALL of `data`, calling send() as often as needed (a single
    /// send may take only part of it). With a timeout, the timeout bounds the whole
    /// call. If it fails, e.bytes_sent() says how much had gone out.
    /// Python: connection.sendall(data)
    /// "Sent" means handed to this machine's operating system, which delivers it
    /// (and resends lost packets) in the background: not yet read by the peer.
    void sendall(std::string_view data, int flags = 0) {
        const auto arguments = [&] { return detail::preview(data.data(), data.size()); };
        const detail::failure_context where = detail::lazy_context("sendall", arguments);
        check_open(where);
        std::size_t sent = 0;
        double deadline = 0;  // one deadline for the whole call
        do {
            const char* rest = data.data() + sent;
            const std::size_t left = data.size() - sent;
            const call_result r = io(true, [&] {
                return static_cast<long long>(
                    ::send(handle_, rest, detail::clamp_length(left), flags | detail::no_sigpipe_flag));
            }, &deadline);
            if (detail::tracing()) trace_transfer("send", left, r, rest);
            if (!r.ok()) fail(r, where, sent);
            sent += static_cast<std::size_t>(r.value);
        } while (sent < data.size());
    }

    // A mutable char array would be read only up to its first NUL byte: say which
    // bytes to send with std::string_view(buffer, size) instead.
    template <std::size_t N> std::size_t send(char (&)[N], int = 0) = delete;
    template <std::size_t N> void sendall(char (&)[N], int = 0) = delete;
    template <std::size_t N> std::size_t sendto(char (&)[N], const address&, int = 0) = delete;

    // ---- sendto, recvfrom (UDP) --------------------------------------------
    /// sendto(): send one datagram to `destination` (UDP: no connection needed).
    /// Python: sock.sendto(data, ('127.0.0.1', 9999))
    std::size_t sendto(std::string_view data, const address& destination, int flags = 0) {
        const auto arguments = [&] { return detail::preview(data.data(), data.size()) + ", " + destination.to_string(); };
        detail::failure_context where = detail::lazy_context("sendto", arguments);
        where.port = destination.port();
        check_open(where);
        const detail::socket_address raw = detail::resolve(destination, family_, type_, where);
        double deadline = 0;
        const call_result r = io(true, [&] {
            return static_cast<long long>(::sendto(handle_, data.data(), detail::clamp_length(data.size()),
                                                   flags | detail::no_sigpipe_flag, raw.get(), raw.size));
        }, &deadline);
        if (detail::tracing()) {
            detail::trace("sendto(" + detail::handle_text(handle_) + ", " + detail::preview(data.data(), data.size()) +
                          ", " + destination.to_string() + ") -> " +
                          (r.ok() ? std::to_string(r.value) + " bytes" : r.text()));
        }
        if (!r.ok()) fail(r, where);
        return static_cast<std::size_t>(r.value);
    }

    /// recvfrom(): receive one datagram and who sent it. A datagram longer than
    /// `bufsize` is cut to `bufsize` bytes, on every system; the rest is lost.
    /// Python: data, address = sock.recvfrom(4096)
    std::pair<std::string, address> recvfrom(std::size_t bufsize, int flags = 0) {
        const auto arguments = [&] { return std::to_string(bufsize); };
        const detail::failure_context where = detail::lazy_context("recvfrom", arguments);
        check_open(where);
        check_size(bufsize, where);
        std::string data(bufsize, '\0');
        detail::socket_address sender;
        data.resize(receive(data.data(), bufsize, flags, &sender, where));
        return {std::move(data), detail::to_address(sender)};
    }

    /// recvfrom_into(): recvfrom() into memory you own (no allocation for the data).
    std::pair<std::size_t, address> recvfrom_into(mutable_buffer buffer, std::size_t nbytes = 0, int flags = 0) {
        const auto arguments = [&] { return std::to_string(nbytes); };
        const detail::failure_context where = detail::lazy_context("recvfrom_into", arguments);
        check_open(where);
        const std::size_t size = checked_into_size(buffer, nbytes, where);
        detail::socket_address sender;
        const std::size_t n = receive(buffer.data, size, flags, &sender, where);
        return {n, detail::to_address(sender)};
    }

    // ---- shutdown, close ---------------------------------------------------
    /// shutdown(): stop reading (shut_rd), writing (shut_wr) or both (shut_rdwr),
    /// and tell the peer; the socket stays open until close().
    void shutdown(int how) {
        const detail::failure_context where{"shutdown", std::to_string(how)};
        check_open(where);
        const int result = ::shutdown(handle_, how);
        finish_simple(result, where, "shutdown(" + detail::handle_text(handle_) + ", " + std::to_string(how) + ")");
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
        const detail::failure_context where{"settimeout", detail::seconds_text(seconds)};
        if (!(seconds >= 0)) {  // also catches NaN
            detail::raise_invalid(where, "a timeout is a number of seconds, 0 or more; "
                                         "settimeout(std::nullopt) means no timeout");
        }
        set_mode(seconds, where);
    }
    /// settimeout(std::nullopt): no timeout; calls block until they can finish.
    void settimeout(std::nullopt_t) { set_mode(-1, {"settimeout", "None"}); }
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
        const detail::failure_context where{"setsockopt", option_text(level, option) + ", " + std::to_string(value)};
        check_open(where);
#if defined(_WIN32)
        if (level == SOL_SOCKET && option == SO_REUSEADDR) {
            int exclusive = 1;
            const int result = ::setsockopt(handle_, SOL_SOCKET, SO_EXCLUSIVEADDRUSE,
                                            reinterpret_cast<const char*>(&exclusive), sizeof exclusive);
            finish_simple(result, where, "setsockopt(" + detail::handle_text(handle_) + ", SO_EXCLUSIVEADDRUSE, 1)");
            reuse_address_ = value != 0;
            return;
        }
#endif
        const int result = ::setsockopt(handle_, level, option, reinterpret_cast<const char*>(&value), sizeof value);
        finish_simple(result, where, "setsockopt(" + detail::handle_text(handle_) + ", " + where.arguments() + ")");
    }
    void setsockopt(protocol level, int option, int value) { setsockopt(static_cast<int>(level), option, value); }

    /// getsockopt(): read an option's value (an int).
    int getsockopt(int level, int option) const {
        const detail::failure_context where{"getsockopt", option_text(level, option)};
        check_open(where);
#if defined(_WIN32)
        if (level == SOL_SOCKET && option == SO_REUSEADDR) return reuse_address_ ? 1 : 0;
#endif
        int value = 0;
        detail::address_length size = sizeof value;
        const int result = ::getsockopt(handle_, level, option, reinterpret_cast<char*>(&value), &size);
        const int err = result != 0 ? detail::last_error() : 0;
        if (detail::tracing()) {
            detail::trace("getsockopt(" + detail::handle_text(handle_) + ", " + where.arguments() + ") -> " +
                          (err ? detail::error_text(err) : std::to_string(value)));
        }
        if (err) detail::throw_error(detail::native_error(err), where);
        return value;
    }
    int getsockopt(protocol level, int option) const { return getsockopt(static_cast<int>(level), option); }

    // ---- who is who --------------------------------------------------------
    /// getsockname(): this socket's own address (after bind with port 0: the port chosen).
    address getsockname() const { return name_query(false); }
    /// getpeername(): the address of the connected peer.
    address getpeername() const { return name_query(true); }

    address_family family() const noexcept { return family_; }
    socket_kind type() const noexcept { return type_; }
    protocol proto() const noexcept { return proto_; }

    /// The operating system's handle (a file descriptor on POSIX, a SOCKET on Windows).
    native_handle_type fileno() const {
        check_open({"fileno", ""});
        return handle_;
    }
    /// detach(): give up ownership: returns the handle, which you must now close.
    native_handle_type detach() {
        check_open({"detach", ""});
        const native_handle_type h = handle_;
        handle_ = invalid_native_handle;
        return h;
    }
    /// True while the socket is open.
    explicit operator bool() const noexcept { return handle_ != invalid_native_handle; }

private:
    static constexpr int timed_out_marker = -1;  // "our own timeout expired" (errno values are > 0)

    struct call_result {
        long long value = 0;    // >= 0: the system call's result
        int error = 0;          // the error number when it failed
        bool timed_out = false; // csnet's own timeout expired
        bool ok() const { return value >= 0; }
        std::string text() const {
            return timed_out ? std::string("timed out") : detail::error_text(error);
        }
    };

    void take(socket& other) noexcept {
        handle_ = other.handle_;
        family_ = other.family_;
        type_ = other.type_;
        proto_ = other.proto_;
        timeout_ = other.timeout_;
        reuse_address_ = other.reuse_address_;
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
        if (handle_ == invalid_native_handle) {
            detail::throw_error(std::make_error_code(std::errc::bad_file_descriptor), where);
        }
    }

    // A size_t that a negative int became is huge: refuse it before the OS sees it.
    static void check_size(std::size_t size, const detail::failure_context& where) {
        if (size > 0x7fffffff) {
            detail::raise_invalid(where, "the size " + std::to_string(size) +
                                             " is too large (a negative number converted to std::size_t?)");
        }
    }

    static std::size_t checked_into_size(const mutable_buffer& buffer, std::size_t nbytes,
                                         const detail::failure_context& where) {
        check_size(nbytes, where);
        check_size(buffer.size, where);  // mutable_buffer{p, total - used} gone negative
        if (nbytes > buffer.size) {
            detail::raise_invalid(where, "nbytes (" + std::to_string(nbytes) + ") is larger than the buffer (" +
                                             std::to_string(buffer.size) + " bytes)");
        }
        if (buffer.data == nullptr && buffer.size > 0) detail::raise_invalid(where, "the buffer's pointer is null");
        return nbytes == 0 ? buffer.size : nbytes;
    }

    // Finishes a call that returns 0 or -1 (bind, listen, shutdown, setsockopt).
    void finish_simple(int result, const detail::failure_context& where, const std::string& trace_call) const {
        const int err = result != 0 ? detail::last_error() : 0;
        if (detail::tracing()) detail::trace(trace_call + " -> " + (err ? detail::error_text(err) : "ok"));
        if (err) detail::throw_error(detail::native_error(err), where);
    }

    [[noreturn]] void fail(const call_result& r, const detail::failure_context& where, std::size_t sent = 0) const {
        detail::failure_context context = where;
        context.timeout = timeout_;
        if (r.timed_out) detail::throw_error(std::make_error_code(std::errc::timed_out), context, true, sent);
        detail::throw_error(detail::native_error(r.error), context, false, sent);
    }

    // The heart of every call that may have to wait, done the way Python does it:
    //  - EINTR (a signal arrived) is not an error: call again (PEP 475);
    //  - with a timeout, the socket is non-blocking: when the call would block,
    //    wait with poll()/select() until it is ready or the deadline passes.
    // `deadline` (0: not yet known) is shared by the calls of one sendall().
    template <class SystemCall>
    call_result io(bool for_writing, SystemCall&& system_call, double* deadline = nullptr) {
        double local_deadline = 0;
        double& limit = deadline ? *deadline : local_deadline;
        call_result r;
        for (;;) {
            r.value = system_call();
            if (r.value >= 0) return r;
            r.error = detail::last_error();
            if (detail::interrupted(r.error)) continue;
            if (timeout_ <= 0 || !detail::would_block(r.error)) return r;
            const int ready = wait_until(for_writing, limit);
            if (ready == 0) r.timed_out = true;
            if (ready < 0) r.error = detail::last_error();
            if (ready <= 0) return r;
        }
    }

    // Waits for readiness until the deadline (computed on first use).
    // 1: ready; 0: time is up; -1: poll/select failed (the error is in last_error()).
    int wait_until(bool for_writing, double& deadline) const {
        if (deadline == 0) deadline = detail::monotonic_seconds() + timeout_;
        for (;;) {
            const double left = deadline - detail::monotonic_seconds();
            if (left <= 0) return 0;
            const double ms = left * 1000.0 + 0.999;  // round up: never wake early
            const int ready = detail::wait_ready(handle_, for_writing, ms > 2e9 ? 2000000000 : static_cast<int>(ms));
            if (ready > 0) return 1;
            if (ready < 0 && !detail::interrupted(detail::last_error())) return -1;
            // 0 (time up) or EINTR: loop, re-checking the time left
        }
    }

    // recv, recv_into, recvfrom and recvfrom_into all come here.
    std::size_t receive(char* into, std::size_t size, int flags, detail::socket_address* sender,
                        const detail::failure_context& where) {
        const call_result r = io(false, [&] {
            long long n;
            if (sender) {
                sender->size = sizeof(sender->storage);
                n = static_cast<long long>(
                    ::recvfrom(handle_, into, detail::clamp_length(size), flags, sender->get(), &sender->size));
            } else {
                n = static_cast<long long>(::recv(handle_, into, detail::clamp_length(size), flags));
            }
            // Winsock reports a datagram longer than the buffer as WSAEMSGSIZE, with
            // the buffer filled: give the same result as POSIX (the first bytes).
            if (n < 0 && type_ == socket_kind::sock_dgram && detail::message_truncated(detail::last_error())) {
                n = static_cast<long long>(size);
            }
            return n;
        });
        if (detail::tracing()) trace_transfer(sender ? "recvfrom" : "recv", size, r, into);
        if (!r.ok()) fail(r, where);
        return static_cast<std::size_t>(r.value);
    }

    void trace_transfer(const char* call, std::size_t size, const call_result& r, const char* data) const {
        std::string line = std::string(call) + "(" + detail::handle_text(handle_) + ", " + std::to_string(size) + ") -> ";
        if (r.ok()) {
            line += std::to_string(r.value) + " bytes";
            if (r.value > 0) line += " " + detail::preview(data, static_cast<std::size_t>(r.value));
        } else {
            line += r.text();
        }
        detail::trace(line);
    }

    // connect() and connect_ex(): 0, an error number, or timed_out_marker.
    int connect_to(const address& server, const detail::failure_context& where) {
        const detail::socket_address raw = detail::resolve(server, family_, type_, where);
        int err = ::connect(handle_, raw.get(), raw.size) == 0 ? 0 : detail::last_error();
        // Interrupted by a signal, or (with a timeout) still in progress: the
        // connection goes on in the background; wait until the socket is writable,
        // then ask it how the connection ended (SO_ERROR).
        if (err != 0 && (detail::interrupted(err) || (timeout_ > 0 && detail::connect_pending(err)))) {
            double deadline = 0;
            int ready = 1;
            if (timeout_ > 0) {
                ready = wait_until(true, deadline);
            } else {
                // A blocking socket: wait for ever (again after each signal).
                do {
                    ready = detail::wait_ready(handle_, true, -1);
                } while (ready < 0 && detail::interrupted(detail::last_error()));
            }
            if (ready == 0) {
                err = timed_out_marker;
            } else if (ready < 0) {
                err = detail::last_error();  // poll/select itself failed
            } else {
                int status = 0;
                detail::address_length size = sizeof status;
                err = ::getsockopt(handle_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&status), &size) == 0
                          ? status
                          : detail::last_error();
            }
        }
        if (detail::tracing()) {
            detail::trace("connect(" + detail::handle_text(handle_) + ", " + server.to_string() + ") -> " +
                          (err == 0 ? std::string("ok") : err == timed_out_marker ? "timed out" : detail::error_text(err)));
        }
        return err;
    }

    void set_mode(double seconds, const detail::failure_context& where) {
        check_open(where);
        const bool nonblocking = seconds >= 0;
        if ((timeout_ >= 0) != nonblocking) {
            const int result = detail::set_nonblocking(handle_, nonblocking);
            finish_simple(result, where, std::string(nonblocking ? "set non-blocking(" : "set blocking(") +
                                             detail::handle_text(handle_) + ")");
        }
        timeout_ = seconds;
    }

    address name_query(bool peer) const {
        const detail::failure_context where{peer ? "getpeername" : "getsockname", ""};
        check_open(where);
        detail::socket_address raw;
        const int result = peer ? ::getpeername(handle_, raw.get(), &raw.size)
                                : ::getsockname(handle_, raw.get(), &raw.size);
        const int err = result != 0 ? detail::last_error() : 0;
        address a = err ? address() : detail::to_address(raw);
        if (detail::tracing()) {
            detail::trace(std::string(where.call) + "(" + detail::handle_text(handle_) + ") -> " +
                          (err ? detail::error_text(err) : a.to_string()));
        }
        if (err) detail::throw_error(detail::native_error(err), where);
        return a;
    }

    native_handle_type handle_ = invalid_native_handle;
    address_family family_ = af_inet;
    socket_kind type_ = sock_stream;
    protocol proto_ = ipproto_ip;
    double timeout_ = -1;         // < 0: none (blocking); 0: non-blocking; > 0: seconds
    bool reuse_address_ = false;  // what so_reuseaddr reads back on Windows
};

// ============================================================================
// 8. Free functions, as in Python's socket module
// ============================================================================

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
    const detail::failure_context where{"create_connection", server.to_string(), server.port(), timeout ? *timeout : -1};
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
    const detail::failure_context where{"create_server", local.to_string(), local.port()};
    if (dualstack_ipv6 && family != af_inet6) {
        detail::raise_invalid(where, "dualstack_ipv6 needs family csnet::af_inet6");
    }
    socket s(family, sock_stream);
    s.setsockopt(sol_socket, so_reuseaddr, 1);
    if (reuse_port) {
#if defined(SO_REUSEPORT)
        s.setsockopt(sol_socket, SO_REUSEPORT, 1);
#else
        detail::throw_error(detail::own_error(std::errc::operation_not_supported), where, false, 0,
                      "SO_REUSEPORT is not available on this system");
#endif
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
        detail::throw_error(detail::native_error(detail::last_error()), {"gethostname", ""});
    }
    return name;
}

/// gethostbyname(): the IPv4 address of `host`, as text ("127.0.0.1").
inline std::string gethostbyname(const std::string& host) {
    const address a(host, 0);
    detail::socket_address numeric;
    if (numeric.from_numeric(a, af_inet)) return detail::to_address(numeric).host();
    const detail::failure_context where{"gethostbyname", "\"" + host + "\""};
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

}  // namespace csnet

#endif  // CSNET_HPP
