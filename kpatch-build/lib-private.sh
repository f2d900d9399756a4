# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153 # globals shared with kpatch-build
# lib-private.sh: a kpatch-batch fix built in a private view of the tree
# (--batch-private-tree), so that several fixes of a batch compile at once.
#
# The run enters a mount namespace of its own and mounts an overlay over the
# tree at the tree's own path: the tree as lower layer, a tmpfs as upper
# layer. The patch is applied and the objects compiled there, by the same
# commands in the same directories, so the objects are byte-identical to a
# build in the tree itself; nobody else sees any of it, and the real tree
# is never written. Once the patched objects are copied out, the overlay is
# unmounted and the rest of the run (diff, module, verify) reads the real
# tree. An interrupted or killed run leaves nothing to restore: the overlay
# and its tmpfs go with the namespace.
#
# The real tree must not change meanwhile: a private run holds the shared
# "readers" lock for its whole life, which every run that writes the tree
# waits for (lib-state.sh). State shared between runs that describes the
# tree (the prepared-tree key, the list of objects confirmed for replay)
# is only read: a private run works on a copy of the replay list, and a tree
# that is not prepared is an error, not something to prepare in private.
#
# Only partial builds without --sign or out-of-tree modules (whose later
# steps could run make in the tree) use it; kpatch-batch asks for it when
# its --batch-originals run found that this machine can mount the overlay
# (private_tree_probe).

PRIVATE_TREE=0		# --batch-private-tree
PRIVATE_MOUNTED=0	# the overlay is mounted over $TREE in this namespace
PRIVATE_FD=""		# lock on the private scratch directory, held for the run

# private_tree_wanted ARG...: --batch-private-tree among the arguments.
private_tree_wanted() {
	local arg
	for arg; do
		[[ $arg != --batch-private-tree ]] || return 0
		[[ $arg != -- ]] || return 1
	done
	return 1
}

# enter_private_namespace ARG...: run this script again, same process, in a
# mount namespace of its own (mounts made there are seen by no one else).
enter_private_namespace() {
	[[ ${KPATCH_PRIVATE_NS:-} != "$$" ]] || return 0
	private_tree_wanted "$@" || return 0
	export KPATCH_PRIVATE_NS=$$
	exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
}

# private_tree_usable: why not, on stdout, or nothing.
private_tree_usable() {
	if ((PARTIAL == 0)); then
		echo "a full build"
	elif [[ -n $SIGN_KEY || -n $OOT_MODULE || -n $OOT_SRC ]]; then
		echo "--sign or an out-of-tree module"
	elif [[ $TREE == *[,:\\]* ]]; then
		echo "the tree's path has a comma, colon or backslash, which overlay options cannot carry"
	fi
}

# mount_private_overlay DIR TREE: a tmpfs at DIR and an overlay of TREE
# (its upper layer in DIR) over TREE itself, in the current mount
# namespace. Also run by the probe, in a throwaway namespace.
mount_private_overlay() {
	local dir=$1 tree=$2
	mount -t tmpfs -o mode=0700 kpatch-private "$dir" &&
		mkdir -- "$dir/upper" "$dir/work" &&
		mount -t overlay -o "lowerdir=$tree,upperdir=$dir/upper,workdir=$dir/work" kpatch-private "$tree"
}

# private_tree_probe FILE: --batch-originals: create FILE if a fix's run can
# build in a private view of the tree here (permissions, kernel, file
# system), so that kpatch-batch passes --batch-private-tree.
private_tree_probe() {
	local file=$1 why dir rc=0
	why=$(private_tree_usable)
	if [[ -z $why ]] && ! command -v unshare >/dev/null; then
		why="unshare(1) is not installed"
	fi
	if [[ -z $why ]]; then
		dir=$(mktemp -d -- "$STATE_DIR/private-probe.XXXXXX") || die "cannot create a directory under $STATE_DIR"
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare --mount --propagation private -- "$BASH" -c "$(declare -f mount_private_overlay)"'
			mount_private_overlay "$1" "$2" && [[ -f $2/Makefile ]]' probe "$dir" "$TREE" >>"$LOG_FILE" 2>&1 || rc=$?
		rmdir -- "$dir" 2>/dev/null || true
		((rc == 0)) || why="a private overlay of the tree cannot be mounted here (exit $rc, see the log)"
	fi
	if [[ -n $why ]]; then
		info "Private trees for the fixes: no, $why; they take turns in the tree"
		return 0
	fi
	info "Private trees for the fixes: yes (a mount namespace and an overlay of the tree work here)"
	: >"$file"
}

# acquire_private_tree: instead of the tree's lock for the whole run: the
# lock only long enough to recover what a crashed run left and to take
# the shared "readers" lock, then a scratch directory of this run's own.
acquire_private_tree() {
	local why
	why=$(private_tree_usable)
	[[ -z $why ]] || die "--batch-private-tree cannot be used with $why"
	exec {LOCK_FD}>>"$STATE_DIR/lock"
	if ! flock -n "$LOCK_FD"; then
		info "waiting for another kpatch-build working on $TREE ..."
		flock -w "${KPATCH_READERS_WAIT:-900}" "$LOCK_FD" ||
			die "another kpatch-build has been working on $TREE for too long (lock $STATE_DIR/lock, see 'fuser -v $STATE_DIR/lock'); run again when it is done"
	fi
	recover_stale_state
	remove_stale_private_dirs
	hold_tree_for_reading
	mkdir -p -- "$STATE_DIR/private"
	RUN_DIR=$(mktemp -d -- "$STATE_DIR/private/$NAME.XXXXXX") ||
		die "cannot create a scratch directory under $STATE_DIR/private"
	JOURNAL=$RUN_DIR/journal
	exec {PRIVATE_FD}>>"$RUN_DIR.lock"
	flock -n "$PRIVATE_FD" || die "internal error: cannot lock $RUN_DIR.lock"
	flock -u "$LOCK_FD"
}

# remove_stale_private_dirs: scratch directories of private runs that were
# killed (kill -9): no run holds their lock. With the tree's lock held, so
# no run is between creating its directory and locking it.
remove_stale_private_dirs() {
	local lock fd
	for lock in "$STATE_DIR"/private/*.lock; do
		[[ -e $lock ]] || continue
		exec {fd}>>"$lock"
		if flock -n "$fd"; then
			rm -rf -- "${lock%.lock}" "$lock"
		fi
		exec {fd}>&-
	done
}

# mount_private_tree: the overlay over $TREE, and a private copy of the
# replay list (lib-replay.sh) for what this run's makes confirm.
mount_private_tree() {
	mkdir -p -- "$RUN_DIR/overlay"
	mount_private_overlay "$RUN_DIR/overlay" "$TREE" >>"$LOG_FILE" 2>&1 ||
		die "cannot mount a private overlay of $TREE (see the log); run without kpatch-batch's private trees (KPATCH_BATCH_PRIVATE=0)"
	PRIVATE_MOUNTED=1
	if [[ -d $STATE_DIR/replay ]]; then
		cp -a -- "$STATE_DIR/replay" "$RUN_DIR/replay-state" ||
			die "cannot copy $STATE_DIR/replay to $RUN_DIR"
	fi
	log "private tree: overlay over $TREE (upper layer in $RUN_DIR/overlay), scratch directory $RUN_DIR"
}

# leave_private_tree: after the patched build, back to the real tree
# (lazily: a process may still have its working directory in the overlay).
# Nothing to restore: the overlay took every write.
leave_private_tree() {
	((PRIVATE_MOUNTED)) || return 0
	umount -l -- "$TREE" >>"$LOG_FILE" 2>&1 || die "cannot unmount the private overlay of $TREE"
	umount -l -- "$RUN_DIR/overlay" >>"$LOG_FILE" 2>&1 || true
	PRIVATE_MOUNTED=0
}

# private_exit_cleanup: on exit, out of the overlay (if a failure left it
# mounted) before the scratch directory and its lock go.
private_exit_cleanup() {
	((PRIVATE_TREE)) || return 0
	if ((PRIVATE_MOUNTED)); then
		umount -l -- "$TREE" 2>/dev/null
		umount -l -- "$RUN_DIR/overlay" 2>/dev/null
		PRIVATE_MOUNTED=0
	fi
	rm -f -- "$RUN_DIR.lock"
}
