#!/usr/bin/env bash
# .ci/hardening.sh - the searches of issue 9, kept running:
#   tsan-gcc, tsan-clang  the test suite under ThreadSanitizer (g++ and clang++)
#   valgrind              the test suite under valgrind's memcheck (one process)
#   fuzz                  each libFuzzer target of tests/fuzz/ for FUZZ_SECONDS (twice
#                         that for fuzz_recv, whose inputs open sockets)
#                         (clang++ -fsanitize=fuzzer,address,undefined), from the
#                         corpus kept in tests/fuzz/corpus/; a crash fails the run
#                         and its input is kept (and printed in base64)
#   load                  csnet_load: 1,000 clients x 100 messages of 1 B-64 KiB
#                         (uniform: ~3.3 GB each way) against a thread-per-client
#                         csnet echo server, byte-exact
# Usage: .ci/hardening.sh [tsan-gcc] [tsan-clang] [valgrind] [fuzz] [load]   (none: all)
# Environment: CSNET_FUZZ_SECONDS (per target, default 11: ~100 s in all), CSNET_CI_DIR (keep the
# build folders there), CSNET_CI_JOBS (default 2). About 8-10 minutes on 2 cores.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init hardening
ci_workdir hardening
FUZZ_SECONDS="${CSNET_FUZZ_SECONDS:-11}"
start=$SECONDS
summary=()

# build NAME CXX TYPE TARGETS [cmake args...]: TARGETS ("csnet_tests csnet_load") in $WORK/NAME.
build() {
    local name="$1" cxx="$2" type="$3" targets="$4"
    shift 4
    cmake -S "$ROOT" -B "$WORK/$name" "${GENERATOR[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$type" \
        -DCSNET_BUILD_TESTS=ON -DCSNET_BUILD_EXAMPLES=OFF -DCSNET_WERROR=ON "$@" >/dev/null \
        || fail "$name: configure"
    # shellcheck disable=SC2086  # $targets is a list
    cmake --build "$WORK/$name" --target $targets -j "$JOBS" || fail "$name: build"
}

run_tsan() {
    local name="$1" cxx="$2"
    section "$name: the test suite under ThreadSanitizer ($cxx)"
    need "$cxx" "apt install ${cxx%++}"
    build "$name" "$cxx" Debug "csnet_tests csnet_load" -DCSNET_SANITIZE=thread
    local t0=$SECONDS
    # halt_on_error: a race fails its test case. (test_allocation.cpp leaves operator
    # new to TSan's runtime there, and its tests say they are skipped.)
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir "$WORK/$name" --output-on-failure --no-tests=error -j "$JOBS" --timeout 300 \
        || fail "$name: tests"
    summary+=("$name: the suite passed under TSan in $((SECONDS - t0)) s")
}

run_valgrind() {
    section "valgrind: the test suite under memcheck"
    need valgrind "apt install valgrind"
    build valgrind g++ Debug csnet_tests
    local t0=$SECONDS log="$WORK/valgrind.log"
    # One process for the whole suite (a start under valgrind costs a second). Forked
    # children stay silent and keep their own exit codes (in a child, what other
    # threads held looks lost): memcheck's verdict is the parent's ERROR SUMMARY.
    if ! valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
        --child-silent-after-fork=yes --trace-children=no --log-file="$log" \
        "$WORK/valgrind/tests/csnet_tests" --no-intro=true; then
        fail "valgrind: the suite failed under memcheck (log: $log)"
    fi
    if ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
        cat "$log" >&2
        fail "valgrind: memcheck found errors (log: $log)"
    fi
    grep -E "ERROR SUMMARY|definitely lost" "$log" || true
    summary+=("valgrind: the suite passed under memcheck, $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log" | head -1), in $((SECONDS - t0)) s")
}

run_fuzz() {
    section "fuzz: each target for ${FUZZ_SECONDS} s (fuzz_recv twice that)"
    need clang++ "apt install clang libclang-rt-14-dev"
    local dir="$WORK/fuzz" artifacts
    artifacts="$WORK/fuzz/crashes"
    mkdir -p "$dir" "$artifacts"
    local targets=(address format preview errors recv)
    # The lessons' parsers, where they exist.
    [[ -f "$ROOT/examples/http/http.hpp" ]] && targets+=(http)
    [[ -f "$ROOT/examples/websocket/frame.hpp" ]] && targets+=(websocket)
    [[ -f "$ROOT/examples/mail/protocol.hpp" ]] && targets+=(mail)
    # shellcheck disable=SC2054  # the commas belong to -fsanitize=
    local flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
                 -Wall -Wextra -Werror -I"$ROOT/include" -I"$ROOT/examples/http" -I"$ROOT/examples/websocket"
                 -I"$ROOT/examples/mail")
    local t pids=()
    for t in "${targets[@]}"; do  # two compilers at a time
        clang++ "${flags[@]}" "$ROOT/tests/fuzz/fuzz_$t.cpp" -o "$dir/fuzz_$t" &
        pids+=($!)
        if (( ${#pids[@]} >= JOBS )); then wait "${pids[0]}" || fail "fuzz: build"; pids=("${pids[@]:1}"); fi
    done
    for p in "${pids[@]}"; do wait "$p" || fail "fuzz: build"; done
    local failed=() total=0
    for t in "${targets[@]}"; do
        local corpus="$dir/corpus_$t" log="$dir/fuzz_$t.log" seconds="$FUZZ_SECONDS"
        [[ "$t" == recv ]] && seconds=$((FUZZ_SECONDS * 2))
        rm -rf "$corpus"
        mkdir -p "$corpus"
        if [[ -d "$ROOT/tests/fuzz/corpus/$t" ]]; then cp "$ROOT/tests/fuzz/corpus/$t"/* "$corpus"/; fi
        # ASan's leak check off: a target keeps its listening socket for the whole run.
        if ASAN_OPTIONS="detect_leaks=0" "$dir/fuzz_$t" -max_total_time="$seconds" -timeout=20 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$corpus" >"$log" 2>&1; then
            local runs
            runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
            total=$((total + runs))
            printf 'fuzz_%-10s %10s executions, corpus %s inputs\n' "$t" "$runs" \
                "$(find "$corpus" -type f | wc -l)"
        else
            tail -40 "$log" >&2
            failed+=("$t")
        fi
    done
    if (( ${#failed[@]} > 0 )); then
        local f
        for f in "$artifacts"/*; do
            [[ -f "$f" ]] || continue
            echo "crash input kept in $f (base64: $(base64 -w0 "$f" | head -c 400))" >&2
        done
        fail "fuzz: ${failed[*]} crashed (inputs kept in $artifacts)"
    fi
    summary+=("fuzz: ${#targets[@]} targets, $total executions, no crash")
}

run_load() {
    section "load: 1,000 clients x 100 messages, 1 B to 64 KiB, byte-exact"
    build load g++ Release csnet_load
    local out
    out=$("$WORK/load/tests/csnet_load" --clients 1000 --messages 100 --max-size 65536 --sizes uniform \
        --seconds 60) \
        || { echo "$out"; fail "load: not every byte came back"; }
    echo "$out"
    summary+=("$out")
}

steps=("$@")
(( ${#steps[@]} > 0 )) || steps=(tsan-gcc tsan-clang valgrind fuzz load)
for step in "${steps[@]}"; do
    case "$step" in
        tsan-gcc) run_tsan tsan-gcc g++ ;;
        tsan-clang) run_tsan tsan-clang clang++ ;;
        valgrind) run_valgrind ;;
        fuzz) run_fuzz ;;
        load) run_load ;;
        *) fail "unknown step $step (tsan-gcc, tsan-clang, valgrind, fuzz, load)" ;;
    esac
done
section "summary"
printf '%s\n' "${summary[@]}"
echo "hardening: ${steps[*]} passed in $((SECONDS - start)) s"
