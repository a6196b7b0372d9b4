#!/bin/sh
# Side-by-side digest-REGISTER benchmark: the same SIPp scenario against
# webdial's registrar (sip.Server) and Kamailio 5.6 (auth module, no
# database, 2 children). Prints max rates at < 0.1% failures, server CPU
# per registration at one offered rate, and the ratios.
# Usage: sip/bench/registrar-vs-kamailio.sh [-step 6s] [-rates 4000,8000,...] [-cpurate 8000]
set -eu
cd "$(dirname "$0")/../.."
go build -o "${TMPDIR:-/tmp}/regbench" ./sip/internal/bench/regbench
exec "${TMPDIR:-/tmp}/regbench" "$@"
