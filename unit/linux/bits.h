/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's BIT(), for module/ headers compiled in user space. */
#ifndef _CLASP_UNIT_LINUX_BITS_H
#define _CLASP_UNIT_LINUX_BITS_H

#define BIT(n)	(1UL << (n))

#endif
