// <csnet.hpp> BEFORE <windows.h>: csnet must not leave min/max macros,
// NOMINMAX or WIN32_LEAN_AND_MEAN behind, so std::min/std::max just work.
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
#if defined(min) || defined(max)
#    error "csnet.hpp left min/max macros defined: std::min/std::max break"
#endif

namespace {
int clamp_port(int port) { return std::max(0, std::min(port, 65535)); }
}  // namespace

#include <windows.h>  // afterwards, as a user might

int port_csnet_first() {
    csnet::socket sock(csnet::af_inet, csnet::sock_stream);
    sock.bind(csnet::address{"127.0.0.1", 0});
    return clamp_port(sock.getsockname().port());
}
