/*
 * Force-included (clang -include) before each QuickJS source file when the
 * guest is built for wasm32-wasip2.
 *
 * QuickJS-NG turns its stack-overflow check off when __wasi__ is defined
 * (update_stack_limit sets no limit), so deep JS recursion would run the
 * shadow stack out of linear memory instead of throwing a catchable
 * RangeError. This header pulls in every libc header QuickJS uses while
 * __wasi__ is still defined (wasi-libc's headers need it), then undefines it,
 * so QuickJS compiles its ordinary stack check. The guest is linked with the
 * stack first in linear memory, so an overflow that escaped the check would
 * still trap rather than overwrite the heap.
 */
#ifndef ISOBOX_QUICKJS_WASI_STACK_H
#define ISOBOX_QUICKJS_WASI_STACK_H
#include <alloca.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fenv.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#undef __wasi__
#endif
