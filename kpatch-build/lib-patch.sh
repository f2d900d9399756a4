# shellcheck shell=bash
# lib-patch.sh: reading, vetting, test-applying and applying the user's
# patch files for kpatch-build.

PATCHES=()		# absolute paths, in the order given
APPLY_PATCHES=()	# what gets applied, if not PATCHES (see lib-lines.sh)
PATCHED_FILES=()	# tree-relative paths touched by any patch, sorted

# Fallback for systems without patchutils: file names from a unified diff.
# Hunk lines are counted so that a removed "-- x" or added "++ y" line is
# never mistaken for a file header.
list_patch_files_builtin() {
	awk '
	function name_of(field) {
		sub(/\t.*/, "", field)
		if (field == "/dev/null") return ""
		sub(/^[^\/]*\//, "", field)	# -p1
		return field
	}
	function emit(name) { if (name != "") print name }
	old_left > 0 || new_left > 0 {
		c = substr($0, 1, 1)
		if (c == " " || $0 == "") { old_left--; new_left-- }
		else if (c == "-") old_left--
		else if (c == "+") new_left--
		next
	}
	/^@@ / {
		old_left = 1; new_left = 1
		if (match($0, /-[0-9]+(,[0-9]+)?/)) {
			r = substr($0, RSTART, RLENGTH)
			old_left = (r ~ /,/) ? substr(r, index(r, ",") + 1) + 0 : 1
		}
		if (match($0, /\+[0-9]+(,[0-9]+)?/)) {
			r = substr($0, RSTART, RLENGTH)
			new_left = (r ~ /,/) ? substr(r, index(r, ",") + 1) + 0 : 1
		}
		next
	}
	pending != "" && /^\+\+\+ / {
		emit(name_of(substr(pending, 5)))
		emit(name_of(substr($0, 5)))
		pending = ""
		next
	}
	/^--- / { pending = $0; next }
	{ pending = "" }
	' "$1" | sort -u
}

list_patch_files() {
	local patch=$1
	if [[ ${KPATCH_BUILD_PATCH_PARSER:-} != builtin ]] && command -v lsdiff >/dev/null; then
		lsdiff --strip=1 -- "$patch" | sort -u
	else
		list_patch_files_builtin "$patch"
	fi
}

# Why a change to this file cannot become a livepatch; empty if it can.
refusal_reason() {
	case $1 in
	*.S)
		echo "assembly source: the differ works on compiled C functions, and hand-written assembly has no ftrace entry for livepatch to redirect" ;;
	lib/*)
		echo "lib/: these objects can be built without ftrace entries (-pg is off for some of them) or pulled from lib.a only on demand, so livepatch cannot redirect them reliably" ;;
	arch/x86/entry/vdso/* | */vdso/* | vdso/*)
		echo "vDSO: this code is mapped into user processes, which livepatch cannot reach" ;;
	scripts/* | tools/* | usr/*)
		echo "host programs and build tools, not code of the running kernel" ;;
	*.c | *.h | Documentation/* | *.rst | *.txt | *.md) ;;
	*)
		echo "not C source or a header: a livepatch can only carry changed C functions, and changed build files (Makefile, Kconfig, ...) would make kbuild regenerate files that kpatch-build could not restore" ;;
	esac
}

# collect_patch_files: fill PATCHED_FILES and refuse unsupported files.
# Every refusal is reported before failing, so one run shows them all.
collect_patch_files() {
	local patch files file reason refused=""
	local -A seen=()
	for patch in "${PATCHES[@]}"; do
		files=$(list_patch_files "$patch") ||
			die "cannot list the files changed by $patch (lsdiff failed); is it a unified diff?"
		[[ -n $files ]] ||
			die "$patch changes no files: it is not a unified diff (or it is empty)"
		while IFS= read -r file; do
			case $file in
			/* | ../* | */../*)
				die "$patch: file name '$file' points outside the tree; patches must be -p1 relative to the kernel tree" ;;
			esac
			reason=$(refusal_reason "$file")
			if [[ -n $reason ]]; then
				refused+="- $file ($(basename "$patch")): $reason"$'\n'
				result_refusal unsupported-file "" "$file" "$reason"
			fi
			seen[$file]=1
		done <<<"$files"
	done
	if [[ -n $refused ]]; then
		fail "$EXIT_UNSUPPORTED" "unsupported changes, refused before building:
${refused%$'\n'}"
	fi
	mapfile -t PATCHED_FILES < <(printf '%s\n' "${!seen[@]}" | LC_ALL=C sort)
}

patch_cmd() {
	# -N: never reverse-apply; no .orig or .rej files in the tree.
	patch -p1 -N -s --no-backup-if-mismatch -r - "$@"
}

# test_apply_patches: apply all patches in order to a throwaway copy of the
# files they touch, so the tree is not touched before the original build.
test_apply_patches() {
	local copy=$RUN_DIR/dryrun file patch output dir
	rm -rf "$copy"
	mkdir -p "$copy"
	for file in "${PATCHED_FILES[@]}"; do
		if [[ -e $TREE/$file ]]; then
			dirname_to dir "$file"
			mkdir -p "$copy/$dir"
			cp -p -- "$TREE/$file" "$copy/$file"
		fi
	done
	local earlier=""
	for patch in "${PATCHES[@]}"; do
		if ! output=$(patch_cmd -d "$copy" -i "$patch" </dev/null 2>&1); then
			log "$output"
			result_failure does-not-apply
			die "$patch does not apply to $TREE${earlier:+ (on top of the patches before it)}:
$(printf '%s\n' "$output" | head -n 15)
Make sure the patch is against this exact kernel version, -p1 style."
		fi
		log "$(basename "$patch") applies cleanly"
		earlier=1
	done
	rm -rf "$copy"
}

# apply_patches: back up everything the patches touch, then apply them.
apply_patches() {
	local file patch output
	# (a private view of the tree is dropped, not restored)
	if ((PRIVATE_TREE == 0)); then
		for file in "${PATCHED_FILES[@]}"; do
			backup_source "$file"
		done
		journal_sync
	fi
	test_point after-backup
	((${#APPLY_PATCHES[@]})) || APPLY_PATCHES=("${PATCHES[@]}")
	for patch in "${APPLY_PATCHES[@]}"; do
		if ! output=$(patch_cmd -d "$TREE" -i "$patch" </dev/null 2>&1); then
			log "$output"
			die "$patch failed to apply to $TREE although its test run succeeded:
$output"
		fi
		test_point patch-applied
	done
}
