# shellcheck shell=bash
# lib-arch.sh: the architecture kpatch-build builds for, and cross builds.
#
# As with kbuild, the target is ARCH (kbuild's name: x86, x86_64, s390,
# powerpc) and
# CROSS_COMPILE (the prefix of the cross tools) from the environment;
# --arch NAME (uname -m's name) sets both, with Debian's cross-compiler
# prefix. Without either, the build is native. Every make, the compiler
# shim, build-module and the final ld -r then use the same pair.

ARCH_OPTION=""		# --arch
TARGET_ARCH=""		# x86_64 | s390x | ppc64le
CROSS_PREFIX=""		# CROSS_COMPILE as the build uses it

# arch_of_kbuild_arch NAME: ours for kbuild's ARCH, empty if unsupported.
arch_of_kbuild_arch() {
	case $1 in
	x86 | x86_64) echo x86_64 ;;
	s390 | s390x) echo s390x ;;
	# kbuild's powerpc is both endiannesses; only ppc64le (ELFv2) is supported
	powerpc | ppc64le) echo ppc64le ;;
	esac
}

kbuild_arch_of() {
	case $1 in
	x86_64) echo x86 ;;
	s390x) echo s390 ;;
	ppc64le) echo powerpc ;;
	esac
}

# The prefix of Debian's cross tools for an architecture.
cross_prefix_of() {
	case $1 in
	ppc64le) echo powerpc64le-linux-gnu- ;;
	*) echo "$1-linux-gnu-" ;;
	esac
}

# The Debian package of the cross compiler, for the error message.
cross_gcc_package() {
	case $1 in
	x86_64) echo gcc-x86-64-linux-gnu ;;
	s390x) echo gcc-s390x-linux-gnu ;;
	ppc64le) echo gcc-powerpc64le-linux-gnu ;;
	esac
}

# resolve_target_arch: set TARGET_ARCH and CROSS_PREFIX, export ARCH and
# CROSS_COMPILE for every tool that follows.
resolve_target_arch() {
	local host from_env=""
	host=$(uname -m)
	if [[ -n ${ARCH:-} ]]; then
		from_env=$(arch_of_kbuild_arch "$ARCH")
		[[ -n $from_env ]] ||
			usage_error "ARCH='$ARCH' is set: kpatch-build builds for x86_64 (ARCH=x86), s390x (ARCH=s390) and ppc64le (ARCH=powerpc)"
	fi
	if [[ -n $ARCH_OPTION ]]; then
		[[ -n $(kbuild_arch_of "$ARCH_OPTION") ]] ||
			usage_error "--arch $ARCH_OPTION: supported are x86_64, s390x and ppc64le"
		[[ -z $from_env || $from_env == "$ARCH_OPTION" ]] ||
			usage_error "--arch $ARCH_OPTION contradicts ARCH='$ARCH' in the environment"
		TARGET_ARCH=$ARCH_OPTION
	else
		TARGET_ARCH=${from_env:-$host}
		[[ -n $(kbuild_arch_of "$TARGET_ARCH") ]] ||
			usage_error "this machine is $host: pass --arch x86_64, s390x or ppc64le to build for one of those"
	fi
	if [[ -n ${CROSS_COMPILE+set} ]]; then
		CROSS_PREFIX=$CROSS_COMPILE
	elif [[ $TARGET_ARCH != "$host" ]]; then
		CROSS_PREFIX=$(cross_prefix_of "$TARGET_ARCH")
	fi
	# A native build without ARCH leaves kbuild's environment as it was.
	if [[ -n $from_env || $TARGET_ARCH != "$host" ]]; then
		export ARCH
		ARCH=$(kbuild_arch_of "$TARGET_ARCH")
	fi
	[[ -z $CROSS_PREFIX ]] || export CROSS_COMPILE=$CROSS_PREFIX
}

# target_tool NAME: the target's NAME (gcc, ld), or fail naming the package.
target_tool() {
	local tool=$CROSS_PREFIX$1
	command -v "$tool" >/dev/null && return 0
	if [[ -n $CROSS_PREFIX ]]; then
		die "'$tool' is not installed: building for $TARGET_ARCH needs its cross compiler and binutils (Debian: apt-get install $(cross_gcc_package "$TARGET_ARCH"))"
	fi
	die "'$tool' is not installed (needed by kpatch-build)"
}

# check_config_arch CONFIG: refuse a tree configured for another
# architecture than the target (kbuild would rebuild it all, or fail).
check_config_arch() {
	local config=$1 configured=""
	if config_enabled "$config" X86_64; then configured=x86_64
	elif config_enabled "$config" S390; then configured=s390x
	elif config_enabled "$config" PPC64; then
		# a big-endian (ELFv1) tree is refused by the differ, object by object
		configured=ppc64le
	fi
	[[ -z $configured || $configured == "$TARGET_ARCH" ]] && return 0
	die "$config configures an $configured kernel, but kpatch-build builds for $TARGET_ARCH: pass --arch $configured (or ARCH=$(kbuild_arch_of "$configured") and CROSS_COMPILE, as for make)"
}
