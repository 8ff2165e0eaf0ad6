/*
 * test.h: the tiny test harness (after H3's test.h). Each test file is
 * its own program: TEST() functions run from main() with RUN(); CHECK()
 * records a failure with file and line and carries on; main returns
 * test_done(), non-zero if anything failed. SKIP() reports a skipped test
 * as skipped, never as passed.
 *
 * Shared data: shared_path("vectors/tlog/...") gives the path under
 * $TRUCE_SHARED (default ../shared), or NULL if it is absent.
 */
#ifndef TRUCE_TEST_H
#define TRUCE_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int test_failed, test_checks, test_skipped, test_run;
static const char *test_current = "";
static int test_current_failed;

#define CHECK(cond)                                                          \
  do {                                                                       \
    test_checks++;                                                           \
    if (!(cond)) {                                                           \
      test_current_failed = 1;                                               \
      fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__,   \
              test_current, #cond);                                          \
    }                                                                        \
  } while (0)

#define CHECK_MSG(cond, ...)                                                 \
  do {                                                                       \
    test_checks++;                                                           \
    if (!(cond)) {                                                           \
      test_current_failed = 1;                                               \
      fprintf(stderr, "%s:%d: %s: CHECK(%s) failed: ", __FILE__, __LINE__,   \
              test_current, #cond);                                          \
      fprintf(stderr, __VA_ARGS__);                                          \
      fputc('\n', stderr);                                                   \
    }                                                                        \
  } while (0)

/* An expression returning truce_err must give `want`. */
#define CHECK_RC(expr, want)                                                 \
  do {                                                                       \
    int rc_ = (int)(expr);                                                   \
    test_checks++;                                                           \
    if (rc_ != (int)(want)) {                                                \
      test_current_failed = 1;                                               \
      fprintf(stderr, "%s:%d: %s: %s returned %d (%s), want %d (%s)\n",      \
              __FILE__, __LINE__, test_current, #expr, rc_,                  \
              truce_strerror((truce_err)rc_), (int)(want),                   \
              truce_strerror((truce_err)(want)));                            \
    }                                                                        \
  } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, TRUCE_OK)

#define CHECK_EQ_U64(a, b)                                                   \
  do {                                                                       \
    uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                         \
    CHECK_MSG(a_ == b_, "%" PRIu64 " != %" PRIu64, a_, b_);                  \
  } while (0)

#define CHECK_STR(a, b)                                                      \
  do {                                                                       \
    const char *a_ = (a), *b_ = (b);                                         \
    CHECK_MSG(a_ && b_ && strcmp(a_, b_) == 0, "\"%s\" != \"%s\"",           \
              a_ ? a_ : "(null)", b_ ? b_ : "(null)");                       \
  } while (0)

#define CHECK_CONTAINS(hay, needle)                                          \
  do {                                                                       \
    const char *h_ = (hay), *n_ = (needle);                                  \
    CHECK_MSG(h_ && strstr(h_, n_), "\"%s\" does not contain \"%s\"",        \
              h_ ? h_ : "(null)", n_);                                       \
  } while (0)

#define TEST(name) static void name(void)

#define RUN(name)                                                            \
  do {                                                                       \
    test_current = #name;                                                    \
    test_current_failed = 0;                                                 \
    test_run++;                                                              \
    name();                                                                  \
    if (test_current_failed)                                                 \
      test_failed++;                                                         \
  } while (0)

/* Skip the current test with a reason; it is counted as skipped. */
#define SKIP(...)                                                            \
  do {                                                                       \
    test_skipped++;                                                          \
    fprintf(stderr, "SKIP %s: ", test_current);                              \
    fprintf(stderr, __VA_ARGS__);                                            \
    fputc('\n', stderr);                                                     \
    return;                                                                  \
  } while (0)

static inline const char *shared_path(const char *rel) {
  static char buf[8][4096];
  static int slot;
  const char *root = getenv("TRUCE_SHARED");
  if (!root || !*root)
    root = "../shared";
  char *p = buf[slot++ % 8];
  snprintf(p, 4096, "%s/%s", root, rel);
  struct stat st;
  return stat(p, &st) == 0 ? p : NULL;
}

/* k / 1e7 as text, by integer arithmetic (no code under test): the
 * reference the 7-decimal grid is checked against (test_json, test_obs). */
static inline void grid_text(int64_t k, char out[40]) {
  uint64_t u = k < 0 ? (uint64_t)-k : (uint64_t)k;
  int n = snprintf(out, 40, "%s%" PRIu64, k < 0 ? "-" : "", u / 10000000);
  uint64_t f = u % 10000000;
  if (f) {
    char frac[16];
    snprintf(frac, sizeof frac, "%07" PRIu64, f);
    size_t len = strlen(frac);
    while (len > 1 && frac[len - 1] == '0')
      frac[--len] = '\0';
    snprintf(out + n, 40 - (size_t)n, ".%s", frac);
  }
}

static inline int test_done(const char *file) {
  fprintf(stderr, "%s: %d tests, %d checks, %d failed, %d skipped\n", file,
          test_run, test_checks, test_failed, test_skipped);
  return test_failed ? 1 : 0;
}

#endif /* TRUCE_TEST_H */
