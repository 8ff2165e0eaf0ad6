/*
 * fuzz_terms.c: libFuzzer target for truce_terms_parse (lib/terms.c).
 *
 * Whatever the bytes, parsing must not crash, leak or read outside them;
 * a refusal must come with a bounded one-line message and no terms. What
 * parses must keep terms.h's promises (any violation abort()s, which
 * libFuzzer reports as a crash): every index in range, every party set
 * non-empty and within the parties, each withdrawal's party with its own
 * reference line, precondition links consistent, geometries of the right
 * kind; and it must describe itself without error.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/terms (make test). Uses
 * lib/terms.h, which is private to the library: fuzz targets build with
 * -Ilib.
 */
#include "terms.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(bool ok) {
  if (!ok)
    abort();
}

static bool idx(int i, size_t n) { return i >= 0 && (size_t)i < n; }

static void check_weapons(const terms_weapons *w) {
  need(w->classes || w->nsystems);
  need(!(w->classes & 1u)); /* TRUCE_WEAPON_NONE is never a class */
  need(!(w->calibre_max_mm > 0 && w->calibre_below_mm > 0));
  for (size_t i = 0; i < w->nsystems; i++)
    need(truce_weapon_lookup(w->systems[i], NULL, NULL, NULL) == TRUCE_OK);
}

static void check(const truce_terms *t) {
  uint32_t all = (uint32_t)((1u << t->nparties) - 1);
  need(t->nparties >= 2 && t->nparties <= TERMS_PARTIES_MAX);
  need(t->id && *t->id && t->start_zone && *t->start_zone);
  for (size_t i = 0; i < t->nlines; i++) {
    const terms_line *l = &t->lines[i];
    need(l->geom != NULL);
    if (l->kind == TERMS_LINE_DRAWN)
      need(truce_geom_kind(l->geom) == TRUCE_GEOM_LINE &&
           l->boundary_of == -1);
    else
      need(l->kind == TERMS_LINE_BOUNDARY &&
           idx(l->boundary_of, t->ncontrol) &&
           t->control[l->boundary_of].area == l->geom &&
           truce_geom_kind(l->geom) == TRUCE_GEOM_AREA);
    need(l->party == -1 || (idx(l->party, t->nparties) && l->side[l->party]));
  }
  for (size_t i = 0; i < t->ncontrol; i++) {
    const terms_control *k = &t->control[i];
    need(idx(k->party, t->nparties));
    if (k->kind == TERMS_CONTROL_SIDE)
      need(idx(k->line, t->nlines) && (k->side == 1 || k->side == -1));
    else if (k->kind == TERMS_CONTROL_AREA)
      need(k->area && truce_geom_kind(k->area) == TRUCE_GEOM_AREA);
    else
      need(k->kind == TERMS_CONTROL_OUTSIDE &&
           idx(k->outside_of, t->ncontrol) &&
           t->control[k->outside_of].kind == TERMS_CONTROL_AREA);
  }
  for (size_t i = 0; i < t->nzones; i++) {
    const terms_zone *z = &t->zones[i];
    need(z->area ? truce_geom_kind(z->area) == TRUCE_GEOM_AREA
                 : idx(z->line, t->nlines) && z->half_width_km > 0);
  }
  size_t items = 0;
  for (size_t i = 0; i < t->nsites; i++) {
    need(idx(t->sites[i].party, t->nparties));
    need(t->sites[i].area || t->sites[i].radius_m > 0);
    items += t->sites[i].nitems;
  }
  need(items == t->nitems);
  for (size_t i = 0; i < t->nrules; i++) {
    const terms_rule *r = &t->rules[i];
    need(r->parties && !(r->parties & ~all) && r->from_ms < r->until_ms);
    need(r->enabled_by == -1 ||
         (idx(r->enabled_by, t->nrules) &&
          t->rules[r->enabled_by].type == TERMS_RULE_PRECONDITION));
    switch (r->type) {
    case TERMS_RULE_CEASEFIRE:
      need(r->u.ceasefire.what != 0);
      break;
    case TERMS_RULE_WITHDRAWAL:
      check_weapons(&r->u.withdrawal.weapons);
      for (size_t p = 0; p < t->nparties; p++)
        need((r->parties >> p & 1)
                 ? idx(r->u.withdrawal.line[p], t->nlines) &&
                       terms_line_is_reference(
                           &t->lines[r->u.withdrawal.line[p]], (int)p)
                 : r->u.withdrawal.line[p] == -1);
      break;
    case TERMS_RULE_ZONE:
      need(r->u.zone.nzones >= 1 && r->u.zone.what != 0);
      for (size_t k = 0; k < r->u.zone.nzones; k++)
        need(idx(r->u.zone.zones[k], t->nzones));
      break;
    case TERMS_RULE_CAP:
      check_weapons(&r->u.cap.weapons);
      need(r->u.cap.window_h >= 1);
      if (r->u.cap.zone >= 0)
        need(idx(r->u.cap.zone, t->nzones));
      else
        need(r->u.cap.band_max_km > r->u.cap.band_min_km);
      break;
    case TERMS_RULE_PRECONDITION:
      need(idx(r->u.precondition.zone, t->nzones) &&
           r->u.precondition.days >= 1 && r->u.precondition.nenables >= 1);
      for (size_t k = 0; k < r->u.precondition.nenables; k++) {
        int j = r->u.precondition.enables[k];
        need(idx(j, t->nrules) && (size_t)j != i &&
             t->rules[j].enabled_by == (int)i);
      }
      break;
    case TERMS_RULE_HOLDING:
      need(r->u.holding.nsites >= 1);
      for (size_t k = 0; k < r->u.holding.nsites; k++)
        need(idx(r->u.holding.sites[k], t->nsites) &&
             (r->parties >> t->sites[r->u.holding.sites[k]].party & 1));
      break;
    default:
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[TRUCE_ERR_MAX];
  truce_terms *t = (truce_terms *)(void *)err; /* must be overwritten */
  truce_err rc = truce_terms_parse((const char *)data, size, &t, err);
  if (rc != TRUCE_OK) {
    need(t == NULL);
    size_t n = strnlen(err, sizeof err);
    need(n > 0 && n < sizeof err && !memchr(err, '\n', n));
    return 0;
  }
  check(t);
  truce_buf b;
  truce_buf_init(&b, 1u << 22);
  need(truce_terms_describe(t, &b) == TRUCE_OK);
  truce_buf_release(&b);
  truce_terms_free(t);
  return 0;
}
