/*
 * terms.h: a ceasefire's terms as plain C structs, private to lib/. The
 * parser (terms.c) fills them from a terms file (docs/terms.md) and has
 * checked every reference, range and word; the assessment engine
 * (assess.c) iterates them and may rely on what the comments promise
 * without re-checking. Nothing outside lib/ sees these: the public view
 * is the truce_terms_* functions in truce.h.
 *
 * Indices: parties, lines, control statements, zones, sites and rules
 * are arrays in file order; every cross-reference is an index into one
 * of them (-1: none), already resolved. Party sets are bit masks over
 * party indices (bit p: parties[p]).
 *
 * Lifetime: everything hangs off the truce_terms and is freed with it.
 * Strings are NUL-terminated UTF-8 without control characters (notes and
 * the method may hold newlines); optional strings are "" when absent,
 * never NULL. System names are the catalogue's (static storage).
 */
#ifndef TRUCE_TERMS_H
#define TRUCE_TERMS_H

#include "internal.h"

#define TERMS_VERSION 1        /* the "truce_terms" value this reads */
#define TERMS_PARTIES_MAX 8
#define TERMS_ID_MAX 64        /* ids: [a-z0-9][a-z0-9._-]*, bytes */
#define TERMS_NAME_MAX 256     /* names, zone names, the title */
#define TERMS_TEXT_MAX 16384   /* notes, sources, quotes, the method */
#define TERMS_LINES_MAX 64
#define TERMS_CONTROL_MAX 64
#define TERMS_ZONES_MAX 256
#define TERMS_SITES_MAX 1024
#define TERMS_ITEMS_MAX 100000 /* registered items, all sites together */
#define TERMS_RULES_MAX 256
#define TERMS_LIST_MAX 256     /* any other list (sources, systems, ...) */
#define TERMS_KM_MAX 1000.0    /* distances, widths and bands */

/* Sides of a reference line, as truce_geo_where.side reports them:
 * +1 left of the drawing direction (or inside, for a line that is the
 * boundary of an area), -1 right (outside), 0 not stated. */
#define TERMS_SIDE_LEFT 1
#define TERMS_SIDE_RIGHT (-1)
#define TERMS_SIDE_INSIDE 1
#define TERMS_SIDE_OUTSIDE (-1)

typedef struct terms_party {
  const char *id;   /* "ua" */
  const char *name; /* "Ukraine (government forces)" */
} terms_party;

enum terms_line_kind {
  TERMS_LINE_DRAWN = 1,   /* a LineString or MultiLineString */
  TERMS_LINE_BOUNDARY = 2 /* the boundary of a control statement's area */
};

typedef struct terms_line {
  const char *id, *name;
  int kind; /* enum terms_line_kind */
  /* The party whose reference line this is; -1: common to every party
   * that side[] names (a present-day line both measure from). */
  int party;
  /* DRAWN: a TRUCE_GEOM_LINE geometry, owned by this line.
   * BOUNDARY: the control area's TRUCE_GEOM_AREA geometry (owned by
   * control[boundary_of]): truce_geom_measure's dist_m is then the
   * distance to the area's boundary and side +1 inside, -1 outside. */
  truce_geom *geom;
  int boundary_of; /* control index for BOUNDARY, else -1 */
  /* Each party's own side: TERMS_SIDE_* (LEFT/RIGHT for a drawn line,
   * INSIDE/OUTSIDE for a boundary), 0 where the file says nothing.
   * Always set for `party` when party >= 0. */
  signed char side[TERMS_PARTIES_MAX];
  const char *source, *note;
} terms_line;

/* True if line l is a reference line of party p: its own, or common and
 * stating p's side. */
static inline bool terms_line_is_reference(const terms_line *l, int p) {
  return l->party == p || (l->party < 0 && l->side[p] != 0);
}

enum terms_control_kind {
  TERMS_CONTROL_SIDE = 1, /* the party holds one side of a line */
  TERMS_CONTROL_AREA,     /* the party holds the inside of an area */
  TERMS_CONTROL_OUTSIDE   /* the party holds everything outside another
                             statement's area */
};

/* Who holds the ground, for attributing presence. Statements are read in
 * file order and the first that covers a position decides; a position
 * none covers is held by no party ("undetermined"). */
typedef struct terms_control {
  const char *id;
  int party;
  int kind;           /* enum terms_control_kind */
  int line, side;     /* SIDE: line index and TERMS_SIDE_LEFT/RIGHT */
  truce_geom *area;   /* AREA: a TRUCE_GEOM_AREA geometry, owned */
  int outside_of;     /* OUTSIDE: index of an AREA statement */
  const char *source, *note;
} terms_control;

typedef struct terms_zone {
  const char *id, *name;
  /* The zone is an area (area != NULL, TRUCE_GEOM_AREA, owned), or a band
   * of half_width_km either side of a reference line (line >= 0). */
  truce_geom *area;
  int line;
  double half_width_km;
  /* Within near_km of the zone, outside it, is "near" (counted apart
   * from "inside"); 0: no near counting. */
  double near_km;
  const char *source, *note;
} terms_zone;

typedef struct terms_item {
  const char *serial;       /* as registered; unique per system */
  const char *system;       /* the catalogue's name */
  truce_weapon_class cls;   /* from the catalogue */
  double calibre_mm;        /* from the catalogue */
} terms_item;

/* A designated storage (holding) site and the weapons registered there. */
typedef struct terms_site {
  const char *id, *name;
  int party;
  /* A circle (area == NULL: lat_deg, lon_deg, radius_m > 0) or an area
   * (TRUCE_GEOM_AREA, owned). */
  double lat_deg, lon_deg, radius_m;
  truce_geom *area;
  terms_item *items;
  size_t nitems;
  const char *source, *note;
} terms_site;

/* Which weapons a rule is about: a weapon matches if its class is in
 * `classes` and its calibre is in the range, or if its system is one of
 * `systems`. A weapon whose calibre is unknown cannot be placed in a
 * range that has a bound: assessment reports it as undetermined. */
typedef struct terms_weapons {
  uint32_t classes;        /* bit c: truce_weapon_class c; 0: none */
  double calibre_min_mm;   /* >= this; 0: no lower bound */
  double calibre_max_mm;   /* <= this; 0: no bound */
  double calibre_below_mm; /* < this; 0: no bound (never with max) */
  const char **systems;    /* catalogue names */
  size_t nsystems;
} terms_weapons;

typedef enum terms_rule_type {
  TERMS_RULE_CEASEFIRE = 1, /* no activity of `what` anywhere */
  TERMS_RULE_WITHDRAWAL,    /* weapons kept D km behind own line */
  TERMS_RULE_ZONE,          /* no activity inside zones; near counted */
  TERMS_RULE_CAP,           /* at most K weapons in a band or zone */
  TERMS_RULE_PRECONDITION,  /* N quiet days in a zone enable rules */
  TERMS_RULE_HOLDING        /* registered weapons stay at their sites */
} terms_rule_type;

/* Bit masks over truce_what (bit w: truce_what w). */
#define TERMS_WHAT_FIRE                                                      \
  ((1u << TRUCE_WHAT_EXPLOSION) | (1u << TRUCE_WHAT_UNDETERMINED_EXPLOSION) | \
   (1u << TRUCE_WHAT_AIRBURST) | (1u << TRUCE_WHAT_PROJECTILE) |             \
   (1u << TRUCE_WHAT_ILLUMINATION_FLARE) | (1u << TRUCE_WHAT_SHOTS) |        \
   (1u << TRUCE_WHAT_BURSTS) | (1u << TRUCE_WHAT_MUZZLE_FLASH))
#define TERMS_WHAT_PRESENCE                                                  \
  ((1u << TRUCE_WHAT_WEAPON_SEEN) | (1u << TRUCE_WHAT_MILITARY_PRESENCE))

typedef struct terms_rule {
  const char *id;
  terms_rule_type type;
  /* In force over [from_ms, until_ms): from defaults to the ceasefire's
   * start, until to INT64_MAX (no end). */
  int64_t from_ms, until_ms;
  uint32_t parties;  /* the parties bound: bit p; never 0 */
  int enabled_by;    /* the precondition rule that must hold first, or -1 */
  const char *quote; /* the agreement's words, as quoted in the file */
  const char *source, *note;
  union {
    struct {
      uint32_t what; /* truce_what bits */
    } ceasefire;
    /* Prohibited for party p: its own side of line[p] closer than
     * distance_km, and ground p holds beyond its own line (the
     * memorandum line case: docs/terms.md, withdrawal). */
    struct {
      terms_weapons weapons;
      double distance_km; /* > 0 */
      /* For each bound party, its one reference line (index); -1 for
       * parties the rule does not bind. */
      int line[TERMS_PARTIES_MAX];
    } withdrawal;
    struct {
      int *zones; /* zone indices, at least one */
      size_t nzones;
      uint32_t what;
    } zone;
    struct {
      terms_weapons weapons;
      uint32_t max;      /* at most this many at once */
      uint32_t window_h; /* counted over any window of this many hours */
      /* Where: a zone (zone >= 0), or a band [band_min_km, band_max_km]
       * behind each bound party's reference line, on its own side. */
      int zone;
      double band_min_km, band_max_km;
      int line[TERMS_PARTIES_MAX];
    } cap;
    struct {
      int zone;
      uint32_t days; /* consecutive days with no `what` inside the zone */
      uint32_t what;
      int *enables; /* rule indices (never a precondition) */
      size_t nenables;
    } precondition;
    struct {
      int *sites; /* site indices, at least one */
      size_t nsites;
    } holding;
  } u;
} terms_rule;

/* The arena that holds the strings and arrays of one truce_terms. */
typedef struct terms_block terms_block;

struct truce_terms {
  const char *id, *title, *version;
  int64_t start_ms;
  const char *start_text; /* the start time as written, offset and all */
  const char *start_zone; /* the time zone as written ("Europe/Kyiv") */
  terms_party *parties;
  size_t nparties;
  terms_line *lines;
  size_t nlines;
  terms_control *control;
  size_t ncontrol;
  terms_zone *zones;
  size_t nzones;
  terms_site *sites;
  size_t nsites, nitems;
  terms_rule *rules;
  size_t nrules;
  const char **sources; /* where the terms come from */
  size_t nsources;
  const char *method; /* how the geometry was drawn */
  const char *note;
  terms_block *arena;
};

/* "ceasefire", "withdrawal", ... */
const char *terms_rule_type_name(terms_rule_type t);

#endif /* TRUCE_TERMS_H */
