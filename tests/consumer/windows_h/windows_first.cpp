// <windows.h> BEFORE <csnet.hpp>, as a Windows program often has it.
// API.md: on MinGW (or with WIN32_LEAN_AND_MEAN) either order works.
#include <windows.h>
#include <csnet.hpp>

#include <algorithm>  // std::min, std::max

#if defined(WIN32_LEAN_AND_MEAN)
#    error "csnet.hpp left WIN32_LEAN_AND_MEAN defined"
#endif
// MinGW's libstdc++ defines NOMINMAX itself (bits/os_defines.h), so the check
// only means something with another standard library (MSVC's, libc++).
#if defined(NOMINMAX) && !defined(__GLIBCXX__)
#    error "csnet.hpp left NOMINMAX defined"
#endif

// Opens a socket on 127.0.0.1 port 0 and returns the port the system chose.
int port_windows_first() {
    csnet::socket sock(csnet::af_inet, csnet::sock_stream);
    sock.bind(csnet::address{"127.0.0.1", 0});
    // With MSVC, <windows.h> without NOMINMAX defines min/max macros itself
    // (not csnet's doing), so the parenthesised form is the portable one.
    return (std::max)(0, (std::min)(sock.getsockname().port(), 65535));
}
