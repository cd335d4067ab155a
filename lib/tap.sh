# Test results in TAP form, counted, for the host scripts and the guest
# runner alike (pure bash, no side effects but output). Source it.
#
#   tap_result pass|fail|skip NAME [REASON]   print "ok N NAME" / "not ok N NAME"
#   tap_run NAME LOG COMMAND...               run COMMAND, output to LOG, report it:
#                                             exit 0 pass, 4 skip (kselftest), else fail
#   tap_absorb FILE                           count results another runner recorded
#   tap_summary                               the plan "1..N", then "N passed, N failed,
#                                             N skipped"; status 1 on failures
# TAP_NUMBER: the number of the last test already printed (default 0).
# TAP_RECORD: if set, each result is also appended there as "STATUS NAME".

TAP_NUMBER=${TAP_NUMBER:-0}
tap_passed=0 tap_failed=0 tap_skipped=0

tap_result() {
	local status=$1 name=$2 reason=${3:-}
	TAP_NUMBER=$((TAP_NUMBER + 1))
	case $status in
	pass) echo "ok $TAP_NUMBER $name"; tap_passed=$((tap_passed + 1)) ;;
	skip) echo "ok $TAP_NUMBER $name # SKIP ${reason:-no reason given}"; tap_skipped=$((tap_skipped + 1)) ;;
	*) echo "not ok $TAP_NUMBER $name${reason:+ # $reason}"; tap_failed=$((tap_failed + 1)); status=fail ;;
	esac
	if [ -n "${TAP_RECORD:-}" ]; then echo "$status $name" >>"$TAP_RECORD"; fi
	return 0
}

tap_run() {
	local name=$1 log=$2 rc=0
	shift 2
	mkdir -p "$(dirname "$log")"
	"$@" >"$log" 2>&1 </dev/null || rc=$?
	case $rc in
	0) tap_result pass "$name" ;;
	4) tap_result skip "$name" "$(tail -n1 "$log")" ;;
	*)
		tap_result fail "$name" "exit $rc, log: $log"
		tail -n 15 "$log" | sed 's/^/#   /'
		;;
	esac
}

tap_absorb() {
	local status name
	[ -f "$1" ] || return 0
	while read -r status name; do
		TAP_NUMBER=$((TAP_NUMBER + 1))
		case $status in
		pass) tap_passed=$((tap_passed + 1)) ;;
		skip) tap_skipped=$((tap_skipped + 1)) ;;
		*) tap_failed=$((tap_failed + 1)) ;;
		esac
	done <"$1"
}

tap_summary() {
	# The plan comes last, as TAP allows: how many tests run (one per
	# selftest a category holds) is known only at the end.
	echo "1..$TAP_NUMBER"
	echo "$tap_passed passed, $tap_failed failed, $tap_skipped skipped"
	[ "$tap_failed" -eq 0 ]
}
