/*
 * test_log.c: the log on disk: appends, refusals that change nothing,
 * splitting large submissions, roots and proofs against a from-scratch
 * tree, tiles, recovery from torn writes and interrupted rollovers,
 * concurrent writers, allocation failure, tampering detected by the
 * verifier.
 */
#include "store.h"
#include "test.h"

#include <jansson.h>

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root_dir[256];
static int64_t NOW;

static void rmtree(const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", path);
}

static void key(const char *name, uint8_t seedbyte, truce_skey *k) {
  uint8_t seed[32];
  memset(seed, seedbyte, sizeof seed);
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_skey_from_seed(name, TRUCE_KEY_ED25519, seed, k, err);
  if (rc)
    fprintf(stderr, "key %s: %s\n", name, err);
}

typedef struct fixture {
  char dir[300];
  truce_skey logkey, admin, patrol, camera;
  truce_log *log;
} fixture;

/* A log with two registered sources. */
static void setup(fixture *f, const char *name) {
  memset(f, 0, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "%s/%s", root_dir, name);
  key("test.example/log", 1, &f->logkey);
  key("test.example/admin", 2, &f->admin);
  key("patrol-7", 3, &f->patrol);
  key("camera-2", 4, &f->camera);
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "test.example/log");
  info.log_key = f->logkey.vkey;
  info.admin_key = f->admin.vkey;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_create(f->dir, &info, err));
  CHECK_OK(truce_log_open(f->dir, 0, &f->log, err));
  truce_source s;
  memset(&s, 0, sizeof s);
  s.key = f->patrol.vkey;
  snprintf(s.name, sizeof s.name, "patrol-7");
  snprintf(s.party, sizeof s.party, "mission");
  s.means = TRUCE_MEANS_AUDIO | TRUCE_MEANS_VISUAL;
  s.reliability = 0.8;
  CHECK_OK(truce_log_source_add(f->log, &f->admin, &s, NOW, NULL));
  s.key = f->camera.vkey;
  snprintf(s.name, sizeof s.name, "camera-2");
  s.means = TRUCE_MEANS_CAMERA;
  s.reliability = 0.95;
  CHECK_OK(truce_log_source_add(f->log, &f->admin, &s, NOW, NULL));
}

static void teardown(fixture *f) {
  truce_log_close(f->log);
  f->log = NULL;
}

/* n valid observations as JSON lines. */
static void obs_lines(truce_buf *b, int n, int salt) {
  char when[32];
  truce_time_format(NOW - 3600 * 1000, when);
  for (int i = 0; i < n; i++)
    truce_buf_appendf(b,
                      "{\"what\":\"explosion\",\"count\":%d,\"time\":\"%s\","
                      "\"where\":{\"lat\":%.5f,\"lon\":%.5f,"
                      "\"uncertainty_m\":250},\"note\":\"salt %d\"}\n",
                      i % 50 + 1, when, 48.0 + (i % 100) * 0.001,
                      37.5 + (i % 77) * 0.001, salt);
}

static uint64_t log_size(truce_log *log) {
  uint64_t n = 0;
  CHECK_OK(truce_log_size(log, &n));
  return n;
}

/* A digest of every file in the log folder (to prove "nothing written"). */
static void folder_digest(const char *dir, uint8_t out[32]) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && find . -type f ! -name lock ! -name state | sort | "
           "xargs sha256sum | sha256sum",
           dir);
  FILE *p = popen(cmd, "r");
  char line[128] = "";
  if (p) {
    if (!fgets(line, sizeof line, p))
      line[0] = '\0';
    pclose(p);
  }
  truce_sha256(line, strlen(line), out);
}

static void submit(fixture *f, const truce_skey *k, int n, int salt) {
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  obs_lines(&b, n, salt);
  truce_err rc = truce_log_submit(f->log, k, b.data, b.len, NOW, NULL, NULL);
  CHECK_MSG(rc == TRUCE_OK, "submit: %s", truce_log_errmsg(f->log));
  truce_buf_release(&b);
}

/* Root of the log from scratch: leaf hashes of every entry. */
static void scratch_root(truce_log *log, uint64_t size, uint8_t out[32]) {
  uint8_t(*h)[32] = malloc((size ? size : 1) * 32);
  for (uint64_t i = 0; i < size; i++) {
    truce_buf e;
    truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
    CHECK_OK(truce_log_entry(log, i, &e));
    truce_leaf_hash(e.data, e.len, h[i]);
    truce_buf_release(&e);
  }
  truce_leaves lv = {(const uint8_t(*)[32])h, size};
  CHECK_OK(truce_tree_root(truce_leaves_node, &lv, size, out));
  free(h);
}

TEST(append_and_read_back) {
  fixture f;
  setup(&f, "basic");
  CHECK_EQ_U64(log_size(f.log), 2);
  submit(&f, &f.patrol, 3, 1);
  submit(&f, &f.camera, 1, 2);
  CHECK_EQ_U64(log_size(f.log), 4);
  truce_source s;
  CHECK_OK(truce_log_source(f.log, "patrol-7", &s));
  CHECK_EQ_U64(s.last_seq, 1);
  CHECK_EQ_U64(s.added_index, 0);
  CHECK_OK(truce_log_source(f.log, "camera-2", &s));
  CHECK_EQ_U64(s.last_seq, 1);
  truce_buf e;
  truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
  CHECK_OK(truce_log_entry(f.log, 2, &e));
  truce_entry ent;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_entry_parse(e.data, e.len, &ent, err));
  CHECK_STR(ent.signer, "patrol-7");
  CHECK_EQ_U64(ent.seq, 1);
  CHECK_EQ_U64(ent.nlines, 3);
  CHECK(ent.kind == TRUCE_ENTRY_BATCH);
  CHECK_OK(truce_note_verify(&ent.note, &f.patrol.vkey, 1, NULL, NULL, err));
  truce_buf_release(&e);
  /* Reopen: same size, same registry. */
  teardown(&f);
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), 4);
  CHECK_OK(truce_log_source(f.log, "patrol-7", &s));
  CHECK_EQ_U64(s.last_seq, 1);
  CHECK_EQ_U64(truce_log_source_count(f.log), 2);
  /* And a read-only view sees the same. */
  truce_log *ro;
  CHECK_OK(truce_log_open(f.dir, TRUCE_OPEN_READONLY, &ro, err));
  CHECK_EQ_U64(log_size(ro), 4);
  CHECK_RC(truce_log_submit(ro, &f.patrol, "{}", 2, NOW, NULL, NULL),
           TRUCE_EINVAL);
  truce_log_close(ro);
  teardown(&f);
}

/* Each refusal names the line and field, and changes nothing on disk. */
TEST(refusals_change_nothing) {
  fixture f;
  setup(&f, "refuse");
  submit(&f, &f.patrol, 2, 1);
  uint8_t before[32], after[32];
  folder_digest(f.dir, before);
  uint64_t size = log_size(f.log);
  char when[32], future[32], edge[32];
  truce_time_format(NOW - 60000, when);
  truce_time_format(NOW + TRUCE_FUTURE_MAX_MS + 1000, future);
  truce_time_format(NOW + TRUCE_FUTURE_MAX_MS, edge);
  struct {
    const char *line2;
    truce_err want;
    const char *msg;
  } cases[] = {
      {"{\"what\":\"explosion\",\"time\":\"%s\"", TRUCE_EPARSE, "line 2"},
      {"{\"what\":\"explosion\",\"time\":\"%s\",\"where\":{\"lat\":91,"
       "\"lon\":37}}",
       TRUCE_ERANGE, "where.lat"},
      {"{\"what\":\"explosion\",\"time\":\"%s\",\"where\":{\"lat\":48,"
       "\"lon\":-181}}",
       TRUCE_ERANGE, "where.lon"},
      {"{\"what\":\"explosion\",\"time\":\"%s\",\"where\":{\"lat\":1e999,"
       "\"lon\":37}}",
       TRUCE_ERANGE, "finite"},
      {"{\"what\":\"explosoin\",\"time\":\"%s\",\"where\":{\"lat\":48,"
       "\"lon\":37}}",
       TRUCE_EVOCAB, "what"},
      {"{\"what\":\"explosion\",\"count\":-3,\"time\":\"%s\",\"where\":{"
       "\"lat\":48,\"lon\":37}}",
       TRUCE_ERANGE, "count"},
      {"{\"what\":\"explosion\",\"time\":\"2026-13-40T99:00:00Z\",\"where\":{"
       "\"lat\":48,\"lon\":37},\"note\":\"%s\"}",
       TRUCE_ERANGE, "time"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    truce_buf b;
    truce_buf_init(&b, 1 << 20);
    obs_lines(&b, 1, 9);
    truce_buf_appendf(&b, cases[i].line2, when);
    truce_buf_append(&b, "\n", 1);
    truce_err rc = truce_log_submit(f.log, &f.patrol, b.data, b.len, NOW,
                                    NULL, NULL);
    CHECK_MSG(rc == cases[i].want, "case %zu: got %d (%s) want %d", i, rc,
              truce_log_errmsg(f.log), cases[i].want);
    CHECK_CONTAINS(truce_log_errmsg(f.log), "line 2");
    CHECK_CONTAINS(truce_log_errmsg(f.log), cases[i].msg);
    truce_buf_release(&b);
  }
  /* Times: exactly 10 minutes ahead is allowed, past that refused. */
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  truce_buf_appendf(&b,
                    "{\"what\":\"shots\",\"time\":\"%s\",\"where\":{\"lat\":48,"
                    "\"lon\":37}}\n",
                    future);
  CHECK_RC(truce_log_submit(f.log, &f.patrol, b.data, b.len, NOW, NULL, NULL),
           TRUCE_ERANGE);
  CHECK_CONTAINS(truce_log_errmsg(f.log), "future");
  truce_buf_release(&b);

  /* Unknown and revoked sources. */
  truce_skey stranger;
  key("stranger", 9, &stranger);
  truce_buf_init(&b, 1 << 20);
  obs_lines(&b, 1, 3);
  CHECK_RC(truce_log_submit(f.log, &stranger, b.data, b.len, NOW, NULL, NULL),
           TRUCE_EUNKNOWN);
  CHECK_CONTAINS(truce_log_errmsg(f.log), "stranger");

  /* A batch signed by another key under the patrol's name. */
  truce_skey forged;
  key("patrol-7", 10, &forged);
  CHECK_RC(truce_log_submit(f.log, &forged, b.data, b.len, NOW, NULL, NULL),
           TRUCE_EBADSIG);

  /* Replayed and out-of-order sequence numbers, from pre-signed batches. */
  truce_buf sig;
  truce_buf_init(&sig, 1 << 20);
  size_t n;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_batch_sign(&f.patrol, 1, NOW, b.data, b.len, &sig, &n, err));
  CHECK_RC(truce_log_append(f.log, sig.data, sig.len, NOW, NULL, NULL),
           TRUCE_ESEQ);
  CHECK_CONTAINS(truce_log_errmsg(f.log), "replayed");
  sig.len = 0;
  CHECK_OK(truce_batch_sign(&f.patrol, 5, NOW, b.data, b.len, &sig, &n, err));
  CHECK_RC(truce_log_append(f.log, sig.data, sig.len, NOW, NULL, NULL),
           TRUCE_ESEQ);
  CHECK_CONTAINS(truce_log_errmsg(f.log), "out of order");
  /* A flipped byte in a signed batch. */
  sig.len = 0;
  CHECK_OK(truce_batch_sign(&f.patrol, 2, NOW, b.data, b.len, &sig, &n, err));
  char *p = strstr(sig.data, "explosion");
  p[0] = 'E';
  CHECK_RC(truce_log_append(f.log, sig.data, sig.len, NOW, NULL, NULL),
           TRUCE_EBADSIG);
  /* Malformed signed input. */
  CHECK_RC(truce_log_append(f.log, "hello\n", 6, NOW, NULL, NULL),
           TRUCE_EPARSE);
  truce_buf_release(&sig);

  folder_digest(f.dir, after);
  CHECK(memcmp(before, after, 32) == 0);
  CHECK_EQ_U64(log_size(f.log), size);

  /* Revocation: later batches are refused. */
  CHECK_OK(truce_log_source_revoke(f.log, &f.admin, "camera-2",
                                   "camera destroyed", NOW, NULL));
  CHECK_RC(truce_log_submit(f.log, &f.camera, b.data, b.len, NOW, NULL, NULL),
           TRUCE_EREVOKED);
  CHECK_CONTAINS(truce_log_errmsg(f.log), "revoked");
  truce_source s;
  CHECK_OK(truce_log_source(f.log, "camera-2", &s));
  CHECK(s.revoked_index != UINT64_MAX);
  /* Registering a name twice, or by a non-administrator, is refused. */
  s.revoked_index = UINT64_MAX;
  CHECK_RC(truce_log_source_add(f.log, &f.admin, &s, NOW, NULL), TRUCE_EEXIST);
  CHECK_RC(truce_log_source_add(f.log, &f.patrol, &s, NOW, NULL),
           TRUCE_ENOKEY);
  /* And the edge: exactly 10 minutes ahead is accepted. */
  b.len = 0;
  truce_buf_appendf(&b,
                    "{\"what\":\"shots\",\"time\":\"%s\",\"where\":{\"lat\":48,"
                    "\"lon\":37}}\n",
                    edge);
  CHECK_OK(truce_log_submit(f.log, &f.patrol, b.data, b.len, NOW, NULL, NULL));
  truce_buf_release(&b);
  teardown(&f);
}

TEST(large_submissions_split) {
  fixture f;
  setup(&f, "split");
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  obs_lines(&b, 2000, 5); /* ~300 KB of canonical lines */
  uint64_t first, count;
  CHECK_OK(
      truce_log_submit(f.log, &f.patrol, b.data, b.len, NOW, &first, &count));
  CHECK(count > 3);
  size_t total = 0;
  for (uint64_t i = first; i < first + count; i++) {
    truce_buf e;
    truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
    CHECK_OK(truce_log_entry(f.log, i, &e));
    CHECK(e.len <= TRUCE_ENTRY_MAX);
    truce_entry ent;
    char err[TRUCE_ERR_MAX];
    CHECK_OK(truce_entry_parse(e.data, e.len, &ent, err));
    CHECK_EQ_U64(ent.part, i - first + 1);
    CHECK_EQ_U64(ent.parts, count);
    CHECK_EQ_U64(ent.seq, i - first + 1);
    /* Every observation is citable as (index, position). */
    const char *line;
    size_t n;
    CHECK_OK(truce_entry_line(&ent, 0, &line, &n));
    CHECK(n > 10 && line[0] == '{');
    total += ent.nlines;
    truce_buf_release(&e);
  }
  CHECK_EQ_U64(total, 2000);
  /* The limits: more than TRUCE_SUBMIT_MAX_OBS observations. */
  b.len = 0;
  for (int i = 0; i <= TRUCE_SUBMIT_MAX_OBS; i++)
    truce_buf_append(&b, "{\"what\":\"shots\"}\n", 17);
  truce_buf out;
  truce_buf_init(&out, 1 << 20);
  size_t n;
  char err[TRUCE_ERR_MAX];
  CHECK_RC(truce_batch_sign(&f.patrol, 9, NOW, b.data, b.len, &out, &n, err),
           TRUCE_EPARSE); /* the first line is incomplete: parse error */
  b.len = 0;
  obs_lines(&b, TRUCE_SUBMIT_MAX_OBS + 1, 1);
  CHECK_RC(truce_batch_sign(&f.patrol, 9, NOW, b.data, b.len, &out, &n, err),
           TRUCE_ETOOBIG);
  CHECK_CONTAINS(err, "100000");
  truce_buf_release(&out);
  truce_buf_release(&b);
  teardown(&f);
}

/* Roots after every append equal the from-scratch root, across tile
 * boundaries; proofs from the log verify. */
TEST(roots_and_proofs) {
  fixture f;
  setup(&f, "roots");
  for (int i = 0; i < 300; i++) {
    submit(&f, i % 3 ? &f.patrol : &f.camera, 1 + i % 2, i);
    uint64_t size = log_size(f.log);
    if (size % 37 == 0 || (size >= 254 && size <= 260)) {
      uint8_t a[32], b[32];
      CHECK_OK(truce_log_root(f.log, size, a));
      scratch_root(f.log, size, b);
      CHECK_MSG(memcmp(a, b, 32) == 0, "root differs at size %" PRIu64, size);
    }
  }
  uint64_t size = log_size(f.log);
  CHECK_EQ_U64(size, 302);
  /* Every inclusion proof in a few tree sizes, and consistency proofs. */
  uint64_t sizes[] = {1, 2, 255, 256, 257, 302};
  for (size_t s = 0; s < 6; s++) {
    uint8_t root[32];
    CHECK_OK(truce_log_root(f.log, sizes[s], root));
    for (uint64_t i = 0; i < sizes[s]; i++) {
      truce_proof p;
      CHECK_OK(truce_log_prove_inclusion(f.log, i, sizes[s], &p));
      truce_buf e;
      truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
      CHECK_OK(truce_log_entry(f.log, i, &e));
      uint8_t leaf[32];
      truce_leaf_hash(e.data, e.len, leaf);
      CHECK_OK(truce_inclusion_verify(i, sizes[s], leaf, &p, root, 32));
      truce_buf_release(&e);
    }
    for (size_t t = 0; t <= s; t++) {
      uint8_t r1[32];
      truce_proof p;
      CHECK_OK(truce_log_root(f.log, sizes[t], r1));
      CHECK_OK(truce_log_prove_consistency(f.log, sizes[t], sizes[s], &p));
      CHECK_OK(
          truce_consistency_verify(sizes[t], sizes[s], r1, 32, root, 32, &p));
    }
  }
  /* Tiles and bundles on disk after a checkpoint. */
  truce_buf note;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, &note));
  int dirfd = open(f.dir, O_RDONLY | O_DIRECTORY);
  CHECK(file_exists_at(dirfd, "tile/0/000"));
  CHECK(file_exists_at(dirfd, "tile/entries/000"));
  CHECK(file_exists_at(dirfd, "tile/0/001.p/46"));
  CHECK(file_exists_at(dirfd, "tile/1/000.p/1"));
  CHECK(file_exists_at(dirfd, "tile/entries/001.p/46"));
  CHECK(file_exists_at(dirfd, "checkpoint"));
  close(dirfd);
  /* An auditor's view from the files alone gives the same proofs. */
  truce_proof p1, p2;
  truce_buf e;
  truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_verify_inclusion_dir(f.dir, &f.logkey.vkey, note.data,
                                      note.len, 200, &e, &p1, err));
  CHECK_OK(truce_log_prove_inclusion(f.log, 200, 302, &p2));
  CHECK(p1.n == p2.n && memcmp(p1.hash, p2.hash, p1.n * 32) == 0);
  CHECK_RC(truce_verify_inclusion_dir(f.dir, &f.logkey.vkey, note.data,
                                      note.len, 302, &e, &p1, err),
           TRUCE_ENOTFOUND);
  CHECK_OK(truce_verify_log(f.dir, &f.logkey.vkey, NULL, NULL, err));
  truce_buf_release(&e);
  truce_buf_release(&note);
  teardown(&f);
}

/* Checkpoints: the log refuses to sign if it no longer matches. */
TEST(checkpoints_and_consistency) {
  fixture f;
  setup(&f, "cps");
  truce_buf n1, n2;
  truce_buf_init(&n1, TRUCE_NOTE_MAX);
  truce_buf_init(&n2, TRUCE_NOTE_MAX);
  submit(&f, &f.patrol, 2, 1);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, &n1));
  for (int i = 0; i < 20; i++)
    submit(&f, &f.camera, 1, i);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, &n2));
  truce_proof p;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_verify_consistency_dir(f.dir, &f.logkey.vkey, n1.data, n1.len,
                                        n2.data, n2.len, &p, err));
  CHECK_OK(truce_verify_consistency_dir(f.dir, &f.logkey.vkey, n2.data, n2.len,
                                        n1.data, n1.len, &p, err));
  /* A checkpoint with a forged root is refused by its signature. */
  char *r = strchr(strchr(n1.data, '\n') + 1, '\n') + 1;
  r[0] = r[0] == 'A' ? 'B' : 'A';
  CHECK_RC(truce_verify_consistency_dir(f.dir, &f.logkey.vkey, n1.data,
                                        n1.len, n2.data, n2.len, &p, err),
           TRUCE_EBADSIG);
  /* The wrong key. */
  CHECK_RC(truce_log_checkpoint(f.log, &f.admin, NULL), TRUCE_ENOKEY);
  truce_buf_release(&n1);
  truce_buf_release(&n2);
  teardown(&f);
}

/* A torn final write (an incomplete record) is cut off on open; an
 * interrupted rollover is finished. */
TEST(recovery) {
  fixture f;
  setup(&f, "recover");
  for (int i = 0; i < 10; i++)
    submit(&f, &f.patrol, 1, i);
  uint64_t size = log_size(f.log);
  teardown(&f);
  char path[512];
  snprintf(path, sizeof path, "%s/var/pending", f.dir);
  struct stat st;
  CHECK(stat(path, &st) == 0);
  off_t good = st.st_size;
  /* Torn: a length prefix promising more than is there. */
  int fd = open(path, O_WRONLY | O_APPEND);
  uint8_t torn[40] = {0x01, 0x00, 't', 'r', 'u', 'c', 'e'};
  CHECK(write(fd, torn, sizeof torn) == (ssize_t)sizeof torn);
  close(fd);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), size);
  CHECK(stat(path, &st) == 0 && st.st_size == good);
  submit(&f, &f.patrol, 1, 99);
  CHECK_EQ_U64(log_size(f.log), size + 1);
  teardown(&f);
  /* A single stray byte. */
  fd = open(path, O_WRONLY | O_APPEND);
  CHECK(write(fd, "\x07", 1) == 1);
  close(fd);
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), size + 1);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  CHECK_OK(truce_verify_log(f.dir, NULL, NULL, NULL, err));

  /* Fill to 250 entries, then simulate each stage of a rollover crash. */
  while (log_size(f.log) < 250)
    submit(&f, &f.camera, 1, (int)log_size(f.log));
  teardown(&f);
  /* Stage: pending has > 256 records and a half-written pending.next. We
   * forge it by appending records (a crash right after the fdatasync of an
   * append that crossed 256, before the rollover started). */
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  truce_buf b, sig;
  truce_buf_init(&b, 1 << 20);
  truce_buf_init(&sig, 8 << 20);
  for (int i = 0; i < 10; i++) {
    truce_source s;
    CHECK_OK(truce_log_source(f.log, "patrol-7", &s));
    b.len = 0;
    obs_lines(&b, 1, 1000 + i);
    size_t n;
    CHECK_OK(truce_batch_sign(&f.patrol, s.last_seq + 1 + (uint64_t)i, NOW,
                              b.data, b.len, &sig, &n, err));
  }
  uint64_t before = log_size(f.log);
  teardown(&f);
  /* Append the records by hand, as the writer would, without rollover. */
  {
    fd = open(path, O_WRONLY | O_APPEND);
    size_t off = 0;
    const char *ent;
    size_t n;
    while (truce_entries_next(sig.data, sig.len, &off, &ent, &n, err) ==
           TRUCE_OK) {
      uint8_t lb[2] = {(uint8_t)(n >> 8), (uint8_t)n};
      CHECK(write(fd, lb, 2) == 2);
      CHECK(write(fd, ent, n) == (ssize_t)n);
    }
    close(fd);
  }
  /* And a stale, half-copied pending.next. */
  char next[512];
  snprintf(next, sizeof next, "%s/var/pending.next", f.dir);
  fd = open(next, O_WRONLY | O_CREAT, 0644);
  CHECK(write(fd, "\x00\x10half", 6) == 6);
  close(fd);
  /* A read-only view of the interrupted state sees every entry once. */
  {
    truce_log *ro;
    CHECK_OK(truce_log_open(f.dir, TRUCE_OPEN_READONLY, &ro, err));
    CHECK_EQ_U64(log_size(ro), before + 10);
    truce_source s;
    CHECK_OK(truce_log_source(ro, "patrol-7", &s));
    truce_buf e;
    truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
    truce_entry ent;
    CHECK_OK(truce_log_entry(ro, before + 9, &e));
    CHECK_OK(truce_entry_parse(e.data, e.len, &ent, err));
    CHECK_EQ_U64(ent.seq, s.last_seq);
    truce_buf_release(&e);
    truce_log_close(ro);
  }
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), before + 10);
  CHECK(stat(next, &st) != 0);
  int dirfd = open(f.dir, O_RDONLY | O_DIRECTORY);
  CHECK(file_exists_at(dirfd, "tile/entries/000"));
  CHECK(file_exists_at(dirfd, "tile/0/000"));
  /* Stage: full bundle renamed, tiles lost, pending.next not yet renamed. */
  teardown(&f);
  CHECK(unlinkat(dirfd, "tile/0/000", 0) == 0);
  CHECK(renameat(dirfd, "var/pending", dirfd, "var/pending.next") == 0);
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), before + 10);
  CHECK(file_exists_at(dirfd, "tile/0/000"));
  CHECK(file_exists_at(dirfd, "var/pending"));
  CHECK(!file_exists_at(dirfd, "var/pending.next"));
  /* Stage: truncated to 256 but not renamed (pending.next holds the tail):
   * undo our rollover by hand to get there. */
  teardown(&f);
  {
    truce_buf full, tail;
    truce_buf_init(&full, 64u << 20);
    truce_buf_init(&tail, 64u << 20);
    CHECK_OK(read_file_at(dirfd, "tile/entries/000", &full, err));
    CHECK_OK(read_file_at(dirfd, "var/pending", &tail, err));
    CHECK(unlinkat(dirfd, "tile/entries/000", 0) == 0);
    CHECK(unlinkat(dirfd, "tile/0/000", 0) == 0);
    CHECK(unlinkat(dirfd, "var/pending", 0) == 0);
    CHECK_OK(write_file_atomic(dirfd, "var/pending", full.data, full.len,
                               false, err));
    CHECK_OK(write_file_atomic(dirfd, "var/pending.next", tail.data, tail.len,
                               false, err));
    truce_buf_release(&full);
    truce_buf_release(&tail);
  }
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), before + 10);
  CHECK(file_exists_at(dirfd, "tile/entries/000"));
  CHECK(!file_exists_at(dirfd, "var/pending.next"));
  close(dirfd);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  CHECK_OK(truce_verify_log(f.dir, NULL, NULL, NULL, err));
  truce_buf_release(&b);
  truce_buf_release(&sig);
  teardown(&f);
}

/* The registry snapshot is a cache: stale or corrupt, it is rebuilt. */
TEST(state_snapshot) {
  fixture f;
  setup(&f, "state");
  submit(&f, &f.patrol, 1, 1);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  submit(&f, &f.patrol, 1, 2); /* after the snapshot */
  teardown(&f);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  truce_source s;
  CHECK_OK(truce_log_source(f.log, "patrol-7", &s));
  CHECK_EQ_U64(s.last_seq, 2);
  teardown(&f);
  /* Corrupt the snapshot: lie about the sequence number. */
  char path[512];
  snprintf(path, sizeof path, "%s/var/state", f.dir);
  FILE *fp = fopen(path, "w");
  fputs("truce-state/v1\nsize 4\nroot AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        "admin-seq 2\n",
        fp);
  fclose(fp);
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_OK(truce_log_source(f.log, "patrol-7", &s));
  CHECK_EQ_U64(s.last_seq, 2);
  CHECK_EQ_U64(truce_log_source_count(f.log), 2);
  teardown(&f);
}

/* Two processes appending at once are serialised by the lock. */
TEST(concurrent_writers) {
  fixture f;
  setup(&f, "concurrent");
  teardown(&f);
  pid_t pids[2];
  for (int w = 0; w < 2; w++) {
    pids[w] = fork();
    if (pids[w] == 0) {
      truce_log *log;
      char err[TRUCE_ERR_MAX];
      if (truce_log_open(f.dir, 0, &log, err))
        _exit(2);
      truce_buf b;
      truce_buf_init(&b, 1 << 20);
      int bad = 0;
      for (int i = 0; i < 150; i++) {
        b.len = 0;
        obs_lines(&b, 1 + i % 3, i);
        if (truce_log_submit(log, w ? &f.camera : &f.patrol, b.data, b.len,
                             NOW, NULL, NULL))
          bad = 1;
      }
      truce_log_close(log);
      _exit(bad);
    }
  }
  for (int w = 0; w < 2; w++) {
    int st;
    waitpid(pids[w], &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_open(f.dir, 0, &f.log, err));
  CHECK_EQ_U64(log_size(f.log), 302);
  truce_source s;
  CHECK_OK(truce_log_source(f.log, "patrol-7", &s));
  CHECK_EQ_U64(s.last_seq, 150);
  CHECK_OK(truce_log_source(f.log, "camera-2", &s));
  CHECK_EQ_U64(s.last_seq, 150);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  CHECK_OK(truce_verify_log(f.dir, NULL, NULL, NULL, err));
  teardown(&f);
}

/* Threads sharing one handle (a server's workers): appends interleave,
 * none is lost, the log verifies. */
typedef struct thread_job {
  truce_log *log;
  const truce_skey *key;
  int bad;
} thread_job;

static void *thread_submit(void *arg) {
  thread_job *j = arg;
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  for (int i = 0; i < 100; i++) {
    b.len = 0;
    obs_lines(&b, 1 + i % 4, i);
    if (truce_log_submit(j->log, j->key, b.data, b.len, NOW, NULL, NULL))
      j->bad++;
  }
  truce_buf_release(&b);
  return NULL;
}

TEST(threads_share_a_handle) {
  fixture f;
  setup(&f, "threads");
  pthread_t t[2];
  thread_job jobs[2] = {{f.log, &f.patrol, 0}, {f.log, &f.camera, 0}};
  for (int i = 0; i < 2; i++)
    CHECK(pthread_create(&t[i], NULL, thread_submit, &jobs[i]) == 0);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  CHECK(jobs[0].bad == 0 && jobs[1].bad == 0);
  CHECK_EQ_U64(log_size(f.log), 202);
  truce_source s;
  CHECK_OK(truce_log_source(f.log, "camera-2", &s));
  CHECK_EQ_U64(s.last_seq, 100);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  CHECK_OK(truce_verify_log(f.dir, NULL, NULL, NULL, err));
  teardown(&f);
}

/* n pre-signed one-observation batches from k, sequence numbers from seq. */
static void presigned(truce_buf *out, const truce_skey *k, uint64_t seq,
                      int n) {
  char err[TRUCE_ERR_MAX];
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  for (int i = 0; i < n; i++) {
    b.len = 0;
    obs_lines(&b, 1, i);
    size_t got;
    CHECK_OK(truce_batch_sign(k, seq + (uint64_t)i, NOW, b.data, b.len, out,
                              &got, err));
  }
  truce_buf_release(&b);
}

/* A handle that saw the log with no journal (just after a bundle filled)
 * must notice when another writer fills the next bundle exactly. */
TEST(stale_handle_after_rollover) {
  fixture f;
  setup(&f, "stale");
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  presigned(&b, &f.patrol, 1, 254); /* 2 registrations + 254 = 256 */
  CHECK_OK(truce_log_append(f.log, b.data, b.len, NOW, NULL, NULL));
  CHECK_EQ_U64(log_size(f.log), 256);
  truce_log *other;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_open(f.dir, 0, &other, err));
  CHECK_EQ_U64(log_size(other), 256);
  b.len = 0;
  presigned(&b, &f.patrol, 255, 256);
  CHECK_OK(truce_log_append(f.log, b.data, b.len, NOW, NULL, NULL));
  b.len = 0;
  presigned(&b, &f.camera, 1, 1);
  uint64_t first = 0;
  CHECK_OK(truce_log_append(other, b.data, b.len, NOW, &first, NULL));
  CHECK_EQ_U64(first, 512);
  truce_log_close(other);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  CHECK_OK(truce_verify_log(f.dir, NULL, NULL, NULL, err));
  truce_buf_release(&b);
  teardown(&f);
}

/* Every allocation failing in turn: a clean error, never a crash, and the
 * log still verifies. */
TEST(allocation_failures) {
  fixture f;
  setup(&f, "alloc");
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  obs_lines(&b, 3, 1);
  int failures = 0;
  for (uint64_t n = 1; n < 400; n++) {
    truce_test_fail_alloc(n);
    truce_err rc =
        truce_log_submit(f.log, &f.patrol, b.data, b.len, NOW, NULL, NULL);
    truce_test_fail_alloc(0);
    if (rc == TRUCE_OK)
      break;
    CHECK_MSG(rc == TRUCE_ENOMEM, "n=%" PRIu64 ": %d %s", n, rc,
              truce_log_errmsg(f.log));
    failures++;
  }
  CHECK(failures > 3);
  CHECK_EQ_U64(log_size(f.log), 3);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  CHECK_OK(truce_verify_log(f.dir, NULL, NULL, NULL, err));
  truce_buf_release(&b);
  teardown(&f);
}

/* ---- tampering ---- */

static void copy_log(const char *from, const char *to) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
  CHECK(system(cmd) == 0);
}

static void collect(void *ctx, const char *line) {
  truce_buf *b = ctx;
  truce_buf_appendf(b, "%s\n", line);
}

/* Verify; err (REPORT_MAX bytes) receives every reported line. */
#define REPORT_MAX (1 << 16)
static truce_err verify_dir(const char *dir, char *err) {
  truce_buf report;
  truce_buf_init(&report, 1 << 20);
  char first[TRUCE_ERR_MAX];
  truce_err rc = truce_verify_log(dir, NULL, collect, &report, first);
  snprintf(err, REPORT_MAX, "%s", report.data ? report.data : "");
  if (rc && !strstr(err, "FAILED"))
    snprintf(err, REPORT_MAX, "%s", first);
  truce_buf_release(&report);
  return rc;
}

TEST(tampering_detected) {
  fixture f;
  setup(&f, "tamper");
  for (int i = 0; i < 300; i++)
    submit(&f, i % 2 ? &f.patrol : &f.camera, 1, i);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, NULL));
  teardown(&f);
  static char err[REPORT_MAX];
  char t[400], path[500];
  CHECK_OK(verify_dir(f.dir, err));
  snprintf(t, sizeof t, "%s/tampered", root_dir);

  /* A flipped byte in a full bundle. */
  copy_log(f.dir, t);
  snprintf(path, sizeof path, "%s/tile/entries/000", t);
  int fd = open(path, O_RDWR);
  char c;
  CHECK(pread(fd, &c, 1, 500) == 1);
  c ^= 1;
  CHECK(pwrite(fd, &c, 1, 500) == 1);
  close(fd);
  CHECK(verify_dir(t, err) != TRUCE_OK);
  CHECK_CONTAINS(err, "FAILED: tile/0/000: hash 1 does not match");
  CHECK_CONTAINS(err, "entry 1 (tile/entries/000, record 1)");

  /* A truncated bundle. */
  copy_log(f.dir, t);
  snprintf(path, sizeof path, "%s/tile/entries/000", t);
  struct stat st;
  stat(path, &st);
  CHECK(truncate(path, st.st_size - 100) == 0);
  CHECK_RC(verify_dir(t, err), TRUCE_ETAMPER);
  CHECK_CONTAINS(err, "tile/entries/000");
  CHECK_CONTAINS(err, "truncated");

  /* A reordered bundle: the first two records swapped. */
  copy_log(f.dir, t);
  {
    truce_buf b;
    truce_buf_init(&b, 64u << 20);
    int dfd = open(t, O_RDONLY | O_DIRECTORY);
    CHECK_OK(read_file_at(dfd, "tile/entries/000", &b, err));
    size_t l0 = 2 + (size_t)get_be16((uint8_t *)b.data);
    size_t l1 = 2 + (size_t)get_be16((uint8_t *)b.data + l0);
    char *tmp = malloc(l0 + l1);
    memcpy(tmp, b.data + l0, l1);
    memcpy(tmp + l1, b.data, l0);
    memcpy(b.data, tmp, l0 + l1);
    free(tmp);
    CHECK(unlinkat(dfd, "tile/entries/000", 0) == 0);
    CHECK_OK(write_file_atomic(dfd, "tile/entries/000", b.data, b.len, false,
                               err));
    close(dfd);
    truce_buf_release(&b);
  }
  CHECK_RC(verify_dir(t, err), TRUCE_ESEQ);
  CHECK_CONTAINS(err, "FAILED: tile/0/000: hash 0 does not match");

  /* A replaced hash tile (recomputed over altered data would also change
   * the root; here the tile alone is replaced). */
  copy_log(f.dir, t);
  snprintf(path, sizeof path, "%s/tile/0/000", t);
  fd = open(path, O_RDWR);
  uint8_t zero[32] = {0};
  CHECK(pwrite(fd, zero, 32, 64) == 32);
  close(fd);
  CHECK_RC(verify_dir(t, err), TRUCE_ETAMPER);
  CHECK_CONTAINS(err, "tile/0/000: hash 2");

  /* A rewritten history: entries and tiles recomputed consistently, but
   * the signed checkpoint's root no longer matches. */
  copy_log(f.dir, t);
  {
    /* Rebuild the log in the copy from a different set of entries using
     * the library, then put back the old signed checkpoint. */
    snprintf(path, sizeof path, "%s/checkpoint", f.dir);
    truce_buf old;
    truce_buf_init(&old, TRUCE_NOTE_MAX);
    CHECK_OK(truce_buf_read_file(&old, path, err));
    fixture g;
    setup(&g, "rewritten");
    for (int i = 0; i < 300; i++)
      submit(&g, i % 2 ? &g.patrol : &g.camera, 1, i + 7);
    CHECK_OK(truce_log_checkpoint(g.log, &g.logkey, NULL));
    teardown(&g);
    snprintf(path, sizeof path, "%s/checkpoint", g.dir);
    FILE *fp = fopen(path, "w");
    fwrite(old.data, 1, old.len, fp);
    fclose(fp);
    CHECK_RC(verify_dir(g.dir, err), TRUCE_ETAMPER);
    CHECK_CONTAINS(err, "root");
    truce_buf_release(&old);
  }

  /* A missing bundle. */
  copy_log(f.dir, t);
  snprintf(path, sizeof path, "%s/tile/entries/000", t);
  CHECK(unlink(path) == 0);
  CHECK_RC(verify_dir(t, err), TRUCE_ETAMPER);
  CHECK_CONTAINS(err, "tile/entries/000");

  /* A checkpoint whose signature was altered. */
  copy_log(f.dir, t);
  snprintf(path, sizeof path, "%s/checkpoint", t);
  truce_buf cp;
  truce_buf_init(&cp, TRUCE_NOTE_MAX);
  CHECK_OK(truce_buf_read_file(&cp, path, err));
  char *sig = strstr(cp.data, EM_DASH);
  sig[strlen(sig) - 5] ^= 1;
  FILE *fp = fopen(path, "w");
  fwrite(cp.data, 1, cp.len, fp);
  fclose(fp);
  truce_err rc = verify_dir(t, err);
  CHECK_MSG(rc == TRUCE_EBADSIG || rc == TRUCE_EPARSE, "%d %s", rc, err);
  truce_buf_release(&cp);
  /* The log itself refuses to extend a log that lost entries. */
  copy_log(f.dir, t);
  snprintf(path, sizeof path, "%s/var/pending", t);
  CHECK(unlink(path) == 0);
  truce_log *log;
  CHECK_OK(truce_log_open(t, 0, &log, err));
  CHECK_RC(truce_log_checkpoint(log, &f.logkey, NULL), TRUCE_ETAMPER);
  CHECK_CONTAINS(truce_log_errmsg(log), "missing");
  truce_log_close(log);
}

/* ---- witness ---- */

TEST(witness_cosigns_and_catches_splits) {
  fixture f;
  setup(&f, "witnessed");
  truce_skey wk;
  uint8_t seed[32];
  memset(seed, 7, 32);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_skey_from_seed("witness.example/w1", TRUCE_KEY_COSIG_V1, seed,
                                &wk, err));
  char wdir[400];
  snprintf(wdir, sizeof wdir, "%s/witness-state", root_dir);
  truce_witness *w;
  CHECK_OK(truce_witness_open(wdir, &wk, &w, err));

  truce_buf n1, body, cosig;
  truce_buf_init(&n1, TRUCE_NOTE_MAX);
  truce_buf_init(&body, TRUCE_NOTE_MAX * 2);
  truce_buf_init(&cosig, 4096);
  submit(&f, &f.patrol, 1, 1);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, &n1));
  truce_buf_appendf(&body, "old 0\n\n%s", n1.data);
  /* Unknown log first. */
  CHECK_RC(truce_witness_add_checkpoint(w, body.data, body.len, 1700000000,
                                        &cosig),
           TRUCE_ENOTFOUND);
  CHECK_OK(truce_witness_add_log(w, &f.logkey.vkey));
  CHECK_OK(truce_witness_add_checkpoint(w, body.data, body.len, 1700000000,
                                        &cosig));
  /* The cosignature verifies as cosignature/v1 over the checkpoint. */
  truce_vkey wv = wk.vkey;
  truce_buf cosigned;
  truce_buf_init(&cosigned, TRUCE_NOTE_MAX);
  truce_buf_append(&cosigned, n1.data, n1.len);
  truce_buf_append(&cosigned, cosig.data, cosig.len);
  truce_checkpoint c;
  uint8_t verified[2];
  uint64_t ts[2];
  CHECK_OK(truce_checkpoint_open(cosigned.data, cosigned.len, &f.logkey.vkey,
                                 &wv, 1, &c, verified, ts, err));
  CHECK(verified[0] && verified[1]);
  CHECK_EQ_U64(ts[1], 1700000000);
  CHECK_OK(truce_log_add_cosignatures(f.log, c.size, cosig.data, cosig.len));
  uint64_t last;
  CHECK_OK(truce_witness_last_size(w, "test.example/log", &last));
  CHECK_EQ_U64(last, c.size);

  /* Growth with a valid proof is cosigned. */
  for (int i = 0; i < 5; i++)
    submit(&f, &f.camera, 1, i);
  truce_buf n2;
  truce_buf_init(&n2, TRUCE_NOTE_MAX);
  CHECK_OK(truce_log_checkpoint(f.log, &f.logkey, &n2));
  truce_proof p;
  CHECK_OK(truce_log_prove_consistency(f.log, last, last + 5, &p));
  body.len = 0;
  truce_buf_appendf(&body, "old %" PRIu64 "\n", last);
  for (size_t i = 0; i < p.n; i++) {
    char b64[64];
    truce_base64_encode(p.hash[i], 32, b64);
    truce_buf_appendf(&body, "%s\n", b64);
  }
  truce_buf_appendf(&body, "\n%s", n2.data);
  cosig.len = 0;
  CHECK_OK(truce_witness_add_checkpoint(w, body.data, body.len, 1700000100,
                                        &cosig));
  /* The same request again: the old size is now stale. */
  CHECK_RC(truce_witness_add_checkpoint(w, body.data, body.len, 1700000200,
                                        &cosig),
           TRUCE_ESTALE);

  /* A split view: the same log key signs a different history. */
  fixture g;
  setup(&g, "forked");
  for (int i = 0; i < 10; i++)
    submit(&g, &g.patrol, 1, 100 + i);
  truce_buf n3;
  truce_buf_init(&n3, TRUCE_NOTE_MAX);
  CHECK_OK(truce_log_checkpoint(g.log, &g.logkey, &n3));
  uint64_t had;
  CHECK_OK(truce_witness_last_size(w, "test.example/log", &had));
  CHECK_OK(truce_log_prove_consistency(g.log, had, log_size(g.log), &p));
  body.len = 0;
  truce_buf_appendf(&body, "old %" PRIu64 "\n", had);
  for (size_t i = 0; i < p.n; i++) {
    char b64[64];
    truce_base64_encode(p.hash[i], 32, b64);
    truce_buf_appendf(&body, "%s\n", b64);
  }
  truce_buf_appendf(&body, "\n%s", n3.data);
  CHECK_RC(truce_witness_add_checkpoint(w, body.data, body.len, 1700000300,
                                        &cosig),
           TRUCE_ESPLIT);
  CHECK_CONTAINS(truce_witness_errmsg(w), "not consistent");
  /* The evidence is kept: the request and what was cosigned before. */
  char ev[600];
  snprintf(ev, sizeof ev,
           "%s/logs/test.example%%2Flog/refused-1700000300-0/request", wdir);
  struct stat st;
  CHECK(stat(ev, &st) == 0);
  snprintf(ev, sizeof ev,
           "%s/logs/test.example%%2Flog/refused-1700000300-0/cosigned", wdir);
  CHECK(stat(ev, &st) == 0);
  /* And the witness's record did not move. */
  CHECK_OK(truce_witness_last_size(w, "test.example/log", &last));
  CHECK_EQ_U64(last, had);
  /* Malformed requests. */
  CHECK_RC(truce_witness_add_checkpoint(w, "old x\n\n", 7, 1, &cosig),
           TRUCE_EPARSE);
  truce_witness_close(w);
  truce_buf_release(&n1);
  truce_buf_release(&n2);
  truce_buf_release(&n3);
  truce_buf_release(&body);
  truce_buf_release(&cosig);
  truce_buf_release(&cosigned);
  teardown(&g);
  teardown(&f);
}

/* The tile reader against the 70,000-entry tiled log of the shared
 * vectors: tiles written to disk, read back by truce_tiles. */
TEST(tiles_reader_70000) {
  const char *path = shared_path("vectors/tlog/extracted/tiles_vectors.json");
  if (!path)
    SKIP("../shared/vectors/tlog absent");
  char dir[400];
  snprintf(dir, sizeof dir, "%s/tiles70k", root_dir);
  mkdir(dir, 0755);
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
  /* Build the tiles independently here: level 0 = leaf hashes. */
  uint64_t n = 70000;
  uint8_t(*lvl)[32] = malloc(n * 32);
  char err[TRUCE_ERR_MAX];
  for (uint64_t i = 0; i < n; i++) {
    char leaf[32];
    int len = snprintf(leaf, sizeof leaf, "leaf %" PRIu64, i);
    truce_leaf_hash(leaf, (size_t)len, lvl[i]);
  }
  uint64_t count = n;
  for (int level = 0; count > 0; level++) {
    for (uint64_t t = 0; t * 256 < count; t++) {
      unsigned w = count - t * 256 >= 256 ? 256 : (unsigned)(count - t * 256);
      char p[TRUCE_TILE_PATH_MAX];
      truce_tile_path(level, t, w, p);
      CHECK_OK(write_file_atomic(dirfd, p, lvl[t * 256], w * 32, false, err));
    }
    uint64_t up = count / 256;
    for (uint64_t t = 0; t < up; t++)
      hash_run((const uint8_t(*)[32])lvl + t * 256, 256, lvl[t]);
    count = up;
  }
  free(lvl);
  close(dirfd);
  json_t *root = json_load_file(path, 0, NULL);
  json_t *dl = json_object_get(root, "derived_log");
  json_t *roots = json_object_get(dl, "root_hashes_b64_by_size");
  const char *k;
  json_t *v;
  int checked = 0;
  json_object_foreach(roots, k, v) {
    uint64_t size = strtoull(k, NULL, 10);
    if (size != 70000)
      continue; /* only size 70000's partial tiles were written */
    truce_tiles *t;
    CHECK_OK(truce_tiles_open(dir, size, &t, err));
    uint8_t r[32], want[32];
    size_t wl;
    CHECK_OK(truce_tree_root(truce_tiles_node, t, size, r));
    truce_base64_decode(json_string_value(v), strlen(json_string_value(v)),
                        want, 32, &wl);
    CHECK(memcmp(r, want, 32) == 0);
    truce_tiles_close(t);
    checked++;
  }
  json_t *incl = json_object_get(dl, "inclusion_proofs");
  size_t i;
  json_array_foreach(incl, i, v) {
    uint64_t idx = (uint64_t)json_integer_value(json_object_get(v, "leaf_index"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "tree_size"));
    truce_tiles *t;
    if (size > 70000 || (size != 70000 && size % 256 != 0))
      continue; /* partial tiles of other sizes are not on disk */
    CHECK_OK(truce_tiles_open(dir, size, &t, err));
    truce_proof p;
    CHECK_OK(truce_inclusion_prove(truce_tiles_node, t, idx, size, &p));
    json_t *pa = json_object_get(v, "proof_b64");
    CHECK_EQ_U64(p.n, json_array_size(pa));
    for (size_t j = 0; j < p.n && j < json_array_size(pa); j++) {
      uint8_t h[32];
      size_t hl;
      const char *s = json_string_value(json_array_get(pa, j));
      truce_base64_decode(s, strlen(s), h, 32, &hl);
      CHECK(memcmp(h, p.hash[j], 32) == 0);
    }
    truce_tiles_close(t);
    checked++;
  }
  CHECK(checked >= 2);
  json_decref(root);
}

int main(void) {
  srand((unsigned)time(NULL));
  NOW = (int64_t)time(NULL) * 1000;
  snprintf(root_dir, sizeof root_dir, "/tmp/truce-test-log-XXXXXX");
  if (!mkdtemp(root_dir)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(append_and_read_back);
  RUN(refusals_change_nothing);
  RUN(large_submissions_split);
  RUN(roots_and_proofs);
  RUN(checkpoints_and_consistency);
  RUN(recovery);
  RUN(state_snapshot);
  RUN(concurrent_writers);
  RUN(stale_handle_after_rollover);
  RUN(threads_share_a_handle);
  RUN(allocation_failures);
  RUN(tampering_detected);
  RUN(witness_cosigns_and_catches_splits);
  RUN(tiles_reader_70000);
  if (!test_failed)
    rmtree(root_dir);
  else
    fprintf(stderr, "left %s for inspection\n", root_dir);
  return test_done(__FILE__);
}
