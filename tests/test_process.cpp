// Child processes: a socket is not inherited by a program the process starts
// (as in Python, PEP 446), and CSNET_TRACE=1 in the environment turns the
// trace on. Both start this very test program again in a "helper" mode,
// chosen by the environment variable CSNET_TEST_HELPER and handled by a global
// object before main() (so no extra executable is needed).
#include "support.hpp"

#include <cstdio>    // std::fflush
#include <cstdlib>   // std::getenv, std::exit
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::pair
#include <vector>    // std::vector

#ifndef _WIN32
#    include <fcntl.h>     // fcntl, FD_CLOEXEC
#    include <poll.h>      // poll
#    include <signal.h>    // kill
#    include <sys/wait.h>  // waitpid
#    include <unistd.h>    // fork, execve, pipe, read
extern char** environ;
#endif

using csnet_test::contains;
using csnet_test::listening_socket;

namespace {

constexpr int helper_not_inherited = 40;
constexpr int helper_inherited = 41;
constexpr int helper_traced = 42;
constexpr int helper_bad_mode = 43;

/// True when `value` names an open socket in this process.
bool handle_names_a_socket(unsigned long long value) {
#ifdef _WIN32
    WSADATA data;
    WSAStartup(MAKEWORD(2, 2), &data);
    int type = 0;
    int size = static_cast<int>(sizeof type);
    return ::getsockopt(static_cast<SOCKET>(value), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &size) == 0;
#else
    return ::fcntl(static_cast<int>(value), F_GETFD) != -1;
#endif
}

// -- The helper mode, run before main() in the child ------------------------------
struct helper_mode {
    helper_mode() {
        const char* mode = std::getenv("CSNET_TEST_HELPER");
        if (mode == nullptr) {
            return;
        }
        const std::string m = mode;
        const std::string check = "check-handle ";
        if (m.compare(0, check.size(), check) == 0) {
            const unsigned long long value = std::stoull(m.substr(check.size()));
            std::exit(handle_names_a_socket(value) ? helper_inherited : helper_not_inherited);
        }
        if (m == "trace") {
            { csnet::socket s(csnet::af_inet, csnet::sock_dgram); }
            std::fflush(stderr);
            std::exit(helper_traced);
        }
        std::exit(helper_bad_mode);
    }
};
const helper_mode run_helper_mode_if_asked;

// -- Starting the helper -------------------------------------------------------------

struct child_outcome {
    int exit_code = -1;
    std::string error_output;
};

/// Starts this program again with `set` added to its environment and the
/// names in `unset` removed, lets it inherit whatever the system lets it
/// inherit, and returns its exit code and standard error. Empty when this
/// system gives no way to find this program's own path.
std::optional<child_outcome> run_self(const std::vector<std::pair<std::string, std::string>>& set,
                                      const std::vector<std::string>& unset) {
#ifdef _WIN32
    char path[MAX_PATH] = {};
    if (GetModuleFileNameA(nullptr, path, MAX_PATH) == 0) {
        return std::nullopt;
    }
    for (const auto& kv : set) {
        SetEnvironmentVariableA(kv.first.c_str(), kv.second.c_str());
    }
    std::vector<std::pair<std::string, std::string>> saved;
    for (const auto& name : unset) {
        char value[4096] = {};
        if (GetEnvironmentVariableA(name.c_str(), value, sizeof value) > 0) {
            saved.emplace_back(name, value);
        }
        SetEnvironmentVariableA(name.c_str(), nullptr);
    }
    SECURITY_ATTRIBUTES inheritable{};
    inheritable.nLength = sizeof inheritable;
    inheritable.bInheritHandle = TRUE;
    HANDLE read_end = nullptr;
    HANDLE write_end = nullptr;
    REQUIRE(CreatePipe(&read_end, &write_end, &inheritable, 0));
    SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOA startup{};
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = write_end;
    startup.hStdError = write_end;
    PROCESS_INFORMATION process{};
    std::string command = std::string("\"") + path + "\"";
    const BOOL started = CreateProcessA(path, &command[0], nullptr, nullptr, TRUE /* inherit handles */, 0, nullptr,
                                        nullptr, &startup, &process);
    CloseHandle(write_end);
    for (const auto& kv : set) {
        SetEnvironmentVariableA(kv.first.c_str(), nullptr);
    }
    for (const auto& kv : saved) {
        SetEnvironmentVariableA(kv.first.c_str(), kv.second.c_str());
    }
    if (!started) {
        CloseHandle(read_end);
        FAIL("CreateProcess failed");
        return std::nullopt;
    }
    child_outcome outcome;
    char buffer[4096];
    DWORD got = 0;
    for (int i = 0; i < 10000 && ReadFile(read_end, buffer, sizeof buffer, &got, nullptr) && got > 0; ++i) {
        outcome.error_output.append(buffer, got);
    }
    CloseHandle(read_end);
    if (WaitForSingleObject(process.hProcess, 30000) != WAIT_OBJECT_0) {
        TerminateProcess(process.hProcess, 1);
        WaitForSingleObject(process.hProcess, 5000);
    }
    DWORD code = 0;
    GetExitCodeProcess(process.hProcess, &code);
    CloseHandle(process.hThread);
    CloseHandle(process.hProcess);
    outcome.exit_code = static_cast<int>(code);
    return outcome;
#elif defined(__linux__)
    char path[4096] = {};
    const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (length <= 0) {
        return std::nullopt;
    }
    // The environment for the child, built before fork (no allocation after it).
    std::vector<std::string> entries;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        bool drop = false;
        for (const auto& name : unset) {
            drop = drop || entry.compare(0, name.size() + 1, name + "=") == 0;
        }
        for (const auto& kv : set) {
            drop = drop || entry.compare(0, kv.first.size() + 1, kv.first + "=") == 0;
        }
        if (!drop) {
            entries.push_back(entry);
        }
    }
    for (const auto& kv : set) {
        entries.push_back(kv.first + "=" + kv.second);
    }
    std::vector<char*> envp;
    for (auto& entry : entries) {
        envp.push_back(&entry[0]);
    }
    envp.push_back(nullptr);
    // If the helper mode were ever ignored, the child would run doctest with a
    // filter that matches nothing, and exit 0: a code the tests reject.
    std::string filter = "--test-case=csnet helper mode was not entered";
    char* argv[] = {path, &filter[0], nullptr};

    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 2);  // dup2 clears close-on-exec on the copy
        ::execve(path, argv, envp.data());
        _exit(127);
    }
    ::close(fds[1]);
    child_outcome outcome;
    csnet_test::stopwatch clock;
    char buffer[4096];
    while (clock.seconds() < 30.0) {
        pollfd entry{fds[0], POLLIN, 0};
        if (::poll(&entry, 1, 1000) <= 0) {
            continue;
        }
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        outcome.error_output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) {
        for (int i = 0; i < 3000 && ::waitpid(pid, &status, WNOHANG) != pid; ++i) {
            ::poll(nullptr, 0, 10);
            if (i == 2999) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
            }
        }
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
#else
    (void)set;
    (void)unset;
    return std::nullopt;
#endif
}

/// Runs the helper to ask whether the handle reached a child process.
std::optional<int> child_sees(csnet::native_handle_type h) {
    auto outcome =
        run_self({{"CSNET_TEST_HELPER", "check-handle " + std::to_string(static_cast<unsigned long long>(h))}}, {});
    if (!outcome) {
        return std::nullopt;
    }
    return outcome->exit_code;
}

bool marked_not_inheritable(csnet::native_handle_type h) {
#ifdef _WIN32
    DWORD flags = 0;
    REQUIRE(GetHandleInformation(reinterpret_cast<HANDLE>(h), &flags));
    return (flags & HANDLE_FLAG_INHERIT) == 0;
#else
    return (::fcntl(h, F_GETFD) & FD_CLOEXEC) != 0;
#endif
}

}  // namespace

TEST_SUITE("process") {
    TEST_CASE("sockets are marked not to be inherited by child processes") {
        csnet::socket plain(csnet::af_inet, csnet::sock_stream);
        csnet::socket udp(csnet::af_inet6, csnet::sock_dgram);
        csnet::socket listener = listening_socket();
        csnet::socket client = csnet::create_connection(listener.getsockname());
        auto accepted = listener.accept();
        CHECK(marked_not_inheritable(plain.fileno()));
        CHECK(marked_not_inheritable(udp.fileno()));
        CHECK(marked_not_inheritable(listener.fileno()));
        CHECK(marked_not_inheritable(client.fileno()));
        CHECK(marked_not_inheritable(accepted.first.fileno()));
    }

    TEST_CASE("a child process does not inherit a socket") {
        csnet::socket listener = listening_socket();
        csnet::socket client(csnet::af_inet, csnet::sock_stream);
        client.connect(listener.getsockname());
        auto accepted = listener.accept();

        // First, the method can tell: a deliberately inheritable copy is seen.
#ifdef _WIN32
        HANDLE copy = nullptr;
        const bool copied = DuplicateHandle(GetCurrentProcess(), reinterpret_cast<HANDLE>(client.fileno()),
                                            GetCurrentProcess(), &copy, 0, TRUE, DUPLICATE_SAME_ACCESS);
        if (copied) {
            auto seen = child_sees(reinterpret_cast<csnet::native_handle_type>(copy));
            if (!seen || *seen != helper_inherited) {
                MESSAGE("this Windows cannot show an inherited socket to a child: the check below proves less");
            }
            CloseHandle(copy);
        }
#else
        const int copy = ::fcntl(client.fileno(), F_DUPFD, 0);  // no close-on-exec on the copy
        REQUIRE(copy >= 0);
        auto control = child_sees(copy);
        ::close(copy);
        if (!control) {
            MESSAGE("this system gives no path to the running program: skipped");
            return;
        }
        REQUIRE(*control == helper_inherited);
#endif

        for (csnet::native_handle_type h : {listener.fileno(), client.fileno(), accepted.first.fileno()}) {
            auto seen = child_sees(h);
            if (!seen) {
                MESSAGE("this system gives no path to the running program: skipped");
                return;
            }
            CAPTURE(h);
            CHECK(*seen == helper_not_inherited);
        }
    }

    TEST_CASE("CSNET_TRACE=1 in the environment prints the trace on standard error") {
        auto traced = run_self({{"CSNET_TEST_HELPER", "trace"}, {"CSNET_TRACE", "1"}}, {});
        if (!traced) {
            MESSAGE("this system gives no path to the running program: skipped");
            return;
        }
        CHECK(traced->exit_code == helper_traced);
        CAPTURE(traced->error_output);
        CHECK(contains(traced->error_output, "[csnet] socket(AF_INET, SOCK_DGRAM) -> "));

        auto quiet = run_self({{"CSNET_TEST_HELPER", "trace"}}, {"CSNET_TRACE"});
        REQUIRE(quiet.has_value());
        CHECK(quiet->exit_code == helper_traced);
        CHECK_FALSE(contains(quiet->error_output, "[csnet]"));
    }

}  // TEST_SUITE
