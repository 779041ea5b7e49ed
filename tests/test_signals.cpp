// Signals (POSIX): a write to a closed peer never kills the process with
// SIGPIPE, csnet never changes the process's signal dispositions, and a
// signal that interrupts a blocked call (EINTR) neither fails the call nor
// loses its timeout (PEP 475).
#include "support.hpp"

#ifndef _WIN32

#    include <atomic>   // std::atomic
#    include <chrono>   // std::chrono::milliseconds
#    include <csignal>  // sigaction, SIGPIPE, SIGUSR1
#    include <string>   // std::string
#    include <thread>   // std::thread

#    include <pthread.h>     // pthread_kill, pthread_self
#    include <sys/socket.h>  // struct linger
#    include <sys/wait.h>    // waitpid
#    include <unistd.h>      // fork, _exit

using csnet_test::connected_pair;
#    if defined(__linux__)
using csnet_test::current_tid;
using csnet_test::thread_is_sleeping;
#    endif
using csnet_test::stopwatch;

namespace {

// -- SIGPIPE, in a child process so that a death is seen, not suffered ----------

enum child_result : int {
    child_ok = 0,
    child_no_error = 10,
    child_wrong_code = 11,
    child_disposition_changed = 12,
    child_other_exception = 13,
};

/// Runs body() in a forked child with SIGPIPE at its default disposition
/// (death). Returns the child's wait status.
template <class Body>
int run_in_child(Body body) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGPIPE, &dfl, nullptr);
        sigset_t unblock;
        sigemptyset(&unblock);
        sigaddset(&unblock, SIGPIPE);
        pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
        int code = child_other_exception;
        try {
            code = body();
        } catch (...) {
            code = child_other_exception;
        }
        _exit(code);
    }
    // Wait at most 20 s for the child, then kill it (it is ours, by pid).
    int status = 0;
    stopwatch clock;
    for (;;) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return status;
        }
        if (clock.seconds() > 20.0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            FAIL("the child process hung");
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool sigpipe_is_default() {
    struct sigaction now {};
    sigaction(SIGPIPE, nullptr, &now);
    return now.sa_handler == SIG_DFL;
}

void check_child_status(int status) {
    if (WIFSIGNALED(status)) {
        CAPTURE(WTERMSIG(status));
        CHECK_MESSAGE(WTERMSIG(status) != SIGPIPE, "the process was killed by SIGPIPE");
        FAIL("the child process died of a signal");
        return;
    }
    REQUIRE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    CHECK_MESSAGE(code != child_no_error, "the write to a closed peer did not fail");
    CHECK_MESSAGE(code != child_wrong_code, "the error was neither broken_pipe nor connection_reset");
    CHECK_MESSAGE(code != child_disposition_changed, "csnet changed SIGPIPE's disposition");
    CHECK_MESSAGE(code != child_other_exception, "an unexpected exception");
    CHECK(code == child_ok);
}

/// Writes to a peer that has closed (and reset) the connection with `write`.
template <class Write>
int write_to_closed_peer(Write write) {
    auto pair = connected_pair();
    struct linger lg {};
    lg.l_onoff = 1;
    lg.l_linger = 0;
    ::setsockopt(pair.server.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    pair.server.close();
    pair.client.settimeout(5.0);
    for (int i = 0; i < 100; ++i) {
        try {
            write(pair.client);
        } catch (const csnet::error& e) {
            if (!sigpipe_is_default()) {
                return child_disposition_changed;
            }
            if (e.code() == std::errc::broken_pipe || e.code() == std::errc::connection_reset) {
                return child_ok;
            }
            return child_wrong_code;
        }
    }
    return child_no_error;
}

// -- EINTR ------------------------------------------------------------------------

std::atomic<int> signals_handled{0};

extern "C" void count_signal(int) { signals_handled.fetch_add(1); }

/// Installs an empty SIGUSR1 handler WITHOUT SA_RESTART (so a blocked call
/// fails with EINTR), restoring the old one on destruction.
class interrupting_handler {
public:
    interrupting_handler() {
        struct sigaction sa {};
        sa.sa_handler = count_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART
        sigaction(SIGUSR1, &sa, &old_);
        signals_handled.store(0);
    }
    ~interrupting_handler() { sigaction(SIGUSR1, &old_, nullptr); }
    interrupting_handler(const interrupting_handler&) = delete;
    interrupting_handler& operator=(const interrupting_handler&) = delete;

private:
    struct sigaction old_ {};
};

/// From another thread: waits until `target` is blocked in the kernel (Linux;
/// elsewhere a short pause), then sends it SIGUSR1 every 20 ms until `done`
/// or 4 s passed. This is pacing, not synchronisation: the assertions hold
/// whichever signal lands during the call.
class signal_sender {
public:
    explicit signal_sender(std::atomic<bool>& done)
        : target_(pthread_self()),
#    if defined(__linux__)
          target_tid_(current_tid()),
#    endif
          done_(done),
          thread_([this] { run(); }) {
    }
    ~signal_sender() {
        done_.store(true);
        thread_.join();
    }
    signal_sender(const signal_sender&) = delete;
    signal_sender& operator=(const signal_sender&) = delete;
    int sent() const { return sent_.load(); }

private:
    void run() {
        stopwatch clock;
#    if defined(__linux__)
        while (!done_.load() && !thread_is_sleeping(target_tid_) && clock.seconds() < 2.0) {
            std::this_thread::yield();
        }
#    else
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
#    endif
        while (!done_.load() && clock.seconds() < 4.0) {
            pthread_kill(target_, SIGUSR1);
            sent_.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    pthread_t target_;
#    if defined(__linux__)
    long target_tid_;
#    endif
    std::atomic<bool>& done_;
    std::atomic<int> sent_{0};
    std::thread thread_;
};

}  // namespace

TEST_SUITE("signals") {
    TEST_CASE("sendall to a closed peer does not kill the process with SIGPIPE") {
        const int status = run_in_child(
            [] { return write_to_closed_peer([](csnet::socket& s) { s.sendall(std::string(65536, 'x')); }); });
        check_child_status(status);
    }

    TEST_CASE("send to a closed peer does not kill the process with SIGPIPE") {
        const int status = run_in_child(
            [] { return write_to_closed_peer([](csnet::socket& s) { s.send(std::string(65536, 'x')); }); });
        check_child_status(status);
    }

    TEST_CASE("a peer that closed normally then gets a write does not kill the process") {
        const int status = run_in_child([] {
            auto pair = connected_pair();
            pair.server.close();  // FIN, no reset: the first write is accepted, later ones fail
            for (int i = 0; i < 100; ++i) {
                try {
                    pair.client.sendall("hello?");
                } catch (const csnet::error& e) {
                    if (!sigpipe_is_default()) {
                        return static_cast<int>(child_disposition_changed);
                    }
                    return static_cast<int>(
                        (e.code() == std::errc::broken_pipe || e.code() == std::errc::connection_reset)
                            ? child_ok
                            : child_wrong_code);
                }
            }
            return static_cast<int>(child_no_error);
        });
        check_child_status(status);
    }

    TEST_CASE("csnet leaves the process's SIGPIPE disposition alone") {
        struct sigaction before {};
        sigaction(SIGPIPE, nullptr, &before);
        {
            auto pair = connected_pair();
            pair.client.sendall("x");
            pair.server.settimeout(5.0);
            CHECK(pair.server.recv(1) == "x");
        }
        struct sigaction after {};
        sigaction(SIGPIPE, nullptr, &after);
        const bool unchanged = before.sa_handler == after.sa_handler;
        CHECK(unchanged);
    }

    TEST_CASE("a signal during a blocked recv with a timeout neither fails it nor resets the deadline") {
        interrupting_handler handler;
        auto pair = connected_pair();
        pair.server.settimeout(0.5);
        std::atomic<bool> done{false};
        stopwatch clock;
        bool timed_out = false;
        int sent = 0;
        {
            signal_sender sender(done);
            try {
                pair.server.recv(10);
            } catch (const csnet::timeout&) {
                timed_out = true;
            } catch (const csnet::error& e) {
                FAIL("recv failed instead of retrying: " << e.what());
            }
            done.store(true);
            sent = sender.sent();
        }
        const double took = clock.seconds();
        CAPTURE(took);
        CAPTURE(sent);
        CHECK(signals_handled.load() > 0);
        CHECK(timed_out);
        CHECK(took >= 0.45);
        CHECK(took < 2.0);  // a deadline restarted at every signal would never come
    }

    TEST_CASE("a signal during a blocking recv does not fail it and the data still arrives") {
        interrupting_handler handler;
        auto pair = connected_pair();
        std::atomic<bool> done{false};
        std::string got;
        {
            signal_sender sender(done);
            // The peer sends after 0.3 s, from its own thread; recv blocks meanwhile.
            std::thread peer([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                pair.client.sendall("after signals");
            });
            try {
                got = pair.server.recv(13, csnet::msg_waitall);
            } catch (const csnet::error& e) {
                FAIL("recv failed instead of retrying: " << e.what());
            }
            done.store(true);
            peer.join();
        }
        CHECK(signals_handled.load() > 0);
        CHECK(got == "after signals");
    }

    TEST_CASE("a signal during a blocked accept with a timeout neither fails it nor resets the deadline") {
        interrupting_handler handler;
        csnet::socket listener = csnet_test::listening_socket();
        listener.settimeout(0.4);
        std::atomic<bool> done{false};
        stopwatch clock;
        bool timed_out = false;
        {
            signal_sender sender(done);
            try {
                listener.accept();
            } catch (const csnet::timeout&) {
                timed_out = true;
            } catch (const csnet::error& e) {
                FAIL("accept failed instead of retrying: " << e.what());
            }
            done.store(true);
        }
        const double took = clock.seconds();
        CAPTURE(took);
        CHECK(signals_handled.load() > 0);
        CHECK(timed_out);
        CHECK(took >= 0.35);
        CHECK(took < 2.0);
    }

    TEST_CASE("a signal during a blocked sendall neither fails it nor loses bytes") {
        interrupting_handler handler;
        auto pair = connected_pair();
        const std::string data = csnet_test::pattern(4u * 1024u * 1024u);
        std::atomic<bool> done{false};
        std::size_t received = 0;
        bool in_order = true;
        {
            signal_sender sender(done);
            // The reader starts late (pacing), so sendall blocks on a full buffer first.
            std::thread reader([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                pair.server.settimeout(10.0);
                for (int i = 0; i < 1000000 && received < data.size(); ++i) {
                    std::string part = pair.server.recv(65536);
                    if (part.empty()) {
                        break;
                    }
                    for (std::size_t k = 0; k < part.size() && in_order; ++k) {
                        in_order = part[k] == data[received + k];
                    }
                    received += part.size();
                }
            });
            try {
                pair.client.sendall(data);
            } catch (const csnet::error& e) {
                FAIL("sendall failed instead of retrying: " << e.what());
            }
            done.store(true);
            reader.join();
        }
        CHECK(signals_handled.load() > 0);
        CHECK(received == data.size());
        CHECK(in_order);
    }

    TEST_CASE("a signal during a blocked selector.select() neither fails it nor resets the deadline") {
        interrupting_handler handler;
        auto pair = connected_pair();
        csnet::selector sel;
        sel.register_(pair.server, csnet::event_read);
        std::atomic<bool> done{false};
        stopwatch clock;
        std::size_t ready = 99;
        int sent = 0;
        {
            signal_sender sender(done);
            try {
                ready = sel.select(0.5).size();
            } catch (const csnet::error& e) {
                FAIL("select failed instead of retrying: " << e.what());
            }
            done.store(true);
            sent = sender.sent();
        }
        const double took = clock.seconds();
        CAPTURE(took);
        CAPTURE(sent);
        CHECK(signals_handled.load() > 0);
        CHECK(ready == 0);  // the time ran out: nothing was ready
        CHECK(took >= 0.45);
        CHECK(took < 2.0);  // a deadline restarted at every signal would never come
    }

}  // TEST_SUITE

#endif  // _WIN32
