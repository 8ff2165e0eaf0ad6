/*
 * cmd_import.c: `truce import KIND FILE DIR --key SOURCE [--bbox W,S,E,N]`:
 * a data set's file as signed observations (truce_import_file;
 * docs/import.md).
 *
 * Exit codes: 0 when the file was read to its end and not every row was
 * refused (at least one is in the log, imported now or before, or lay
 * outside --bbox), or the file has no rows, even if some rows were
 * refused (they are listed on stderr and counted in the summary); 4
 * (malformed input) when the file has rows and every one was refused, or
 * it is not a file of that kind; otherwise the error's truce_err code, 64
 * for a usage error.
 */
#include "cli.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REJECTS_SHOWN 20 /* refused rows printed; the rest are counted */

typedef struct progress {
  const char *file;
  bool tty;           /* draw a progress bar on stderr */
  bool drawn;         /* a bar is on screen: clear it before printing */
  int64_t last_ms;    /* when it was last drawn */
  uint64_t rejects;
} progress;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void clear_bar(progress *p) {
  if (p->drawn) {
    fputs("\r\033[K", stderr);
    p->drawn = false;
  }
}

static void on_reject(void *ctx, uint64_t line, const char *why) {
  progress *p = ctx;
  if (p->rejects++ < REJECTS_SHOWN) {
    clear_bar(p);
    fprintf(stderr, "%s:%" PRIu64 ": %s\n", p->file, line, why);
  }
}

/* At most ~10 redraws a second, and the last one always. */
static void on_progress(void *ctx, uint64_t done, uint64_t total) {
  progress *p = ctx;
  if (!p->tty)
    return;
  int64_t t = mono_ms();
  if (done < total && p->drawn && t - p->last_ms < 100)
    return;
  p->last_ms = t;
  int pct = total ? (int)(done * 100 / total) : 100;
  int fill = pct * 30 / 100;
  char bar[31];
  for (int i = 0; i < 30; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[30] = '\0';
  fprintf(stderr, "\r\033[Kimporting [%s] %3d%%  %.1f / %.1f MB", bar, pct,
          (double)done / 1e6, (double)total / 1e6);
  p->drawn = true;
}

int cmd_import(int argc, char **argv) {
  static const char *const valued[] = {"--key", "--keys", "--bbox", NULL};
  static const char *const flags[] = {"--dry-run", "--quiet",
                                      "--no-checkpoint", NULL};
  opts o;
  if (!parse_opts("import", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  const char *key = opt(&o, "--key");
  bool dry = flag(&o, "--dry-run"), quiet = flag(&o, "--quiet");
  if (o.npos != 3)
    return usage("import");
  const char *kname = o.pos[0], *file = o.pos[1], *dir = o.pos[2];
  int kind = truce_import_kind_from_name(kname);
  if (!kind)
    return fail_rc(TRUCE_EINVAL,
                   "'%s' is not a data set truce imports (firms, acled, "
                   "ucdp, viina, cir, geojson)",
                   kname);
  if (!key && !dry)
    return usage("import");
  truce_import_opts io;
  memset(&io, 0, sizeof io);
  io.flags = dry ? TRUCE_IMPORT_DRY_RUN : 0;
  int bad = opt_bbox(&o, &io.has_box, &io.west_deg, &io.south_deg,
                     &io.east_deg, &io.north_deg);
  if (bad)
    return bad;
  const char *bb = opt(&o, "--bbox"); /* (repeated in the summary) */
  char err[TRUCE_ERR_MAX];
  truce_skey k;
  truce_err rc = TRUCE_OK;
  if (key && !dry && (rc = load_skey(&o, key, &k, err)))
    return fail_rc(rc, "%s", err);
  truce_log *log;
  if ((rc = truce_log_open(dir, dry ? TRUCE_OPEN_READONLY : 0, &log, err))) {
    if (key && !dry)
      truce_skey_wipe(&k);
    return fail_rc(rc, "%s", err);
  }
  progress p;
  memset(&p, 0, sizeof p);
  p.file = file;
  p.tty = !quiet && isatty(STDERR_FILENO);
  truce_import_cb cb;
  memset(&cb, 0, sizeof cb);
  cb.reject = on_reject;
  cb.progress = on_progress;
  cb.ctx = &p;
  truce_import_stats st;
  rc = truce_import_file(log, dry ? NULL : &k, kind, file, now_ms(), &io,
                         &cb, &st, err);
  if (key && !dry)
    truce_skey_wipe(&k);
  clear_bar(&p);
  if (p.rejects > REJECTS_SHOWN)
    fprintf(stderr, "%s: ... and %" PRIu64 " more refused rows\n", file,
            p.rejects - REJECTS_SHOWN);
  int code = 0;
  if (rc)
    code = fail_rc(rc, "%s", err);
  /* The summary, also after an error part-way: what is in the log. */
  if (!rc || st.rows) {
    char hex[65];
    truce_hex_encode(st.file_sha256, 32, hex);
    printf("%s: %" PRIu64 " row%s: %" PRIu64 " %simported, %" PRIu64
           " refused, %" PRIu64 " already in the log",
           file, st.rows, st.rows == 1 ? "" : "s", st.imported,
           dry ? "would be " : "", st.refused, st.already);
    if (bb)
      printf(", %" PRIu64 " outside the box %s", st.outside, bb);
    printf("; %" PRIu64 " entr%s written", st.entries,
           st.entries == 1 ? "y" : "ies");
    if (st.entries)
      printf(" (%" PRIu64 "..%" PRIu64 ")", st.first_index,
             st.first_index + st.entries - 1);
    printf("\n");
    if (!quiet)
      printf("%s: sha256 %s\n", file, hex);
  }
  if (!rc && st.rows && st.refused == st.rows)
    code = fail_rc(TRUCE_EPARSE, "%s: every row was refused; nothing "
                                 "imported (is it a %s file?)",
                   file, kname);
  if (!dry && st.entries)
    maybe_checkpoint(&o, log);
  truce_log_close(log);
  return finish(code);
}
