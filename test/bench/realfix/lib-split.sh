# shellcheck shell=bash
# Split a kernel update into one patch per changed .c file and keep the
# fixes the shipped kernel actually runs. Sourced by test/bench/realfix/run
# and test/unit/realfix-split.sh; needs readelf, diff, awk.
#
# Which .c files are "built": the shipped kernel's debug information says
# it exactly. Every object kbuild compiled into vmlinux or a module (obj-y
# or obj-m after the config and every Makefile on the way down were
# evaluated) is one DWARF compile unit named by its source path, relative
# to the tree; a .c file that is only #included by another one (the
# scheduler's build_policy.c includes rt.c, ...) is no unit of its own, so
# a changed .c also counts when a unit of its directory includes it by name.
# Re-evaluating kbuild would need the full configured tree and could
# disagree with what Debian built; the -dbg files are the build itself.

# cu_names ELF...: "SOURCE<TAB>ELF" for every compile unit of each ELF.
cu_names() {
	local elf
	for elf in "$@"; do
		LC_ALL=C readelf --debug-dump=info --dwarf-depth=1 "$elf" 2>/dev/null |
			awk -v elf="$elf" '
				/DW_TAG_compile_unit/ { want = 1; next }
				want && /DW_AT_name/ { n = $NF; sub(/^\.\//, "", n); print n "\t" elf; want = 0 }
				/DW_TAG_/ { want = 0 }'
	done
}

# changed_sources OLD NEW: the .c files of both trees whose content
# differs, relative, sorted. Added and removed files are no fix of the
# running kernel (nothing of theirs is built in the old one).
changed_sources() {
	local old=$1 new=$2 rc=0
	LC_ALL=C diff -rq "$old" "$new" >"${TMPDIR:-/tmp}/realfix-diff.$$" || rc=$?
	((rc <= 1)) || { rm -f "${TMPDIR:-/tmp}/realfix-diff.$$"; return 1; }
	awk -v o="$old/" '/^Files .* differ$/ && $2 ~ /\.c$/ { print substr($2, length(o) + 1) }' \
		"${TMPDIR:-/tmp}/realfix-diff.$$" | LC_ALL=C sort
	rm -f "${TMPDIR:-/tmp}/realfix-diff.$$"
}

# select_built TREE CUS < CHANGED: "SOURCE<TAB>ELF" for each changed source
# that is a compile unit in CUS (the output of cu_names), or is included by
# name from a unit of its own directory; ELF is the binary that unit is in.
select_built() {
	local tree=$1 cus=$2
	awk -F '\t' -v tree="$tree" '
		function dir(p) { sub(/\/[^\/]*$/, "", p); return p }
		function includes(unit, base,   line, found) {
			found = 0
			while ((getline line < (tree "/" unit)) > 0)
				if (line ~ /^[ \t]*#[ \t]*include[ \t]+"/ && index(line, "\"" base "\"")) { found = 1; break }
			close(tree "/" unit)
			return found
		}
		NR == FNR { if (!($1 in elf)) elf[$1] = $2; units[dir($1)] = units[dir($1)] "\n" $1; next }
		$1 in elf { print $1 "\t" elf[$1]; next }
		{
			base = $1; sub(/.*\//, "", base)
			n = split(units[dir($1)], u, "\n")
			for (i = 2; i <= n; i++)
				if (includes(u[i], base)) { print $1 "\t" elf[u[i]]; break }
		}' "$cus" -
}

# fix_name SOURCE: the fix's name, from its path ("fs/proc/base.c" ->
# "fs-proc-base"): unique per file, usable as a file name.
fix_name() {
	local n=${1%.c}
	n=${n//\//-}
	printf '%s\n' "${n//[^A-Za-z0-9_.-]/_}"
}

# write_fix_patch OLD NEW SOURCE OUT: the -p1 patch of one file.
write_fix_patch() {
	local old=$1 new=$2 src=$3 out=$4 rc=0
	LC_ALL=C diff -u --label "a/$src" --label "b/$src" "$old/$src" "$new/$src" >"$out.tmp" || rc=$?
	((rc == 1)) || { rm -f "$out.tmp"; return 1; }
	mv "$out.tmp" "$out"
}

# sample_lines N: N lines spread evenly over the input (deterministic, in
# input order); all of them when N is 0 or not smaller than the count.
sample_lines() {
	awk -v n="$1" '{ l[NR] = $0 } END {
		if (n <= 0 || n >= NR) { for (i = 1; i <= NR; i++) print l[i]; exit }
		for (k = 0; k < n; k++) print l[int(k * NR / n) + 1] }'
}
