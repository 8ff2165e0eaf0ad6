/*
 * main.c: the truce command: a dispatch table of subcommands (git's
 * style), their help, and the helpers they share. Uses only truce.h.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
  const char *usage;
} command;

static const command commands[] = {
    {"init", cmd_init, "create a new evidence log and its keys",
     "usage: truce init DIR [--origin NAME] [--keys KEYDIR]\n"
     "\n"
     "Creates an empty log in DIR (a folder that can be served as is by any\n"
     "web server) and two Ed25519 keys in KEYDIR (default $TRUCE_KEYS or\n"
     "~/.truce/keys, mode 0700): the log key, named after the origin, that\n"
     "signs checkpoints, and the administrator key (<origin>/admin) that\n"
     "signs the source registry. Makes the first (empty) checkpoint.\n"
     "The origin names the log in every checkpoint (default\n"
     "truce.local/<folder name>).\n"},
    {"keygen", cmd_keygen, "make an Ed25519 key pair",
     "usage: truce keygen NAME [--keys KEYDIR] [--witness]\n"
     "\n"
     "Writes KEYDIR/NAME.key (private, mode 0600) and KEYDIR/NAME.pub (the\n"
     "verifier key, c2sp.org/signed-note format NAME+id+base64) and prints\n"
     "the verifier key. --witness makes a cosignature key (type 0x04) for\n"
     "truce witness. Names may not contain spaces or '+'.\n"},
    {"source", cmd_source, "register, revoke or list sources",
     "usage: truce source add DIR --key VKEY|FILE.pub --party PARTY\n"
     "                        --means M[,M...] --reliability R\n"
     "                        [--description TEXT] [--admin KEY]\n"
     "       truce source revoke DIR NAME --reason TEXT [--admin KEY]\n"
     "       truce source list DIR\n"
     "\n"
     "Registration and revocation are log entries signed by the log's\n"
     "administrator key (default: found in the keys folder). A source's\n"
     "name is its key's name; names are never reused. Means: audio, visual,\n"
     "camera, drone, acoustic_sensor, radar, satellite, report. Reliability\n"
     "is in (0, 1].\n"},
    {"submit", cmd_submit, "sign observations and append them to the log",
     "usage: truce submit DIR --key KEY [FILE|-] [--no-checkpoint]\n"
     "       truce submit DIR --signed FILE [--no-checkpoint]\n"
     "\n"
     "Reads observations as JSON lines (docs/observation.md), checks every\n"
     "one, signs them with the source's key and its next sequence numbers\n"
     "(as many entries as needed, each at most 65,535 bytes) and appends\n"
     "them. Returns only once they are on disk (fdatasync). With --signed,\n"
     "appends batches already signed by `truce sign`. Nothing is written\n"
     "if any line or entry is refused; the message names the line and\n"
     "field. Afterwards a checkpoint is made if the log key is in the keys\n"
     "folder.\n"},
    {"sign", cmd_sign, "sign observations offline as batches to submit",
     "usage: truce sign --key KEY --seq N [FILE|-]\n"
     "\n"
     "Checks and signs observations (JSON lines) into one or more signed\n"
     "entries with sequence numbers N, N+1, ... and writes them to standard\n"
     "output, for `truce submit DIR --signed FILE`. N must be the source's\n"
     "last sequence number in the log plus one (`truce source list`).\n"},
    {"checkpoint", cmd_checkpoint, "sign and publish a checkpoint",
     "usage: truce checkpoint DIR [--key LOGKEY]\n"
     "\n"
     "Writes the partial tiles of the current size, signs a checkpoint\n"
     "(c2sp.org/tlog-checkpoint) with the log key and publishes it as\n"
     "DIR/checkpoint and DIR/checkpoints/<size>. Refuses if the log no\n"
     "longer matches the last published checkpoint.\n"},
    {"show", cmd_show, "print an entry of the log",
     "usage: truce show DIR INDEX [--raw]\n"
     "\n"
     "Prints entry INDEX: its kind, signer, sequence number, time, whether\n"
     "its signature verifies with the registered key, and its payload; each\n"
     "observation is numbered INDEX:POS, the citation to use. --raw prints\n"
     "the signed entry as stored.\n"},
    {"prove", cmd_prove, "write an offline inclusion proof of an entry",
     "usage: truce prove DIR INDEX [--checkpoint FILE]\n"
     "\n"
     "Writes a c2sp.org/tlog-proof@v1 for entry INDEX against the current\n"
     "checkpoint (or FILE): anyone with the entry, this proof and the log's\n"
     "verifier key can check it with `truce verify --proof`.\n"},
    {"verify", cmd_verify, "verify the log, an entry or two checkpoints",
     "usage: truce verify DIR [--key VKEY] [--witness WKEY]...\n"
     "       truce verify DIR --entry INDEX [--checkpoint FILE] [--key VKEY]\n"
     "       truce verify DIR --consistency OLD NEW [--key VKEY]\n"
     "       truce verify --proof FILE --entry-file FILE --key VKEY\n"
     "\n"
     "Offline, from the files alone. The first form recomputes every entry\n"
     "bundle and every tile, checks every entry's signature and sequence\n"
     "number and every checkpoint's root, and exits 0 only if all of it\n"
     "verifies. --entry checks that entry INDEX is in the signed\n"
     "checkpoint; --consistency that the log behind checkpoint NEW extends\n"
     "the one behind OLD. --proof checks a tlog-proof without the tiles.\n"
     "VKEY defaults to the key recorded in DIR/log.info; an auditor should\n"
     "give the key they obtained independently. Each --witness WKEY (may be\n"
     "repeated, up to 16) must also have cosigned the checkpoint(s).\n"},
    {"witness", cmd_witness, "check a log's growth and cosign its checkpoint",
     "usage: truce witness --state WDIR --key WKEY [--log-key VKEY]\n"
     "                     [--publish] LOGDIR\n"
     "       truce witness --state WDIR --key WKEY --request FILE\n"
     "\n"
     "A witness keeps, per log, the last checkpoint it cosigned. It checks\n"
     "that the log's new checkpoint is consistent with it (a consistency\n"
     "proof from the log's tiles) and cosigns it (c2sp.org/tlog-cosignature)\n"
     "printing the cosignature line; --publish adds it to the log's\n"
     "checkpoint. A checkpoint inconsistent with what the witness saw is\n"
     "refused and kept, with the one it contradicts, under WDIR/logs/.\n"
     "--log-key registers the log's key (needed the first time).\n"
     "--request reads a c2sp.org/tlog-witness add-checkpoint body.\n"},
    {"terms", cmd_terms, "check, register and read a ceasefire's terms",
     "usage: truce terms check FILE\n"
     "       truce terms add DIR FILE [--admin KEY]\n"
     "       truce terms list DIR\n"
     "       truce terms show DIR ID[@VERSION] [--json]\n"
     "\n"
     "The agreement as data (docs/terms.md): parties, the ceasefire's start,\n"
     "reference lines, control, zones, holding sites and rules. `check`\n"
     "validates a file and describes it; `add` registers it in the log as\n"
     "the next version of its id, signed by the administrator (an\n"
     "assessment cites that entry); `list` and `show` read them back.\n"},
    {"assess", cmd_assess, "judge the observations of a period against terms",
     "usage: truce assess DIR --terms ID[@VERSION] --from TIME --to TIME\n"
     "                    [--format jsonl|csv|geojson|text] [--out FILE]\n"
     "\n"
     "Judges the observations in the log whose time lies in [--from, --to)\n"
     "(dates or RFC 3339 times) against the registered terms (the latest\n"
     "version, or @VERSION) and writes one finding per violation: the rule,\n"
     "time, position, distance to the reference line, the party responsible\n"
     "or \"undetermined\" with the reason, and the evidence (entry:position).\n"
     "The same log, terms and period always give the same output\n"
     "(docs/assess.md). `text` is one line per finding, for reading.\n"},
    {"fuse", cmd_fuse, "fuse the observations of a period into incidents",
     "usage: truce fuse DIR [--from TIME] [--to TIME]\n"
     "                  [--format jsonl|csv|geojson|text] [--index PATH]\n"
     "                  [--no-index] [--reference]\n"
     "\n"
     "Groups the observations whose time lies in [--from, --to) (dates or\n"
     "RFC 3339 times; default: all) into incidents by space and time, using\n"
     "each observation's uncertainty: one explosion heard by two patrols and\n"
     "seen by a camera is one incident with three observations as evidence,\n"
     "triangulated where two or more observers gave bearings, with a 95%\n"
     "ellipse and a confidence from its independent sources. The same log\n"
     "and period always give the same incidents and ids (docs/fusion.md).\n"
     "Unless --no-index, first brings the derived index (default\n"
     "DIR/index/incidents.sqlite) up to date with the whole log.\n"
     "--reference fuses by the reference path instead: every incident\n"
     "tried for every observation, without the fast path's shortcuts. It\n"
     "must print the same incidents; it is slow (time in the square of\n"
     "the observations), for checking a period's result.\n"},
    {"reindex", cmd_reindex, "rebuild the incident index from the log",
     "usage: truce reindex DIR [--index PATH]\n"
     "\n"
     "Fuses every observation in the log and rewrites the derived index\n"
     "(SQLite: an R*Tree over incident boxes, an index on time; default\n"
     "DIR/index/incidents.sqlite) from the log alone. `truce verify`\n"
     "ignores the index; deleting it loses nothing.\n"},
    {"incidents", cmd_incidents, "query the incident index",
     "usage: truce incidents DIR [--bbox W,S,E,N] [--from TIME] [--to TIME]\n"
     "                       [--what WORD] [--party PARTY]\n"
     "                       [--format jsonl|csv|geojson|text] [--index PATH]\n"
     "                       [--no-update]\n"
     "\n"
     "Incidents from the derived index whose box meets W,S,E,N (degrees; a\n"
     "box whose W lies east of its E crosses the antimeridian:\n"
     "170,-20,-170,-10), whose time meets [--from, --to), of kind WORD (an\n"
     "observation word), reported by a source of PARTY; ordered by time,\n"
     "then id. The index is first brought up to date with the log (rebuilt\n"
     "if the log has grown since: 'index brought up to date: N log\n"
     "entries'), unless --no-update; where it cannot be (a read-only\n"
     "folder), a warning says so and the index is queried as it is.\n"},
    {"geo", cmd_geo, "distance and side of points; the region holding them",
     "usage: truce geo dist FILE.geojson < POINTS\n"
     "\n"
     "Reads points as 'lon lat' (degrees, WGS84), one per line, on standard\n"
     "input. For each, prints one line: the geodesic distance in metres (3\n"
     "decimals) to the line, or to the area's boundary, in FILE (GeoJSON:\n"
     "LineString, MultiLineString, Polygon or MultiPolygon, bare or in\n"
     "features), a tab, and the side: left or right of a line in its drawing\n"
     "direction, inside or outside an area (even-odd over all its rings), or\n"
     "on (closer than 1 mm, distance 0). Stops at the first line that is not\n"
     "two numbers in range, naming it. See docs/geo.md.\n"
     "\n"
     "usage: truce geo which AREAS.geojson [--property NAME] < POINTS\n"
     "\n"
     "AREAS is a FeatureCollection of Polygons or MultiPolygons (oblasts,\n"
     "districts). For each point, prints the NAME property (default: name)\n"
     "of the first feature that holds it (its boundary included), or - if\n"
     "none does: for counting events per region.\n"},
    {"import", cmd_import, "import a data set's file as observations",
     "usage: truce import KIND FILE DIR --key SOURCE [--bbox W,S,E,N]\n"
     "                    [--dry-run] [--quiet] [--no-checkpoint]\n"
     "\n"
     "Turns each row of FILE, a data set of KIND (firms, acled, ucdp,\n"
     "viina, cir, geojson), into an observation that names the file's\n"
     "SHA-256 and the row, signs them with the registered source SOURCE and\n"
     "appends them (docs/import.md). Rows of the same file already in the\n"
     "log are skipped: importing again adds only what is missing. Refused\n"
     "rows are listed as FILE:LINE: why (the first 20) and skipped; the\n"
     "summary counts rows read, imported, refused and already in the log.\n"
     "--bbox W,S,E,N (degrees; west > east crosses 180) imports only the\n"
     "rows whose position lies in the box, edges included: the others are\n"
     "checked, then counted as outside the box and left out (a global data\n"
     "set, kept to the area monitored).\n"
     "--dry-run converts and counts without writing (no key needed).\n"
     "Exits 0 if the file was read, even with refused rows or with every\n"
     "row outside the box; 4 if every row was refused or FILE is not of\n"
     "that kind.\n"},
    {"simulate", cmd_simulate, "generate a scenario with known ground truth",
     "usage: truce simulate --out DIR [--seed N] [--events N] [--hours N]\n"
     "                      [--start TIME] [--patrols N] [--cameras N]\n"
     "                      [--acoustic N] [--drones N] [--false-rate X]\n"
     "                      [--line FILE.geojson] [--parties RIGHT,LEFT]\n"
     "\n"
     "Makes up a front line, two parties, monitoring sources (patrols,\n"
     "cameras, acoustic arrays, drones, satellites) and true events\n"
     "(shelling, bursts of fire, weapons moved into the withdrawal zone),\n"
     "and writes to DIR (new or empty) what each source reported, with its\n"
     "errors, misses and false reports: obs/SOURCE.jsonl ready for `truce\n"
     "submit`, sources.json, terms.json, line.geojson, and apart from them\n"
     "truth.jsonl, what really happened and which event each observation\n"
     "reports. The same options give the same files, byte for byte.\n"
     "Defaults: seed 1, 400 events in 24 hours from 2026-11-01T00:00:00Z,\n"
     "6 patrols, 20 cameras, 6 acoustic arrays, 4 drones, false rate 0.01.\n"
     "See docs/simulate.md.\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char exit_codes[] =
    "Exit codes (the same numbers as the library's truce_err):\n"
    "   0  success\n"
    "   1  out of memory\n"
    "   2  invalid argument\n"
    "   3  input/output error\n"
    "   4  malformed input (the message names the file, line and field)\n"
    "   5  value out of range\n"
    "   6  input too large\n"
    "   7  word not in the vocabulary\n"
    "   8  no signature by a trusted key\n"
    "   9  bad signature\n"
    "  10  unknown source\n"
    "  11  source revoked\n"
    "  12  replayed or out-of-order sequence number\n"
    "  13  proof does not verify\n"
    "  14  malformed proof\n"
    "  15  log data does not match its hashes (tampering or damage)\n"
    "  16  inconsistent checkpoints (split view)\n"
    "  17  not found\n"
    "  18  already exists\n"
    "  19  stale state (a witness saw a different size)\n"
    "  64  usage error\n";

static void overview(FILE *f) {
  fprintf(f, "usage: truce COMMAND [ARGS]\n\n"
             "truce keeps a tamper-evident log of ceasefire observations.\n\n"
             "Commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "  %-11s %s\n", "help", "show help for a command");
  fprintf(f, "  %-11s %s\n", "version", "print the version");
  fprintf(f, "\nRun 'truce help COMMAND' for a command's options, "
             "'truce help exit-codes' for exit codes.\n");
}

int usage(const char *cmd) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, cmd) == 0) {
      fputs(commands[i].usage, stderr);
      return EXIT_USAGE;
    }
  overview(stderr);
  return EXIT_USAGE;
}

static int cmd_help(int argc, char **argv) {
  if (argc < 2) {
    overview(stdout);
    return finish(0);
  }
  if (strcmp(argv[1], "exit-codes") == 0) {
    fputs(exit_codes, stdout);
    return finish(0);
  }
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, argv[1]) == 0) {
      fputs(commands[i].usage, stdout);
      return finish(0);
    }
  fprintf(stderr, "truce: no help for '%s'\n", argv[1]);
  return EXIT_USAGE;
}

/* ---- shared helpers ---- */

bool parse_opts(const char *cmd, int argc, char **argv,
                const char *const *valued, const char *const *flags,
                opts *o) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') { /* "-" is standard input */
      if (o->npos == 16) {
        fprintf(stderr, "truce %s: too many arguments\n", cmd);
        return false;
      }
      o->pos[o->npos++] = a;
      continue;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(cmd);
      return false;
    }
    bool known = false;
    for (const char *const *v = valued; v && *v && !known; v++)
      if (strcmp(a, *v) == 0) {
        if (i + 1 >= argc) {
          fprintf(stderr, "truce %s: %s needs a value\n", cmd, a);
          return false;
        }
        if (o->nkv == 32)
          return false;
        o->kv[o->nkv].name = a;
        o->kv[o->nkv++].val = argv[++i];
        known = true;
      }
    for (const char *const *f = flags; f && *f && !known; f++)
      if (strcmp(a, *f) == 0) {
        if (o->nkv == 32)
          return false;
        o->kv[o->nkv].name = a;
        o->kv[o->nkv++].val = "";
        known = true;
      }
    if (!known) {
      fprintf(stderr, "truce %s: unknown option '%s'\n", cmd, a);
      usage(cmd);
      return false;
    }
  }
  return true;
}

const char *opt(const opts *o, const char *name) {
  for (int i = o->nkv - 1; i >= 0; i--)
    if (strcmp(o->kv[i].name, name) == 0)
      return o->kv[i].val;
  return NULL;
}

bool flag(const opts *o, const char *name) { return opt(o, name) != NULL; }

int fail_rc(truce_err rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("truce: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return rc ? (int)rc : 1;
}

const char *keys_dir(const opts *o) {
  static char buf[4096];
  const char *k = opt(o, "--keys");
  if (k)
    return k;
  k = getenv("TRUCE_KEYS");
  if (k && *k)
    return k;
  const char *home = getenv("HOME");
  snprintf(buf, sizeof buf, "%s/.truce/keys", home && *home ? home : ".");
  return buf;
}

void key_path(const opts *o, const char *name, const char *ext, char *out,
              size_t cap) {
  char file[TRUCE_KEYFILE_MAX];
  truce_key_file_name(name, ext, file);
  snprintf(out, cap, "%s/%s", keys_dir(o), file);
}

truce_err load_skey(const opts *o, const char *arg, truce_skey *k,
                    char *err) {
  /* A key name (names like "example.org/log" contain '/') in the keys
   * folder, else a path to a key file. */
  char path[4096];
  key_path(o, arg, ".key", path, sizeof path);
  struct stat st;
  if (stat(path, &st) == 0 || stat(arg, &st) != 0)
    return truce_skey_load(path, k, err);
  return truce_skey_load(arg, k, err);
}

truce_err read_input(const char *path, truce_buf *b, char *err) {
  if (path && strcmp(path, "-") != 0)
    return truce_buf_read_file(b, path, err);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    truce_err rc = truce_buf_append(b, chunk, n);
    if (rc) {
      snprintf(err, TRUCE_ERR_MAX, "standard input: %s",
               rc == TRUCE_ETOOBIG ? "input too large" : truce_strerror(rc));
      return rc;
    }
  }
  if (ferror(stdin)) {
    snprintf(err, TRUCE_ERR_MAX, "cannot read standard input: %s",
             strerror(errno));
    return TRUCE_EIO;
  }
  return b->data ? TRUCE_OK : truce_buf_append(b, "", 0);
}

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int finish(int code) {
  if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
    fprintf(stderr, "truce: cannot write output: %s\n", strerror(errno));
    return code ? code : (int)TRUCE_EIO;
  }
  return code;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    overview(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
      strcmp(cmd, "-h") == 0)
    return cmd_help(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("truce %s\n", TRUCE_VERSION);
    return finish(0);
  }
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, cmd) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "truce: '%s' is not a truce command (see 'truce help')\n",
          cmd);
  return EXIT_USAGE;
}
