#!/usr/bin/env bash
# export-abi on objects compiled here with gcc -g: an export whose types
# only became visible (a new #include completing a structure reached
# through a pointer) keeps its ABI; a member added or retyped in a
# structure used by value or through a pointer to a structure complete on
# both sides, a changed parameter, return or variable type, bit field or
# enumerator does not, and the answer names where; a self-referential
# structure terminates.
set -uo pipefail

build=${1:-${BUILD:-build}}
tool=$(realpath "$build/abi/export-abi")
# shellcheck source-path=SCRIPTDIR source=check-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/check-helpers.sh"

# compile NAME: NAME.orig.c and NAME.patched.c, as kbuild compiles (-O2 -g).
compile() {
	gcc -O2 -g -ffunction-sections -fdata-sections -c -o "$1.orig.o" "$1.orig.c" &&
		gcc -O2 -g -ffunction-sections -fdata-sections -c -o "$1.patched.o" "$1.patched.c"
}

# abi NAME SYMBOL...: the tool's output in NAME.out, its status in STATUS.
abi() {
	local name=$1
	shift
	STATUS=0
	timeout 20 "$tool" "$name.orig.o" "$name.patched.o" "$@" >"$name.out" 2>"$name.err" || STATUS=$?
}

# says NAME LINE: NAME.out has exactly this line.
says() { grep -qxF -- "$2" "$1.out"; }

# case NAME ORIG-BODY PATCHED-BODY: the two sources.
case_pair() {
	printf '%s\n' "$2" >"$1.orig.c"
	printf '%s\n' "$3" >"$1.patched.c"
	compile "$1" || fail "$1: does not compile"
}

# --- the #include case: a structure only declared before, complete after
common='struct page_info;
struct mapping;
struct folio { unsigned long flags; struct mapping *mapping; struct page_info *page; };'
case_pair include "$common
int fdirty(struct mapping *m, struct folio *f) { return f->flags + (m != 0); }
struct page_info *fpage(struct folio *f) { return f->page; }
struct mapping *mapping_table[4];" "$common
struct mapping { long nrpages; struct folio *first; };
struct page_info { int refs; };
int fdirty(struct mapping *m, struct folio *f) { return f->flags + (m ? m->nrpages : 0); }
struct page_info *fpage(struct folio *f) { return f->page; }
struct mapping *mapping_table[4];"
abi include fdirty fpage mapping_table
check "include: exit 0" test "$STATUS" = 0
check "include: parameter through a pointer, completed" says include $'fdirty\tsame'
check "include: return type and member through pointers, completed" says include $'fpage\tsame'
check "include: variable (array of pointers), completed" says include $'mapping_table\tsame'

# --- a member added to a structure passed by value
case_pair byvalue 'struct cfg { int a; };
int use_cfg(struct cfg c) { return c.a; }' 'struct cfg { int a; int b; };
int use_cfg(struct cfg c) { return c.a + c.b; }'
abi byvalue use_cfg
check "by value: exit 1" test "$STATUS" = 1
check "by value: names the added member" \
	says byvalue $'use_cfg\tdiffers\tparameter 1 \'c\' -> struct cfg -> member \'b\': only after the patch'

# --- a member retyped behind a pointer, the structure complete on both sides
case_pair retyped 'struct ops { int scale; };
int ops_scale(const struct ops *o, int x) { return o->scale * x; }' 'struct ops { long scale; };
int ops_scale(const struct ops *o, int x) { return o->scale * x; }'
abi retyped ops_scale
check "retyped member: exit 1" test "$STATUS" = 1
check "retyped member: names parameter, structure, member and both types" \
	says retyped $'ops_scale\tdiffers\tparameter 1 \'o\' -> struct ops -> member \'scale\': int before the patch, long int after'

# --- a member renamed, and one moved (same types, other offsets)
case_pair renamed 'struct r { int a; int b; };
int rn(struct r *p) { return p->a; }' 'struct r { int a; int c; };
int rn(struct r *p) { return p->a; }'
abi renamed rn
check "renamed member: named" \
	says renamed $'rn\tdiffers\tparameter 1 \'p\' -> struct r -> member \'b\': named \'b\' before the patch, \'c\' after'

case_pair packed 'struct q { char a; int b; };
int qn(struct q *p) { return p->b; }' 'struct q { char a; int b; } __attribute__((packed));
int qn(struct q *p) { return p->b; }'
abi packed qn
check "moved member: its offset" \
	says packed $'qn\tdiffers\tparameter 1 \'p\' -> struct q -> member \'b\': offset 4 before the patch, 1 after'

# --- a parameter's type, the return type, the number of parameters
case_pair param 'int k(int x, int y) { return x + y; }' 'int k(long x, int y) { return x + y; }'
abi param k
check "parameter type: named" says param $'k\tdiffers\tparameter 1 \'x\': int before the patch, long int after'

case_pair ret 'int r2(int x) { return x; }' 'unsigned int r2(int x) { return x; }'
abi ret r2
check "return type: named" says ret $'r2\tdiffers\treturn type: int before the patch, unsigned int after'

case_pair arity 'int a2(int x) { return x; }' 'int a2(int x, int y) { return x + y; }'
abi arity a2
check "added parameter: named" says arity $'a2\tdiffers\tparameter 2 \'y\': only after the patch'

# --- bit fields, enumerators, typedefs, arrays, variables
case_pair bits 'struct fl { unsigned a:3, b:5; };
int fb(struct fl *f) { return f->b; }' 'struct fl { unsigned a:4, b:5; };
int fb(struct fl *f) { return f->b; }'
abi bits fb
check "bit field width: named" says bits $'fb\tdiffers\tparameter 1 \'f\' -> struct fl -> member \'a\': bit size 3 before the patch, 4 after'

case_pair enum 'enum mode { M_A, M_B };
int fe(enum mode m) { return m; }' 'enum mode { M_A, M_NEW, M_B };
int fe(enum mode m) { return m; }'
abi enum fe
check "enumerator: named" says enum $'fe\tdiffers\tparameter 1 \'m\' -> enum mode -> enumerator \'M_B\': \'M_NEW\' after the patch'

case_pair tdef 'typedef unsigned int len_t;
int ft(len_t n) { return n; }' 'typedef unsigned long len_t;
int ft(len_t n) { return n; }'
abi tdef ft
check "typedef target: named" says tdef $'ft\tdiffers\tparameter 1 \'n\': unsigned int before the patch, long unsigned int after'

case_pair array 'struct tbl { int v[4]; };
int fa(struct tbl *t) { return t->v[0]; }' 'struct tbl { int v[8]; };
int fa(struct tbl *t) { return t->v[0]; }'
abi array fa
check "array bound: named" says array $'fa\tdiffers\tparameter 1 \'t\' -> struct tbl -> member \'v\' -> dimension 1: upper bound 3 before the patch, 7 after'

case_pair var 'struct st { int a; };
struct st exported_state;' 'struct st { int a; int b; };
struct st exported_state;'
abi var exported_state
check "variable type: named" says var $'exported_state\tdiffers\ttype -> struct st -> member \'b\': only after the patch'

# --- a function pointer member: its prototype counts
case_pair fnptr 'struct cb { int (*fn)(int); };
int call(struct cb *c) { return c->fn(1); }' 'struct cb { int (*fn)(long); };
int call(struct cb *c) { return c->fn(1); }'
abi fnptr call
check "function pointer parameter: named" \
	says fnptr $'call\tdiffers\tparameter 1 \'c\' -> struct cb -> member \'fn\' -> parameter 1: int before the patch, long int after'

# --- cycles terminate, same or not
cycle='struct node { struct node *next; struct node *prev; int v; struct list *owner; };
struct list { struct node *head; struct list *parent; };'
case_pair cycle "$cycle
int walk(struct node *n, struct list *l) { return n->next->v + (l->head != 0); }" "$cycle
int walk(struct node *n, struct list *l) { return n->next->v + (l->parent != 0); }"
abi cycle walk
check "cycle: terminates, exit 0" test "$STATUS" = 0
check "cycle: same" says cycle $'walk\tsame'

case_pair cycle2 'struct node { struct node *next; int v; };
int walk2(struct node *n) { return n->next->v; }' 'struct node { struct node *next; long v; };
int walk2(struct node *n) { return n->next->v; }'
abi cycle2 walk2
check "cycle with a change: terminates, exit 1" test "$STATUS" = 1
check "cycle with a change: named" \
	says cycle2 $'walk2\tdiffers\tparameter 1 \'n\' -> struct node -> member \'v\': int before the patch, long int after'

# --- a chain of structures deeper than the walk goes: an answer, no crash
for side in orig patched; do
	{
		for ((i = 0; i < 2500; i++)); do printf 'struct s%d { struct s%d *next; };\n' "$i" $((i + 1)); done
		printf 'struct s2500 { int end; };\nint deep(struct s0 *p) { return p != 0; }\n'
	} >"deep.$side.c"
done
compile deep || fail "deep: does not compile"
abi deep deep
check "deep chain: exit 1, not a crash" test "$STATUS" = 1
check "deep chain: says it did not compare" grep -q $'^deep\tdiffers\t.*types nested more than 4000 levels deep, not compared$' deep.out

# --- several symbols: each answered, in the order given
abi include mapping_table fdirty
check "order kept" test "$(cut -f1 include.out | paste -sd' ')" = "mapping_table fdirty"

# --- what the tool cannot answer
abi include fdirty no_such_export
check "unknown symbol: exit 1" test "$STATUS" = 1
check "unknown symbol: said" says include $'no_such_export\tunknown\tno DWARF definition in include.orig.o'
check "unknown symbol: the others still answered" says include $'fdirty\tsame'

gcc -O2 -c -o nodebug.o include.orig.c
STATUS=0
"$tool" nodebug.o include.patched.o fdirty >nodebug.out 2>nodebug.err || STATUS=$?
check "no DWARF: exit 2" test "$STATUS" = 2
check "no DWARF: names the file" grep -q '^export-abi: nodebug.o: no DWARF' nodebug.err
check "no DWARF: no answer printed" test ! -s nodebug.out

STATUS=0
"$tool" include.orig.o >usage.out 2>&1 || STATUS=$?
check "usage: exit 2" test "$STATUS" = 2

finish
