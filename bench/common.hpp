// bench/common.hpp - the harness shared by bench_raw, bench_csnet and bench_asio.
//
// It owns everything that is NOT socket code, so that the three programs differ only in
// the socket calls they make:
//   - the command line (the same for every program, and for bench_py.py);
//   - the process layout: the server runs in a child process (fork), the client here;
//     the server tells the client its port through a pipe, before anything is timed;
//   - the clock, the percentiles, and the one "RESULT key=value ..." line that
//     bench/run.sh reads.
// POSIX only (fork, pipe, alarm, mmap): the benchmarks compare against raw BSD sockets.
#pragma once

#include <algorithm>  // std::nth_element
#include <atomic>     // std::atomic (a counter shared with the child process)
#include <chrono>     // std::chrono::steady_clock
#include <cstdint>    // std::uint32_t
#include <cstdio>     // std::printf, std::fprintf
#include <cstdlib>    // std::strtol, std::strtod
#include <cstring>    // std::strcmp, std::strerror
#include <exception>  // std::exception
#include <new>        // placement new
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector

#include <cerrno>      // errno
#include <signal.h>    // kill
#include <sys/mman.h>  // mmap: memory shared by client and server
#include <sys/wait.h>  // waitpid
#include <time.h>      // nanosleep
#include <unistd.h>    // fork, pipe, read, write, alarm, _exit

namespace bench {

using clock = std::chrono::steady_clock;

inline double seconds_since(clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); }

// ---- Command line --------------------------------------------------------------------
// bench_X TEST [--count N] [--seconds S] [--size BYTES] [--total BYTES] [--chunk BYTES]
//              [--api into|string]
// TEST: tcp_pingpong | tcp_stream | udp_pingpong | accept
struct options {
    std::string test;
    long count = 200000;                       // upper bound on round trips / connections
    double seconds = 1.0;                      // upper bound on the measured time
    std::size_t size = 32;                     // ping-pong message size
    std::size_t total = std::size_t{1} << 30;  // stream: bytes to send (1 GiB)
    std::size_t chunk = std::size_t{1} << 20;  // stream: write size = receive buffer size
    std::string api = "into";                  // csnet only: recv_into ("into") or recv ("string")
};

struct failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// For the raw program: turn a failed system call into an exception the harness reports.
inline void check(bool ok, const char* what) {
    if (!ok) throw failure(std::string(what) + ": " + std::strerror(errno));
}

inline void usage(const char* prog) {
    std::fprintf(stderr,
                 "usage: %s tcp_pingpong|tcp_stream|udp_pingpong|accept [--count N] "
                 "[--seconds S]\n       [--size BYTES] [--total BYTES] [--chunk BYTES] "
                 "[--api into|string]\n",
                 prog);
}

inline bool parse(int argc, char** argv, options& o) {
    if (argc < 2) return false;
    o.test = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char* k = argv[i];
        const char* v = argv[i + 1];
        if (std::strcmp(k, "--count") == 0)
            o.count = std::strtol(v, nullptr, 10);
        else if (std::strcmp(k, "--seconds") == 0)
            o.seconds = std::strtod(v, nullptr);
        else if (std::strcmp(k, "--size") == 0)
            o.size = std::strtoul(v, nullptr, 10);
        else if (std::strcmp(k, "--total") == 0)
            o.total = std::strtoul(v, nullptr, 10);
        else if (std::strcmp(k, "--chunk") == 0)
            o.chunk = std::strtoul(v, nullptr, 10);
        else if (std::strcmp(k, "--api") == 0)
            o.api = v;
        else
            return false;
    }
    if (argc % 2 != 0) return false;  // a flag without its value
    if (o.count < 1 || o.seconds <= 0 || o.size < 1 || o.size > 65000 || o.chunk < 1 || o.total < o.chunk) return false;
    return o.test == "tcp_pingpong" || o.test == "tcp_stream" || o.test == "udp_pingpong" || o.test == "accept";
}

// How many unmeasured round trips come first (page faults, caches, slow start).
inline long warmup_count(const options& o) { return std::min<long>(1000, o.count / 10); }

// ---- Results ---------------------------------------------------------------------------
struct result {
    double n = 0;        // round trips, connections or bytes done
    double seconds = 0;  // measured time
    double rate = 0;     // per second (GB/s for the stream)
    double p50_us = -1;  // latency percentiles (ping-pong only)
    double p99_us = -1;
};

// Latencies of single round trips, in nanoseconds.
class latencies {
public:
    explicit latencies(long count) : ns_(static_cast<std::size_t>(count), 0) {}  // touched now
    void add(clock::duration d) {
        if (used_ < ns_.size())
            ns_[used_++] = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    }
    double percentile_us(double p) {
        if (used_ == 0) return -1;
        auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(used_ - 1) + 0.5);
        auto first = ns_.begin();
        auto last = first + static_cast<std::ptrdiff_t>(used_);
        std::nth_element(first, first + static_cast<std::ptrdiff_t>(k), last);
        return static_cast<double>(ns_[k]) / 1000.0;
    }

private:
    std::vector<std::uint32_t> ns_;
    std::size_t used_ = 0;
};

// The accept test's client and server share this page (mmap MAP_SHARED before fork).
struct shared_counter {
    std::atomic<long> accepted{0};
    std::atomic<int> stop{0};
};

inline shared_counter* make_shared_counter() {
    void* p = mmap(nullptr, sizeof(shared_counter), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    check(p != MAP_FAILED, "mmap");
    return new (p) shared_counter;
}

// The client of the accept test calls this after its last connection: wait (sleeping, so
// that a server pinned to the same CPU runs) until the server has accepted `n`.
inline void wait_until_accepted(const shared_counter& c, long n, double limit_seconds) {
    const auto t0 = clock::now();
    while (c.accepted.load() < n && seconds_since(t0) < limit_seconds) {
        timespec ts{0, 20000};  // 20 us
        nanosleep(&ts, nullptr);
    }
    if (c.accepted.load() < n) throw failure("the server did not accept every connection");
}

// ---- The measured loops, the same for every program ------------------------------------
inline clock::time_point deadline(const options& o) {
    return clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.seconds));
}

// Ping-pong: round_trip() sends one message and waits for its echo.
template <class RoundTrip>
result pingpong_loop(const options& o, RoundTrip round_trip) {
    for (long i = 0, w = warmup_count(o); i < w; ++i) round_trip();
    latencies lat(o.count);
    const auto limit = deadline(o);
    const auto t0 = clock::now();
    auto t = t0;
    long done = 0;
    while (done < o.count) {
        round_trip();
        const auto now = clock::now();
        lat.add(now - t);
        t = now;
        ++done;
        if (now >= limit) break;
    }
    result r;
    r.n = static_cast<double>(done);
    r.seconds = std::chrono::duration<double>(t - t0).count();
    r.rate = r.n / r.seconds;
    r.p50_us = lat.percentile_us(50);
    r.p99_us = lat.percentile_us(99);
    return r;
}

// Stream: send_chunk() writes o.chunk bytes; finish() shuts the sending side down and
// returns the byte count the server reports once it has read everything.
template <class SendChunk, class Finish>
result stream_loop(const options& o, SendChunk send_chunk, Finish finish) {
    const auto limit = deadline(o);
    const auto t0 = clock::now();
    std::size_t sent = 0;
    while (sent + o.chunk <= o.total) {
        send_chunk();
        sent += o.chunk;
        if (clock::now() >= limit) break;
    }
    const std::size_t received = finish();
    result r;
    r.seconds = seconds_since(t0);
    if (received != sent)
        throw failure("sent " + std::to_string(sent) + " bytes, the server read " + std::to_string(received));
    r.n = static_cast<double>(sent);
    r.rate = r.n / r.seconds / 1e9;  // GB/s
    return r;
}

// Accept rate: connect_close() opens one connection and closes it; the server counts
// what it accepted in `c` and stops after the one that follows c.stop = 1.
template <class ConnectClose>
result accept_loop(const options& o, shared_counter& c, ConnectClose connect_close) {
    const long warm = warmup_count(o);
    for (long i = 0; i < warm; ++i) connect_close();
    wait_until_accepted(c, warm, o.seconds + 5);
    const auto limit = deadline(o);
    const auto t0 = clock::now();
    long done = 0;
    while (done < o.count) {
        connect_close();
        ++done;
        if (clock::now() >= limit) break;
    }
    wait_until_accepted(c, warm + done, o.seconds + 5);
    result r;
    r.seconds = seconds_since(t0);
    r.n = static_cast<double>(done);
    r.rate = r.n / r.seconds;
    c.stop.store(1);
    try {
        connect_close();  // wakes the server up (it may have seen `stop` already and gone)
    } catch (...) {
    }
    return r;
}

// ---- Process layout --------------------------------------------------------------------
// server(announce): runs in a child process; creates its socket, calls announce(port),
// serves, returns when the client is done. client(port) -> result: runs here.
template <class Server, class Client>
int run(const char* impl, const options& o, Server server, Client client) {
    int fds[2];
    check(pipe(fds) == 0, "pipe");
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    check(pid >= 0, "fork");
    const unsigned guard = static_cast<unsigned>(o.seconds) + 30;  // nothing hangs forever
    if (pid == 0) {
        close(fds[0]);
        alarm(guard);
        int rc = 0;
        try {
            server([&](int port) {
                check(write(fds[1], &port, sizeof port) == sizeof port, "write(pipe)");
                close(fds[1]);
            });
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s %s server: %s\n", impl, o.test.c_str(), e.what());
            rc = 1;
        }
        _exit(rc);
    }
    close(fds[1]);
    alarm(guard);
    int rc = 0;
    try {
        int port = 0;
        if (read(fds[0], &port, sizeof port) != sizeof port) throw failure("the server did not start");
        close(fds[0]);
        result r = client(port);
        std::printf("RESULT test=%s impl=%s n=%.0f seconds=%.6f rate=%.6g", o.test.c_str(), impl, r.n, r.seconds,
                    r.rate);
        if (r.p50_us >= 0) std::printf(" p50_us=%.3f p99_us=%.3f", r.p50_us, r.p99_us);
        std::printf("\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s %s client: %s\n", impl, o.test.c_str(), e.what());
        rc = 1;
        kill(pid, SIGTERM);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (rc == 0) std::fprintf(stderr, "%s %s: the server failed\n", impl, o.test.c_str());
        rc = 1;
    }
    return rc;
}

// The test each program's main() dispatches to; they all take (options) -> int.
template <class PingPong, class Stream, class Udp, class Accept>
int main_for(const char* impl, int argc, char** argv, PingPong tcp_pingpong, Stream tcp_stream, Udp udp_pingpong,
             Accept accept_rate) {
    options o;
    if (!parse(argc, argv, o)) {
        usage(argv[0]);
        return 2;
    }
    try {
        if (o.test == "tcp_pingpong") return tcp_pingpong(impl, o);
        if (o.test == "tcp_stream") return tcp_stream(impl, o);
        if (o.test == "udp_pingpong") return udp_pingpong(impl, o);
        return accept_rate(impl, o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s %s: %s\n", impl, o.test.c_str(), e.what());
        return 1;
    }
}

}  // namespace bench
