#!/usr/bin/env bash
# sftpbench: examples/sftpd (sftpkit) against OpenSSH's internal-sftp, same
# machine, same run, OpenSSH sftp client, alternating rounds. See README.md.
#
# Usage: bench/run.sh [-r ROUNDS] [-s BIG_MIB] [-n SMALL_FILES] [-l LIST_ENTRIES]
#                     [-g LOGINS] [-c CIPHER] [-p]   (-p: pin server to CPU 0, client to CPU 1)
# The same settings can be given as environment variables: ROUNDS, BIG_MIB,
# SMALL_FILES, SMALL_KIB, LIST_ENTRIES, LOGINS, CIPHER, PIN=1, KEEP=1 (keep temp dir).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
BIG_MIB=${BIG_MIB:-256}
SMALL_FILES=${SMALL_FILES:-500}
SMALL_KIB=${SMALL_KIB:-4}
LIST_ENTRIES=${LIST_ENTRIES:-10000}
LOGINS=${LOGINS:-20}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
PIN=${PIN:-0}
KIT_PORT=${KIT_PORT:-22022}
OSSH_PORT=${OSSH_PORT:-22122}

while getopts "r:s:n:l:g:c:ph" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	s) BIG_MIB=$OPTARG ;;
	n) SMALL_FILES=$OPTARG ;;
	l) LIST_ENTRIES=$OPTARG ;;
	g) LOGINS=$OPTARG ;;
	c) CIPHER=$OPTARG ;;
	p) PIN=1 ;;
	*) sed -n '2,9p' "$0"; exit 2 ;;
	esac
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "sftpbench: $*" >&2; }

# --- prerequisites -------------------------------------------------------------
if [[ ! -x /usr/sbin/sshd || ! -x /usr/bin/sftp ]]; then
	log "installing openssh-server/openssh-client"
	DEBIAN_FRONTEND=noninteractive apt-get install -y openssh-server openssh-client >/dev/null
fi
[[ $(id -u) == 0 ]] || { log "must run as root (sshd serves root without chroot)"; exit 1; }

# --- temp dir on tmpfs, cleanup --------------------------------------------------
T=$(mktemp -d /dev/shm/sftpbench.XXXXXX)
KIT_PID= OSSH_PID=
cleanup() {
	for p in $KIT_PID $OSSH_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $KIT_PID $OSSH_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	if [[ ${KEEP:-0} == 1 ]]; then log "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SRV=() CLI=()
if [[ $PIN == 1 ]]; then SRV=(taskset -c 0); CLI=(taskset -c 1); fi

# --- keys, servers -----------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/kit_host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ossh_host_key"
cp "$T/client_key.pub" "$T/authorized_keys"

log "building examples/sftpd"
(cd "$REPO" && go build -o "$T/sftpd" ./examples/sftpd)

KIT_HOME=$T/kitroot/bench # what the sftpkit account sees as its home
OSSH_HOME=$T/ossh         # the directory the sshd session works in
mkdir -p "$KIT_HOME" "$OSSH_HOME" "$T/kitdata" /run/sshd

"${SRV[@]}" "$T/sftpd" -listen "127.0.0.1:$KIT_PORT" -root "$T/kitroot" -user bench \
	-authorized-keys "$T/authorized_keys" -host-key "$T/kit_host_key" -data "$T/kitdata" \
	>"$T/sftpd.log" 2>&1 &
KIT_PID=$!

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
Subsystem sftp internal-sftp
EOF
"${SRV[@]}" /usr/sbin/sshd -D -e -f "$T/sshd_config" >"$T/sshd.log" 2>&1 &
OSSH_PID=$!

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	log "port $1 not listening"; cat "$T"/*.log >&2; exit 1
}
wait_port "$KIT_PORT"
wait_port "$OSSH_PORT"

# --- test data (client side, on tmpfs) ---------------------------------------------
log "creating test data: ${BIG_MIB} MiB file, $SMALL_FILES x $SMALL_KIB KiB files, $LIST_ENTRIES-entry directory"
mkdir -p "$T/src/small" "$T/dst"
head -c "$((BIG_MIB * 1048576))" /dev/urandom >"$T/src/big.bin"
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
wait_idle() { # until the server has no session children (sshd) — at most 5 s
	for _ in $(seq 100); do pgrep -P "$1" >/dev/null || return 0; sleep 0.05; done
}

now_ns() { date +%s%N; }

sftp_run() { # server batchfile
	local port=$KIT_PORT user=bench
	[[ $1 == openssh ]] && { port=$OSSH_PORT; user=root; }
	"${CLI[@]}" sftp -q -F /dev/null -b "$2" -P "$port" -i "$T/client_key" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o Ciphers="$CIPHER" \
		"$user@127.0.0.1" >/dev/null
}

RESULTS=$T/results # lines: workload server round wall_s cpu_s
: >"$RESULTS"

# measure workload server round cmd...
measure() {
	local wl=$1 srv=$2 round=$3 pid=$KIT_PID; shift 3
	[[ $srv == openssh ]] && pid=$OSSH_PID
	local c0 c1 t0 t1
	c0=$(cpu_ticks "$pid")
	t0=$(now_ns)
	"$@"
	t1=$(now_ns)
	wait_idle "$pid"
	c1=$(cpu_ticks "$pid")
	awk -v w="$wl" -v s="$srv" -v r="$round" -v t="$((t1 - t0))" -v c="$((c1 - c0))" -v k="$TCK" \
		'BEGIN { printf "%s %s %s %.3f %.2f\n", w, s, r, t / 1e9, c / k }' >>"$RESULTS"
}

batch() { # server name lines... → batch file path (cd into the server's work dir first)
	local srv=$1 f=$T/batch.$1.$2; shift 2
	{ [[ $srv == openssh ]] && echo "cd $OSSH_HOME"; printf '%s\n' "$@"; } >"$f"
	echo "$f"
}

logins() { for ((i = 0; i < LOGINS; i++)); do sftp_run "$1" "$2"; done; }

run_round() { # server round
	local srv=$1 r=$2 home=$KIT_HOME
	[[ $srv == openssh ]] && home=$OSSH_HOME
	rm -rf "$home/big.bin" "$home/small" "$T/dst"
	mkdir -p "$home/small" "$T/dst/small"
	measure "upload ${BIG_MIB} MiB" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" up "put $T/src/big.bin big.bin")"
	measure "download ${BIG_MIB} MiB" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" down "get big.bin $T/dst/big.bin")"
	cmp -s "$T/src/big.bin" "$T/dst/big.bin" || { log "$srv: downloaded file differs"; exit 1; }
	rm -f "$T/dst/big.bin" "$home/big.bin"
	measure "upload $SMALL_FILES x $SMALL_KIB KiB" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" sup "put $T/src/small/* small/")"
	measure "download $SMALL_FILES x $SMALL_KIB KiB" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" sdown "get small/* $T/dst/small/")"
	[[ $(ls "$T/dst/small" | wc -l) == "$SMALL_FILES" ]] || { log "$srv: small download incomplete"; exit 1; }
	measure "list $LIST_ENTRIES entries" "$srv" "$r" sftp_run "$srv" "$(batch "$srv" ls "ls -1 list")"
	measure "$LOGINS sequential logins" "$srv" "$r" logins "$srv" "$(batch "$srv" pwd "pwd")"
}

log "rounds=$ROUNDS cipher=$CIPHER pin=$PIN"
for ((r = 1; r <= ROUNDS; r++)); do
	for srv in sftpkit openssh; do
		log "round $r: $srv"
		run_round "$srv" "$r"
	done
done

# --- report ---------------------------------------------------------------------------
echo
echo "sftpbench $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(ssh -V 2>&1 | cut -d, -f1) client and sshd, $(cd "$REPO" && go version | cut -d' ' -f3), cipher $CIPHER, rounds $ROUNDS, pinned $([[ $PIN == 1 ]] && echo yes || echo no)"
echo
echo "| workload | sftpkit median s | openssh median s | ratio (sftpkit/openssh) | sftpkit server CPU s | openssh server CPU s | MB/s sftpkit / openssh |"
echo "|---|---|---|---|---|---|---|"
awk -v mib="$BIG_MIB" '
function median(key,   n, a, i, j, t) {
	n = split(vals[key], a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	w = $0; sub(/ (sftpkit|openssh) [0-9]+ [0-9.]+ [0-9.]+$/, "", w)
	n = split($0, f, " "); srv = f[n - 3]
	if (!(w in seen)) { seen[w] = 1; order[++k] = w }
	vals[w SUBSEP srv SUBSEP "t"] = vals[w SUBSEP srv SUBSEP "t"] " " f[n - 1]
	vals[w SUBSEP srv SUBSEP "c"] = vals[w SUBSEP srv SUBSEP "c"] " " f[n]
}
END {
	for (i = 1; i <= k; i++) {
		w = order[i]
		ta = median(w SUBSEP "sftpkit" SUBSEP "t"); tb = median(w SUBSEP "openssh" SUBSEP "t")
		ca = median(w SUBSEP "sftpkit" SUBSEP "c"); cb = median(w SUBSEP "openssh" SUBSEP "c")
		mbs = "–"
		if (w ~ /MiB$/) mbs = sprintf("%.0f / %.0f", mib * 1.048576 / ta, mib * 1.048576 / tb)
		printf "| %s | %.3f | %.3f | %.2f | %.2f | %.2f | %s |\n", w, ta, tb, ta / tb, ca, cb, mbs
	}
}' "$RESULTS"
if [[ -n ${RAW:-} ]]; then cp "$RESULTS" "$RAW"; fi
