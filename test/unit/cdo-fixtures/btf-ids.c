/* BTF_ID_LIST_SINGLE(): a slot resolve_btfids fills with a type's BTF id,
 * named with __COUNTER__ and __LINE__ (kernel/bpf/btf.c's bpf_ctx_convert) */
#define BTF_ID_SLOT(list, kind, name, n)					\
	asm(".pushsection .BTF_ids,\"a\"\n"				\
	    ".local " #list "\n" #list ":\n"				\
	    ".local __BTF_ID__" #kind "__" #name "__" #n "\n"		\
	    ".type __BTF_ID__" #kind "__" #name "__" #n ", STT_OBJECT\n"	\
	    ".size __BTF_ID__" #kind "__" #name "__" #n ", 4\n"		\
	    "__BTF_ID__" #kind "__" #name "__" #n ":\n.zero 4\n.popsection")
BTF_ID_SLOT(ctx_convert_id, struct, bpf_ctx_convert, 11016165);
BTF_ID_SLOT(other_id, struct, bpf_other, 12016170);
extern unsigned int ctx_convert_id[], other_id[];
unsigned int parse_ids(void) { return ctx_convert_id[0] + 1; }
int changed_fn(int x) { return x * 3; }
