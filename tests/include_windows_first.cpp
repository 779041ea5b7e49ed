// <windows.h> first, then csnet.hpp. On MinGW, and with WIN32_LEAN_AND_MEAN
// anywhere, this order must work; the user's own NOMINMAX and WIN32_LEAN_AND_MEAN
// must survive the include. (MSVC's whole <windows.h> brings in the old
// <winsock.h>; csnet then stops with an #error that says to define
// WIN32_LEAN_AND_MEAN, so on MSVC this file defines it, as that message asks.)
#ifdef _WIN32
#    ifndef NOMINMAX
#        define NOMINMAX  // the user's choice, before <windows.h>
#    endif
#    if defined(_MSC_VER) && !defined(WIN32_LEAN_AND_MEAN)
#        define WIN32_LEAN_AND_MEAN  // what csnet's #error asks for on MSVC
#    endif
#    include <windows.h>
#endif

#include <csnet.hpp>

#include <algorithm>  // std::min, std::max

bool include_windows_first_kept_user_macros() {
#if defined(_WIN32) && !defined(NOMINMAX)
    return false;  // csnet.hpp undefined the user's NOMINMAX
#elif defined(_MSC_VER) && !defined(WIN32_LEAN_AND_MEAN)
    return false;  // csnet.hpp undefined the user's WIN32_LEAN_AND_MEAN
#else
    return true;
#endif
}

int include_windows_first_port() {
    csnet::socket s(csnet::af_inet, csnet::sock_dgram);
    s.bind(csnet::address{"127.0.0.1", 0});
#ifdef _WIN32
    // Something from <windows.h> itself still works.
    if (GetCurrentProcessId() == 0) {
        return 0;
    }
#endif
    return std::max(0, std::min(65535, s.getsockname().port()));
}
