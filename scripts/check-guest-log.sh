#!/usr/bin/env bash
# Scan a guest kernel log for reports that fail a test run, whatever the
# tests printed: WARN, BUG, Oops, panic, KASAN, lockdep, RCU stalls, hung
# tasks, list corruption, UBSAN. Prints each report's first line and exits 1
# if there is any; exits 0 on a clean log.
#   check-guest-log.sh CONSOLE_LOG
set -euo pipefail
logfile=${1:?usage: check-guest-log.sh CONSOLE_LOG}
[ -f "$logfile" ] || { echo "check-guest-log: no log at $logfile" >&2; exit 1; }

# One line per kind of report, as the kernel prints its first line.
patterns=(
	'WARNING: CPU: [0-9]+ PID: '                  # WARN_ON*, VM_WARN_ON* (6.12)
	'WARNING: (.*:[0-9]+ )?at .*, CPU#[0-9]+: '   # the same, as 7.3 prints them
	'WARNING: .*(locking|lock |recursive|irq|RCU|suspicious)' # lockdep, lockdep-RCU
	'BUG: '                                       # KASAN, sleeping in atomic, bad page, ...
	'kernel BUG at '                              # BUG_ON, VM_BUG_ON
	'Oops: '
	'Kernel panic'
	'general protection fault'
	'INFO: (task .* blocked|rcu_.* detected stall|possible)'
	'rcu: INFO: .* detected stall'
	'list_(add|del) corruption'
	'UBSAN: '
)
regex=$(IFS='|'; echo "${patterns[*]}")

reports=$(grep -aE "$regex" "$logfile" || true)
if [ -n "$reports" ]; then
	echo "guest kernel log $logfile has reports:" >&2
	printf '%s\n' "$reports" | head -20 | sed 's/^/  /' >&2
	exit 1
fi
exit 0
