// The user defined NOMINMAX and WIN32_LEAN_AND_MEAN, then <windows.h>, then
// <csnet.hpp>: the user's own macros must still be there afterwards, and
// std::min/std::max work unparenthesised.
#define NOMINMAX
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <csnet.hpp>

#include <algorithm>  // std::min, std::max

#if !defined(NOMINMAX) || !defined(WIN32_LEAN_AND_MEAN)
#    error "csnet.hpp removed the user's own NOMINMAX / WIN32_LEAN_AND_MEAN"
#endif

int port_nominmax_first() {
    csnet::socket sock(csnet::af_inet, csnet::sock_stream);
    sock.bind(csnet::address{"127.0.0.1", 0});
    return std::max(0, std::min(sock.getsockname().port(), 65535));
}
