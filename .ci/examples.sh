#!/usr/bin/env bash
# .ci/examples.sh: the examples, checked the way a student uses them.
#   1. Every tcp/ example has its udp/ twin with the same name (the diff is printed).
#   2. CMake + g++ builds every example with warnings as errors, and ctest runs each
#      client-server pair through run_pair, comparing the transcripts with
#      examples/transcripts/ (ports replaced by N); `run_first_pair` (README's first
#      command) must pass. MinGW builds them too, and the final pairs run under Wine.
#      (Meson, clang++ and ASan+UBSan builds of the examples are in .ci/builds.sh.)
#   3. Interop with the real CPython peers in ../shared/reference (next to the repo):
#      csnet TCP server <-> echo_client.py, echo_server.py <-> csnet TCP client, and the
#      same for UDP. Skipped, with a message, where that folder or python3 is absent.
# Ports: always 0 (the server prints the one it got). No sleeps: run_pair waits for the
# server's "waiting for ..." line. Every program runs under `timeout`; nothing is killed
# by name.
#
# USAGE: .ci/examples.sh            (build folders under $CSNET_CI_DIR/examples, default: a new temporary folder)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init examples
ci_workdir examples
cd "$ROOT"
root=$ROOT
build=$WORK
jobs=$JOBS
failures=()

step() { printf '\n==== %s\n' "$*"; }
# check NAME COMMAND...: runs COMMAND (at most 120 s), records a failure.
check() {
  local name=$1
  shift
  if timeout 120 "$@"; then
    echo "PASS: $name"
  else
    echo "FAIL: $name"
    failures+=("$name")
  fi
}

step "1. tcp/ and udp/ mirror each other file for file"
for f in examples/tcp/*.cpp; do
  twin=examples/udp/$(basename "$f")
  if [ -f "$twin" ]; then
    echo "$(basename "$f"): $(diff "$f" "$twin" | grep -c '^[<>]' || true) lines differ"
  else
    echo "FAIL: $twin is missing"
    failures+=("twin of $f")
  fi
done

step "2a. CMake + g++: build the examples (-Werror), run ctest -L examples"
cmake -S . -B "$build/cmake" -DCSNET_BUILD_TESTS=OFF -DCSNET_BUILD_EXAMPLES=ON \
  -DCSNET_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build/cmake" -j "$jobs"
check "ctest -L examples" ctest --test-dir "$build/cmake" -L examples --output-on-failure -j "$jobs"
check "run_first_pair (cmake)" cmake --build "$build/cmake" --target run_first_pair

# Meson, clang++ and the sanitizers build and test the examples in .ci/builds.sh.

step "2d. MinGW: build the examples (-Werror), run the final pairs under Wine"
if command -v x86_64-w64-mingw32-g++-posix >/dev/null && [ -f cmake/mingw-w64-x86_64.cmake ]; then
  cmake -S . -B "$build/mingw" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
    -DCSNET_BUILD_TESTS=OFF -DCSNET_BUILD_EXAMPLES=ON -DCSNET_WERROR=ON >/dev/null
  check "MinGW build" cmake --build "$build/mingw" -j "$jobs"
  if command -v wine >/dev/null; then
    export WINEDEBUG=-all
    exe=$build/mingw/examples
    for kind in tcp udp; do
      check "$kind final pair under Wine" wine "$exe/run_pair.exe" \
        --expect-server "examples/transcripts/${kind}_server.txt" \
        --expect-client "examples/transcripts/${kind}_client.txt" \
        "$exe/${kind}_06_server_close.exe" "$exe/${kind}_05_client_close.exe"
    done
    # The many_clients lesson's selector server (WSAPoll) under Wine, with the Linux load client.
    check "many_clients_selector under Wine, 200 Linux clients" python3 - \
      "$exe/many_clients_selector.exe" "$build/cmake/examples/many_clients_load" <<'PY'
import sys
sys.path.insert(0, "examples")
import lessontest as lt
with lt.Server(["wine", sys.argv[1], "127.0.0.1", "0"], ready_timeout=60, echo=False) as srv:
    r = lt.run([sys.argv[2], "127.0.0.1", srv.port, "--clients", "200", "--messages", "10",
                "--max-size", "65536"], timeout=100)
    print(r.stdout.decode().strip(), r.stderr.decode().strip())
    sys.exit(r.returncode)
PY
  else
    echo "SKIP: wine not installed: MinGW examples built, not run"
  fi
else
  echo "SKIP: MinGW (x86_64-w64-mingw32-g++-posix) not installed"
fi

step "3. Interop with CPython's reference peers (../shared/reference)"
reference=$root/../shared/reference
if [ ! -d "$reference" ]; then
  echo "SKIP: $reference does not exist (it is there only on the project's own machines)"
elif ! command -v python3 >/dev/null; then
  echo "SKIP: python3 is not installed, so the C++/Python interop is not checked"
else
  exe=$build/cmake/examples
  for kind in tcp udp; do
    if [ "$kind" = udp ]; then py=udp_echo_; else py=echo_; fi
    expect=(--expect-server "examples/transcripts/${kind}_server.txt"
            --expect-client "examples/transcripts/${kind}_client.txt")
    check "$kind: csnet server <-> ${py}client.py" "$exe/run_pair" "${expect[@]}" \
      "$exe/${kind}_06_server_close" "python3 \"$reference/${py}client.py\""
    check "$kind: ${py}server.py <-> csnet client" "$exe/run_pair" "${expect[@]}" \
      "python3 \"$reference/${py}server.py\"" "$exe/${kind}_05_client_close"
  done
fi

step "Summary"
if [ ${#failures[@]} -eq 0 ]; then
  echo "examples: all checks passed"
else
  printf 'examples: FAILED: %s\n' "${failures[@]}"
  exit 1
fi
