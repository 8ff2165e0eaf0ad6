/*
 * bench_log.c: the evidence log's benchmarks, each beside its anchor
 * measured in the same run (a table, not a test):
 *
 *   ingest  durable ingest of pre-signed batches as large as an entry
 *           allows, one fdatasync per batch, beside the floor: appending
 *           the same bytes to a plain file with the same fdatasync policy
 *   proofs  inclusion proofs generated (from the tiles) and verified, beside
 *           the cost of the SHA-256 calls they make (OpenSSL SHA-256 of
 *           65-byte inputs, timed here)
 *   memory  peak and current resident memory while ingesting 1,000,000
 *           observations (sign + append), sampled as the log grows
 *
 *   bench_log DIR [RUNS]    (DIR: a scratch folder on the disk to measure)
 *
 * Medians of RUNS runs (default 5); truce and its anchor alternate.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "truce.h"
#include "bench.h"

#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXRUNS 15

static const char *base;
static int64_t NOW;




static _Noreturn void die(const char *what, const char *msg) {
  fprintf(stderr, "bench_log: %s: %s\n", what, msg);
  exit(1);
}

static void key(const char *name, uint8_t b, truce_skey *k) {
  uint8_t seed[32];
  memset(seed, b, 32);
  char err[TRUCE_ERR_MAX];
  if (truce_skey_from_seed(name, TRUCE_KEY_ED25519, seed, k, err))
    die("key", err);
}

static truce_skey logkey, admin, src, src2;

static truce_log *fresh_log(const char *name) {
  char dir[1024], cmd[1200];
  snprintf(dir, sizeof dir, "%s/%s", base, name);
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
  s.key = src.vkey;
  snprintf(s.name, sizeof s.name, "%s", src.vkey.name);
  snprintf(s.party, sizeof s.party, "mission");
  s.means = TRUCE_MEANS_CAMERA;
  s.reliability = 0.9;
  if (truce_log_source_add(log, &admin, &s, NOW, NULL))
    die("source add", truce_log_errmsg(log));
  s.key = src2.vkey;
  snprintf(s.name, sizeof s.name, "%s", src2.vkey.name);
  if (truce_log_source_add(log, &admin, &s, NOW, NULL))
    die("source add", truce_log_errmsg(log));
  return log;
}

/* Realistic observations: a camera's projectile sightings with bearings,
 * times, evidence hashes. */
static void observations(truce_buf *b, int n, int salt) {
  char when[32];
  truce_time_format(NOW - 86400000 + (int64_t)(salt % 3600) * 1000, when);
  for (int i = 0; i < n; i++)
    truce_buf_appendf(
        b,
        "{\"id\":\"CAM-%d-%d\",\"what\":\"projectile\",\"count\":%d,"
        "\"time\":\"%s\",\"precision_s\":60,\"where\":{\"observer\":{"
        "\"lat\":47.%04d,\"lon\":37.%04d},\"bearing_deg\":%d,\"spread_deg\":5,"
        "\"dist_min_m\":2000,\"dist_max_m\":4000},\"fire\":{\"from_deg\":%d,"
        "\"spread_deg\":10},\"means\":\"camera\",\"evidence\":[{\"sha256\":"
        "\"9a1c5e7b3d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c\","
        "\"kind\":\"video\"}]}\n",
        salt, i, 1 + i % 9, when, (i * 37) % 10000, (i * 91) % 10000,
        (i * 7) % 360, (i * 11) % 360);
}

/* ---- ingest ---- */

typedef struct batches {
  truce_buf signed_entries; /* concatenated notes */
  size_t *off, *len, n;
  uint64_t nobs;
} batches;

/* Pre-sign `nobs` observations as entries as large as an entry allows. */
static void presign(batches *bt, const truce_skey *key, uint64_t nobs) {
  truce_buf obs;
  truce_buf_init(&obs, 64u << 20);
  truce_buf_init(&bt->signed_entries, 1u << 30);
  size_t n, total = 0;
  char err[TRUCE_ERR_MAX];
  /* Each batch is its own submission of as many observations as one
   * entry holds: find that number, then sign batch after batch. */
  int chunk = 400;
  for (uint64_t done = 0; done < nobs;) {
    int k = (int)(nobs - done < (uint64_t)chunk ? nobs - done : (uint64_t)chunk);
    obs.len = 0;
    observations(&obs, k, (int)done);
    size_t before = bt->signed_entries.len;
    if (truce_batch_sign(key, total + 1, NOW, obs.data, obs.len,
                         &bt->signed_entries, &n, err))
      die("sign", err);
    if (n > 1) { /* too many for one entry: take it back, try fewer */
      bt->signed_entries.len = before;
      chunk -= 5;
      continue;
    }
    total += n;
    done += (uint64_t)k;
  }
  bt->off = malloc(total * sizeof *bt->off);
  bt->len = malloc(total * sizeof *bt->len);
  size_t off = 0;
  const char *e;
  size_t len;
  bt->n = 0;
  while (truce_entries_next(bt->signed_entries.data, bt->signed_entries.len,
                            &off, &e, &len, err) == TRUCE_OK) {
    bt->off[bt->n] = (size_t)(e - bt->signed_entries.data);
    bt->len[bt->n++] = len;
  }
  bt->nobs = nobs;
  truce_buf_release(&obs);
}

static void append_all(truce_log *log, const batches *bt) {
  for (size_t i = 0; i < bt->n; i++)
    if (truce_log_append(log, bt->signed_entries.data + bt->off[i],
                         bt->len[i], NOW, NULL, NULL))
      die("append", truce_log_errmsg(log));
}

/* One submitter: every batch of both sources, one after the other. */
static double ingest_truce(const batches *a, const batches *b) {
  truce_log *log = fresh_log("ingest");
  double t0 = now_s();
  append_all(log, a);
  append_all(log, b);
  double t = now_s() - t0;
  truce_log_close(log);
  return (double)(a->nobs + b->nobs) / t;
}

/* Two submitters: threads sharing one log handle, as a server's workers
 * would, one per source. Each checks its next batch (signature, payload)
 * while the other's is being made durable; the appends themselves, one
 * fdatasync each, are serialised by the log. */
typedef struct job {
  truce_log *log;
  const batches *bt;
} job;

static void *submitter(void *arg) {
  job *j = arg;
  append_all(j->log, j->bt);
  return NULL;
}

static double ingest_truce2(const batches *a, const batches *b) {
  truce_log *log = fresh_log("ingest");
  pthread_t th[2];
  job jobs[2] = {{log, a}, {log, b}};
  double t0 = now_s();
  for (int w = 0; w < 2; w++)
    if (pthread_create(&th[w], NULL, submitter, &jobs[w]) != 0)
      die("thread", "cannot start");
  for (int w = 0; w < 2; w++)
    pthread_join(th[w], NULL);
  double t = now_s() - t0;
  truce_log_close(log);
  return (double)(a->nobs + b->nobs) / t;
}

/* The floor: the same records (2-byte length + entry) appended to one file,
 * one fdatasync per batch. */
static void floor_all(int fd, const batches *bt) {
  static char rec[TRUCE_ENTRY_MAX + 2];
  for (size_t i = 0; i < bt->n; i++) {
    rec[0] = (char)(bt->len[i] >> 8);
    rec[1] = (char)bt->len[i];
    memcpy(rec + 2, bt->signed_entries.data + bt->off[i], bt->len[i]);
    if (write(fd, rec, bt->len[i] + 2) != (ssize_t)(bt->len[i] + 2) ||
        fdatasync(fd) != 0)
      die("write", "floor");
  }
}

static double ingest_floor(const batches *a, const batches *b) {
  char path[1024];
  snprintf(path, sizeof path, "%s/floor.dat", base);
  unlink(path);
  double t0 = now_s();
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    die("open", path);
  floor_all(fd, a);
  floor_all(fd, b);
  close(fd);
  double t = now_s() - t0;
  unlink(path);
  return (double)(a->nobs + b->nobs) / t;
}

/* ---- proofs ---- */

static double sha_ns_per_call(void) {
  uint8_t in[65] = {1}, out[32];
  double best = 1e9;
  for (int r = 0; r < 3; r++) {
    int n = 2000000;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
      SHA256_CTX c;
      SHA256_Init(&c);
      SHA256_Update(&c, in, 65);
      SHA256_Final(out, &c);
      in[1] = out[0];
    }
    double ns = (now_s() - t0) / n * 1e9;
    if (ns < best)
      best = ns;
  }
  return best;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* ---- memory ---- */

/* Peak resident memory of this process image (VmHWM: unlike ru_maxrss it
 * does not carry over the parent's peak through fork and exec). */
static long hwm_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0)
      kb = atol(line + 6);
  if (f)
    fclose(f);
  return kb;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &res) != 2)
      res = 0;
    fclose(f);
  }
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void memory_child(int fd) {
  truce_log *log = fresh_log("memory");
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  uint64_t done = 0, next_mark = 250000;
  char line[256];
  double t0 = now_s();
  /* Each submission: as many observations as one entry holds. */
  for (int salt = 0; done < 1000000; salt++) {
    b.len = 0;
    observations(&b, 300, salt);
    uint64_t count;
    if (truce_log_submit(log, &src, b.data, b.len, NOW, NULL, &count))
      die("submit", truce_log_errmsg(log));
    done += 300;
    if (done >= next_mark) {
      uint64_t size;
      truce_log_size(log, &size);
      int n = snprintf(line, sizeof line,
                       "%" PRIu64 " %" PRIu64 " %ld %ld %.1f\n", done, size,
                       rss_kb(), hwm_kb(), now_s() - t0);
      if (write(fd, line, (size_t)n) != n)
        _exit(1);
      next_mark += 250000;
    }
  }
  truce_log_close(log);
  truce_buf_release(&b);
  _exit(0);
}

/* 1. Ingest: pre-signed batches, one submitter and two, beside the floor. */
static void bench_ingest(int runs) {
  batches ba, bb;
  presign(&ba, &src, 50000);
  presign(&bb, &src2, 50000);
  double tr[MAXRUNS], tr2[MAXRUNS], fl[MAXRUNS], ratio[MAXRUNS],
      ratio2[MAXRUNS];
  for (int r = 0; r < runs; r++) {
    fl[r] = ingest_floor(&ba, &bb);
    tr[r] = ingest_truce(&ba, &bb);
    tr2[r] = ingest_truce2(&ba, &bb);
    ratio[r] = tr[r] / fl[r];
    ratio2[r] = tr2[r] / fl[r];
  }
  double bytes = (double)(ba.signed_entries.len + bb.signed_entries.len);
  size_t nb = ba.n + bb.n;
  printf("ingest: %" PRIu64 " observations in %zu pre-signed batches "
         "(%.0f bytes each on average), one fdatasync per batch, %d runs\n",
         ba.nobs + bb.nobs, nb, bytes / (double)nb, runs);
  printf("  %-44s %12.0f obs/s (median)\n",
         "floor: append the same bytes, fdatasync", median(fl, runs));
  printf("  %-44s %12.0f obs/s (median), ratio %.2f\n",
         "truce, 1 submitter: check, append, fdatasync", median(tr, runs),
         median(ratio, runs));
  printf("  %-44s %12.0f obs/s (median), ratio %.2f (goal >= 0.50)\n",
         "truce, 2 submitter threads, one handle", median(tr2, runs),
         median(ratio2, runs));
}

/* 2. Proofs on a log of `target` small entries. */
static void bench_proofs_at(int runs, uint64_t target) {
  double ratio[MAXRUNS];
  truce_log *log = fresh_log("proofs");
  {
    truce_buf obs, sig;
    truce_buf_init(&obs, 1 << 20);
    truce_buf_init(&sig, 64u << 20);
    char err[TRUCE_ERR_MAX];
    uint64_t seq = 1;
    while (seq <= target) {
      sig.len = 0;
      for (int k = 0; k < 2000 && seq <= target; k++, seq++) {
        obs.len = 0;
        observations(&obs, 1, (int)seq);
        size_t n;
        if (truce_batch_sign(&src, seq, NOW, obs.data, obs.len, &sig, &n,
                             err))
          die("sign", err);
      }
      if (truce_log_append(log, sig.data, sig.len, NOW, NULL, NULL))
        die("append", truce_log_errmsg(log));
    }
    truce_buf_release(&obs);
    truce_buf_release(&sig);
  }
  uint64_t size;
  truce_log_size(log, &size);
  uint8_t(*leaf)[32] = malloc(size * 32), root[32];
  for (uint64_t i = 0; i < size; i++) {
    truce_buf e;
    truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
    if (truce_log_entry(log, i, &e))
      die("entry", truce_log_errmsg(log));
    truce_leaf_hash(e.data, e.len, leaf[i]);
    truce_buf_release(&e);
  }
  truce_log_root(log, size, root);
  double sha_ns = sha_ns_per_call();
  double pr[MAXRUNS], lim[MAXRUNS], calls_per = 0;
  int nproofs = 100000;
  for (int r = 0; r < runs; r++) {
    uint64_t c0 = truce_hash_calls();
    double t0 = now_s();
    for (int i = 0; i < nproofs; i++) {
      uint64_t idx = rnd() % size;
      truce_proof p;
      if (truce_log_prove_inclusion(log, idx, size, &p) ||
          truce_inclusion_verify(idx, size, leaf[idx], &p, root, 32))
        die("proof", truce_log_errmsg(log));
    }
    double t = now_s() - t0;
    calls_per = (double)(truce_hash_calls() - c0) / nproofs;
    pr[r] = nproofs / t;
    lim[r] = 1e9 / (calls_per * sha_ns);
    ratio[r] = pr[r] / lim[r];
    (void)lim;
  }
  double min_calls = 0;
  for (uint64_t s = size - 1; s; s >>= 1)
    min_calls++;
  printf("proofs: random inclusion proofs in a log of %" PRIu64
         " entries, generated from the tiles and verified, %d x %d\n",
         size, runs, nproofs);
  printf("  %-44s %12.0f proofs/s (median)\n", "truce: prove + verify",
         median(pr, runs));
  printf("  %-44s %12.1f ns (OpenSSL, best of 3)\n",
         "SHA-256 of a 65-byte input", sha_ns);
  printf("  %-44s %12.1f (verification alone: %.0f)\n",
         "SHA-256 calls per proof (measured)", calls_per, min_calls);
  printf("  %-44s %12.0f proofs/s\n", "limit: those calls' SHA-256 time",
         median(lim, runs));
  printf("  %-44s %12.2f (goal >= 0.50)\n", "ratio truce/limit (median of runs)",
         median(ratio, runs));
  free(leaf);
  truce_log_close(log);

}

/* Two logs: 5,000 entries (about what 1,000,000 observations make: its
 * tiles all fit the handle's tile cache) and 70,000 (three tile levels;
 * most proofs then rebuild a tile's inner nodes, which the SHA-256 count
 * includes). BENCH_PROOF_ENTRIES=N measures one size. */
static void bench_proofs(int runs) {
  const char *n = getenv("BENCH_PROOF_ENTRIES");
  if (n) {
    bench_proofs_at(runs, strtoull(n, NULL, 10));
    return;
  }
  bench_proofs_at(runs, 5000);
  bench_proofs_at(runs, 70000);
}

/* 3. Memory while ingesting 1,000,000 observations. */
static int bench_memory(const char *argv0) {
  /* In a fresh process (this program again, exec'd), so that nothing
   * measured before counts. */
  int pfd[2];
  if (pipe(pfd) != 0)
    die("pipe", "failed");
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
    execl("/proc/self/exe", argv0, base, "memory", fdarg, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  printf("memory: ingesting 1,000,000 observations (sign + append, 300 per "
         "submission)\n");
  printf("  %12s %10s %14s %14s %8s\n", "observations", "entries",
         "resident KiB", "peak KiB", "seconds");
  FILE *f = fdopen(pfd[0], "r");
  char line[256];
  long peak = 0;
  while (f && fgets(line, sizeof line, f)) {
    uint64_t done, entries;
    long cur, pk;
    double secs;
    if (sscanf(line, "%" SCNu64 " %" SCNu64 " %ld %ld %lf", &done, &entries,
               &cur, &pk, &secs) == 5) {
      printf("  %12" PRIu64 " %10" PRIu64 " %14ld %14ld %8.1f\n", done,
             entries, cur, pk, secs);
      peak = pk;
    }
  }
  int st;
  waitpid(pid, &st, 0);
  printf("  peak resident memory: %.1f MiB (goal <= 64 MiB)\n",
         (double)peak / 1024);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_log DIR [RUNS]\n");
    return 2;
  }
  base = argv[1];
  NOW = (int64_t)time(NULL) * 1000;
  key("bench.example/log", 1, &logkey);
  key("bench.example/admin", 2, &admin);
  key("mission.example/camera-1", 3, &src);
  key("mission.example/camera-2", 4, &src2);
  if (argc == 4 && strcmp(argv[2], "memory") == 0)
    memory_child(atoi(argv[3]));
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1 || runs > MAXRUNS)
    runs = 5;
  mkdir(base, 0755);
  /* BENCH_ONLY=ingest|proofs|memory runs one part. */
  const char *only = getenv("BENCH_ONLY");
  int rc = 0;
  if (!only || strcmp(only, "ingest") == 0)
    bench_ingest(runs);
  if (!only || strcmp(only, "proofs") == 0)
    bench_proofs(runs);
  if (!only || strcmp(only, "memory") == 0)
    rc = bench_memory(argv[0]);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0)
    return 1;
  return rc;
}
