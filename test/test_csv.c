/*
 * test_csv.c: the RFC 4180 reader (lib/csv.c): quoting, line endings,
 * the byte order mark, refused records and how reading goes on after
 * them, and a record split every way into a byte-by-byte model.
 */
#include "csv.h"
#include "test.h"

/* Read all of data into one string: records joined by '\n', fields by
 * '|', refused records as "!LINE". */
static void render(const char *data, size_t max, char *out, size_t cap) {
  csv_reader r;
  csv_init(&r, data, strlen(data));
  csv_field f[8];
  size_t n, o = 0;
  char err[TRUCE_ERR_MAX];
  out[0] = '\0';
  for (;;) {
    int rc = csv_next(&r, f, max, &n, err);
    if (rc == CSV_END)
      break;
    if (o && o < cap)
      out[o++] = '\n';
    if (rc == CSV_BAD) {
      o += (size_t)snprintf(out + o, cap - o, "!%llu",
                            (unsigned long long)r.line);
      continue;
    }
    CHECK(rc == CSV_RECORD);
    if (rc != CSV_RECORD)
      break;
    o += (size_t)snprintf(out + o, cap - o, "%llu:", (unsigned long long)r.line);
    for (size_t i = 0; i < n; i++)
      o += (size_t)snprintf(out + o, cap - o, "%s%.*s", i ? "|" : "",
                            (int)f[i].len, f[i].s);
  }
  if (o < cap)
    out[o] = '\0';
  csv_release(&r);
}

#define EXPECT(data, max, want)                                              \
  do {                                                                       \
    char got_[1024];                                                         \
    render(data, max, got_, sizeof got_);                                    \
    CHECK_STR(got_, want);                                                   \
  } while (0)

TEST(test_plain_and_quoted) {
  EXPECT("a,b,c\n1,2,3\n", 8, "1:a|b|c\n2:1|2|3");
  EXPECT("a,b\r\n1,2\r\n", 8, "1:a|b\n2:1|2");
  EXPECT("a,b\n1,2", 8, "1:a|b\n2:1|2"); /* no final newline */
  EXPECT("\xef\xbb\xbf" "a,b\n", 8, "1:a|b");
  EXPECT("\"x,y\",\"say \"\"hi\"\"\"\n", 8, "1:x,y|say \"hi\"");
  EXPECT("\"two\nlines\",z\nnext\n", 8, "1:two\nlines|z\n3:next");
  EXPECT("a,,c,\n", 8, "1:a||c|");
  EXPECT("\"q\",\n", 8, "1:q|");
  EXPECT("\n\r\na\n\n", 8, "3:a");
  EXPECT(",\n", 8, "1:|");
  EXPECT("", 8, "");
}

TEST(test_refused_and_resumed) {
  EXPECT("a\"b,c\nok,1\n", 8, "!1\n2:ok|1");
  EXPECT("\"a\"x,c\nok,1\n", 8, "!1\n2:ok|1");
  EXPECT("ok,0\n\"open,c\nok,1\n", 8, "1:ok|0\n!2\n3:ok|1");
  EXPECT("a,b,c\n1,2\n", 2, "!1\n2:1|2");
  /* A stray quote pairs with one on a later line: the next line is
   * read again on its own. */
  EXPECT("a\"b\nc\"d\ne,f\n", 8, "!1\n!2\n3:e|f");
}

TEST(test_long_record) {
  size_t n = CSV_RECORD_MAX + 10;
  char *d = malloc(n + 16);
  CHECK(d != NULL);
  if (!d)
    return;
  memset(d, 'x', n);
  memcpy(d + n, "\nok\n", 5);
  csv_reader r;
  csv_init(&r, d, strlen(d));
  csv_field f[4];
  size_t k;
  char err[TRUCE_ERR_MAX];
  CHECK(csv_next(&r, f, 4, &k, err) == CSV_BAD);
  CHECK_CONTAINS(err, "line 1: a record longer than");
  CHECK(csv_next(&r, f, 4, &k, err) == CSV_RECORD);
  CHECK(k == 1 && f[0].len == 2 && r.line == 2);
  CHECK(csv_next(&r, f, 4, &k, err) == CSV_END);
  csv_release(&r);
  free(d);
}

TEST(test_eq) {
  csv_field f = {"Latitude", 8};
  CHECK(csv_eq(f, "latitude"));
  CHECK(!csv_eq(f, "latitud"));
  CHECK(!csv_eq(f, "longitude"));
}

int main(void) {
  RUN(test_plain_and_quoted);
  RUN(test_refused_and_resumed);
  RUN(test_long_record);
  RUN(test_eq);
  return test_done(__FILE__);
}
