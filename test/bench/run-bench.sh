#!/usr/bin/env bash
# make bench: time create-diff-object over the corpus and over a generated
# pair of objects with 20,000 functions, printing per-phase times (the
# median of several runs). Target: the 20,000-function pair under 1 s.
set -euo pipefail

build=${1:-${BUILD:-build}}
cdo=$build/create-diff-object/create-diff-object
corpus=${KPATCH_CORPUS:-../shared/corpus/kpatch-unit}
runs=${BENCH_RUNS:-5}
nfuncs=${BENCH_FUNCS:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(dirname "$0")
cflags=(-O2 -ffunction-sections -fdata-sections -pg -mfentry -fno-pie -mcmodel=kernel
	-mno-red-zone -fno-stack-protector -c)

# phase_medians JSON... -> "phase median_ms" lines
phase_medians() {
	for f in "$@"; do
		sed -n 's/.*"timings_ms": {\(.*\)}.*/\1/p' "$f" | tr ',' '\n' |
			sed 's/^ *"\([a-z-]*\)": \(.*\)$/\1 \2/' | awk '{ print NR, $1, $2 }'
	done | sort -k1,1n -k3,3n | awk '
		{ v[$1] = v[$1] " " $3; c[$1]++; name[$1] = $2; if ($1 > k) k = $1 }
		END {
			for (i = 1; i <= k; i++) {
				split(substr(v[i], 2), a, " ")
				printf "  %-16s %9.1f ms\n", name[i], a[int((c[i] + 1) / 2)]
			}
		}'
}

# gcc needs most of a minute for each of these: keep them between runs
cache=$build/bench/$nfuncs-$(sha256sum <"$here/gen-source.sh" | cut -c1-12)
if [[ ! -e $cache/patched.o ]]; then
	echo "Generating and compiling a $nfuncs-function object pair (cached in $cache)"
	mkdir -p "$cache"
	"$here/gen-source.sh" -n "$nfuncs" >"$work/bench.c"
	"$here/gen-source.sh" -n "$nfuncs" --patched >"$work/bench-patched.c"
	gcc "${cflags[@]}" -o "$work/orig.o" "$work/bench.c" &
	gcc "${cflags[@]}" -o "$work/patched.o" "$work/bench-patched.c"
	wait $!
	mv "$work/orig.o" "$cache/orig.o"
	mv "$work/patched.o" "$cache/patched.o"
fi
cp "$cache/orig.o" "$cache/patched.o" "$work/"
readelf -s --wide "$work/orig.o" >"$work/symtab"
: >"$work/symvers"
printf '  ORIG %s bytes, %s sections\n' "$(stat -c %s "$work/orig.o")" \
	"$(readelf -h "$work/orig.o" | awk '/Number of section headers/ { print $5 }')"

reports=()
for ((i = 1; i <= runs; i++)); do
	"$cdo" --report "$work/r$i.json" "$work/orig.o" "$work/patched.o" vmlinux \
		"$work/symtab" "$work/symvers" bench "$work/out.o" >"$work/stdout"
	reports+=("$work/r$i.json")
done
echo "create-diff-object on the $nfuncs-function pair ($(grep -c 'changed function' "$work/stdout") changed, $(grep -c 'new function' "$work/stdout") new), median of $runs runs:"
phase_medians "${reports[@]}"
if command -v /usr/bin/time >/dev/null; then
	/usr/bin/time -f '  peak memory      %M KiB' "$cdo" "$work/orig.o" "$work/patched.o" vmlinux \
		"$work/symtab" "$work/symvers" bench "$work/out.o" >/dev/null
fi

if [[ -d $corpus/x86_64 ]]; then
	start=$(date +%s%N)
	count=0
	while IFS=$'\t' read -r arch name _ _ _ _ _ env; do
		[[ $arch == x86_64 ]] || continue
		orig=$corpus/x86_64/$name.ORIG.o patched=$corpus/x86_64/$name.PATCHED.o
		[[ -e $patched ]] || patched=$corpus/x86_64/$name.PATCHED.FAIL.o
		readelf -s --wide "$orig" >"$work/csym"
		# shellcheck disable=SC2086
		env $env "$cdo" "$orig" "$patched" vmlinux "$work/csym" "$work/symvers" t "$work/c.o" \
			>/dev/null 2>&1 || true
		count=$((count + 1))
	done < <(tail -n +2 "$corpus/expected.tsv")
	echo "create-diff-object over the x86_64 corpus: $count cases in $(( ($(date +%s%N) - start) / 1000000 )) ms (including readelf)"
fi
