#define FS_ONLY 1
