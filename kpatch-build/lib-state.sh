# shellcheck shell=bash
# lib-state.sh: per-tree state for kpatch-build: the lock against
# concurrent runs, the scratch directory, and the journal of every change
# made to the kernel tree so it can be undone, even by a later run after a
# crash.
#
# Layout ($STATE_DIR = $CACHE_DIR/trees/<name>-<hash of the tree path>):
#   lock      flock(1) target, held for the whole run
#   owner     pid and start time of the run holding the lock
#   readers   flock(1) target: shared by batch fixes that handed the tree on
#   journal   present while the tree differs from its original state
#   run/      scratch directory of the current (or last kept) run
#
# Journal lines (appended before the tree is changed):
#   source REL       REL was saved to run/backup/REL (cp -p)
#   new-source REL   REL did not exist; delete it
#   new-dir REL      directory REL did not exist; remove it if empty
#   config           .config was saved to run/config.orig
#   new-config       .config did not exist; delete it
# Files gcc writes during the patched build (objects, and host programs if
# kbuild rebuilds any) are journaled by kpatch-cc in run/changed_outputs,
# their originals kept under run/orig/.

TREE=""
STATE_DIR=""
RUN_DIR=""
JOURNAL=""
LOCK_FD=""

# One state directory per tree, named so a human can tell which is which.
setup_state_dir() {
	local hash
	hash=$(printf '%s' "$TREE" | sha256sum | cut -c1-12)
	STATE_DIR=$CACHE_DIR/trees/$(basename "$TREE")-$hash
	RUN_DIR=$STATE_DIR/run
	JOURNAL=$STATE_DIR/journal
	mkdir -p "$STATE_DIR" ||
		die "cannot create the cache directory $STATE_DIR; set KPATCH_BUILD_CACHE to a writable directory"
	# The differ and the verifier each read struct sizes from vmlinux's
	# DWARF; kept per vmlinux file there (lookup/structsize.c). Set empty
	# to turn off.
	export KPATCH_STRUCT_SIZES_CACHE=${KPATCH_STRUCT_SIZES_CACHE-$CACHE_DIR/struct-sizes}
	[[ -z $KPATCH_STRUCT_SIZES_CACHE ]] || mkdir -p -- "$KPATCH_STRUCT_SIZES_CACHE" 2>/dev/null ||
		KPATCH_STRUCT_SIZES_CACHE=""
}

# The lock lives in the cache, never in the tree. Children inherit the
# descriptor, so a make orphaned by a killed run still holds it.
acquire_tree_lock() {
	exec {LOCK_FD}>>"$STATE_DIR/lock"
	if ! flock -n "$LOCK_FD"; then
		local pid="" started="" hint="Wait for it to finish, or use a separate copy of the tree."
		read -r pid started <"$STATE_DIR/owner" 2>/dev/null || true
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			hint="Its process $pid is gone, but a build it started still holds the lock
(see 'fuser -v $STATE_DIR/lock'); wait for it or stop it, then run again."
		fi
		die "another kpatch-build is working on $TREE${pid:+ (pid $pid, started $started)}.
Two runs on one tree would overwrite each other's objects. $hint"
	fi
	printf '%s %s\n' "$$" "$(date '+%F %T')" >"$STATE_DIR/owner"
	wait_for_tree_readers
}

# A kpatch-batch fix that handed the tree on (--batch-release-tree) still
# compiles its module against the tree's headers, holding a shared lock on
# "readers" until it ends. kpatch-batch only overlaps fixes that leave the
# headers alone (--batch-checked); any other run waits for those readers
# before its patch can change a header under them.
wait_for_tree_readers() {
	local fd
	((BATCH_CHECKED == 0)) || return 0
	exec {fd}>>"$STATE_DIR/readers"
	if ! flock -n -x "$fd"; then
		info "waiting for a kpatch-batch fix that still builds its module against $TREE ..."
		flock -w "${KPATCH_READERS_WAIT:-900}" -x "$fd" ||
			die "a kpatch-batch fix has been building its module against $TREE for too long (lock $STATE_DIR/readers, see 'fuser -v $STATE_DIR/readers'); run again when it is done"
	fi
	exec {fd}>&-
}

# hold_tree_for_reading: before the tree's lock is handed on, take a shared
# lock on "readers" for the rest of the run (children inherit it).
hold_tree_for_reading() {
	exec {READERS_FD}>>"$STATE_DIR/readers"
	flock -s "$READERS_FD"
}

journal_add() {
	printf '%s %s\n' "$1" "${2:-}" >>"$JOURNAL"
}

# Backups and journal entries must reach the disk before the tree changes,
# or a crash could leave changes nobody knows how to undo.
journal_sync() {
	sync -- "$JOURNAL" 2>/dev/null || sync
}

# A journal at start-up means an earlier run died before restoring.
recover_stale_state() {
	remove_kbuild_temps
	[[ -e $JOURNAL ]] || return 0
	warn "an earlier kpatch-build run on $TREE did not finish (crash or kill -9?);
restoring the files it changed from its backups in $RUN_DIR"
	if [[ ! -d $RUN_DIR ]]; then
		die "the journal $JOURNAL refers to backups in $RUN_DIR, which no longer exist.
Check the tree by hand (e.g. 'git status' in $TREE), then delete the journal."
	fi
	restore_tree || die "could not restore every file listed in $JOURNAL (see above).
Fix them by hand, then delete the journal."
	info "Tree restored from the interrupted run's backups."
}

# new_run_dir: fresh scratch space; the previous (kept) run is discarded.
new_run_dir() {
	rm -rf "$RUN_DIR"
	mkdir -p "$RUN_DIR"/{orig,patched,output,reports,backup,module,shim}
	: >"$RUN_DIR/changed_objs"
	: >"$RUN_DIR/changed_outputs"
	LOG_FILE=$RUN_DIR/build.log
	: >"$LOG_FILE"
}

# backup_source REL: journal REL (and any directories the patch would have
# to create for it) before the patches touch it.
backup_source() {
	local rel=$1 dir missing=()
	if [[ -e $TREE/$rel || -L $TREE/$rel ]]; then
		dirname_to dir "$rel"
		mkdir -p "$RUN_DIR/backup/$dir"
		cp -p -- "$TREE/$rel" "$RUN_DIR/backup/$rel"
		journal_add source "$rel"
		return
	fi
	dirname_to dir "$rel"
	while [[ $dir != . && ! -e $TREE/$dir ]]; do
		missing+=("$dir")
		dirname_to dir "$dir"
	done
	# Outermost first, so a restore (which walks backwards) empties
	# the deepest directory first.
	local i
	for ((i = ${#missing[@]} - 1; i >= 0; i--)); do
		journal_add new-dir "${missing[i]}"
	done
	journal_add new-source "$rel"
}

# install_config FILE: put the user's -c config in place, journaled.
install_config() {
	local config=$1
	if [[ -e $TREE/.config ]]; then
		cp -p -- "$TREE/.config" "$RUN_DIR/config.orig"
		journal_add config
	else
		journal_add new-config
	fi
	journal_sync
	# A new mtime is what makes kbuild notice the new configuration.
	cp -- "$config" "$TREE/.config"
}

# restore_file SAVED DEST: DEST becomes a whole copy of SAVED (content,
# mode, times). Written beside DEST and renamed over it, so DEST is never
# a mix of two versions, even if something else wrote it at the same time.
# A symlink is written through, like the patch wrote through it.
restore_file() {
	local saved=$1 dest=$2 tmp
	if [[ -L $dest ]]; then
		cp -p -- "$saved" "$dest"
		return
	fi
	tmp=${dest%/*}/.kpatch-restore.${dest##*/}
	if cp -p -- "$saved" "$tmp" && mv -f -- "$tmp" "$dest"; then
		return 0
	fi
	rm -f -- "$tmp"
	return 1
}

# restore_one_output REL: the file and its kbuild .cmd file as they were.
restore_one_output() {
	local rel=$1 dir base status=0
	dirname_to dir "$rel"
	basename_to base "$rel"
	if [[ -e $RUN_DIR/orig/$rel ]]; then
		restore_file "$RUN_DIR/orig/$rel" "$TREE/$rel" || status=1
	elif [[ -e $RUN_DIR/orig/$rel.absent ]]; then
		rm -f -- "$TREE/$rel" || status=1
	else
		warn "no saved original for $rel; left as the patched build wrote it"
		return 1
	fi
	if [[ -e $RUN_DIR/orig/$dir/.$base.cmd ]]; then
		restore_file "$RUN_DIR/orig/$dir/.$base.cmd" "$TREE/$dir/.$base.cmd" || status=1
	else
		rm -f -- "$TREE/$dir/.$base.cmd" || status=1
	fi
	# gcc's temporary dependency file, left behind by an interrupted compile
	rm -f -- "$TREE/$dir/.$base.d"
	return "$status"
}

# restored_paths: every tree file restore_tree writes back, one per line.
restored_paths() {
	local kind rel
	if [[ -s $RUN_DIR/changed_outputs ]]; then
		sort -u "$RUN_DIR/changed_outputs" | while IFS= read -r rel; do
			[[ -e $TREE/$rel ]] && printf '%s\n' "$TREE/$rel"
		done
	fi
	while IFS=' ' read -r kind rel; do
		case $kind in
		source) printf '%s\n' "$TREE/$rel" ;;
		config) printf '%s\n' "$TREE/.config" ;;
		esac
	done <"$JOURNAL"
}

# restore_tree: undo everything the journal and changed_outputs list.
# Returns non-zero if some file could not be restored. The work is done by
# a child that ignores INT, TERM and HUP, as do the commands it runs, so a
# Ctrl-C (which the terminal sends to the whole process group) cannot cut
# it short; the caller's trap runs once it is done. A child killed before
# it could ignore them is simply run again: restoring is idempotent, and
# so is resuming one that a crash interrupted.
restore_tree() {
	local rc
	while [[ -e $JOURNAL ]]; do
		rc=0
		(
			trap '' INT TERM HUP
			restore_tree_now
		) || rc=$?
		((rc > 128)) || return "$rc"
	done
}

restore_tree_now() {
	local kind rel status=0 dirs=() restored=0
	IFS=$' \t\n'
	set +e
	test_point restore-begin
	if [[ -s $RUN_DIR/changed_outputs ]]; then
		while IFS= read -r rel; do
			[[ -n $rel ]] || continue
			restore_one_output "$rel" || status=1
			((restored++)) || test_point restore-middle
		done < <(sort -u "$RUN_DIR/changed_outputs")
	fi
	while IFS=' ' read -r kind rel; do
		case $kind in
		source)
			restore_file "$RUN_DIR/backup/$rel" "$TREE/$rel" || status=1 ;;
		new-source)
			rm -f -- "$TREE/$rel" || status=1 ;;
		new-dir)
			dirs=("$rel" "${dirs[@]}") ;;
		config)
			restore_file "$RUN_DIR/config.orig" "$TREE/.config" || status=1 ;;
		new-config)
			rm -f -- "$TREE/.config" || status=1 ;;
		*)
			printf 'kpatch-build: unknown journal entry "%s %s" in %s\n' "$kind" "$rel" "$JOURNAL" >&2
			status=1 ;;
		esac
		((restored++)) || test_point restore-middle
	done <"$JOURNAL"
	for rel in "${dirs[@]}"; do
		rmdir -- "$TREE/$rel" 2>/dev/null
	done
	((status == 0)) || return "$status"
	test_point restore-end
	# the restored files reach the disk before the journal goes;
	# syncing just them is much cheaper than the whole file system
	restored_paths | xargs -r -d '\n' sync -- 2>/dev/null
	rm -f -- "$JOURNAL"
	sync -- "$STATE_DIR" 2>/dev/null
	return 0
}

# kbuild's try-run helper works in a directory .tmp_<pid> at the top of the
# tree and removes it on exit, but not when it is killed. note_kbuild_temps
# records those present before a make; remove_kbuild_temps removes the ones
# a stopped make left (also those of a run killed with -9, at the next run).
note_kbuild_temps() {
	local entry
	for entry in "$TREE"/.tmp_[0-9]*; do
		[[ ! -e $entry ]] || printf '%s\n' "$entry"
	done >"$RUN_DIR/kbuild-temps.before"
}

remove_kbuild_temps() {
	local before=$RUN_DIR/kbuild-temps.before entry
	[[ -f $before ]] || return 0
	for entry in "$TREE"/.tmp_[0-9]*; do
		[[ -e $entry ]] || continue
		grep -qxF -- "$entry" "$before" || rm -rf -- "$entry"
	done
	rm -f -- "$before"
}
