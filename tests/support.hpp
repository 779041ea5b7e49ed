// support.hpp: small helpers shared by csnet's tests.
//
// Everything here runs over real loopback sockets (127.0.0.1 and ::1), binds
// port 0 and asks getsockname() which port it got, and never sleeps to wait
// for another thread: a server socket is listening before any client starts.
#pragma once

#include <csnet.hpp>

#include <doctest/doctest.h>

#include <chrono>        // std::chrono::steady_clock
#include <cstddef>       // std::size_t
#include <ostream>       // printing csnet values in failure messages
#include <string>        // std::string
#include <system_error>  // std::error_code, std::errc
#include <utility>       // std::move

#ifdef _WIN32
#    include <windows.h>  // GetProcessHandleCount, GetModuleHandleA (after csnet.hpp: MinGW takes either order)
#else
#    include <dirent.h>  // opendir, readdir: count the entries of /proc/self/fd
#endif
#if defined(__linux__)
#    include <fstream>        // std::ifstream: /proc/self/task/<tid>/stat
#    include <sys/syscall.h>  // SYS_gettid
#    include <unistd.h>       // syscall
#endif

// Failure messages show an error code as "generic:111 (Connection refused)".
namespace doctest {
template <>
struct StringMaker<std::error_code> {
    static String convert(const std::error_code& code) {
        const std::string text =
            std::string(code.category().name()) + ":" + std::to_string(code.value()) + " (" + code.message() + ")";
        return String(text.c_str());
    }
};
}  // namespace doctest

namespace csnet_test {

// -- Time ---------------------------------------------------------------------

/// Seconds since construction, on the steady clock.
class stopwatch {
public:
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// -- Loopback -----------------------------------------------------------------

inline const char* loopback(csnet::address_family family) { return family == csnet::af_inet6 ? "::1" : "127.0.0.1"; }

/// True when this machine can bind a socket to ::1.
inline bool ipv6_loopback_available() {
    try {
        csnet::socket s(csnet::af_inet6, csnet::sock_stream);
        s.bind(csnet::address{"::1", 0});
        return true;
    } catch (const csnet::error&) {
        return false;
    }
}

/// A TCP socket bound to the loopback address on a port the system chose, listening.
inline csnet::socket listening_socket(csnet::address_family family = csnet::af_inet, int backlog = 8) {
    csnet::socket s(family, csnet::sock_stream);
    s.bind(csnet::address{loopback(family), 0});
    s.listen(backlog);
    return s;
}

/// A UDP socket bound to the loopback address on a port the system chose.
inline csnet::socket bound_udp_socket(csnet::address_family family = csnet::af_inet) {
    csnet::socket s(family, csnet::sock_dgram);
    s.bind(csnet::address{loopback(family), 0});
    return s;
}

/// Both ends of one TCP connection over loopback. The client connects, then
/// the server accepts: the connection waits in the listen queue meanwhile,
/// so no thread is needed.
struct tcp_pair {
    csnet::socket client;
    csnet::socket server;
};

inline tcp_pair connected_pair(csnet::address_family family = csnet::af_inet) {
    csnet::socket listener = listening_socket(family, 1);
    csnet::socket client(family, csnet::sock_stream);
    client.connect(listener.getsockname());
    auto accepted = listener.accept();
    return tcp_pair{std::move(client), std::move(accepted.first)};
}

/// A port on 127.0.0.1 where nothing listens: the returned socket holds it
/// (bound, never listening), so no other program can start listening there
/// while the test runs. Connecting to it is refused.
inline csnet::socket reserved_port_without_listener(csnet::address_family family = csnet::af_inet) {
    csnet::socket s(family, csnet::sock_stream);
    s.bind(csnet::address{loopback(family), 0});
    return s;
}

/// A byte pattern that is easy to check and not periodic in 256: position i
/// holds a byte derived from i, so a lost or duplicated chunk is noticed.
inline char pattern_byte(std::size_t i) { return static_cast<char>((i * 7u + i / 251u) & 0xFFu); }

inline std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        s[i] = pattern_byte(i);
    }
    return s;
}

// -- Errors -------------------------------------------------------------------

/// What a user sees of a csnet exception.
struct caught {
    bool thrown = false;
    std::error_code code;
    std::string what;
    std::size_t bytes_sent = 0;
};

/// Runs f and reports the exception of type E it threw (E must be csnet::error
/// or derived). Any other exception escapes and fails the test.
template <class E, class F>
caught catch_as(F&& f) {
    caught c;
    try {
        f();
    } catch (const E& e) {
        c.thrown = true;
        c.code = e.code();
        c.what = e.what();
        c.bytes_sent = e.bytes_sent();
    }
    return c;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

/// How an operating-system error number is tagged in what(), as Python
/// prints it: "[Errno 111] ..." on POSIX, "[WinError 10061] ..." on Windows.
inline std::string os_error_tag() {
#ifdef _WIN32
    return "[WinError ";
#else
    return "[Errno ";
#endif
}

/// True when this Windows program runs under Wine (whose Winsock differs from
/// Windows' in a few documented places; the tests say so where it matters).
inline bool running_under_wine() {
#ifdef _WIN32
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
#else
    return false;
#endif
}

/// The hint line csnet adds for common errors: "\nhint: ...".
inline bool has_hint(const std::string& what) { return contains(what, "\nhint: "); }

// -- Open handles ---------------------------------------------------------------

/// How many file descriptors (POSIX) or handles (Windows) the process holds,
/// or -1 if this system cannot say.
inline long open_handle_count() {
#ifdef _WIN32
    DWORD n = 0;
    if (GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0) {
        return static_cast<long>(n);
    }
    // Wine answers 0: count the handle values that name something instead.
    long valid = 0;
    for (ULONG_PTR value = 4; value < 65536; value += 4) {
        DWORD flags = 0;
        if (GetHandleInformation(reinterpret_cast<HANDLE>(value), &flags)) {
            ++valid;
        }
    }
    return valid;
#else
#    if defined(__linux__)
    const char* dir_name = "/proc/self/fd";
#    else
    const char* dir_name = "/dev/fd";
#    endif
    DIR* dir = opendir(dir_name);
    if (dir == nullptr) {
        return -1;
    }
    long n = 0;
    while (readdir(dir) != nullptr) {
        ++n;
    }
    closedir(dir);
    return n;
#endif
}

#if defined(__linux__)
/// The calling thread's id, as /proc/self/task names it.
inline long current_tid() { return static_cast<long>(syscall(SYS_gettid)); }

/// True when the thread is asleep in the kernel (state S in /proc), e.g. blocked
/// in recv(): a test can wait for that instead of sleeping and hoping.
inline bool thread_is_sleeping(long tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close_paren = line.rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] == 'S';
}
#endif

}  // namespace csnet_test

/// Skips the rest of a test case, with a message, when ::1 cannot be used.
#define CSNET_REQUIRE_IPV6_OR_SKIP()                                                  \
    do {                                                                              \
        if (!csnet_test::ipv6_loopback_available()) {                                 \
            MESSAGE("IPv6 loopback (::1) is not available on this machine: skipped"); \
            return;                                                                   \
        }                                                                             \
    } while (false)
