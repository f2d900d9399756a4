# shellcheck shell=bash
# lib-sign.sh: --sign KEY CERT. The verified module is signed with the
# kernel's own scripts/sign-file and the hash algorithm of the kernel's
# config, so a kernel that enforces module signatures and trusts CERT
# loads it. Only the signed module is ever written under the final name.

SIGN_KEY=""	# private key: PEM file or PKCS#11 URI
SIGN_CERT=""	# X.509 certificate of that key, PEM or DER
SIGN_HASH=""	# CONFIG_MODULE_SIG_HASH of the kernel
SIGN_FILE=""	# the sign-file program used
readonly MODULE_SIG_TRAILER="~Module signature appended~"

# expand_sign_option ARGS...: getopt gives a long option one argument
# only, so "--sign KEY CERT" becomes "--sign-key KEY --sign-cert CERT"
# (into EXPANDED_ARGS) before the options are parsed.
EXPANDED_ARGS=()
expand_sign_option() {
	EXPANDED_ARGS=()
	while (($#)); do
		case $1 in
		--) EXPANDED_ARGS+=("$@"); return 0 ;;
		--sign)
			(($# >= 3)) || usage_error "--sign needs two arguments: --sign KEY CERT"
			EXPANDED_ARGS+=(--sign-key "$2" --sign-cert "$3")
			shift 3
			continue ;;
		esac
		EXPANDED_ARGS+=("$1")
		shift
	done
}

# check_sign_options: after option parsing, so a bad key costs no build.
check_sign_options() {
	[[ -n $SIGN_KEY || -n $SIGN_CERT ]] || return 0
	[[ -n $SIGN_KEY && -n $SIGN_CERT ]] || usage_error "signing needs both the key and the certificate: --sign KEY CERT"
	if [[ $SIGN_KEY != pkcs11:* ]]; then
		[[ -f $SIGN_KEY && -r $SIGN_KEY ]] || usage_error "signing key '$SIGN_KEY' does not exist or is not readable"
		SIGN_KEY=$(readlink -f -- "$SIGN_KEY")
	fi
	[[ -f $SIGN_CERT && -r $SIGN_CERT ]] || usage_error "signing certificate '$SIGN_CERT' does not exist or is not readable"
	SIGN_CERT=$(readlink -f -- "$SIGN_CERT")
}

# check_sign_config CONFIG: the hash comes from the kernel being patched; a
# kernel without module signing has none, and a signature would be ignored.
check_sign_config() {
	[[ -n $SIGN_KEY ]] || return 0
	SIGN_HASH=$(config_value "$1" MODULE_SIG_HASH)
	SIGN_HASH=${SIGN_HASH//\"/}
	[[ -n $SIGN_HASH ]] || fail "$EXIT_USAGE" "--sign: $1 has no CONFIG_MODULE_SIG_HASH: this kernel is built without
module signing (CONFIG_MODULE_SIG), loads unsigned modules and ignores
signatures. Build without --sign."
	[[ $SIGN_HASH =~ ^[a-z0-9-]+$ ]] || die "--sign: CONFIG_MODULE_SIG_HASH='$SIGN_HASH' in $1 is not a hash algorithm name"
}

# sign_file_candidates: the tree's own (kbuild builds it with
# CONFIG_MODULE_SIG_FORMAT), then the headers package's copy for the release.
sign_file_candidates() {
	local kernel=${KERNEL_TREE:-$TREE}
	printf '%s\n' "$kernel/scripts/sign-file"
	local release=${KERNEL_RELEASE:-}
	if [[ -z $release && -f $kernel/include/config/kernel.release ]]; then
		release=$(<"$kernel/include/config/kernel.release")
	fi
	[[ -z $release ]] || printf '%s\n' "/usr/src/linux-headers-$release/scripts/sign-file" \
		"/lib/modules/$release/build/scripts/sign-file"
}

find_sign_file() {
	local candidate
	while IFS= read -r candidate; do
		[[ -x $candidate ]] || continue
		SIGN_FILE=$candidate
		return 0
	done < <(sign_file_candidates)
	return 1
}

# locate_sign_file: KPATCH_SIGN_FILE, else a built one, else build the
# tree's own with 'make scripts' (a configured tree that was never
# prepared or built has none yet).
locate_sign_file() {
	if [[ -n ${KPATCH_SIGN_FILE:-} ]]; then
		[[ -x $KPATCH_SIGN_FILE ]] || die "KPATCH_SIGN_FILE='$KPATCH_SIGN_FILE' is not an executable file"
		SIGN_FILE=$KPATCH_SIGN_FILE
		return 0
	fi
	find_sign_file && return 0
	log "no sign-file found; trying 'make scripts' in $TREE"
	run_make -- scripts || true
	find_sign_file && return 0
	die "--sign: no scripts/sign-file in $TREE, and 'make scripts' did not build it
(kbuild builds it when CONFIG_MODULE_SIG_FORMAT=y, and needs libssl-dev).
Looked in: $(sign_file_candidates | tr '\n' ' ')
Install the kernel's headers package (it has a copy), or set KPATCH_SIGN_FILE."
}

# stage_sign_module: sign a copy, check the result, then let it replace
# the unsigned module that install_output_module writes out.
stage_sign_module() {
	[[ -n $SIGN_KEY ]] || return 0
	local module=$RUN_DIR/module/$NAME.ko signed=$RUN_DIR/module/$NAME.ko.signed
	local out=$RUN_DIR/sign-file.out rc=0
	stage_begin "Signing module $NAME.ko"
	locate_sign_file
	: >"$out"
	log "$ $SIGN_FILE $SIGN_HASH $SIGN_KEY $SIGN_CERT $module $signed"
	run_child "$out" "$out" "$SIGN_FILE" "$SIGN_HASH" "$SIGN_KEY" "$SIGN_CERT" "$module" "$signed" || rc=$?
	cat -- "$out" >>"$LOG_FILE"
	if ((rc)); then
		show_log_excerpt "$out"
		die "signing $NAME.ko failed ($SIGN_FILE exit $rc, messages above); no module was written.
Check that $SIGN_KEY is the private key of $SIGN_CERT,
in a format sign-file reads (PEM key, PEM or DER certificate), and that
the hash '$SIGN_HASH' (CONFIG_MODULE_SIG_HASH) is one OpenSSL knows."
	fi
	# The kernel looks for the trailer and its newline at the very end.
	[[ -s $signed && $(tail -c $((${#MODULE_SIG_TRAILER} + 1)) -- "$signed") == "$MODULE_SIG_TRAILER" ]] ||
		die "$SIGN_FILE exited 0 but $signed does not end with a module signature; no module was written"
	mv -f -- "$signed" "$module"
	stage_end "$SIGN_HASH, $(basename -- "$SIGN_CERT")"
}
