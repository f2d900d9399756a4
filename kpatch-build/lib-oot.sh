# shellcheck shell=bash
# lib-oot.sh: out-of-tree modules (--oot-module FILE --oot-module-src DIR).
# The module's source directory takes the kernel tree's place as the tree
# that is patched, rebuilt and restored (locked, journaled, put back on any
# exit), while make runs in the kernel tree (-s) with M=DIR, as kbuild
# builds external modules. Every changed object's parent is the given
# module file: the differ reads its symbols, and klp relocations name that
# module.

OOT_MODULE=""		# --oot-module: the module as it runs
OOT_SRC=""		# --oot-module-src
OOT_NAME=""		# its name in the kernel
KERNEL_TREE=""		# the kernel tree make runs in: TREE, or -s with --oot-module
# shellcheck disable=SC2034 # run_make (kpatch-build) passes them
OOT_MAKE_ARGS=()	# M=DIR

# setup_oot_tree: after -s is checked. Without --oot-module the kernel tree
# is the tree; with it, TREE becomes the module's source directory.
setup_oot_tree() {
	KERNEL_TREE=$TREE
	[[ -n $OOT_MODULE || -n $OOT_SRC ]] || return 0
	[[ -n $OOT_MODULE && -n $OOT_SRC ]] || usage_error "--oot-module FILE and --oot-module-src DIR go together"
	((RUNNING_MODE == 0)) || usage_error "--oot-module needs -s: the built kernel tree the module is built against"
	[[ -z $CONFIG_FILE ]] || usage_error "--oot-module: -c is not used; the module is built against the kernel tree's own .config"
	[[ $PARTIAL != 1 ]] || usage_error "--oot-module builds against a built or prepared kernel tree, not a partial build"
	PARTIAL=0
	[[ -f $OOT_MODULE && -r $OOT_MODULE ]] || usage_error "--oot-module: '$OOT_MODULE' does not exist or is not readable"
	[[ $OOT_MODULE == *.ko ]] || usage_error "--oot-module: '$OOT_MODULE' is not a .ko file (decompress it first)"
	[[ -d $OOT_SRC ]] || usage_error "--oot-module-src: '$OOT_SRC' is not a directory"
	OOT_MODULE=$(readlink -f -- "$OOT_MODULE")
	TREE=$(readlink -f -- "$OOT_SRC")
	[[ $TREE != "$KERNEL_TREE" && $TREE/ != "$KERNEL_TREE"/* ]] ||
		usage_error "--oot-module-src '$OOT_SRC' is inside the kernel tree; patch in-tree modules without --oot-module"
	[[ -f $TREE/Kbuild || -f $TREE/Makefile ]] ||
		usage_error "--oot-module-src: '$OOT_SRC' has no Kbuild or Makefile to build the module with (make M=DIR)"
	OOT_NAME=$(modinfo -F name "$OOT_MODULE" 2>/dev/null) || OOT_NAME=""
	if [[ -z $OOT_NAME ]]; then
		OOT_NAME=$(basename "$OOT_MODULE" .ko)
		OOT_NAME=${OOT_NAME//-/_}
	fi
	# shellcheck disable=SC2034 # run_make (kpatch-build) passes them
	OOT_MAKE_ARGS=("M=$TREE")
	((${#TARGETS[@]})) || TARGETS=(modules)
}

oot_info() {
	[[ -n $OOT_MODULE ]] || return 0
	info "Out-of-tree module $OOT_NAME ($OOT_MODULE), built from $TREE against $KERNEL_TREE"
}

# oot_module_objects: the objects kbuild lists in the module's .mod file
# (DIR-relative), if it wrote one.
oot_module_objects() {
	local mod
	mod=$(find "$TREE" -name "$OOT_NAME.mod" -print -quit 2>/dev/null)
	[[ -n $mod ]] || mod=$(find "$TREE" -name "${OOT_NAME//_/-}.mod" -print -quit 2>/dev/null)
	[[ -n $mod ]] || return 1
	tr ' ' '\n' <"$mod" | sed -n -e "s|^$TREE/||" -e 's|^\./||' -e '/\.o$/p'
}

# parent_of_oot OBJECT: like parent_of_partial, for the module's objects.
parent_of_oot() {
	local objects
	if objects=$(oot_module_objects) && ! grep -qxF -- "$1" <<<"$objects"; then
		echo none
	else
		echo "modulefile $OOT_NAME $OOT_MODULE"
	fi
}
