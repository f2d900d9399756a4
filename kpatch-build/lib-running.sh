# shellcheck shell=bash
# lib-running.sh: the running-kernel mode. Without -s, on Debian,
# kpatch-build finds everything a partial build needs for a packaged
# kernel (uname -r, or -r REL) by itself: the kernel's source package
# (unpacked once into the cache), its config, the -dbg vmlinux, the
# headers' Module.symvers and its modules. The packages come from the
# system (dpkg), or from .deb files in a directory (--from-debs), which are
# unpacked into the cache instead of installed. What is missing is named
# with the apt-get line that provides it, at the kernel's exact version.
#
# Test hooks: KPATCH_ROOT prefixes every system path, KPATCH_UNAME and
# KPATCH_DPKG_QUERY replace uname and dpkg-query, KPATCH_APT_GET apt-get.

RUNNING_RELEASE=""	# -r
FROM_DEBS=""		# --from-debs
INSTALL_DEPS=0		# --install-deps
PRINT_INPUTS=0		# --print-inputs

KERNEL_VERSION=""	# the kernel image package's version
IMAGE_PACKAGE=""	# the package (or .deb) giving it
SOURCE_TARBALL=""	# linux-source-X.Y.tar.xz of KERNEL_VERSION
SOURCE_TREE=""		# its unpacked tree in the cache
MISSING_PACKAGES=()	# PKG=VERSION, for the apt-get line
MISSING_TEXT=""		# one line per missing piece
MISMATCH_TEXT=""	# a source package of another version
declare -A DEB_VERSIONS=()	# package name -> versions of its .debs in DIR

system_path() {
	printf '%s%s\n' "${KPATCH_ROOT:-}" "$1"
}

dpkg_query() {
	"${KPATCH_DPKG_QUERY:-dpkg-query}" "$@"
}

# installed_version PKG: its version if dpkg has it installed, else nothing.
installed_version() {
	local status="" version=""
	# shellcheck disable=SC2016 # dpkg-query expands them
	IFS=$'\t' read -r status version < <(dpkg_query -W -f='${Status}\t${Version}\n' -- "$1" 2>/dev/null) || true
	if [[ $status == *" installed" ]]; then
		printf '%s\n' "$version"
	fi
}

# source_line VERSION: the X.Y of linux-source-X.Y for a kernel version
# (6.12.111-1~deb12u1 -> 6.12, 6.1.192-3 -> 6.1).
source_line() {
	[[ $1 =~ ^([0-9]+:)?([0-9]+\.[0-9]+) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[2]}"
}

# check_running_options: the running-kernel options make no sense with -s.
check_running_options() {
	[[ -z $RUNNING_RELEASE && -z $FROM_DEBS ]] && ((INSTALL_DEPS == 0 && PRINT_INPUTS == 0)) && return 0
	usage_error "-r, --from-debs, --install-deps and --print-inputs are for the running-kernel mode (without -s)"
}

# scan_debs DIR: DEB_VERSIONS and the files of each package, from the
# packages' own control data (file names can lie).
declare -A DEB_FILES=()	# "package version" -> file
scan_debs() {
	local deb package version
	shopt -s nullglob
	for deb in "$1"/*.deb; do
		package=$(dpkg-deb -f "$deb" Package 2>/dev/null) || continue
		version=$(dpkg-deb -f "$deb" Version 2>/dev/null) || continue
		DEB_FILES["$package $version"]=$deb
		DEB_VERSIONS[$package]+="${DEB_VERSIONS[$package]:+ }$version"
	done
	shopt -u nullglob
}

# release_from_debs: the one release whose image package is in the
# --from-debs directory, if there is exactly one.
release_from_debs() {
	local package releases
	releases=$(for package in "${!DEB_VERSIONS[@]}"; do
		[[ $package =~ ^linux-image-(.+[^g])(-unsigned)?$ && $package != *-dbg ]] &&
			printf '%s\n' "${BASH_REMATCH[1]%-unsigned}"
	done | LC_ALL=C sort -u)
	[[ -n $releases ]] || usage_error "$FROM_DEBS holds no linux-image-REL or linux-image-REL-unsigned package"
	[[ $releases != *$'\n'* ]] ||
		usage_error "$FROM_DEBS holds the images of several kernels ($(tr '\n' ' ' <<<"$releases" | sed 's/ $//')); choose one with -r REL"
	printf '%s\n' "$releases"
}

# find_kernel_version REL: KERNEL_VERSION and IMAGE_PACKAGE, from the
# --from-debs directory first, else from the installed packages.
find_kernel_version() {
	local rel=$1 package version
	for package in "linux-image-$rel-unsigned" "linux-image-$rel"; do
		for version in ${DEB_VERSIONS[$package]:-}; do
			KERNEL_VERSION=$version
			IMAGE_PACKAGE=$package
			return 0
		done
	done
	for package in "linux-image-$rel-unsigned" "linux-image-$rel"; do
		version=$(installed_version "$package")
		if [[ -n $version ]]; then
			KERNEL_VERSION=$version
			IMAGE_PACKAGE=$package
			return 0
		fi
	done
	usage_error "no -s given, and kernel $rel is not a Debian package's: dpkg has neither
linux-image-$rel nor linux-image-$rel-unsigned installed${FROM_DEBS:+, and $FROM_DEBS holds neither}.
Without -s, kpatch-build builds for Debian's packaged kernels only. For another
kernel, pass -s DIR (its configured source tree), and -v FILE for a partial build."
}

# deb_at_version PACKAGE: its .deb in the --from-debs directory at the
# kernel's version, if there is one.
deb_at_version() {
	[[ -n $FROM_DEBS ]] || return 1
	local deb=${DEB_FILES["$1 $KERNEL_VERSION"]:-}
	[[ -n $deb ]] || return 1
	printf '%s\n' "$deb"
}

# piece_root KEY PACKAGE DESCRIPTION PATH: PIECE_ROOT[KEY] is where PATH
# of PACKAGE is: its .deb from --from-debs (unpacked later, by
# unpack_needed_debs), or the system if dpkg has it installed at the
# kernel's version. Otherwise it is noted as missing (DESCRIPTION says what
# it is for).
declare -A PIECE_ROOT=()
declare -A NEEDED_DEBS=()	# .deb -> a path it must hold
piece_root() {
	local key=$1 package=$2 description=$3 path=$4 deb installed
	if deb=$(deb_at_version "$package"); then
		PIECE_ROOT[$key]=$(deb_cache_dir "$deb")
		NEEDED_DEBS[$deb]=$path
		return 0
	fi
	installed=$(installed_version "$package")
	if [[ $installed == "$KERNEL_VERSION" && -e $(system_path "$path") ]]; then
		PIECE_ROOT[$key]=$(system_path "")
		return 0
	fi
	note_missing "$package" "$description" "$path" "$installed"
}

note_missing() {
	local package=$1 description=$2 path=$3 installed=$4 why
	if [[ -z $installed ]]; then
		why="not installed"
	elif [[ $installed != "$KERNEL_VERSION" ]]; then
		why="version $installed installed"
	else
		why="installed, but $(system_path "$path") is missing"
	fi
	if [[ -n $FROM_DEBS ]]; then
		if [[ -n ${DEB_VERSIONS[$package]:-} ]]; then
			why+=", $FROM_DEBS has version ${DEB_VERSIONS[$package]}"
		else
			why+=", not in $FROM_DEBS"
		fi
	fi
	MISSING_PACKAGES+=("$package=$KERNEL_VERSION")
	MISSING_TEXT+="  $path ($description): $package $KERNEL_VERSION, $why"$'\n'
}

# unpack_once DEST WHAT FUNCTION ARGS...: DEST is created once, by
# FUNCTION ARGS TMPDIR filling a temporary directory that is then renamed
# to DEST, so DEST is complete or absent. A lock makes concurrent runs wait
# for the one unpacking.
unpack_once() {
	local dest=$1 what=$2 lock_fd tmp
	shift 2
	[[ -d $dest ]] && return 0
	mkdir -p "$(dirname "$dest")" || die "cannot create $(dirname "$dest"); set KPATCH_BUILD_CACHE to a writable directory"
	exec {lock_fd}>>"$dest.lock"
	if ! flock -n "$lock_fd"; then
		info "Waiting for another kpatch-build unpacking $what ..."
		flock "$lock_fd"
	fi
	if [[ ! -d $dest ]]; then
		# Left by a run that was killed while unpacking.
		rm -rf -- "$dest".tmp.*
		tmp=$(mktemp -d "$dest.tmp.XXXXXX")
		stage_begin "Unpacking $what into $dest"
		if ! "$@" "$tmp"; then
			rm -rf -- "$tmp"
			die "cannot unpack $what (see the messages above); nothing was kept"
		fi
		mv -T -- "$tmp" "$dest"
		stage_end "once for this version"
	fi
	exec {lock_fd}>&-
}

extract_deb() {
	dpkg-deb -x "$1" "$2"
}

# A linux-source tarball holds linux-source-X.Y/; DEST becomes that directory.
extract_tarball() {
	tar -C "$2" --strip-components=1 -xf "$1"
}

# deb_cache_dir DEB: where it is unpacked in the cache.
deb_cache_dir() {
	printf '%s\n' "$CACHE_DIR/debs/$(basename "$1" .deb)"
}

# unpack_needed_debs: each .deb the build takes files from, unpacked once;
# it must hold the file it was taken for.
unpack_needed_debs() {
	local deb dir
	while IFS= read -r deb; do
		dir=$(deb_cache_dir "$deb")
		unpack_once "$dir" "$(basename "$deb")" extract_deb "$deb"
		[[ -e $dir${NEEDED_DEBS[$deb]} ]] || die "$deb has no ${NEEDED_DEBS[$deb]}; is it the right package?"
	done < <(printf '%s\n' "${!NEEDED_DEBS[@]}" | LC_ALL=C sort | sed '/^$/d')
}

# cache_name VERSION: a directory name kbuild copes with (no ':').
cache_name() {
	printf '%s\n' "${1//:/_}"
}

# resolve_source_package: SOURCE_TARBALL of the kernel's version, from the
# --from-debs directory or the installed linux-source-X.Y. Another version
# is a mismatch, not a missing piece: the user has it, and it is wrong.
resolve_source_package() {
	local line package tarball deb installed versions
	line=$(source_line "$KERNEL_VERSION") || die "cannot tell the kernel line (X.Y) from version '$KERNEL_VERSION' of $IMAGE_PACKAGE"
	package=linux-source-$line
	tarball=/usr/src/linux-source-$line.tar.xz
	if deb=$(deb_at_version "$package"); then
		SOURCE_TARBALL=$(deb_cache_dir "$deb")$tarball
		NEEDED_DEBS[$deb]=$tarball
		return 0
	fi
	installed=$(installed_version "$package")
	if [[ $installed == "$KERNEL_VERSION" && -f $(system_path "$tarball") ]]; then
		SOURCE_TARBALL=$(system_path "$tarball")
		return 0
	fi
	versions=${DEB_VERSIONS[$package]:-}
	if [[ -n $installed && $installed != "$KERNEL_VERSION" ]] || [[ -n $versions ]]; then
		local fetch="mkdir -p DIR && cd DIR" next_step="and pass --from-debs DIR (the kernel's other packages may stay installed)"
		[[ -z $FROM_DEBS ]] || { fetch="cd $FROM_DEBS"; next_step="and run again"; }
		installed=${installed:+$installed (installed)}
		versions=${versions:+$versions in $FROM_DEBS}
		MISMATCH_TEXT="$package is version $installed${installed:+${versions:+, }}$versions, but kernel $RUNNING_RELEASE is version $KERNEL_VERSION
($IMAGE_PACKAGE): that source would not match the kernel. Fetch the matching one:
  $fetch && apt-get download $package=$KERNEL_VERSION
$next_step.
If the archive no longer has that version, snapshot.debian.org does."
		return 0
	fi
	note_missing "$package" "the kernel's source" "$tarball" "$installed"
}

# apt_get ARGS...: apt-get, or the test's stand-in.
apt_get() {
	"${KPATCH_APT_GET:-apt-get}" "$@"
}

# install_missing: --install-deps. apt-get install as root; with
# --from-debs, apt-get download into that directory (no root needed).
install_missing() {
	if [[ -n $FROM_DEBS ]]; then
		info "Downloading into $FROM_DEBS: apt-get download ${MISSING_PACKAGES[*]}"
		(cd "$FROM_DEBS" && apt_get download "${MISSING_PACKAGES[@]}") ||
			die "apt-get download ${MISSING_PACKAGES[*]} failed (messages above)"
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "--install-deps runs 'apt-get install', which needs root. Run kpatch-build as root
(e.g. with sudo), or install them yourself:
  apt-get install ${MISSING_PACKAGES[*]}"
	info "Installing: apt-get install -y ${MISSING_PACKAGES[*]}"
	apt_get install -y "${MISSING_PACKAGES[@]}" ||
		die "apt-get install ${MISSING_PACKAGES[*]} failed (messages above)"
}

# The host tools and headers the kernel's own build steps need when the
# tree is prepared (modules_prepare: objtool, certs, resolve_btfids); a
# Debian kernel enables BTF, which needs pahole and, for resolve_btfids'
# libbpf, python3. Checked first, so that a missing one is named with its
# install line instead of failing inside kbuild.
BUILD_TOOLS=(bc:bc bison:bison flex:flex perl:perl python3:python3 pahole:dwarves xz:xz-utils)
BUILD_HEADERS=(gelf.h:libelf-dev openssl/opensslv.h:libssl-dev)
MISSING_TOOLS=()

# note_build_tools: each missing tool or header, with its package. The
# packages join the kernel's missing packages (one install line); with
# --from-debs, whose packages are downloaded, they get a line of their own.
note_build_tools() {
	local entry name package line
	MISSING_TOOLS=()
	for entry in "${BUILD_TOOLS[@]}" "${BUILD_HEADERS[@]}"; do
		name=${entry%%:*} package=${entry#*:}
		if [[ $name == *.h ]]; then
			[[ ! -e ${KPATCH_INCLUDE_DIR:-/usr/include}/$name ]] || continue
			line="  ${KPATCH_INCLUDE_DIR:-/usr/include}/$name (a header the kernel's build tools compile with): $package, not installed"
		else
			! command -v "$name" >/dev/null || continue
			line="  $name (run by the kernel's build): $package, not installed"
		fi
		MISSING_TEXT+="$line"$'\n'
		if [[ -n $FROM_DEBS ]]; then
			MISSING_TOOLS+=("$package")
		else
			MISSING_PACKAGES+=("$package")
		fi
	done
}

# collect_running_inputs: every input the partial build needs that the
# user did not give. Missing ones are noted, not fatal yet.
collect_running_inputs() {
	local rel=$RUNNING_RELEASE
	MISSING_PACKAGES=()
	MISSING_TEXT=""
	MISMATCH_TEXT=""
	PIECE_ROOT=()
	NEEDED_DEBS=()
	[[ -n $CONFIG_FILE ]] || piece_root config "$IMAGE_PACKAGE" "the kernel's config" "/boot/config-$rel"
	[[ -n $MODULES_DIR ]] || piece_root modules "$IMAGE_PACKAGE" "the kernel's modules" "/lib/modules/$rel"
	[[ -n $VMLINUX_OPTION ]] || piece_root vmlinux "linux-image-$rel-dbg" "vmlinux with symbols and DWARF" "/usr/lib/debug/boot/vmlinux-$rel"
	[[ -n $SYMVERS_OPTION ]] || piece_root symvers "linux-headers-$rel" "export CRCs" "/usr/src/linux-headers-$rel/Module.symvers"
	resolve_source_package
	note_build_tools
}

# report_running_problems: one message with every missing piece and the
# apt-get line that provides them all, and a source version mismatch.
report_running_problems() {
	local text="" packages
	if ((${#MISSING_PACKAGES[@]} || ${#MISSING_TOOLS[@]})); then
		((${#MISSING_PACKAGES[@]} == 0)) ||
			mapfile -t MISSING_PACKAGES < <(printf '%s\n' "${MISSING_PACKAGES[@]}" | awk '!seen[$0]++')
		packages=${MISSING_PACKAGES[*]}
		text="kernel $RUNNING_RELEASE ($IMAGE_PACKAGE $KERNEL_VERSION): inputs of the build are missing:
${MISSING_TEXT%$'\n'}"
		if [[ -n $FROM_DEBS ]]; then
			((${#MISSING_PACKAGES[@]} == 0)) || text+="
Download them into $FROM_DEBS with:
  cd $FROM_DEBS && apt-get download $packages
or install them with:
  apt-get install $packages
(--install-deps runs the download)."
			((${#MISSING_TOOLS[@]} == 0)) || text+="
Install the build tools with:
  apt-get install ${MISSING_TOOLS[*]}"
		else
			text+="
Install them with:
  apt-get install $packages
(--install-deps runs this, as root)."
		fi
	fi
	[[ -z $MISMATCH_TEXT ]] || text+="${text:+$'\n'}$MISMATCH_TEXT"
	[[ -z $text ]] || die "$text"
}

# running_build_options: the kpatch-build options the mode stands for.
running_build_options() {
	local options
	options=$(printf '%q ' -s "$SOURCE_TREE" -c "$CONFIG_FILE" -v "$VMLINUX_OPTION" --symvers "$SYMVERS_OPTION" \
		--modules-dir "$MODULES_DIR" --kernel-release "$KERNEL_RELEASE")
	printf '%s\n' "${options% }"
}

print_running_inputs() {
	local state="unpacked"
	[[ -d $SOURCE_TREE ]] || state="not unpacked yet"
	printf '%-16s %s\n' "kernel:" "$KERNEL_RELEASE ($IMAGE_PACKAGE $KERNEL_VERSION)" \
		"source:" "$SOURCE_TARBALL" \
		"source tree:" "$SOURCE_TREE ($state)" \
		"config:" "$CONFIG_FILE" \
		"vmlinux:" "$VMLINUX_OPTION" \
		"debug modules:" "$(dirname "$(dirname "$VMLINUX_OPTION")")/lib/modules/$KERNEL_RELEASE" \
		"Module.symvers:" "$SYMVERS_OPTION" \
		"modules:" "$MODULES_DIR" \
		"options:" "$(running_build_options)"
}

# resolve_running_kernel: without -s. Sets SOURCE_TREE (unpacked), and the
# partial build's inputs the user did not give; exits on what is missing.
RUNNING_MODE=0
resolve_running_kernel() {
	RUNNING_MODE=1
	[[ -z $KERNEL_RELEASE ]] || usage_error "--kernel-release is for builds with -s; without -s, choose the kernel with -r REL"
	command -v "${KPATCH_DPKG_QUERY:-dpkg-query}" >/dev/null ||
		usage_error "no kernel tree given: pass -s DIR (a configured kernel source tree).
Without -s, kpatch-build finds a Debian kernel's packages, but this system has no dpkg-query."
	if [[ -n $FROM_DEBS ]]; then
		[[ -d $FROM_DEBS ]] || usage_error "--from-debs: '$FROM_DEBS' is not a directory"
		command -v dpkg-deb >/dev/null || usage_error "--from-debs needs dpkg-deb (package dpkg)"
		FROM_DEBS=$(readlink -f -- "$FROM_DEBS")
		scan_debs "$FROM_DEBS"
		[[ -n $RUNNING_RELEASE ]] || RUNNING_RELEASE=$(release_from_debs) || exit "$EXIT_USAGE"
	fi
	if [[ -z $RUNNING_RELEASE ]]; then
		RUNNING_RELEASE=$("${KPATCH_UNAME:-uname}" -r) || die "cannot run '${KPATCH_UNAME:-uname} -r'"
	fi
	[[ $RUNNING_RELEASE =~ ^[A-Za-z0-9._+~-]+$ ]] || usage_error "kernel release '$RUNNING_RELEASE' has characters kbuild does not accept"
	find_kernel_version "$RUNNING_RELEASE"
	collect_running_inputs
	if ((${#MISSING_PACKAGES[@]} && INSTALL_DEPS)) && [[ -z $MISMATCH_TEXT ]]; then
		install_missing
		if [[ -n $FROM_DEBS ]]; then
			DEB_FILES=()
			DEB_VERSIONS=()
			scan_debs "$FROM_DEBS"
		fi
		collect_running_inputs
	fi
	report_running_problems

	local rel=$RUNNING_RELEASE
	KERNEL_RELEASE=$rel
	CONFIG_FILE=${CONFIG_FILE:-${PIECE_ROOT[config]:-}/boot/config-$rel}
	MODULES_DIR=${MODULES_DIR:-${PIECE_ROOT[modules]:-}/lib/modules/$rel}
	VMLINUX_OPTION=${VMLINUX_OPTION:-${PIECE_ROOT[vmlinux]:-}/usr/lib/debug/boot/vmlinux-$rel}
	SYMVERS_OPTION=${SYMVERS_OPTION:-${PIECE_ROOT[symvers]:-}/usr/src/linux-headers-$rel/Module.symvers}
	[[ $PARTIAL != auto ]] || PARTIAL=1
	SOURCE_TREE=$CACHE_DIR/src/$(cache_name "$KERNEL_VERSION")
	if ((PRINT_INPUTS)); then
		print_running_inputs
		exit "$EXIT_SUCCESS"
	fi
	unpack_needed_debs
	unpack_once "$SOURCE_TREE" "$(basename "$SOURCE_TARBALL") $KERNEL_VERSION" extract_tarball "$SOURCE_TARBALL"
}

# log_running_inputs: into the run's log, once it exists.
log_running_inputs() {
	((RUNNING_MODE)) || return 0
	info "Kernel $KERNEL_RELEASE ($IMAGE_PACKAGE $KERNEL_VERSION), source $SOURCE_TREE"
	log "running-kernel mode: kpatch-build $(running_build_options)"
}
