#!/usr/bin/env bash
# capture.sh: the report's Wireshark step (seed 004, section 5) on the command line.
#
# It captures the loopback interface with tshark while the final echo pair runs on a
# free port, saves the capture as .pcapng (open it in Wireshark), and prints the frames
# as the report's table (No., Time, Source, Destination, Protocol, Length, Info), each
# followed by what the frame is and which line of the C++ programs caused it, in
# English (en) and Spanish (es).
#
#   tcp      tcp_06_server_close + tcp_05_client_close: handshake, data, echo, FIN
#   udp      udp_06_server_close + udp_05_client_close: two datagrams, nothing else
#   refused  tcp_05_client_close to a port where nobody listens: SYN, then RST
#   rst      tcp_06_server_close + capture_rst_client: a close() with unread bytes
#            sends RST instead of FIN, as the report's frame 27 does
#
# Exit codes: 0 done, 1 something failed, 2 bad arguments, 77 cannot capture here
# (tshark missing, or no permission to capture: it says what to do).
set -u

usage() {
  cat <<'EOF'
usage: examples/capture/capture.sh tcp|udp|refused|rst [--out FILE.pcapng] [--build DIR]

  tcp       capture the report's TCP echo pair (handshake, data, echo, FIN)
  udp       capture its UDP twin (two datagrams)
  refused   capture a connect() to a port where nobody listens (SYN, RST)
  rst       capture a client that closes with unread bytes (RST instead of FIN)
  --out F   where to save the capture (default: /tmp/csnet-capture-MODE.pcapng)
  --build D the folder with the programs: build/examples, or the build folder itself
            (default: $CSNET_BUILD_DIR, else ./build next to examples/)

Needs tshark and the right to capture (root, or the wireshark group: it tells you how).
Necesita tshark y permiso para capturar (root, o el grupo wireshark: te dice cómo).
EOF
}

# == Arguments =================================================================
mode=""
out=""
build="${CSNET_BUILD_DIR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    tcp|udp|refused|rst) [ -z "$mode" ] || { usage >&2; exit 2; }; mode="$1" ;;
    --out) [ $# -ge 2 ] || { usage >&2; exit 2; }; out="$2"; shift ;;
    --build) [ $# -ge 2 ] || { usage >&2; exit 2; }; build="$2"; shift ;;
    *) echo "capture.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ -n "$mode" ] || { usage >&2; exit 2; }

here="$(cd "$(dirname "$0")" && pwd)"
[ -n "$build" ] || build="$here/../../build"
[ -n "$out" ] || out="${TMPDIR:-/tmp}/csnet-capture-$mode.pcapng"
export LC_ALL=C  # "0.000069" with a dot, whatever the student's locale

# Every wait below is bounded: these many seconds at most.
READY_SECONDS=15   # for a server's first line, and for tshark to start capturing
RUN_SECONDS=20     # for a client to finish
FRAMES_SECONDS=10  # for the last expected frame to reach the capture file

# == Helpers ===================================================================
say() { printf '%s\n' "$@"; }
fail() { say "capture.sh: $*" >&2; exit 1; }

# find_program NAME: NAME in the build folder (or its examples/ and capture/ folders).
find_program() {
  local dir
  for dir in "$build" "$build/capture" "$build/examples" "$build/examples/capture"; do
    if [ -x "$dir/$1" ] && [ -f "$dir/$1" ]; then
      say "$dir/$1"
      return 0
    fi
  done
  say "capture.sh: $1 not found under $build" \
      "  build it / compílalo:  cmake --workflow --preset first-pair" \
      "                         cmake --build build --target $1" \
      "  or say where it is / o di dónde está:  --build DIR" >&2
  exit 1
}

# wait_for_line FILE REGEX PID: until a line of FILE matches REGEX (extended), for
# READY_SECONDS at most; fails at once if process PID has ended.
wait_for_line() {
  local i
  for ((i = 0; i < READY_SECONDS * 20; i++)); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { grep -Eq "$2" "$1" 2>/dev/null; return; }
    sleep 0.05
  done
  return 1
}

# wait_for_exit PID SECONDS: until PID ends, SECONDS at most (then it is ended); puts
# its exit code in exit_code. Not in a $(...): only this shell may wait for its children.
exit_code=""
wait_for_exit() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$1" 2>/dev/null && kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  exit_code=$?
}

# bounded SECONDS COMMAND...: runs COMMAND, ended after SECONDS.
bounded() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout "$seconds" "$@"
  else
    "$@"
  fi
}

# == Can we capture? ============================================================
iface=lo
[ "$(uname -s)" = Linux ] || iface=lo0   # macOS and the BSDs call loopback lo0

if ! command -v tshark >/dev/null 2>&1; then
  say "capture.sh: tshark is not installed / tshark no está instalado." \
      "  Debian, Ubuntu:  sudo apt-get install tshark" \
      "  Fedora:          sudo dnf install wireshark-cli" \
      "  macOS:           brew install wireshark" \
      "  Windows: see/ver examples/capture/README.md (Wireshark + Npcap loopback adapter)" >&2
  exit 77
fi

# dumpcap does the capturing for tshark; asking it for the link types of the
# loopback interface needs the same right as capturing, and sends nothing.
dumpcap_program="$(command -v dumpcap || true)"
[ -n "$dumpcap_program" ] || dumpcap_program=/usr/bin/dumpcap
if ! probe="$(bounded 10 "$dumpcap_program" -i "$iface" -L 2>&1)"; then
  say "capture.sh: you may not capture packets on '$iface' yet." \
      "capture.sh: todavía no puedes capturar paquetes en '$iface'." \
      "" \
      "Do one of these (this script never asks for a password itself):" \
      "Haz una de estas cosas (este script nunca pide una contraseña por su cuenta):" \
      "  1. Run it as root / ejecútalo como root:" \
      "       sudo $0 $mode" \
      "  2. Or let your user capture, once / o deja capturar a tu usuario, una vez:" \
      "       sudo dpkg-reconfigure wireshark-common    # answer Yes / responde Sí" \
      "       sudo usermod -aG wireshark \"\$USER\"" \
      "     then log out and in again / luego cierra la sesión y vuelve a entrar" \
      "     (check / comprueba: 'id' lists 'wireshark' / 'id' muestra 'wireshark')." \
      "     Without dpkg / sin dpkg:" \
      "       sudo setcap cap_net_raw,cap_net_admin=eip $dumpcap_program" \
      "" \
      "dumpcap said / dumpcap dijo:" "$probe" >&2
  exit 77
fi

# == The programs ===============================================================
case "$mode" in
  tcp|refused) server="$(find_program tcp_06_server_close)" || exit 1
               client="$(find_program tcp_05_client_close)" || exit 1 ;;
  udp)         server="$(find_program udp_06_server_close)" || exit 1
               client="$(find_program udp_05_client_close)" || exit 1 ;;
  rst)         server="$(find_program tcp_06_server_close)" || exit 1
               client="$(find_program capture_rst_client)" || exit 1 ;;
esac
protocol=tcp
[ "$mode" = udp ] && protocol=udp

work="$(mktemp -d "${TMPDIR:-/tmp}/csnet-capture.XXXXXX")" || fail "cannot make a temporary folder"
server_pid=""
tshark_pid=""
# shellcheck disable=SC2317  # called by the trap below
cleanup() {
  # Only the processes this script started, by their PID.
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$tshark_pid" ] && kill "$tshark_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# == 1. The server, on a free port (port 0: the system picks one) ===============
"$server" 127.0.0.1 0 --once >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
wait_for_line "$work/server.err" '^starting up on .* port [0-9]+' "$server_pid" ||
  fail "the server did not start: $(cat "$work/server.err")"
port="$(sed -n 's/^starting up on .* port \([0-9][0-9]*\).*/\1/p' "$work/server.err" | head -n 1)"

if [ "$mode" = refused ]; then
  # Stop the server: now nobody listens on that port, and we know it is free.
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
fi

# == 2. tshark, on loopback, only this port =====================================
# -w saves every frame; -P -l also prints each one as soon as it is in the file, so
# that we know when the last one has arrived, without guessing with sleep.
rm -f "$out"
tshark -i "$iface" -f "$protocol port $port" -w "$out" -P -l \
  -T fields -e frame.number -e _ws.col.Info >"$work/live.txt" 2>"$work/tshark.err" &
tshark_pid=$!
# tshark prints "Capturing on 'Loopback: lo'" *before* it starts dumpcap: a packet
# sent then is lost. "Capture started" (and "File: ...") come once dumpcap really
# captures.
wait_for_line "$work/tshark.err" 'Capture started|File: ' "$tshark_pid" ||
  fail "tshark did not start capturing: $(cat "$work/tshark.err")"

# == 3. The exchange ============================================================
bounded "$RUN_SECONDS" "$client" 127.0.0.1 "$port" >"$work/client.out" 2>"$work/client.err"
client_code=$?
server_code=""
if [ -n "$server_pid" ]; then
  wait_for_exit "$server_pid" 10
  server_code="$exit_code"
  server_pid=""
fi

# == 4. Wait for the last frame we expect, then stop tshark =====================
# tcp: the frame after the second FIN (the last ACK); udp: the echo; refused and rst:
# the RST.
last_frame_seen() {
  case "$mode" in
    tcp) awk '/FIN/ { fins++; next } fins >= 2 { found = 1 } END { exit !found }' "$work/live.txt" ;;
    udp) [ "$(wc -l <"$work/live.txt")" -ge 2 ] ;;
    refused|rst) grep -q 'RST' "$work/live.txt" ;;
  esac
}
complete=no
for ((i = 0; i < FRAMES_SECONDS * 20; i++)); do
  if last_frame_seen; then complete=yes; break; fi
  kill -0 "$tshark_pid" 2>/dev/null || break
  sleep 0.05
done
kill "$tshark_pid" 2>/dev/null
wait_for_exit "$tshark_pid" 10
tshark_pid=""

# == 5. What the programs printed ===============================================
say "== capture.sh $mode: 127.0.0.1, port $port, interface $iface"
say "-- client: $(basename "$client") 127.0.0.1 $port (exit code $client_code)"
cat "$work/client.out" "$work/client.err"
if [ -n "$server_code" ]; then
  say "-- server: $(basename "$server") 127.0.0.1 0 --once (exit code $server_code)"
  cat "$work/server.err" "$work/server.out"
fi
say ""

# == 6. The frames, as the report's table, and what each one is ================
# The fields are separated by the character 0x1f (unit separator): with a tab, "read"
# would merge the empty fields (udp.srcport of a TCP frame) and shift the others.
sep=$'\x1f'
tshark -r "$out" -T fields -E "separator=$sep" \
  -e frame.number -e frame.time_relative -e ip.src -e ip.dst -e _ws.col.Protocol \
  -e frame.len -e _ws.col.Info -e tcp.srcport -e udp.srcport -e tcp.flags \
  -e tcp.len -e udp.length >"$work/frames.txt" 2>"$work/read.err" ||
  fail "tshark could not read $out: $(cat "$work/read.err")"

printf '%-4s %-9s %-10s %-11s %-8s %-6s %s\n' No. Time Source Destination Protocol Length Info
fins=0          # FINs seen so far
client_data=0   # data segments the client has sent
frames=0
last_time=0
phase=connect   # connect, data, close: to count the frames of each phase
connect_frames=0; data_frames=0; close_frames=0
connect_end=0; close_start=""
while IFS="$sep" read -r number time src dst proto length info tsport usport flags tlen ulen; do
  frames=$((frames + 1))
  last_time="$time"
  read_what="recv(19) returns it"; lee="recv(19) lo entrega"
  [ "$mode" = rst ] && { read_what="recv(4) takes only 4 bytes of it"; lee="recv(4) toma solo 4 bytes"; }
  printf '%-4s %-9.6f %-10s %-11s %-8s %6s %s\n' "$number" "$time" "$src" "$dst" "$proto" "$length" "$info"
  from_server=no
  [ "${tsport:-$usport}" = "$port" ] && from_server=yes
  if [ "$protocol" = udp ]; then
    bytes=$((ulen - 8))
    if [ "$from_server" = no ]; then
      en="client: sock.sendto(message, server_address) -> one datagram, $bytes bytes; no handshake before it"
      es="cliente: sock.sendto(message, server_address) -> un datagrama, $bytes bytes; sin saludo previo"
    else
      en="server: sock.sendto(data, client_address) -> the echo, one datagram; close() will send nothing"
      es="servidor: sock.sendto(data, client_address) -> el eco, un datagrama; close() no enviará nada"
    fi
  else
    f=$((flags))
    fin=$((f & 1)); syn=$((f & 2)); rst=$((f & 4)); ack=$((f & 16))
    if [ "$syn" -ne 0 ] && [ "$ack" -eq 0 ]; then
      en="client: sock.connect(server_address) -> SYN: asks to open a connection (handshake 1 of 3)"
      es="cliente: sock.connect(server_address) -> SYN: pide abrir una conexión (saludo de tres vías, 1 de 3)"
      if [ "$mode" = refused ]; then
        en="client: sock.connect(server_address) -> SYN (handshake 1 of 3, and the last one)"
        es="cliente: sock.connect(server_address) -> SYN (saludo, 1 de 3, y el último)"
      fi
    elif [ "$syn" -ne 0 ]; then
      en="server's system -> SYN-ACK (handshake 2 of 3): listen() is enough, the program is still in accept()"
      es="sistema del servidor -> SYN-ACK (saludo, 2 de 3): basta listen(), el programa sigue en accept()"
    elif [ "$rst" -ne 0 ] && [ "$mode" = refused ]; then
      en="the system at $src -> RST: nobody listens on port $port; connect() fails: Connection refused"
      es="el sistema de $src -> RST: nadie escucha en el puerto $port; connect() falla: Connection refused"
    elif [ "$rst" -ne 0 ]; then
      phase=close
      en="client: sock.close() with unread bytes in its buffer -> RST instead of FIN (the report's frame 27); the server's recv() fails: Connection reset by peer"
      es="cliente: sock.close() con bytes sin leer en su buffer -> RST en vez de FIN (la trama 27 del informe); el recv() del servidor falla: Connection reset by peer"
    elif [ "$fin" -ne 0 ] && [ "$from_server" = no ]; then
      fins=$((fins + 1)); phase=close
      en="client: sock.close() -> FIN, 'I have nothing more to send'; the server's recv() will return \"\""
      es="cliente: sock.close() -> FIN, 'no tengo nada más que enviar'; el recv() del servidor devolverá \"\""
    elif [ "$fin" -ne 0 ]; then
      fins=$((fins + 1)); phase=close
      en="server: recv() returned \"\", the loop ends: connection.close() -> FIN"
      es="servidor: recv() devolvió \"\", el bucle termina: connection.close() -> FIN"
    elif [ "${tlen:-0}" -gt 0 ] && [ "$from_server" = no ]; then
      client_data=$((client_data + 1)); phase=data
      en="client: sock.sendall(message) -> PSH, ACK with $tlen bytes of data"
      es="cliente: sock.sendall(message) -> PSH, ACK con $tlen bytes de datos"
    elif [ "${tlen:-0}" -gt 0 ]; then
      en="server: connection.sendall(data) -> the echo, $tlen bytes back"
      es="servidor: connection.sendall(data) -> el eco, $tlen bytes de vuelta"
    elif [ "$fins" -eq 0 ] && [ "$client_data" -eq 0 ] && [ "$from_server" = no ]; then
      connect_end="$time"
      en="client's system -> ACK (handshake 3 of 3): connect() returns; the server's accept() can return"
      es="sistema del cliente -> ACK (saludo, 3 de 3): connect() vuelve; el accept() del servidor puede volver"
    elif [ "$fins" -eq 0 ] && [ "$from_server" = yes ]; then
      en="server's system -> ACK: 'got your bytes' (no line of C++: TCP does it); recv(19) returns them"
      es="sistema del servidor -> ACK: 'recibí tus bytes' (ninguna línea de C++: lo hace TCP); recv(19) los entrega"
    elif [ "$fins" -eq 0 ]; then
      en="client's system -> ACK: 'got the echo' (no line of C++: TCP does it); $read_what"
      es="sistema del cliente -> ACK: 'recibí el eco' (ninguna línea de C++: lo hace TCP); $lee"
    elif [ "$from_server" = yes ]; then
      en="server's system -> ACK of the client's FIN; the server's recv() returns \"\""
      es="sistema del servidor -> ACK del FIN del cliente; el recv() del servidor devuelve \"\""
    else
      en="client's system -> ACK of the server's FIN: the connection is closed on both sides"
      es="sistema del cliente -> ACK del FIN del servidor: la conexión queda cerrada en ambos sentidos"
    fi
  fi
  say "     en: $en" "     es: $es"
  case "$phase" in
    connect) connect_frames=$((connect_frames + 1)) ;;
    data) data_frames=$((data_frames + 1)) ;;
    close) close_frames=$((close_frames + 1)); [ -n "$close_start" ] || close_start="$time" ;;
  esac
done <"$work/frames.txt"

say ""
# ms A B: the time from A to B (seconds) in milliseconds
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }
milliseconds="$(ms 0 "$last_time")"
case "$mode" in
  tcp) say "$frames frames in $milliseconds ms: $connect_frames to connect ($(ms 0 "$connect_end") ms)," \
           "  $data_frames for the data and its ACKs, $close_frames to close ($(ms "${close_start:-0}" "$last_time") ms from the first FIN)." \
           "$frames tramas en $milliseconds ms: $connect_frames para conectar ($(ms 0 "$connect_end") ms)," \
           "  $data_frames para los datos y sus ACK, $close_frames para cerrar ($(ms "${close_start:-0}" "$last_time") ms desde el primer FIN)." ;;
  udp) say "$frames frames in $milliseconds ms: the message and its echo; no handshake, no FIN." \
           "$frames tramas en $milliseconds ms: el mensaje y su eco; sin saludo, sin FIN." ;;
  refused) say "$frames frames in $milliseconds ms: SYN, answered by RST: no program there." \
               "$frames tramas en $milliseconds ms: SYN, respondido con RST: no hay programa ahí." ;;
  rst) say "$frames frames in $milliseconds ms: the close was an RST, as in the report's frame 27." \
           "$frames tramas en $milliseconds ms: el cierre fue un RST, como la trama 27 del informe." ;;
esac
# Run with sudo, dumpcap made the file root's, readable by root only: give it to the
# user who typed sudo, so that their Wireshark can open it (and a later run can replace it).
if [ -n "${SUDO_UID:-}" ] && [ "$(id -u)" = 0 ]; then
  chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$out" 2>/dev/null
fi
say "Saved / guardado: $out   (open it / ábrelo: wireshark $out)"
if [ "$complete" != yes ]; then
  say "capture.sh: the last frame expected for '$mode' never arrived (waited ${FRAMES_SECONDS} s)" >&2
  exit 1
fi
exit 0
