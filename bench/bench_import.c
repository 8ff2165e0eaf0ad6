/*
 * bench_import.c: importing a NASA FIRMS file (a table, not a test):
 *
 *   read + hash  the floor: reading the file into memory and its SHA-256
 *   convert      rows to checked observations, no log
 *                (truce_import_convert)
 *   import       into a fresh log: convert, sign, append durably
 *                (truce_import_file, one fdatasync per 4,096 rows)
 *   re-import    the same file again: the log is read for rows already
 *                there, every row is skipped
 *
 *   bench_import DIR [RUNS] [FILE]   (DIR: a scratch folder on the disk
 *   to measure; FILE: default the 2022 history file under $TRUCE_SHARED,
 *   else ../shared)
 *
 * Medians of RUNS runs (default 5), in rows per second.
 */
#include "truce.h"
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define MAXRUNS 15

static const char *base;
static int64_t NOW;
static truce_skey logkey, admin, imp;




static _Noreturn void die(const char *what, const char *msg) {
  fprintf(stderr, "bench_import: %s: %s\n", what, msg);
  exit(1);
}

static void key(const char *name, uint8_t b, truce_skey *k) {
  uint8_t seed[32];
  memset(seed, b, 32);
  char err[TRUCE_ERR_MAX];
  if (truce_skey_from_seed(name, TRUCE_KEY_ED25519, seed, k, err))
    die("key", err);
}

static truce_log *fresh_log(int run) {
  char dir[1024], cmd[1200];
  snprintf(dir, sizeof dir, "%s/log-%d", base, run);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    die("rm", dir);
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "bench.example/log");
  info.log_key = logkey.vkey;
  info.admin_key = admin.vkey;
  char err[TRUCE_ERR_MAX];
  truce_log *log;
  if (truce_log_create(dir, &info, err) || truce_log_open(dir, 0, &log, err))
    die(dir, err);
  truce_source s;
  memset(&s, 0, sizeof s);
  s.key = imp.vkey;
  snprintf(s.name, sizeof s.name, "%s", imp.vkey.name);
  snprintf(s.party, sizeof s.party, "none");
  s.means = TRUCE_MEANS_SATELLITE;
  s.reliability = 0.9;
  if (truce_log_source_add(log, &admin, &s, NOW, NULL))
    die("source add", truce_log_errmsg(log));
  return log;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_import DIR [RUNS] [FILE]\n");
    return 2;
  }
  base = argv[1];
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1 || runs > MAXRUNS)
    runs = 5;
  char def[4096];
  const char *root = getenv("TRUCE_SHARED");
  snprintf(def, sizeof def, "%s/data/firms/history/ukr_fire_data_2022.csv",
           root && *root ? root : "../shared");
  const char *file = argc > 3 ? argv[3] : def;
  NOW = (int64_t)time(NULL) * 1000;
  key("bench.example/log", 1, &logkey);
  key("bench.example/admin", 2, &admin);
  key("firms-importer", 3, &imp);
  mkdir(base, 0755);

  double rd[MAXRUNS], cv[MAXRUNS], im[MAXRUNS], re[MAXRUNS];
  truce_import_stats st;
  uint64_t rows = 0, entries = 0, bytes = 0;
  char err[TRUCE_ERR_MAX];
  for (int r = 0; r < runs; r++) {
    /* the floor: read and hash */
    double t0 = now_s();
    truce_buf b;
    truce_buf_init(&b, TRUCE_IMPORT_MAX_BYTES);
    if (truce_buf_read_file(&b, file, err))
      die(file, err);
    uint8_t sha[32];
    truce_sha256(b.data, b.len, sha);
    double t1 = now_s();
    bytes = b.len;
    /* conversion alone */
    if (truce_import_convert(TRUCE_IMPORT_FIRMS, b.data, b.len, NOW, NULL, NULL,
                             &st, err))
      die("convert", err);
    double t2 = now_s();
    rows = st.rows;
    truce_buf_release(&b);
    /* import into a fresh log, then again */
    truce_log *log = fresh_log(r);
    double t3 = now_s();
    if (truce_import_file(log, &imp, TRUCE_IMPORT_FIRMS, file, NOW, NULL, NULL,
                          &st, err))
      die("import", err);
    double t4 = now_s();
    if (st.imported != rows || st.refused)
      die("import", "not every row was imported");
    entries = st.entries;
    if (truce_import_file(log, &imp, TRUCE_IMPORT_FIRMS, file, NOW, NULL, NULL,
                          &st, err))
      die("re-import", err);
    double t5 = now_s();
    if (st.already != rows || st.imported)
      die("re-import", "rows were added again");
    truce_log_close(log);
    rd[r] = (double)rows / (t1 - t0);
    cv[r] = (double)rows / (t2 - t1);
    im[r] = (double)rows / (t4 - t3);
    re[r] = (double)rows / (t5 - t4);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
  printf("import: %s, %" PRIu64 " rows, %.1f MB, %" PRIu64
         " entries, %d runs\n",
         name, rows, (double)bytes / 1e6, entries, runs);
  double floor = median(rd, runs);
  printf("  %-44s %12.0f rows/s (median)\n", "floor: read the file + SHA-256",
         floor);
  printf("  %-44s %12.0f rows/s (median)\n",
         "convert + check (no log)", median(cv, runs));
  printf("  %-44s %12.0f rows/s (median)\n",
         "import into a fresh log (sign, append)", median(im, runs));
  printf("  %-44s %12.0f rows/s (median)\n",
         "re-import: every row already there", median(re, runs));
  printf("  peak resident memory: %.1f MiB\n", (double)ru.ru_maxrss / 1024);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0)
    return 1;
  return 0;
}
