# Helpers for the scenario tests in guest/tests and the benchmarks in
# guest/bench (runs inside the guest only). Source it. Exit codes follow
# kselftest: 0 pass, 1 fail, 4 skip.
set -uo pipefail

# On stderr, so that a need_* helper failing inside $(...) is still heard.
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 4; }

# need_prog NAME -> path of a project guest program built by build-tests.sh
need_prog() {
	[ -x "${PROGS:-}/$1" ] || fail "guest program $1 not built (PROGS=${PROGS:-unset})"
	echo "$PROGS/$1"
}

# need_selftest NAME -> path of an mm selftest of the kernel under test
need_selftest() {
	[ -x "${SELFTESTS_MM:-}/$1" ] || fail "mm selftest $1 not built (SELFTESTS_MM=${SELFTESTS_MM:-unset})"
	echo "$SELFTESTS_MM/$1"
}

need_file() { [ -e "$1" ] || skip "$1 missing (kernel config?)"; }

# on_exit CMD: run CMD (a shell string) when the test exits, however it
# exits; the latest first, so that what was set up last is undone first.
on_exit_cmds=()
on_exit() {
	on_exit_cmds=("$1" "${on_exit_cmds[@]}")
	trap run_on_exit EXIT
}
run_on_exit() {
	local cmd
	for cmd in "${on_exit_cmds[@]}"; do
		eval "$cmd"
	done
}

# scratch_fs NAME SIZE MKFS...: a filesystem of the test's own, made by the
# command MKFS... on a SIZE image in $GUEST_EXT4/NAME and attached to a loop
# device. Sets scratch_dir, scratch_loop and scratch_mnt (/mnt/NAME, made
# but not mounted: the test mounts with the options it needs). At exit it
# is unmounted and the loop device detached.
scratch_fs() {
	local name=$1 size=$2
	shift 2
	scratch_dir=$GUEST_EXT4/$name
	scratch_mnt=/mnt/$name
	rm -rf "$scratch_dir" && mkdir -p "$scratch_dir" "$scratch_mnt"
	truncate -s "$size" "$scratch_dir/fs.img"
	"$@" "$scratch_dir/fs.img" >/dev/null || fail "$1 of $scratch_dir/fs.img"
	scratch_loop=$(losetup -f --show "$scratch_dir/fs.img") || skip "no loop device"
	local cmd
	printf -v cmd 'umount %q 2>/dev/null; losetup -d %q' "$scratch_mnt" "$scratch_loop"
	on_exit "$cmd"
}

# run_prog PROGRAM ARG...: run a guest program that exits 0 when every
# check passed and 1 when one failed, and print what it printed. Returns
# its exit status; 4 skips the test, any other exit (it could not run)
# fails it.
run_prog() {
	local out rc=0
	out=$("$@") || rc=$?
	[ -z "$out" ] || echo "$out"
	case $rc in
	0 | 1) return $rc ;;
	4) skip "${1##*/} skipped (see above)" ;;
	*) fail "${1##*/} exited $rc: it could not run (see above)" ;;
	esac
}

# start_pressure: writeback, syncs, dropped caches and reclaim in the
# background, for a test whose pins must survive them; stop_pressure ends it.
# Another writer keeps writeback busy, sync and drop_caches write and evict
# everything unpinned, and memory.reclaim of the root cgroup reclaims.
start_pressure() {
	(
		while :; do
			dd if=/dev/zero of="$GUEST_EXT4/pressure.data" bs=1M count=8 \
				conv=fsync status=none
			sync
			echo 3 >/proc/sys/vm/drop_caches
			echo 32M >/sys/fs/cgroup/memory.reclaim 2>/dev/null
			sleep 0.2
		done
	) &
	pressure_pid=$!
}

stop_pressure() {
	[ -n "${pressure_pid:-}" ] || return 0
	kill "$pressure_pid" 2>/dev/null
	wait "$pressure_pid" 2>/dev/null
	pressure_pid=
	rm -f "$GUEST_EXT4/pressure.data"
}

# rxe_up DEVICE: a soft-RoCE device DEVICE on one end (DEVICE-v0) of a new
# veth pair, both ends up; fails if the guest has no veth or rxe.
# rxe_down DEVICE removes both.
rxe_up() {
	ip link add "$1-v0" type veth peer name "$1-v1" &&
		ip link set "$1-v0" up && ip link set "$1-v1" up &&
		rdma link add "$1" type rxe netdev "$1-v0"
}
rxe_down() {
	rdma link delete "$1" 2>/dev/null
	ip link delete "$1-v0" 2>/dev/null
}

# vmstat NAME: a /proc/vmstat value, exact: stat_refresh first folds in the
# per-CPU deltas, which the counters otherwise take only past a threshold.
vmstat() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v name="$1" '$1 == name { print $2 }' /proc/vmstat
}
