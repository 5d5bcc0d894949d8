// SPDX-License-Identifier: GPL-2.0
/*
 * icount.so - a QEMU TCG plugin for scripts/icount: how many guest
 * instructions each kernel translation block executed.
 *
 * QEMU calls back at every translation; each block that starts at a
 * kernel address gets a counter that the translated code itself adds 1
 * to each time the block runs (an inline op: no call per execution).  A
 * block ends at the first branch or call, so its start address places it
 * in one function.  When the guest runs the block at marker=ADDR (the
 * entry of a system call nothing else makes: personality(2), which
 * clasp_bench -M calls around its loop), every counter is written to
 * out=FILE.N, N counting from 0; the difference of the two dumps is the
 * loop's alone.  Lines read "start-address instructions executions"
 * in hex and decimal.
 *
 * The counters are not atomic: two vCPUs running one block at once may
 * lose an increment, a bias far below the differences measured.
 *
 * QEMU 7.2's plugin API, version 1 (include/qemu/qemu-plugin.h there): the
 * few declarations this plugin uses are repeated below, since Debian ships
 * the emulator without that header.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_API __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;

typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

struct qemu_plugin_tb;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

PLUGIN_API int qemu_plugin_version = 1;

/* The kernel's half of the x86-64 address space. */
#define KERNEL_START 0xffff800000000000ULL

/* One translation of a block; a block translated again gets another. */
struct block {
	uint64_t runs;		/* added to by the translated code */
	uint64_t start;
	uint64_t insns;
	struct block *next;
};

static struct block *blocks;	/* newest first; read without the lock */
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out_path = "icount.out";
static uint64_t marker;
static unsigned int dumps;

static void dump(const char *path)
{
	struct block *b;
	FILE *f;

	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	/* A block added meanwhile is complete: it was linked last. */
	for (b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b; b = b->next)
		if (b->runs)
			fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
				b->start, b->insns, b->runs);
	fclose(f);
}

static void marker_ran(unsigned int vcpu_index, void *userdata)
{
	char path[4096];

	(void)vcpu_index;
	(void)userdata;
	pthread_mutex_lock(&blocks_lock);
	snprintf(path, sizeof(path), "%s.%u", out_path, dumps++);
	pthread_mutex_unlock(&blocks_lock);
	dump(path);
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t start = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	(void)id;
	if (start < KERNEL_START)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		return;
	b->start = start;
	b->insns = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&blocks_lock);
	b->next = blocks;
	__atomic_store_n(&blocks, b, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&blocks_lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->runs, 1);
	if (start == marker)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, marker_ran,
						     QEMU_PLUGIN_CB_NO_REGS,
						     NULL);
}

static void finished(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	dump(out_path);
}

PLUGIN_API int qemu_plugin_install(qemu_plugin_id_t id,
				   const qemu_info_t *info, int argc,
				   char **argv)
{
	int i;

	if (!info->system_emulation) {
		fprintf(stderr, "icount: system emulation only\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_path = argv[i] + 4;
		} else if (!strncmp(argv[i], "marker=", 7)) {
			marker = strtoull(argv[i] + 7, NULL, 16);
		} else {
			fprintf(stderr, "icount: unknown argument %s\n",
				argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, finished, NULL);
	return 0;
}
