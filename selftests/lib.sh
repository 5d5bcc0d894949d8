# SPDX-License-Identifier: GPL-2.0
# Shared helpers for clasp's shell selftests (sourced, not run).

CLASP_REPO=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLASP_KO="$CLASP_REPO/build/$(uname -r)/clasp.ko"
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# TAP for shell tests: check NAME CMD [ARGS...] runs CMD and prints
# "ok N NAME" or "not ok N NAME"; $fails and $ntest feed the Totals line.
fails=0
ntest=0

check() {
	local name=$1
	shift
	ntest=$((ntest + 1))
	if "$@"; then
		echo "ok $ntest $name"
	else
		echo "not ok $ntest $name"
		fails=$((fails + 1))
	fi
}

clasp_loaded() {
	grep -q '^clasp ' /proc/modules
}

# Load clasp with the given parameters unless it is loaded already.
clasp_load() {
	clasp_loaded || insmod "$CLASP_KO" "$@"
}

# A socket that stays open until its process is killed.
clasp_hold_socket() {
	exec python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, int(sys.argv[1]))
print("ready", flush=True)
time.sleep(600)' "${CLASP_PROTO:-253}"
}
