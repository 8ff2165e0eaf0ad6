/*
 * index.c: the derived index: incidents in SQLite, for queries by place,
 * time, kind and party (docs/fusion.md, "The index").
 *
 * Owns: the schema (an incident table with an index on time, an R*Tree
 * virtual table over the incidents' bounding boxes, the evidence and the
 * reporting parties), storing a fusion's incidents, rebuilding from the
 * log, and queries. Must not depend on how incidents are formed (fuse.c)
 * beyond the public truce_incident, and never writes to the log: the
 * index is derived data, rebuilt from the log alone, kept outside the
 * log's verified files (DIR/index/, which `truce verify` ignores).
 *
 * SQLite allocates on its own (not through truce_malloc); everything
 * else here does.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* 2: the firing position (fire_located, fire_lat ... fire_azimuth_deg).
 * An index of another schema is rebuilt when opened for writing (it is
 * derived data), refused when opened read-only. */
#define SCHEMA_VERSION "2"

struct truce_index {
  sqlite3 *db;
  int readonly;
  char err[TRUCE_ERR_MAX];
  size_t skipped; /* the last rebuild's truce_fuse_skipped */
  char skip_why[TRUCE_ERR_MAX];
  /* what a query's current incident points to */
  char parties[1024];
  truce_evidence *ev;
  size_t capev;
  char *srcbuf; /* evidence source names, NUL-separated */
  size_t capsrc;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT "
    "NULL);\n"
    "CREATE TABLE IF NOT EXISTS incident(\n"
    "  rowid INTEGER PRIMARY KEY,\n"
    "  id TEXT NOT NULL UNIQUE,\n"
    "  ev_index INTEGER NOT NULL, ev_pos INTEGER NOT NULL,\n"
    "  what TEXT NOT NULL, t_ms INTEGER NOT NULL, t_end_ms INTEGER NOT NULL,\n"
    "  located INTEGER NOT NULL, triangulated INTEGER NOT NULL,\n"
    "  lat REAL, lon REAL, major_m REAL, minor_m REAL, azimuth_deg REAL,\n"
    "  west REAL, south REAL, east REAL, north REAL,\n"
    "  nobs INTEGER, nsources INTEGER, count_sum INTEGER, count_max INTEGER,\n"
    "  confidence REAL, weapon TEXT, calibre_mm REAL,\n"
    "  has_fire INTEGER, fire_from_deg REAL, parties TEXT NOT NULL,\n"
    "  fire_located INTEGER NOT NULL, fire_lat REAL, fire_lon REAL,\n"
    "  fire_major_m REAL, fire_minor_m REAL, fire_azimuth_deg REAL);\n"
    "CREATE INDEX IF NOT EXISTS incident_time ON incident(t_ms);\n"
    "CREATE INDEX IF NOT EXISTS incident_what ON incident(what, t_ms);\n"
    "CREATE VIRTUAL TABLE IF NOT EXISTS incident_box USING rtree(\n"
    "  id, min_lon, max_lon, min_lat, max_lat);\n"
    "CREATE TABLE IF NOT EXISTS evidence(incident INTEGER NOT NULL,\n"
    "  entry INTEGER NOT NULL, pos INTEGER NOT NULL, source TEXT NOT NULL,\n"
    "  PRIMARY KEY(incident, entry, pos)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS incident_party(party TEXT NOT NULL,\n"
    "  incident INTEGER NOT NULL, PRIMARY KEY(party, incident)) WITHOUT "
    "ROWID;\n";

/* The tables of an index of another schema: dropped before the schema
 * is created, so that the next store or rebuild fills the new one. */
static const char drop_old[] =
    "DROP TABLE IF EXISTS incident; DROP TABLE IF EXISTS incident_box;\n"
    "DROP TABLE IF EXISTS evidence; DROP TABLE IF EXISTS incident_party;\n"
    "DROP TABLE IF EXISTS meta;\n";

static truce_err dberr(truce_index *ix, const char *what) {
  int c = sqlite3_errcode(ix->db);
  snprintf(ix->err, sizeof ix->err, "%s: %s", what, sqlite3_errmsg(ix->db));
  return c == SQLITE_NOMEM ? TRUCE_ENOMEM
         : c == SQLITE_CORRUPT || c == SQLITE_NOTADB ? TRUCE_EPARSE
                                                      : TRUCE_EIO;
}

void truce_index_default_path(const char *logdir,
                              char out[TRUCE_INDEX_PATH_MAX]) {
  snprintf(out, TRUCE_INDEX_PATH_MAX, "%s/index/incidents.sqlite", logdir);
}

/* The schema an index was built with, in out (bounded): "" when it
 * records none (new, or never stored). */
static void schema_of(sqlite3 *db, char *out, size_t cap) {
  sqlite3_stmt *s = NULL;
  out[0] = 0;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema'", -1,
                         &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
}

truce_err truce_index_open(const char *path, unsigned flags,
                           truce_index **out, char *err) {
  *out = NULL;
  if (!path || !*path)
    return seterr(err, TRUCE_EINVAL, "no index path");
  struct stat st;
  bool exists = stat(path, &st) == 0;
  if (!exists && !(flags & TRUCE_INDEX_CREATE))
    return seterr(err, TRUCE_ENOTFOUND,
                  "'%s' does not exist (run `truce reindex`)", path);
  if (!exists) {
    /* create the folder that holds it (one level: DIR/index) */
    char dir[TRUCE_INDEX_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      *slash = 0;
      if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return seterr(err, TRUCE_EIO, "cannot create '%s': %s", dir,
                      strerror(errno));
    }
  }
  truce_index *ix = truce_calloc(1, sizeof *ix);
  if (!ix)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  ix->readonly = !(flags & TRUCE_INDEX_CREATE);
  int of = ix->readonly ? SQLITE_OPEN_READONLY
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path, &ix->db, of | SQLITE_OPEN_NOMUTEX, NULL);
  truce_err e = TRUCE_OK;
  char have[32] = "";
  if (rc == SQLITE_OK)
    schema_of(ix->db, have, sizeof have);
  if (rc != SQLITE_OK) {
    e = ix->db ? dberr(ix, path) : TRUCE_ENOMEM;
    seterr(err, e, "%s", ix->db ? ix->err : "out of memory");
  } else if (!ix->readonly &&
             ((strcmp(have, SCHEMA_VERSION) != 0 &&
               sqlite3_exec(ix->db, drop_old, NULL, NULL, NULL) !=
                   SQLITE_OK) ||
              sqlite3_exec(ix->db, schema, NULL, NULL, NULL) != SQLITE_OK)) {
    /* (an index of another schema, or one never stored, is emptied: it
     * records no log size, so the caller rebuilds it) */
    e = dberr(ix, path);
    seterr(err, e, "%s", ix->err);
  } else if (ix->readonly && strcmp(have, SCHEMA_VERSION) != 0) {
    e = TRUCE_EPARSE;
    if (have[0])
      seterr(err, e, "'%s' is an index of schema %s; this truce reads "
                     "schema %s (run `truce reindex` to rebuild it)",
             path, have, SCHEMA_VERSION);
    else
      seterr(err, e, "'%s' is not a truce index of schema %s (run `truce "
                     "reindex`)",
             path, SCHEMA_VERSION);
  }
  if (e) {
    truce_index_close(ix);
    return e;
  }
  *out = ix;
  return TRUCE_OK;
}

void truce_index_close(truce_index *ix) {
  if (!ix)
    return;
  sqlite3_close(ix->db);
  truce_free(ix->ev);
  truce_free(ix->srcbuf);
  truce_free(ix);
}

const char *truce_index_errmsg(const truce_index *ix) {
  return ix ? ix->err : "no index";
}

static truce_err exec(truce_index *ix, const char *sql) {
  return sqlite3_exec(ix->db, sql, NULL, NULL, NULL) == SQLITE_OK
             ? TRUCE_OK
             : dberr(ix, sql);
}

static truce_err put_incident(truce_index *ix, sqlite3_stmt *si,
                              sqlite3_stmt *sb, sqlite3_stmt *se,
                              sqlite3_stmt *sp, const truce_incident *c,
                              sqlite3_int64 row) {
  int k = 1;
  sqlite3_reset(si);
  sqlite3_bind_int64(si, k++, row);
  sqlite3_bind_text(si, k++, c->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(si, k++, (sqlite3_int64)c->evidence[0].index);
  sqlite3_bind_int64(si, k++, c->evidence[0].pos);
  sqlite3_bind_text(si, k++, truce_what_name(c->what), -1, SQLITE_STATIC);
  sqlite3_bind_int64(si, k++, c->t_ms);
  sqlite3_bind_int64(si, k++, c->t_end_ms);
  sqlite3_bind_int(si, k++, c->located);
  sqlite3_bind_int(si, k++, c->triangulated);
  sqlite3_bind_double(si, k++, c->where.lat_deg);
  sqlite3_bind_double(si, k++, c->where.lon_deg);
  sqlite3_bind_double(si, k++, c->where.major_m);
  sqlite3_bind_double(si, k++, c->where.minor_m);
  sqlite3_bind_double(si, k++, c->where.azimuth_deg);
  sqlite3_bind_double(si, k++, c->west_deg);
  sqlite3_bind_double(si, k++, c->south_deg);
  sqlite3_bind_double(si, k++, c->east_deg);
  sqlite3_bind_double(si, k++, c->north_deg);
  sqlite3_bind_int64(si, k++, c->nobs);
  sqlite3_bind_int64(si, k++, c->nsources);
  sqlite3_bind_int64(si, k++, (sqlite3_int64)c->count_sum);
  sqlite3_bind_int64(si, k++, c->count_max);
  sqlite3_bind_double(si, k++, c->confidence);
  if (c->weapon)
    sqlite3_bind_text(si, k++, truce_weapon_class_name(c->weapon), -1,
                      SQLITE_STATIC);
  else
    sqlite3_bind_null(si, k++);
  sqlite3_bind_double(si, k++, c->calibre_mm);
  sqlite3_bind_int(si, k++, c->has_fire);
  sqlite3_bind_double(si, k++, c->fire_from_deg);
  sqlite3_bind_text(si, k++, c->parties ? c->parties : "", -1, SQLITE_STATIC);
  sqlite3_bind_int(si, k++, c->fire_located ? 1 : 0);
  if (c->fire_located) {
    sqlite3_bind_double(si, k++, c->fire_where.lat_deg);
    sqlite3_bind_double(si, k++, c->fire_where.lon_deg);
    sqlite3_bind_double(si, k++, c->fire_where.major_m);
    sqlite3_bind_double(si, k++, c->fire_where.minor_m);
    sqlite3_bind_double(si, k++, c->fire_where.azimuth_deg);
  } else {
    for (int q = 0; q < 5; q++)
      sqlite3_bind_null(si, k++);
  }
  if (sqlite3_step(si) != SQLITE_DONE)
    return dberr(ix, "insert incident");
  sqlite3_reset(sb);
  sqlite3_bind_int64(sb, 1, row);
  sqlite3_bind_double(sb, 2, c->west_deg);
  sqlite3_bind_double(sb, 3, c->east_deg);
  sqlite3_bind_double(sb, 4, c->south_deg);
  sqlite3_bind_double(sb, 5, c->north_deg);
  if (sqlite3_step(sb) != SQLITE_DONE)
    return dberr(ix, "insert incident box");
  for (size_t i = 0; i < c->nevidence; i++) {
    sqlite3_reset(se);
    sqlite3_bind_int64(se, 1, row);
    sqlite3_bind_int64(se, 2, (sqlite3_int64)c->evidence[i].index);
    sqlite3_bind_int64(se, 3, c->evidence[i].pos);
    sqlite3_bind_text(se, 4, c->evidence[i].source, -1, SQLITE_STATIC);
    if (sqlite3_step(se) != SQLITE_DONE)
      return dberr(ix, "insert evidence");
  }
  /* one row per reporting party */
  const char *p = c->parties ? c->parties : "";
  while (*p) {
    const char *comma = strchr(p, ',');
    int n = comma ? (int)(comma - p) : (int)strlen(p);
    sqlite3_reset(sp);
    sqlite3_bind_text(sp, 1, p, n, SQLITE_STATIC);
    sqlite3_bind_int64(sp, 2, row);
    if (sqlite3_step(sp) != SQLITE_DONE)
      return dberr(ix, "insert party");
    p += n + (comma ? 1 : 0);
  }
  return TRUCE_OK;
}

truce_err truce_index_store(truce_index *ix, truce_fusion *f,
                            uint64_t log_size) {
  if (!ix || !f)
    return TRUCE_EINVAL;
  if (ix->readonly)
    return seterr(ix->err, TRUCE_EINVAL, "the index is open read-only");
  truce_err rc = exec(ix, "BEGIN IMMEDIATE");
  if (rc)
    return rc;
  rc = exec(ix, "DELETE FROM incident; DELETE FROM incident_box; "
                "DELETE FROM evidence; DELETE FROM incident_party; "
                "DELETE FROM meta");
  sqlite3_stmt *si = NULL, *sb = NULL, *se = NULL, *sp = NULL, *sm = NULL;
  if (!rc &&
      (sqlite3_prepare_v2(ix->db,
                          "INSERT INTO incident VALUES(?,?,?,?,?,?,?,?,?,?,?,?"
                          ",?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          -1, &si, NULL) != SQLITE_OK ||
       sqlite3_prepare_v2(ix->db,
                          "INSERT INTO incident_box VALUES(?,?,?,?,?)", -1,
                          &sb, NULL) != SQLITE_OK ||
       sqlite3_prepare_v2(ix->db, "INSERT INTO evidence VALUES(?,?,?,?)", -1,
                          &se, NULL) != SQLITE_OK ||
       sqlite3_prepare_v2(ix->db,
                          "INSERT OR IGNORE INTO incident_party VALUES(?,?)",
                          -1, &sp, NULL) != SQLITE_OK ||
       sqlite3_prepare_v2(ix->db, "INSERT INTO meta VALUES(?,?)", -1, &sm,
                          NULL) != SQLITE_OK))
    rc = dberr(ix, "prepare");
  size_t n = truce_fuse_count(f);
  for (size_t i = 0; !rc && i < n; i++) {
    truce_incident c;
    if ((rc = truce_fuse_incident(f, i, &c))) {
      seterr(ix->err, rc, "%s", truce_fuse_errmsg(f));
      break;
    }
    rc = put_incident(ix, si, sb, se, sp, &c, (sqlite3_int64)i + 1);
  }
  char num[32];
  snprintf(num, sizeof num, "%" PRIu64, log_size);
  const char *kv[][2] = {{"schema", SCHEMA_VERSION}, {"log_size", num}};
  for (size_t i = 0; !rc && i < 2; i++) {
    sqlite3_reset(sm);
    sqlite3_bind_text(sm, 1, kv[i][0], -1, SQLITE_STATIC);
    sqlite3_bind_text(sm, 2, kv[i][1], -1, SQLITE_STATIC);
    if (sqlite3_step(sm) != SQLITE_DONE)
      rc = dberr(ix, "meta");
  }
  sqlite3_finalize(si);
  sqlite3_finalize(sb);
  sqlite3_finalize(se);
  sqlite3_finalize(sp);
  sqlite3_finalize(sm);
  if (!rc)
    rc = exec(ix, "COMMIT");
  if (rc)
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

truce_err truce_index_rebuild(truce_index *ix, truce_log *log) {
  if (!ix || !log)
    return TRUCE_EINVAL;
  truce_fusion *f = NULL;
  truce_err rc = truce_fuse_new(NULL, &f);
  if (rc)
    return seterr(ix->err, rc, "out of memory");
  uint64_t size = 0;
  rc = truce_fuse_from_log(f, log, INT64_MIN, INT64_MAX, &size);
  const char *why;
  ix->skipped = truce_fuse_skipped(f, &why);
  snprintf(ix->skip_why, sizeof ix->skip_why, "%s", why);
  if (!rc)
    rc = truce_fuse_run(f);
  if (rc)
    seterr(ix->err, rc, "%s", truce_fuse_errmsg(f));
  else
    rc = truce_index_store(ix, f, size);
  truce_fuse_free(f);
  return rc;
}

size_t truce_index_skipped(const truce_index *ix, const char **first) {
  if (first)
    *first = ix && ix->skipped ? ix->skip_why : "";
  return ix ? ix->skipped : 0;
}

truce_err truce_index_log_size(truce_index *ix, uint64_t *size) {
  *size = 0;
  if (!ix)
    return TRUCE_EINVAL;
  sqlite3_stmt *s = NULL;
  truce_err rc = TRUCE_OK;
  if (sqlite3_prepare_v2(ix->db, "SELECT value FROM meta WHERE key='log_size'",
                         -1, &s, NULL) != SQLITE_OK)
    rc = dberr(ix, "meta");
  else if (sqlite3_step(s) != SQLITE_ROW)
    rc = seterr(ix->err, TRUCE_ENOTFOUND, "the index was never built");
  else {
    const char *v = (const char *)sqlite3_column_text(s, 0);
    if (!v || !parse_u64(v, strlen(v), size))
      rc = seterr(ix->err, TRUCE_EPARSE, "meta log_size is not a number");
  }
  sqlite3_finalize(s);
  return rc;
}

void truce_incident_query_init(truce_incident_query *q) {
  memset(q, 0, sizeof *q);
  q->from_ms = INT64_MIN;
  q->to_ms = INT64_MAX;
}

static truce_err load_evidence(truce_index *ix, sqlite3_stmt *se,
                               sqlite3_int64 row, size_t n,
                               truce_incident *c) {
  if (n > ix->capev) {
    truce_evidence *p = truce_realloc(ix->ev, n * sizeof *p);
    if (!p)
      return seterr(ix->err, TRUCE_ENOMEM, "out of memory");
    ix->ev = p;
    ix->capev = n;
  }
  sqlite3_reset(se);
  sqlite3_bind_int64(se, 1, row);
  size_t k = 0, used = 0;
  int s;
  size_t *offs = NULL;
  offs = truce_malloc((n ? n : 1) * sizeof *offs);
  if (!offs)
    return seterr(ix->err, TRUCE_ENOMEM, "out of memory");
  truce_err rc = TRUCE_OK;
  while (!rc && (s = sqlite3_step(se)) == SQLITE_ROW && k < n) {
    ix->ev[k].index = (uint64_t)sqlite3_column_int64(se, 0);
    ix->ev[k].pos = (uint32_t)sqlite3_column_int64(se, 1);
    const char *name = (const char *)sqlite3_column_text(se, 2);
    size_t l = strlen(name ? name : "") + 1;
    if (used + l > ix->capsrc) {
      size_t nc = ix->capsrc ? ix->capsrc * 2 : 4096;
      while (nc < used + l)
        nc *= 2;
      char *p = truce_realloc(ix->srcbuf, nc);
      if (!p) {
        rc = seterr(ix->err, TRUCE_ENOMEM, "out of memory");
        break;
      }
      ix->srcbuf = p;
      ix->capsrc = nc;
    }
    memcpy(ix->srcbuf + used, name ? name : "", l);
    offs[k++] = used;
    used += l;
  }
  for (size_t i = 0; !rc && i < k; i++)
    ix->ev[i].source = ix->srcbuf + offs[i];
  truce_free(offs);
  c->evidence = ix->ev;
  c->nevidence = k;
  return rc;
}

truce_err truce_index_query(truce_index *ix, const truce_incident_query *q,
                            truce_incident_fn fn, void *ctx) {
  if (!ix || !q || !fn)
    return TRUCE_EINVAL;
  if (q->has_bbox &&
      !(q->south_deg <= q->north_deg && q->west_deg >= -180 &&
        q->west_deg <= 180 && q->east_deg >= -180 && q->east_deg <= 180))
    return seterr(ix->err, TRUCE_EINVAL,
                  "a box needs south <= north and longitudes in [-180, 180]");
  /* Longitudes as one increasing interval [w, e]: a box whose west lies
   * east of its east crosses the antimeridian (as in GeoJSON), e.g.
   * 170..-170 is [170, 190]. Incidents' boxes are unwrapped too (an
   * ellipse at 179.99 E may end at 180.01), so the box matches them
   * shifted by -360, 0 and +360. */
  double bw = q->has_bbox ? q->west_deg : 0;
  double be = q->has_bbox ? q->east_deg + (q->west_deg > q->east_deg ? 360 : 0)
                         : 0;
  char sql[1024];
  int n = snprintf(sql, sizeof sql,
                   "SELECT rowid, id, what, t_ms, t_end_ms, located, "
                   "triangulated, lat, lon, major_m, minor_m, azimuth_deg, "
                   "west, south, east, north, nobs, nsources, count_sum, "
                   "count_max, confidence, weapon, calibre_mm, has_fire, "
                   "fire_from_deg, parties, fire_located, fire_lat, "
                   "fire_lon, fire_major_m, fire_minor_m, fire_azimuth_deg "
                   "FROM incident i WHERE "
                   "t_ms < ?1 AND t_end_ms >= ?2");
  if (q->has_bbox)
    n += snprintf(sql + n, sizeof sql - (size_t)n,
                  " AND rowid IN (SELECT id FROM incident_box WHERE "
                  "max_lon >= ?3 AND min_lon <= ?4 AND max_lat >= ?5 AND "
                  "min_lat <= ?6 UNION SELECT id FROM incident_box WHERE "
                  "max_lon >= ?3 - 360 AND min_lon <= ?4 - 360 AND max_lat >= "
                  "?5 AND min_lat <= ?6 UNION SELECT id FROM incident_box "
                  "WHERE max_lon >= ?3 + 360 AND min_lon <= ?4 + 360 AND "
                  "max_lat >= ?5 AND min_lat <= ?6) AND north >= ?5 AND south "
                  "<= ?6 AND ((east >= ?3 AND west <= ?4) OR (east >= ?3 - 360 "
                  "AND west <= ?4 - 360) OR (east >= ?3 + 360 AND west <= ?4 + "
                  "360))");
  if (q->what)
    n += snprintf(sql + n, sizeof sql - (size_t)n, " AND what = ?7");
  if (q->party && *q->party)
    n += snprintf(sql + n, sizeof sql - (size_t)n,
                  " AND rowid IN (SELECT incident FROM incident_party WHERE "
                  "party = ?8)");
  snprintf(sql + n, sizeof sql - (size_t)n,
           " ORDER BY t_ms, ev_index, ev_pos");
  sqlite3_stmt *s = NULL, *se = NULL;
  truce_err rc = TRUCE_OK;
  if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(ix->db,
                         "SELECT entry, pos, source FROM evidence WHERE "
                         "incident = ?1 ORDER BY entry, pos",
                         -1, &se, NULL) != SQLITE_OK) {
    rc = dberr(ix, "query");
    sqlite3_finalize(s);
    sqlite3_finalize(se);
    return rc;
  }
  sqlite3_bind_int64(s, 1, q->to_ms);
  sqlite3_bind_int64(s, 2, q->from_ms);
  if (q->has_bbox) {
    sqlite3_bind_double(s, 3, bw);
    sqlite3_bind_double(s, 4, be);
    sqlite3_bind_double(s, 5, q->south_deg);
    sqlite3_bind_double(s, 6, q->north_deg);
  }
  if (q->what)
    sqlite3_bind_text(s, 7, truce_what_name(q->what), -1, SQLITE_STATIC);
  if (q->party && *q->party)
    sqlite3_bind_text(s, 8, q->party, -1, SQLITE_STATIC);
  int st = SQLITE_DONE;
  while (!rc && (st = sqlite3_step(s)) == SQLITE_ROW) {
    truce_incident c;
    memset(&c, 0, sizeof c);
    sqlite3_int64 row = sqlite3_column_int64(s, 0);
    snprintf(c.id, sizeof c.id, "%s", (const char *)sqlite3_column_text(s, 1));
    const char *w = (const char *)sqlite3_column_text(s, 2);
    c.what = truce_what_from_name(w, strlen(w));
    c.t_ms = sqlite3_column_int64(s, 3);
    c.t_end_ms = sqlite3_column_int64(s, 4);
    c.located = sqlite3_column_int(s, 5);
    c.triangulated = sqlite3_column_int(s, 6);
    c.where.lat_deg = sqlite3_column_double(s, 7);
    c.where.lon_deg = sqlite3_column_double(s, 8);
    c.where.major_m = sqlite3_column_double(s, 9);
    c.where.minor_m = sqlite3_column_double(s, 10);
    c.where.azimuth_deg = sqlite3_column_double(s, 11);
    c.west_deg = sqlite3_column_double(s, 12);
    c.south_deg = sqlite3_column_double(s, 13);
    c.east_deg = sqlite3_column_double(s, 14);
    c.north_deg = sqlite3_column_double(s, 15);
    c.nobs = (uint32_t)sqlite3_column_int64(s, 16);
    c.nsources = (uint32_t)sqlite3_column_int64(s, 17);
    c.count_sum = (uint64_t)sqlite3_column_int64(s, 18);
    c.count_max = (uint32_t)sqlite3_column_int64(s, 19);
    c.confidence = sqlite3_column_double(s, 20);
    const char *wc = (const char *)sqlite3_column_text(s, 21);
    c.weapon = wc ? truce_weapon_class_from_name(wc, strlen(wc))
                  : TRUCE_WEAPON_NONE;
    c.calibre_mm = sqlite3_column_double(s, 22);
    c.has_fire = sqlite3_column_int(s, 23);
    c.fire_from_deg = sqlite3_column_double(s, 24);
    snprintf(ix->parties, sizeof ix->parties, "%s",
             (const char *)sqlite3_column_text(s, 25));
    c.parties = ix->parties;
    c.fire_located = sqlite3_column_int(s, 26);
    if (c.fire_located) {
      c.fire_where.lat_deg = sqlite3_column_double(s, 27);
      c.fire_where.lon_deg = sqlite3_column_double(s, 28);
      c.fire_where.major_m = sqlite3_column_double(s, 29);
      c.fire_where.minor_m = sqlite3_column_double(s, 30);
      c.fire_where.azimuth_deg = sqlite3_column_double(s, 31);
    }
    if ((rc = load_evidence(ix, se, row, c.nobs, &c)))
      break;
    if (fn(ctx, &c))
      break;
  }
  if (!rc && st != SQLITE_ROW && st != SQLITE_DONE)
    rc = dberr(ix, "query");
  sqlite3_finalize(s);
  sqlite3_finalize(se);
  return rc;
}
