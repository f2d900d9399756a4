#include <linux/shared.h>

int core_value(int x)
{
	return shared_scale(x) + 1;
}

int core_other(int x)
{
	return x - 7;
}
