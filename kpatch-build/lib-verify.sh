# shellcheck shell=bash
# lib-verify.sh: check the built module with kpatch-verify against every
# object it was made from, before anything is written where the user
# expects the module. The verifier shares nothing with the differ but the
# ELF reader, so a differ bug shows up here instead of in a running kernel.

# verify_object OBJECT ORIG PATCHED PARENT SYMTAB MODULE: 0 verified, 1 not.
verify_object() {
	local object=$1 orig=$2 patched=$3 parent=$4 symtab=$5 module=$6 rc=0
	local out=$RUN_DIR/reports/$object.verify.out args=(--parent "$parent")
	args+=(--json "$RUN_DIR/reports/$object.verify.json")
	[[ -f $SYMVERS ]] && args+=(--symvers "$SYMVERS")
	[[ -f $VMLINUX ]] && args+=(--struct-sizes-from "$VMLINUX")
	args+=("$orig" "$patched" "$module" "$symtab")
	local out_dir
	dirname_to out_dir "$out"
	mkdir -p "$out_dir"
	: >"$out"
	log "$ $VERIFY ${args[*]}"
	run_child "$out" "$out" "$VERIFY" "${args[@]}" || rc=$?
	cat -- "$out" >>"$LOG_FILE"
	case $rc in
	0) return 0 ;;
	2)
		close_stage_line
		sed -n 's/^kpatch-verify: [^:]*: FAILED /  /p' "$out" >&2
		info "ERROR: $object: the module does not do what the patch does (kpatch-verify findings above); this is a kpatch-build bug, please report it with $LOG_FILE" ;;
	*)
		close_stage_line
		sed 's/^/  /' "$out" | tail -n 5 >&2
		info "ERROR: $object: kpatch-verify could not check the module (exit $rc)" ;;
	esac
	return 1
}

# stage_verify_module: every object the differ produced output for.
stage_verify_module() {
	local module=$RUN_DIR/module/$NAME.ko object orig patched parent symtab
	local count=0 failed=0
	stage_begin "Verifying module $NAME.ko"
	while IFS=$'\t' read -r object orig patched parent symtab; do
		count=$((count + 1))
		verify_object "$object" "$orig" "$patched" "$parent" "$symtab" "$module" ||
			failed=$((failed + 1))
	done <"$RUN_DIR/verify_inputs"
	((failed == 0)) || die "the module failed verification for $failed object(s); no module was written"
	stage_end "$count object(s)"
}
