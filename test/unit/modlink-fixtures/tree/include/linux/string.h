#ifndef _TOY_STRING_H
#define _TOY_STRING_H
int strcmp(const char *a, const char *b);
#endif
