#include <stdio.h>
#include "commands.h"
int
cmd_revoke(const struct config *cfg, int argc, char **argv)
{
	(void)cfg, (void)argc, (void)argv;
	fprintf(stderr, "acmec: revoke: not yet\n");
	return EXIT_FAIL;
}
