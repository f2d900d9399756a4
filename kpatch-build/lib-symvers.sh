# shellcheck shell=bash
# lib-symvers.sh: refuse a patch that changes the modversions CRC of an
# exported symbol.
#
# With CONFIG_MODVERSIONS, kbuild runs genksyms (gendwarfksyms from 6.14)
# on every object that exports symbols and appends one line per export to
# the object's command file:
#	#SYMVER <symbol> 0x<crc>
# modpost collects those into Module.symvers. The CRC hashes the types the
# export's declaration uses, as the compiler of that unit saw them. The
# module is linked against the kernel's Module.symvers, so it would load
# whatever the patch did to those types; a different CRC means the patched
# code sees an exported interface differently from the running kernel (a
# changed structure, a changed prototype, or just a new #include that makes
# a type visible that genksyms saw as opaque before).
#
# Compared: each patched object's exports against the kernel's
# Module.symvers (the distribution's for a partial build, the original
# build's for a full one), or against the original object's own #SYMVER
# lines where Module.symvers does not list the symbol.

# save_patched_kbuild_cmds: keep the command files of the objects the
# patched build rebuilt, before the tree is restored.
save_patched_kbuild_cmds() {
	local rel dir base
	[[ -f $RUN_DIR/changed_outputs ]] || return 0
	: >"$RUN_DIR/patched-cmd.list"
	while IFS= read -r rel; do
		[[ $rel == *.o ]] || continue
		dirname_to dir "$rel"
		basename_to base "$rel"
		[[ -f $TREE/$dir/.$base.cmd ]] || continue
		mkdir -p -- "$RUN_DIR/patched-cmd/$dir"
		# a replayed build left the tree's .cmd file as it was
		replay_patched_cmd_file "$rel" >"$RUN_DIR/patched-cmd/$dir/.$base.cmd" ||
			cp -p -- "$TREE/$dir/.$base.cmd" "$RUN_DIR/patched-cmd/$dir/.$base.cmd"
		printf '%s\n' "$rel" >>"$RUN_DIR/patched-cmd.list"
	done < <(LC_ALL=C sort -u -- "$RUN_DIR/changed_outputs")
}

# symver_records KIND OBJECT CMD-FILE: "KIND OBJECT SYMBOL CRC" for each
# #SYMVER line of the command file.
symver_records() {
	[[ -f $3 ]] || return 0
	awk -v kind="$1" -v object="$2" \
		'$1 == "#SYMVER" && NF == 3 { print kind, object, $2, $3 }' "$3"
}

# export_crc_changes: "OBJECT SYMBOL OLD NEW SOURCE ORIGINAL" for every
# export of a rebuilt object whose CRC differs; SOURCE says where OLD comes
# from, ORIGINAL is the unpatched object's CRC ("-" if none).
export_crc_changes() {
	local rel dir base
	while IFS= read -r rel; do
		dirname_to dir "$rel"
		basename_to base "$rel"
		symver_records new "$rel" "$RUN_DIR/patched-cmd/$dir/.$base.cmd"
		symver_records orig "$rel" "$RUN_DIR/orig/$dir/.$base.cmd"
	done <"$RUN_DIR/patched-cmd.list" |
		awk -v symvers="${SYMVERS:-/dev/null}" '
		function norm(crc) {
			crc = tolower(crc)
			sub(/^0x/, "", crc)
			while (length(crc) < 8) crc = "0" crc
			return "0x" crc
		}
		BEGIN {
			# CRC <tab> symbol <tab> module <tab> export type <tab> namespace
			while ((getline line < symvers) > 0) {
				split(line, f, "\t")
				if (f[2] != "") kernel[f[2]] = norm(f[1])
			}
		}
		$1 == "orig" { orig[$2 SUBSEP $3] = norm($4); next }
		$1 == "new"  { order[++n] = $2 SUBSEP $3; new[$2 SUBSEP $3] = norm($4) }
		END {
			for (i = 1; i <= n; i++) {
				key = order[i]; split(key, k, SUBSEP)
				was = (key in orig) ? orig[key] : "-"
				if (k[2] in kernel) {
					if (new[key] != kernel[k[2]])
						print k[1], k[2], kernel[k[2]], new[key], "Module.symvers", was
				} else if (was != "-" && new[key] != was) {
					print k[1], k[2], was, new[key], "original", was
				}
			}
		}'
}

# export_abi_verdicts CHANGES: EXPORT_ABI_VERDICT[OBJECT/SYMBOL] is
# "same", "differs<TAB>WHERE" or "unknown<TAB>WHY" for each change (lines
# of export_crc_changes) whose old CRC the unpatched object gives, from
# export-abi on the DWARF of the original and the patched object. Where
# the unpatched object already gives another CRC, the objects say nothing
# about the kernel's exports, and the change gets no verdict.
declare -gA EXPORT_ABI_VERDICT=()
export_abi_verdicts() {
	local object symbol old new source was verdict detail out status why
	local -a list objects
	local -A symbols=()
	while read -r object symbol old new source was; do
		[[ $was != "$old" ]] || symbols[$object]+=" $symbol"
	done <<<"$1"
	((${#symbols[@]})) || return 0
	mapfile -t objects < <(printf '%s\n' "${!symbols[@]}" | LC_ALL=C sort)	# a stable log
	for object in "${objects[@]}"; do
		read -ra list <<<"${symbols[$object]}"
		status=0
		out=$("$EXPORT_ABI" "$RUN_DIR/orig/$object" "$RUN_DIR/patched/$object" "${list[@]}" \
			2>"$RUN_DIR/export-abi.err") || status=$?
		log "export-abi $object ${list[*]}: exit $status"
		log "$out"
		if ((status > 1)); then
			why=$(head -n 1 "$RUN_DIR/export-abi.err")
			why=${why#export-abi: }
			why=${why//"$RUN_DIR/orig/"/}	# the object as the tree names it
			why=${why//"$RUN_DIR/patched/"/}
			for symbol in "${list[@]}"; do
				EXPORT_ABI_VERDICT[$object/$symbol]="unknown"$'\t'"${why:-export-abi failed (exit $status)}"
			done
			continue
		fi
		while IFS=$'\t' read -r symbol verdict detail; do
			[[ -n $symbol ]] || continue
			EXPORT_ABI_VERDICT[$object/$symbol]="$verdict"$'\t'"$detail"
		done <<<"$out"
	done
}

# abi_verdict_of OBJECT SYMBOL: the verdict's word and its detail, as
# "VERDICT<TAB>DETAIL" ("unknown<TAB>" when there is none).
abi_verdict_of() {
	printf '%s\n' "${EXPORT_ABI_VERDICT[$1/$2]:-unknown$'\t'}"
}

# every_abi_same CHANGES: each changed export's ABI is the same.
every_abi_same() {
	local object symbol rest
	while read -r object symbol rest; do
		[[ ${EXPORT_ABI_VERDICT[$object/$symbol]:-} == same* ]] || return 1
	done <<<"$1"
}

# crc_reference SOURCE: where the old CRC came from, as the user named it.
crc_reference() {
	if [[ $1 == Module.symvers ]]; then
		# a partial build names the file the user gave, not the tree's copy
		printf '%s\n' "in ${SYMVERS_OPTION:-$SYMVERS}"
	else
		printf '%s\n' "in the original build"
	fi
}

# accept_same_abi_crcs CHANGES: every changed export keeps its ABI (the
# CRC moved because genksyms saw more type definitions, e.g. a new
# #include): a warning per export (code export-crc-same-abi), no refusal.
# The running kernel keeps its CRCs; the module is linked against them.
accept_same_abi_crcs() {
	local object symbol old new source was
	while read -r object symbol old new source was; do
		warn "export-crc-same-abi: $object: $symbol: CRC $old $(crc_reference "$source"), $new after the patch; the same ABI in the DWARF of the original and the patched object"
		result_warning export-crc-same-abi "$object" "$symbol" \
			"$symbol: CRC $old, $new after the patch; the same ABI in the DWARF of the original and the patched object"
	done <<<"$1"
	log "export CRCs: the changed ones keep their ABI (only what genksyms sees changed); the kernel keeps its CRCs"
}

# stage_check_export_crcs: a rebuilt object's export no longer has the
# kernel's CRC. If its ABI is the same (DWARF, both objects), say so and go
# on; otherwise refuse (exit 2, code export-crc-changed).
stage_check_export_crcs() {
	[[ -s $RUN_DIR/patched-cmd.list ]] || return 0
	local changes object symbol old new source was lines=() mismatch=0 differs=0 verdict detail abi
	changes=$(export_crc_changes) || die "cannot compare the export CRCs of the rebuilt objects with $SYMVERS"
	if [[ -z $changes ]]; then
		log "export CRCs: every export of the rebuilt objects keeps the kernel's CRC"
		return 0
	fi
	export_abi_verdicts "$changes"
	if every_abi_same "$changes"; then
		accept_same_abi_crcs "$changes"
		return 0
	fi
	while read -r object symbol old new source was; do
		IFS=$'\t' read -r verdict detail < <(abi_verdict_of "$object" "$symbol")
		lines+=("export-crc-changed: $object: $symbol: CRC $old $(crc_reference "$source"), $new after the patch")
		if [[ $source == Module.symvers && $was != - && $was != "$old" ]]; then
			lines+=("  (the unpatched source gives $was: this tree or its config does not reproduce the kernel's CRCs)")
			mismatch=1
		fi
		case $verdict in
		same) abi="its ABI is the same (DWARF of the original and the patched object)" ;;
		differs) abi="its ABI differs: $detail"; differs=1 ;;
		*)
			if [[ $was != "$old" ]]; then
				abi="its ABI was not compared: the original object does not give this CRC"
			else
				abi="its ABI could not be compared: ${detail:-export-abi gave no answer}"
			fi
			;;
		esac
		lines+=("  $abi")
		result_refusal export-crc-changed "$object" "" "$symbol: CRC $old, $new after the patch; $abi"
	done <<<"$changes"
	local advice
	if ((differs)); then
		advice="The patch changes the types of exported symbols: the patched code would
disagree with the running kernel and its modules on an exported interface.
Keep exported structures and prototypes as they are (add a new function or
a shadow variable instead)."
	else
		advice="The patch changes the types these exported symbols use, as genksyms sees them,
and their ABI could not be compared from DWARF (see above). Keep exported
structures and prototypes as they are (add a new function or a shadow
variable instead). If only the CRC moves, e.g. because a new #include makes
a structure visible that was opaque before, build with debug info (then
kpatch-build compares the ABI and goes on) or hide the change from genksyms
as distributions do:
  #ifndef __GENKSYMS__
  #include <linux/...>
  #endif"
	fi
	((mismatch == 0)) || advice+="
Where the unpatched source already differs, check that -s, -c and --symvers
belong to the same kernel."
	fail "$EXIT_UNSUPPORTED" "$(printf '%s\n' "${lines[@]}")
$advice"
}
