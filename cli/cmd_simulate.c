/*
 * cmd_simulate.c: `truce simulate --out DIR ...`: a scenario with known
 * ground truth (docs/simulate.md). Parses the options, runs
 * truce_sim_run and prints what it made. Uses only truce.h.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A whole number in [min, max], digits only. */
static bool number(const char *name, const char *s, uint64_t min, uint64_t max,
                   uint64_t *out, int *code) {
  char *end;
  errno = 0;
  unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
  if (!(s[0] >= '0' && s[0] <= '9') || *end != '\0' || errno == ERANGE ||
      v < min || v > max) {
    *code =
        fail_rc(TRUCE_EINVAL,
                "simulate: %s: '%s' is not a whole number from %llu to %llu",
                name, s, (unsigned long long)min, (unsigned long long)max);
    return false;
  }
  *out = v;
  return true;
}

static bool count_opt(const opts *o, const char *name, uint32_t max,
                      uint32_t *out, int *code) {
  const char *v = opt(o, name);
  uint64_t n;
  if (!v)
    return true;
  if (!number(name, v, 0, max, &n, code))
    return false;
  *out = (uint32_t)n;
  return true;
}

static bool parties(const char *s, truce_sim_config *c, int *code) {
  const char *comma = strchr(s, ',');
  size_t a = comma ? (size_t)(comma - s) : 0;
  size_t b = comma ? strlen(comma + 1) : 0;
  if (!comma || a == 0 || b == 0 || a >= sizeof c->party_right ||
      b >= sizeof c->party_left) {
    *code = fail_rc(TRUCE_EINVAL,
                    "simulate: --parties: '%s' is not RIGHT,LEFT (two party "
                    "ids, e.g. west,east)",
                    s);
    return false;
  }
  memcpy(c->party_right, s, a);
  c->party_right[a] = '\0';
  memcpy(c->party_left, comma + 1, b + 1);
  return true;
}

int cmd_simulate(int argc, char **argv) {
  static const char *const valued[] = {
      "--out",     "--seed",    "--events",   "--hours",  "--start",
      "--patrols", "--cameras", "--acoustic", "--drones", "--false-rate",
      "--line",    "--parties", NULL};
  opts o;
  if (!parse_opts("simulate", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  const char *out = opt(&o, "--out");
  if (o.npos != 0 || !out)
    return usage("simulate");
  truce_sim_config c;
  truce_sim_config_init(&c);
  int code = 0;
  const char *v;
  uint64_t n;
  if ((v = opt(&o, "--seed"))) {
    if (!number("--seed", v, 0, UINT64_MAX, &n, &code))
      return code;
    c.seed = n;
  }
  if ((v = opt(&o, "--events"))) {
    if (!number("--events", v, 1, TRUCE_SIM_EVENTS_MAX, &n, &code))
      return code;
    c.events = (uint32_t)n;
  }
  if ((v = opt(&o, "--hours"))) {
    if (!number("--hours", v, 1, TRUCE_SIM_HOURS_MAX, &n, &code))
      return code;
    c.hours = (uint32_t)n;
  }
  if (!count_opt(&o, "--patrols", TRUCE_SIM_SOURCES_MAX, &c.patrols, &code) ||
      !count_opt(&o, "--cameras", TRUCE_SIM_SOURCES_MAX, &c.cameras, &code) ||
      !count_opt(&o, "--acoustic", TRUCE_SIM_SOURCES_MAX, &c.acoustic, &code) ||
      !count_opt(&o, "--drones", TRUCE_SIM_SOURCES_MAX, &c.drones, &code))
    return code;
  if ((v = opt(&o, "--start")) &&
      truce_time_parse(v, strlen(v), &c.start_ms) != TRUCE_OK)
    return fail_rc(TRUCE_EINVAL,
                   "simulate: --start: '%s' is not an RFC 3339 time (e.g. "
                   "2026-11-01T00:00:00Z)",
                   v);
  if ((v = opt(&o, "--false-rate"))) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(x) || x < 0 ||
        x > 0.5)
      return fail_rc(TRUCE_EINVAL,
                     "simulate: --false-rate: '%s' is not a number from 0 "
                     "to 0.5",
                     v);
    c.false_rate = x;
  }
  if ((v = opt(&o, "--parties")) && !parties(v, &c, &code))
    return code;
  c.line_path = opt(&o, "--line");

  char err[TRUCE_ERR_MAX];
  truce_sim_stats st;
  truce_err rc = truce_sim_run(&c, out, now_ms(), &st, err);
  if (rc)
    return fail_rc(rc, "simulate: %s", err);
  printf("scenario in %s (seed %llu): %llu events (%llu observed), "
         "%llu sources\n",
         out, (unsigned long long)c.seed, (unsigned long long)st.events,
         (unsigned long long)st.observed_events,
         (unsigned long long)st.sources);
  printf("observations: %llu, of which %llu false reports\n",
         (unsigned long long)st.observations,
         (unsigned long long)st.false_reports);
  for (unsigned i = 0; i < TRUCE_MEANS_COUNT; i++)
    if (st.by_means[i])
      printf("  %-16s %6llu (%llu false)\n", truce_means_name(1u << i),
             (unsigned long long)st.by_means[i],
             (unsigned long long)st.false_by_means[i]);
  printf("truth: %s/truth.jsonl (docs/simulate.md)\n", out);
  return finish(0);
}
