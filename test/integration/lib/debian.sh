# shellcheck shell=bash disable=SC2034
# Debian's shipping kernels as a user has them: the packages of one exact
# kernel version (downloaded once, cached), its unpacked source tree, the
# kpatch-build options that point at them, and host-side checks of a built
# module. Used by debian/run and by test/bench/realfix. Sourced after
# common.sh. Globals read: LINE (kernel line, e.g. 6.12), FRESH (0: keep an
# unpacked tree), ROOT/REL (set by the caller from fetch_packages and
# abi_release), WORK; set: UNPACKED=1 when unpack_tree unpacked.

# ---- the Debian packages ------------------------------------------------

# source_version: the linux-source-<line> version to test: the installed
# one, else the newest apt knows.
source_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "linux-source-$LINE" 2>/dev/null) || true
	[[ -n $v ]] || v=$(apt-cache policy "linux-source-$LINE" | awk '/Candidate:/ { print $2 }')
	[[ -n $v && $v != "(none)" ]] ||
		die "apt knows no linux-source-$LINE (run apt-get update; is this Debian 12 with bookworm-security/backports?)"
	echo "$v"
}

# abi_release VERSION: the uname -r of the cloud image built from that
# source version. The image package's name carries the ABI, which is not
# derivable from the version, so pick the image package whose Source
# version is exactly VERSION.
abi_release() {
	local version=$1 src pkgs rel
	src=$(apt-cache show "linux-source-$LINE" | awk '/^Source:/ { print $2; exit }')
	src=${src:-linux}
	mapfile -t pkgs < <(apt-cache search --names-only '^linux-image-.*-cloud-amd64-unsigned$' | awk '{ print $1 }')
	((${#pkgs[@]})) || die "apt knows no linux-image-*-cloud-amd64-unsigned packages"
	rel=$(apt-cache show "${pkgs[@]}" 2>/dev/null | awk -v v="$version" -v s="$src" '
		/^Package:/ { p = $2; ps = ""; pv = "" }
		/^Source:/ { ps = $2 }
		/^Version:/ { pv = $2 }
		/^$/ { if (pv == v && (ps == s || ps == "")) print p }
		END { if (pv == v && (ps == s || ps == "")) print p }' |
		sed -n 's/^linux-image-\(.*-cloud-amd64\)-unsigned$/\1/p' | sort -u | head -n 1)
	[[ -n $rel ]] || die "no linux-image-*-cloud-amd64-unsigned package of source $src version $version"
	echo "$rel"
}

# fetch_packages VERSION RELEASE DIR: download (cached) and unpack into DIR/root.
fetch_packages() {
	local version=$1 rel=$2 dir=$3 pkgs common
	[[ -f $dir/unpacked.stamp ]] && return 0
	pkgs=("linux-image-$rel-unsigned" "linux-image-$rel-dbg" "linux-headers-$rel")
	common=$(apt-cache show "linux-headers-$rel=$version" | sed -n 's/^Depends:.*\(linux-headers-[^ ,]*-common\)[ ,].*/\1/p' | head -n 1)
	[[ -z $common ]] || pkgs+=("$common")
	source_installed "$version" || pkgs+=("linux-source-$LINE")
	download_unpack "$version" "$dir" "${pkgs[@]}"
	touch "$dir/unpacked.stamp"
}

# fetch_source VERSION DIR: only linux-source-LINE of VERSION (cached) in
# DIR/root, for a kernel that is diffed against, not built.
fetch_source() {
	local version=$1 dir=$2
	[[ -f $dir/unpacked.stamp || -f $dir/source.stamp ]] && return 0
	source_installed "$version" || download_unpack "$version" "$dir" "linux-source-$LINE"
	touch "$dir/source.stamp"
}

source_installed() {
	dpkg-query -W -f='${Version}' "linux-source-$LINE" 2>/dev/null | grep -qxF -- "$1"
}

# download_unpack VERSION DIR PKG...: apt-get download PKG=VERSION into
# DIR/debs and unpack them all (never installed) into a fresh DIR/root.
download_unpack() {
	local version=$1 dir=$2 deb
	shift 2
	mkdir -p "$dir/debs"
	log "downloading $* ($version)"
	(cd "$dir/debs" && apt-get download -q "${@/%/=$version}") >"$dir/download.log" 2>&1 ||
		die "apt-get download failed; see $dir/download.log"
	rm -rf "$dir/root"
	mkdir -p "$dir/root"
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root" || die "cannot unpack $deb"
	done
}

tarball_of() {
	local version=$1 dir=$2 t=/usr/src/linux-source-$LINE.tar.xz
	if source_installed "$version"; then
		echo "$t"
	else
		echo "$dir/root$t"
	fi
}

# unpack_tree TARBALL DIR: DIR/tree, freshly unpacked when asked.
unpack_tree() {
	local tarball=$1 dir=$2 tmp t0
	if ((FRESH == 0)) && [[ -f $dir/tree.stamp ]]; then
		return 0
	fi
	t0=$(now_s)
	rm -rf "$dir/tree" "$dir/tree.stamp" "$dir"/.tree.*
	tmp=$(mktemp -d "$dir/.tree.XXXXXX")
	tar -C "$tmp" -xf "$tarball" || die "cannot unpack $tarball"
	mv "$tmp"/linux-source-* "$dir/tree"
	rmdir "$tmp"
	touch "$dir/tree.stamp"
	UNPACKED=1
	log "unpacked $tarball in $(($(now_s) - t0))s"
}

# debian_build_args: the kpatch-build options for the kernel REL unpacked
# in ROOT (config, -dbg vmlinux, Module.symvers, the image's modules).
debian_build_args() {
	printf '%s\n' -c "$ROOT/boot/config-$REL" -v "$ROOT/usr/lib/debug/boot/vmlinux-$REL" \
		--symvers "$ROOT/usr/src/linux-headers-$REL/Module.symvers" --modules-dir "$ROOT/lib/modules/$REL"
}

# starts_with_endbr ELF FUNC: the first bytes of FUNC are endbr64
# (f3 0f 1e fa). Read through the section headers, so it works for
# vmlinux and for relocatable modules alike.
starts_with_endbr() {
	local elf=$1 func=$2 value ndx addr offset
	read -r value ndx < <(LC_ALL=C readelf -sW "$elf" | awk -v f="$func" '$8 == f && $4 == "FUNC" && $7 ~ /^[0-9]+$/ { print $2, $7; exit }')
	[[ -n ${ndx:-} ]] || return 2
	read -r addr offset < <(LC_ALL=C readelf -SW "$elf" | sed 's/^ *\[ *\([0-9]*\)\]/\1/' |
		awk -v n="$ndx" '$1 == n { print $4, $5 }')
	[[ $(od -A n -t x1 -j $((16#$offset + 16#$value - 16#$addr)) -N 4 "$elf" | tr -d ' \n') == f30f1efa ]]
}

# parent_file PARENT: the kernel's own copy of a patched function's parent.
parent_file() {
	if [[ $1 == vmlinux ]]; then
		echo "$ROOT/usr/lib/debug/boot/vmlinux-$REL"
	else
		find "$ROOT/usr/lib/debug/lib/modules/$REL" -name "$1.ko" -o -name "${1//_/-}.ko" | head -n 1
	fi
}

# check_module KO LOG: the tables objtool makes (ORC, return/call/retpoline/
# static call sites, ENDBR seal list) point only into the module; a patched
# function starts with ENDBR where the kernel's copy does (IBT kernels), and
# is not sealed.
check_module() {
	local ko=$1 log=$2 defined outside func parent seals ssec saddend value ndx sec kernel
	defined=$( {
		LC_ALL=C readelf -sW "$ko" | awk '$7 ~ /^[0-9]+$/ { print $8 }'
		LC_ALL=C readelf -SW "$ko" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p'
	} | sort -u)
	outside=$(LC_ALL=C readelf -rW "$ko" | awk '
		/^Relocation section/ { sec = $3; gsub(/\047/, "", sec); n = 0; next }
		sec ~ /^\.rela(\.return_sites|\.retpoline_sites|\.call_sites|\.orc_unwind_ip|\.static_call_sites|\.ibt_endbr_seal)$/ && /R_X86_64/ {
			# static call sites are {site, key} pairs: the key may be the kernel'"'"'s
			if (sec == ".rela.static_call_sites" && n++ % 2 == 1) next
			print sec, $5 }' | while read -r sec func; do
		grep -qxF -- "$func" <<<"$defined" || echo "$sec -> $func"
	done)
	[[ -z $outside ]] || { echo "objtool table entries point outside the module: $(head -n 3 <<<"$outside" | tr '\n' ';')"; return 1; }
	grep -q '^CONFIG_X86_KERNEL_IBT=y' "$ROOT/boot/config-$REL" || return 0
	seals=$(LC_ALL=C readelf -rW "$ko" | awk '/^Relocation section/ { s = ($3 ~ /ibt_endbr_seal/) } s && /R_X86_64/ { print $5, $7 }')
	while read -r parent func; do
		kernel=$(parent_file "$parent")
		if [[ -n $kernel ]] && starts_with_endbr "$kernel" "$func" && ! starts_with_endbr "$ko" "$func"; then
			echo "patched function $func starts with ENDBR in $parent but not in the module"
			return 1
		fi
		read -r value ndx < <(LC_ALL=C readelf -sW "$ko" | awk -v f="$func" '$8 == f && $4 == "FUNC" { print $2, $7; exit }')
		[[ -n ${ndx:-} ]] || { echo "patched function $func missing from the module"; return 1; }
		sec=$(LC_ALL=C readelf -SW "$ko" | sed 's/^ *\[ *\([0-9]*\)\]/\1/' | awk -v n="$ndx" '$1 == n { print $2 }')
		while read -r ssec saddend; do
			if [[ $ssec == "$sec" && -n $saddend ]] && ((16#$saddend == 16#$value)); then
				echo "patched function $func is sealed (.ibt_endbr_seal)"
				return 1
			fi
		done <<<"$seals"
	done < <(sed -n 's/^  \([^ ]*\): \([^ ]*\) (changed)$/\1 \2/p' "$log" | sort -u)
	return 0
}

# plain_module REL: the image's module, decompressed (busybox insmod reads
# only plain ELF).
plain_module() {
	local rel=$1 src dest=$WORK/modules/$1
	local c
	src=""
	for c in "$ROOT/lib/modules/$REL/$rel" "$ROOT/lib/modules/$REL/$rel".{xz,zst}; do
		[[ -f $c ]] && src=$c && break
	done
	[[ -n $src ]] || die "module $rel not found under $ROOT/lib/modules/$REL"
	mkdir -p "$(dirname "$dest")"
	case $src in
	*.xz) xz -dc "$src" >"$dest" ;;
	*.zst) zstd -qdc "$src" >"$dest" ;;
	*) cp "$src" "$dest" ;;
	esac
	echo "$dest"
}

