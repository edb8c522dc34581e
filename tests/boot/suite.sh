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
