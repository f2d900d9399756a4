#!/bin/bash
# lib-common.sh's dirname_to and basename_to give what dirname(1) and
# basename(1) print, for the shapes of path kpatch-build meets and the
# edge cases of the POSIX definitions.
# shellcheck source-path=SCRIPTDIR
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=check-helpers.sh
source "$here/check-helpers.sh"
# shellcheck source=../../kpatch-build/lib-common.sh
source "$here/../../kpatch-build/lib-common.sh"

got=""
paths=(drivers/block/virtio_blk.o virtio_blk.o /abs/path/file.c /file / // ///a
	a/b/ a//b 'a b/c d' ./x ../x/y . .. dir/.hidden.o.cmd /tmp/x.ko/ "")
for path in "${paths[@]}"; do
	dirname_to got "$path"
	check "dirname_to '$path' = $(dirname -- "$path")" [ "$got" = "$(dirname -- "$path")" ]
	basename_to got "$path"
	check "basename_to '$path' = $(basename -- "$path")" [ "$got" = "$(basename -- "$path")" ]
done
for pair in "dir/.x.o.cmd .cmd" "x.ko .ko" ".ko .ko" "a/b.ko/ .ko" "a/b.c .o"; do
	read -r path suffix <<<"$pair"
	basename_to got "$path" "$suffix"
	check "basename_to '$path' '$suffix' = $(basename -- "$path" "$suffix")" \
		[ "$got" = "$(basename -- "$path" "$suffix")" ]
done
# a caller's variable of any ordinary name receives the result
path=a/b/c
dirname_to path "$path"
check "dirname_to into a variable named path" [ "$path" = a/b ]
basename_to path "$path"
check "basename_to into a variable named path" [ "$path" = b ]
finish
