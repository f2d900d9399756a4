/* a loop bound just past a static table (nvme's core_quirks) */
struct quirk { int vid; int flags; };
static const struct quirk quirks[] = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 }, { 9, 10 }, { 11, 12 }, { 13, 14 }, { 15, 16 } };
extern int match(const struct quirk *q, int v);
int find_flags(int v)
{
	for (const struct quirk *q = quirks; q < quirks + sizeof(quirks) / sizeof(quirks[0]); q++)
		if (match(q, v))
			return q->flags;
	return 0;
}
