#!/bin/bash
# Counts the syscalls and wake-ups of webdial's registrar under one
# offered REGISTER rate: runs a webdial-only regbench step and attaches
# perf stat to its -serve child for 4 s in the middle of the step.
# Usage: sip/bench/syscount.sh [rate]   (needs perf and tracepoint access)
set -eu
cd "$(dirname "$0")/../.."
rate=${1:-8000}
bin="${TMPDIR:-/tmp}/regbench"
go build -o "$bin" ./sip/internal/bench/regbench
out=$(mktemp)
"$bin" -only webdial -step 10s -rates "$rate" -cpurate "$rate" >"$out" 2>&1 &
bench=$!
sleep 6.5
pid=$(pgrep -f "regbench -serve" | head -1)
perf stat -e 'task-clock,context-switches,cpu-migrations,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_nanosleep,raw_syscalls:sys_enter' -p "$pid" -- sleep 4 2>&1
wait "$bench"
cat "$out"
rm -f "$out"
