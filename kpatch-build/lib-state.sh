# shellcheck shell=bash
# lib-state.sh: per-tree state for kpatch-build: the lock against
# concurrent runs, the scratch directory, and the journal of every change
# made to the kernel tree so it can be undone, even by a later run after a
# crash.
#
# Layout ($STATE_DIR = $CACHE_DIR/trees/<name>-<hash of the tree path>):
#   lock      flock(1) target, held for the whole run
#   owner     pid and start time of the run holding the lock
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
		mkdir -p "$RUN_DIR/backup/$(dirname "$rel")"
		cp -p -- "$TREE/$rel" "$RUN_DIR/backup/$rel"
		journal_add source "$rel"
		return
	fi
	dir=$(dirname "$rel")
	while [[ $dir != . && ! -e $TREE/$dir ]]; do
		missing+=("$dir")
		dir=$(dirname "$dir")
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

# restore_one_output REL: the file and its kbuild .cmd file as they were.
restore_one_output() {
	local rel=$1 dir base status=0
	dir=$(dirname "$rel")
	base=$(basename "$rel")
	if [[ -e $RUN_DIR/orig/$rel ]]; then
		cp -p -- "$RUN_DIR/orig/$rel" "$TREE/$rel" || status=1
	elif [[ -e $RUN_DIR/orig/$rel.absent ]]; then
		rm -f -- "$TREE/$rel" || status=1
	else
		warn "no saved original for $rel; left as the patched build wrote it"
		return 1
	fi
	if [[ -e $RUN_DIR/orig/$dir/.$base.cmd ]]; then
		cp -p -- "$RUN_DIR/orig/$dir/.$base.cmd" "$TREE/$dir/.$base.cmd" || status=1
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
	while read -r kind rel; do
		case $kind in
		source) printf '%s\n' "$TREE/$rel" ;;
		config) printf '%s\n' "$TREE/.config" ;;
		esac
	done <"$JOURNAL"
}

# restore_tree: undo everything the journal and changed_outputs list. Must
# finish even if the user keeps pressing Ctrl-C, so signals are ignored
# here; a crash midway is handled by running it again (it is idempotent).
# Returns non-zero if some file could not be restored.
restore_tree() {
	local kind rel status=0 dirs=() errexit=0
	[[ -e $JOURNAL ]] || return 0
	trap '' INT TERM HUP
	[[ $- != *e* ]] || errexit=1
	set +e
	if [[ -s $RUN_DIR/changed_outputs ]]; then
		while IFS= read -r rel; do
			[[ -n $rel ]] || continue
			restore_one_output "$rel" || status=1
		done < <(sort -u "$RUN_DIR/changed_outputs")
	fi
	while read -r kind rel; do
		case $kind in
		source)
			cp -p -- "$RUN_DIR/backup/$rel" "$TREE/$rel" || status=1 ;;
		new-source)
			rm -f -- "$TREE/$rel" || status=1 ;;
		new-dir)
			dirs=("$rel" "${dirs[@]}") ;;
		config)
			cp -p -- "$RUN_DIR/config.orig" "$TREE/.config" || status=1 ;;
		new-config)
			rm -f -- "$TREE/.config" || status=1 ;;
		esac
	done <"$JOURNAL"
	for rel in "${dirs[@]}"; do
		rmdir -- "$TREE/$rel" 2>/dev/null
	done
	if ((status == 0)); then
		# the restored files reach the disk before the journal goes;
		# syncing just them is much cheaper than the whole file system
		restored_paths | xargs -r -d '\n' sync -- 2>/dev/null
		rm -f -- "$JOURNAL"
		sync -- "$STATE_DIR" 2>/dev/null
	fi
	((errexit == 0)) || set -e
	return "$status"
}
