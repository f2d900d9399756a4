#include <linux/shared.h>

int util_helper(int x)
{
	return shared_scale(x) * 2;
}
