#!/bin/bash
# kpatch-build --sign on the toy tree: the kernel's sign-file (a stand-in
# here; the real one signs in the integration suite, where a kernel with
# module.sig_enforce=1 loads the result) gets the config's hash, the key
# and the certificate; bad keys, a kernel without module signing and a
# failing sign-file are errors that leave no module behind.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=kpatch-build-fixtures/common.sh
source "$(dirname "$0")/kpatch-build-fixtures/common.sh"

make_tree "$WORK/tree"
TREE=$WORK/tree
OUT=$WORK/out-dir
MODULE=$OUT/livepatch-fix.ko
mkdir -p "$OUT"
make_patch "$TREE" kernel/core.c 's/x - 7/x - 8/' "$WORK/fix.patch"
echo 'CONFIG_MODULE_SIG=y' >>"$TREE/.config"
echo 'CONFIG_MODULE_SIG_HASH="sha512"' >>"$TREE/.config"
# A real key pair: the checks must accept what openssl makes.
openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=kpatch-build test/" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 ||
	{ echo "openssl cannot make a key pair"; exit 1; }

# The stand-in: sign-file's arguments (HASH KEY CERT MODULE DEST), its
# output a copy with a signature block and the kernel's trailer.
# FAKE_SIGN_MODE=fail fails like an OpenSSL error, =notrailer writes an
# unsigned copy.
export FAKE_SIGN_LOG=$WORK/sign.log
cat >"$WORK/sign-file" <<'FAKE'
#!/bin/bash
printf '%s\n' "$*" >>"$FAKE_SIGN_LOG"
(($# == 5)) || { echo "Usage: sign-file HASH KEY CERT MODULE DEST" >&2; exit 2; }
case ${FAKE_SIGN_MODE:-} in
fail) echo "At main.c:170: - SSL error:1E08010C:DECODER routines::unsupported" >&2; exit 1 ;;
notrailer) cp "$4" "$5"; exit 0 ;;
esac
{ cat "$4"; printf 'PKCS7-for-%s\n~Module signature appended~\n' "$1"; } >"$5"
FAKE
chmod +x "$WORK/sign-file"
cp "$WORK/sign-file" "$TREE/scripts/sign-file"
snapshot "$TREE" >"$WORK/snap"

ends_with_signature() {
	[[ $(tail -c 28 "$1") == "~Module signature appended~" ]]
}

# --- signing with the tree's own scripts/sign-file
expect_status 0 "--sign KEY CERT" -s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "sign-file of the tree, hash from CONFIG_MODULE_SIG_HASH, key, cert" \
	grep -q -E "^sha512 $WORK/key.pem $WORK/cert.pem .*/module/livepatch-fix.ko .*/module/livepatch-fix.ko.signed$" "$FAKE_SIGN_LOG"
check "stage line names hash and certificate" output_has '^Signing module livepatch-fix.ko \.\.\. done \([0-9]+s, sha512, cert.pem\)$'
check "the written module is the signed one" ends_with_signature "$MODULE"
check "signed after verification" sh -c "grep -n -e '=== Verifying' -e '=== Signing' '$KPATCH_BUILD_CACHE/last-build.log' | head -n 1 | grep -q Verifying"
check "tree identical after signing" same_tree "$TREE" "$WORK/snap"
unsigned_size=$(($(stat -c %s "$MODULE") - $(printf 'PKCS7-for-sha512\n~Module signature appended~\n' | wc -c)))
expect_status 0 "the same build without --sign" -s "$TREE" -o "$WORK" "$WORK/fix.patch"
check "signature appended to the very module an unsigned build gives" \
	cmp -s -n "$unsigned_size" "$WORK/livepatch-fix.ko" "$MODULE"
check "and an unsigned build is not signed" sh -c "! tail -c 28 '$WORK/livepatch-fix.ko' | grep -q 'Module signature'"

# --- KPATCH_SIGN_FILE
: >"$FAKE_SIGN_LOG"
cp "$WORK/sign-file" "$WORK/other-sign-file"
sed -i 's/PKCS7-for-/OTHER-/' "$WORK/other-sign-file"
KPATCH_SIGN_FILE=$WORK/other-sign-file expect_status 0 "KPATCH_SIGN_FILE chooses sign-file" \
	-s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "KPATCH_SIGN_FILE: that program signed" grep -q 'OTHER-sha512' "$MODULE"

# --- usage errors: before any build
rm -f "$MODULE"
expect_status 4 "--sign with a missing key" -s "$TREE" -o "$OUT" --sign "$WORK/nokey.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "missing key named" output_has "signing key '$WORK/nokey.pem' does not exist or is not readable"
expect_status 4 "--sign with a missing certificate" -s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/nocert.pem" "$WORK/fix.patch"
check "missing certificate named" output_has "signing certificate '$WORK/nocert.pem' does not exist"
expect_status 4 "--sign with a directory as key" -s "$TREE" -o "$OUT" --sign "$WORK" "$WORK/cert.pem" "$WORK/fix.patch"
expect_status 4 "--sign with one argument" -s "$TREE" -o "$OUT" "$WORK/fix.patch" --sign "$WORK/key.pem"
check "--sign: says it needs two" output_has "--sign needs two arguments: --sign KEY CERT"
expect_status 4 "--sign-key without --sign-cert" -s "$TREE" -o "$OUT" --sign-key "$WORK/key.pem" "$WORK/fix.patch"
check "usage errors: no module" test ! -e "$MODULE"

sed -i '/MODULE_SIG/d' "$TREE/.config"
snapshot "$TREE" >"$WORK/snap-nosig"
expect_status 4 "--sign for a kernel without module signing" -s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "no signing: explains" output_has "has no CONFIG_MODULE_SIG_HASH: this kernel is built without"
check "no signing: refused before building" sh -c "! grep -q 'Building original' '$WORK/out'"
check "no signing: no module" test ! -e "$MODULE"
check "no signing: tree identical" same_tree "$TREE" "$WORK/snap-nosig"
printf '%s\n' 'CONFIG_MODULE_SIG=y' 'CONFIG_MODULE_SIG_HASH="sha256"' >>"$TREE/.config"

# --- sign-file failures: an error, and nothing under the final name
: >"$FAKE_SIGN_LOG"
echo "an older module" >"$MODULE"
FAKE_SIGN_MODE=fail expect_status 1 "sign-file fails" -s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "sign-file failure: its message shown" output_has 'SSL error:1E08010C'
check "sign-file failure: explained" output_has "signing livepatch-fix.ko failed .*exit 1.*no module was written"
check "sign-file failure: says what to check" output_has "is the private key of $WORK/cert.pem"
check "sign-file failure: hash from the new config" grep -q '^sha256 ' "$FAKE_SIGN_LOG"
check "sign-file failure: the older module is left as it was, not replaced by an unsigned one" grep -qx "an older module" "$MODULE"
check "sign-file failure: no temporary file" test "$(ls -A "$OUT")" = livepatch-fix.ko
rm -f "$MODULE"
FAKE_SIGN_MODE=notrailer expect_status 1 "sign-file writes no signature" -s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "no signature: explained" output_has "does not end with a module signature; no module was written"
check "no signature: no module" test ! -e "$MODULE"

# --- no sign-file at all: make scripts is tried, then a clear error
rm -f "$TREE/scripts/sign-file" "$MODULE"
snapshot "$TREE" >"$WORK/snap-nosignfile"
expect_status 1 "no sign-file anywhere" -s "$TREE" -o "$OUT" --sign "$WORK/key.pem" "$WORK/cert.pem" "$WORK/fix.patch"
check "no sign-file: says where it looked and what to do" output_has "no scripts/sign-file in $TREE, and 'make scripts' did not build it"
check "no sign-file: make scripts was tried" grep -q "trying 'make scripts'" "$KPATCH_BUILD_CACHE/last-build.log"
check "no sign-file: no module" test ! -e "$MODULE"
check "no sign-file: tree identical" same_tree "$TREE" "$WORK/snap-nosignfile"

finish
