#!/bin/bash
#
# bench.sh - how fast and how small acmec is, against the local test CA.
# Not a test: it prints numbers and never fails on them.
#
#   make bench                     (or: ACMEC=./acmec bash tests/bench.sh)
#
# Measures, for BENCH_RUNS issuances of two fresh names each (same account):
#   - wall-clock time per issuance (pebble with PEBBLE_VA_NOSLEEP=1, so this
#     is the client plus pebble's own work, dominated by round trips);
#   - CPU time (user + system) per issuance, of the client and every
#     process it waited for: acmec's network and key processes, uacme's
#     hook runs (bash's time keyword: the rusage of the child, which holds
#     that of its reaped children);
#   - HTTP requests per issuance (from -v), the protocol cost a slow CA
#     multiplies;
#   - the same with uacme, if installed and run as root, and the ratios;
# then, for one more issuance each:
#   - peak heap of each of acmec's processes and their sum (valgrind
#     massif, if installed; one file per process, %p);
#   - peak RSS (VmHWM) of each process of the client's tree, the largest
#     and the sum (strace and python3, if installed; else only the largest,
#     GNU time's %M).  The sum counts the pages that processes share (the
#     libraries, and what a forked child still shares with its parent) once
#     in each: it is an upper bound, the largest a lower one.  Also the
#     most the tree held at once, sampled every 10 ms: the sum of the
#     processes' RSS, and of their PSS (a shared page divided among those
#     that share it: what the run costs the machine).
# Nonce rejection is turned off so runs are comparable.
#
# PEBBLE_VA_SLEEPTIME=N instead has pebble wait up to N seconds before it
# validates (a CA that takes its time): the requests then show what the
# polling costs.  BENCH_RUNS (10) issuances.

set -eu

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
BENCH_RUNS=${BENCH_RUNS:-10}
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
# Real, user and system seconds of a timed command, to the millisecond.
export TIMEFORMAT='%3R %3U %3S'

# shellcheck source=lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
testca_available || { echo "bench.sh: pebble/nginx missing" >&2; exit 1; }
testca_start >/dev/null

work=$(mktemp -d)
# shellcheck disable=SC2016
testca_atexit 'rm -rf "$work"'
acmec() {
	"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$work/state" "$@"
}
fresh() { echo "b$RANDOM$RANDOM.example.com"; }

# means FILE: the mean wall and CPU ms of the "real user sys" lines in FILE.
means() {
	awk '{ r += $1; c += $2 + $3; n++ }
	    END { printf "%d %d\n", r * 1000 / n, c * 1000 / n }' "$1"
}

# peakrss OUT CMD...: run CMD; OUT gets "pid name KiB" for each process of
# its tree, KiB its VmHWM (peak RSS).  Under strace, every exit_group waits
# 100 ms on entry, while a sampler reading /proc every 10 ms sees the
# process's final VmHWM (which only grows); a process that execs starts
# again from its new image.  Needs root for other users' processes (the
# network process becomes nobody).
cat >"$work/peakrss.py" <<'PY'
import os, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
p = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null",
    "-e", "trace=exit_group", "-e", "inject=exit_group:delay_enter=100000"]
    + cmd)
seen, now = {}, [0, 0]
def field(kv, k):
    return int(kv[k].split()[0]) if k in kv else 0
def scan():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(d)
    todo, rss, pss = list(kids.get(p.pid, [])), 0, 0
    while todo:
        d = todo.pop()
        todo += kids.get(int(d), [])
        try:
            with open("/proc/%s/status" % d) as f:
                kv = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        if "VmHWM" not in kv:
            continue
        name, hwm = kv["Name"].strip(), field(kv, "VmHWM")
        old = seen.get(int(d))
        if old and old[0] == name:
            hwm = max(hwm, old[1])
        seen[int(d)] = (name, hwm)
        rss += field(kv, "VmRSS")
        try:
            with open("/proc/%s/smaps_rollup" % d) as f:
                pss += field(dict(l.split(":", 1) for l in f if ":" in l),
                    "Pss")
        except OSError:
            pass
    now[0], now[1] = max(now[0], rss), max(now[1], pss)
while p.poll() is None:
    scan()
    time.sleep(0.01)
with open(out, "w") as f:
    for pid in sorted(seen):
        f.write("%d %s %d\n" % (pid, seen[pid][0], seen[pid][1]))
    f.write("0 at-once-RSS %d\n0 at-once-PSS %d\n" % tuple(now))
sys.exit(p.returncode)
PY
if command -v strace >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
    [ "$(id -u)" = 0 ]; then
	peakrss() { python3 "$work/peakrss.py" "$@"; }
elif [ -x /usr/bin/time ]; then
	peakrss() {
		local out=$1
		shift
		/usr/bin/time -f "0 largest %M" -o "$out" "$@"
	}
else
	peakrss() { shift; "$@"; }
fi
# rss_line FILE: the largest and the sum of the peaks in a peakrss file,
# in MiB, and the most the tree held at once.
rss_line() {
	awk '$1 == 0 && $2 ~ /^at-once/ { at[$2] = $3; next }
	    $1 == 0 { m = $3; next }
	    { s += $3; if ($3 > m) m = $3; n++ }
	    END { if (m == "") { print "(not measured)"; exit }
	    printf "largest %.1f MiB", m / 1024
	    if (n) printf ", sum %.1f MiB of %d processes", s / 1024, n
	    if ("at-once-RSS" in at) printf "; at once %.1f MiB RSS," \
		" %.1f MiB PSS", at["at-once-RSS"] / 1024, \
		at["at-once-PSS"] / 1024
	    print "" }' "$1"
}

# The first run creates the account; it is not measured.
acmec -q issue -d "$(fresh)" -w "$WEBROOT" --agree-tos --out "$work/o0"

requests=0
for i in $(seq 1 "$BENCH_RUNS"); do
	{ time acmec -v issue -d "$(fresh)" -d "$(fresh)" -w "$WEBROOT" \
	    --out "$work/o$i" 2>"$work/trace" >/dev/null; } 2>>"$work/acmec.t"
	requests=$((requests + $(grep -c -- ' -> ' "$work/trace")))
done
read -r acmec_ms acmec_cpu < <(means "$work/acmec.t")
echo "issuances:            $BENCH_RUNS (2 names each, ec-256)"
echo "mean wall time:       $acmec_ms ms"
echo "mean CPU time:        $acmec_cpu ms (user + sys, all processes)"
echo "mean HTTP requests:   $(awk -v r="$requests" -v n="$BENCH_RUNS" \
    'BEGIN { printf "%.1f", r / n }')"

# The same issuances with uacme, if it is installed, for comparison.  uacme
# has no option for extra trust anchors, so it runs in a mount namespace of
# its own where the system bundle also holds the test CA's root: nothing
# outside this script sees the change.  Both clients trust the same roots
# then (acmec's --ca-bundle adds to the system's) and read them the way
# they do in use: uacme's libcurl for each request (a new handle each),
# acmec's network process once.  Needs root (unshare -m).  The
# times go to $work/uacme.t, one more issuance's peak RSS to
# $work/uacme.rss.
bench_uacme() {
	local conf=$work/uacme bundle=$work/bundle.pem
	cat /etc/ssl/certs/ca-certificates.crt "$ACME_CA_BUNDLE" >"$bundle"
	mkdir -p "$WEBROOT/.well-known/acme-challenge"
	export -f peakrss
	export work
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m bash -c '
		set -e
		mount --bind "$1" /etc/ssl/certs/ca-certificates.crt
		# u [CMD...]: one issuance of two fresh names, under CMD.
		u() { "$@" uacme -a "$ACME_DIRECTORY" -c "$conf" -t EC -b 256 \
		    -y -h /usr/share/uacme/uacme.sh issue \
		    "b$RANDOM$RANDOM.example.com" "b$RANDOM$RANDOM.example.com" \
		    >/dev/null 2>&1; }
		conf=$2
		export UACME_CHALLENGE_PATH=$WEBROOT/.well-known/acme-challenge
		uacme -a "$ACME_DIRECTORY" -c "$conf" -y new >/dev/null 2>&1
		for i in $(seq 1 "$3"); do
			{ time u; } 2>>"$work/uacme.t"
		done
		u peakrss "$work/uacme.rss"
	' bench "$bundle" "$conf" "$BENCH_RUNS"
}

uacme_cpu=
if command -v uacme >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	if bench_uacme 2>/dev/null && [ -s "$work/uacme.t" ]; then
		read -r uacme_ms uacme_cpu < <(means "$work/uacme.t")
		echo "uacme mean wall time: $uacme_ms ms (same CA, names, key type)"
		echo "uacme mean CPU time:  $uacme_cpu ms (user + sys, with its hooks)"
		echo "acmec / uacme:        wall $(awk -v a="$acmec_ms" \
		    -v u="$uacme_ms" 'BEGIN { printf "%.2f", a / u }'), CPU $(awk \
		    -v a="$acmec_cpu" -v u="$uacme_cpu" \
		    'BEGIN { printf "%.2f", a / u }')"
	else
		echo "uacme mean wall time: (uacme run failed)"
	fi
fi

if command -v valgrind >/dev/null 2>&1; then
	# Each process writes its own file; the pids follow the forks: main,
	# then the network process (at start), the certificate key process
	# (when the engine starts), the key process (when the account opens).
	# As root the children become nobody, who must be able to write there.
	chmod 711 "$work"
	mkdir -m 1733 "$work/massif"
	valgrind --tool=massif --massif-out-file="$work/massif/%p" "$ACMEC" \
	    --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$work/state" -q issue -d "$(fresh)" -d "$(fresh)" \
	    -w "$WEBROOT" --out "$work/om" 2>/dev/null
	for f in "$work"/massif/*; do
		echo "${f##*/} $(grep mem_heap_B "$f" | cut -d= -f2 | sort -n |
		    tail -1)"
	done | sort -n | awk '
	    BEGIN { split("main network certkeys key", name) }
	    { s += $2; l = l sep (NR in name ? name[NR] : "pid " $1) " " \
		int($2 / 1024); sep = ", " }
	    END { printf "peak heap:            %d KiB (sum of %d processes: %s;" \
		" valgrind massif)\n", s / 1024, NR, l }'
else
	echo "peak heap:            (install valgrind to measure)"
fi

peakrss "$work/acmec.rss" "$ACMEC" --directory "$ACME_DIRECTORY" \
    --ca-bundle "$ACME_CA_BUNDLE" --state-dir "$work/state" -q issue \
    -d "$(fresh)" -d "$(fresh)" -w "$WEBROOT" --out "$work/or"
echo "acmec peak RSS:       $(rss_line "$work/acmec.rss")"
# The pids follow the forks, as above.
awk 'BEGIN { split("main network certkeys key", name) }
    $1 != 0 { n++; l = l sep (n in name ? name[n] : $2) sprintf(" %.1f",
	$3 / 1024); sep = ", " }
    END { if (n > 1) printf "  per process:        %s MiB\n", l }' \
    "$work/acmec.rss"
if [ -n "$uacme_cpu" ]; then
	echo "uacme peak RSS:       $(rss_line "$work/uacme.rss")"
fi
