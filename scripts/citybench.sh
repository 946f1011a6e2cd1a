#!/usr/bin/env bash
# citybench.sh — the city-scale benchmark recorded in BENCHMARKS.md.
#
# Generates a city (6,000 committees, 300,000 households by default) and,
# RUNS times, on a Redis of its own started on a free loopback port:
#   1. imports every household list through the bot's import path
#      (songnuan gen load): rows/s, with the append-only file fsynced once a
#      second (LOAD_FSYNC), so that three full imports fit the time budget;
#      the import with an fsync on every write is measured at the end on a
#      30,000-household subset (SUBSET_*);
#   2. reads Redis memory per household (songnuan gen memory), broken down
#      by kind of key on the first run;
#   3. times 进度 for the whole city and for one committee by calling the
#      bot directly (songnuan gen time) and through HTTP (songnuan bench
#      against the running bot, one request at a time), and the
#      workbench's street page and one committee's page (songnuan gen
#      page, the server's time);
#   4. runs the mixed traffic (80% visits, 15% 待办, 5% 进度 asked by the
#      leaders, so city-wide) at 32 in flight (songnuan bench --mix), and
#      notes the CPU seconds the bot, Redis and the load tool spent on it;
#   5. runs the same mix with 进度 asked by workers for their own
#      committee, which shows what the rest of the path sustains.
# Steps 3 to 5 run with FSYNC (default always, as production), set on the
# running Redis with CONFIG SET once the import is done.
# With MIDCAMPAIGN=1 it then loads the city once more on a fresh Redis, has
# each committee's worker report a first visit for VISIT_SHARE of its
# households through the bot (songnuan gen visit) and reads the memory
# again: a city in the middle of its campaign, every op marker still live.
# On the first run it also runs the committee mix twice more, not counted
# with the others: against the bot under a CPU profile (songnuan gen serve
# --cpuprofile), and with appendfsync everysec, to show what the fsync on
# every write costs. It never touches the
# shared Redis on 6379. Output goes to OUT, one file per step and run, with
# the headline lines gathered in summary.txt.
#
# Settings (environment), with their defaults:
#   RUNS=3 COMMITTEES=6000 HOUSEHOLDS=300000 SEED=1 PARALLEL=8
#   PROGRESS_N=50     calls of city-wide 进度 (each costs the bot ~0.1-0.3 s)
#   ONE_N=1000        calls of one committee's 进度
#   PAGE_N=50         requests of the street page and of one committee's
#                     page (songnuan gen page: the workbench's server time)
#   MIX_N=4000        timed messages of the mix with city-wide 进度
#   MIX_LOCAL_N=10000 timed messages of the mix with committee 进度
#   MIX_C=32 AOF=yes FSYNC=always (appendonly, fsync on every write, as
#   docker-compose.yml runs Redis) LOAD_FSYNC=everysec
#   SUBSET_COMMITTEES=600 SUBSET_HOUSEHOLDS=30000 MIDCAMPAIGN=0 VISIT_SHARE=0.7
#   (MIDCAMPAIGN=1 adds about five minutes here)
#   PROFILE=1 OUT=citybench-out
# Each mix first registers (untimed) one household per visit it will send,
# so every timed visit is a first visit, which writes.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
COMMITTEES=${COMMITTEES:-6000}
HOUSEHOLDS=${HOUSEHOLDS:-300000}
SEED=${SEED:-1}
PARALLEL=${PARALLEL:-8}
PROGRESS_N=${PROGRESS_N:-50}
ONE_N=${ONE_N:-1000}
PAGE_N=${PAGE_N:-50}
MIX_N=${MIX_N:-4000}
MIX_LOCAL_N=${MIX_LOCAL_N:-10000}
MIX_C=${MIX_C:-32}
AOF=${AOF:-yes}
FSYNC=${FSYNC:-always}
LOAD_FSYNC=${LOAD_FSYNC:-everysec}
SUBSET_COMMITTEES=${SUBSET_COMMITTEES:-600}
SUBSET_HOUSEHOLDS=${SUBSET_HOUSEHOLDS:-30000}
MIDCAMPAIGN=${MIDCAMPAIGN:-0}
VISIT_SHARE=${VISIT_SHARE:-0.7}
PROFILE=${PROFILE:-1}
OUT=${OUT:-citybench-out}

# stat NAME VALUE…: the median of the values, and their range.
stat() {
	local name=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v name="$name" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { printf "%-40s (no values)\n", name; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%-40s median %10.2f  range %.2f – %.2f  (%d runs)\n", name, m, v[1], v[NR], NR
		}'
}

# field FILES… -- PATTERN: the number after PATTERN in each file.
field() {
	local files=() f
	while [ "$1" != -- ]; do files+=("$1"); shift; done
	for f in "${files[@]}"; do
		[ -f "$f" ] && grep -o "$2[0-9.]*" "$f" | tail -1 | sed "s/^$2//"
	done
}

# summarize: the medians of every run's headline numbers.
summarize() {
	local runs
	runs=$(seq 1 "$RUNS")
	echo "== medians over $RUNS runs"
	stat "import rows/s (fsync $LOAD_FSYNC, full city)" $(for r in $runs; do sed -n 's/.*，\([0-9]*\) 行\/秒.*/\1/p' "$OUT/load-$r.txt"; done)
	stat "import rows/s (fsync $FSYNC, subset)" $(for r in $runs; do sed -n 's/.*，\([0-9]*\) 行\/秒.*/\1/p' "$OUT/load-subset-$r.txt"; done)
	stat "Redis bytes per household" $(for r in $runs; do sed -n '1s/.*每户 \([0-9]*\) 字节$/\1/p' "$OUT/memory-$r.txt"; done)
	stat "进度 city, direct p50 ms" $(field "$OUT"/time-city-*.txt -- 'p50 ')
	stat "进度 city, direct p99 ms" $(field "$OUT"/time-city-*.txt -- 'p99 ')
	stat "进度 one committee, direct p50 ms" $(field "$OUT"/time-one-*.txt -- 'p50 ')
	stat "进度 one committee, direct p99 ms" $(field "$OUT"/time-one-*.txt -- 'p99 ')
	stat "street page, server p50 ms" $(field "$OUT"/page-street-*.txt -- 'p50 ')
	stat "committee page, server p50 ms" $(field "$OUT"/page-one-*.txt -- 'p50 ')
	stat "进度 city, HTTP p50 ms" $(field "$OUT"/http-city-*.txt -- 'p50=')
	stat "进度 city, HTTP p99 ms" $(field "$OUT"/http-city-*.txt -- 'p99=')
	stat "进度 one committee, HTTP p50 ms" $(field "$OUT"/http-one-*.txt -- 'p50=')
	stat "进度 one committee, HTTP p99 ms" $(field "$OUT"/http-one-*.txt -- 'p99=')
	stat "mix (city 进度) msg/s" $(for r in $runs; do field "$OUT/mix-$r.txt" -- 'rate='; done)
	stat "mix (city 进度) p99 ms" $(for r in $runs; do field "$OUT/mix-$r.txt" -- 'p99='; done)
	stat "mix (committee 进度) msg/s" $(for r in $runs; do field "$OUT/mix-local-$r.txt" -- 'rate='; done)
	stat "mix (committee 进度) p99 ms" $(for r in $runs; do field "$OUT/mix-local-$r.txt" -- 'p99='; done)
	local who
	for who in bot redis; do
		stat "mix (city 进度) $who CPU µs/message" $(for r in $runs; do cpu_per "$OUT/summary.txt" "mix-$r" "$who" "$MIX_N"; done)
		stat "mix (committee 进度) $who CPU µs/message" $(for r in $runs; do cpu_per "$OUT/summary.txt" "mix-local-$r" "$who" "$MIX_LOCAL_N"; done)
	done
}

# cpu_per SUMMARY NAME WHO N: WHO's CPU microseconds per timed message of
# the mix NAME, from the summary's "NAME cpu in the timed phase" line.
cpu_per() {
	sed -n "s/^== $2 cpu in the timed phase: .*$3 \\([0-9.]*\\) s.*/\\1/p" "$1" | awk -v n="$4" '{ printf "%.0f\n", $1 * 1e6 / n }'
}

if [ "${1:-}" = --summarize ]; then
	OUT=$2
	summarize
	exit
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
: >"$OUT/summary.txt"
work=$(mktemp -d)
redis_pid=""
bot_pid=""

stop() { # stop PID: end a process this script started and wait for it
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill "$1" && wait "$1" 2>/dev/null || true
	fi
}
cleanup() {
	stop "$bot_pid"
	stop "$redis_pid"
	rm -rf "$work"
}
trap cleanup EXIT

# free_port FROM: the first loopback port from FROM on that nothing listens on.
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 500))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "no free port from $1" >&2
	return 1
}

# cpu PID: CPU seconds (user + system) the process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

# ready URL: wait until the bot at URL answers /readyz.
ready() {
	for _ in $(seq 100); do curl -fs "$1/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
	echo "bot at $1 did not become ready" >&2
	return 1
}

note() { echo "== $*" | tee -a "$OUT/summary.txt"; }
load() { note "loadavg $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"; }

# serve PORT LOG [gen serve args…]: start the bot (or `gen serve`) on PORT.
serve() {
	local port=$1 log=$2
	shift 2
	HTTP_ADDR="127.0.0.1:$port" "$sn" "$@" >"$log" 2>&1 &
	bot_pid=$!
	ready "http://127.0.0.1:$port"
}

# mix NAME N [bench args…]: one mixed run against the bot at $url. Besides
# the load tool's report it notes the CPU seconds the bot and Redis spent
# in the timed phase alone, read from /proc when the tool says it starts
# timing and again when it reports, and the load tool's own CPU from the
# start of timing to its exit (its report decrypts every reply, so this
# is an upper bound).
mix() {
	local name=$1 n=$2
	shift 2
	local visits=$((n * 4 / 5 + 500))
	TIMEFORMAT="%U %S"
	{
		time (
			echo "$BASHPID" >"$work/bench.pid"
			exec "$sn" bench --url "$url" --mix --staff "$SONGNUAN_CONFIG" --households "$visits" --n "$n" --c "$MIX_C" "$@"
		) | while IFS= read -r line; do
			case $line in
			计时发送*) echo "$(cpu "$bot_pid") $(cpu "$redis_pid") $(cpu "$(cat "$work/bench.pid")")" >"$work/cpu0" ;;
			送暖压测*) echo "$(cpu "$bot_pid") $(cpu "$redis_pid")" >"$work/cpu1" ;;
			esac
			printf '%s\n' "$line"
		done >"$OUT/$name.txt"
	} 2>"$work/bench.time"
	note "$name: $(grep '^bench ' "$OUT/$name.txt")"
	local b0 r0 t0 b1 r1 tu ts
	read -r b0 r0 t0 <"$work/cpu0"
	read -r b1 r1 <"$work/cpu1"
	read -r tu ts <"$work/bench.time"
	note "$name cpu in the timed phase: bot $(echo "$b1 - $b0" | bc) s, redis $(echo "$r1 - $r0" | bc) s," \
		"load tool at most $(echo "$tu + $ts - $t0" | bc) s"
}

# redis FSYNC: start a Redis of our own on a free port with an empty data
# directory, and point REDIS_URL at it.
redis() {
	rdir="$work/redis"
	rm -rf "$rdir"
	mkdir -p "$rdir"
	rport=$(free_port 6400)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$rdir" --save '' --appendonly "$AOF" --appendfsync "$1" \
		--auto-aof-rewrite-percentage 0 >>"$OUT/redis.log" 2>&1 &
	redis_pid=$!
	for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
	export REDIS_URL="redis://127.0.0.1:$rport/0"
}

# fsync POLICY: change the running Redis's appendfsync.
fsync() { redis-cli -p "$rport" config set appendfsync "$1" >/dev/null; }

go build -o "$work/songnuan" .
sn="$work/songnuan"
city="$work/city"
"$sn" gen --out "$city" --committees "$COMMITTEES" --households "$HOUSEHOLDS" --seed "$SEED" | tee "$OUT/gen.txt"
cp "$city/city.yaml" "$OUT/city.yaml"
export SONGNUAN_CONFIG="$city/city.yaml"
one=$(sed -n 's/^ *- {userid: sg00001, .*committee: "\([^"]*\)"}$/\1/p' "$SONGNUAN_CONFIG")
locals=$(seq -f 'sg%05g' 1 20 | paste -sd, -)
note "city: $COMMITTEES committees, $HOUSEHOLDS households, seed $SEED; one committee = $one;" \
	"$(go env GOVERSION); redis $(redis-server --version | cut -d' ' -f3); appendonly $AOF;" \
	"appendfsync $LOAD_FSYNC for the import, $FSYNC after"

for run in $(seq 1 "$RUNS"); do
	note "run $run"
	load
	redis "$LOAD_FSYNC"
	"$sn" gen load --dir "$city" --parallel "$PARALLEL" | tee "$OUT/load-$run.txt" | sed -n 1p >>"$OUT/summary.txt"
	by_kind=false
	[ "$run" = 1 ] && by_kind=true
	"$sn" gen memory --dir "$city" --by-kind="$by_kind" | tee "$OUT/memory-$run.txt" | sed -n 1p >>"$OUT/summary.txt"
	fsync "$FSYNC"
	load
	"$sn" gen time --dir "$city" --as ld001 --text 进度 --n "$PROGRESS_N" --cpuprofile "$OUT/progress-city-$run.pprof" |
		tee "$OUT/time-city-$run.txt" | tee -a "$OUT/summary.txt"
	"$sn" gen time --dir "$city" --as ld001 --text "进度 $one" --n "$ONE_N" | tee "$OUT/time-one-$run.txt" |
		tee -a "$OUT/summary.txt"
	"$sn" gen page --dir "$city" --as ld001 --path /app/street --n "$PAGE_N" | tee "$OUT/page-street-$run.txt" |
		tee -a "$OUT/summary.txt"
	"$sn" gen page --dir "$city" --as sg00001 --path "/app/c/$one" --n "$PAGE_N" |
		tee "$OUT/page-one-$run.txt" | tee -a "$OUT/summary.txt"

	hport=$(free_port 18080)
	url="http://127.0.0.1:$hport"
	serve "$hport" "$work/bot-$run.log"
	"$sn" bench --url "$url" --as ld001 --text 进度 --n "$PROGRESS_N" --c 1 --warmup 5 >"$OUT/http-city-$run.txt"
	note "HTTP 进度 (city): $(grep '^bench ' "$OUT/http-city-$run.txt")"
	"$sn" bench --url "$url" --as ld001 --text "进度 $one" --n "$ONE_N" --c 1 --warmup 50 >"$OUT/http-one-$run.txt"
	note "HTTP 进度 $one: $(grep '^bench ' "$OUT/http-one-$run.txt")"
	load
	mix "mix-$run" "$MIX_N" --seed "$run"
	load
	mix "mix-local-$run" "$MIX_LOCAL_N" --leader "$locals" --seed "$((run + 10))"
	load
	stop "$bot_pid"
	bot_pid=""
	if [ "$run" = 1 ] && [ "$PROFILE" = 1 ]; then
		serve "$hport" "$work/bot-profile.log" gen serve --dir "$city" --cpuprofile "$OUT/mix-local-bot.pprof"
		mix mix-local-profiled "$MIX_LOCAL_N" --leader "$locals" --seed 100
		stop "$bot_pid"
		bot_pid=""
		fsync everysec
		serve "$hport" "$work/bot-everysec.log"
		mix mix-local-everysec "$MIX_LOCAL_N" --leader "$locals" --seed 101
		stop "$bot_pid"
		bot_pid=""
	fi
	stop "$redis_pid"
	redis_pid=""
done

note "import with appendfsync $FSYNC: $SUBSET_COMMITTEES committees, $SUBSET_HOUSEHOLDS households (a subset: same seed)"
"$sn" gen --out "$work/subset" --committees "$SUBSET_COMMITTEES" --households "$SUBSET_HOUSEHOLDS" --seed "$SEED" >"$OUT/gen-subset.txt"
for run in $(seq 1 "$RUNS"); do
	load
	redis "$FSYNC"
	SONGNUAN_CONFIG="$work/subset/city.yaml" "$sn" gen load --dir "$work/subset" --parallel "$PARALLEL" |
		tee "$OUT/load-subset-$run.txt" | sed -n 1p >>"$OUT/summary.txt"
	stop "$redis_pid"
	redis_pid=""
done
if [ "$MIDCAMPAIGN" = 1 ]; then
	note "mid-campaign: the city with $VISIT_SHARE of each committee's households visited"
	load
	redis "$LOAD_FSYNC"
	"$sn" gen load --dir "$city" --parallel "$PARALLEL" | sed -n 1p >>"$OUT/summary.txt"
	fsync "$FSYNC"
	"$sn" gen visit --dir "$city" --share "$VISIT_SHARE" --parallel "$PARALLEL" | tee -a "$OUT/summary.txt"
	"$sn" gen memory --dir "$city" | tee "$OUT/memory-midcampaign.txt" | sed -n 1p >>"$OUT/summary.txt"
	stop "$redis_pid"
	redis_pid=""
fi
summarize | tee -a "$OUT/summary.txt"
note "done in $SECONDS s; files in $OUT"
