#include <stdio.h>
#include "commands.h"
int
cmd_account(const struct config *cfg, int argc, char **argv)
{
	(void)cfg, (void)argc, (void)argv;
	fprintf(stderr, "acmec: account: not yet\n");
	return EXIT_FAIL;
}
