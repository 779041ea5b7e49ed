#!/usr/bin/env bash
# Installs what csnet's CI needs on a fresh Debian machine (apt), and nothing when it
# is all there already. Run as root (CI is), or with sudo available.
set -euo pipefail

packages=(
    g++ clang cmake ninja-build meson pkgconf   # compilers and both build systems
    libc++-dev libc++abi-dev                    # LLVM's standard library (macOS's), for the clang++ build
    doctest-dev                                 # the test framework (header + CMake config)
    libclang-rt-14-dev                          # clang's sanitizer runtimes
    g++-mingw-w64-x86-64-posix wine wine64      # the Windows (Winsock) build, run under Wine
    python3                                     # the Python peers of the interop tests
    libasio-dev gnuplot-nox                     # benchmarks: asio's sync API, the ratio chart
    curl chromium python3-websockets            # the lessons' real clients (HTTP, browser, WebSocket)
    netcat-openbsd apache2-utils                # nc for the chat and mail dialogues, ab for the HTTP bench
    tshark                                      # the capture lesson (the report's Wireshark step)
    shellcheck                                  # CI scripts are checked too
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install: every package is already installed"
    exit 0
fi
echo "install: apt-get install ${missing[*]}"
SUDO=()
[[ $(id -u) -eq 0 ]] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer "no" without a dialogue.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${SUDO[@]}" debconf-set-selections
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q "${missing[@]}"
