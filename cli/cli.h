/*
 * cli.h: what the truce command's files share: option parsing, key and
 * file loading, error printing and exit codes. Uses only truce.h.
 *
 * Exit codes: 0 success; 1..19 the truce_err of the failure (see
 * `truce help exit-codes`); 64 a usage error.
 */
#ifndef TRUCE_CLI_H
#define TRUCE_CLI_H

#include "truce.h"

#include <stdbool.h>
#include <stdio.h>

#define EXIT_USAGE 64

typedef struct opts {
  const char *pos[16];
  int npos;
  struct {
    const char *name, *val;
  } kv[32];
  int nkv;
} opts;

/* Parse argv (after the command name). `valued` and `flags` are
 * NULL-terminated lists of option names ("--key"). Unknown options and
 * missing values are usage errors (printed; returns false). */
bool parse_opts(const char *cmd, int argc, char **argv,
                const char *const *valued, const char *const *flags,
                opts *o);
const char *opt(const opts *o, const char *name); /* NULL if absent */
bool flag(const opts *o, const char *name);

/* Print "truce: <message>" to stderr and return the exit code for rc. */
int fail_rc(truce_err rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int usage(const char *cmd); /* prints the command's usage, returns 64 */

/* The keys folder: --keys, else $TRUCE_KEYS, else $HOME/.truce/keys. */
const char *keys_dir(const opts *o);
/* A private key argument: a key name found in the keys folder, else a
 * path to a key file. */
truce_err load_skey(const opts *o, const char *arg, truce_skey *k,
                    char *err);
/* The path of the key file for a name in the keys folder. */
void key_path(const opts *o, const char *name, const char *ext, char *out,
              size_t cap);

/* Read a file ("-" or NULL: standard input) into b. */
truce_err read_input(const char *path, truce_buf *b, char *err);
/* Current time. */
int64_t now_ms(void);
/* Close stdout and report a write error (a full disk is not success). */
int finish(int code);

/* Make a checkpoint if the log key is in the keys folder, unless
 * --no-checkpoint. Prints what it did; never fails the command. */
void maybe_checkpoint(const opts *o, truce_log *log);

/* The commands. */
/* --from / --to: an RFC 3339 time, or a date (midnight UTC). 0 or -1. */
int parse_when(const char *s, int64_t *t);
/* --bbox "W,S,E,N" in degrees (south <= north; west > east crosses
 * 180), when given: *has set and the four edges. 0 (also when absent),
 * else the message printed and the exit code. */
int opt_bbox(const opts *o, int *has, double *west, double *south,
             double *east, double *north);
/* --format: jsonl (also when NULL), csv, geojson or text, as a
 * TRUCE_FORMAT_*. 0 or -1. */
int parse_format(const char *fmt, int *out);
/* --terms: "ID" or "ID@VERSION" (0: the latest). 0 or -1. */
int parse_terms_arg(const char *arg, char *id, size_t cap, uint64_t *version);

/* Records (findings, incidents) written to f in one format: sink_begin
 * writes the CSV header or opens the FeatureCollection; for each record,
 * sink_record readies `line`, the caller formats into it, and sink_write
 * writes it (non-zero, and failed set, if formatting or writing failed);
 * sink_end closes the FeatureCollection. n counts the records written. */
typedef struct out_sink {
  FILE *f;
  int format;
  size_t n;
  truce_buf line;
  int failed;
} out_sink;
void sink_begin(out_sink *k, const char *csv_header);
void sink_record(out_sink *k);
int sink_write(out_sink *k, truce_err formatted);
void sink_end(out_sink *k);

int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_source(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_witness(int argc, char **argv);
int cmd_terms(int argc, char **argv);
int cmd_assess(int argc, char **argv);
int cmd_geo(int argc, char **argv);
int cmd_fuse(int argc, char **argv);
int cmd_reindex(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_simulate(int argc, char **argv);

#endif /* TRUCE_CLI_H */
