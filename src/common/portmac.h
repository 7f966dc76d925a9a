/*
 * portmac.h - how a packet's port and direction ride in its MAC address.
 *
 * Shared by the eBPF steering program, the tc driver and the dp, so it holds
 * only constants and macros (no libc, no kernel headers).  Following the seed:
 * a frame leaving a workload (ingress on vin) gets its source MAC replaced by
 * the port's unicast MAC; a frame going to a workload (ingress on vex) gets
 * its destination MAC replaced by the unicast, broadcast or multicast marker
 * of the port.  The dp reads the index from the last two bytes.
 *
 *   unicast   4e:65:75:56:HI:LO   ("NeuV", as in the seed)
 *   broadcast ff:ff:ff:00:HI:LO   restored to ff:ff:ff:ff:ff:ff
 *   multicast ff:ff:fe:00:HI:LO   restored from the IPv4/IPv6 destination
 */
#ifndef BH_PORTMAC_H
#define BH_PORTMAC_H

#define BH_MAX_PORTS 4096

#define BH_UC0 0x4e
#define BH_UC1 0x65
#define BH_UC2 0x75
#define BH_UC3 0x56
#define BH_BC3 0x00 /* ff:ff:ff:00 */
#define BH_MC2 0xfe /* ff:ff:fe:00 */

/* Which kind of marker a MAC is; 0 when it is none. */
#define BH_MAC_NONE 0
#define BH_MAC_UC 1
#define BH_MAC_BC 2
#define BH_MAC_MC 3

#define BH_MAC_KIND(m)                                                                             \
	(((m)[0] == BH_UC0 && (m)[1] == BH_UC1 && (m)[2] == BH_UC2 && (m)[3] == BH_UC3)            \
		 ? BH_MAC_UC                                                                       \
	 : ((m)[0] == 0xff && (m)[1] == 0xff && (m)[2] == 0xff && (m)[3] == BH_BC3)                \
		 ? BH_MAC_BC                                                                       \
	 : ((m)[0] == 0xff && (m)[1] == 0xff && (m)[2] == BH_MC2 && (m)[3] == 0x00) ? BH_MAC_MC   \
										      : BH_MAC_NONE)

#define BH_MAC_IDX(m) ((unsigned)(((m)[4] << 8) | (m)[5]))

#define BH_MAC_SET(m, kind, idx)                                                                   \
	do {                                                                                       \
		(m)[0] = (kind) == BH_MAC_UC ? BH_UC0 : 0xff;                                      \
		(m)[1] = (kind) == BH_MAC_UC ? BH_UC1 : 0xff;                                      \
		(m)[2] = (kind) == BH_MAC_UC ? BH_UC2 : (kind) == BH_MAC_BC ? 0xff : BH_MC2;       \
		(m)[3] = (kind) == BH_MAC_UC ? BH_UC3 : 0x00;                                      \
		(m)[4] = ((idx) >> 8) & 0xff;                                                      \
		(m)[5] = (idx)&0xff;                                                               \
	} while (0)

#endif
