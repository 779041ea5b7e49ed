# bench/summary.awk - medians and per-pair ratios for bench/run.sh (POSIX awk: mawk, gawk).
#
# mode=runs:    reads runs.csv    (test,impl,rep,n,seconds,rate,p50_us,p99_us)
#               writes results.csv: one row per figure, the median of each program, and
#               the median of the ratios taken pair by pair (same rep = measured side
#               by side, so machine drift cancels).
# mode=compile: reads compile.csv (compiler,program,rep,seconds)
#               writes compile_results.csv: median seconds per compiler and program.
BEGIN { FS = ","; OFS = "," }

# Median of a[1..n] (sorts a copy; n is small).
function median(a, n,    b, i, j, t) {
    if (n == 0) return ""
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 2; i <= n; i++) {
        t = b[i]
        for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]
        b[j + 1] = t
    }
    if (n % 2) return b[(n + 1) / 2]
    return (b[n / 2] + b[n / 2 + 1]) / 2
}

# Median of column `col` for test t, program p, over every rep.
function med_of(t, p, col,    a, n, r) {
    n = 0
    for (r = 1; r <= maxrep; r++)
        if ((t SUBSEP p SUBSEP r SUBSEP col) in v) a[++n] = v[t, p, r, col]
    return median(a, n)
}

# Median over reps of v[p] / v[q] where both ran in the same rep.
function ratio_of(t, p, q, col,    a, n, r) {
    n = 0
    for (r = 1; r <= maxrep; r++)
        if (((t SUBSEP p SUBSEP r SUBSEP col) in v) && ((t SUBSEP q SUBSEP r SUBSEP col) in v) &&
            v[t, q, r, col] > 0)
            a[++n] = v[t, p, r, col] / v[t, q, r, col]
    return median(a, n)
}

function fmt(x) { return x == "" ? "" : sprintf("%.6g", x) }

function figure(t, col, name, unit, better,    i, line, runs, r, seen) {
    runs = 0
    for (r = 1; r <= maxrep; r++)
        if ((t SUBSEP "raw" SUBSEP r SUBSEP col) in v) runs++
    seen = 0
    for (i = 1; i <= nimpl; i++)
        if (med_of(t, impl[i], col) != "") seen = 1
    if (!seen) return
    line = name OFS unit OFS better
    for (i = 1; i <= nimpl; i++) line = line OFS fmt(med_of(t, impl[i], col))
    line = line OFS fmt(ratio_of(t, "csnet", "raw", col)) OFS fmt(ratio_of(t, "csnet", "asio", col))
    line = line OFS fmt(ratio_of(t, "csnet_str", "raw", col)) OFS fmt(ratio_of(t, "asio", "raw", col))
    line = line OFS fmt(ratio_of(t, "py", "raw", col)) OFS runs
    print line
}

mode == "runs" && FNR > 1 {
    # test,impl,rep,n,seconds,rate,p50_us,p99_us
    v[$1, $2, $3, "rate"] = $6
    if ($7 != "") v[$1, $2, $3, "p50_us"] = $7
    if ($8 != "") v[$1, $2, $3, "p99_us"] = $8
    if ($3 + 0 > maxrep) maxrep = $3 + 0
}

mode == "compile" && FNR > 1 {
    # compiler,program,rep,seconds
    k = $1 SUBSEP $2
    if (!(k in cnt)) { order[++nk] = k }
    c[k, ++cnt[k]] = $4
}

END {
    if (mode == "runs") {
        nimpl = split("raw csnet csnet_str asio py", impl, " ")
        print "figure,unit,better,raw,csnet,csnet_str,asio,py,csnet/raw,csnet/asio,csnet_str/raw,asio/raw,py/raw,reps"
        figure("tcp_pingpong", "rate", "TCP ping-pong", "rt/s", "higher")
        figure("tcp_pingpong", "p50_us", "TCP ping-pong p50", "us", "lower")
        figure("tcp_pingpong", "p99_us", "TCP ping-pong p99", "us", "lower")
        figure("tcp_stream", "rate", "TCP stream", "GB/s", "higher")
        figure("udp_pingpong", "rate", "UDP ping-pong", "rt/s", "higher")
        figure("udp_pingpong", "p50_us", "UDP ping-pong p50", "us", "lower")
        figure("udp_pingpong", "p99_us", "UDP ping-pong p99", "us", "lower")
        figure("accept", "rate", "accept rate", "conn/s", "higher")
    } else {
        print "compiler,program,median_s,runs"
        for (i = 1; i <= nk; i++) {
            k = order[i]
            n = cnt[k]
            for (j = 1; j <= n; j++) a[j] = c[k, j]
            split(k, kk, SUBSEP)
            print kk[1], kk[2], sprintf("%.4f", median(a, n)), n
        }
    }
}
