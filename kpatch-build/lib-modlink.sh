# shellcheck shell=bash
# shellcheck disable=SC2016 # make syntax in single quotes, throughout
# shellcheck disable=SC2034,SC2153 # globals shared with build-module
# lib-modlink.sh: link the livepatch module with kbuild's recorded
# commands instead of `make -C SRC M=DIR modules` (sourced by build-module).
#
# On a distribution tree most of `make M=` is kbuild reading the tree's
# makefiles; the steps of the template module are few, and kbuild records
# each one's command in a .<target>.cmd file in DIR. After a successful
# make, those commands are kept, with the build directory, the module name
# and the replace mode turned into placeholders, under the --modlink-cache
# directory and a key of everything else that shapes them (the tree and its
# configuration and build rules, the template, the tools, the environment
# kbuild reads, the --symvers files). A later build with the same key runs
# the commands with its own directory, name and mode substituted, in the
# tree, as kbuild's recipe shell would, and writes the same .cmd files, so
# that make and replay can take turns on one build directory. A compile
# whose .cmd file says it is up to date (same command, no dependency newer:
# make -q over the .cmd file's own rules) is skipped, as kbuild skips it.
#
# Anything in doubt goes to make, and the log says which path was taken and
# why: no recording for the key, a target or command the recorder does not
# know, a name that also occurs elsewhere in a command, a rule with a step
# outside the recorded commands (BTF with a vmlinux, recordmcount, ...), a
# cross build, KPATCH_BUILD_MODLINK=0, or a replayed step that fails.

MODLINK_CACHE=""	# --modlink-cache DIR; empty: always make
MODLINK_WHY_NOT=""	# why replay is not used, for the log
MODLINK_RECORD=""	# the recording of the current key

# The targets of the template module, in the order kbuild makes them;
# @N@ is the module name. "dep": compiled, with a fixdep .cmd file.
# .module-common.o exists since Linux 6.12 only.
readonly MODLINK_STEPS=(
	"dep livepatch-main.o"
	"plain @N@.mod"
	"plain @N@.o"
	"plain modules.order"
	"plain Module.symvers"
	"dep .module-common.o"
	"dep @N@.mod.o"
	"plain @N@.ko"
)

modlink_log() {
	printf 'modlink: %s\n' "$*" >>"$LOG"
}

# modlink_key: everything outside the build directory, name and replace
# mode that shapes the commands of the module's build. Hashing the files
# takes dozens of processes, and every module build asks twice (the
# template compiled ahead, then the link); the key is kept per signature of
# the files' identities (device, inode, size, modification time) and of
# everything else it hashes, so a changed file gives a new signature.
modlink_key() {
	local signature memo key
	signature=$(modlink_key_inputs stat | sha256sum | cut -c1-32)
	memo=$MODLINK_CACHE/keys/$signature
	if [[ -n $MODLINK_CACHE && -f $memo ]] && read -r key <"$memo" && [[ $key =~ ^[0-9a-f]{32}$ ]]; then
		printf '%s\n' "$key"
		return 0
	fi
	key=$(modlink_key_inputs content | sha256sum | cut -c1-32)
	if [[ -n $MODLINK_CACHE ]] && mkdir -p "$MODLINK_CACHE/keys" 2>/dev/null; then
		if ! { printf '%s\n' "$key" >"$memo.tmp.$$" && mv -f "$memo.tmp.$$" "$memo"; }; then
			rm -f "$memo.tmp.$$"
		fi
	fi
	printf '%s\n' "$key"
}

# modlink_key_inputs stat|content: what the key hashes, with the files
# given by identity (stat) or by content.
modlink_key_inputs() {
	local f files=() tree_files
	modlink_tree_files tree_files
	for f in "${tree_files[@]}"; do
		files+=("$SRC/$f")
	done
	files+=("$TEMPLATE/livepatch-main.c" "$TEMPLATE/livepatch.lds" "$TEMPLATE/Kbuild" "$INCLUDE/kpatch-format.h")
	if [[ $1 == stat ]]; then
		echo "modlink signature 1 $SRC"
		printf 'symvers %s\n' "${SYMVERS_ABS[@]}"
		files+=("${SYMVERS_ABS[@]}")
		for f in make gcc ld objcopy "${CROSS_COMPILE:-}gcc" "${CROSS_COMPILE:-}ld"; do
			f=$(type -P "$f") && files+=("$f")
		done
		# a missing file is part of the signature too (stat's message)
		stat -L -c '%n %d %i %s %.9Y' -- "${files[@]}" 2>&1 || true
		modlink_key_env
		return 0
	fi
	modlink_key_content
}

modlink_key_env() {
	env | LC_ALL=C grep -E '^(ARCH|SRCARCH|CROSS_COMPILE|CC|LD|LLVM|KCFLAGS|KCPPFLAGS|KAFLAGS|[AC]FLAGS_MODULE|LDFLAGS_MODULE|KBUILD_[A-Z_]*|OBJTOOL_ARGS|SOURCE_DATE_EPOCH|LOCALVERSION|KERNELRELEASE|INSTALL_MOD_[A-Z_]*|V)=' | LC_ALL=C sort || true
}

# modlink_tree_files VAR: the tree's files that shape the module's build.
modlink_tree_files() {
	local -n _mtf_files=$1
	_mtf_files=(Makefile include/config/auto.conf include/config/kernel.release
		scripts/Kbuild.include scripts/Makefile.build scripts/Makefile.lib
		scripts/Makefile.modpost scripts/Makefile.modfinal scripts/module.lds
		"arch/$(tree_srcarch)/Makefile")
}

modlink_key_content() {
	local f tree_files
	modlink_tree_files tree_files
	{
		echo "modlink 1 $SRC"
		for f in "${tree_files[@]}"; do
			printf '%s ' "$f"
			sha256sum 2>/dev/null <"$SRC/$f" || echo absent
		done
		sha256sum "$TEMPLATE/livepatch-main.c" "$TEMPLATE/livepatch.lds" "$TEMPLATE/Kbuild" \
			"$INCLUDE/kpatch-format.h" | cut -c1-64
		printf 'symvers %s\n' "${SYMVERS_ABS[@]}"
		# the tools kbuild finds, and the variables it reads from the environment
		for f in make gcc ld objcopy "${CROSS_COMPILE:-}gcc" "${CROSS_COMPILE:-}ld"; do
			f=$(command -v "$f") && stat -L -c '%n %s %Y' "$f"
		done
		modlink_key_env
	}
}

tree_srcarch() {
	case $(tree_arch) in
	x86_64) echo x86 ;;
	s390x) echo s390 ;;
	*) echo unknown ;;
	esac
}

# modlink_rules_known: every step of the tree's rules for the template
# module is a recorded command (or changes nothing).
modlink_rules_known() {
	local final=$SRC/scripts/Makefile.modfinal conf=$SRC/include/config/auto.conf line
	if [[ ${KPATCH_BUILD_MODLINK:-1} == 0 ]]; then
		MODLINK_WHY_NOT="KPATCH_BUILD_MODLINK=0"
		return 1
	fi
	if [[ -n ${ARCH:-} && $(tree_arch) != "$(uname -m)" ]]; then
		MODLINK_WHY_NOT="cross build (not proven byte-identical)"
		return 1
	fi
	# the compile of livepatch-main.c (lib-replay.sh's check of rule_cc_o_c)
	if ! TREE=$SRC rule_steps_are_replayable; then
		MODLINK_WHY_NOT=$REPLAY_WHY_NOT
		return 1
	fi
	[[ -f $final ]] || { MODLINK_WHY_NOT="no scripts/Makefile.modfinal"; return 1; }
	# The .ko rule: the recorded link, and BTF only when it cannot run.
	while IFS= read -r line; do
		line=${line//[[:space:]]/}
		case $line in
		'' | '+$(callif_changed_except,ld_ko_o,vmlinux)' | '+$(callif_changed,ld_ko_o)' | 'ifdefCONFIG_DEBUG_INFO_BTF_MODULES' | 'endif') ;;
		'+$(if$(newer-prereqs),$(callcmd,btf_ko))')
			if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$conf" && [[ -f $SRC/vmlinux ]]; then
				MODLINK_WHY_NOT="BTF is generated for modules (the tree has a vmlinux)"
				return 1
			fi
			;;
		*)
			MODLINK_WHY_NOT="unknown step '$line' in the .ko rule of scripts/Makefile.modfinal"
			return 1
			;;
		esac
	done < <(sed -n '/^%\.ko:/,/^$/p' "$final" | tail -n +2)
	grep -q '^%\.ko:' "$final" || { MODLINK_WHY_NOT="no %.ko rule in scripts/Makefile.modfinal"; return 1; }
}

# modlink_setup: decide whether this build may replay.
modlink_setup() {
	MODLINK_RECORD=""
	if [[ -z $MODLINK_CACHE ]]; then
		MODLINK_WHY_NOT="no --modlink-cache"
		return 1
	fi
	modlink_rules_known || return 1
	MODLINK_RECORD=$MODLINK_CACHE/$(modlink_key)
	if [[ ! -f $MODLINK_RECORD/steps ]]; then
		MODLINK_WHY_NOT="no recorded commands for this tree, configuration, template and tools yet"
		return 1
	fi
}

# modlink_escape TEXT: TEXT with the build directory, the module name and
# the replace mode as placeholders; fails if the name occurs anywhere else.
modlink_escape() {
	local text=$1 modname=${NAME//-/_} ph
	for ph in @D@ @N@ @M@ @R@; do
		[[ $text != *"$ph"* ]] || return 1
	done
	text=${text//"$TMP/$NAME."/@D@/@N@.}
	text=${text//"$TMP/.$NAME."/@D@/.@N@.}
	text=${text//"$TMP"/@D@}
	text=${text//"'\"$modname\"'"/"'\"@M@\"'"}
	text=${text//"'\"$modname.mod\"'"/"'\"@M@.mod\"'"}
	text="${text//"=kmod_$modname "/=kmod_@M@ }"
	[[ $text != *"=kmod_$modname" ]] || text=${text%"$modname"}@M@
	text=${text//"-DKPATCH_REPLACE=$REPLACE "/"-DKPATCH_REPLACE=@R@ "}
	[[ $text != *"$NAME"* && $text != *"$modname"* && $text != *KPATCH_REPLACE=[0-9]* ]] || return 1
	printf '%s' "$text"
}

# modlink_instantiate TEXT: the placeholders filled in for this build.
modlink_instantiate() {
	local instantiated
	modlink_instantiate_to instantiated "$1"
	printf '%s' "$instantiated"
}

# modlink_instantiate_to VAR TEXT: the same into VAR, without the fork of
# a command substitution (a module's build instantiates dozens of texts).
modlink_instantiate_to() {
	# (a name no caller's variable has: printf -v sees the innermost one)
	local _mi_text=$2
	_mi_text=${_mi_text//@D@/$TMP}
	_mi_text=${_mi_text//@N@/$NAME}
	_mi_text=${_mi_text//@M@/${NAME//-/_}}
	printf -v "$1" '%s' "${_mi_text//@R@/$REPLACE}"
}

# modlink_shell_command SAVEDCMD: the shell command kbuild ran; the .cmd
# file holds it with make's escapes ($$ for $, $(pound) for #).
modlink_shell_command() {
	local shell_command
	modlink_shell_command_to shell_command "$1" || return 1
	printf '%s' "$shell_command"
}

# modlink_shell_command_to VAR SAVEDCMD: the same into VAR, without a fork.
modlink_shell_command_to() {
	local _msc_text=$2
	_msc_text=${_msc_text//'$$'/$'\x01'}
	_msc_text=${_msc_text//'$(pound)'/#}
	[[ $_msc_text != *'$'* ]] || return 1
	printf -v "$1" '%s' "${_msc_text//$'\x01'/$}"
}

# savedcmd_of FILE TARGET: the recorded command of TARGET in FILE.
savedcmd_of() {
	local prefix="savedcmd_$2 := "
	awk -v p="$prefix" 'index($0, p) == 1 { print substr($0, length(p) + 1); n++ } END { exit n != 1 }' "$1"
}

# savedcmd_is FILE TARGET SAVEDCMD: FILE records exactly this command for
# TARGET (savedcmd_of's answer, read by the shell: every module build
# asks for each of its steps).
savedcmd_is() {
	local prefix="savedcmd_$2 := " line found=0
	local -a lines
	mapfile -t lines <"$1" || return 1
	for line in "${lines[@]}"; do
		[[ $line == "$prefix"* ]] || continue
		((++found == 1)) || return 1
		[[ ${line#"$prefix"} == "$3" ]] || return 1
	done
	((found == 1))
}

# modlink_record: after a successful make, keep its commands for the key
# (unless they are already kept, or anything about them is unclear).
# Scratch names carry the pid: kpatch-batch may run two modules at once.
modlink_record() {
	local step kind template target file cmd trailer rec n=0
	[[ -n $MODLINK_CACHE ]] && modlink_rules_known || return 0
	rec=$MODLINK_CACHE/$(modlink_key)
	[[ ! -f $rec/steps ]] || return 0
	mkdir -p "$MODLINK_CACHE" && rm -rf "$rec.tmp.$$" && mkdir "$rec.tmp.$$" || return 0
	for file in "$TMP"/.*.cmd; do
		[[ $file == "$TMP/.output.o.cmd" ]] || n=$((n + 1))
	done
	for step in "${MODLINK_STEPS[@]}"; do
		kind=${step%% *}
		template=${step#* }
		target=${template//@N@/$NAME}
		file=$TMP/.$target.cmd
		if [[ ! -f $file ]]; then
			[[ $target == .module-common.o ]] && continue
			modlink_not_recorded "$rec" "kbuild wrote no $(basename "$file")"
			return 0
		fi
		n=$((n - 1))
		if ! cmd=$(savedcmd_of "$file" "$TMP/$target") || ! cmd=$(modlink_escape "$cmd") ||
			! modlink_shell_command "$cmd" >/dev/null; then
			modlink_not_recorded "$rec" "the command for $target is not one the recorder understands, or '$NAME' occurs in it outside the module's own paths"
			return 0
		fi
		if [[ $kind == dep ]]; then
			# what kbuild appends after fixdep's rules (objtool's dependency)
			trailer=$(sed '1,/^\$(deps_.*):$/d' "$file")
		else
			trailer=$(sed '/^savedcmd_/d' "$file")
		fi
		if ! trailer=$(modlink_escape "$trailer"); then
			modlink_not_recorded "$rec" "the .cmd file of $target names '$NAME' outside the module's own paths"
			return 0
		fi
		printf '%s %s\n' "$kind" "$template" >>"$rec.tmp.$$/steps"
		printf '%s\n' "$cmd" >"$rec.tmp.$$/$template.savedcmd"
		printf '%s\n' "$trailer" >"$rec.tmp.$$/$template.trailer"
	done
	if ((n != 0)); then
		modlink_not_recorded "$rec" "kbuild wrote .cmd files the recorder does not know"
		return 0
	fi
	# .module-common.o is linked into the .ko exactly when kbuild built it
	local links=0 builds=0
	grep -q -F '@D@/.module-common.o' "$rec.tmp.$$/@N@.ko.savedcmd" && links=1
	grep -q '^dep \.module-common\.o$' "$rec.tmp.$$/steps" && builds=1
	if ((links != builds)); then
		modlink_not_recorded "$rec" "the .ko link and the .cmd files disagree about .module-common.o"
		return 0
	fi
	mv -T "$rec.tmp.$$" "$rec" 2>/dev/null || rm -rf "$rec.tmp.$$"
	modlink_log "recorded kbuild's commands for the next builds in $rec"
}

modlink_not_recorded() {
	rm -rf "$1.tmp.$$"
	modlink_log "not recorded: $2"
}

# modlink_up_to_date TARGET SAVEDCMD: kbuild would not make TARGET again:
# its .cmd file has this command, and no dependency is newer.
modlink_up_to_date() {
	local target=$1 cmdfile
	# targets are paths in $TMP: a directory part is always there
	cmdfile=${target%/*}/.${target##*/}.cmd
	[[ -f $target && -f $cmdfile ]] || return 1
	savedcmd_is "$cmdfile" "$target" "$2" 2>/dev/null || return 1
	printf 'include %s\n%s: $(source_%s) $(deps_%s)\n\t@:\n' "$cmdfile" "$target" "$target" "$target" |
		env -C "$SRC" -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -r -R -q -s -f - "$target" >/dev/null 2>&1
}

# modlink_run_step KIND TARGET SAVEDCMD TRAILER: run one recorded step in
# the tree and write its .cmd file as kbuild does.
modlink_run_step() {
	local kind=$1 target=$2 saved=$3 trailer=$4 command cmdfile depfile
	modlink_shell_command_to command "$saved" || return 1
	cmdfile=${target%/*}/.${target##*/}.cmd
	depfile=${target%/*}/.${target##*/}.d
	rm -f "$cmdfile"
	printf '+ %s\n' "$command" >>"$LOG"
	env -C "$SRC" -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		/bin/sh -c "set -e; $command" </dev/null >>"$LOG" 2>&1 || { rm -f "$target"; return 1; }
	if [[ $kind == dep ]]; then
		if ! env -C "$SRC" scripts/basic/fixdep "$depfile" "$target" "$saved" >"$cmdfile.tmp"; then
			rm -f "$cmdfile.tmp" "$target"
			return 1
		fi
		rm -f "$depfile"
	else
		printf 'savedcmd_%s := %s\n' "$target" "$saved" >"$cmdfile.tmp"
	fi
	[[ -z $trailer ]] || printf '%s\n' "$trailer" >>"$cmdfile.tmp"
	mv -f "$cmdfile.tmp" "$cmdfile"
}

# .module-common.o (6.12+) is compiled from scripts/module-common.c by a
# command in which only the build directory differs between modules: the
# output and gcc's dependency file, neither of which ends up in the object.
# So one compile can serve every module of a key. That is not assumed but
# seen: the object of one build directory is kept in $MODLINK_RECORD/common
# as a candidate, and only when another directory's own compile gives the
# same bytes is it marked proven and copied into later build directories,
# with its .cmd file (the same text with the directory substituted), where
# kbuild's own up-to-date check must then accept it. A compile that differs
# from the candidate replaces it and withdraws the proof.
readonly MODLINK_COMMON=.module-common.o

# read_text VAR FILE: VAR gets the file's bytes, final newlines included
# (a plain command substitution drops them).
read_text() {
	local -n read_text_into=$1
	read_text_into=$(cat -- "$2" && printf x) || return 1
	read_text_into=${read_text_into%x}
}

# modlink_common_reuse PATH SAVEDCMD: PATH (in $TMP) is the proven shared
# object, and kbuild would leave it as it is.
modlink_common_reuse() {
	local path=$1 saved=$2 common=$MODLINK_RECORD/common text
	[[ -f $common/proven && -f $common/$MODLINK_COMMON && -f $common/cmd ]] || return 1
	read_text text "$common/cmd" && cp -p "$common/$MODLINK_COMMON" "$path" &&
		modlink_instantiate "$text" >"$TMP/.$MODLINK_COMMON.cmd" &&
		modlink_up_to_date "$path" "$saved" && return 0
	rm -f "$path" "$TMP/.$MODLINK_COMMON.cmd"
	return 1
}

# modlink_common_keep PATH: PATH was just compiled in $TMP; it proves the
# candidate of another directory, or becomes the candidate.
modlink_common_keep() {
	local path=$1 common=$MODLINK_RECORD/common cmd text
	if [[ -f $common/$MODLINK_COMMON && -f $common/dir && $(<"$common/dir") != "$TMP" ]] &&
		cmp -s "$path" "$common/$MODLINK_COMMON"; then
		[[ -f $common/proven ]] || {
			: >"$common/proven"
			modlink_log "$MODLINK_COMMON: the compiles in two build directories are byte-identical; later modules reuse it"
		}
		return 0
	fi
	read_text text "$TMP/.$MODLINK_COMMON.cmd" || return 0
	# (x: the command substitution would drop the final newlines)
	cmd=$(modlink_escape "$text" && printf x) || return 0
	cmd=${cmd%x}
	rm -rf "$common.tmp.$$"
	if ! mkdir -p "$common.tmp.$$" || ! cp -p "$path" "$common.tmp.$$/$MODLINK_COMMON" ||
		! printf '%s' "$cmd" >"$common.tmp.$$/cmd" || ! printf '%s' "$TMP" >"$common.tmp.$$/dir" ||
		! rm -rf "$common" || ! mv -T "$common.tmp.$$" "$common" 2>/dev/null; then
		rm -rf "$common.tmp.$$"
	fi
}

# The template's livepatch-main.o is compiled with the module's name in
# its command (KBUILD_MODNAME), but its source never uses the name, so
# the object of one name is the object of every name, in one build
# directory (the directory's path is in its debug information). That is
# not assumed but seen: when the recorded command compiles it in a
# directory where the same command had compiled it for another name, the
# two objects are compared, and only if they are byte-identical is the key
# marked (template-name-free). From then on, the object there is kept
# for a new name and only its .cmd file is rewritten with the new name's
# command, which kbuild's up-to-date check must then accept. A compile
# that differs withdraws the mark.
readonly MODLINK_TEMPLATE=livepatch-main.o

# modlink_template_name: MODLINK_TEMPLATE_NAME gets the name the
# directory's livepatch-main.o was last compiled for (empty: none known).
MODLINK_TEMPLATE_NAME=""
modlink_template_name() {
	MODLINK_TEMPLATE_NAME=""
	if [[ -f $TMP/.$MODLINK_TEMPLATE.name ]]; then
		read -r MODLINK_TEMPLATE_NAME <"$TMP/.$MODLINK_TEMPLATE.name" || MODLINK_TEMPLATE_NAME=""
	fi
}

# modlink_template_previous_current PATH: PATH was compiled by the
# recorded command for another name and kbuild would still take it as
# that name's (same command, no dependency newer). Sets PREVIOUS_SAVED.
modlink_template_previous_current() {
	local path=$1
	modlink_template_name
	[[ -n $MODLINK_TEMPLATE_NAME && $MODLINK_TEMPLATE_NAME != "$NAME" ]] || return 1
	# the recorded command instantiated for that name (NAME is dynamic:
	# modlink_instantiate_to reads it)
	local NAME=$MODLINK_TEMPLATE_NAME
	modlink_instantiate_to PREVIOUS_SAVED "$(<"$MODLINK_RECORD/$MODLINK_TEMPLATE.savedcmd")"
	modlink_up_to_date "$path" "$PREVIOUS_SAVED"
}

# modlink_template_reuse PATH SAVEDCMD: the name-free object compiled for
# another name stays, with this name's command in its .cmd file.
modlink_template_reuse() {
	local path=$1 saved=$2 cmdfile text PREVIOUS_SAVED=""
	[[ -f $MODLINK_RECORD/template-name-free ]] || return 1
	modlink_template_previous_current "$path" || return 1
	cmdfile=$TMP/.$MODLINK_TEMPLATE.cmd
	read_text text "$cmdfile" || return 1
	[[ $text == "savedcmd_$path := $PREVIOUS_SAVED"$'\n'* ]] || return 1
	text="savedcmd_$path := $saved"$'\n'"${text#*$'\n'}"
	printf '%s' "$text" >"$cmdfile.tmp" && mv -f "$cmdfile.tmp" "$cmdfile" || return 1
	if ! modlink_up_to_date "$path" "$saved"; then
		rm -f "$path" "$cmdfile"
		return 1
	fi
	printf '%s\n' "$NAME" >"$TMP/.$MODLINK_TEMPLATE.name"
}

# modlink_template_compiled PATH PREVIOUS: the recorded command just
# compiled PATH for this name; PREVIOUS is the object another name's
# compile left there (or empty): equal bytes mark the key, other bytes
# withdraw the mark.
modlink_template_compiled() {
	local path=$1 previous=$2 mark=$MODLINK_RECORD/template-name-free
	printf '%s\n' "$NAME" >"$TMP/.$MODLINK_TEMPLATE.name"
	[[ -n $previous ]] || return 0
	if cmp -s "$path" "$previous"; then
		[[ -f $mark ]] || {
			: >"$mark"
			modlink_log "$MODLINK_TEMPLATE: the compiles for $MODLINK_TEMPLATE_NAME and $NAME are byte-identical; later modules of other names keep it"
		}
	else
		rm -f "$mark"
		modlink_log "$MODLINK_TEMPLATE: the compiles for $MODLINK_TEMPLATE_NAME and $NAME differ; every name compiles it"
	fi
	rm -f "$previous"
}

# modlink_replay [TARGET...]: build $TMP/$NAME.ko by the recorded
# commands; with TARGETs (recorded names), only those steps. On failure
# the build directory is left for make, which then rebuilds what it must.
modlink_replay() {
	local kind target saved trailer ran=0 skipped=0 reused=0 kept="" only=" $* "
	while read -r kind target; do
		(($# == 0)) || [[ $only == *" $target "* ]] || continue
		modlink_instantiate_to saved "$(<"$MODLINK_RECORD/$target.savedcmd")"
		modlink_instantiate_to trailer "$(<"$MODLINK_RECORD/$target.trailer")"
		local path
		modlink_instantiate_to path "$target"
		path=$TMP/$path
		if [[ $kind == dep ]] && modlink_up_to_date "$path" "$saved"; then
			((++skipped))
			continue
		fi
		if [[ $target == "$MODLINK_COMMON" ]] && modlink_common_reuse "$path" "$saved"; then
			((++reused))
			continue
		fi
		local previous=""
		if [[ $target == "$MODLINK_TEMPLATE" ]]; then
			if modlink_template_reuse "$path" "$saved"; then
				kept=", $MODLINK_TEMPLATE kept"
				continue
			fi
			# kept for the comparison after the compile
			local PREVIOUS_SAVED=""
			! modlink_template_previous_current "$path" || { previous=$path.previous && mv -f "$path" "$previous"; }
		fi
		if ! modlink_run_step "$kind" "$path" "$saved" "$trailer"; then
			MODLINK_WHY_NOT="the recorded command for ${path##*/} failed"
			rm -f "$TMP/$NAME.ko" ${previous:+"$previous"}
			return 1
		fi
		[[ $target != "$MODLINK_COMMON" ]] || modlink_common_keep "$path"
		[[ $target != "$MODLINK_TEMPLATE" ]] || modlink_template_compiled "$path" "$previous"
		((++ran))
	done <"$MODLINK_RECORD/steps"
	local shared=""
	((reused == 0)) || shared=", $MODLINK_COMMON shared"
	shared+=$kept
	if (($#)); then
		modlink_log "compiled ahead by kbuild's recorded commands: $* ($ran run, $skipped up to date$shared)"
		return 0
	fi
	[[ -f $TMP/$NAME.ko ]] || { MODLINK_WHY_NOT="the recorded commands made no $NAME.ko"; return 1; }
	modlink_log "linked by kbuild's recorded commands ($ran run, $skipped up to date$shared), without make"
}
