#!/usr/bin/env bash
# Boot a kernel under QEMU and run one command in the guest; exit with its status.
#
#   run-guest.sh [options] KERNEL -- COMMAND [ARGS...]
#   run-guest.sh --shell [options] KERNEL
#
# KERNEL is a bzImage path or TREE[:CONFIG] (base, series:release, ...), which
# must have been built. The guest sees the host's root read-only over 9p (so
# the project and its build/ are at the same paths as on the host), gets fresh
# scratch disks (ext4 on /dev/vda, xfs on /dev/vdb, swap on /dev/vdc), and runs
# COMMAND through guest/init with the environment described there.
#
# Options:
#   --mem SIZE      guest memory (default $GUEST_MEM or 2G)
#   --smp N         guest CPUs (default: host cores)
#   --timeout SECS  kill the guest after this long (default 1800)
#   --icount        deterministic timing: TCG, one CPU, -icount shift=0,sleep=off
#   --shell         an interactive shell on the terminal, no timeout unless
#                   --timeout; exit or ^D powers the guest off (^C goes to
#                   the guest)
#   --append ARGS   more kernel command line (e.g. movablecore=75%)
#   --name NAME     a label for the run directory
#   --run DIR       use DIR as the run directory (made anew) instead
#
# The command's output is streamed to stdout. The kernel console goes to
# build/BASE/runs/<run>/console.log, which is scanned afterwards: a WARN, BUG,
# KASAN, lockdep or similar report fails the run (exit 125) even when the
# command succeeded. The run directory's path is printed on stderr.
# ACCEL=tcg|kvm forces an accelerator; otherwise KVM is used only when a
# probe boot shows that a guest actually runs under it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/qemu-lib.sh"

mem=${GUEST_MEM:-2G}
smp=$(nproc)
timeout=1800
timeout_given=0
icount=0
shell=0
name=
run=
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout=$2; timeout_given=1; shift 2 ;;
	--icount) icount=1; shift ;;
	--shell) shell=1; shift ;;
	--append) BOOT_APPEND=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--run) run=$2; shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) kernel_arg=$1; shift ;;
	esac
done
[ -n "${kernel_arg:-}" ] || die "usage: run-guest.sh [options] KERNEL -- COMMAND [ARGS...]"
if [ $shell -eq 1 ]; then
	[ -t 0 ] && [ -t 1 ] || die "--shell needs a terminal on stdin and stdout"
	[ $# -gt 0 ] || set -- bash -i
	# guest/init then keeps the console as the command's stdin; setsid -c
	# makes it the shell's controlling terminal, for job control and ^C.
	set -- env TERM="${TERM:-vt100}" setsid -c "$@"
	BOOT_APPEND="${BOOT_APPEND:+$BOOT_APPEND }harness_shell=1"
	export GUEST_STDIN=/dev/stdin
	[ "$timeout_given" -eq 1 ] || timeout=0
fi
[ $# -gt 0 ] || die "usage: run-guest.sh [options] KERNEL -- COMMAND [ARGS...]"

kernel=$(resolve_kernel "$kernel_arg")

# A fresh run directory: out/ is shared read-write with the guest.
[ -n "$run" ] || run=$BUILD/runs/$(date +%Y%m%d-%H%M%S)-${name:-guest}-$$
rm -rf "$run"
mkdir -p "$run/out"
log "run directory: $run"

# The command, quoted so that the guest runs exactly these arguments.
{
	printf 'cd %q\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$run/out/command"

make_scratch_disks "$run"

if [ $icount -eq 1 ]; then
	accel=(-accel tcg -icount shift=0,sleep=off)
	smp=1
else
	accel=($(choose_accel "$kernel"))
fi
log "accelerator: ${accel[*]}, $smp CPUs, $mem"

set +e
boot_guest "$kernel" "$run" "$timeout" -m "$mem" -smp "$smp" "${accel[@]}"
qemu_status=$?
set -e

rm -f "$run"/*.img
status=$(cat "$run/out/exit-status" 2>/dev/null || true)
if [ $qemu_status -eq 124 ]; then
	log "guest timed out after ${timeout}s; console: $run/console.log"
	status=124
elif [ -z "$status" ]; then
	log "guest ended without reporting an exit status (qemu exit $qemu_status); console: $run/console.log"
	tail -20 "$run/console.log" >&2
	status=125
fi
if ! "$PROJECT/scripts/check-guest-log.sh" "$run/console.log"; then
	log "the guest kernel log has reports (above); failing the run"
	[ "$status" -ne 0 ] || status=125
fi
exit "$status"
