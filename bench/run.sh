#!/usr/bin/env bash
# sftpbench: examples/sftpd (sftpkit) against OpenSSH's internal-sftp, same
# machine, same run, alternating rounds, driven by OpenSSH's sftp client and by
# a Go client (bench/sftpclient). See README.md.
#
# Usage: bench/run.sh [-q] [-p] [-r ROUNDS] [-c "CIPHER ..."] [-s BIG_MIB] [-n SMALL_FILES]
#                     [-l LIST_ENTRIES] [-g LOGINS] [-P PAR_MIB] [-S SCALE_SESSIONS]
#                     [-M SCALE_MIB] [-I IDLE_SESSIONS]
#   -q  quick smoke test: 1 round, first cipher, tiny sizes; exits non-zero on any failure
#   -p  pin both servers to CPU 0 and every client to CPU 1
# Each setting can also be given as an environment variable of the same name (flags win):
# ROUNDS, CIPHERS, BIG_MIB, SMALL_FILES, SMALL_KIB, LIST_ENTRIES, LOGINS, PAR_STREAMS,
# PAR_MIB, SCALE_SESSIONS, SCALE_MIB, IDLE_SESSIONS, GO_PACKETS (packet sizes of the Go
# client's get/put), PIN=1, QUICK=1; also KEEP=1 (keep the temp dir), RAW=FILE (copy the
# per-run results to FILE, FILE.scale, FILE.idle), SFTPD=BINARY (use a prebuilt sftpd),
# KIT_PORT, OSSH_PORT, DEBUG_PORT.
set -eEuo pipefail

QUICK=${QUICK:-0}
PIN=${PIN:-0}
CIPHERS=${CIPHERS:-${CIPHER:-}}
while getopts "qpr:c:s:n:l:g:P:S:M:I:h" opt; do
	case $opt in
	q) QUICK=1 ;;
	p) PIN=1 ;;
	r) ROUNDS=$OPTARG ;;
	c) CIPHERS=$OPTARG ;;
	s) BIG_MIB=$OPTARG ;;
	n) SMALL_FILES=$OPTARG ;;
	l) LIST_ENTRIES=$OPTARG ;;
	g) LOGINS=$OPTARG ;;
	P) PAR_MIB=$OPTARG ;;
	S) SCALE_SESSIONS=$OPTARG ;;
	M) SCALE_MIB=$OPTARG ;;
	I) IDLE_SESSIONS=$OPTARG ;;
	*) sed -n '6,16p' "$0"; exit 2 ;;
	esac
done

default() { # VAR FULL [QUICK]: set VAR unless a flag or the environment did
	[[ -n ${!1:-} ]] && return
	if [[ $QUICK == 1 ]]; then printf -v "$1" %s "${3-$2}"; else printf -v "$1" %s "$2"; fi
}
default ROUNDS 5 1
default CIPHERS "aes128-gcm@openssh.com chacha20-poly1305@openssh.com" # -q: the first one
default BIG_MIB 1024 8
default SMALL_FILES 2000 50
default SMALL_KIB 4
default LIST_ENTRIES 10000 200
default LOGINS 20 3
default PAR_STREAMS 4 2
default PAR_MIB 256 8
default SCALE_SESSIONS 200 10
default SCALE_MIB 16 1
default IDLE_SESSIONS 1000 20
default GO_PACKETS "32768 261120"
default KIT_PORT 22022
default OSSH_PORT 22122
default DEBUG_PORT 22023
read -ra CIPHER_LIST <<<"${CIPHERS//,/ }"
read -ra PACKETS <<<"${GO_PACKETS//,/ }"
if [[ $QUICK == 1 ]]; then CIPHER_LIST=("${CIPHER_LIST[0]}"); fi

REPO=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "sftpbench: $*" >&2; }
CURRENT="setup" # what is running, for the failure message
trap 'log "FAILED during: $CURRENT (line $LINENO: $BASH_COMMAND)"' ERR

# --- prerequisites -------------------------------------------------------------
if [[ ! -x /usr/sbin/sshd || ! -x /usr/bin/sftp || ! -x /usr/bin/curl ]]; then
	log "installing openssh-server, openssh-client, curl"
	DEBIAN_FRONTEND=noninteractive apt-get install -y openssh-server openssh-client curl >/dev/null
fi
[[ $(id -u) == 0 ]] || { log "must run as root (sshd serves root without chroot)"; exit 1; }
# Every idle session holds a socket in the client and in a server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < IDLE_SESSIONS + 200)); then
	log "open-file limit $(ulimit -n) is too low for $IDLE_SESSIONS idle sessions"; exit 1
fi

# --- temp dir on tmpfs, cleanup --------------------------------------------------
T=$(mktemp -d /dev/shm/sftpbench.XXXXXX)
KIT_PID= OSSH_PID= SAMPLER_PID= IDLE_PID=
stop_pid() { # pid: TERM, up to 5 s, then KILL
	[[ -n $1 ]] || return 0
	kill "$1" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cleanup() {
	exec 7>&- || true # the idle client's stdin
	for p in $SAMPLER_PID $IDLE_PID $KIT_PID $OSSH_PID; do stop_pid "$p"; done
	if [[ ${KEEP:-0} == 1 ]]; then log "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SRV=() CLI=()
if [[ $PIN == 1 ]]; then SRV=(taskset -c 0); CLI=(taskset -c 1); fi

# --- keys, builds, servers -----------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/kit_host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ossh_host_key"
cp "$T/client_key.pub" "$T/authorized_keys"

if [[ -n ${SFTPD:-} ]]; then
	cp "$SFTPD" "$T/sftpd"
else
	log "building examples/sftpd"
	(cd "$REPO" && go build -o "$T/sftpd" ./examples/sftpd)
fi
log "building bench/sftpclient"
(cd "$REPO" && go build -o "$T/sftpclient" ./bench/sftpclient)

KIT_HOME=$T/kitroot/bench # what the sftpkit account sees as its home
OSSH_HOME=$T/ossh         # the directory the sshd session works in
mkdir -p "$KIT_HOME" "$OSSH_HOME" "$T/kitdata" /run/sshd

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	log "port $1 not listening"; cat "$T"/*.log >&2; exit 1
}

start_kit() {
	"${SRV[@]}" "$T/sftpd" -listen "127.0.0.1:$KIT_PORT" -root "$T/kitroot" -user bench \
		-authorized-keys "$T/authorized_keys" -host-key "$T/kit_host_key" -data "$T/kitdata" \
		-debug "127.0.0.1:$DEBUG_PORT" >>"$T/sftpd.log" 2>&1 &
	KIT_PID=$!
	wait_port "$KIT_PORT"
}
start_kit

# MaxStartups: the idle and scale workloads log in up to 32 sessions at once
# (sshd's default, 10:30:100, drops some). MaxSessions is per connection (the
# clients here open one session per connection), so its default is enough.
cat >"$T/sshd_config" <<EOF
Port $OSSH_PORT
ListenAddress 127.0.0.1
HostKey $T/ossh_host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
UseDNS no
ChrootDirectory none
MaxStartups 2000
Subsystem sftp internal-sftp
EOF
"${SRV[@]}" /usr/sbin/sshd -D -e -f "$T/sshd_config" >"$T/sshd.log" 2>&1 &
OSSH_PID=$!
wait_port "$OSSH_PORT"

# --- test data (client side, on tmpfs) ---------------------------------------------
log "creating test data: ${BIG_MIB} MiB file, $PAR_STREAMS x $PAR_MIB MiB files, $SMALL_FILES x $SMALL_KIB KiB files, $LIST_ENTRIES-entry directory"
mkdir -p "$T/src/small"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$T/src/big.bin"
for ((i = 0; i < PAR_STREAMS; i++)); do head -c "$((PAR_MIB << 20))" /dev/urandom >"$T/src/par$i.bin"; done
head -c "$((SMALL_KIB * 1024))" /dev/urandom >"$T/small.tmpl"
for ((i = 0; i < SMALL_FILES; i++)); do cp "$T/small.tmpl" "$T/src/small/f$i"; done
for home in "$KIT_HOME" "$OSSH_HOME"; do
	mkdir -p "$home/list"
	(cd "$home/list" && seq -f "entry%05g" 1 "$LIST_ENTRIES" | xargs touch)
done

# --- measurement ------------------------------------------------------------------
# CPU of a server = utime+stime+cutime+cstime of the listener process, in ticks.
# For sftpd that is the whole server (one process); for sshd the per-connection
# children are reaped by the listener, so their CPU lands in cutime/cstime.
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] + f[14] + f[15] }' "/proc/$1/stat"; }
wait_idle() { # until the server has no session children (sshd) — at most 30 s
	for _ in $(seq 600); do pgrep -P "$1" >/dev/null || return 0; sleep 0.05; done
	log "warning: server $1 still has children after 30 s"
}
now_ns() { date +%s%N; }
pid_of() { if [[ $1 == openssh ]]; then echo "$OSSH_PID"; else echo "$KIT_PID"; fi; }

# Peak RSS of a server during a workload. sftpd is one process: its peak
# (VmHWM) is reset to the current RSS before (clear_refs 5) and read after.
# sshd serves each connection in child processes that come and go, so
# `sftpclient rss` sums VmRSS over the listener and all its descendants every
# 20 ms and keeps the largest sum. The sampler runs for both servers (on the
# client CPU when pinned), so both carry its small load. Before each sftpkit
# workload, settle_kit gives back the heap the previous one left, so that the
# peak is this workload's.
rss_start() { # pid
	if [[ $1 == "$KIT_PID" ]]; then echo 5 >"/proc/$1/clear_refs"; fi
	"${CLI[@]}" "$T/sftpclient" rss -pid "$1" >"$T/rss.out" &
	SAMPLER_PID=$!
}
rss_stop() { # pid → PEAK_KIB
	kill -TERM "$SAMPLER_PID"
	wait "$SAMPLER_PID" || true
	SAMPLER_PID=
	if [[ $1 == "$KIT_PID" ]]; then
		PEAK_KIB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status")
	else
		PEAK_KIB=$(cat "$T/rss.out")
	fi
}

# settle_kit: force a GC every 0.2 s until sftpd's VmRSS stays within 256 KiB
# for three readings in a row (at most 8 s), and set HEAP to its HeapInuse in
# bytes. After one GC, Go's scavenger returns freed heap to the OS in steps
# over seconds; a GC that follows another one returns it at once.
settle_kit() {
	local prev=-1000000 cur same=0
	for _ in $(seq 40); do
		HEAP=$(curl -sf "http://127.0.0.1:$DEBUG_PORT/debug/pprof/heap?gc=1&debug=1" |
			awk '$1 == "#" && $2 == "HeapInuse" { print $4 }')
		sleep 0.2
		cur=$(awk '/^VmRSS:/ { print $2 }' "/proc/$KIT_PID/status")
		if ((cur - prev < 256 && prev - cur < 256)); then ((++same >= 3)) && return 0; else same=0; fi
		prev=$cur
	done
	log "warning: sftpd's RSS did not settle"
}

RESULTS=$T/results    # cipher workload server round wall_s cpu_s peak_rss_mib bytes (tab-separated)
SCALE_RES=$T/scale    # cipher server round p50_s p99_s max_s client_mbps
IDLE_RES=$T/idle      # cipher server sessions open_s heap_kib rss_kib pss_kib processes
: >"$RESULTS"; : >"$SCALE_RES"; : >"$IDLE_RES"

# measure workload bytes server round cmd...   (bytes: payload for MB/s, 0 for none)
measure() {
	local wl=$1 bytes=$2 srv=$3 round=$4 pid c0 c1 t0 t1; shift 4
	pid=$(pid_of "$srv")
	CURRENT="$wl, $srv, round $round, $CIPHER"
	if [[ $srv == sftpkit ]]; then settle_kit; fi # not the memory the last workload left
	rss_start "$pid"
	c0=$(cpu_ticks "$pid")
	t0=$(now_ns)
	"$@"
	t1=$(now_ns)
	wait_idle "$pid"
	c1=$(cpu_ticks "$pid")
	rss_stop "$pid"
	awk -v OFS='\t' -v ci="$CIPHER" -v w="$wl" -v s="$srv" -v r="$round" -v t="$((t1 - t0))" \
		-v c="$((c1 - c0))" -v k="$TCK" -v m="$PEAK_KIB" -v b="$bytes" \
		'BEGIN { print ci, w, s, r, sprintf("%.3f", t / 1e9), sprintf("%.2f", c / k), sprintf("%.1f", m / 1024), b }' >>"$RESULTS"
}

# --- clients ------------------------------------------------------------------------
sftp_run() { # server batchfile — OpenSSH's sftp client
	local port=$KIT_PORT user=bench
	[[ $1 == openssh ]] && { port=$OSSH_PORT; user=root; }
	"${CLI[@]}" sftp -q -F /dev/null -b "$2" -P "$port" -i "$T/client_key" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o Ciphers="$CIPHER" \
		"$user@127.0.0.1" >/dev/null
}

batch() { # server name lines... → batch file path (cd into the server's work dir first)
	local srv=$1 f=$T/batch.$1.$2; shift 2
	{ [[ $srv == openssh ]] && echo "cd $OSSH_HOME"; printf '%s\n' "$@"; } >"$f"
	echo "$f"
}

goclient() { # server mode args... — bench/sftpclient; its report goes to $T/goclient.out
	local srv=$1 mode=$2 port=$KIT_PORT user=bench; shift 2
	[[ $srv == openssh ]] && { port=$OSSH_PORT; user=root; }
	"${CLI[@]}" "$T/sftpclient" "$mode" -addr "127.0.0.1:$port" -user "$user" \
		-key "$T/client_key" -cipher "$CIPHER" "$@" >"$T/goclient.out"
}

logins() { for ((i = 0; i < LOGINS; i++)); do sftp_run "$1" "$2"; done; }

parallel() { # server put|get — PAR_STREAMS sftp clients at once, one file each
	local srv=$1 op=$2 i cmd p pids=() rc=0
	for ((i = 0; i < PAR_STREAMS; i++)); do
		cmd="get par$i.bin $T/dst/par$i.bin"
		[[ $op == put ]] && cmd="put $T/src/par$i.bin par$i.bin"
		sftp_run "$srv" "$(batch "$srv" "par$op$i" "$cmd")" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return "$rc"
}

same() { # file file — fail the run when they differ
	cmp -s "$1" "$2" || { log "$CURRENT: $2 differs from $1"; exit 1; }
}

# --- one round of every workload against one server ----------------------------------
run_round() { # server round
	local srv=$1 r=$2 home=$KIT_HOME rdir=. i pkt big=$((BIG_MIB << 20))
	[[ $srv == openssh ]] && { home=$OSSH_HOME; rdir=$OSSH_HOME; }
	find "$home" -mindepth 1 -maxdepth 1 ! -name list -exec rm -rf {} +
	rm -rf "$T/dst"
	mkdir -p "$home/small" "$home/scale" "$T/dst/small"

	measure "upload ${BIG_MIB} MiB" "$big" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" up "put $T/src/big.bin big.bin")"
	measure "download ${BIG_MIB} MiB" "$big" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" down "get big.bin $T/dst/big.bin")"
	same "$T/src/big.bin" "$T/dst/big.bin"
	rm -f "$T/dst/big.bin" "$home/big.bin"

	measure "upload $SMALL_FILES x $SMALL_KIB KiB" 0 "$srv" "$r" sftp_run "$srv" "$(batch "$srv" sup "put $T/src/small/* small/")"
	measure "download $SMALL_FILES x $SMALL_KIB KiB" 0 "$srv" "$r" sftp_run "$srv" "$(batch "$srv" sdown "get small/* $T/dst/small/")"
	diff -rq "$T/src/small" "$T/dst/small" >&2 || { log "$CURRENT: small files differ"; exit 1; }
	measure "list $LIST_ENTRIES entries" 0 "$srv" "$r" sftp_run "$srv" "$(batch "$srv" ls "ls -1 list")"
	measure "$LOGINS sequential logins" 0 "$srv" "$r" logins "$srv" "$(batch "$srv" pwd "pwd")"

	local par=$((PAR_STREAMS * PAR_MIB << 20))
	measure "upload $PAR_STREAMS x $PAR_MIB MiB in parallel" "$par" "$srv" "$r" parallel "$srv" put
	measure "download $PAR_STREAMS x $PAR_MIB MiB in parallel" "$par" "$srv" "$r" parallel "$srv" get
	for ((i = 0; i < PAR_STREAMS; i++)); do same "$T/src/par$i.bin" "$T/dst/par$i.bin"; done
	rm -f "$T"/dst/par*.bin "$home"/par*.bin

	for pkt in "${PACKETS[@]}"; do
		measure "upload ${BIG_MIB} MiB, Go client, $((pkt / 1024)) KiB packets" "$big" "$srv" "$r" \
			goclient "$srv" put -packet "$pkt" "$T/src/big.bin" "$rdir/big.bin"
		same "$T/src/big.bin" "$home/big.bin"
		measure "download ${BIG_MIB} MiB, Go client, $((pkt / 1024)) KiB packets" "$big" "$srv" "$r" \
			goclient "$srv" get -packet "$pkt" "$rdir/big.bin" "$T/dst/big.bin"
		same "$T/src/big.bin" "$T/dst/big.bin"
		rm -f "$T/dst/big.bin" "$home/big.bin"
	done

	measure "scale: $SCALE_SESSIONS sessions x $SCALE_MIB MiB up+down, Go client" \
		"$((2 * SCALE_SESSIONS * SCALE_MIB << 20))" "$srv" "$r" \
		goclient "$srv" scale -n "$SCALE_SESSIONS" -mib "$SCALE_MIB" -dir "$rdir/scale"
	awk -v OFS='\t' -v ci="$CIPHER" -v s="$srv" -v r="$r" '/^scale:/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print ci, s, r, v["p50_s"], v["p99_s"], v["max_s"], v["mbps"] }' "$T/goclient.out" >>"$SCALE_RES"
	rm -rf "$home/scale"
}

# --- idle sessions: memory per session held open ------------------------------------
idle_sessions() { # server
	local srv=$1 pid n=$IDLE_SESSIONS heap0=0 heap1=0 probe rss0 pss0 rss1 pss1 nproc
	pid=$(pid_of "$srv")
	CURRENT="$n idle sessions, $srv, $CIPHER"
	log "$CURRENT"
	if [[ $srv == sftpkit ]]; then settle_kit; heap0=$HEAP; fi
	probe=$("$T/sftpclient" rss -pid "$pid" -once -pss)
	read -r rss0 pss0 _ <<<"$probe"
	rm -f "$T/idle.in" "$T/goclient.out"; mkfifo "$T/idle.in"
	goclient "$srv" idle -n "$n" <"$T/idle.in" 2>"$T/idle.err" &
	IDLE_PID=$!
	exec 7>"$T/idle.in" # the client holds its sessions until this closes
	until grep -q '^idle:' "$T/goclient.out" 2>/dev/null; do
		if ! kill -0 "$IDLE_PID" 2>/dev/null; then
			cat "$T/idle.err" >&2; log "$CURRENT: the idle client failed"; exit 1
		fi
		sleep 0.2
	done
	if [[ $srv == sftpkit ]]; then settle_kit; heap1=$HEAP; fi
	probe=$("$T/sftpclient" rss -pid "$pid" -once -pss)
	read -r rss1 pss1 nproc <<<"$probe"
	exec 7>&-
	wait "$IDLE_PID" || { cat "$T/idle.err" >&2; log "$CURRENT: the idle client failed"; exit 1; }
	IDLE_PID=
	wait_idle "$pid"
	awk -v OFS='\t' -v ci="$CIPHER" -v s="$srv" -v n="$n" -v h0="$heap0" -v h1="$heap1" \
		-v r0="$rss0" -v r1="$rss1" -v p0="$pss0" -v p1="$pss1" -v np="$nproc" '/^idle:/ {
		split($3, o, "=")
		print ci, s, n, o[2], sprintf("%.1f", (h1 - h0) / 1024 / n), sprintf("%.1f", (r1 - r0) / n),
			sprintf("%.1f", (p1 - p0) / n), np }' "$T/goclient.out" >>"$IDLE_RES"
}

# --- the run ------------------------------------------------------------------------
START=$(date +%s)
log "ciphers=${CIPHER_LIST[*]} rounds=$ROUNDS pin=$PIN quick=$QUICK"
for CIPHER in "${CIPHER_LIST[@]}"; do
	# A fresh sftpd, so that its RSS before the idle sessions is that of a new process.
	stop_pid "$KIT_PID"; start_kit
	idle_sessions sftpkit
	idle_sessions openssh
	for ((r = 1; r <= ROUNDS; r++)); do
		for srv in sftpkit openssh; do
			log "$CIPHER round $r: $srv"
			run_round "$srv" "$r"
		done
	done
done
CURRENT="report"

# --- report ---------------------------------------------------------------------------
echo
VERSION="sftpkit $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [[ -n ${SFTPD:-} ]]; then VERSION="sftpd $SFTPD"
elif [[ -n $(cd "$REPO" && git status --porcelain 2>/dev/null) ]]; then VERSION+=" with uncommitted changes"; fi
echo "sftpbench $(date -u +%Y-%m-%dT%H:%MZ), $VERSION, $(nproc) cores, $(ssh -V 2>&1 | cut -d, -f1) client and sshd," \
	"$(cd "$REPO" && go version | cut -d' ' -f3), rounds $ROUNDS, pinned $([[ $PIN == 1 ]] && echo yes || echo no)," \
	"$(($(date +%s) - START)) s"

# median of the space-separated numbers in s
MEDIAN='function median(s,   n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'
for CIPHER in "${CIPHER_LIST[@]}"; do
	echo
	echo "### $CIPHER"
	echo
	echo "| workload | sftpkit median s | openssh median s | ratio (sftpkit/openssh) | sftpkit server CPU s | openssh server CPU s | sftpkit peak RSS MiB | openssh peak RSS MiB | MB/s sftpkit / openssh |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' -v ci="$CIPHER" "$MEDIAN"'
	$1 == ci {
		if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 }
		key = $2 SUBSEP $3
		t[key] = t[key] " " $5; c[key] = c[key] " " $6; m[key] = m[key] " " $7; bytes[$2] = $8
	}
	END {
		for (i = 1; i <= k; i++) {
			w = order[i]; a = w SUBSEP "sftpkit"; b = w SUBSEP "openssh"
			ta = median(t[a]); tb = median(t[b])
			mbs = bytes[w] > 0 ? sprintf("%.0f / %.0f", bytes[w] / 1e6 / ta, bytes[w] / 1e6 / tb) : "–"
			printf "| %s | %.3f | %.3f | %.2f | %.2f | %.2f | %.1f | %.1f | %s |\n", w, ta, tb, ta / tb,
				median(c[a]), median(c[b]), median(m[a]), median(m[b]), mbs
		}
	}' "$RESULTS"

	echo
	echo "Scale ($SCALE_SESSIONS concurrent sessions, each uploading then downloading its own $SCALE_MIB MiB file, Go client; medians over rounds):"
	echo
	echo "| server | session p50 s | session p99 s | session max s | total MB/s (client-timed) |"
	echo "|---|---|---|---|---|"
	awk -F'\t' -v ci="$CIPHER" "$MEDIAN"'
	$1 == ci { p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5; mx[$2] = mx[$2] " " $6; mb[$2] = mb[$2] " " $7 }
	END {
		n = split("sftpkit openssh", s, " ")
		for (i = 1; i <= n; i++)
			printf "| %s | %.3f | %.3f | %.3f | %.0f |\n", s[i], median(p50[s[i]]), median(p99[s[i]]), median(mx[s[i]]), median(mb[s[i]])
	}' "$SCALE_RES"

	echo
	echo "Idle sessions (authenticated SFTP sessions held open; per session = (with − before) / sessions):"
	echo
	echo "| server | sessions | time to open s | Go heap (HeapInuse) KiB per session | RSS KiB per session | PSS KiB per session | server processes with sessions open |"
	echo "|---|---|---|---|---|---|---|"
	awk -F'\t' -v ci="$CIPHER" '$1 == ci {
		printf "| %s | %d | %.2f | %s | %s | %s | %d |\n", $2, $3, $4, ($2 == "sftpkit" ? $5 : "–"), $6, $7, $8
	}' "$IDLE_RES"
done
if [[ -n ${RAW:-} ]]; then cp "$RESULTS" "$RAW"; cp "$SCALE_RES" "$RAW.scale"; cp "$IDLE_RES" "$RAW.idle"; fi
