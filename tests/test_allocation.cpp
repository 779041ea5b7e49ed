// recv_into and recvfrom_into are the zero-allocation path: they fill the
// caller's buffer and allocate nothing. This file replaces the global
// operator new for the whole test program with one that counts, per thread.
#include "support.hpp"

#include <array>   // std::array
#include <cstdlib> // std::malloc, std::free
#include <new>     // std::bad_alloc
#include <string>  // std::string
#include <vector>  // std::vector

namespace {
thread_local std::size_t allocations_on_this_thread = 0;
} // namespace

void* operator new(std::size_t size) {
    ++allocations_on_this_thread;
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

/// How many times f called operator new on this thread.
template <class F>
std::size_t allocations_during(F&& f) {
    const std::size_t before = allocations_on_this_thread;
    f();
    return allocations_on_this_thread - before;
}

} // namespace

TEST_SUITE("allocation") {

TEST_CASE("the allocation counter sees allocations") {
    CHECK(allocations_during([] { std::vector<char> v(1000); (void)v; }) >= 1);
}

TEST_CASE("recv_into allocates nothing") {
    csnet::set_trace(nullptr);
    auto pair = csnet_test::connected_pair();
    std::array<char, 64> array{};
    std::vector<char> vector(64);
    std::string string(64, '\0');
    char raw[64] = {};

    SUBCASE("blocking") {}
    SUBCASE("with a timeout") { pair.server.settimeout(5.0); }

    pair.client.sendall("0123456789");
    std::size_t got = 0;
    const std::size_t count = allocations_during([&] {
        got += pair.server.recv_into(array, 1);
        got += pair.server.recv_into(vector, 1);
        got += pair.server.recv_into(string, 1);
        got += pair.server.recv_into(raw, 1);
        got += pair.server.recv_into(csnet::mutable_buffer{raw, sizeof raw}, 1);
    });
    CHECK(got == 5);
    CHECK(count == 0);
}

TEST_CASE("recvfrom_into allocates nothing for an IPv4 sender") {
    csnet::set_trace(nullptr);
    csnet::socket server = csnet_test::bound_udp_socket();
    csnet::socket client = csnet_test::bound_udp_socket();
    server.settimeout(5.0);
    client.sendto("abc", server.getsockname());
    char buffer[16] = {};
    std::size_t got = 0;
    const std::size_t count = allocations_during([&] { got = server.recvfrom_into(buffer).first; });
    CHECK(got == 3);
    CHECK(count == 0);
}

} // TEST_SUITE
