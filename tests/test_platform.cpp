// Platform promises: sockets work from a global object's constructor (on
// Windows, WSAStartup happens by itself), csnet.hpp leaves std::min/std::max
// and the Windows configuration macros alone, and it can be included in
// several translation units and in either order with <windows.h>.
#include "support.hpp"

#include <algorithm>  // std::min, std::max
#include <string>     // std::string

#if defined(min) || defined(max)
#    error "csnet.hpp (or what it includes) defined a min or max macro"
#endif

// Functions from the other translation units (include_*.cpp).
int include_twice_port();
int include_windows_first_port();
int include_csnet_first_port();
bool include_csnet_first_left_no_macros();
bool include_windows_first_kept_user_macros();

namespace {

/// Opens, binds and closes a socket in its constructor, before main() runs.
struct opens_a_socket_before_main {
    int port = 0;
    std::string failure;
    opens_a_socket_before_main() {
        try {
            csnet::socket s(csnet::af_inet, csnet::sock_dgram);
            s.bind(csnet::address{"127.0.0.1", 0});
            port = s.getsockname().port();
        } catch (const std::exception& e) {
            failure = e.what();
        }
    }
};
const opens_a_socket_before_main early;

}  // namespace

TEST_SUITE("platform") {
    TEST_CASE("a global object can open a socket before main") {
        CAPTURE(early.failure);
        CHECK(early.failure.empty());
        CHECK(early.port > 0);
    }

    TEST_CASE("std::min and std::max still work after including csnet.hpp") {
        CHECK(std::min(3, 7) == 3);
        CHECK(std::max(3, 7) == 7);
        CHECK(std::min<std::size_t>(std::size_t{1}, std::size_t{2}) == 1);
    }

    TEST_CASE("csnet.hpp does not leave NOMINMAX, WIN32_LEAN_AND_MEAN or its own CSNET_COLD defined") {
        // include_csnet_first.cpp compares the macros before and after the include.
        CHECK(include_csnet_first_left_no_macros());
        CHECK(include_windows_first_kept_user_macros());
#ifdef CSNET_COLD
        FAIL("csnet.hpp left CSNET_COLD defined");
#endif
    }

    TEST_CASE("csnet.hpp works in several translation units") { CHECK(include_twice_port() > 0); }

    TEST_CASE("csnet.hpp works included after windows.h and before it") {
        CHECK(include_windows_first_port() > 0);
        CHECK(include_csnet_first_port() > 0);
    }

}  // TEST_SUITE
