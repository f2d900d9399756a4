# shellcheck shell=bash
# Sourced by the differ's C-case tests: counting, and the function sets
# the differ reports. $case names the running case; $case.stdout is the
# differ's text output.
# shellcheck disable=SC2154  # case, passed, failed, cc, cflags, cdo, machine, work: the sourcing script's

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

# For the cross-compiled case scripts: $cc, $cflags and $cdo set by the
# sourcing script, $machine the word `readelf -h` names their machine with.

# A missing cross compiler fails the script (it is in packages.txt).
require_compiler() {	# require_compiler PACKAGE
	command -v "$cc" >/dev/null && return 0
	echo "FAIL: $cc not found (apt-get install $1)"
	echo "0 passed, 1 failed"
	exit 1
}

# run_case NAME EXPECTED-EXIT [extra gcc flags...]; sources in NAME.orig.c,
# NAME.patched.c; the differ runs as for vmlinux with printk exported
run_case() {
	case=$1
	local want=$2 status=0
	shift 2
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
		fail "the output is not an $machine object"
		return 1
	fi
	return 0
}

# relocations of the output's section $1: "offset type symbol+addend" lines
relocs_of() {
	rela_section "$case.out.o" ".rela$1"
}

# section_offset OBJECT SECTION: the file offset of SECTION's data, in hex
section_offset() {
	readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\] //' | awk -v n="$2" '$1 == n { print $4 }'
}

# rela_section OBJECT RELA-SECTION: its "offset type symbol+addend" lines
rela_section() {
	readelf -rW "$1" | awk -v sec="'$2'" '
		/^Relocation section/ { on = ($3 == sec); next }
		on && $1 ~ /^[0-9a-f]+$/ { print $1, $3, $5 $6 $7 }'
}

# A changed notrace function has no ftrace call site: refused, by name.
# notrace_case ATTRIBUTE [extra gcc flags...]
notrace_case() {
	local attribute=$1
	shift
	printf '%s int quiet(int x) { return x + 1; }\n' "$attribute" >notrace.orig.c
	sed 's/x + 1/x + 2/' notrace.orig.c >notrace.patched.c
	run_case notrace 2 "$@" || return 0
	if grep -q 'function quiet has no ftrace call site' notrace.stdout notrace.stderr; then
		pass
	else
		fail "the refusal does not name quiet's missing ftrace call site: $(cat notrace.stderr)"
	fi
}

# A changed constant where a line number could be is a change; so is a
# line shift of another size than the function's other line numbers.
# limit_case [extra gcc flags...]
limit_case() {
	cat >limit.orig.c <<'C'
extern int printk(const char *fmt, ...);
extern void __might_sleep(const char *file, int line);
void show_limit(void) { printk("limit %d\n", 5); }
void two(void) { __might_sleep("a.c", __LINE__); __might_sleep("b.c", 40); }
C
	{ echo; sed 's/, 5)/, 6)/; s/, 40)/, 42)/' limit.orig.c; } >limit.patched.c
	run_case limit 0 "$@" && expect_funcs changed "show_limit two" && pass
}

# line.orig.c: __LINE__ in the second argument (__might_sleep), the third
# (__btrfs_abort_transaction), a printk format that names a line, and a
# line number above 32767; a script appends what its arch loads otherwise.
line_source() {
	cat >line.orig.c <<'C'
extern void __might_sleep(const char *file, int line);
extern void __btrfs_abort_transaction(void *trans, const char *function, unsigned int line, int errno_);
extern int printk(const char *fmt, ...);
void near(void) { __might_sleep("line.c", __LINE__); }
void at_line(void) { printk("at line %d\n", __LINE__); }
void abort_it(void *t) { __btrfs_abort_transaction(t, __func__, __LINE__, -5); }
#line 40000
void far(void) { __might_sleep("line.c", __LINE__); }
C
}

expect_json() {	# expect_json REGEX: the report ($case.json) has a line matching it
	grep -Eq -- "$1" "$case.json" || { fail "report lacks /$1/"; return 1; }
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
