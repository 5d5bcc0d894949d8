/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What module/ source expects of the kernel, for compiling its pure
 * files in user space (-include shim.h).
 */
#ifndef _CLASP_UNIT_SHIM_H
#define _CLASP_UNIT_SHIM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;

#define U8_MAX		((u8)~0U)
#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)

#endif
