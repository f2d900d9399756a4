# fixdep.sh OBJ SRC CMD: turn gcc's .d file into a kbuild-style .cmd file.
obj=$1 src=$2 cmd=$3
dir=$(dirname "$obj") base=$(basename "$obj")
if [ ! -f "$dir/.$base.d" ]; then
	echo "fixdep: error opening file: $dir/.$base.d: No such file or directory" >&2
	exit 1
fi
deps=$(sed -e 's/^[^:]*://' -e 's/\\$//' "$dir/.$base.d" | tr ' ' '\n' | sed '/^$/d' | sed 1d)
{
	echo "savedcmd_$obj := $cmd"
	echo
	echo "source_$obj := $src"
	echo
	echo "deps_$obj := \\"
	for d in $deps; do echo "  $d \\"; done
	echo
	echo "$obj: \$(deps_$obj)"
	echo
	echo "\$(deps_$obj):"
} >"$dir/.$base.cmd"
rm -f "$dir/.$base.d"
