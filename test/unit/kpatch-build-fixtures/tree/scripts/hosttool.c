#include <linux/shared.h>

int main(void)
{
	return shared_scale(0);
}
