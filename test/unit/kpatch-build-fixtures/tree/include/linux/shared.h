#ifndef SHARED_H
#define SHARED_H
#define SHARED_FACTOR 3
static inline int shared_scale(int x) { return x * SHARED_FACTOR; }
#endif
