/*
 * driver.c - a main for the fuzz harnesses when libFuzzer is not there:
 * run LLVMFuzzerTestOneInput once on each file named, or on each file of
 * each directory named; without arguments, on the harness's seed corpus
 * (FUZZ_CORPUS, set by Makefile.am).  A crash is a failed test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;
	long size;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (data = malloc((size_t)size + 1)) == NULL ||
	    (len = fread(data, 1, (size_t)size, f)) != (size_t)size) {
		perror(path);
		if (f != NULL)
			fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
run_path(const char *path, size_t *n)
{
	struct dirent *de;
	struct stat st;
	char file[4096];
	int rc = 0;
	DIR *d;

	if (stat(path, &st) == -1) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return run_file(path);
	}
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (run_path(file, n) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t n = 0;
	int rc = 0;

	if (argc < 2)
		rc = run_path(FUZZ_CORPUS, &n);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &n) == -1)
			rc = -1;
	printf("%s: %zu input(s) run%s\n", argv[0], n,
	    rc == 0 ? "" : ", some unreadable");
	return rc == 0 && n > 0 ? 0 : 1;
}
