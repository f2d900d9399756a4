# shellcheck shell=bash
# lib-partial.sh: "partial" builds for kernels built elsewhere (distribution
# kernels). Instead of building the whole kernel, kpatch-build prepares the
# source tree once (the shipped config, modules_prepare, the shipped
# Module.symvers, the shipped release string) and compiles only the
# translation units the patches affect, before and after patching. The
# running kernel's vmlinux (-v) and module files stand in for the build
# products a full build would have made.
#
# The prepared state stays in the tree, like a full build's objects do, so
# the next run on the same tree reuses it and the original objects: kbuild
# sees them up to date. $STATE_DIR/prepared records what it was prepared
# for (source version, config, release, Module.symvers, compiler); any
# difference prepares again.

PARTIAL=auto		# auto, 1 (--partial) or 0 (--full)
KERNEL_RELEASE=""	# --kernel-release, or read from the -v vmlinux
SYMVERS_OPTION=""	# --symvers
MODULES_DIR=""		# --modules-dir
# Header changes: candidate units are compiled to learn their real
# dependencies; beyond this many, a full build is the better tool.
readonly HEADER_CANDIDATE_LIMIT=${KPATCH_HEADER_CANDIDATE_LIMIT:-64}

# decide_partial: partial when asked, or when the tree has no vmlinux but
# the user gave the running kernel's one (nothing to build it for).
decide_partial() {
	if [[ $PARTIAL == auto ]]; then
		if [[ -n $VMLINUX_OPTION && ! -f $TREE/vmlinux ]]; then
			PARTIAL=1
		else
			PARTIAL=0
		fi
	fi
	if ((PARTIAL)); then
		[[ -n $VMLINUX_OPTION ]] || usage_error "--partial needs -v FILE: the running kernel's vmlinux with symbols and DWARF"
	else
		[[ -z $SYMVERS_OPTION && -z $MODULES_DIR && -z $KERNEL_RELEASE ]] ||
			usage_error "--symvers, --modules-dir and --kernel-release are for partial builds (--partial, or -v FILE on a tree without vmlinux)"
	fi
}

# release_of_vmlinux FILE: the release in its "Linux version ..." banner.
release_of_vmlinux() {
	vmlinux_memo "$1" release release_of_vmlinux_read "$1"
}

release_of_vmlinux_read() {
	LC_ALL=C grep -a -z -o -m 1 -E '^Linux version [^ ]+ \(' -- "$1" | tr '\0' '\n' |
		sed -n 's/^Linux version \([^ ]*\) (.*/\1/p' | head -n 1 || true
}

# vermagic_of_vmlinux FILE RELEASE: the VERMAGIC_STRING compiled into it.
# NUL-separated records: the string is a whole C string in .rodata.
vermagic_of_vmlinux() {
	vmlinux_memo "$1" "vermagic-$2" vermagic_of_vmlinux_read "$1" "$2"
}

vermagic_of_vmlinux_read() {
	LC_ALL=C grep -a -z -x -m 1 -E "$(ere_escape "$2") (SMP|preempt|mod_unload)[ -~]*" -- "$1" | tr -d '\0' || true
}

# vmlinux_cache_dir FILE: the cache directory of this file's identity
# (created), for what is read from it once.
vmlinux_cache_dir() {
	local id
	id=$(stat -L -c '%d-%i-%s-%.9Y' -- "$1" 2>/dev/null) || return 1
	mkdir -p -- "$CACHE_DIR/vmlinux/$id" 2>/dev/null || return 1
	printf '%s\n' "$CACHE_DIR/vmlinux/$id"
}

# vmlinux_memo FILE FACT COMMAND...: COMMAND's output (its lines), kept per
# vmlinux file identity (device, inode, size, modification time) under the
# cache: each fix of a batch would otherwise read the same hundreds of MB
# again. A replaced file has another identity, so a kept fact always
# describes the file it was read from.
vmlinux_memo() {
	local file=$1 fact=$2 dir value lines=()
	shift 2
	dir=$(vmlinux_cache_dir "$file") || dir=""
	if [[ -n $dir && -f $dir/$fact ]]; then
		mapfile -t lines <"$dir/$fact"
		printf '%s\n' "${lines[@]}"
		return 0
	fi
	value=$("$@")
	if [[ -n $dir && -n $value ]]; then
		if ! { printf '%s\n' "$value" >"$dir/$fact.tmp.$$" && mv -f -- "$dir/$fact.tmp.$$" "$dir/$fact"; }; then
			rm -f -- "$dir/$fact.tmp.$$"
		fi
	fi
	printf '%s\n' "$value"
}

resolve_partial_inputs() {
	if [[ -z $KERNEL_RELEASE ]]; then
		KERNEL_RELEASE=$(release_of_vmlinux "$VMLINUX_OPTION")
		[[ -n $KERNEL_RELEASE ]] || die "$VMLINUX_OPTION has no 'Linux version' banner to take the kernel release from; pass --kernel-release REL (the running kernel's uname -r)"
	fi
	[[ $KERNEL_RELEASE =~ ^[A-Za-z0-9._+~-]+$ ]] || die "kernel release '$KERNEL_RELEASE' has characters kbuild does not accept"
	local candidate
	if [[ -z $SYMVERS_OPTION ]]; then
		for candidate in "/usr/src/linux-headers-$KERNEL_RELEASE/Module.symvers" \
			"/lib/modules/$KERNEL_RELEASE/build/Module.symvers"; do
			if [[ -f $candidate ]]; then
				SYMVERS_OPTION=$candidate
				break
			fi
		done
		[[ -n $SYMVERS_OPTION ]] || die "no Module.symvers for $KERNEL_RELEASE (looked in /usr/src/linux-headers-$KERNEL_RELEASE and /lib/modules/$KERNEL_RELEASE/build).
The livepatch module needs the running kernel's export CRCs to load. Install or
unpack the kernel's headers package and pass --symvers FILE."
	fi
	[[ -f $SYMVERS_OPTION && -r $SYMVERS_OPTION ]] || die "Module.symvers '$SYMVERS_OPTION' does not exist or is not readable"
	SYMVERS_OPTION=$(readlink -f -- "$SYMVERS_OPTION")
	MODULES_DIR=${MODULES_DIR:-/lib/modules/$KERNEL_RELEASE}
	if [[ -d $MODULES_DIR ]]; then
		MODULES_DIR=$(readlink -f -- "$MODULES_DIR")
	else
		log "no modules directory $MODULES_DIR: patches to modules will fail"
	fi
}

# kernelrelease_args: make variables that give the tree the running
# kernel's release. Since 6.2, kbuild takes KERNELRELEASE as it is. Older
# Makefiles always compute it as KERNELVERSION (from the Makefile: 6.1.192
# for Debian's 6.1.0-56-cloud-amd64) plus the local version, so give them
# that KERNELVERSION instead, and an empty LOCALVERSION (unset, it means
# "append + for a git tree").
kernelrelease_args() {
	KERNELRELEASE_ARG=("KERNELRELEASE=$KERNEL_RELEASE")
	if ! grep -q -E 'origin KERNELRELEASE|\$\(or \$\(KERNELRELEASE\)' "$TREE/Makefile"; then
		local localversion
		localversion=$(config_value "${CONFIG_FILE:-$TREE/.config}" LOCALVERSION)
		localversion=${localversion#\"}
		localversion=${localversion%\"}
		KERNELRELEASE_ARG+=("KERNELVERSION=${KERNEL_RELEASE%"$localversion"}" "LOCALVERSION=")
	fi
	log "release arguments: ${KERNELRELEASE_ARG[*]}"
}

# replace_tree_file SOURCE REL: REL in the tree becomes a copy of SOURCE,
# never half written: the copy is renamed into place when complete, and
# on_exit removes it if the run stops in between.
replace_tree_file() {
	TREE_TMP=$TREE/.$2.kpatch-tmp
	cp -- "$1" "$TREE_TMP"
	mv -f -- "$TREE_TMP" "$TREE/$2"
	TREE_TMP=""
}

# The key of a prepared tree: everything that changes what kbuild generates.
prepare_key() {
	{
		echo "release $KERNEL_RELEASE"
		echo "kcflags $CONTRACT_KCFLAGS"
		sed -n '1,6p' "$TREE/Makefile"
		sha256sum <"${CONFIG_FILE:-$TREE/.config}"
		sha256sum <"$SYMVERS_OPTION"
		"$REAL_CC" --version | head -n 1
	} | sha256sum | cut -c1-32
}

tree_is_prepared() {
	[[ -f $STATE_DIR/prepared && $(<"$STATE_DIR/prepared") == "$1" &&
		-f $TREE/.config && -f $TREE/include/config/auto.conf &&
		-x $TREE/scripts/mod/modpost && -f $TREE/Module.symvers &&
		$(<"$TREE/include/config/kernel.release") == "$KERNEL_RELEASE" ]]
}

# stage_prepare_tree: once per (source, config, release, symvers, gcc).
PREPARE_KEY=""	# read by lib-replay.sh
stage_prepare_tree() {
	local key
	if batch_facts_load; then
		key=$PREPARE_KEY
	else
		key=$(prepare_key)
	fi
	# shellcheck disable=SC2034 # read by lib-replay.sh
	PREPARE_KEY=$key
	stage_begin "Preparing kernel tree for $KERNEL_RELEASE"
	if tree_is_prepared "$key"; then
		stage_end "reused"
		return 0
	fi
	((PRIVATE_TREE == 0)) || die "$TREE is not prepared for $KERNEL_RELEASE any more (a run in between prepared it for something else?);
a fix in a private view of the tree does not prepare it. Run kpatch-batch again."
	rm -f -- "$STATE_DIR/prepared"
	replay_forget
	# The prepared state belongs to the tree from now on, like a full
	# build's objects: the config is not put back afterwards.
	[[ -z $CONFIG_FILE || $CONFIG_FILE == "$TREE/.config" ]] || replace_tree_file "$CONFIG_FILE" .config
	if ! run_make -- olddefconfig; then
		show_log_excerpt "$LOG_FILE"
		die "make olddefconfig failed in $TREE; see the log"
	fi
	config_forget
	check_config_kept "${CONFIG_FILE:-$TREE/.config}"
	if ! run_make -- modules_prepare; then
		show_log_excerpt "$LOG_FILE"
		die "make modules_prepare failed in $TREE (preparing the tree for $KERNEL_RELEASE); see the log"
	fi
	local release
	release=$(<"$TREE/include/config/kernel.release")
	[[ $release == "$KERNEL_RELEASE" ]] ||
		die "the prepared tree's release is '$release', not '$KERNEL_RELEASE'"
	replace_tree_file "$SYMVERS_OPTION" Module.symvers
	printf '%s\n' "$key" >"$STATE_DIR/prepared"
	stage_end "prepared"
}

# check_config_kept CONFIG: olddefconfig drops options whose dependencies
# this machine lacks (BTF needs pahole, for instance). Options that change
# structure layouts or code would make the module not match the kernel.
check_config_kept() {
	local wanted=$1 lost
	lost=$(LC_ALL=C comm -23 \
		<(grep -E '^CONFIG_[A-Z0-9_]+=' "$wanted" | grep -v -E '^CONFIG_(CC_VERSION_TEXT|GCC_VERSION|AS_VERSION|LD_VERSION|RUSTC_[A-Z_]*VERSION|PAHOLE_VERSION|CLANG_VERSION|LLD_VERSION)=' | LC_ALL=C sort) \
		<(LC_ALL=C sort "$TREE/.config") | sed 's/=.*//' | tr '\n' ' ')
	[[ -z $lost ]] || die "make olddefconfig dropped or changed options of $wanted: ${lost% }.
The tree would not match the kernel. Usually a tool the option depends on is
missing on this machine (CONFIG_DEBUG_INFO_BTF needs pahole from 'dwarves',
CONFIG_RUST needs rustc/bindgen) or the source is not the kernel's version."
}

# header_candidates FILE...: .c files that may include one of the files
# (headers, or .c files that others #include), following #include lines
# backwards through headers. No earlier build means no .cmd dependency
# files, so this stands in for them; compiling the candidates then gives
# kbuild's exact dependencies. Bounded: a widely included header is
# refused (a full build handles it).
header_candidates() {
	local -A seen=()
	local frontier=("$@") next=() file units=() depth=0
	while ((${#frontier[@]})) && ((depth++ < 8)); do
		local fresh=()
		for file in "${frontier[@]}"; do
			[[ -n ${seen[$file]:-} ]] || fresh+=("$file")
			seen[$file]=1
		done
		((${#fresh[@]})) || break
		next=()
		while IFS= read -r file; do
			case $file in
			*.c) units+=("$file") ;;
			*.h) [[ -n ${seen[$file]:-} ]] || next+=("$file") ;;
			esac
		done < <(includers_of "${fresh[@]}")
		if ((${#units[@]} > HEADER_CANDIDATE_LIMIT || ${#next[@]} > 4 * HEADER_CANDIDATE_LIMIT)); then
			return 1
		fi
		frontier=("${next[@]}")
	done
	printf '%s\n' "${units[@]}" | LC_ALL=C sort -u | sed '/^$/d'
}

# include_search_dirs: the parts of the tree an x86 kernel compiles.
include_search_dirs() {
	local d
	for d in arch/x86 block certs crypto drivers fs include init io_uring ipc kernel lib mm net security sound virt samples; do
		[[ ! -d $TREE/$d ]] || printf '%s\n' "$d"
	done
}

# includers_of FILE...: files whose #include lines name one of the files.
# <linux/x.h> names include/linux/x.h, include/uapi/linux/x.h or
# arch/x86/include/{,uapi/}linux/x.h; "x.h" is resolved against the
# including file's directory. Only the parts of the tree an x86 kernel
# compiles are searched.
includers_of() {
	local dirs=() file alternatives="" targets=""
	mapfile -t dirs < <(include_search_dirs)
	for file in "$@"; do
		alternatives+="${alternatives:+|}$(ere_escape "$(basename "$file")")"
		targets+="$file"$'\n'
	done
	(cd "$TREE" && grep -r -H -o -E --include='*.c' --include='*.h' \
		"^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^>\"]*/)?($alternatives)[>\"]" -- "${dirs[@]}") 2>/dev/null |
		awk -v targets="$targets" '
		function normalize(path,   n, parts, out, i, k) {
			n = split(path, parts, "/"); k = 0
			for (i = 1; i <= n; i++) {
				if (parts[i] == "" || parts[i] == ".") continue
				if (parts[i] == ".." && k > 0) { k--; continue }
				out[++k] = parts[i]
			}
			path = ""
			for (i = 1; i <= k; i++) path = path (i > 1 ? "/" : "") out[i]
			return path
		}
		BEGIN {
			n = split(targets, t, "\n")
			for (i = 1; i <= n; i++) {
				if (t[i] == "") continue
				want[t[i]] = 1
				spelled = t[i]
				if (sub(/^arch\/x86\/include\/(uapi\/|generated\/)?/, "", spelled) ||
				    sub(/^include\/(uapi\/)?/, "", spelled))
					angle[spelled] = 1
			}
		}
		{
			file = $0; sub(/:.*/, "", file)
			inc = $0; sub(/^[^:]*:[^<"]*[<"]/, "", inc); sub(/[>"]$/, "", inc)
			dir = file; sub(/\/[^\/]*$/, "", dir)
			if ((inc in angle) || (normalize(dir "/" inc) in want)) print file
		}' | LC_ALL=C sort -u
}

PARTIAL_ORIGINALS=()	# objects compiled as originals, for the parent checks

# original_objects_of FILE...: print the objects a change to the files may
# affect: their own objects, and for headers (and .c files that others
# #include) the units that may include them. Fails if a header has too
# many candidates.
original_objects_of() {
	local file headers=() candidates
	local -A objects=()
	for file in "$@"; do
		case $file in
		*.c)	# also #included by other .c files (kernel/sched/build_*.c)
			is_patchable_object "${file%.c}.o" && objects[${file%.c}.o]=1
			! c_file_may_be_included "$file" || headers+=("$file") ;;
		*.h) headers+=("$file") ;;
		esac
	done
	if ((${#headers[@]})); then
		candidates=$(header_candidates "${headers[@]}") || return 1
		while IFS= read -r file; do
			[[ -n $file ]] || continue
			is_patchable_object "${file%.c}.o" && objects[${file%.c}.o]=1
		done <<<"$candidates"
	fi
	printf '%s\n' "${!objects[@]}" | LC_ALL=C sort | sed '/^$/d'
}

# stage_build_original_partial: compile the objects the patches may affect
# from the unpatched source; kbuild keeps those already up to date.
stage_build_original_partial() {
	local objects
	stage_begin "Building original objects"
	replay_setup
	objects=$(original_objects_of "${PATCHED_FILES[@]}") ||
		die "the patched header(s) among ${PATCHED_FILES[*]} are included, directly or through other headers,
by more than $HEADER_CANDIDATE_LIMIT source files. A partial build compiles every
candidate to learn its real dependencies; for a header this widely used,
build the whole kernel instead (--full) or raise KPATCH_HEADER_CANDIDATE_LIMIT."
	mapfile -t PARTIAL_ORIGINALS < <(sed '/^$/d' <<<"$objects")
	make_original_objects
}

# make_original_objects: make PARTIAL_ORIGINALS, or skip make when replay
# knows them up to date; ends the stage. -k: a candidate this
# configuration cannot compile (a driver for another architecture, say)
# must not stop the others.
make_original_objects() {
	local object to_make=() failed=0
	if ((${#PARTIAL_ORIGINALS[@]} == 0)); then
		stage_end "nothing to compile"
		return 0
	fi
	for object in "${PARTIAL_ORIGINALS[@]}"; do
		replay_original_current "$object" || to_make+=("$object")
	done
	local current=$((${#PARTIAL_ORIGINALS[@]} - ${#to_make[@]}))
	if ((${#to_make[@]} == 0)); then
		stage_end "${#PARTIAL_ORIGINALS[@]} object(s), up to date (make skipped)"
		return 0
	fi
	replay_before_make
	run_make_objects -- -k "${to_make[@]}" || failed=1
	if ((failed)); then
		local built=()
		for object in "${to_make[@]}"; do
			[[ ! -e $TREE/$object ]] || built+=("$object")
		done
		if ((current == 0 && ${#built[@]} == 0)); then
			show_log_excerpt "$LOG_FILE"
			die "none of the ${#PARTIAL_ORIGINALS[@]} object(s) the patches may affect compiles from the unpatched source in $TREE (${PARTIAL_ORIGINALS[*]}); see the log"
		fi
		log "some candidates do not compile on their own in this configuration (e.g. a .c file that is only #included); they cannot be affected"
		# Replay trusts only objects a successful make left, so a batch
		# (one make for many fixes) confirms those that did compile.
		if ((BATCH_ORIGINALS && ${#built[@]})) && run_make_objects -- "${built[@]}"; then
			replay_after_make "${built[@]}"
		fi
	else
		replay_after_make "${to_make[@]}"
	fi
	stage_end "${#PARTIAL_ORIGINALS[@]} object(s)$( ((current == 0)) || echo ", $current up to date")"
}

# stage_build_batch_originals: kpatch-batch's one make of the original
# objects of all its fixes (PATCHES), so that each fix's own run finds
# them up to date. A fix whose files cannot be read or whose header has
# too many candidates is left out: its own run reports why.
stage_build_batch_originals() {
	local patch files file objects all=()
	stage_begin "Building original objects of ${#PATCHES[@]} fix(es)"
	replay_setup
	batch_checks_reset
	batch_facts_keep
	for patch in "${PATCHES[@]}"; do
		files=()
		while IFS= read -r file; do
			[[ -n $file && -z $(refusal_reason "$file") ]] && files+=("$file")
		done < <(list_patch_files "$patch" 2>>"$LOG_FILE" || true)
		((${#files[@]})) || continue
		if ! objects=$(original_objects_of "${files[@]}"); then
			log "$(basename "$patch"): its headers have too many candidate units; left to its own run"
			continue
		fi
		mapfile -t -O "${#all[@]}" all < <(sed '/^$/d' <<<"$objects")
	done
	mapfile -t PARTIAL_ORIGINALS < <(printf '%s\n' "${all[@]}" | LC_ALL=C sort -u | sed '/^$/d')
	make_original_objects
}

# modname_of_object OBJECT: "module NAME" or "builtin NAME", from kbuild's
# own command line for it (-DMODULE, -DKBUILD_MODNAME).
modname_of_object() {
	local cmd name
	local dir base
	dirname_to dir "$1"
	basename_to base "$1"
	cmd=$TREE/$dir/.$base.cmd
	[[ -f $cmd ]] || return 1
	# kbuild writes -DKBUILD_MODNAME='"name"'; accept it unquoted too.
	name=$(sed -n "s/.*-DKBUILD_MODNAME=['\"]*\([A-Za-z0-9_]*\).*/\1/p" "$cmd" | head -n 1)
	if grep -q -E '(^|[[:space:]])-DMODULE([[:space:]]|$)' -- "$cmd"; then
		echo "module $name"
	else
		echo "builtin $name"
	fi
}

# find_module DIR NAME: module NAME's file under DIR. Module file names
# may use - where the module name has _.
find_module() {
	[[ -d $1 ]] || return 0
	find "$1" -name '*.ko*' \( -name "$2.ko*" -o -name "${2//_/-}.ko*" \) -print -quit 2>/dev/null
}

# debug_modules_dir: where the debug package keeps unstripped modules,
# beside the -v vmlinux (Debian: /usr/lib/debug/{boot/vmlinux-REL,lib/modules/REL}).
debug_modules_dir() {
	local d
	for d in "$(dirname "$VMLINUX")/../lib/modules/$KERNEL_RELEASE" \
		"$(dirname "$VMLINUX")/lib/modules/$KERNEL_RELEASE" "/usr/lib/debug/lib/modules/$KERNEL_RELEASE"; do
		[[ -d $d ]] && { readlink -f -- "$d"; return 0; }
	done
	return 0
}

has_file_symbols() {
	LC_ALL=C readelf -sW "$1" 2>/dev/null | awk '$4 == "FILE" { found = 1 } END { exit !found }'
}

# module_file NAME: the kernel's file for module NAME, decompressed into the
# scratch directory if needed. Distributions strip the FILE symbols from the
# modules they ship (strip --strip-debug); the differ then takes all of the
# module's locals as one block, which only fails for a static named alike in
# two of its source files. The debug package's unstripped copy has no such
# limit, so it is preferred when there is one. The log says which was used.
module_file() {
	local name=$1 found dbg dbg_plain plain
	found=$(find_module "$MODULES_DIR" "$name")
	[[ -n $found ]] || return 1
	plain=$(decompressed_module "$found" "$name") || return 1
	if has_file_symbols "$plain"; then
		log "module $name: symbols from $found"
		printf '%s\n' "$plain"
		return 0
	fi
	dbg=$(find_module "$(debug_modules_dir)" "$name")
	if [[ -n $dbg ]] && dbg_plain=$(decompressed_module "$dbg" "$name-debug") && has_file_symbols "$dbg_plain"; then
		log "module $name: $found has no FILE symbols (stripped); symbols from the debug package's unstripped copy $dbg"
		printf '%s\n' "$dbg_plain"
		return 0
	fi
	log "module $name: $found has no FILE symbols (stripped) and no unstripped copy was found beside $VMLINUX; symbols from $found itself (a local named alike in two of its source files will be refused)"
	printf '%s\n' "$plain"
}

# decompressed_module FILE KEY: FILE itself, or a decompressed copy.
decompressed_module() {
	local found=$1 dest
	case $found in
	*.ko) printf '%s\n' "$found" ;;
	*.ko.xz | *.ko.gz | *.ko.zst)
		dest=$RUN_DIR/parents/$2.ko
		if [[ ! -f $dest ]]; then
			mkdir -p "$RUN_DIR/parents"
			case $found in
			*.xz) xz -dc -- "$found" >"$dest.tmp" ;;
			*.gz) gzip -dc -- "$found" >"$dest.tmp" ;;
			*.zst) zstd -qdc -- "$found" >"$dest.tmp" ;;
			esac || die "cannot decompress $found"
			mv -f -- "$dest.tmp" "$dest"
		fi
		printf '%s\n' "$dest" ;;
	*) return 1 ;;
	esac
}

VMLINUX_SYMBOLS=""	# "name" lines of vmlinux's FILE and function symbols

# in_vmlinux OBJECT: does the running vmlinux contain this object's code?
# A compiled but unconfigured unit looks built-in on its command line, so
# look for its source file name or one of its global functions.
in_vmlinux() {
	local object=$1 sym base dir
	if [[ -z $VMLINUX_SYMBOLS ]]; then
		# kept per vmlinux file identity, as vmlinux_memo's facts are
		if dir=$(vmlinux_cache_dir "$VMLINUX"); then
			VMLINUX_SYMBOLS=$dir/symbols
		else
			VMLINUX_SYMBOLS=$RUN_DIR/vmlinux-symbols
		fi
		if [[ ! -f $VMLINUX_SYMBOLS ]]; then
			LC_ALL=C readelf -sW "$VMLINUX" 2>/dev/null |
				awk '$4 == "FILE" || ($4 == "FUNC" && $5 == "GLOBAL") { print $8 }' |
				LC_ALL=C sort -u >"$VMLINUX_SYMBOLS.tmp.$$" &&
				mv -f -- "$VMLINUX_SYMBOLS.tmp.$$" "$VMLINUX_SYMBOLS"
		fi
	fi
	basename_to base "${object%.o}"
	grep -qxF -- "$base.c" "$VMLINUX_SYMBOLS" && return 0
	while read -r sym; do
		grep -qxF -- "$sym" "$VMLINUX_SYMBOLS" && return 0
	done < <(LC_ALL=C nm --defined-only "$TREE/$object" 2>/dev/null | awk '$2 == "T" { print $3 }')
	return 1
}

# parent_of_partial OBJECT: like parent_of, from .cmd files and the
# running kernel's files instead of a built tree's.
parent_of_partial() {
	local object=$1 kind name file
	read -r kind name < <(modname_of_object "$object") || { echo none; return; }
	if [[ $kind == module ]]; then
		if file=$(module_file "$name"); then
			echo "modulefile $name $file"
		else
			echo "nomodule $name"
		fi
	elif in_vmlinux "$object"; then
		echo vmlinux
	else
		echo none
	fi
}

# verify_vermagic KO: the module's vermagic must be the running kernel's.
verify_vermagic() {
	local ko=$1 ours theirs
	ours=$(modinfo -F vermagic "$ko" 2>/dev/null) || die "modinfo cannot read $ko"
	theirs=$(vermagic_of_vmlinux "$VMLINUX" "$KERNEL_RELEASE")
	if [[ -z $theirs ]]; then
		warn "no vermagic string for $KERNEL_RELEASE found in $VMLINUX; cannot check the module's '$ours'"
	elif [[ $ours != "$theirs" ]]; then
		die "$ko has vermagic '$ours', but $VMLINUX expects '$theirs'.
The kernel would refuse it; is the config (-c) the one this kernel was built with?"
	fi
	log "vermagic: $ours"
}
