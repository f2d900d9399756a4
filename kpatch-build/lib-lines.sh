# shellcheck shell=bash
# lib-lines.sh: __LINE__ by the source route. The patches are folded into
# one diff against the original tree, which fix-patch-lines rewrites so
# that code below each change keeps its original line numbers; that diff
# is what gets applied. The differ is then told that a changed immediate
# is a real change (--no-line-heuristic), except for objects built from a
# file where a directive could not go.

LINE_ROUTE=0		# 1: the line-fixed patch is applied instead of PATCHES
LINE_SKIPS=""		# "FILE:LINE: reason" of each spot left without a directive

# line_route_diff_file REL A-DIR B-DIR: the diff of one file between the
# two copies, /dev/null standing for a file one side lacks. Wide context
# gives a directive a place past a comment or a call the change is in.
line_route_diff_file() {
	local rel=$1 a=$2/$1 b=$3/$1 rc=0
	local old_label=a/$rel new_label=b/$rel
	[[ -e $a ]] || { a=/dev/null; old_label=/dev/null; }
	[[ -e $b ]] || { b=/dev/null; new_label=/dev/null; }
	[[ $a != /dev/null || $b != /dev/null ]] || return 0
	diff -U 25 --label "$old_label" --label "$new_label" -- "$a" "$b" || rc=$?
	((rc <= 1))
}

# line_route_result_ok DIR: DIR (original + fixed patch) is the patched
# copy plus "#line N" lines, file by file.
line_route_result_ok() {
	local dir=$1 file
	for file in "${PATCHED_FILES[@]}"; do
		if [[ -e $dir/b/$file ]]; then
			[[ -e $dir/c/$file ]] || return 1
			diff -q <(grep -Ev $'^#line [0-9]+\r?$' "$dir/c/$file" | awk 1) \
				<(awk 1 "$dir/b/$file") >/dev/null || return 1
		elif [[ -e $dir/c/$file ]]; then
			return 1
		fi
	done
}

# prepare_line_route: set APPLY_PATCHES to the line-fixed diff. Anything
# unexpected falls back to the user's patches with the binary heuristic.
prepare_line_route() {
	local dir=$RUN_DIR/lines file patch output file_dir
	rm -rf "$dir"
	mkdir -p "$dir/a" "$dir/b"
	LINE_SKIPS=$dir/skips
	: >"$LINE_SKIPS"
	for file in "${PATCHED_FILES[@]}"; do
		[[ -e $TREE/$file ]] || continue
		dirname_to file_dir "$file"
		mkdir -p "$dir/a/$file_dir" "$dir/b/$file_dir"
		cp -p -- "$TREE/$file" "$dir/a/$file"
		cp -p -- "$TREE/$file" "$dir/b/$file"
	done
	for patch in "${PATCHES[@]}"; do
		if ! output=$(patch_cmd -d "$dir/b" -i "$patch" </dev/null 2>&1); then
			line_route_fallback "the patches did not apply to a copy: $output"
			return 0
		fi
	done
	for file in "${PATCHED_FILES[@]}"; do
		line_route_diff_file "$file" "$dir/a" "$dir/b" ||
			{ line_route_fallback "diff failed on $file"; return 0; }
	done >"$dir/combined.patch"
	if ! "$HELPER_DIR/fix-patch-lines" -d "$dir/a" -s "$LINE_SKIPS" "$dir/combined.patch" \
		>"$dir/fixed.patch" 2>>"$LOG_FILE"; then
		line_route_fallback "fix-patch-lines failed"
		return 0
	fi
	cp -a -- "$dir/a" "$dir/c"
	if ! output=$(patch_cmd -d "$dir/c" -i "$dir/fixed.patch" </dev/null 2>&1) ||
		! line_route_result_ok "$dir"; then
		line_route_fallback "the line-fixed patch does not give the patched files: $output"
		return 0
	fi
	rm -rf "$dir/c"
	# shellcheck disable=SC2034 # applied by apply_patches (lib-patch.sh)
	APPLY_PATCHES=("$dir/fixed.patch")
	LINE_ROUTE=1
	log "__LINE__: applying $dir/fixed.patch ($(grep -c '^+#line ' "$dir/fixed.patch" || true) #line directive(s)) instead of the patches"
	if [[ -s $LINE_SKIPS ]]; then
		log "__LINE__: no #line directive could go at:"
		log "$(<"$LINE_SKIPS")"
		note "$(wc -l <"$LINE_SKIPS") spot(s) of $(cut -d: -f1 "$LINE_SKIPS" | sort -u | tr '\n' ' ')could not get a #line directive (see the log); the differ keeps its __LINE__ heuristic for the objects built from them"
	fi
}

line_route_fallback() {
	log "__LINE__: $1"
	warn "could not prepare the line-preserving patch ($1); applying the patches as given, with the differ's __LINE__ heuristic"
	# shellcheck disable=SC2034 # applied by apply_patches (lib-patch.sh)
	APPLY_PATCHES=("${PATCHES[@]}")
	LINE_ROUTE=0
}

# line_heuristic_args OBJECT: the differ option for this object. The
# heuristic stays on where the source route left spots uncovered: in the
# object built from that .c file, and in every object when the spot is in
# a header or in a .c file that is #included rather than compiled.
line_heuristic_args() {
	local object=$1 file
	((LINE_ROUTE)) || return 0
	if [[ -s $LINE_SKIPS ]]; then
		while IFS= read -r file; do
			if [[ $file == "${object%.o}.c" ]] ||
				[[ $file != *.c || ! -e $TREE/${file%.c}.o ]]; then
				return 0
			fi
		done < <(cut -d: -f1 "$LINE_SKIPS" | sort -u)
	fi
	echo --no-line-heuristic
}
