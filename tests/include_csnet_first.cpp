// csnet.hpp first, then <windows.h>: csnet must not leave NOMINMAX or
// WIN32_LEAN_AND_MEAN defined, nor min/max macros, for the user's code.

// The standard library's own configuration comes first: MinGW's libstdc++
// defines NOMINMAX itself in every standard header, which is not csnet's doing.
#include <cstddef>
#if defined(NOMINMAX)
#    define CSNET_TEST_NOMINMAX_BEFORE 1
#endif
#if defined(WIN32_LEAN_AND_MEAN)
#    define CSNET_TEST_LEAN_BEFORE 1
#endif

#include <csnet.hpp>

#include <algorithm>  // std::min, std::max

#if defined(min) || defined(max)
#    error "csnet.hpp defined a min or max macro"
#endif

namespace {
// Before <windows.h>: std::min/std::max as a student writes them.
int clamp_port(int port) { return std::max(0, std::min(65535, port)); }
constexpr bool nominmax_leaked =
#if defined(NOMINMAX) && !defined(CSNET_TEST_NOMINMAX_BEFORE)
    true;
#else
    false;
#endif
constexpr bool lean_and_mean_leaked =
#if defined(WIN32_LEAN_AND_MEAN) && !defined(CSNET_TEST_LEAN_BEFORE)
    true;
#else
    false;
#endif
}  // namespace

#ifdef _WIN32
#    include <windows.h>
#endif

bool include_csnet_first_left_no_macros() { return !nominmax_leaked && !lean_and_mean_leaked; }

int include_csnet_first_port() {
    csnet::socket s(csnet::af_inet, csnet::sock_dgram);
    s.bind(csnet::address{"127.0.0.1", 0});
#ifdef _WIN32
    if (GetCurrentThreadId() == 0) {
        return 0;
    }
#endif
    return clamp_port(s.getsockname().port());
}
