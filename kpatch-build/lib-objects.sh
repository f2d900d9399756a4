# shellcheck shell=bash
# lib-objects.sh: which objects the patch affects, which binary each one
# belongs to, and running the differ on them.

SELECTED_OBJECTS=()	# objects handed to make for the patched build
# shellcheck disable=SC2034 # filled by kpatch-build's patched build
CHANGED_OBJECTS=()	# objects the patched build actually recompiled

# kbuild names an object's command file dir/.name.o.cmd.
cmd_file_to_object() {
	local cmd=$1 dir base
	dirname_to dir "$cmd"
	basename_to base "$cmd" .cmd
	base=${base#.}
	if [[ $dir == . ]]; then
		printf '%s\n' "$base"
	else
		printf '%s\n' "$dir/$base"
	fi
}

ere_escape() {
	sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"
}

# objects_depending_on FILE...: objects whose kbuild .cmd file lists one of
# the files as a dependency. One parallel grep pass over the .cmd files;
# host tools and documentation are pruned to keep a distro tree fast.
objects_depending_on() {
	local alternatives="" file tree_re
	test_point select-objects
	for file in "$@"; do
		alternatives+="${alternatives:+|}$(ere_escape "$file")"
	done
	tree_re=$(ere_escape "$TREE")
	# Dependency lines look like "  include/linux/foo.h \".
	local regex="^[[:space:]]+(${tree_re}/)?(${alternatives})([[:space:]]+\\\\)?\$"
	(
		cd "$TREE" || exit
		find . \( -path ./scripts -o -path ./tools -o -path ./Documentation \
			-o -path ./.git -o -path ./usr \) -prune \
			-o -type f -name '.*.o.cmd' -print0 |
			xargs -0 -r -n 256 -P "$JOBS" grep -l -E -e "$regex" -- || true
	) | sed 's|^\./||' | while IFS= read -r cmd; do
		cmd_file_to_object "$cmd"
	done
}

# select_objects: fill SELECTED_OBJECTS from PATCHED_FILES.
select_objects() {
	local file object
	local -A selected=()
	local deps=()
	for file in "${PATCHED_FILES[@]}"; do
		case $file in
		*.c)
			object=${file%.c}.o
			if ! is_patchable_object "$object"; then
				note "$file is not part of the running kernel (boot or host code); skipped"
			elif [[ -e $TREE/$object ]]; then
				selected[$object]=1
			else
				warn "$file: $object does not exist in the tree, so this configuration does not build it; its changes are skipped"
			fi
			# also #included by other .c files (the scan of every
			# .cmd file is skipped when no #include names it)
			! c_file_may_be_included "$file" || deps+=("$file") ;;
		*.h)
			deps+=("$file") ;;
		*)
			log "$file is neither C source nor a header; it selects no object" ;;
		esac
	done
	if ((${#deps[@]})); then
		while IFS= read -r object; do
			is_patchable_object "$object" || continue
			[[ -e $TREE/$object ]] && selected[$object]=1
		done < <(objects_depending_on "${deps[@]}")
	fi
	mapfile -t SELECTED_OBJECTS < <(printf '%s\n' "${!selected[@]}" | LC_ALL=C sort | sed '/^$/d')
	debug "objects to rebuild: ${SELECTED_OBJECTS[*]}"
}

# build_parent_index: which objects make up which module, and which are
# linked into vmlinux or only available from a lib.a.
build_parent_index() {
	local index=$RUN_DIR/module-objects mods entry mod word
	: >"$index"
	if [[ -s $TREE/modules.order ]]; then
		# 6.x lists dir/mod.o, older kernels dir/mod.ko
		mods=$(sed -e 's/\.ko$/.mod/' -e 's/\.o$/.mod/' "$TREE/modules.order")
	else
		mods=$(cd "$TREE" && find . \( -path ./scripts -o -path ./tools -o -path ./.git \) -prune \
			-o -type f -name '*.mod' -print | sed 's|^\./||')
	fi
	while IFS= read -r mod; do
		[[ -n $mod && -f $TREE/$mod ]] || continue
		# 6.x: one object per line; 5.x: objects on the first line,
		# then undefined symbols. Only *.o words are objects.
		for word in $(<"$TREE/$mod"); do
			[[ $word == *.o ]] && printf '%s %s\n' "$word" "${mod%.mod}.ko"
		done
	done <<<"$mods" >>"$index"
	: >"$RUN_DIR/vmlinux-objects"
	if [[ -f $TREE/vmlinux.a ]]; then
		archive_members vmlinux.a >"$RUN_DIR/vmlinux-objects"
	fi
	: >"$RUN_DIR/lib-objects"
	for entry in "$TREE"/lib/lib.a "$TREE"/arch/*/lib/lib.a; do
		[[ -f $entry ]] || continue
		archive_members "${entry#"$TREE"/}" >>"$RUN_DIR/lib-objects"
	done
}

# archive_members ARCHIVE: tree-relative member paths. ar prints a thin
# archive's members relative to the current directory, so run it in the tree.
archive_members() {
	(cd "$TREE" && ar t "$1" 2>>"$LOG_FILE") | sed -e "s|^$TREE/||" -e 's|^\./||' || true
}

# parent_of OBJECT: "vmlinux", "module DIR/NAME.ko", "lib", "none" or
# "several A.ko B.ko".
parent_of() {
	local object=$1 modules
	modules=$(awk -v o="$object" '$1 == o { print $2 }' "$RUN_DIR/module-objects" | sort -u)
	if [[ -n $modules ]]; then
		if (($(wc -l <<<"$modules") > 1)); then
			echo "several $(tr '\n' ' ' <<<"$modules")"
		else
			echo "module $modules"
		fi
	elif [[ ! -f $TREE/vmlinux.a ]] || grep -qxF -e "$object" "$RUN_DIR/vmlinux-objects"; then
		# Without vmlinux.a (kernels before 6.1) every non-module
		# object is taken to be part of vmlinux.
		if grep -qxF -e "$object" "$RUN_DIR/lib-objects"; then
			echo lib
		else
			echo vmlinux
		fi
	elif grep -qxF -e "$object" "$RUN_DIR/lib-objects"; then
		echo lib
	else
		echo none
	fi
}

# module_name_of DIR/foo-bar.ko: the name the kernel uses, foo_bar.
module_name_of() {
	local name
	name=$(basename "$1" .ko)
	printf '%s\n' "${name//-/_}"
}

DIFF_ERRORS=0
DIFF_REFUSED=0
DIFF_CHANGED=0
DIFF_INIT_ONLY=0
INIT_ONLY_CHANGES=()	# "object: function, function" per init-only object

# diff_object OBJECT: run the differ on one object and account its result.
diff_object() {
	local object=$1 parent parent_name parent_symtab rc=0 out err
	local orig=$RUN_DIR/orig/$object patched=$RUN_DIR/patched/$object
	local output=$RUN_DIR/output/$object report=$RUN_DIR/reports/$object.json
	if [[ ! -e $orig ]]; then
		note "$object: no original object (new in the patched build); skipped"
		return
	fi
	if [[ -n $OOT_MODULE ]]; then
		read -r parent parent_name parent_symtab < <(parent_of_oot "$object")
	elif ((PARTIAL)); then
		read -r parent parent_name parent_symtab < <(parent_of_partial "$object")
	else
		read -r parent parent_symtab < <(parent_of "$object")
	fi
	case $parent in
	modulefile) ;;	# partial builds: the running kernel's module file; --oot-module
	nomodule)
		info "ERROR: $object: belongs to module $parent_name, which is not in $MODULES_DIR; pass --modules-dir with the running kernel's modules"
		((++DIFF_ERRORS))
		return ;;
	vmlinux)
		parent_name=vmlinux
		parent_symtab=$VMLINUX ;;
	module)
		parent_name=$(module_name_of "$parent_symtab")
		parent_symtab=$TREE/$parent_symtab
		if [[ ! -f $parent_symtab ]]; then
			info "ERROR: $object: belongs to module ${parent_symtab#"$TREE"/}, which has not been built; build the 'modules' target (-t)"
			((++DIFF_ERRORS))
			return
		fi ;;
	lib)
		note "$object is only linked from a lib.a archive (on demand, often without ftrace entries); skipped"
		return ;;
	none)
		if [[ -n $OOT_MODULE ]]; then
			note "$object is not part of module $OOT_NAME (its .mod file in $TREE does not list it); skipped"
			return
		fi
		note "$object is not linked into vmlinux or into any module of this configuration; skipped"
		return ;;
	several)
		info "ERROR: $object is linked into several modules ($parent_symtab); a livepatch can only replace it in one parent, patch those modules separately"
		result_refusal several-modules "$object" "" "linked into several modules: $parent_symtab"
		((++DIFF_REFUSED))
		return ;;
	esac
	local output_dir report_dir
	dirname_to output_dir "$output"
	dirname_to report_dir "$report"
	mkdir -p "$output_dir" "$report_dir"
	out=$RUN_DIR/reports/$object.out
	err=$RUN_DIR/reports/$object.err
	: >"$out"
	: >"$err"
	local args=() line_option
	((DEBUG)) && args+=(--debug)
	line_option=$(line_heuristic_args "$object")
	[[ -z $line_option ]] || args+=("$line_option")
	args+=(--report "$report" --struct-sizes-from "$VMLINUX" --object-name "$object"
		"$orig" "$patched" "$parent_name" "$parent_symtab" "$SYMVERS" "$NAME" "$output")
	log "$ $CDO ${args[*]}"
	run_child "$out" "$err" "$CDO" "${args[@]}" || rc=$?
	cat -- "$out" "$err" >>"$LOG_FILE"
	if [[ -s $out ]]; then
		close_stage_line
		sed 's/^/  /' "$out"
	fi
	case $rc in
	0)
		if [[ ! -s $output ]]; then
			info "ERROR: $object: create-diff-object reported success but wrote no $output"
			((++DIFF_ERRORS))
			return
		fi
		((++DIFF_CHANGED))
		printf '%s\n' "$object" >>"$RUN_DIR/diffed_objs"
		printf '%s\t%s\t%s\t%s\t%s\n' "$object" "$orig" "$patched" "$parent_name" \
			"$parent_symtab" >>"$RUN_DIR/verify_inputs"
		grep -E ': (changed|new) function: ' "$out" |
			sed "s|^[^:]*: \([a-z]*\) function: \(.*\)|\1 \2 $parent_name|" \
				>>"$RUN_DIR/functions" || true ;;
	3)
		rm -f -- "$output"
		log "$object: no functional change" ;;
	2)
		rm -f -- "$output"
		close_stage_line
		sed 's/^/  /' "$err" >&2
		if init_only_report "$report"; then
			INIT_ONLY_CHANGES+=("$object: $(init_only_changes "$report")")
			info "  $object: only init code changed, which ran at boot (see above)"
			((++DIFF_INIT_ONLY))
		else
			info "  $object: change refused by create-diff-object (unsupported; see above)"
			((++DIFF_REFUSED))
		fi ;;
	*)
		rm -f -- "$output"
		close_stage_line
		sed 's/^/  /' "$err" >&2
		if ((rc > 128)); then
			info "ERROR: $object: create-diff-object was killed by signal $((rc - 128)); this is a bug in it (the inputs are in $RUN_DIR, kept with --skip-cleanup)"
		else
			info "ERROR: $object: create-diff-object failed (exit $rc)"
		fi
		((++DIFF_ERRORS)) ;;
	esac
}

# init_only_report REPORT: did the differ find only boot-only init code
# changes (its refusals all init-only-change)?
init_only_report() {
	[[ -f $1 ]] && jq -e '.init_only == true' -- "$1" >/dev/null 2>&1
}

# init_only_changes REPORT: its init functions, comma-separated.
init_only_changes() {
	jq -r '.init_only_changes | join(", ")' -- "$1"
}

# link_output: one relocatable object from all differ outputs. Sorted so
# that the same patch always gives the same module.
link_output() {
	local objects=() object
	while IFS= read -r object; do
		objects+=("$RUN_DIR/output/$object")
	done < <(LC_ALL=C sort -u "$RUN_DIR/diffed_objs")
	"${CROSS_PREFIX}ld" -r -o "$RUN_DIR/output.o.tmp" "${objects[@]}" 2>>"$LOG_FILE" ||
		die "ld -r of the ${#objects[@]} differ output(s) into $RUN_DIR/output.o failed; see $LOG_FILE"
	mv -f -- "$RUN_DIR/output.o.tmp" "$RUN_DIR/output.o"
}
