# shellcheck shell=bash
# lib-batch-split.sh: kpatch-batch's input, checked and split into one
# -p1 patch per fix, named NNNN-<name>.patch. The same input always gives
# the same files, so a resumed batch can tell whether its input changed.

# fix_name N NAME: NNNN-NAME, in characters safe for files and reports.
fix_name() {
	local name=${2//[^A-Za-z0-9._-]/-}
	printf '%04d-%s\n' "$1" "${name:0:40}"
}

# check_input: bad input is a usage error, found before anything is written.
check_input() {
	case $INPUT_KIND in
	patches)
		[[ -d ${INPUT_ARGS[0]} ]] || batch_usage_error "--patches: '${INPUT_ARGS[0]}' is not a directory"
		[[ -n $(patch_files "${INPUT_ARGS[0]}") ]] ||
			batch_usage_error "--patches: no *.patch or *.diff files in '${INPUT_ARGS[0]}'" ;;
	trees)
		local tree
		for tree in "${INPUT_ARGS[@]}"; do
			[[ -d $tree ]] || batch_usage_error "--trees: '$tree' is not a directory"
		done
		[[ -n $(changed_tree_files) ]] ||
			batch_usage_error "--trees: '${INPUT_ARGS[0]}' and '${INPUT_ARGS[1]}' have no differing files" ;;
	git)
		local repo=${INPUT_ARGS[0]} range=${INPUT_ARGS[1]} rev
		git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 ||
			batch_usage_error "--git: '$repo' is not a git repository"
		[[ $range == ?*..?* && $range != *...* ]] ||
			batch_usage_error "--git: '$range' is not a range REV1..REV2"
		for rev in "${range%%..*}" "${range#*..}"; do
			git -C "$repo" rev-parse -q --verify "$rev^{commit}" >/dev/null ||
				batch_usage_error "--git: '$rev' is not a commit of $repo"
		done
		[[ -n $(git -C "$repo" rev-list --no-merges "$range") ]] ||
			batch_usage_error "--git: the range $range has no commits (merges are left out)" ;;
	esac
	# Absolute, for the report and the comparison on resume.
	local i
	for i in "${!INPUT_ARGS[@]}"; do
		[[ $INPUT_KIND == git && $i == 1 ]] || INPUT_ARGS[i]=$(readlink -f -- "${INPUT_ARGS[i]}")
	done
}

# patch_files DIR: *.patch and *.diff, in C collation order.
patch_files() {
	find "$1" -maxdepth 1 -type f \( -name '*.patch' -o -name '*.diff' \) -printf '%f\n' | LC_ALL=C sort
}

# changed_tree_files: relative paths that differ between OLD and NEW
# (added and removed files too), sorted. diff names them "Files OLD/P and
# NEW/P differ"; with the two prefixes known, P is taken exactly.
changed_tree_files() {
	local old=${INPUT_ARGS[0]%/} new=${INPUT_ARGS[1]%/} line rest
	{ LC_ALL=C diff -r -q -N --no-dereference --exclude=.git -- "$old" "$new" || true; } |
		while IFS= read -r line; do
			rest=${line#"Files $old/"}
			[[ $rest != "$line" && $rest == *" differ" ]] || continue
			rest=${rest%" differ"}
			printf '%s\n' "${rest%%" and $new/"*}"
		done | LC_ALL=C sort
}

# split_input DEST: write the fixes into DEST.
split_input() {
	local dest=$1 n=0 file name
	case $INPUT_KIND in
	patches)
		while IFS= read -r file; do
			name=${file%.patch}
			name=${name%.diff}
			n=$((n + 1))
			cp -- "${INPUT_ARGS[0]}/$file" "$dest/$(fix_name "$n" "$name").patch"
		done < <(patch_files "${INPUT_ARGS[0]}") ;;
	trees)
		while IFS= read -r file; do
			n=$((n + 1))
			tree_file_patch "$file" >"$dest/$(fix_name "$n" "${file//\//_}").patch"
		done < <(changed_tree_files) ;;
	git)
		git_split "$dest" ;;
	esac
}

# tree_file_patch REL: diff -u of one file, -p1 (a/REL, b/REL).
tree_file_patch() {
	local rel=$1 old=${INPUT_ARGS[0]}/$1 new=${INPUT_ARGS[1]}/$1 status=0
	[[ -e $old ]] || old=/dev/null
	[[ -e $new ]] || new=/dev/null
	LC_ALL=C diff -u --label "a/$rel" --label "b/$rel" -- "$old" "$new" || status=$?
	((status == 1)) || batch_die "diff of $rel between the two trees failed (exit $status)"
}

# git_split DEST: one patch per commit, oldest first; git's own file
# names (NNNN-subject.patch, subject in [A-Za-z0-9._-]) are fix names.
git_split() {
	git -C "${INPUT_ARGS[0]}" -c core.quotepath=off format-patch --quiet --no-signature \
		--no-merges --filename-max-length=45 -o "$1" "${INPUT_ARGS[1]}" >/dev/null ||
		batch_die "git format-patch ${INPUT_ARGS[1]} in ${INPUT_ARGS[0]} failed"
}
