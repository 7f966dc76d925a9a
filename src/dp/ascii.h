/*
 * ascii.h - locale-free character helpers for the dissectors: protocol text
 * (HTTP header names, hex chunk sizes) is ASCII whatever the process locale.
 */
#ifndef BH_ASCII_H
#define BH_ASCII_H

static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Value of a hex digit, or -1. */
static inline int ascii_hexval(int c)
{
	c = ascii_lower(c);
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#endif
