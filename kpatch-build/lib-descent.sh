# shellcheck shell=bash
# lib-descent.sh: objects that kbuild reaches by two descents.
#
# `make dir/obj.o` (kbuild 5.x+, scripts/Makefile.build's single-subdirs)
# descends into every subdirectory of a level whose path is a prefix of the
# goal. Where one kbuild file lists both a directory and a directory below
# it (the top level: arch/x86/ and drivers-y's arch/x86/pci/; drivers/:
# block/ and block/aoe/), the object is compiled by both descents: the
# shallower one with the wrong directory's flags (its KBUILD_MODFILE, its
# ccflags-y), and, under -j, at the same time as the right one, into the
# same .o, .d and .cmd files (fixdep fails on a .d file the other compile
# removed, or a .cmd file keeps two writers' bytes). kbuild's subdirectory
# list is sorted, so a directory comes before the ones below it: with one
# job, the owning (deepest) descent runs last, finds the other's command
# line in the .cmd file and compiles the object again, right. Such objects
# are therefore made by a separate make with -j1; the others keep -j.
#
# Which objects: every kbuild file from the top to the object's directory
# is read for the subdirectories it lists (any obj-/subdir- assignment,
# whatever its condition, and at the top the arch Makefile's core-, drivers-
# and libs- lists). Two of them on the object's path make it one. Reading
# more than kbuild would (conditions are ignored) only costs a -j1 make.

declare -A DESCENT_SUBDIRS=()	# kbuild dir -> its listed subdirs, tree-relative

# kbuild_listed_subdirs DIR: the subdirectories DIR's kbuild file lists,
# one per line, tree-relative, without the trailing slash.
kbuild_listed_subdirs() {
	local dir=$1 files=() file srcarch prefix=""
	if [[ $dir == . ]]; then
		srcarch=$(kbuild_arch_of "${TARGET_ARCH:-x86_64}")
		files=("$TREE/Kbuild" "$TREE/Makefile" "$TREE/arch/$srcarch/Makefile")
	else
		srcarch=""
		prefix=$dir/
		if [[ -f $TREE/$dir/Kbuild ]]; then
			files=("$TREE/$dir/Kbuild")
		else
			files=("$TREE/$dir/Makefile")
		fi
	fi
	for file in "${files[@]}"; do
		[[ -f $file ]] || continue
		# Join continued lines; take the words ending in / of the
		# assignments that list directories to descend into.
		sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' -- "$file" |
			awk -v prefix="$prefix" -v srcarch="$srcarch" '
				/^[[:space:]]*(obj|subdir|core|drivers|libs)-[^=]*[:+]?=/ {
					sub(/#.*/, "")
					sub(/^[^=]*=/, "")
					for (i = 1; i <= NF; i++) {
						word = $i
						if (word !~ /\/$/ || word ~ /^-/) continue
						gsub(/\$\(SRCARCH\)/, srcarch, word)
						if (word ~ /\$/) continue
						sub(/^\.\//, "", word)
						sub(/\/+$/, "", word)
						print prefix word
					}
				}'
	done | LC_ALL=C sort -u
}

# reached_by_two_descents OBJECT: kbuild's single-target make of OBJECT
# descends into two directories of one level (see above).
reached_by_two_descents() {
	local object=$1 dir parent path=() i j n sub listed
	dir=$(dirname -- "$object")
	[[ $dir != . ]] || return 1
	# The directories from the top to the object's: ., a, a/b, ...
	parent=.
	IFS=/ read -r -a path <<<"$dir"
	for ((i = 0; i < ${#path[@]}; i++)); do
		if [[ -z ${DESCENT_SUBDIRS[$parent]+set} ]]; then
			DESCENT_SUBDIRS[$parent]=$(kbuild_listed_subdirs "$parent")
		fi
		listed=$'\n'${DESCENT_SUBDIRS[$parent]}$'\n'
		n=0
		# Count the listed subdirectories on the path below this level.
		sub=""
		for ((j = 0; j < ${#path[@]}; j++)); do
			sub+=${sub:+/}${path[j]}
			((j >= i)) || continue
			[[ $listed == *$'\n'"$sub"$'\n'* ]] && ((++n))
		done
		((n < 2)) || return 0
		if [[ $parent == . ]]; then
			parent=${path[0]}
		else
			parent+=/${path[i]}
		fi
	done
	return 1
}

# run_make_objects [ENV=VALUE...] -- [-k] OBJECT...: run_make for single
# objects; those reached by two descents in a make of their own with -j1.
# Fails if either make fails (both run, so -k keeps its meaning).
run_make_objects() {
	local env_vars=() flags=() shared=() serial=() object rc=0
	while [[ $1 != -- ]]; do
		env_vars+=("$1")
		shift
	done
	shift
	while [[ ${1:-} == -* ]]; do
		flags+=("$1")
		shift
	done
	for object in "$@"; do
		if reached_by_two_descents "$object"; then
			serial+=("$object")
		else
			shared+=("$object")
		fi
	done
	if ((${#shared[@]})); then
		run_make "${env_vars[@]}" -- "${flags[@]}" "${shared[@]}" || rc=$?
	fi
	if ((${#serial[@]})); then
		log "kbuild reaches ${serial[*]} by two descents (two subdirectories of one level are prefixes of its path); made with -j1 so that the owning directory's compile is the last and the only one running"
		run_make "${env_vars[@]}" -- "${flags[@]}" -j1 "${serial[@]}" || rc=$?
	fi
	return "$rc"
}
