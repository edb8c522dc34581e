# Helpers for a test suite: source it, call pass/fail/check, end with
# suite_end, which prints the "N passed, N failed" line tests/run reads.
suite_passed=0
suite_failed=0

pass() {
	suite_passed=$((suite_passed + 1))
	echo "PASS $*"
}

fail() {
	suite_failed=$((suite_failed + 1))
	echo "FAIL $*"
}

# check NAME COMMAND...: pass if COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

suite_end() {
	echo "$suite_passed passed, $suite_failed failed"
	[ "$suite_failed" -eq 0 ]
}

# count_verdicts LOG RC WHAT [PREFIX]: the PASS/FAIL lines of a program's
# LOG as this suite's (PREFIX before each); a program that exited with RC
# != 0 and no FAIL line is one failure ("WHAT died").
count_verdicts() {
	local log=$1 rc=$2 what=$3 prefix=${4:-} verdict line
	while read -r verdict line; do
		case $verdict in
		PASS) pass "$prefix$line" ;;
		FAIL) fail "$prefix$line" ;;
		esac
	done <"$log"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$log"; then
		fail "$what died (exit $rc, log: $log)"
		tail -n 5 "$log"
	fi
}

# Host test programs, built by make (rules in mk/host.mk, tests/*/host.mk).

# verdict_test NAME TARGET BINARY: build TARGET, run BINARY and count its
# PASS/FAIL lines as this suite's; other lines are shown as they are. A
# program that dies without a FAIL line is one failure.
verdict_test() {
	local name=$1 target=$2 test=$3 dir=build/tests/$1
	mkdir -p "$dir"
	if ! make -s "$target" >"$dir/build.log" 2>&1; then
		fail "build $name (log: $dir/build.log)"
		cat "$dir/build.log"
		return
	fi
	"$test" >"$dir/$name.log" 2>&1
	local rc=$?
	grep -v -e "^PASS" -e "^FAIL" "$dir/$name.log"
	count_verdicts "$dir/$name.log" $rc "$name"
}

# counted_test NAME BINARY: build BINARY (its own make target), run it and
# pass its output on; its last line must be its own "N passed, N failed".
# A program that cannot be built or dies before counting is one failure.
# Exits with the program's status.
counted_test() {
	local name=$1 test=$2 log=build/tests/$1.out
	mkdir -p build/tests
	if ! make --no-print-directory -s "$test"; then
		echo "$name: build of $test failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
	"$test" >"$log" 2>&1
	local rc=$?
	cat "$log"
	if ! tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
		echo "$name: $test died before counting (status $rc)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	exit $rc
}

# run_parallel JOBS FUNC ROW...: FUNC ROW for every ROW, JOBS of them at a
# time (QEMU boots: CI has 2 cores); returns when all have ended.
run_parallel() {
	local jobs=$1 fn=$2 running=0 row
	shift 2
	for row in "$@"; do
		"$fn" "$row" &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
}

# For suites that read a boot log: $log is the log, $rc the exit status.
has_line() {
	tr -d '\r' <"$log" | grep -Eq -- "$1"
}

# expect NAME REGEX...: every REGEX matches a line of $log.
expect() {
	local name=$1 re missing=""
	shift
	for re in "$@"; do
		has_line "$re" || missing="$missing [$re]"
	done
	if [ -z "$missing" ]; then
		pass "$name"
	else
		fail "$name: no line matching$missing in $log"
	fi
}

expect_rc() {
	if [ "$rc" -eq "$2" ]; then
		pass "$1: exit $rc"
	else
		fail "$1: exit $rc, expected $2 (log: $log)"
		log_tail "$1" "$log"
	fi
}

# log_tail WHAT LOG [N]: after a boot failed, what its console said, each
# line as "  FAIL-LOG WHAT: ...": every "cpus:" banner if there is more
# than one (a CPU booted the kernel again), and the report from the first
# trap or panic on, its lines joined with "|" into a few lines (CI keeps
# only the tail of the output, and tests/run ends with the first lines of
# each failing suite that start with FAIL); without one, the last N (8)
# lines.
log_tail() {
	local what=$1 log=$2 n=${3:-8}
	if [ ! -s "$log" ]; then
		echo "  FAIL-LOG $what: no console output in $log"
		[ -f "$log.runner" ] && tr -d '\r' <"$log.runner" | grep -v '^[[:space:]]*$' | tail -n 3 |
			sed "s|^|  FAIL-LOG $what: |"
		return 0
	fi
	{
		[ "$(tr -d '\r' <"$log" | grep -c '^cpus: ')" -gt 1 ] && tr -d '\r' <"$log" | grep '^cpus: '
		if tr -d '\r' <"$log" | grep -Eq '^(TRAP|PANIC)|panic'; then
			tr -d '\r' <"$log" | sed -En '/^(TRAP|PANIC)|panic/,$p' | head -n 40 |
				tr -s ' ' | paste -sd '|' - | fold -w 200
		else
			tr -d '\r' <"$log" | grep -v '^[[:space:]]*$' | tail -n "$n" | cut -c1-200
		fi
	} | sed "s|^|  FAIL-LOG $what: |"
	return 0
}

# The ported arches a QEMU suite covers: all, or those TEST_ARCH names
# (make test TEST_ARCH=arm64, one CI job per arch).
test_arches() {
	local a
	for a in $(make -s ports); do
		case " ${TEST_ARCH:-$a} " in *" $a "*) echo "$a" ;; esac
	done
}
