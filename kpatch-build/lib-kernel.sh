# shellcheck shell=bash
# lib-kernel.sh: checks of the kernel configuration and of the compiler,
# done before kpatch-build spends time on a build.

REAL_CC=""	# the gcc kbuild would run without our shim

# The configuration file is read once into CONFIG_VALUES (a run asks
# dozens of questions; a sed per question costs a process each). A
# subshell such as $(config_value ...) sees what its parent loaded.
declare -A CONFIG_VALUES=()
CONFIG_VALUES_FILE=""

config_load() {
	local line
	[[ $CONFIG_VALUES_FILE != "$1" ]] || return 0
	CONFIG_VALUES=()
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line == CONFIG_*=* ]] || continue
		line=${line#CONFIG_}
		CONFIG_VALUES[${line%%=*}]=${line#*=}
	done <"$1"
	CONFIG_VALUES_FILE=$1
}

# config_forget: a configuration file was rewritten; read it again.
config_forget() {
	CONFIG_VALUES_FILE=""
}

config_value() {
	config_load "$1"
	printf '%s\n' "${CONFIG_VALUES[$2]-}"
}

config_enabled() {
	config_load "$1"
	[[ ${CONFIG_VALUES[$2]-} == y ]]
}

# check_kernel_config FILE: report every problem at once, then fail.
check_kernel_config() {
	local config=$1 problems=""
	need() {
		config_enabled "$config" "$1" || problems+="- CONFIG_$1 must be y: $2"$'\n'
	}
	refuse() {
		! config_enabled "$config" "$1" || problems+="- CONFIG_$1 is not supported: $2"$'\n'
	}
	need LIVEPATCH "the kernel's livepatch core loads the generated module and redirects the patched functions"
	need MODULES "the livepatch is delivered as a kernel module"
	need KALLSYMS_ALL "livepatch resolves the patched functions and the non-exported symbols (including data) they use by name through kallsyms"
	if ! config_enabled "$config" DEBUG_INFO ||
		! { config_enabled "$config" DEBUG_INFO_DWARF4 ||
			config_enabled "$config" DEBUG_INFO_DWARF5 ||
			config_enabled "$config" DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT; }; then
		problems+="- CONFIG_DEBUG_INFO (DWARF4, DWARF5 or toolchain default) must be enabled: the differ reads the sizes of kernel structures (jump_entry, bug_entry, ...) from the DWARF in vmlinux"$'\n'
	fi
	refuse DEBUG_INFO_SPLIT "it moves the DWARF into separate .dwo files, so vmlinux has no structure sizes to read"
	refuse GCC_PLUGIN_RANDSTRUCT "structure layouts are shuffled by a compiler plugin, which the differ cannot verify for the patched code"
	refuse RANDSTRUCT_FULL "structure layouts are shuffled, which the differ cannot verify for the patched code"
	refuse RANDSTRUCT_PERFORMANCE "structure layouts are shuffled, which the differ cannot verify for the patched code"
	refuse GCC_PLUGIN_LATENT_ENTROPY "the plugin adds randomly seeded code to functions, so every recompiled function would differ from the running one"
	refuse LTO_CLANG "LTO objects are LLVM bitcode, not the machine code the differ compares"
	unset -f need refuse
	if config_enabled "$config" X86_KERNEL_IBT; then
		log "note: CONFIG_X86_KERNEL_IBT=y (indirect branch tracking); objtool runs on vmlinux.o for such kernels"
	fi
	if [[ -n $problems ]]; then
		die "the kernel configuration $config cannot be livepatched:
${problems%$'\n'}"
	fi
}

# "GCC: (Debian 12.2.0-14) 12.2.0" lines from an ELF file's .comment.
gcc_comment_of() {
	readelf -p .comment "$1" 2>/dev/null |
		sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | grep '^GCC: ' | sort -u || true
}

compiler_mismatch() {
	die "compiler mismatch: $1
Objects built by another compiler differ in many functions, so the livepatch
would contain changes the patch did not make (or miss real ones). Use the gcc
that built this kernel first in PATH, or pass --skip-compiler-check if you are
sure both generate identical code."
}

# Before any build: kbuild records the compiler it was configured with.
check_compiler_against_config() {
	local config=$1 configured ours
	config_load "$config"
	configured=$(config_value "$config" CC_VERSION_TEXT)
	configured=${configured#\"}
	configured=${configured%\"}
	[[ -n $configured ]] || return 0
	ours=$("$REAL_CC" --version 2>/dev/null | head -n 1) || true
	# Only the program name may differ: distributions configure with
	# e.g. x86_64-linux-gnu-gcc-12, which is the same compiler as gcc.
	if [[ ${configured#* } != "${ours#* }" ]]; then
		compiler_mismatch "the configuration was made with '$configured', but $REAL_CC is '$ours'"
	fi
}

# check_compiler_against_vmlinux VMLINUX: compare the .comment strings.
check_compiler_against_vmlinux() {
	local vmlinux=$1 probe=$RUN_DIR/compiler-probe.o kernel_ids ours
	printf 'int kpatch_build_probe;\n' |
		"$REAL_CC" -x c -c -o "$probe" - 2>>"$LOG_FILE" ||
		die "$REAL_CC cannot compile a one-line C file; see $LOG_FILE"
	ours=$(gcc_comment_of "$probe")
	kernel_ids=$(vmlinux_memo "$vmlinux" gcc-comment gcc_comment_of "$vmlinux")
	if [[ -z $kernel_ids ]]; then
		warn "$vmlinux has no 'GCC:' string in its .comment section; cannot check the compiler"
		return 0
	fi
	if ! grep -qxF -- "$ours" <<<"$kernel_ids"; then
		compiler_mismatch "$vmlinux was built by '$(head -n 1 <<<"$kernel_ids")', but $REAL_CC is '$ours'"
	fi
	log "compiler check: $ours"
}
