# shellcheck shell=bash
# Unpack, configure and build the test kernel once per (package version,
# config), in the cache.  Sourced after common.sh.
#
# Layout of one cache entry, $CACHE/kernels/<version>-<hash>/:
#   linux/            the kernel tree (source and build output together,
#                     as kpatch-build -s expects)
#   manifest.sha256   sha256 of every file as unpacked (plus prep patch)
#   unpacked.stamp    mtime reference: tracked files newer than it are
#                     re-hashed by kernel_verify_tree
#   built.stamp       written only after a complete, verified build
#   signing/key.pem, signing/cert.pem
#                     the test signing key pair (generated with the entry;
#                     the certificate is in CONFIG_SYSTEM_TRUSTED_KEYS)
#   build.log, build.seconds

KERNEL_FRAGMENT=$ARCH_SUITE_DIR/config.fragment
# The common prep patch, then the architecture's own (applied in order).
KERNEL_PREP_PATCHES=("$SUITE_DIR/prep-function-sections.patch" "${ARCH_PREP_PATCHES[@]}")

kernel_pkg_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$KERNEL_PKG" 2>/dev/null) ||
		die "package $KERNEL_PKG is not installed"
	printf '%s\n' "$v"
}

# The prep patches change the vmlinux link, so they are part of the key too
# (x86_64 has none of its own: its key is unchanged by the s390x one).
kernel_key() {
	local ver hash
	ver=$(kernel_pkg_version)
	hash=$(cat "$KERNEL_FRAGMENT" "${KERNEL_PREP_PATCHES[@]}" | sha256sum | cut -c1-16)
	printf '%s-%s\n' "${ver//[^A-Za-z0-9.+-]/_}" "$hash"
}

kernel_entry() { printf '%s/kernels/%s\n' "$CACHE" "$(kernel_key)"; }

kernel_make() {
	local tree=$1
	shift
	env "${KERNEL_MAKE_ENV[@]}" make -C "$tree" -s "$@"
}

# Unpack into a temporary name and rename, so a killed unpack never
# leaves a tree that looks complete.
kernel_unpack() {
	local entry=$1 tmp p
	[[ -f $KERNEL_TARBALL ]] || die "kernel tarball $KERNEL_TARBALL not found"
	mkdir -p "$(dirname "$entry")"
	tmp=$(mktemp -d "$(dirname "$entry")/.unpack.XXXXXX")
	log "unpacking $KERNEL_TARBALL"
	tar -xJf "$KERNEL_TARBALL" -C "$tmp"
	mv "$tmp/$KERNEL_PKG" "$tmp/linux"
	for p in "${KERNEL_PREP_PATCHES[@]}"; do
		patch -s -p1 -d "$tmp/linux" <"$p"
	done
	log "recording source checksums"
	(cd "$tmp/linux" && find . -type f -print0 | sort -z |
		xargs -0 -P "$JOBS" -n 2000 sha256sum | sort -k2) >"$tmp/manifest.sha256"
	touch "$tmp/unpacked.stamp"
	mv "$tmp" "$entry"
}

# Fail naming every fragment option whose final value differs.
kernel_check_config() {
	local tree=$1 line opt want got bad=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			opt=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			opt=${BASH_REMATCH[1]} want=n
		else
			continue
		fi
		got=$(sed -n "s/^$opt=//p" "$tree/.config")
		[[ -n $got ]] || got=n
		[[ $got == "$want" ]] || bad+=("$opt (want $want, got $got)")
	done <"$KERNEL_FRAGMENT"
	if ((${#bad[@]})); then
		printf '[integration] config option not as required: %s\n' "${bad[@]}" >&2
		die "kernel config check failed (${#bad[@]} options, see above)"
	fi
}

# kernel_signing_key ENTRY: the test key pair, made once per cache entry
# (private keys stay out of the repository) with fixed parameters: a
# self-signed RSA-2048 certificate with the code-signing extensions of the
# key kbuild generates. Key, certificate and kernel belong together: the
# entry's kernel trusts exactly this certificate.
kernel_signing_key() {
	local dir=$1/signing tmp
	[[ -f $dir/key.pem && -f $dir/cert.pem ]] && return 0
	need_cmd openssl
	log "generating the test module signing key in $dir"
	tmp=$(mktemp -d "$1/.signing.XXXXXX")
	openssl req -new -x509 -newkey rsa:2048 -sha256 -nodes -days 36500 \
		-subj "/CN=kpatch-build integration test signing key/" \
		-addext basicConstraints=critical,CA:FALSE -addext keyUsage=digitalSignature \
		-addext extendedKeyUsage=codeSigning \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.log" ||
		die "openssl could not generate the test signing key: $(cat "$tmp/openssl.log")"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

kernel_configure() {
	local tree=$1 cert
	cert=$(dirname "$tree")/signing/cert.pem
	log "configuring: tinyconfig + ${KERNEL_FRAGMENT#"$TI_DIR"/}"
	kernel_make "$tree" tinyconfig >/dev/null
	(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$KERNEL_FRAGMENT") >/dev/null
	# The certificate's path depends on the cache, so it is not in the fragment.
	"$tree/scripts/config" --file "$tree/.config" --set-str SYSTEM_TRUSTED_KEYS "$cert"
	kernel_make "$tree" olddefconfig >/dev/null
	kernel_check_config "$tree"
	grep -qxF "CONFIG_SYSTEM_TRUSTED_KEYS=\"$cert\"" "$tree/.config" ||
		die "CONFIG_SYSTEM_TRUSTED_KEYS is not the test certificate $cert after olddefconfig"
}

# The exact command kpatch-build uses for the original tree, plus bzImage.
kernel_build_cmd() {
	local tree=$1
	shift
	env "${KERNEL_MAKE_ENV[@]}" make -C "$tree" -j"$JOBS" KCFLAGS="$KPATCH_KCFLAGS" "$@"
}

kernel_build() {
	local entry=$1 tree=$1/linux t0 t1 orphans
	log "building kernel in $tree (-j$JOBS, log: $entry/build.log)"
	t0=$(now_s)
	local targets=(vmlinux modules)
	# the booted image, unless it is vmlinux itself (ppc64le)
	[[ $KERNEL_IMAGE == vmlinux ]] || targets=("$(basename "$KERNEL_IMAGE")" "${targets[@]}")
	if ! kernel_build_cmd "$tree" "${targets[@]}" >"$entry/build.log" 2>&1; then
		tail -n 40 "$entry/build.log" >&2
		die "kernel build failed (full log: $entry/build.log)"
	fi
	t1=$(now_s)
	echo $((t1 - t0)) >"$entry/build.seconds"
	orphans=$(grep -c 'orphan section' "$entry/build.log" || true)
	((orphans == 0)) || warn "$orphans orphan-section warnings in $entry/build.log"
	kernel_check_uptodate "$entry"
	kernel_record_images "$entry"
	touch "$entry/built.stamp"
	log "kernel built in $((t1 - t0)) s"
}

# kpatch-build -s reruns `make vmlinux modules` with the same KCFLAGS; prove
# here that this relinks nothing, so the driver reuses our objects.
kernel_check_uptodate() {
	local entry=$1 tree=$1/linux before after
	before=$(stat -c %Y.%y "$tree/vmlinux")
	kernel_build_cmd "$tree" vmlinux modules >"$entry/rebuild.log" 2>&1 ||
		die "no-op rebuild failed (see $entry/rebuild.log)"
	after=$(stat -c %Y.%y "$tree/vmlinux")
	[[ $before == "$after" ]] ||
		die "a second 'make vmlinux modules' relinked vmlinux: the tree is not reusable"
}

# The booted bzImage and the vmlinux kpatch-build reads must stay the pair
# built here: record their hashes, compared by kernel_verify_tree.
kernel_record_images() {
	(cd "$1/linux" && sha256sum vmlinux "$KERNEL_IMAGE") >"$1/images.sha256"
}

# kernel_lock: hold the cache entry's lock until this shell exits, waiting
# for another run (or build) that holds it.
kernel_lock() {
	local lock fd
	lock=$(kernel_entry).lock
	mkdir -p "$(dirname "$lock")"
	exec {fd}>>"$lock"
	if ! flock -n "$fd"; then
		log "waiting for another test run on this kernel tree ($lock)"
		flock "$fd"
	fi
}

# Prints the tree path; builds whatever is missing.
kernel_prepare() {
	local entry
	entry=$(kernel_entry)
	need_cmd make "$KERNEL_CC" tar xz patch sha256sum dpkg-query openssl
	[[ -d $entry ]] || kernel_unpack "$entry"
	if [[ ! -f $entry/built.stamp ]]; then
		# A missing stamp means an earlier build stopped part way: redo the
		# config (idempotent) and let make finish the job.
		kernel_signing_key "$entry"
		kernel_configure "$entry/linux"
		kernel_build "$entry"
	else
		[[ -f $entry/images.sha256 ]] || kernel_record_images "$entry"
		log "reusing kernel $entry/linux (built $(cat "$entry/build.seconds" 2>/dev/null || echo '?') s)"
	fi
	printf '%s\n' "$entry/linux"
}

# Was any unpacked file changed, removed, or left behind as .orig/.rej?
kernel_verify_tree() {
	local entry=$1 tree=$1/linux tracked touched rc=0 f
	tracked=$(mktemp)
	touched=$(mktemp)
	cut -c67- "$entry/manifest.sha256" >"$tracked"
	# Only files newer than the unpack are re-hashed: fast on a built tree.
	(cd "$tree" && find . -type f -newer "$entry/unpacked.stamp" | sort |
		comm -12 - "$tracked") >"$touched"
	if [[ -s $touched ]]; then
		# shellcheck disable=SC2094 # reads the manifest, writes nothing
		if ! (cd "$tree" && grep -F -f <(sed 's/^/  /' "$touched") "$entry/manifest.sha256" |
			sha256sum --quiet -c - >&2); then
			rc=1
		fi
	fi
	while IFS= read -r f; do
		printf '[integration] source file removed: %s\n' "$f" >&2
		rc=1
	done < <(cd "$tree" && find . -type f | sort | comm -13 - "$tracked")
	while IFS= read -r f; do
		printf '[integration] stray file in source tree: %s\n' "$f" >&2
		rc=1
	done < <(cd "$tree" && find . -type f \( -name '*.orig' -o -name '*.rej' \) | sort | comm -23 - "$tracked")
	# Same content but a new mtime still makes the next make rebuild (and
	# relink vmlinux): worth a warning, the image check below is the verdict.
	while IFS= read -r f; do
		printf '[integration] WARNING: newer mtime than the unpack (make will rebuild it): %s\n' "$f" >&2
	done < <(head -n 20 "$touched")
	if [[ -f $entry/images.sha256 ]] &&
		! (cd "$tree" && sha256sum --quiet -c "$entry/images.sha256" >&2); then
		printf '[integration] vmlinux/bzImage changed since the test kernel was built\n' >&2
		rc=1
	fi
	rm -f "$tracked" "$touched"
	return "$rc"
}
