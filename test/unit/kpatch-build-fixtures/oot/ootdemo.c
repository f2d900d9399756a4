/* A toy out-of-tree module, built with make -C TREE M=DIR. */
#include <linux/shared.h>

static int ootdemo_offset = 11;

int ootdemo_read(int x)
{
	return shared_scale(x) + ootdemo_offset;
}
