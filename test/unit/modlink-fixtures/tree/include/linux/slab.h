#ifndef _TOY_SLAB_H
#define _TOY_SLAB_H
void *kcalloc(size_t n, size_t size, int flags);
void kfree(const void *p);
#endif
