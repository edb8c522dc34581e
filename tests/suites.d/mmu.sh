#!/bin/bash
# The MMU layer on the host, under ASan+UBSan: the conformance suite (every
# case, every mode), a bounded slice of the differential tester (a few
# seeds per mode) and a few seconds of libFuzzer over every mode. `make
# mmu-diff` and `make fuzz` run longer. Each part's own summary is added
# up; a part that cannot be built or ends without a summary counts as a
# failure.
#
#   MMU_DIFF_SEEDS (4) MMU_DIFF_STEPS (300) MMU_FUZZ_SECONDS (10)
set -u
diff_seeds=${MMU_DIFF_SEEDS:-4}
diff_steps=${MMU_DIFF_STEPS:-300}
fuzz_seconds=${MMU_FUZZ_SECONDS:-10}
out=build/tests/mmu
mkdir -p "$out"
passed=0 failed=0

# run NAME CMD...: runs CMD, shows its output, adds its "N passed, N failed".
run() {
	local name=$1 log=$out/$1.log
	shift
	echo "--- $name: $*"
	# A hang (a seqlock left odd spins every reader) fails, never stalls
	# CI: exit 124 is timeout's.
	timeout "${MMU_CASE_TIMEOUT:-900}" "$@" >"$log" 2>&1
	local rc=$?
	cat "$log"
	local counts
	counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$counts" ]; then
		echo "FAIL $name: no summary line (exit $rc)"
		failed=$((failed + 1))
		return
	fi
	local p=${counts%% passed*} f=${counts#*, }
	f=${f%% failed}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exit $rc with no failure counted"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f))
}

build() {
	if ! make -s -f mk/host.mk "$@" >"$out/build.log" 2>&1; then
		cat "$out/build.log"
		echo "FAIL build of $*"
		failed=$((failed + 1))
		return 1
	fi
}

if build "$out/conformance" "$out/diff"; then
	run conformance "$out/conformance"
	run diff "$out/diff" --seeds "$diff_seeds" --steps "$diff_steps"
fi

# The fuzzer: one pass if it runs its time over every mode without a crash
# (each input runs every mode; -entropic=0: see tests/mmu/host.mk).
if build "$out/fuzz"; then
	corpus=$(mktemp -d)
	trap 'rm -rf "$corpus"' EXIT
	MMU_FUZZ_SEEDS=$corpus "$out/fuzz" >/dev/null 2>&1
	echo "--- fuzz: $out/fuzz -max_total_time=$fuzz_seconds"
	if "$out/fuzz" -max_total_time="$fuzz_seconds" -timeout=60 -entropic=0 -print_final_stats=1 \
		-artifact_prefix="$out/" "$corpus" >"$out/fuzz.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^Done|^fuzz ops: total' "$out/fuzz.log"
		echo "PASS fuzz: ${fuzz_seconds}s"
		passed=$((passed + 1))
	else
		grep -E -A30 '^FAIL|ERROR|SUMMARY' "$out/fuzz.log" | head -n 60
		echo "FAIL fuzz: crash input saved under $out/ (log $out/fuzz.log)"
		failed=$((failed + 1))
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
