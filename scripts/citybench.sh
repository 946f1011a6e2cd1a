#!/usr/bin/env bash
# citybench.sh — the city-scale benchmark recorded in BENCHMARKS.md.
#
# Generates a city (6,000 committees, 300,000 households by default) and,
# RUNS times, on a Redis of its own started on a free loopback port:
#   1. imports every household list through the bot's import path
#      (songnuan gen load): rows/s, and Redis used_memory per household;
#   2. breaks Redis memory down by kind of key (first run only);
#   3. times 进度 for the whole city and for one committee by calling the
#      bot directly (songnuan gen time) and through HTTP (songnuan bench);
#   4. runs the mixed traffic (80% visits, 15% 待办, 5% 进度) at 32 in
#      flight against the running bot (songnuan bench --mix), and notes the
#      CPU seconds the bot, Redis and the load tool each spent on it;
#   5. on the first run, runs the mix once more (not counted) against the
#      bot under a CPU profile (songnuan gen serve --cpuprofile).
# It never touches the shared Redis on 6379. Output goes to OUT (default
# citybench-out/), one file per step and run, plus summary.txt.
#
# Settings (environment): RUNS=3 COMMITTEES=6000 HOUSEHOLDS=300000 SEED=1
# PARALLEL=32 PROGRESS_N=200 ONE_N=1000 MIX_N=20000 MIX_HOUSEHOLDS=20000
# MIX_C=32 AOF=yes (appendonly everysec, as production runs) PROFILE=1
# OUT=citybench-out. MIX_HOUSEHOLDS at least the visits sent (80% of
# MIX_N plus the warm-up) makes every timed visit a first visit, which
# writes; fewer households make later rounds duplicates, which only read.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
COMMITTEES=${COMMITTEES:-6000}
HOUSEHOLDS=${HOUSEHOLDS:-300000}
SEED=${SEED:-1}
PARALLEL=${PARALLEL:-32}
PROGRESS_N=${PROGRESS_N:-200}
ONE_N=${ONE_N:-1000}
MIX_N=${MIX_N:-20000}
MIX_HOUSEHOLDS=${MIX_HOUSEHOLDS:-20000}
MIX_C=${MIX_C:-32}
AOF=${AOF:-yes}
PROFILE=${PROFILE:-1}
OUT=${OUT:-citybench-out}

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
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

go build -o "$work/songnuan" .
sn="$work/songnuan"
city="$work/city"
"$sn" gen --out "$city" --committees "$COMMITTEES" --households "$HOUSEHOLDS" --seed "$SEED" | tee "$OUT/gen.txt"
cp "$city/city.yaml" "$OUT/city.yaml"
export SONGNUAN_CONFIG="$city/city.yaml"
one=$(sed -n 's/^ *- {userid: sg00001, .*committee: "\([^"]*\)"}$/\1/p' "$SONGNUAN_CONFIG")
note "city: $COMMITTEES committees, $HOUSEHOLDS households, seed $SEED; one committee = $one; go $(go env GOVERSION); $(redis-server --version | cut -d' ' -f3)"

for run in $(seq 1 "$RUNS"); do
	note "run $run"
	load
	rdir="$work/redis$run"
	mkdir -p "$rdir"
	rport=$(free_port 6400)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$rdir" --save '' --appendonly "$AOF" --appendfsync everysec \
		--auto-aof-rewrite-percentage 0 >"$OUT/redis-$run.log" 2>&1 &
	redis_pid=$!
	for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
	export REDIS_URL="redis://127.0.0.1:$rport/0"

	"$sn" gen load --dir "$city" --parallel "$PARALLEL" | tee "$OUT/load-$run.txt" | tee -a "$OUT/summary.txt"
	by_kind=false
	[ "$run" = 1 ] && by_kind=true
	"$sn" gen memory --dir "$city" --by-kind="$by_kind" | tee "$OUT/memory-$run.txt" | head -1 >>"$OUT/summary.txt"
	load
	"$sn" gen time --dir "$city" --as ld001 --text 进度 --n "$PROGRESS_N" --cpuprofile "$OUT/progress-city-$run.pprof" |
		tee "$OUT/time-city-$run.txt" | tee -a "$OUT/summary.txt"
	"$sn" gen time --dir "$city" --as ld001 --text "进度 $one" --n "$ONE_N" |
		tee "$OUT/time-one-$run.txt" | tee -a "$OUT/summary.txt"

	hport=$(free_port 18080)
	url="http://127.0.0.1:$hport"
	HTTP_ADDR="127.0.0.1:$hport" "$sn" >"$work/bot-$run.log" 2>"$OUT/bot-$run.err" &
	bot_pid=$!
	ready "$url"
	"$sn" bench --url "$url" --as ld001 --text 进度 --n "$PROGRESS_N" --c 1 --warmup 10 >"$OUT/http-city-$run.txt"
	note "HTTP 进度 (city): $(grep '^bench ' "$OUT/http-city-$run.txt")"
	"$sn" bench --url "$url" --as ld001 --text "进度 $one" --n "$ONE_N" --c 1 --warmup 50 >"$OUT/http-one-$run.txt"
	note "HTTP 进度 $one: $(grep '^bench ' "$OUT/http-one-$run.txt")"
	load
	bot0=$(cpu "$bot_pid") redis0=$(cpu "$redis_pid") t0=$(date +%s.%N)
	TIMEFORMAT="bench cpu %U user %S sys, %R s wall"
	{ time "$sn" bench --url "$url" --mix --staff "$SONGNUAN_CONFIG" --households "$MIX_HOUSEHOLDS" --n "$MIX_N" \
		--c "$MIX_C" --seed "$run" >"$OUT/mix-$run.txt"; } 2>"$OUT/mix-$run.time"
	note "cpu during the mix (setup, warm-up and timed): bot $(echo "$(cpu "$bot_pid") - $bot0" | bc) s," \
		"redis $(echo "$(cpu "$redis_pid") - $redis0" | bc) s, $(cat "$OUT/mix-$run.time"); wall $(echo "$(date +%s.%N) - $t0" | bc) s"
	cat "$OUT/mix-$run.txt"
	grep '^bench ' "$OUT/mix-$run.txt" >>"$OUT/summary.txt"
	load
	if [ "$run" = 1 ] && [ "$PROFILE" = 1 ]; then
		stop "$bot_pid"
		HTTP_ADDR="127.0.0.1:$hport" "$sn" gen serve --dir "$city" --cpuprofile "$OUT/mix-bot.pprof" >"$work/bot-profile.log" 2>&1 &
		bot_pid=$!
		ready "$url"
		"$sn" bench --url "$url" --mix --staff "$SONGNUAN_CONFIG" --households "$MIX_HOUSEHOLDS" --n "$MIX_N" \
			--c "$MIX_C" --seed 100 >"$OUT/mix-profiled.txt"
		note "profiled mix (not counted): $(grep '^bench ' "$OUT/mix-profiled.txt")"
	fi
	stop "$bot_pid"
	bot_pid=""
	stop "$redis_pid"
	redis_pid=""
	rm -rf "$rdir"
done
note "done; files in $OUT"
