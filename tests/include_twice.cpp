// A second translation unit that includes csnet.hpp: a function defined in the
// header without `inline` would be defined twice and the link would fail.
#include <csnet.hpp>
#include <csnet.hpp>  // and twice in one unit: the include guard holds

int include_twice_port() {
    csnet::socket s(csnet::af_inet, csnet::sock_stream);
    s.bind(csnet::address{"127.0.0.1", 0});
    s.listen();
    csnet::socket c = csnet::create_connection(s.getsockname(), 2.0);
    auto accepted = s.accept();
    (void)csnet::gethostname();
    (void)csnet::has_dualstack_ipv6();
    (void)csnet::to_string(csnet::af_inet);
    return accepted.first.getsockname().port();
}
