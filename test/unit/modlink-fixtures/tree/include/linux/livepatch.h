#ifndef _TOY_LIVEPATCH_H
#define _TOY_LIVEPATCH_H
struct klp_object;
struct klp_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;
};
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
};
struct klp_object {
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;
};
struct klp_patch {
	struct module *mod;
	struct klp_object *objs;
	bool replace;
};
int klp_enable_patch(struct klp_patch *patch);
#endif
