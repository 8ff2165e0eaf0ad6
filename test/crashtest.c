/*
 * crashtest.c: kill -9 at random moments during concurrent submissions,
 * then reopen, verify the whole log and check that every acknowledged
 * submission is there.
 *
 *   crashtest [ITERATIONS] [SEED]      (defaults: 200, time-based seed)
 *
 * Each iteration starts two writer processes on one log (two sources,
 * batches of 1..20 observations, now and then one big enough to be split
 * into several entries, now and then a checkpoint), kills both with
 * SIGKILL after 1..150 ms, and sometimes appends a torn record to the
 * journal, as a write cut short by a power failure would leave it. A
 * writer reports a submission on its pipe only after truce_log_submit
 * returned: that is the acknowledgement. The parent then opens the log
 * (recovery), makes a checkpoint, verifies the whole log with
 * truce_verify_log, and checks every acknowledged (source, sequence
 * number, index). A fresh log is started every 25 iterations so the
 * verification time stays bounded.
 */
#include "truce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITERS 2
#define ACKS_MAX 200000

typedef struct ack {
  int writer;
  uint64_t first, count, last_seq;
} ack;

static ack acks[ACKS_MAX];
static size_t nacks;
static truce_skey logkey, admin, wkeys[WRITERS];
static const char *wnames[WRITERS] = {"patrol-7", "camera-2"};

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void mkkey(const char *name, uint8_t b, truce_skey *k) {
  uint8_t seed[32];
  memset(seed, b, 32);
  char err[TRUCE_ERR_MAX];
  if (truce_skey_from_seed(name, TRUCE_KEY_ED25519, seed, k, err)) {
    fprintf(stderr, "crashtest: %s\n", err);
    exit(2);
  }
}

static int new_log(const char *dir) {
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "crash.example/log");
  info.log_key = logkey.vkey;
  info.admin_key = admin.vkey;
  char err[TRUCE_ERR_MAX];
  truce_log *log;
  if (truce_log_create(dir, &info, err) ||
      truce_log_open(dir, 0, &log, err)) {
    fprintf(stderr, "crashtest: %s\n", err);
    return -1;
  }
  for (int w = 0; w < WRITERS; w++) {
    truce_source s;
    memset(&s, 0, sizeof s);
    s.key = wkeys[w].vkey;
    snprintf(s.name, sizeof s.name, "%s", wnames[w]);
    snprintf(s.party, sizeof s.party, "mission");
    s.means = TRUCE_MEANS_VISUAL;
    s.reliability = 0.9;
    if (truce_log_source_add(log, &admin, &s, (int64_t)time(NULL) * 1000,
                             NULL)) {
      fprintf(stderr, "crashtest: %s\n", truce_log_errmsg(log));
      return -1;
    }
  }
  truce_log_close(log);
  return 0;
}

/* A writer: submit until killed; acknowledge on the pipe after success. */
static void writer(const char *dir, int w, int fd, uint64_t seed) {
  rng_state = seed;
  truce_log *log;
  char err[TRUCE_ERR_MAX];
  if (truce_log_open(dir, 0, &log, err)) {
    fprintf(stderr, "writer %d: %s\n", w, err);
    _exit(3);
  }
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  char when[32];
  for (uint64_t i = 0;; i++) {
    b.len = 0;
    int64_t now = (int64_t)time(NULL) * 1000;
    truce_time_format(now - 60000, when);
    int n = (int)(rnd() % 20) + 1;
    if (rnd() % 25 == 0)
      n = 450; /* more than one entry's worth: split into parts */
    for (int k = 0; k < n; k++)
      truce_buf_appendf(&b,
                        "{\"what\":\"bursts\",\"count\":%d,\"time\":\"%s\","
                        "\"where\":{\"lat\":%.4f,\"lon\":%.4f,"
                        "\"uncertainty_m\":100},\"note\":\"w%d i%" PRIu64
                        " k%d padding to make entries larger\"}\n",
                        k + 1, when, 47.0 + (double)(rnd() % 1000) / 1000,
                        37.0 + (double)(rnd() % 1000) / 1000, w, i, k);
    uint64_t first, count;
    if (truce_log_submit(log, &wkeys[w], b.data, b.len, now, &first,
                         &count)) {
      fprintf(stderr, "writer %d: %s\n", w, truce_log_errmsg(log));
      _exit(4);
    }
    truce_source s;
    truce_log_source(log, wnames[w], &s);
    char line[128];
    int len = snprintf(line, sizeof line, "%d %" PRIu64 " %" PRIu64 " %" PRIu64
                       "\n", w, first, count, s.last_seq);
    if (write(fd, line, (size_t)len) != len)
      _exit(5);
    if (rnd() % 4 == 0 && truce_log_checkpoint(log, &logkey, NULL)) {
      fprintf(stderr, "writer %d: checkpoint: %s\n", w,
              truce_log_errmsg(log));
      _exit(6);
    }
  }
}

static void read_acks(int fd) {
  static char buf[1 << 20];
  size_t len = 0;
  ssize_t n;
  while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t)n;
  buf[len] = '\0';
  char *p = buf;
  while (*p && nacks < ACKS_MAX) {
    ack a;
    int used = 0;
    if (sscanf(p, "%d %" SCNu64 " %" SCNu64 " %" SCNu64 "\n%n", &a.writer,
               &a.first, &a.count, &a.last_seq, &used) != 4 || used == 0)
      break; /* a line cut by the kill is not an acknowledgement we saw */
    acks[nacks++] = a;
    p += used;
  }
}

/* Append a torn record: a length prefix and fewer bytes than it says. */
static int tear(const char *dir) {
  char path[600];
  snprintf(path, sizeof path, "%s/var/pending", dir);
  int fd = open(path, O_WRONLY | O_APPEND);
  if (fd < 0)
    return 0;
  uint8_t junk[300];
  size_t n = 1 + rnd() % sizeof junk;
  for (size_t i = 0; i < n; i++)
    junk[i] = (uint8_t)rnd();
  junk[0] = 0xff; /* a length far beyond what follows */
  int ok = write(fd, junk, n) == (ssize_t)n;
  close(fd);
  return ok;
}

static int check(const char *dir, size_t from_ack) {
  truce_log *log;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_log_open(dir, 0, &log, err);
  if (rc) {
    fprintf(stderr, "crashtest: reopen failed: %s\n", err);
    return -1;
  }
  int bad = 0;
  if (truce_log_checkpoint(log, &logkey, NULL)) {
    fprintf(stderr, "crashtest: checkpoint: %s\n", truce_log_errmsg(log));
    bad = 1;
  }
  uint64_t size;
  truce_log_size(log, &size);
  for (size_t i = from_ack; i < nacks && !bad; i++) {
    ack *a = &acks[i];
    truce_source s;
    truce_log_source(log, wnames[a->writer], &s);
    if (s.last_seq < a->last_seq || a->first + a->count > size) {
      fprintf(stderr,
              "crashtest: LOST acknowledged submission: %s seq %" PRIu64
              " at %" PRIu64 "+%" PRIu64 " (log size %" PRIu64
              ", last seq %" PRIu64 ")\n",
              wnames[a->writer], a->last_seq, a->first, a->count, size,
              s.last_seq);
      bad = 1;
      break;
    }
    truce_buf e;
    truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
    truce_entry ent;
    uint64_t last = a->first + a->count - 1;
    if (truce_log_entry(log, last, &e) ||
        truce_entry_parse(e.data, e.len, &ent, err) ||
        strcmp(ent.signer, wnames[a->writer]) != 0 ||
        ent.seq != a->last_seq) {
      fprintf(stderr, "crashtest: entry %" PRIu64 " is not %s seq %" PRIu64
                      "\n",
              last, wnames[a->writer], a->last_seq);
      bad = 1;
    }
    truce_buf_release(&e);
  }
  truce_log_close(log);
  if (!bad && (rc = truce_verify_log(dir, &logkey.vkey, NULL, NULL, err))) {
    fprintf(stderr, "crashtest: the log does not verify: %s\n", err);
    bad = 1;
  }
  return bad ? -1 : 0;
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 200;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10)
                           : (uint64_t)time(NULL) ^ (uint64_t)(unsigned)getpid();
  if (seed == 0)
    seed = 1;
  rng_state = seed;
  printf("crashtest: %d iterations, seed %" PRIu64
         " (rerun with: crashtest %d %" PRIu64 ")\n",
         iterations, seed, iterations, seed);
  mkkey("crash.example/log", 11, &logkey);
  mkkey("crash.example/admin", 12, &admin);
  for (int w = 0; w < WRITERS; w++)
    mkkey(wnames[w], (uint8_t)(13 + w), &wkeys[w]);
  char root[] = "/tmp/truce-crash-XXXXXX";
  if (!mkdtemp(root)) {
    perror("mkdtemp");
    return 2;
  }
  char dir[300] = "";
  size_t first_ack = 0;
  int torn = 0, failures = 0;
  uint64_t total_entries = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int it = 0; it < iterations; it++) {
    if (it % 25 == 0) {
      snprintf(dir, sizeof dir, "%s/log%d", root, it / 25);
      if (new_log(dir))
        return 2;
      first_ack = nacks;
    }
    int fds[WRITERS][2];
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
      if (pipe(fds[w]) != 0)
        return 2;
      uint64_t wseed = rnd();
      pids[w] = fork();
      if (pids[w] == 0) {
        close(fds[w][0]);
        writer(dir, w, fds[w][1], wseed);
      }
      close(fds[w][1]);
    }
    struct timespec d = {0, (long)(1 + rnd() % 150) * 1000000L};
    nanosleep(&d, NULL);
    for (int w = 0; w < WRITERS; w++)
      kill(pids[w], SIGKILL);
    for (int w = 0; w < WRITERS; w++) {
      int st;
      waitpid(pids[w], &st, 0);
      if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
        fprintf(stderr, "crashtest: writer %d exited by itself (status %d)\n",
                w, st);
        failures++;
      }
      read_acks(fds[w][0]);
      close(fds[w][0]);
    }
    if (rnd() % 3 == 0)
      torn += tear(dir);
    if (check(dir, first_ack) != 0) {
      fprintf(stderr, "crashtest: FAILED at iteration %d (seed %" PRIu64
                      "); log left in %s\n",
              it, seed, dir);
      return 1;
    }
    if (it % 25 == 24 || it == iterations - 1) {
      truce_log *log;
      char err[TRUCE_ERR_MAX];
      uint64_t size = 0;
      if (truce_log_open(dir, TRUCE_OPEN_READONLY, &log, err) == 0) {
        truce_log_size(log, &size);
        truce_log_close(log);
      }
      total_entries += size;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("crashtest: %d kill -9 rounds (%d processes killed), %d torn writes "
         "injected, %zu acknowledged submissions all present, %" PRIu64
         " entries verified, %.1f s\n",
         iterations, iterations * WRITERS, torn, nacks, total_entries,
         (double)(t1.tv_sec - t0.tv_sec) +
             (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  if (failures)
    return 1;
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0)
    return 1;
  return 0;
}
