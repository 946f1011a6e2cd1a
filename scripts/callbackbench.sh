#!/usr/bin/env bash
# callbackbench.sh — the callback throughput benchmark recorded in
# BENCHMARKS.md ("The callback").
#
# Builds the bot, starts it on a free loopback port against REDIS_URL (by
# default the Redis on 127.0.0.1:6379) under a key prefix of its own, and
# runs `songnuan bench` RUNS times: N distinct encrypted messages (TEXT,
# default 帮助) with C in flight, then N1 with one in flight. For each run
# it prints the bench's own line and the CPU the bot, Redis and the load
# tool spent per message in the timed phase (from /proc, so the load tool
# is seen to measure the bot and not itself), with the whole machine's CPU
# per message and how busy it was (the kernel's loopback networking is
# charged to no process), and at the end the medians. Each run first sends
# WARMUP untimed messages.
# It deletes the keys under its prefix when done; nothing else is touched.
#
# Settings (environment), with their defaults:
#   RUNS=3 N=20000 C=32 N1=3000 WARMUP=5000 TEXT=帮助 USERS=64 LOG_LEVEL=info
#   REDIS_URL=redis://127.0.0.1:6379/0
#   BOT_BIN=(the binary built here)  another build of the bot to measure
#   with this tree's load tool, e.g. an older commit's, to compare
# The messages come from USERS workers in turn (WeCom's traffic comes
# from many people), listed in a config file of the script's own, with a
# per-user limit the run never reaches (rate_limit_per_minute).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
N=${N:-20000}
C=${C:-32}
N1=${N1:-3000}
TEXT=${TEXT:-帮助}
USERS=${USERS:-64}
WARMUP=${WARMUP:-5000}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
LOG_LEVEL=${LOG_LEVEL:-info}

work=$(mktemp -d)
prefix="bench$(date +%s)$$:"
bin="$work/songnuan"
go build -o "$bin" .
{
	printf 'rate_limit_per_minute: 1000000000\nstaff:\n'
	printf '  - {userid: admin, name: 管理员, role: admin}\n  - {userid: zhao, name: 赵敏, role: leader}\n'
	for i in $(seq "$USERS"); do
		printf '  - {userid: w%03d, name: 社工%d, role: worker, committee: 居委%d}\n' "$i" "$i" $((i % 8))
	done
} >"$work/config.yaml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

redis_cli() { redis-cli -u "$REDIS_URL" "$@"; }
cleanup() {
	[[ -n ${bot:-} ]] && kill -INT "$bot" 2>/dev/null && wait "$bot" 2>/dev/null || true
	redis_cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

SONGNUAN_CONFIG="$work/config.yaml" SONGNUAN_KEY_PREFIX="$prefix" REDIS_URL="$REDIS_URL" \
	LOG_LEVEL="$LOG_LEVEL" HTTP_ADDR="127.0.0.1:$port" "${BOT_BIN:-$bin}" >"$work/bot.log" 2>&1 &
bot=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the bot did not start:" >&2; cat "$work/bot.log" >&2; exit 1; }
redis_pid=$(redis_cli info server | tr -d '\r' | awk -F: '$1=="process_id"{print $2}')

# The measuring loop runs no other program: forking one every few
# milliseconds would take CPU from what is measured. The load tool counts
# its own CPU (tool_cpu_us on its report line).
mkfifo "$work/tick"
exec 3<>"$work/tick"
nap() { read -rt "$1" -u 3 _ || true; }
# ticks PID VAR: the process's CPU (user+system) in clock ticks.
ticks() {
	local s a
	if ! read -r s <"/proc/$1/stat"; then printf -v "$2" 0; return; fi
	read -ra a <<<"${s##*) }"
	printf -v "$2" %d $((a[11] + a[12]))
}
# machine BUSY TOTAL: all CPUs' busy and total ticks, the kernel's work
# that no process is charged with (loopback networking, interrupts) and
# every other program on the machine included.
machine() {
	local l a t=0 i
	read -r l </proc/stat
	read -ra a <<<"$l"
	for ((i = 1; i < ${#a[@]}; i++)); do t=$((t + a[i])); done
	printf -v "$1" %d $((t - a[4] - a[5]))
	printf -v "$2" %d "$t"
}
# seen FILE TEXT: whether FILE holds TEXT.
seen() {
	local l
	while read -r l; do [[ $l == *"$2"* ]] && return 0; done <"$1"
	return 1
}
hz=$(getconf CLK_TCK)

# one C N: runs the bench once and prints its line and the CPU per message.
one() {
	local c=$1 n=$2 out="$work/bench.out" tool b0 r0 b1 r1 m0 t0 m1 t1 line
	: >"$out"
	"$bin" bench --url "http://127.0.0.1:$port" --n "$n" --c "$c" --warmup "$WARMUP" --text "$TEXT" \
		--staff "$work/config.yaml" >"$out" 2>&1 &
	tool=$!
	until seen "$out" 计时发送 || ! kill -0 "$tool" 2>/dev/null; do nap 0.002; done
	ticks "$bot" b0
	ticks "$redis_pid" r0
	machine m0 t0
	until seen "$out" 计时结束 || ! kill -0 "$tool" 2>/dev/null; do nap 0.002; done
	ticks "$bot" b1
	ticks "$redis_pid" r1
	machine m1 t1
	wait "$tool" || { cat "$out"; exit 1; }
	line=$(grep '^bench ' "$out")
	echo "$line"
	awk -v b=$((b1 - b0)) -v r=$((r1 - r0)) -v m=$((m1 - m0)) -v t=$((t1 - t0)) -v n="$n" -v hz="$hz" -v line="$line" 'BEGIN{
		tool = line; sub(/.*tool_cpu_us=/, "", tool)
		printf "cpu per message: bot %.0f us, redis %.0f us, load tool %d us; the whole machine %.0f us, busy %.0f%%\n",
			b*1e6/hz/n, r*1e6/hz/n, tool, m*1e6/hz/n, 100*m/(t+1e-9) }'
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "songnuan bench --n $N --c $C --text $TEXT from $USERS users, $RUNS runs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do one "$C" "$N" | tee -a "$work/many.txt"; done
echo "songnuan bench --n $N1 --c 1, $RUNS runs"
for i in $(seq "$RUNS"); do one 1 "$N1" | tee -a "$work/one.txt"; done

field() { grep '^bench ' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k{sub(/ms$/,"",$2); print $2}' | median; }
echo "median at c=$C: $(field "$work/many.txt" rate) msg/s, p50 $(field "$work/many.txt" p50) ms, p99 $(field "$work/many.txt" p99) ms"
echo "median at c=1: p50 $(field "$work/one.txt" p50) ms, p99 $(field "$work/one.txt" p99) ms"
