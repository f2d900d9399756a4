# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153 # globals shared with kpatch-build
# lib-handoff.sh: what kpatch-batch's --batch-originals run found, handed
# to each fix's run (--batch-checked) so that it does not find it again.
#
# The originals run checks the tree and every fix's original objects just
# before the fixes run. A fix's run is given the same options, and trusts
# that nothing changed in between, as it already trusts the originals
# run's scan of the tree for edited sources (kpatch-batch runs the fixes
# right after; each holds the tree's lock or its readers lock). What is
# handed over, in $STATE_DIR/batch-originals:
#   facts        the prepared tree's key and the replay decisions (whether
#                kbuild's rule for C objects can be replayed, its genksyms
#                form, the replay fingerprint), as bash assignments: about
#                25 processes a fix (greps and awks over kbuild's
#                makefiles, hashes of the configuration and Module.symvers)
#   OBJECT.sh    an original object's recorded command, for each object
#   OBJECT.ready the run confirmed up to date; .ready: its patched build can
#                be replayed. About ten processes and an nm a fix. Taken
#                only while neither the object nor its .cmd file is newer.
# A run that is not a kpatch-batch fix, or finds no record, checks itself.

BATCH_CHECKS_DIR=""
BATCH_FACTS_LOADED=0
BATCH_REPLAY_FINGERPRINT=""

# batch_checks_reset: the originals run starts a new record.
batch_checks_reset() {
	BATCH_CHECKS_DIR=$STATE_DIR/batch-originals
	rm -rf -- "$BATCH_CHECKS_DIR"
	mkdir -p -- "$BATCH_CHECKS_DIR"
}

# batch_facts_keep: the originals run, once the tree is prepared and the
# replay decided: the facts for the fixes' runs.
batch_facts_keep() {
	((BATCH_ORIGINALS)) && [[ -n $BATCH_CHECKS_DIR ]] || return 0
	local fingerprint
	fingerprint=$(replay_fingerprint)
	{
		declare -p PREPARE_KEY REPLAY_ENABLED REPLAY_WHY_NOT GENKSYMS_RULE GENKSYMS_WHY_NOT \
			GENKSYMS_EXPORT_PATTERN
		printf 'BATCH_REPLAY_FINGERPRINT=%q\n' "$fingerprint"
	} >"$BATCH_CHECKS_DIR/facts.tmp" && mv -f -- "$BATCH_CHECKS_DIR/facts.tmp" "$BATCH_CHECKS_DIR/facts"
}

# batch_facts_load: a fix's run: take the originals run's facts, if any
# (true once they are loaded).
batch_facts_load() {
	local facts=$STATE_DIR/batch-originals/facts
	((BATCH_CHECKED)) && [[ -f $facts ]] || return 1
	# (declare -p inside a function makes locals: -g keeps them global)
	# shellcheck source=/dev/null
	source <(sed 's/^declare -/declare -g -/' "$facts") || return 1
	[[ -n $PREPARE_KEY && -n $BATCH_REPLAY_FINGERPRINT ]] || return 1
	BATCH_FACTS_LOADED=1
	log "prepared-tree key and replay rules: as kpatch-batch's originals run found them"
}

# batch_facts_loaded: true once batch_facts_load took the facts.
batch_facts_loaded() {
	((BATCH_FACTS_LOADED))
}

# batch_check_keep OBJECT: the originals run confirmed it.
batch_check_keep() {
	((BATCH_ORIGINALS)) && [[ -n $BATCH_CHECKS_DIR ]] || return 0
	local dir
	dirname_to dir "$1"
	mkdir -p -- "$BATCH_CHECKS_DIR/$dir" && cp -- "$RUN_DIR/replay/$1.sh" "$BATCH_CHECKS_DIR/$1.sh" || return 0
	[[ -z ${REPLAY_READY[$1]:-} ]] || : >"$BATCH_CHECKS_DIR/$1.ready"
}

# batch_check_take OBJECT: a fix's run: the originals run's record of
# OBJECT, if it still holds.
batch_check_take() {
	local record=$STATE_DIR/batch-originals/$1 dir base
	dirname_to dir "$1"
	basename_to base "$1"
	[[ -f $record.sh && -f $TREE/$1 && ! $TREE/$1 -nt $record.sh && ! $TREE/$dir/.$base.cmd -nt $record.sh ]] ||
		return 1
	mkdir -p -- "$RUN_DIR/replay/$dir" && cp -- "$record.sh" "$RUN_DIR/replay/$1.sh" || return 1
	[[ ! -e $record.ready ]] || REPLAY_READY[$1]=1
	log "replay: $1: up to date, as kpatch-batch's originals run found it just before; make skipped"
}

