# shellcheck shell=bash
# Sourced by the differ's C-case tests: counting, and the function sets
# the differ reports. $case names the running case; $case.stdout is the
# differ's text output.
# shellcheck disable=SC2154  # case, passed and failed belong to the sourcing script

fail() { echo "FAIL $case: $*"; failed=$((failed + 1)); }
pass() { passed=$((passed + 1)); }

expect_funcs() {	# expect_funcs changed|new "a b"
	local got
	got=$(sed -n "s/^.*: $1 function: //p" "$case.stdout" | sort | tr '\n' ' ')
	[[ $got == "$2 " || ( -z $2 && -z $got ) ]] || { fail "$1 functions {$got}, expected {$2}"; return 1; }
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
