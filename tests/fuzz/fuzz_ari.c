/*
 * fuzz_ari.c - a renewalInfo answer (RFC 9773 section 4.2), and a time
 * picked in the window it suggests.
 */
#include "ari.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ari_window w;
	struct err e;

	if (ari_parse((const char *)data, size, &w, &e) == -1)
		return 0;
	(void)ari_pick_time(w.start, w.end, 0);
	(void)ari_pick_time(w.start, w.end, UINT64_MAX);
	(void)ari_pick_time(w.start, w.end, UINT64_MAX / 3);
	ari_window_clear(&w);
	return 0;
}
