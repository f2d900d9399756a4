# shellcheck shell=bash
# lib-replay.sh: partial builds without most of kbuild's start-up cost.
#
# `make path/obj.o` on a distribution tree spends seconds reading the
# tree's makefiles before it decides anything; the compile itself is a
# fraction of that. kbuild's .<obj>.cmd file records both the command it
# ran (savedcmd_<obj>) and the files the object depends on (deps_<obj>),
# and kbuild runs exactly that command again, or nothing, when neither its
# makefiles nor its environment changed. So, for an object whose .cmd file
# our own make of the same prepared tree wrote or confirmed:
#   - original build: when every dependency is older than the object
#     (make -q over the .cmd file's own rules), kbuild would do nothing:
#     make is skipped;
#   - patched build: the recorded command is run directly, through the
#     same kpatch-cc shim, in the tree, as kbuild's recipe shell would.
# Anything in doubt falls back to make, and the log says which path each
# object took.
#
# What "confirmed" means ($STATE_DIR/replay):
#   verified  "OBJECT SHA256" of .cmd files that a successful make of ours
#             left (written or checked) under the current fingerprint
#   stamp     the fingerprint (prepared-tree key, make arguments, the
#             environment kbuild reads, the tools found in PATH); its mtime
#             is the start of the make that last added to the list
# The list is dropped when the fingerprint changes, when the tree is
# prepared again, or when any source or build-rule file is newer than the
# stamp (a changed Makefile can change a command line without touching
# any object's dependencies).
#
# Objects that export symbols: with CONFIG_MODVERSIONS kbuild runs
# genksyms after the compile and appends its "#SYMVER" lines to the .cmd
# file. That step is replayed too, when the tree defines it exactly as
# kbuild 6.1 or 6.12 does and a run on an unpatched object has proven that
# the command derived from the recorded compile prints what kbuild wrote
# (see "Objects that export symbols" below); otherwise make builds them.
#
# Not replayed: sources other than .c, patches that touch anything but
# .c/.h files or touch scripts/ or tools/ (host programs kbuild would
# rebuild first), objects that export symbols in trees whose genksyms step
# is not known or not proven (older kernels also relinked the object), and
# trees whose rule for C objects has a step that can change the object
# outside the recorded command. KPATCH_BUILD_REPLAY=0 turns it off.

REPLAY_ENABLED=0
REPLAY_WHY_NOT=""	# why replay is off, for the log
REPLAY_DIR=""
REPLAY_MADE_AT=""	# $EPOCHREALTIME before this run's original make
REPLAY_REPLAYED=0	# objects of the patched build compiled by replay
REPLAY_TO_MAKE=()	# objects of the patched build left to make
declare -A REPLAY_READY=()	# object -> 1: its command is in $RUN_DIR/replay
# What kbuild runs after compiling an object that exports symbols
# (genksyms_rule_known): "modversions" (genksyms, in a form we know),
# "none" (nothing: no CONFIG_MODVERSIONS), "" (unknown: make builds them).
GENKSYMS_RULE=""
GENKSYMS_WHY_NOT=""
GENKSYMS_EXPORT_PATTERN=""	# what gen_symversions looks for in nm's output
GENKSYMS_CMD=""	# genksyms_command's result, or empty and why in:
GENKSYMS_CMD_WHY_NOT=""

# Steps of kbuild's rule_cc_o_c that write nothing but the .cmd file, or
# only check (gen_symversions_c only runs for objects that export, which
# are replayed only with that step replayed too, see genksyms_rule_known;
# record_mcount is checked separately).
readonly REPLAY_HARMLESS_STEPS=" gen_ksymdeps check_local_export checksrc checkdoc gen_objtooldep gen_symversions_c warn_shared_object "

# kbuild_cmd_file OBJECT: the tree-relative path of its .cmd file.
kbuild_cmd_file() {
	# (no dirname/basename processes: called for every object, often)
	local dir=. base=$1
	if [[ $1 == */* ]]; then
		dir=${1%/*}
		base=${1##*/}
	fi
	printf '%s/.%s.cmd\n' "$dir" "$base"
}

# replay_fingerprint: everything outside the tree that shapes a command
# line kbuild computes.
replay_fingerprint() {
	{
		echo "prepared $PREPARE_KEY"
		# Before lib-descent.sh, an object reached by two descents
		# could keep the wrong directory's command in its .cmd file.
		echo "descents: owning directory last"
		echo "make ${KERNELRELEASE_ARG[*]} KCFLAGS=$CONTRACT_KCFLAGS"
		env | LC_ALL=C grep -E '^(ARCH|SUBARCH|SRCARCH|KCPPFLAGS|KAFLAGS|KCFLAGS|KRUSTFLAGS|[AC]FLAGS_(KERNEL|MODULE)|LDFLAGS_MODULE|KBUILD_[A-Z_]*|HOST[A-Z]*|C|W|O|M|CHECK|OBJTOOL_ARGS|SOURCE_DATE_EPOCH|LOCALVERSION|KERNELRELEASE|KERNELVERSION)=' | LC_ALL=C sort || true
		command -v gcc ld nm objcopy objdump ar || true
	} | sha256sum | cut -c1-32
}

# rule_steps_are_replayable: the tree's rule for C objects makes the
# object with the recorded command alone.
rule_steps_are_replayable() {
	local build=$TREE/scripts/Makefile.build line step
	# shellcheck disable=SC2016 # make syntax, not shell
	local compile='$(callcmd_and_fixdep,cc_o_c)' call='$(callcmd,'
	[[ -f $build ]] || { REPLAY_WHY_NOT="no scripts/Makefile.build"; return 1; }
	while IFS= read -r line; do
		line=${line//[[:space:]]/}
		[[ -n $line && $line != "$compile" ]] || continue
		if [[ $line != "$call"*")" ]]; then
			REPLAY_WHY_NOT="unknown step '$line' in rule_cc_o_c"
			return 1
		fi
		step=${line#"$call"}
		step=${step%)}
		if [[ $step == record_mcount ]]; then
			# Since 5.11 it only runs with this option.
			if ! grep -q 'ifdef CONFIG_FTRACE_MCOUNT_USE_RECORDMCOUNT' "$build" ||
				grep -q '^CONFIG_FTRACE_MCOUNT_USE_RECORDMCOUNT=y' "$TREE/include/config/auto.conf"; then
				REPLAY_WHY_NOT="objects get recordmcount after the compile"
				return 1
			fi
		elif [[ $REPLAY_HARMLESS_STEPS != *" $step "* ]]; then
			REPLAY_WHY_NOT="step '$step' of rule_cc_o_c may change the object"
			return 1
		fi
	done < <(sed -n '/^define rule_cc_o_c$/,/^endef$/{/^define\|^endef/d;p}' "$build")
	grep -q '^define rule_cc_o_c$' "$build" || { REPLAY_WHY_NOT="no rule_cc_o_c in scripts/Makefile.build"; return 1; }
}

# replay_setup: after the tree is prepared, decide whether this run may
# replay, and keep or drop the list of confirmed objects.
replay_setup() {
	local stamp fingerprint
	REPLAY_DIR=$STATE_DIR/replay
	# a private view's makes confirm objects of that view only (lib-private.sh)
	((PRIVATE_TREE == 0)) || REPLAY_DIR=$RUN_DIR/replay-state
	stamp=$REPLAY_DIR/stamp
	mkdir -p "$REPLAY_DIR" "$RUN_DIR/replay"
	wait_source_scan
	if batch_facts_loaded; then
		fingerprint=$BATCH_REPLAY_FINGERPRINT
	else
		if [[ ${KPATCH_BUILD_REPLAY:-1} == 0 ]]; then
			REPLAY_WHY_NOT="KPATCH_BUILD_REPLAY=0"
		elif rule_steps_are_replayable; then
			REPLAY_ENABLED=1
		fi
		fingerprint=$(replay_fingerprint)
		((REPLAY_ENABLED == 0)) || genksyms_rule_known || true
	fi
	# A run without replay keeps the list: its make is the same kbuild
	# call, and it confirms or rewrites .cmd files just the same.
	if [[ ! -f $stamp || $(<"$stamp") != "$fingerprint" ]]; then
		rm -f -- "$REPLAY_DIR/verified" "$REPLAY_DIR/included-c" "$REPLAY_DIR/genksyms-proof"
	elif [[ -n $SCAN_NEWER || $TREE/.config -nt $stamp || $TREE/include/config/auto.conf -nt $stamp ]]; then
		log "replay: ${SCAN_NEWER:-the configuration} changed since the last make; every object is checked by make again"
		rm -f -- "$REPLAY_DIR/verified" "$REPLAY_DIR/included-c" "$REPLAY_DIR/genksyms-proof"
	fi
	if ((REPLAY_ENABLED)); then
		write_probe_makefile
		log "replay: enabled (fingerprint $fingerprint)"
		if [[ -n $GENKSYMS_RULE ]]; then
			log "replay: objects that export symbols: $GENKSYMS_WHY_NOT"
		else
			log "replay: objects that export symbols are made ($GENKSYMS_WHY_NOT)"
		fi
	else
		log "replay: off ($REPLAY_WHY_NOT); make builds every object"
	fi
}

# replay_forget: the tree is prepared again; nothing recorded holds.
replay_forget() {
	rm -rf -- "$STATE_DIR/replay"
}

# replay_probe OBJECT: write its recorded command to
# $RUN_DIR/replay/OBJECT.sh; succeed if kbuild would leave the object as it
# is (the .cmd file's rules, as kbuild includes them, say it is up to
# date). make -q evaluates them exactly as kbuild would.
replay_probe() {
	local object=$1 out=$RUN_DIR/replay/$1.sh rc=0
	mkdir -p -- "$(dirname -- "$out")"
	rm -f -- "$out"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -r -R -q -s -C "$TREE" -f "$RUN_DIR/replay/probe.mk" \
		REPLAY_CMD_FILE="$(kbuild_cmd_file "$object")" REPLAY_OBJ="$object" \
		REPLAY_OUT="$out" "$object" >>"$LOG_FILE" 2>&1 || rc=$?
	[[ -s $out && $(<"$out") == *[![:space:]]* ]] || return 2
	return "$rc"
}

write_probe_makefile() {
	cat >"$RUN_DIR/replay/probe.mk" <<'MAKE'
# kpatch-build's replay probe: kbuild's view of one object, from its .cmd
include $(REPLAY_CMD_FILE)
$(file >$(REPLAY_OUT),$(savedcmd_$(REPLAY_OBJ)))
# with a recipe, or make -q calls it up to date whatever its prerequisites
$(REPLAY_OBJ): $(source_$(REPLAY_OBJ))
	@:
MAKE
}

# replay_known OBJECT: its .o and .cmd exist and it is built from C: its
# .cmd file says whether kbuild would leave it as it is.
replay_known() {
	local object=$1 cmd
	cmd=$TREE/$(kbuild_cmd_file "$object")
	[[ -f $TREE/$object && -f $cmd ]] || return 1
	grep -q -E "^source_$(ere_escape "$object") := .*\\.c\$" "$cmd"
}

# replay_candidate OBJECT: known, and its recorded command alone makes it,
# or, for an object that exports symbols, what kbuild runs after the
# compile can be replayed too: its patched build can be replayed.
replay_candidate() {
	local object=$1
	replay_known "$object" || return 1
	if ! grep -q '^#SYMVER ' "$TREE/$(kbuild_cmd_file "$object")" && ! exports_for_kbuild "$TREE/$object"; then
		return 0
	fi
	genksyms_ready "$object"
}

# object_exports OBJECT-FILE: it has symbols of EXPORT_SYMBOL (6.5+:
# __export_symbol_*, before: __ksymtab_*, __crc_*). grep reads all of nm's
# output: with grep -q, nm could die of SIGPIPE and pipefail would turn a
# match into "exports nothing".
object_exports() {
	(($(LC_ALL=C nm -- "$1" 2>/dev/null | grep -c -E ' (__export_symbol_|__ksymtab_|__crc_)') > 0))
}

# --- Objects that export symbols (CONFIG_MODVERSIONS) ---
# After compiling an object, kbuild's gen_symversions (6.1, 6.12) checks with
# nm whether it exports symbols and, if so, appends the output of
#	$(CPP) -D__GENKSYMS__ $(c_flags) SRC | scripts/genksyms/genksyms -r ...
# ("#SYMVER <symbol> <crc>" lines) to the object's .cmd file; the object
# itself is left as compiled (older kernels relinked it). Replaying that:
#   - the rule: the tree's definitions are exactly a form we know
#     (genksyms_rule_known), so the command can be derived from the
#     recorded compile (CPP is "$(CC) -E", c_flags starts at -Wp,-MMD,);
#   - the proof: once per fingerprint, before any patch is applied, the
#     derived command run on the first exporting object met must print
#     exactly the #SYMVER lines kbuild wrote for it ($REPLAY_DIR/genksyms-proof
#     "ok", or "bad" and why: then every exporting object goes to make);
#   - the patched build: the output goes to $RUN_DIR/replay/OBJECT.symver,
#     and save_patched_kbuild_cmds writes the .cmd file kbuild would have
#     left from it (for the export CRC check); the tree's .cmd is untouched.
# The derived command writes its dependency file under $RUN_DIR, not in
# the tree: that changes nothing genksyms sees, and the proof shows it.

# The definitions of kbuild 6.12 and 6.1 (read from those trees; the
# test for exports changed in 6.5), whitespace-normalized (make_definition).
# shellcheck disable=SC2016 # make syntax, not shell
readonly GENKSYMS_KNOWN_DEFS='genksyms = scripts/genksyms/genksyms $(if $(1), -T $(2)) $(if $(KBUILD_PRESERVE), -p) -r $(or $(wildcard $(2:.symtypes=.symref)), /dev/null)
cmd_gensymtypes_c = $(CPP) -D__GENKSYMS__ $(c_flags) $< | $(genksyms)
cmd_gen_symversions_c = $(call gen_symversions,c)'
# shellcheck disable=SC2016
readonly GENKSYMS_FORM_6_12="gen_symversions = if \$(NM) \$@ 2>/dev/null | grep -q ' __export_symbol_'; then \$(call cmd_gensymtypes_\$(1),\$(KBUILD_SYMTYPES),\$(@:.o=.symtypes)) >> \$(dot-target).cmd; fi"
# shellcheck disable=SC2016
readonly GENKSYMS_FORM_6_1='gen_symversions = if $(NM) $@ 2>/dev/null | grep -q __ksymtab; then $(call cmd_gensymtypes_$(1),$(KBUILD_SYMTYPES),$(@:.o=.symtypes)) >> $(dot-target).cmd; fi'

# make_definition NAME FILE: the one definition of make variable NAME in
# FILE (continuation lines joined, blanks squeezed); fails unless there is
# exactly one.
make_definition() {
	awk -v name="$1" '
		!cont && $0 ~ "^" name "[ \t]*:?=" { n++; taking = 1 }
		{
			line = $0
			cont = sub(/\\$/, "", line)
			if (taking) text = text " " line
			if (!cont) taking = 0
		}
		END {
			if (n != 1) exit 1
			gsub(/[ \t]+/, " ", text); sub(/^ /, "", text); sub(/ $/, "", text)
			print text
		}' "$2"
}

# genksyms_rule_known: set GENKSYMS_RULE (see above) for this tree, and
# GENKSYMS_WHY_NOT to what was found, for the log.
genksyms_rule_known() {
	local build=$TREE/scripts/Makefile.build name definition
	GENKSYMS_RULE="" GENKSYMS_EXPORT_PATTERN=""
	definition=$(make_definition gen_symversions "$build") || definition="(none, or more than one)"
	case $definition in
	"$GENKSYMS_FORM_6_12") GENKSYMS_EXPORT_PATTERN=' __export_symbol_' ;;
	"$GENKSYMS_FORM_6_1") GENKSYMS_EXPORT_PATTERN='__ksymtab' ;;
	*)
		GENKSYMS_WHY_NOT="unknown gen_symversions in scripts/Makefile.build: $definition"
		return 1 ;;
	esac
	for name in genksyms cmd_gensymtypes_c cmd_gen_symversions_c; do
		definition=$(make_definition "$name" "$build") || definition="$name: none, or more than one"
		if ! grep -qxF -- "$definition" <<<"$GENKSYMS_KNOWN_DEFS"; then
			GENKSYMS_WHY_NOT="unknown $name in scripts/Makefile.build: $definition"
			return 1
		fi
	done
	# shellcheck disable=SC2016 # make syntax
	if [[ $(make_definition CPP "$TREE/Makefile" 2>/dev/null) != 'CPP = $(CC) -E' ]]; then
		GENKSYMS_WHY_NOT="the top Makefile's CPP is not \$(CC) -E"
		return 1
	fi
	if ! grep -qx 'CONFIG_MODVERSIONS=y' "$TREE/include/config/auto.conf" 2>/dev/null; then
		GENKSYMS_RULE=none
		GENKSYMS_WHY_NOT="no CONFIG_MODVERSIONS: kbuild runs nothing after the compile; replayed like the others"
		return 0
	fi
	if grep -qx 'CONFIG_GENDWARFKSYMS=y' "$TREE/include/config/auto.conf"; then
		GENKSYMS_WHY_NOT="CONFIG_GENDWARFKSYMS"
	elif [[ -n ${KBUILD_SYMTYPES:-} || -n ${KBUILD_PRESERVE:-} ]]; then
		GENKSYMS_WHY_NOT="KBUILD_SYMTYPES or KBUILD_PRESERVE is set"
	elif [[ -n ${LLVM:-} ]]; then
		GENKSYMS_WHY_NOT="LLVM is set (kbuild's NM is llvm-nm)"
	elif ! command -v "${CROSS_PREFIX}nm" >/dev/null; then
		GENKSYMS_WHY_NOT="no ${CROSS_PREFIX}nm in PATH"
	elif [[ ! -x $TREE/scripts/genksyms/genksyms ]]; then
		GENKSYMS_WHY_NOT="no scripts/genksyms/genksyms"
	else
		GENKSYMS_RULE=modversions
		GENKSYMS_WHY_NOT="kbuild's genksyms step is replayed once proven on this tree"
		return 0
	fi
	return 1
}

# exports_for_kbuild OBJECT-FILE: kbuild's gen_symversions would run
# genksyms for it (with the rule unknown: any sign of an export).
exports_for_kbuild() {
	[[ -n $GENKSYMS_EXPORT_PATTERN ]] || { object_exports "$1"; return; }
	(($("${CROSS_PREFIX}nm" -- "$1" 2>/dev/null | grep -c -F -- "$GENKSYMS_EXPORT_PATTERN") > 0))
}

# genksyms_command OBJECT: set GENKSYMS_CMD to kbuild's genksyms step for
# it, derived from its recorded command (in $RUN_DIR/replay), or set
# GENKSYMS_CMD_WHY_NOT and fail.
genksyms_command() {
	local object=$1 command source tail head cc symref=/dev/null
	local depfile=$RUN_DIR/replay/genksyms.d
	GENKSYMS_CMD="" GENKSYMS_CMD_WHY_NOT=""
	command=$(<"$RUN_DIR/replay/$object.sh")
	source=$(awk -v key="source_$object := " 'index($0, key) == 1 { print substr($0, length(key) + 1); exit }' \
		"$TREE/$(kbuild_cmd_file "$object")")
	tail=" -c -o $object $source"
	head=${command%%"$tail"*}
	if [[ -z $source || $head == "$command" || ${command#*"$tail"} == *"$tail"* ]]; then
		GENKSYMS_CMD_WHY_NOT="its recorded command does not compile with -c -o $object ${source:-SOURCE} once"
		return 1
	fi
	# after the compile, only other commands (objtool)
	if ! [[ ${command#*"$tail"} =~ ^[[:space:]]*(\;.*)?$ ]]; then
		GENKSYMS_CMD_WHY_NOT="its recorded command goes on after the compile with more than '; ...'"
		return 1
	fi
	if [[ $head == *[\;\|\&\`$'\n']* || $head == *"\$("* ]]; then
		GENKSYMS_CMD_WHY_NOT="its compile is more than one command"
		return 1
	fi
	if ! [[ $head =~ ^([A-Za-z0-9_./+=-]+( [A-Za-z0-9_./+=-]+)*)\ -Wp,-MMD,[^[:space:]]+(.*)$ ]]; then
		GENKSYMS_CMD_WHY_NOT="its compile is not \$(CC) -Wp,-MMD,DEPFILE ... (kbuild's c_flags)"
		return 1
	fi
	cc=${BASH_REMATCH[1]}
	[[ ! -e $TREE/${object%.o}.symref ]] || symref=${object%.o}.symref
	GENKSYMS_CMD="$cc -E -D__GENKSYMS__ -Wp,-MMD,$(printf '%q' "$depfile")${BASH_REMATCH[3]} $source | scripts/genksyms/genksyms -r $symref"
}

# run_genksyms OBJECT OUT [ENV=VALUE...]: run GENKSYMS_CMD for OBJECT in the
# tree, as kbuild's recipe shell would (with pipefail: a failed
# preprocessor must not pass for a genksyms output), output in OUT.
run_genksyms() {
	local object=$1 out=$2 rc=0
	shift 2
	rm -f -- "$out" "$out.tmp"
	log "replay: $object: \$ $GENKSYMS_CMD"
	run_child "$out.tmp" "$LOG_FILE" env -C "$TREE" \
		-u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		PATH="$SHIM_DIR:$PATH" KPATCH_REAL_CC="$REAL_CC" "$@" \
		/bin/bash -c "set -eo pipefail; $GENKSYMS_CMD" || rc=$?
	rm -f -- "$RUN_DIR/replay/genksyms.d"
	if ((rc)); then
		rm -f -- "$out.tmp"
		return "$rc"
	fi
	mv -f -- "$out.tmp" "$out"
}

# genksyms_ready OBJECT: the original OBJECT exports; kbuild's step after
# its compile can be replayed (proving it on this object if nothing has
# been proven for this fingerprint yet). If not, the log says why.
genksyms_ready() {
	local object=$1 proof=$REPLAY_DIR/genksyms-proof why=""
	case $GENKSYMS_RULE in
	none) return 0 ;;
	modversions)
		if [[ -f $proof && $(<"$proof") != ok ]]; then
			why="genksyms replay $(<"$proof")"
		elif ! genksyms_command "$object"; then
			why="genksyms cannot be replayed: $GENKSYMS_CMD_WHY_NOT"
		fi ;;
	*) why=$GENKSYMS_WHY_NOT ;;
	esac
	if [[ -z $why ]]; then
		[[ -f $proof ]] || genksyms_prove "$object"
		# (a failed proof is logged as such)
		[[ -f $proof && $(<"$proof") == ok ]]
		return
	fi
	log "replay: $object: exports symbols; its patched build is made ($why)"
	return 1
}

# genksyms_prove OBJECT: OBJECT and its .cmd file are as kbuild left them
# (unpatched, confirmed): does GENKSYMS_CMD print the #SYMVER lines kbuild
# wrote? Writes the verdict to $REPLAY_DIR/genksyms-proof; no verdict if
# kbuild wrote none (nothing to compare).
genksyms_prove() {
	local object=$1 proof=$REPLAY_DIR/genksyms-proof cmd_file out=$RUN_DIR/replay/proof.symver verdict=ok
	cmd_file=$TREE/$(kbuild_cmd_file "$object")
	grep '^#SYMVER ' "$cmd_file" >"$out.kbuild" || true
	if [[ ! -s $out.kbuild ]]; then
		log "replay: $object: exports symbols but kbuild wrote no #SYMVER line for it; not used to prove genksyms replay"
		return 0
	fi
	if ! run_genksyms "$object" "$out"; then
		verdict="bad: the command derived for $object failed"
	elif ! cmp -s -- "$out" "$out.kbuild"; then
		verdict="bad: the command derived for $object does not print the #SYMVER lines kbuild wrote in $(kbuild_cmd_file "$object")"
		diff -- "$out.kbuild" "$out" | head -n 6 >>"$LOG_FILE" || true
	fi
	printf '%s\n' "$verdict" >"$proof.tmp"
	mv -f -- "$proof.tmp" "$proof"
	if [[ $verdict == ok ]]; then
		log "replay: genksyms replay proven on $object: the derived command prints what kbuild wrote"
	else
		log "replay: genksyms replay $verdict; objects that export symbols are made until the fingerprint changes"
	fi
}

# replay_original_current OBJECT: make would leave it as it is (also
# for an object that exports: genksyms only runs when it is rebuilt); its
# command is ready for the patched build if that can be replayed.
replay_original_current() {
	local object=$1 sum
	((REPLAY_ENABLED)) && [[ -f $REPLAY_DIR/verified ]] || return 1
	! ((BATCH_CHECKED)) || ! batch_check_take "$object" || return 0
	replay_known "$object" || return 1
	sum=$(sha256sum <"$TREE/$(kbuild_cmd_file "$object")" | cut -c1-64)
	grep -qxF -- "$object $sum" "$REPLAY_DIR/verified" || return 1
	replay_probe "$object" || return 1
	! replay_candidate "$object" || REPLAY_READY[$object]=1
	log "replay: $object: up to date by kbuild's recorded dependencies; make skipped"
	batch_check_keep "$object"
}

# replay_before_make: note when the original make starts; the list it
# confirms holds from then on.
replay_before_make() {
	REPLAY_MADE_AT=$EPOCHREALTIME
}

# replay_after_make OBJECT...: these were made successfully; confirm them.
replay_after_make() {
	local object sum stamp=$REPLAY_DIR/stamp list=$REPLAY_DIR/verified
	((REPLAY_ENABLED)) || return 0
	[[ -f $list ]] || : >"$list"
	for object in "$@"; do
		if ! replay_known "$object" || ! replay_probe "$object"; then
			continue
		fi
		sum=$(sha256sum <"$TREE/$(kbuild_cmd_file "$object")" | cut -c1-64)
		awk -v o="$object" '$1 != o' "$list" >"$list.tmp"
		printf '%s %s\n' "$object" "$sum" >>"$list.tmp"
		mv -f -- "$list.tmp" "$list"
		! replay_candidate "$object" || REPLAY_READY[$object]=1
		batch_check_keep "$object"
	done
	replay_fingerprint >"$stamp.tmp"
	touch -d "@$REPLAY_MADE_AT" -- "$stamp.tmp"
	mv -f -- "$stamp.tmp" "$stamp"
}

# patch_allows_replay: the patches change only C sources and headers that
# no host program of the tree is built from.
patch_allows_replay() {
	local file
	for file in "${PATCHED_FILES[@]}"; do
		case $file in
		scripts/* | tools/* | */tools/*) return 1 ;;
		*.c | *.h) ;;
		*) return 1 ;;
		esac
	done
}

# replay_patched OBJECT...: compile what can be replayed; the rest is left
# in REPLAY_TO_MAKE. Called with the patches applied.
replay_patched() {
	local object allowed=1
	REPLAY_TO_MAKE=()
	REPLAY_REPLAYED=0
	if ((REPLAY_ENABLED == 0)); then
		allowed=0
	elif ! patch_allows_replay; then
		allowed=0
		log "replay: not for this patch (it changes files other than C sources and headers, or sources of host programs); make builds the patched objects"
	fi
	for object in "$@"; do
		if ((allowed)) && [[ -n ${REPLAY_READY[$object]:-} ]] && replay_compile "$object"; then
			((++REPLAY_REPLAYED))
		else
			REPLAY_TO_MAKE+=("$object")
		fi
	done
}

# replay_compile OBJECT: run its recorded command in the tree, in record
# mode, as kbuild's recipe shell would run it (sh -c, set -e).
replay_compile() {
	local object=$1 command dir base
	command=$(<"$RUN_DIR/replay/$object.sh")
	dirname_to dir "$object"
	basename_to base "$object"
	log "replay: $object: \$ $command"
	if ! run_child "$LOG_FILE" "$LOG_FILE" env -C "$TREE" \
		-u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		PATH="$SHIM_DIR:$PATH" KPATCH_REAL_CC="$REAL_CC" KPATCH_CC_MODE=record \
		KPATCH_TREE="$TREE" KPATCH_RUN_DIR="$RUN_DIR" KPATCH_CC_INCLUDE="$INCLUDE_DIR" \
		/bin/sh -c "set -e; $command"; then
		log "replay: $object: the recorded command failed; make builds it (and reports the error)"
		rm -f -- "$TREE/$object" "$TREE/$dir/.$base.d"
		return 1
	fi
	# kbuild's fixdep would turn gcc's dependency file into the .cmd file
	rm -f -- "$TREE/$dir/.$base.d" "$RUN_DIR/replay/$object.symver"
	if [[ $GENKSYMS_RULE != none ]] && exports_for_kbuild "$TREE/$object"; then
		if ! replay_genksyms "$object"; then
			rm -f -- "$TREE/$object"
			return 1
		fi
	elif grep -q '^#SYMVER ' "$TREE/$dir/.$base.cmd"; then
		# kbuild's new .cmd file would have no #SYMVER line
		: >"$RUN_DIR/replay/$object.symver"
	fi
	log "replay: $object: compiled by its recorded command"
}

# replay_genksyms OBJECT: the patched OBJECT exports symbols: run what
# kbuild runs after the compile, if that can be replayed, its #SYMVER
# lines into $RUN_DIR/replay/OBJECT.symver.
replay_genksyms() {
	local object=$1 proof=$REPLAY_DIR/genksyms-proof why=""
	case $GENKSYMS_RULE in
	modversions)
		if [[ ! -f $proof ]]; then
			why="genksyms replay is not proven on this tree yet"
		elif [[ $(<"$proof") != ok ]]; then
			why="genksyms replay $(<"$proof")"
		elif ! genksyms_command "$object"; then
			why=$GENKSYMS_CMD_WHY_NOT
		fi ;;
	*) why=$GENKSYMS_WHY_NOT ;;
	esac
	if [[ -n $why ]]; then
		log "replay: $object: the patched object exports symbols and genksyms cannot be replayed ($why); make builds it"
		return 1
	fi
	if ! run_genksyms "$object" "$RUN_DIR/replay/$object.symver" KPATCH_CC_MODE=record \
		KPATCH_TREE="$TREE" KPATCH_RUN_DIR="$RUN_DIR" KPATCH_CC_INCLUDE="$INCLUDE_DIR"; then
		log "replay: $object: kbuild's genksyms step failed; make builds it (and reports the error)"
		return 1
	fi
	log "replay: $object: kbuild's genksyms step replayed ($(grep -c '^#SYMVER ' "$RUN_DIR/replay/$object.symver") export(s))"
}

# replay_patched_cmd_file OBJECT: print the .cmd file kbuild would have
# left for OBJECT, if its patched build was replayed and OBJECT exports or
# exported symbols (otherwise fail): the recorded one with the #SYMVER
# lines of the patched object. (Its dependencies are the original's: only
# the #SYMVER lines are read.)
replay_patched_cmd_file() {
	local symver=$RUN_DIR/replay/$1.symver
	[[ -f $symver ]] || return 1
	grep -v '^#SYMVER ' -- "$TREE/$(kbuild_cmd_file "$1")" || true
	cat -- "$symver"
}

# c_file_may_be_included FILE: some #include line may name FILE. Finding
# the lines takes a pass over the whole tree, so while the tree's sources
# are unchanged (the same conditions as the confirmed objects) what they
# name is kept in $REPLAY_DIR/included-c: the path a "..." include
# resolves to beside its file, or <>NAME for a <...> include or one that
# resolves to nothing there (any FILE of that name).
c_file_may_be_included() {
	local list=$REPLAY_DIR/included-c
	((REPLAY_ENABLED)) || return 0
	if [[ ! -f $list ]]; then
		included_c_files >"$list.tmp"
		mv -f -- "$list.tmp" "$list"
	fi
	local base
	basename_to base "$1"
	grep -qxF -e "$1" -e "<>$base" -- "$list"
}

included_c_files() {
	local dirs=() kind path
	mapfile -t dirs < <(include_search_dirs)
	(cd "$TREE" && grep -r -H -o -E --include='*.c' --include='*.h' \
		'^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^>"]*\.c[>"]' -- "${dirs[@]}") 2>/dev/null |
		awk '{
			file = $0; sub(/:.*/, "", file)
			inc = $0; sub(/^[^:]*:[^<"]*/, "", inc)
			kind = substr(inc, 1, 1); inc = substr(inc, 2, length(inc) - 2)
			if (kind == "<") { sub(/.*\//, "", inc); print "a", inc; next }
			dir = file; sub(/\/[^\/]*$/, "", dir)
			n = split(dir "/" inc, parts, "/"); k = 0
			for (i = 1; i <= n; i++) {
				if (parts[i] == "" || parts[i] == ".") continue
				if (parts[i] == ".." && k > 0) { k--; continue }
				out[++k] = parts[i]
			}
			path = out[1]; for (i = 2; i <= k; i++) path = path "/" out[i]
			print "q", path
		}' | while read -r kind path; do
			if [[ $kind == q && -f $TREE/$path ]]; then
				printf '%s\n' "$path"
			else
				printf '<>%s\n' "$(basename -- "$path")"
			fi
		done | LC_ALL=C sort -u
}
