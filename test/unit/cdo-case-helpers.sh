# shellcheck shell=bash
# Sourced by the differ's C-case tests: counting, and the function sets
# the differ reports. $case names the running case; $case.stdout is the
# differ's text output.
# shellcheck disable=SC2154  # case, passed, failed, cdo, cc and cflags belong to the sourcing script

fail() { echo "FAIL $case: $*"; failed=$((failed + 1)); }
pass() { passed=$((passed + 1)); }

expect_funcs() {	# expect_funcs changed|new "a b"
	local got
	got=$(sed -n "s/^.*: $1 function: //p" "$case.stdout" | sort | tr '\n' ' ')
	[[ $got == "$2 " || ( -z $2 && -z $got ) ]] || { fail "$1 functions {$got}, expected {$2}"; return 1; }
}

expect_json() {	# expect_json REGEX: the report ($case.json) has a line matching it
	grep -Eq -- "$1" "$case.json" || { fail "report lacks /$1/"; return 1; }
}

# compile_pair COMPILER [FLAGS...]: $case.orig.c and $case.patched.c into
# $case.orig.o and $case.patched.o, both built from a file of the same name,
# as a kernel tree would
compile_pair() {
	local compiler=$1
	shift
	mkdir -p orig patched
	cp "$case.orig.c" "orig/$case.c"
	cp "$case.patched.c" "patched/$case.c"
	(cd orig && "$compiler" "$@" -o "../$case.orig.o" "$case.c")
	(cd patched && "$compiler" "$@" -o "../$case.patched.o" "$case.c")
}

# cross_case_setup PACKAGE: the cross-compiled cases need $cc (the test
# fails, naming PACKAGE to install, without it), and run in a fresh
# directory removed on exit.
cross_case_setup() {
	passed=0
	failed=0
	if ! command -v "$cc" >/dev/null; then
		echo "FAIL: $cc not found (apt-get install $1)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	work=$(mktemp -d)
	# shellcheck disable=SC2064  # the directory is known now
	trap "rm -rf '$work'" EXIT
	cd "$work" || exit 1
}

# run_cross_case MACHINE NAME EXPECTED-EXIT [extra flags...]: NAME.orig.c and
# NAME.patched.c built with $cc "${cflags[@]}", then the differ ($cdo) with
# the original's own symbols for vmlinux and printk exported; the exit
# status must be the expected one, and an output an object for MACHINE
# (readelf -h's Machine). For the cross-compiled cases, whose objects
# kpatch-verify does not read.
run_cross_case() {
	local machine=$1 want=$3 status=0
	case=$2
	shift 3
	compile_pair "$cc" "${cflags[@]}" "$@"
	readelf -s --wide "$case.orig.o" >"$case.symtab"
	printf '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >"$case.symvers"
	"$cdo" --report "$case.json" "$case.orig.o" "$case.patched.o" vmlinux "$case.symtab" \
		"$case.symvers" test "$case.out.o" >"$case.stdout" 2>"$case.stderr" || status=$?
	if ((status != want)); then
		fail "exit status $status, expected $want: $(cat "$case.stderr")"
		return 1
	fi
	if ((status == 0)) && [[ $(LC_ALL=C readelf -h "$case.out.o") != *"$machine"* ]]; then
		fail "the output is not a $machine object"
		return 1
	fi
	return 0
}
