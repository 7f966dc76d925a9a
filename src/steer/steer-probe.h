/*
 * steer-probe.h - asking the kernel which tc action kinds it has.
 */
#ifndef BH_STEER_PROBE_H
#define BH_STEER_PROBE_H

/*
 * 1 when the kernel knows tc action KIND (e.g. "mirred", "pedit"), 0 when it does not,
 * -errno when the question could not be asked.  Read-only: a GET of action index 0, which
 * never exists, so the kernel answers ENOENT for a known kind and EINVAL for an unknown one.
 */
int steer_probe_action(const char *kind);

#endif
