/*
 * truce.h: the one public header of libtruce, a ceasefire monitoring and
 * verification engine.
 *
 * What it owns: the evidence log (a tamper-evident Merkle log stored as
 * c2sp.org/tlog-tiles), its formats (signed notes, checkpoints,
 * cosignatures, proofs), sources and their signed observation batches.
 *
 * Conventions, for every function below:
 * - Fallible functions return a truce_err (TRUCE_OK = 0) and write their
 *   results through the last parameters. On failure, outputs are zeroed.
 * - Functions without a handle take `char *err` (may be NULL), a buffer of
 *   TRUCE_ERR_MAX bytes that receives a one-line message naming what was
 *   wrong (the field, the line). Handles keep their last message:
 *   truce_log_errmsg().
 * - The library never prints, exits or aborts. It allocates only inside
 *   opaque handles and growable buffers (truce_buf), each with a hard cap.
 * - Units are in names: _ms (milliseconds), _s (seconds), _m (metres),
 *   _deg (degrees). Times are UTC milliseconds since the Unix epoch.
 */
#ifndef TRUCE_H
#define TRUCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRUCE_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

typedef enum truce_err {
  TRUCE_OK = 0,          /* success */
  TRUCE_ENOMEM = 1,      /* an allocation failed */
  TRUCE_EINVAL = 2,      /* the caller passed an invalid argument */
  TRUCE_EIO = 3,         /* a file operation failed (the message has errno) */
  TRUCE_EPARSE = 4,      /* input is malformed: it does not parse */
  TRUCE_ERANGE = 5,      /* a value parses but is out of its allowed range */
  TRUCE_ETOOBIG = 6,     /* input exceeds a documented size limit */
  TRUCE_EVOCAB = 7,      /* a word is not in truce's vocabulary */
  TRUCE_ENOKEY = 8,      /* no signature by a trusted key was found */
  TRUCE_EBADSIG = 9,     /* a signature by a trusted key does not verify */
  TRUCE_EUNKNOWN = 10,   /* the signer is not a registered source */
  TRUCE_EREVOKED = 11,   /* the signer's registration was revoked */
  TRUCE_ESEQ = 12,       /* replayed or out-of-order sequence number */
  TRUCE_EPROOF = 13,     /* a well-formed proof that does not verify */
  TRUCE_EBADPROOF = 14,  /* a proof that is malformed (length, sizes) */
  TRUCE_ETAMPER = 15,    /* stored log data does not match its hashes */
  TRUCE_ESPLIT = 16,     /* two checkpoints are inconsistent: a split view */
  TRUCE_ENOTFOUND = 17,  /* the entry, file or name does not exist */
  TRUCE_EEXIST = 18,     /* it already exists */
  TRUCE_ESTALE = 19      /* a request refers to an old state (witness) */
} truce_err;

/* A static English description of an error code. Never NULL. */
const char *truce_strerror(truce_err e);

#define TRUCE_ERR_MAX 512 /* size of every `char *err` buffer */

/* ------------------------------------------------------------------ */
/* Limits                                                               */
/* ------------------------------------------------------------------ */

#define TRUCE_HASH_SIZE 32          /* SHA-256 */
#define TRUCE_ENTRY_MAX 65535       /* tlog-tiles: uint16 length prefix */
#define TRUCE_NAME_MAX 128          /* key names, source names, origins */
#define TRUCE_NOTE_MAX 65536        /* a signed note handled on its own */
#define TRUCE_NOTE_SIGS_MAX 32      /* signatures in a note (spec: >= 16) */
#define TRUCE_PROOF_MAX 64          /* hashes in one proof */
#define TRUCE_SUBMIT_MAX_BYTES (16u << 20) /* one submission's JSON lines */
#define TRUCE_SUBMIT_MAX_OBS 100000 /* observations in one submission */
#define TRUCE_OBS_LINE_MAX 16384    /* one observation, as a JSON line */
#define TRUCE_FUTURE_MAX_MS (10 * 60 * 1000) /* times ahead of now */

/* ------------------------------------------------------------------ */
/* Growable buffer (transparent, caller-owned; git's strbuf)            */
/* ------------------------------------------------------------------ */

/* Invariants: len <= cap <= max; data is NUL-terminated when non-NULL.
 * A buffer never grows beyond `max` bytes: appends fail with
 * TRUCE_ETOOBIG instead. */
typedef struct truce_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
} truce_buf;

void truce_buf_init(truce_buf *b, size_t max);
void truce_buf_release(truce_buf *b);
truce_err truce_buf_append(truce_buf *b, const void *p, size_t n);
truce_err truce_buf_appendf(truce_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Read a whole file into b (appending). Fails with TRUCE_ETOOBIG past
 * b->max, TRUCE_ENOTFOUND if missing, TRUCE_EIO otherwise. */
truce_err truce_buf_read_file(truce_buf *b, const char *path, char *err);

/* ------------------------------------------------------------------ */
/* Encoding helpers                                                      */
/* ------------------------------------------------------------------ */

/* Standard base64 (RFC 4648 section 4) with padding. Decoding is strict:
 * no whitespace, canonical trailing bits. */
size_t truce_base64_len(size_t nbytes); /* encoded length, without NUL */
void truce_base64_encode(const uint8_t *in, size_t n, char *out /* len+1 */);
truce_err truce_base64_decode(const char *in, size_t inlen, uint8_t *out,
                              size_t cap, size_t *outlen);
/* Lower-case hex. */
void truce_hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);
truce_err truce_hex_decode(const char *in, size_t inlen, uint8_t *out,
                           size_t cap, size_t *outlen);

/* SHA-256 (OpenSSL's libcrypto, which uses the CPU's SHA instructions). */
void truce_sha256(const void *p, size_t n, uint8_t out[TRUCE_HASH_SIZE]);

/* ------------------------------------------------------------------ */
/* Merkle tree (RFC 6962 / RFC 9162)                                     */
/* ------------------------------------------------------------------ */

/* leaf = SHA-256(0x00 || entry) */
void truce_leaf_hash(const void *entry, size_t len, uint8_t out[32]);
/* node = SHA-256(0x01 || left || right) */
void truce_node_hash(const uint8_t left[32], const uint8_t right[32],
                     uint8_t out[32]);

/* A proof: up to TRUCE_PROOF_MAX hashes, leaf side first. */
typedef struct truce_proof {
  uint8_t hash[TRUCE_PROOF_MAX][TRUCE_HASH_SIZE];
  size_t n;
} truce_proof;

/* Decode a proof from base64 strings, one per hash. Any hash that is not
 * exactly 32 bytes, or more than TRUCE_PROOF_MAX of them, is
 * TRUCE_EBADPROOF. */
truce_err truce_proof_from_base64(const char *const *b64, size_t n,
                                  truce_proof *out, char *err);

/* Verify that `leaf` is at `index` in the tree of `size` leaves whose
 * root is `root` (root_len bytes: anything but 32 is TRUCE_EBADPROOF).
 * TRUCE_OK, TRUCE_EBADPROOF (index >= size, wrong proof length or root
 * length), or TRUCE_EPROOF (well-formed, but the root does not match). */
truce_err truce_inclusion_verify(uint64_t index, uint64_t size,
                                 const uint8_t leaf[32],
                                 const truce_proof *proof,
                                 const uint8_t *root, size_t root_len);

/* Verify that the tree of size2 (root2) extends the tree of size1 (root1).
 * Follows transparency-dev/merkle exactly: size1 == 0 is always
 * TRUCE_EBADPROOF; size1 == size2 with an empty proof succeeds iff the
 * roots are byte-equal (lengths not checked); size1 > size2 is
 * TRUCE_EBADPROOF. */
truce_err truce_consistency_verify(uint64_t size1, uint64_t size2,
                                   const uint8_t *root1, size_t root1_len,
                                   const uint8_t *root2, size_t root2_len,
                                   const truce_proof *proof);

/* A source of stored hashes for proof generation: the hash of the complete
 * subtree of height `height` (2^height leaves) at position `index`, i.e.
 * covering leaves [index << height, (index + 1) << height). The generator
 * only asks for subtrees that lie inside the tree it is working on. */
typedef truce_err (*truce_node_fn)(void *ctx, unsigned height, uint64_t index,
                                   uint8_t out[32]);

/* Root of the tree of `size` leaves (size 0: SHA-256 of ""). */
truce_err truce_tree_root(truce_node_fn fn, void *ctx, uint64_t size,
                          uint8_t out[32]);
/* RFC 9162 inclusion proof of leaf `index` in the tree of `size`. */
truce_err truce_inclusion_prove(truce_node_fn fn, void *ctx, uint64_t index,
                                uint64_t size, truce_proof *out);
/* RFC 9162 consistency proof from size1 to size2 (0 < size1 <= size2). */
truce_err truce_consistency_prove(truce_node_fn fn, void *ctx, uint64_t size1,
                                  uint64_t size2, truce_proof *out);

/* A node source over an array of leaf hashes in memory (for tests and
 * small trees): ctx is a `const truce_leaves *`. */
typedef struct truce_leaves {
  const uint8_t (*hash)[32];
  uint64_t n;
} truce_leaves;
truce_err truce_leaves_node(void *ctx, unsigned height, uint64_t index,
                            uint8_t out[32]);

/* Count of SHA-256 compressions made by truce_node_hash and
 * truce_leaf_hash in this process (for the benchmark's accounting). */
uint64_t truce_hash_calls(void);

/* ------------------------------------------------------------------ */
/* Tiles (c2sp.org/tlog-tiles)                                           */
/* ------------------------------------------------------------------ */

#define TRUCE_TILE_WIDTH 256
#define TRUCE_TILE_ENTRIES (-1) /* level value of an entry bundle */
#define TRUCE_TILE_PATH_MAX 96

/* "tile/<L>/<N>[.p/<W>]" or, for level TRUCE_TILE_ENTRIES,
 * "tile/entries/<N>[.p/<W>]". width 256 (or 0) means a full tile; 1..255
 * a partial one. */
truce_err truce_tile_path(int level, uint64_t n, unsigned width,
                          char out[TRUCE_TILE_PATH_MAX]);
/* Parse a path as above (width 256 when full). Strict: no leading zeros
 * in L or W, every N element three digits, all but the last with 'x'. */
truce_err truce_tile_path_parse(const char *path, int *level, uint64_t *n,
                                unsigned *width);

/* ------------------------------------------------------------------ */
/* Keys and signed notes (c2sp.org/signed-note)                          */
/* ------------------------------------------------------------------ */

#define TRUCE_KEY_ED25519 0x01 /* note signature type */
#define TRUCE_KEY_COSIG_V1 0x04 /* tlog-cosignature, Ed25519 */
#define TRUCE_VKEY_MAX 256      /* a verifier key in text, with NUL */
#define TRUCE_SKEY_MAX 256      /* a private key in text, with NUL */

/* A verifier key: name, key ID, type and Ed25519 public key. */
typedef struct truce_vkey {
  char name[TRUCE_NAME_MAX + 1];
  uint32_t id;
  uint8_t type;
  uint8_t pub[32];
} truce_vkey;

/* A signing key. Wipe with truce_skey_wipe() when done. */
typedef struct truce_skey {
  truce_vkey vkey;
  uint8_t seed[32];
  uint8_t sk[64]; /* libsodium's expanded secret key */
} truce_skey;

/* Key names: non-empty, at most TRUCE_NAME_MAX bytes, printable, no space
 * or '+'. TRUCE_OK or TRUCE_EPARSE. */
truce_err truce_key_name_check(const char *name, char *err);
/* SHA-256(name || "\n" || type || pub)[:4], big-endian. */
uint32_t truce_key_id(const char *name, uint8_t type, const uint8_t pub[32]);

/* "<name>+<hex id>+<base64(type || pub)>". The ID must match the key. */
truce_err truce_vkey_parse(const char *text, size_t len, truce_vkey *out,
                           char *err);
void truce_vkey_format(const truce_vkey *k, char out[TRUCE_VKEY_MAX]);

/* Go's private key text: "PRIVATE+KEY+<name>+<hex id>+<base64(type ||
 * seed)>". */
truce_err truce_skey_parse(const char *text, size_t len, truce_skey *out,
                           char *err);
void truce_skey_format(const truce_skey *k, char out[TRUCE_SKEY_MAX]);
/* A fresh key from the system's CSPRNG. type is TRUCE_KEY_ED25519 or
 * TRUCE_KEY_COSIG_V1. */
truce_err truce_skey_generate(const char *name, uint8_t type,
                              truce_skey *out, char *err);
truce_err truce_skey_from_seed(const char *name, uint8_t type,
                               const uint8_t seed[32], truce_skey *out,
                               char *err);
void truce_skey_wipe(truce_skey *k);

/* Key files. A private key file is one line of skey text, mode 0600;
 * loading refuses a file that others can read. A verifier key may be
 * given as a file or as the key text itself. */
truce_err truce_skey_load(const char *path, truce_skey *out, char *err);
truce_err truce_skey_save(const char *path, const truce_skey *k, char *err);
truce_err truce_vkey_load(const char *path_or_text, truce_vkey *out,
                          char *err);
/* A file name for a key name: bytes outside [A-Za-z0-9._-] escaped as
 * %XX, then `ext` (".key", ".pub"). */
#define TRUCE_KEYFILE_MAX 512
void truce_key_file_name(const char *name, const char *ext,
                         char out[TRUCE_KEYFILE_MAX]);

/* Ed25519 with libsodium's verification rule (pinned: see docs/log.md). */
void truce_ed25519_sign(const truce_skey *k, const void *msg, size_t len,
                        uint8_t sig[64]);
truce_err truce_ed25519_verify(const uint8_t pub[32], const void *msg,
                               size_t len, const uint8_t sig[64]);

/* One signature line of a note. */
typedef struct truce_note_sig {
  char name[TRUCE_NAME_MAX + 1];
  uint32_t id;
  uint8_t sig[128]; /* raw signature after the 4-byte key ID */
  size_t sig_len;
} truce_note_sig;

/* A parsed signed note. `text` points into the caller's buffer. */
typedef struct truce_note {
  const char *text; /* the signed text, ending in "\n" */
  size_t text_len;
  truce_note_sig sig[TRUCE_NOTE_SIGS_MAX];
  size_t nsig;
} truce_note;

/* Parse a signed note's structure (UTF-8, no control characters but
 * newline, text, blank line, 1..TRUCE_NOTE_SIGS_MAX signature lines).
 * Signatures are not checked here. TRUCE_EPARSE or TRUCE_ETOOBIG. */
truce_err truce_note_parse(const char *msg, size_t len, truce_note *out,
                           char *err);

/* Verify a note against trusted keys (Ed25519 or cosignature/v1).
 * Signatures by unknown keys are ignored; a signature whose name and ID
 * match a trusted key must verify, or the whole note is TRUCE_EBADSIG;
 * if none verifies, TRUCE_ENOKEY. On success, verified[i] is set to 1
 * for each key that verified (verified may be NULL) and, for cosignature
 * keys, ts[i] to its timestamp (ts may be NULL). */
truce_err truce_note_verify(const truce_note *note, const truce_vkey *keys,
                            size_t nkeys, uint8_t *verified, uint64_t *ts,
                            char *err);

/* Sign `text` (must end in "\n" and be valid note text) with a key of
 * type TRUCE_KEY_ED25519 and append "\n" + text's signature block to
 * out: out receives text + "\n" + "— name base64\n". */
truce_err truce_note_sign(const char *text, size_t len, const truce_skey *k,
                          truce_buf *out, char *err);

/* Append one signature line to out, formatted per signed-note. */
truce_err truce_note_sig_format(const char *name, uint32_t id,
                                const uint8_t *sig, size_t sig_len,
                                truce_buf *out);

/* Cosign a checkpoint's text (tlog-cosignature, cosignature/v1) with a
 * key of type TRUCE_KEY_COSIG_V1 at `timestamp_s`; appends the signature
 * line ("— name base64(id || ts || sig)\n") to out. */
truce_err truce_cosign(const truce_skey *k, const char *text, size_t len,
                       uint64_t timestamp_s, truce_buf *out, char *err);

/* ------------------------------------------------------------------ */
/* Checkpoints (c2sp.org/tlog-checkpoint) and proofs (tlog-proof)        */
/* ------------------------------------------------------------------ */

typedef struct truce_checkpoint {
  char origin[TRUCE_NAME_MAX + 1];
  uint64_t size;
  uint8_t root[64]; /* 32 bytes for SHA-256 logs; the format allows any */
  size_t root_len;
  size_t ext_off; /* offset of the extension lines in the parsed text */
} truce_checkpoint;

/* Parse a checkpoint's note text (not the signatures). Strict:
 * origin non-empty, size decimal without leading zeros (fits uint64),
 * base64 root, extension lines non-empty. */
truce_err truce_checkpoint_parse(const char *text, size_t len,
                                 truce_checkpoint *out, char *err);
/* Format the three lines (no extensions) into out. */
truce_err truce_checkpoint_format(const truce_checkpoint *c, truce_buf *out);

/* Parse a signed checkpoint note, verify it against the log key (and
 * optionally witness keys), and return its body. verified/ts as in
 * truce_note_verify, indexed over [logkey, witnesses...]. */
truce_err truce_checkpoint_open(const char *note, size_t len,
                                const truce_vkey *logkey,
                                const truce_vkey *witnesses, size_t nwit,
                                truce_checkpoint *out, uint8_t *verified,
                                uint64_t *ts, char *err);

/* c2sp.org/tlog-proof@v1: index, inclusion proof, checkpoint note. */
truce_err truce_tlog_proof_format(uint64_t index, const truce_proof *p,
                                  const char *checkpoint_note, size_t len,
                                  truce_buf *out);
/* Parse; *note / *note_len point into `text`. */
truce_err truce_tlog_proof_parse(const char *text, size_t len,
                                 uint64_t *index, truce_proof *p,
                                 const char **note, size_t *note_len,
                                 char *err);

/* ------------------------------------------------------------------ */
/* Observations                                                          */
/* ------------------------------------------------------------------ */

/* What was seen or heard: the monitors' vocabulary. */
typedef enum truce_what {
  TRUCE_WHAT_NONE = 0,
  TRUCE_WHAT_EXPLOSION,             /* "explosion" */
  TRUCE_WHAT_UNDETERMINED_EXPLOSION, /* "undetermined_explosion" */
  TRUCE_WHAT_AIRBURST,              /* "airburst" */
  TRUCE_WHAT_PROJECTILE,            /* "projectile" (in flight) */
  TRUCE_WHAT_ILLUMINATION_FLARE,    /* "illumination_flare" */
  TRUCE_WHAT_SHOTS,                 /* "shots" */
  TRUCE_WHAT_BURSTS,                /* "bursts" */
  TRUCE_WHAT_MUZZLE_FLASH,          /* "muzzle_flash" */
  TRUCE_WHAT_THERMAL_ANOMALY,       /* "thermal_anomaly" */
  TRUCE_WHAT_WEAPON_SEEN,           /* "weapon_seen" */
  TRUCE_WHAT_MILITARY_PRESENCE,     /* "military_presence" */
  TRUCE_WHAT_DAMAGE,                /* "damage" */
  TRUCE_WHAT_CASUALTY,              /* "casualty" */
  TRUCE_WHAT_MINE,                  /* "mine" */
  TRUCE_WHAT_MOVEMENT_RESTRICTION,  /* "movement_restriction" */
  TRUCE_WHAT_JAMMING,               /* "jamming" */
  TRUCE_WHAT_SITE_VISIT,            /* "site_visit": a verification visit to
                                       a holding site, listing the serial
                                       numbers found there */
  TRUCE_WHAT_COUNT
} truce_what;

typedef enum truce_weapon_class {
  TRUCE_WEAPON_NONE = 0,
  TRUCE_WEAPON_SMALL_ARMS,       /* "small_arms" */
  TRUCE_WEAPON_HEAVY_MACHINE_GUN, /* "heavy_machine_gun" */
  TRUCE_WEAPON_GRENADE_LAUNCHER, /* "grenade_launcher" */
  TRUCE_WEAPON_RECOILLESS,       /* "recoilless" */
  TRUCE_WEAPON_ANTI_TANK,        /* "anti_tank" (guided missiles, guns) */
  TRUCE_WEAPON_ANTI_AIRCRAFT,    /* "anti_aircraft" */
  TRUCE_WEAPON_MORTAR,           /* "mortar" */
  TRUCE_WEAPON_TANK,             /* "tank" */
  TRUCE_WEAPON_IFV,              /* "ifv" (infantry fighting vehicle) */
  TRUCE_WEAPON_APC,              /* "apc" (armoured personnel carrier) */
  TRUCE_WEAPON_ARTILLERY,        /* "artillery" (guns and howitzers) */
  TRUCE_WEAPON_MLRS,             /* "mlrs" */
  TRUCE_WEAPON_TACTICAL_MISSILE, /* "tactical_missile" */
  TRUCE_WEAPON_UAV,              /* "uav" */
  TRUCE_WEAPON_AIRCRAFT,         /* "aircraft" */
  TRUCE_WEAPON_UNKNOWN,          /* "unknown" (heard or seen, unclassified) */
  TRUCE_WEAPON_COUNT
} truce_weapon_class;

/* Means of observation, as bits (a source may have several). */
enum truce_means {
  TRUCE_MEANS_AUDIO = 1u << 0,     /* "audio" */
  TRUCE_MEANS_VISUAL = 1u << 1,    /* "visual" */
  TRUCE_MEANS_CAMERA = 1u << 2,    /* "camera" */
  TRUCE_MEANS_DRONE = 1u << 3,     /* "drone" */
  TRUCE_MEANS_ACOUSTIC = 1u << 4,  /* "acoustic_sensor" */
  TRUCE_MEANS_RADAR = 1u << 5,     /* "radar" */
  TRUCE_MEANS_SATELLITE = 1u << 6, /* "satellite" */
  TRUCE_MEANS_REPORT = 1u << 7     /* "report" (a person's or a data set's) */
};
#define TRUCE_MEANS_COUNT 8

/* Vocabulary lookups. Names are the quoted words above; lookups return 0
 * (TRUCE_WHAT_NONE etc.) for an unknown word. */
const char *truce_what_name(truce_what w);
truce_what truce_what_from_name(const char *s, size_t len);
const char *truce_weapon_class_name(truce_weapon_class c);
truce_weapon_class truce_weapon_class_from_name(const char *s, size_t len);
const char *truce_means_name(unsigned bit);
unsigned truce_means_from_name(const char *s, size_t len);

enum truce_where_kind {
  TRUCE_WHERE_POINT = 1,  /* a position with an uncertainty radius */
  TRUCE_WHERE_BEARING = 2 /* observer + bearing + distance range */
};

#define TRUCE_OBS_EVIDENCE_MAX 8
#define TRUCE_OBS_SERIALS_MAX 64 /* serial numbers in one observation */
#define TRUCE_OBS_SERIAL_MAX 32  /* bytes of one serial number */
#define TRUCE_OBS_ID_MAX 64
#define TRUCE_OBS_TEXT_MAX 512

/* The ranges truce_obs_parse holds an observation to (docs/observation.md;
 * truce_fuse_add refuses what lies outside them too): */
#define TRUCE_OBS_PRECISION_MAX_S 31622400 /* precision_s: 366 days */
#define TRUCE_OBS_METRES_MAX 1e6 /* uncertainty_m, dist_min_m, dist_max_m */
#define TRUCE_OBS_CALIBRE_MAX_MM 2000.0 /* calibre_mm: (0, 2000], 0 unknown */
#define TRUCE_OBS_COUNT_MAX 1000000 /* count: 1 to 1,000,000 (fusion
                                       takes 0 as 1) */

/* One observation: what one source saw or heard. The JSON form is in
 * docs/observation.md. Strings are NUL-terminated UTF-8. */
typedef struct truce_obs {
  char id[TRUCE_OBS_ID_MAX + 1]; /* the source's own reference, or "" */
  truce_what what;
  uint32_t count;       /* how many (>= 1) */
  uint8_t count_approx; /* 1: "about" */
  /* when: a time with its precision, or a window [from, to] */
  int64_t t_ms;         /* the time, or the window's start */
  int64_t t_end_ms;     /* the window's end; == t_ms for a point time */
  uint32_t precision_s; /* of a point time (0 for a window) */
  uint8_t is_window;
  /* where */
  uint8_t where_kind; /* enum truce_where_kind */
  double lat_deg, lon_deg;   /* POINT: the position; BEARING: observer */
  double uncertainty_m;      /* POINT: radius (>= 0) */
  double bearing_deg;        /* BEARING: [0, 360) true north */
  double bearing_spread_deg; /* BEARING: +- half-width, [0, 180] */
  double dist_min_m, dist_max_m; /* BEARING: 0 <= min <= max */
  /* weapon, where known */
  truce_weapon_class weapon;
  double calibre_mm; /* 0: unknown */
  char system[TRUCE_OBS_ID_MAX + 1]; /* e.g. "BM-21 Grad", or "" */
  /* direction of fire, where seen */
  uint8_t has_fire;
  double fire_from_deg;   /* bearing towards where fire came from */
  double fire_spread_deg; /* +- half-width */
  unsigned means; /* one enum truce_means bit */
  /* evidence: SHA-256 of photos, video, files */
  struct {
    uint8_t sha256[32];
    char kind[17]; /* "photo", "video", "audio", "document", "data" */
  } evidence[TRUCE_OBS_EVIDENCE_MAX];
  unsigned nevidence;
  /* provenance of imported data */
  uint8_t has_provenance;
  char dataset[33];     /* e.g. "firms", "acled" */
  uint8_t file_sha256[32];
  uint64_t row;         /* 1-based row (line) in that file */
  char place[TRUCE_OBS_ID_MAX * 2 + 1]; /* free text place name, or "" */
  char note[TRUCE_OBS_TEXT_MAX + 1];    /* free text, or "" */
  /* holding sites: the site visited (site_visit) or seen at, and the
   * serial numbers of the weapons seen (weapon_seen) or found there */
  char site[TRUCE_OBS_ID_MAX + 1];
  char serials[TRUCE_OBS_SERIALS_MAX][TRUCE_OBS_SERIAL_MAX + 1];
  unsigned nserials;
  uint8_t has_serials; /* 1: a list was given (even an empty one) */
} truce_obs;

/* Parse one observation from a JSON object (one line, no newline; strict
 * RFC 8259, no repeated keys). now_ms is the current time: times more
 * than TRUCE_FUTURE_MAX_MS after it are refused. Numbers are checked as
 * written, then stored rounded to 7 decimals (the nearest multiple of
 * 1e-7, halves away from zero; a bearing that rounds to 360 is 0). On
 * error, err names the field ("where.lat: 91.2 is out of range [-90,
 * 90]") or the column. TRUCE_EPARSE (not JSON, wrong type, unknown
 * field), TRUCE_ERANGE, TRUCE_EVOCAB, TRUCE_ETOOBIG (also: more than 256
 * JSON values in the line). Allocates once (the JSON reader's work area,
 * about 30 KB): TRUCE_ENOMEM. */
truce_err truce_obs_parse(const char *json, size_t len, int64_t now_ms,
                          truce_obs *out, char *err);

/* Canonical JSON of an observation (fixed key order, numbers with at most
 * 7 decimals and no exponent or trailing zeros, times in UTC "Z"):
 * appended to out, no newline; nothing is appended on failure. Numbers
 * are written rounded to 7 decimals, so truce_obs_parse(truce_obs_format(
 * o)) == o for every o that truce_obs_parse produced (whose numbers are
 * already rounded), and formatting is a fixed point. TRUCE_EINVAL for
 * what no parse produces (a value outside the vocabulary, text with
 * control characters, a non-finite number); TRUCE_ETOOBIG if out's limit
 * is reached or the line would exceed TRUCE_OBS_LINE_MAX. */
truce_err truce_obs_format(const truce_obs *o, truce_buf *out);

/* Times: RFC 3339 with offset ("2015-02-15T00:00:00+02:00"), "Z"
 * accepted; fractions of a second to the millisecond. The instant must
 * lie in [TRUCE_TIME_MIN_MS, TRUCE_TIME_END_MS): 1900-01-01T00:00:00Z to
 * 3000-01-01T00:00:00Z, in ms since 1970 (TRUCE_ERANGE otherwise). */
#define TRUCE_TIME_MIN_MS INT64_C(-2208988800000)
#define TRUCE_TIME_END_MS INT64_C(32503680000000)
truce_err truce_time_parse(const char *s, size_t len, int64_t *t_ms);
/* "2015-02-14T22:00:00Z", or with ".123" when not whole seconds. */
void truce_time_format(int64_t t_ms, char out[32]);

/* ------------------------------------------------------------------ */
/* Log entries                                                           */
/* ------------------------------------------------------------------ */

/* Every log entry is a signed note whose text is:
 *     truce/v1 <kind>
 *     signer <key name>
 *     seq <n>
 *     time <RFC 3339>
 *     part <i>/<n>
 *     <payload: one JSON object per line, at least one>
 * See docs/log.md. */
typedef enum truce_entry_kind {
  TRUCE_ENTRY_BATCH = 1,     /* observations from a source */
  TRUCE_ENTRY_SOURCE_ADD,    /* registration, signed by the administrator */
  TRUCE_ENTRY_SOURCE_REVOKE, /* revocation, signed by the administrator */
  TRUCE_ENTRY_TERMS,         /* a version of a ceasefire's terms (admin) */
  TRUCE_ENTRY_KIND_COUNT
} truce_entry_kind;

const char *truce_entry_kind_name(truce_entry_kind k);

typedef struct truce_entry {
  truce_entry_kind kind;
  char signer[TRUCE_NAME_MAX + 1];
  uint64_t seq;
  int64_t time_ms;
  unsigned part, parts;
  const char *payload; /* into the caller's buffer: JSON lines */
  size_t payload_len;
  size_t nlines;       /* payload lines */
  truce_note note;     /* the parsed note (text, signatures) */
} truce_entry;

/* Parse an entry (its note structure and header); does not verify the
 * signature or the payload. */
truce_err truce_entry_parse(const char *data, size_t len, truce_entry *out,
                            char *err);
/* The payload line `i` (0-based) of an entry: *line, *len into data. */
truce_err truce_entry_line(const truce_entry *e, size_t i, const char **line,
                           size_t *len);

/* A registered source. */
typedef struct truce_source {
  char name[TRUCE_NAME_MAX + 1]; /* the key name */
  truce_vkey key;
  char party[TRUCE_NAME_MAX + 1];
  unsigned means;     /* enum truce_means bits */
  double reliability; /* (0, 1] */
  char description[TRUCE_OBS_TEXT_MAX + 1];
  uint64_t added_index;   /* log index of the registration */
  uint64_t revoked_index; /* log index of the revocation, or UINT64_MAX */
  uint64_t last_seq;      /* highest sequence number in the log, 0: none */
} truce_source;

/* The source-add payload: {"name":..., "key": vkey, "party":...,
 * "means":[...], "reliability": x, "description": ...}. */
truce_err truce_source_parse(const char *json, size_t len, truce_source *out,
                             char *err);
truce_err truce_source_format(const truce_source *s, truce_buf *out);

/* Sign observations (JSON lines, text) as one or more batch entries, each
 * at most TRUCE_ENTRY_MAX bytes, with sequence numbers first_seq,
 * first_seq + 1, ... Lines are validated and written in canonical form.
 * Appends the signed entries (each a complete signed note) to out;
 * *nentries receives their number. Errors name the input line and field:
 * "line 12: where.lat: ...". Blank lines are skipped. */
truce_err truce_batch_sign(const truce_skey *k, uint64_t first_seq,
                           int64_t now_ms, const char *jsonl, size_t len,
                           truce_buf *out, size_t *nentries, char *err);

/* Sign an administrator entry (source-add or source-revoke) whose payload
 * is one JSON line. */
truce_err truce_admin_sign(const truce_skey *admin, truce_entry_kind kind,
                           uint64_t seq, int64_t now_ms, const char *json,
                           size_t len, truce_buf *out, char *err);

/* Split a stream of concatenated signed entries: the entry starting at
 * *off (advanced past it). TRUCE_ENOTFOUND at the end of input. */
truce_err truce_entries_next(const char *data, size_t len, size_t *off,
                             const char **entry, size_t *entry_len,
                             char *err);

/* ------------------------------------------------------------------ */
/* The log                                                               */
/* ------------------------------------------------------------------ */

typedef struct truce_log truce_log;

/* Public description of a log, kept in DIR/log.info. */
typedef struct truce_log_info {
  char origin[TRUCE_NAME_MAX + 1];
  truce_vkey log_key;   /* signs checkpoints */
  truce_vkey admin_key; /* signs the source registry */
} truce_log_info;

/* Create a new, empty log in `dir` (created if missing, must be empty).
 * Holds only public data: keys are passed as verifier keys. */
truce_err truce_log_create(const char *dir, const truce_log_info *info,
                           char *err);

#define TRUCE_OPEN_READONLY 1u /* never write, never recover */

/* Open a log. Unless READONLY, recovers from a crash: an incomplete final
 * record (never acknowledged) is cut off, interrupted tile writes are
 * finished. *out is NULL on failure; err says why. */
truce_err truce_log_open(const char *dir, unsigned flags, truce_log **out,
                         char *err);
void truce_log_close(truce_log *log); /* NULL: does nothing */
const char *truce_log_errmsg(const truce_log *log);
const truce_log_info *truce_log_get_info(const truce_log *log);

/* Number of entries (re-reads the disk state). */
truce_err truce_log_size(truce_log *log, uint64_t *size);

/* Append signed entries (concatenated signed notes, as made by
 * truce_batch_sign / truce_admin_sign). All or nothing: every entry is
 * checked (signer registered and not revoked, signature, sequence number
 * = the signer's last + 1, payload, times not more than
 * TRUCE_FUTURE_MAX_MS after now_ms, size) before any is written; then
 * they are written and made durable (fdatasync) under an exclusive file
 * lock before this returns TRUCE_OK. *first receives the index of the
 * first entry; *count their number (either may be NULL). */
truce_err truce_log_append(truce_log *log, const char *entries, size_t len,
                           int64_t now_ms, uint64_t *first, uint64_t *count);

/* Sign observations with a source's key, using the next sequence numbers,
 * and append them, under one lock. */
truce_err truce_log_submit(truce_log *log, const truce_skey *source,
                           const char *jsonl, size_t len, int64_t now_ms,
                           uint64_t *first, uint64_t *count);

/* Register or revoke a source (signed with the administrator key). */
truce_err truce_log_source_add(truce_log *log, const truce_skey *admin,
                               const truce_source *src, int64_t now_ms,
                               uint64_t *index);
truce_err truce_log_source_revoke(truce_log *log, const truce_skey *admin,
                                  const char *name, const char *reason,
                                  int64_t now_ms, uint64_t *index);
/* Look a source up by name. TRUCE_ENOTFOUND if never registered. */
truce_err truce_log_source(truce_log *log, const char *name,
                           truce_source *out);
/* The i-th registered source, in registration order. */
truce_err truce_log_source_at(truce_log *log, size_t i, truce_source *out);
size_t truce_log_source_count(truce_log *log);

/* Read entry `index` into out (appended). */
truce_err truce_log_entry(truce_log *log, uint64_t index, truce_buf *out);

/* A version of a ceasefire's terms registered in the log. A terms entry's
 * payload is a header line, {"terms":ID,"version":N,"bytes":N,"sha256":H},
 * then the terms as compact JSON cut into lines, continued over as many
 * entries (parts) as it needs; the text is their concatenation. */
typedef struct truce_terms_ref {
  char id[TRUCE_NAME_MAX + 1];
  uint64_t version; /* 1, 2, ... per id, in the order registered */
  uint64_t index;   /* the log entry that starts it: cite this */
  uint64_t bytes;
  uint8_t sha256[32]; /* of the text */
  int64_t time_ms;    /* when the administrator signed it */
} truce_terms_ref;

/* Register a version of terms (a terms file, checked with
 * truce_terms_parse), signed by the administrator; the next version of
 * its id. *ref (may be NULL) describes what was registered. */
truce_err truce_log_terms_add(truce_log *log, const truce_skey *admin,
                              const char *json, size_t len, int64_t now_ms,
                              truce_terms_ref *ref);
/* Find terms by id and version (0: the latest); with out, append their
 * text, checked against the registered length and SHA-256. */
truce_err truce_log_terms_get(truce_log *log, const char *id,
                              uint64_t version, truce_terms_ref *ref,
                              truce_buf *out);
size_t truce_log_terms_count(truce_log *log);
truce_err truce_log_terms_at(truce_log *log, size_t i, truce_terms_ref *out);

/* Sign terms text (already compact, one line, printable ASCII) as one or
 * more entries with sequence numbers from first_seq. */
truce_err truce_terms_sign(const truce_skey *admin, uint64_t first_seq,
                           int64_t now_ms, const char *id, uint64_t version,
                           const char *text, size_t len, truce_buf *out,
                           size_t *nentries, char *err);

/* Make a checkpoint of the current size: writes the partial tiles that
 * size needs, signs the checkpoint with the log key, and publishes it as
 * DIR/checkpoint (and DIR/checkpoints/<size>). The note is appended to
 * out (may be NULL). */
truce_err truce_log_checkpoint(truce_log *log, const truce_skey *logkey,
                               truce_buf *out);

/* Add witness cosignature lines ("— name base64\n", as a witness returns
 * them) to the checkpoint of `size`: DIR/checkpoints/<size>, and
 * DIR/checkpoint if it is still of that size. Lines already there are not
 * repeated; the result must still verify with the log's key. */
truce_err truce_log_add_cosignatures(truce_log *log, uint64_t size,
                                     const char *lines, size_t len);

/* Root hash at `size` (<= current size). */
truce_err truce_log_root(truce_log *log, uint64_t size, uint8_t root[32]);
truce_err truce_log_prove_inclusion(truce_log *log, uint64_t index,
                                    uint64_t size, truce_proof *out);
truce_err truce_log_prove_consistency(truce_log *log, uint64_t size1,
                                      uint64_t size2, truce_proof *out);

/* ------------------------------------------------------------------ */
/* Read-only tile access and verification (what an auditor runs)         */
/* ------------------------------------------------------------------ */

/* A tree read from a folder of tiles (as served), for one tree size. */
typedef struct truce_tiles truce_tiles;

truce_err truce_tiles_open(const char *dir, uint64_t size, truce_tiles **out,
                           char *err);
void truce_tiles_close(truce_tiles *t);
const char *truce_tiles_errmsg(const truce_tiles *t);
/* A truce_node_fn over the tiles (ctx = truce_tiles *). */
truce_err truce_tiles_node(void *ctx, unsigned height, uint64_t index,
                           uint8_t out[32]);
/* Read entry `index` from its bundle (full or partial for the size). */
truce_err truce_tiles_entry(truce_tiles *t, uint64_t index, truce_buf *out);

/* Verify a whole log folder: every entry bundle and every tile is
 * recomputed and compared, the root is compared to the signed checkpoint
 * (verified with the key in DIR/log.info, or `logkey` if not NULL), and
 * every entry's signature, signer and sequence number are checked.
 * `report` receives one line per finding (may be NULL). TRUCE_OK only if
 * everything verifies; otherwise the first failure's code, and err names
 * what failed (file, index). */
typedef void (*truce_report_fn)(void *ctx, const char *line);
truce_err truce_verify_log(const char *dir, const truce_vkey *logkey,
                           truce_report_fn report, void *ctx, char *err);

/* Verify, from a tile folder, a signed checkpoint (with the log key) and
 * the inclusion of entry `index` in it: the entry is appended to `entry`
 * and its proof written to `proof`. TRUCE_EPROOF if the tiles do not
 * prove it, TRUCE_ENOTFOUND if the index is beyond the checkpoint. */
truce_err truce_verify_inclusion_dir(const char *dir, const truce_vkey *logkey,
                                     const char *note, size_t note_len,
                                     uint64_t index, truce_buf *entry,
                                     truce_proof *proof, char *err);

/* Verify two signed checkpoints of one log (either order) and that the
 * larger extends the smaller, with a proof computed from the tile folder
 * at the larger size. TRUCE_ESPLIT if they are inconsistent. */
truce_err truce_verify_consistency_dir(const char *dir,
                                       const truce_vkey *logkey,
                                       const char *note1, size_t len1,
                                       const char *note2, size_t len2,
                                       truce_proof *proof, char *err);

/* ------------------------------------------------------------------ */
/* Witness (c2sp.org/tlog-witness, tlog-cosignature)                     */
/* ------------------------------------------------------------------ */

typedef struct truce_witness truce_witness;

/* A witness keeps its state in `dir`: per log origin, the log's key and
 * the last checkpoint it cosigned; refused splits are kept there too. */
truce_err truce_witness_open(const char *dir, const truce_skey *key,
                             truce_witness **out, char *err);
void truce_witness_close(truce_witness *w);
const char *truce_witness_errmsg(const truce_witness *w);

/* Trust a log: its origin and key. */
truce_err truce_witness_add_log(truce_witness *w, const truce_vkey *logkey);

/* The size of the last checkpoint cosigned for `origin` (0 if none). */
truce_err truce_witness_last_size(truce_witness *w, const char *origin,
                                  uint64_t *size);

/* An add-checkpoint request (tlog-witness body: "old N", proof lines,
 * blank line, signed checkpoint). On success the cosignature line is
 * appended to out and the checkpoint recorded. Errors (and the HTTP
 * status the protocol gives them): TRUCE_ENOTFOUND unknown origin (404),
 * TRUCE_ENOKEY / TRUCE_EBADSIG (403), TRUCE_EPARSE (400), TRUCE_ESTALE
 * old size is not the last cosigned size (409), TRUCE_ESPLIT /
 * TRUCE_EPROOF / TRUCE_EBADPROOF (422: the refused checkpoint, the one it
 * contradicts and the proof are saved as evidence). */
truce_err truce_witness_add_checkpoint(truce_witness *w, const char *body,
                                       size_t len, uint64_t now_s,
                                       truce_buf *out);

/* ------------------------------------------------------------------ */
/* Geodesy on the WGS84 ellipsoid (lines, areas, distances, sides)       */
/* ------------------------------------------------------------------ */

/* A geometry from GeoJSON: lines (LineString, MultiLineString) or areas
 * (Polygon, MultiPolygon), with a spatial index built when it is loaded.
 * Edges between vertices are geodesics. An area's rings are combined by
 * the even-odd rule, so islands listed before the mainland ring, holes
 * and multipart polygons all mean what they look like, in any order.
 * A geometry is read-only once loaded: any number of threads may measure
 * against it at once. */
typedef struct truce_geom truce_geom;

enum truce_geom_kind {
  TRUCE_GEOM_LINE = 1, /* LineString, MultiLineString */
  TRUCE_GEOM_AREA = 2  /* Polygon, MultiPolygon */
};

/* Parse a GeoJSON Geometry, Feature or FeatureCollection (every feature
 * of one kind, merged). Coordinates [lon, lat] in degrees, finite, in
 * range; rings closed with at least 4 positions. Errors name the JSON path
 * ("features[3].geometry.coordinates[0][12]: latitude 95 out of range"). */
truce_err truce_geom_parse(const char *geojson, size_t len, truce_geom **out,
                           char *err);
truce_err truce_geom_load(const char *path, truce_geom **out, char *err);
void truce_geom_free(truce_geom *g);
int truce_geom_kind(const truce_geom *g);
size_t truce_geom_vertices(const truce_geom *g);

/* Where a point lies relative to a geometry. */
typedef struct truce_geo_where {
  double dist_m;   /* geodesic distance to the line, or to the area's
                      boundary (>= 0), rounded to the millimetre; 0 when
                      on it. Within a threshold T means dist_m <= T. */
  int side;        /* LINE: +1 left, -1 right of the drawing direction at
                      the nearest point; AREA: +1 inside, -1 outside;
                      0: on it (closer than TRUCE_GEO_ON_M) */
  double near_lat_deg, near_lon_deg; /* the nearest point of the geometry */
  uint32_t part;    /* which line or ring holds the nearest point */
  uint32_t segment; /* its segment within that part (0-based) */
} truce_geo_where;

#define TRUCE_GEO_ON_M 0.001 /* closer than this is "on" the line */

/* Distance and side of a point (degrees). Within 1 m of the geodesic
 * reference (GeographicLib, PROJ's geod_inverse) for distances up to
 * 300 km. TRUCE_ERANGE for a point out of range or not finite. */
truce_err truce_geom_measure(const truce_geom *g, double lat_deg,
                             double lon_deg, truce_geo_where *out);

/* Measure n points at once: out[i] is exactly what truce_geom_measure
 * gives for (lat_deg[i], lon_deg[i]), and errs[i] (errs may be NULL) its
 * return code. Faster for many points: they are measured in the order
 * the index keeps its cells (sorted by cell, in chunks of 1 M points), so
 * that consecutive points read the same memory, and the answers are put
 * back in the input's order. Scratch: 64 bytes a point, at most 64 MB.
 * Returns TRUCE_OK; TRUCE_ERANGE if some point is out of range (it is
 * zeroed, errs says which; the others are measured); TRUCE_ENOMEM for the
 * scratch (nothing is measured); TRUCE_EINVAL for NULL arrays. */
truce_err truce_geom_measure_many(const truce_geom *g, size_t n,
                                  const double *lat_deg, const double *lon_deg,
                                  truce_geo_where *out, truce_err *errs);

/* Exact geodesic inverse problem (PROJ's geod_inverse, WGS84). */
void truce_geodesic_inverse(double lat1_deg, double lon1_deg, double lat2_deg,
                            double lon2_deg, double *dist_m, double *azi1_deg,
                            double *azi2_deg);

/* A set of named areas: the features of a GeoJSON FeatureCollection,
 * each a Polygon or MultiPolygon (oblasts, districts), for "in which
 * region is this point?". Read-only once loaded. */
typedef struct truce_areas truce_areas;

/* Load every feature of a FeatureCollection as an area named by its
 * property `property` (NULL: "name"; a feature without it is named
 * "features[i]"). Errors name the file and the feature. */
truce_err truce_areas_load(const char *path, const char *property,
                           truce_areas **out, char *err);
void truce_areas_free(truce_areas *a); /* NULL: does nothing */
size_t truce_areas_count(const truce_areas *a);
const char *truce_areas_name(const truce_areas *a, size_t i);
/* The first area, in file order, that holds the point (on its boundary
 * counts as in it): *index, or -1 if none. TRUCE_ERANGE for a point out
 * of range or not finite. */
truce_err truce_areas_which(const truce_areas *a, double lat_deg,
                            double lon_deg, long *index);

/* ------------------------------------------------------------------ */
/* Weapon catalogue (data/weapons.json, compiled in)                     */
/* ------------------------------------------------------------------ */

/* Look a weapon system up by name as monitors write it ("2S1",
 * "2S1 Gvozdika", "Gvozdika", "BM-21", "Град"). Names match ignoring
 * case (Latin and Cyrillic letters), spaces and hyphens, and nothing
 * else: no fuzzy matching, so a misspelling is TRUCE_ENOTFOUND, never a
 * guess. On success the outputs (each may be NULL) receive the class, the
 * calibre in mm (a missile's body diameter) and the catalogue's name for
 * the system (static storage). TRUCE_ENOTFOUND (outputs zeroed) for an
 * unknown or empty name; TRUCE_EINVAL for a NULL name. The catalogue is
 * parsed once, on first use, thread-safely; a catalogue that does not
 * parse (a build error the tests catch) gives TRUCE_EPARSE. */
truce_err truce_weapon_lookup(const char *system, truce_weapon_class *cls,
                              double *calibre_mm,
                              const char **canonical_name);

/* The catalogue in file order, for listings: entry i (0-based) of
 * truce_weapon_count(). Strings are static. TRUCE_ENOTFOUND past the
 * end. truce_weapon_count() is 0 if the catalogue does not parse. */
size_t truce_weapon_count(void);
truce_err truce_weapon_at(size_t i, const char **name, truce_weapon_class *cls,
                          double *calibre_mm, const char **description);

/* truce_obs_classify flags. */
#define TRUCE_CLASSIFY_UNLISTED 1u    /* a system is named that is not in
                                         the catalogue: kept, not guessed */
#define TRUCE_CLASSIFY_CONTRADICTS 2u /* the observation's own class or
                                         calibre disagrees with the
                                         catalogue's for its system */
#define TRUCE_CLASSIFY_FILLED 4u      /* class or calibre was taken from the
                                         catalogue */

/* The weapon of an observation: its own class and calibre where given
 * (class "unknown" counts as not given), the catalogue's where the
 * observation names a system and leaves them out. A calibre contradicts
 * the catalogue when it differs by more than 0.5 mm (152.4 for a
 * "152 mm" gun is the same gun). *cls is TRUCE_WEAPON_NONE and
 * *calibre_mm 0 when nothing is known. TRUCE_OK whatever the
 * observation says; TRUCE_EINVAL for NULL arguments; TRUCE_EPARSE as for
 * truce_weapon_lookup. */
truce_err truce_obs_classify(const truce_obs *o, truce_weapon_class *cls,
                             double *calibre_mm, unsigned *flags);

/* ------------------------------------------------------------------ */
/* Terms of a ceasefire (the agreement as data: docs/terms.md)          */
/* ------------------------------------------------------------------ */

/* A parsed, validated terms file: parties, the ceasefire start, reference
 * lines, control, zones, holding sites and rules. Read-only once loaded:
 * any number of threads may read it at once. */
typedef struct truce_terms truce_terms;

#define TRUCE_TERMS_MAX_BYTES (16u << 20) /* a terms file, geometries and all */

/* Parse and validate a terms file (JSON, docs/terms.md). On failure *out
 * is NULL and err names the JSON path and why ("rules[3].distance_km: -5
 * must be > 0"). TRUCE_EPARSE (not JSON, a wrong type, a missing or
 * unknown field, a reference to an id that does not exist),
 * TRUCE_ERANGE (a number or time out of range), TRUCE_EVOCAB (a word
 * that is not in the vocabulary: rule types, what words, weapon classes,
 * sides, systems not in the catalogue), TRUCE_ETOOBIG (a size limit),
 * TRUCE_ENOMEM. */
truce_err truce_terms_parse(const char *json, size_t len, truce_terms **out,
                            char *err);
/* The same from a file (at most TRUCE_TERMS_MAX_BYTES); messages start
 * with the path. TRUCE_ENOTFOUND if the file does not exist. */
truce_err truce_terms_load(const char *path, truce_terms **out, char *err);
void truce_terms_free(truce_terms *t); /* NULL: does nothing */

/* The terms' id ("minsk-ii-2015"), title ("" if none), the ceasefire's
 * start (UTC ms) and the time zone named with it ("Europe/Kyiv"). */
const char *truce_terms_id(const truce_terms *t);
const char *truce_terms_title(const truce_terms *t);
int64_t truce_terms_start_ms(const truce_terms *t);
const char *truce_terms_start_zone(const truce_terms *t);

/* How much the terms hold. */
typedef struct truce_terms_counts {
  size_t parties, lines, control, zones, sites, items, rules;
} truce_terms_counts;
void truce_terms_count(const truce_terms *t, truce_terms_counts *out);

/* Rule i (0-based, file order): its id and type ("ceasefire",
 * "withdrawal", "zone", "cap", "precondition", "holding"); NULL past the
 * end. */
const char *truce_terms_rule_id(const truce_terms *t, size_t i);
const char *truce_terms_rule_type(const truce_terms *t, size_t i);
/* One line, no newline, describing rule i in words, appended to out:
 * "withdrawal 'heavy-artillery': artillery, anti_tank of at least 100 mm
 * at least 25 km behind each party's own line (ua: ..., cadlr: ...)
 * from 2015-03-02T22:00:00Z". TRUCE_ENOTFOUND past the end. */
truce_err truce_terms_rule_describe(const truce_terms *t, size_t i,
                                    truce_buf *out);
/* A summary for `truce terms show`: the id, title, start, parties, lines,
 * control, zones, sites and one line per rule, appended to out. */
truce_err truce_terms_describe(const truce_terms *t, truce_buf *out);

/* ------------------------------------------------------------------ */
/* Assessment: observations judged against terms (docs/assess.md)        */
/* ------------------------------------------------------------------ */

/* One observation cited as evidence: entry index and position in it. */
typedef struct truce_evidence {
  uint64_t index;
  uint32_t pos;
  const char *source; /* the signer's name */
} truce_evidence;

/* An uncertainty region: an ellipse on the local tangent plane at its
 * centre, holding the true position with 95% probability (semi-axes are
 * 2.4477 sigma of a two-dimensional normal). */
typedef struct truce_ellipse {
  double lat_deg, lon_deg; /* the centre: the best estimate */
  double major_m, minor_m; /* semi-axes, major_m >= minor_m >= 0 */
  double azimuth_deg;      /* of the major axis, [0, 180) from true north */
} truce_ellipse;

/* A finding of the assessment. Strings and arrays belong to the engine
 * and are valid during the callback only. */
typedef struct truce_violation {
  const char *rule;      /* the rule's id in the terms */
  const char *rule_type; /* ceasefire, withdrawal, zone, cap, precondition,
                            holding */
  const char *category;  /* fire, presence, inside, near, over_cap,
                            missing, outside_storage, not_met */
  int64_t t_ms, t_end_ms; /* when (a window when t_end_ms > t_ms) */
  int has_position;
  double lat_deg, lon_deg, uncertainty_m;
  const char *line; /* the reference line measured from, or "" */
  double dist_m;    /* distance to it (m); negative if none */
  const char *place; /* the zone or site, or "" */
  const char *party; /* the party responsible, or "undetermined" */
  const char *reason; /* why that party, or why undetermined */
  const char *detail; /* what was seen, against which limit */
  const truce_evidence *evidence;
  size_t nevidence;
  const truce_terms_ref *terms; /* the terms entry the finding cites */
  int fire_located;         /* the finding's incident has a firing position
                               (fusion triangulated it) */
  truce_ellipse fire_where; /* ... and its 95% ellipse, if fire_located */
} truce_violation;

/* Return non-zero to stop the assessment (it then returns TRUCE_OK). */
typedef int (*truce_violation_fn)(void *ctx, const truce_violation *v);

/* Judge the observations in the log whose time lies in [from_ms, to_ms)
 * against the terms (registered in the log as `cite`), calling fn for
 * each finding in a fixed order (time, then rule, then evidence), so
 * the same log prefix, terms and period always give the same findings.
 * See docs/assess.md for what each rule finds and how parties are
 * attributed. */
truce_err truce_assess(truce_log *log, const truce_terms *terms,
                       const truce_terms_ref *cite, int64_t from_ms,
                       int64_t to_ms, truce_violation_fn fn, void *ctx,
                       char *err);

enum truce_format {
  TRUCE_FORMAT_JSONL = 1, /* one JSON object per line */
  TRUCE_FORMAT_CSV,       /* RFC 4180, header from truce_violation_csv_header */
  TRUCE_FORMAT_GEOJSON,   /* one Feature (a FeatureCollection's member) */
  TRUCE_FORMAT_TEXT       /* one line for people: time, rule, party, what */
};

/* Append one finding in the given format (no trailing newline for
 * GeoJSON; a newline after a JSON line or a CSV row). */
truce_err truce_violation_format(const truce_violation *v, int format,
                                 truce_buf *out);
const char *truce_violation_csv_header(void); /* with its newline */

/* ------------------------------------------------------------------ */
/* Import: data sets people have, as signed observations (docs/import.md) */
/* ------------------------------------------------------------------ */

/* Import turns a data set's file (a NASA FIRMS CSV, an ACLED export, ...)
 * into observations, one per row, each carrying its provenance (the
 * data set, the file's SHA-256 and the row), signed by an importer
 * source and appended to the log. Re-importing a file adds only the rows
 * the log does not hold yet. What each column becomes: docs/import.md. */

enum truce_import_kind {
  TRUCE_IMPORT_FIRMS = 1, /* "firms": NASA FIRMS CSV (VIIRS, MODIS, the
                             three-column history files) */
  TRUCE_IMPORT_ACLED,     /* "acled": ACLED CSV export */
  TRUCE_IMPORT_UCDP,      /* "ucdp": UCDP GED CSV */
  TRUCE_IMPORT_VIINA,     /* "viina": VIINA event CSV */
  TRUCE_IMPORT_CIR,       /* "cir": Bellingcat / CIR civilian harm CSV */
  TRUCE_IMPORT_GEOJSON    /* "geojson": a FeatureCollection of points */
};
#define TRUCE_IMPORT_KIND_COUNT 7 /* one past the last kind */

/* "firms", "acled", ... for a kind; NULL for anything else. */
const char *truce_import_kind_name(int kind);
/* The kind for a name (exact, lower case), or 0 if there is none. */
int truce_import_kind_from_name(const char *name);

#define TRUCE_IMPORT_MAX_BYTES ((size_t)1 << 31) /* a file: 2 GiB */

/* What an import did. Every row (CSV record, GeoJSON feature) the
 * converter read is counted exactly once:
 * rows == imported + refused + already + outside, also after an error
 * part-way (rows then counts only the rows dealt with). */
typedef struct truce_import_stats {
  uint64_t rows;     /* rows read (a CSV header is not a row) */
  uint64_t imported; /* observations appended (dry run: that would be) */
  uint64_t refused;  /* rows refused; the reject callback saw each */
  uint64_t already;  /* rows of this file already in the log: skipped */
  uint64_t outside;  /* valid rows outside the options' box: left out */
  uint64_t entries;  /* log entries written */
  uint64_t first_index; /* the first of them (valid when entries > 0) */
  uint64_t bytes;       /* the file's size */
  uint8_t file_sha256[TRUCE_HASH_SIZE]; /* the file's SHA-256 */
} truce_import_stats;

/* Callbacks, each may be NULL. Strings are valid during the call only. */
typedef struct truce_import_cb {
  /* A refused row: its 1-based line in the file and why, naming the
   * column ("column acq_time: '25x' is not HHMM"). */
  void (*reject)(void *ctx, uint64_t line, const char *why);
  /* Bytes of the file converted so far, of `total`; called at least at
   * the start and the end, and every few thousand rows between. */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  /* Each observation accepted, before it is appended (if it is): the
   * row's line, the observation and its canonical JSON line (no
   * newline). A non-zero return stops the conversion with that code
   * (rows already appended stay appended). */
  truce_err (*obs)(void *ctx, uint64_t line, const truce_obs *o,
                   const char *json, size_t len);
  void *ctx;
} truce_import_cb;

#define TRUCE_IMPORT_DRY_RUN 1u /* convert and count, write nothing */

/* How to import; NULL, or all zero: every row, written. */
typedef struct truce_import_opts {
  unsigned flags; /* TRUCE_IMPORT_DRY_RUN */
  /* has_box: only rows whose position (an observation's lat, lon: the
   * point, or the observer of a bearing) lies in the box are imported;
   * the others, once checked, are counted as `outside` and left out (a
   * global data set, kept to the area monitored). Degrees, edges
   * included; south <= north; west > east: the box crosses 180. */
  int has_box;
  double west_deg, south_deg, east_deg, north_deg;
} truce_import_opts;

/* 1 if the box of opts is valid (or none is asked), else 0. */
int truce_import_opts_valid(const truce_import_opts *opts);

/* Import the file at `path` (at most TRUCE_IMPORT_MAX_BYTES, read whole
 * into memory) as data set `kind` into `log`, signed with `importer`,
 * which must be a registered, unrevoked source.
 *
 * First the log is read for observations whose provenance names this
 * file's SHA-256 (whatever their signer or data set name); those rows are
 * skipped and counted as `already`, so importing a file twice adds
 * nothing, and an import interrupted half-way, run again, adds exactly
 * the rows missing. Then each row is converted, its provenance set
 * (data set, this file's SHA-256, its row), checked as truce_obs_parse
 * would (with now_ms as the clock) and appended in submissions of at
 * most 4,096 observations (each as many entries of at most
 * TRUCE_ENTRY_MAX bytes as it needs, made durable before the next), so
 * memory stays bounded: the file (held once), about 4 MB, and 8 bytes
 * per row already in the log. A refused row is reported to cb->reject
 * and skipped; nothing is dropped without a callback.
 *
 * With a box (opts), a row outside it is checked like the others (a
 * refused row is refused wherever it lies) and then left out, counted
 * as `outside`; a row already in the log counts as `already` wherever
 * it lies.
 *
 * With TRUCE_IMPORT_DRY_RUN nothing is written: log may be NULL (then
 * nothing counts as already imported) and importer may be NULL.
 *
 * Returns TRUCE_OK when the whole file was read, whatever rows were
 * refused. Errors: TRUCE_EINVAL (a NULL argument, an unknown kind, an
 * invalid box, a log opened read-only), TRUCE_EUNKNOWN (the importer is not a
 * registered source), TRUCE_EREVOKED (it was revoked), TRUCE_ENOKEY (its
 * key is not the registered one), TRUCE_ENOTFOUND / TRUCE_EIO (the
 * file), TRUCE_ETOOBIG (too large), TRUCE_EPARSE (the file is not of
 * that kind: "header: no column 'acq_date'"), TRUCE_ENOMEM, or the log's
 * error on appending (err holds truce_log_errmsg). Messages about the
 * file or its rows start with its path. On an error part-way, *stats
 * tells what was already appended (those rows are durable; a rerun
 * skips them). */
truce_err truce_import_file(truce_log *log, const truce_skey *importer,
                            int kind, const char *path, int64_t now_ms,
                            const truce_import_opts *opts,
                            const truce_import_cb *cb,
                            truce_import_stats *stats, char *err);

/* Conversion only, without a log: data[0..len) as data set `kind`. Each
 * accepted observation goes to cb->obs, each refused row to cb->reject;
 * *stats counts them (entries 0, already 0). For tests, dry runs and
 * fuzzing. Errors as for truce_import_file, minus the log's. */
truce_err truce_import_convert(int kind, const char *data, size_t len,
                               int64_t now_ms, const truce_import_opts *opts,
                               const truce_import_cb *cb,
                               truce_import_stats *stats, char *err);

/* ------------------------------------------------------------------ */
/* Positions from bearings (docs/fusion.md)                              */
/* ------------------------------------------------------------------ */

/* A reported bearing "b +- s degrees" means the true bearing lies within
 * s of b with 95% probability: its error is modelled as normal with
 * sigma = s / 2. The simulator draws errors that way and triangulation
 * weighs bearings that way. */

/* One line of sight: an observer's position and the bearing it reported,
 * with the distance range if given (0, 0: none). origin_radius_m is how
 * well the observer's own position is known (a 95% radius, like the
 * ellipses; 0: exact): it widens the line of sight by origin_radius_m /
 * TRUCE_ELLIPSE_K95 sigma across and along. */
typedef struct truce_bearing {
  double lat_deg, lon_deg;
  double bearing_deg, spread_deg; /* true, [0, 360); +- half-width */
  double dist_min_m, dist_max_m;  /* 0 <= min <= max; max 0: unknown */
  double origin_radius_m;         /* >= 0; 0: the origin is exact */
} truce_bearing;

/* 95% of a two-dimensional normal lies within this many sigmas along each
 * axis of its ellipse: sqrt(-2 ln 0.05). */
#define TRUCE_ELLIPSE_K95 2.4477468306808164

/* What a report that states no spread (spread 0) is taken to mean: a
 * bearing taken by hand is good to a few degrees, a direction of fire
 * (tracer, crater, launch flash) is coarser. Spreads below
 * TRUCE_BEARING_SPREAD_MIN_DEG are raised to it when read from an
 * observation, and refused by the functions below. */
#define TRUCE_BEARING_SPREAD_DEFAULT_DEG 5.0
#define TRUCE_FIRE_SPREAD_DEFAULT_DEG 10.0
#define TRUCE_BEARING_SPREAD_MIN_DEG 0.01

/* Triangulation's limits: bearings in one call; lines of sight closer
 * to parallel than MIN_CROSS_DEG do not cross; the farthest a crossing
 * may lie from an observer (also the largest distance accepted). */
#define TRUCE_TRIANGULATE_MAX 1000
#define TRUCE_TRIANGULATE_MIN_CROSS_DEG 1.0
#define TRUCE_TRIANGULATE_MAX_M 1.0e6

/* Every function below checks its bearings: positions finite, latitude in
 * (-90, 90) (from a pole there is no north), longitude in [-180, 180];
 * bearing finite in [-360, 360] (taken modulo 360, so geod_inverse's
 * (-180, 180] azimuths may be passed as they are); spread in
 * [TRUCE_BEARING_SPREAD_MIN_DEG, 180]; 0 <= dist_min_m <= dist_max_m <=
 * TRUCE_TRIANGULATE_MAX_M; 0 <= origin_radius_m <= TRUCE_TRIANGULATE_MAX_M.
 * Anything else (NaN, infinities) is TRUCE_EINVAL, with err
 * (TRUCE_ERR_MAX bytes, may be NULL) naming the bearing and the field:
 * "bearing 2: spread_deg 0 is out of range [0.01, 180]". Outputs are
 * zeroed on failure. See docs/bearings.md. */

/* The line of sight of a bearing report: the observer, bearing_deg and
 * its spread, the distance range. A spread of 0 (not stated) is taken as
 * TRUCE_BEARING_SPREAD_DEFAULT_DEG. origin_radius_m is 0: the observer's
 * own position is taken as exact. TRUCE_EINVAL if o is not a bearing
 * report (where_kind TRUCE_WHERE_BEARING) or its numbers are invalid. */
truce_err truce_bearing_from_obs(const truce_obs *o, truce_bearing *out,
                                 char *err);

/* The line of sight towards the firing position, for an observation with
 * a direction of fire (has_fire): its origin is the observer (a bearing
 * report's where.observer) or, for a point report (a crater, an impact
 * examined where it is), the point itself, with origin_radius_m = its
 * uncertainty_m. The bearing is fire_from_deg, the direction from that
 * origin towards where the fire came from; a spread of 0 is taken as
 * TRUCE_FIRE_SPREAD_DEFAULT_DEG. No distance range (the observation's
 * distances are to the event, not to the weapon). TRUCE_EINVAL without
 * has_fire or with invalid numbers. */
truce_err truce_fire_bearing_from_obs(const truce_obs *o, truce_bearing *out,
                                      char *err);

/* One line of sight with a distance range as a region. The centre lies
 * on the geodesic from the observer along the bearing at the middle of
 * the range (geod_direct on WGS84). The distance is taken as uniform over
 * the range and the bearing's error as normal: the ellipse's axes run
 * along and across the line of sight, with semi-axes TRUCE_ELLIPSE_K95
 * times the root mean square offsets of the event from the centre, along
 * and across (for small spreads (max - min) / sqrt(12) along and
 * sigma_rad * sqrt(E[d^2]) across; exact for any spread, so an exact
 * distance (min == max) still has the width of the arc's sag), each
 * widened by the origin's own uncertainty (origin_radius_m /
 * TRUCE_ELLIPSE_K95 sigma). Measured: it holds the event 91-97% of the
 * time for spreads up to 90 degrees (docs/bearings.md). The sector's far
 * corners (max distance, b +- s) may lie just outside: they are the
 * least likely places. TRUCE_EINVAL when the range is unknown
 * (dist_max_m 0): a bearing alone does not place an event; triangulate
 * it with others (truce_triangulate) or test it against a position
 * found otherwise (truce_bearing_measure). */
truce_err truce_bearing_region(const truce_bearing *b, truce_ellipse *out,
                               char *err);

/* Two or more lines of sight to one event (b[0..n-1], n >= 2): the
 * position that best fits them, by weighted least squares on the
 * ellipsoid. Residuals are the differences between each reported bearing
 * and the geodesic azimuth from its observer to the estimate (geod_inverse
 * on WGS84), in radians divided by sigma (spread / 2, widened by
 * origin_radius_m at the estimate's distance); a distance range adds a
 * residual (distance - middle of the range) / its sigma ((max - min) /
 * sqrt(12), at least 1 m). Gauss-Newton steps on the tangent plane at the
 * current estimate (so the antimeridian and high latitudes need no care),
 * from a first crossing of the lines, until a step is below 1 cm (at most
 * 20 steps). The ellipse is the 95% region of the covariance
 * (J^T W J)^-1 at the estimate, from the stated spreads: it is not
 * scaled by how well the bearings agree. *rms (may be NULL) is the root
 * mean square of the normalised residuals: about 1 or below when the
 * bearings agree with their spreads, far above 1 when they do not (one
 * of them is wrong or points at another event); 0 with two bearings and
 * no ranges, which always fit exactly. For m residuals, m * rms^2 is a
 * chi-squared with m - 2 degrees of freedom.
 * Errors: TRUCE_EINVAL: b NULL, n < 2, or an invalid bearing;
 * TRUCE_ETOOBIG: n > TRUCE_TRIANGULATE_MAX; TRUCE_ERANGE: the data give
 * no position: the lines are within TRUCE_TRIANGULATE_MIN_CROSS_DEG of
 * parallel, they meet at or behind an observer, farther than
 * TRUCE_TRIANGULATE_MAX_M from one, or the fit does not converge. The
 * parallel test looks at directions only: nearly parallel bearings with
 * distance ranges are refused too (use truce_bearing_region on each).
 * No allocation, no shared state (any number of threads); the work is
 * bounded: at most 41 passes over the bearings (typically 4), each one
 * geodesic inverse per bearing. */
truce_err truce_triangulate(const truce_bearing *b, size_t n,
                            truce_ellipse *out, double *rms, char *err);

/* How a point lies relative to a line of sight, to test whether a bearing
 * agrees with an event located by other means. */
typedef struct truce_bearing_miss {
  double dist_m;   /* geodesic distance from the observer to the point */
  double off_deg;  /* the point's azimuth from the observer minus the
                      bearing, (-180, 180]: > 0 to the right (clockwise) */
  double along_m;  /* dist_m * cos(off): < 0 behind the observer */
  double cross_m;  /* how far the point lies off the line of sight, >= 0:
                      dist_m * |sin(off)| ahead of the observer, dist_m
                      (the distance to the observer) behind it */
  double cross_sigma_m; /* the bearing's own cross-track sigma at dist_m:
                           sqrt((dist_m * sigma_rad)^2 + sigma_origin^2) */
  double range_out_m;   /* how far dist_m lies outside [dist_min_m,
                           dist_max_m]; 0 inside or with no range */
  int ahead;            /* 1: |off_deg| < 90 */
} truce_bearing_miss;

/* Measure a point (degrees) against a line of sight. The bearing alone
 * agrees with the point at 95% when ahead and cross_m <= 1.96 *
 * cross_sigma_m (one dimension); a point with its own uncertainty sigma_p
 * agrees when cross_m <= 1.96 * sqrt(cross_sigma_m^2 + sigma_p^2).
 * TRUCE_EINVAL for an invalid bearing or point. */
truce_err truce_bearing_measure(const truce_bearing *b, double lat_deg,
                                double lon_deg, truce_bearing_miss *out,
                                char *err);

/* ------------------------------------------------------------------ */
/* Incidents: fusion and the derived index (docs/fusion.md)              */
/* ------------------------------------------------------------------ */

/* Fusion groups observations into incidents: one explosion heard by two
 * patrols and seen by a camera is one incident with three observations
 * as evidence. The algorithm, its thresholds and the confidence formula
 * are in docs/fusion.md. Fusion is a pure function of its input set: the
 * same observations, added in any order, give the same incidents with
 * the same ids. */
typedef struct truce_fusion truce_fusion;

/* Tuning; truce_fuse_defaults() fills the documented defaults. */
typedef struct truce_fuse_opts {
  double k_sigma;       /* join when the distance is at most k_sigma
                           combined sigmas (default 3) */
  double los_range_m;   /* how far a bearing without a distance can see
                           (default 20000) */
  double time_slack_ms; /* added to each side of every time interval
                           (clock error; default 30000) */
  double min_sigma_m;   /* floor of a point's sigma (default 10) */
  size_t expect_obs;    /* observations expected (reserves memory; 0) */
  int reference;        /* 1: the reference path, for checking the fast
                           one: every incident filed so far is tried for
                           every observation (no grid, no time blocks,
                           no early exits), so the time grows with the
                           square of the observations. It must give the
                           same incidents, byte for byte: the fast path's
                           bounds on its work fall back to reading every
                           anchor, or every line of sight near, where
                           they would change a result (docs/fusion.md,
                           "The algorithm": "Checking the fast path").
                           Default 0. */
} truce_fuse_opts;

void truce_fuse_defaults(truce_fuse_opts *o);

/* A fusion in memory. opts may be NULL (the defaults). */
truce_err truce_fuse_new(const truce_fuse_opts *opts, truce_fusion **out);
void truce_fuse_free(truce_fusion *f); /* NULL: does nothing */
const char *truce_fuse_errmsg(const truce_fusion *f);

/* Declare a source (name, party, means, reliability are used) before its
 * observations; *id receives its number for truce_fuse_add. Declaring
 * the same name again returns the same id. At most 65535 sources. */
truce_err truce_fuse_source(truce_fusion *f, const truce_source *s,
                            uint32_t *id);

/* Add one observation, cited as (index, pos): log entry and position in
 * it (unique per observation: adding the same citation twice is
 * TRUCE_EEXIST at truce_fuse_run). Only what the fusion needs is kept
 * (a record of 104 bytes, and 20 more for what few observations say: a
 * direction of fire, a weapon, a count beyond 65,534), not the
 * observation. Not after truce_fuse_run. An observation outside the
 * ranges truce_obs_parse holds observations to (TRUCE_OBS_*_MAX, the
 * times TRUCE_TIME_MIN_MS..END, a window's end not before its start) is
 * refused, TRUCE_EINVAL, its citation and field in the message, and
 * nothing of it is kept. */
truce_err truce_fuse_add(truce_fusion *f, const truce_obs *o, uint64_t index,
                         uint32_t pos, uint32_t source);

/* Group the observations into incidents. Once only. */
truce_err truce_fuse_run(truce_fusion *f);

/* Read every observation of the log (all entries up to its current size)
 * whose time lies in [from_ms, to_ms), with its source from the registry,
 * into f. *log_size (may be NULL) receives the size read. */
truce_err truce_fuse_from_log(truce_fusion *f, truce_log *log,
                              int64_t from_ms, int64_t to_ms,
                              uint64_t *log_size);

/* How many entries and observations truce_fuse_from_log could not read
 * or place, and (*first, may be NULL) the first one's citation and
 * reason, "" when none. A log this version wrote and checked holds none
 * (truce_fuse_add takes every observation truce_obs_parse takes); this
 * is so that one it cannot read whole (another version's, a damaged
 * copy) is not fused short without a word: `truce fuse` prints it. */
size_t truce_fuse_skipped(const truce_fusion *f, const char **first);

#define TRUCE_INCIDENT_ID_MAX 48

/* An incident. Strings and arrays belong to their owner (the fusion, or
 * the index query) and are valid until the next call on it. */
typedef struct truce_incident {
  char id[TRUCE_INCIDENT_ID_MAX]; /* "<index>.<pos>" of its earliest
                                     evidence: stable (docs/fusion.md) */
  truce_what what;           /* the kind most of its observations give */
  int64_t t_ms, t_end_ms;    /* when: the intersection of its
                                observations' intervals where they
                                overlap, else their span */
  int located;               /* 0: lines of sight only, no position */
  int triangulated;          /* >= 2 bearings from distinct observers */
  truce_ellipse where;       /* position and 95% ellipse (if located) */
  double west_deg, south_deg, east_deg, north_deg; /* bounding box of the
                                ellipse (or of the lines of sight) */
  uint32_t nobs;             /* observations */
  uint32_t nsources;         /* distinct sources */
  uint64_t count_sum;        /* sum of the observations' counts */
  uint32_t count_max;        /* the largest single count */
  double confidence;         /* [0, 1], docs/fusion.md */
  truce_weapon_class weapon; /* if the observations name one, else NONE */
  double calibre_mm;         /* 0: unknown */
  int has_fire;              /* a direction of fire was seen */
  double fire_from_deg;      /* the mean direction fire came from */
  int fire_located;          /* the firing position was triangulated from
                                directions of fire seen from two or more
                                places at least 50 m apart */
  truce_ellipse fire_where;  /* the firing position and its 95% ellipse
                                (if fire_located; docs/fusion.md) */
  const char *parties;       /* reporting sources' parties, sorted,
                                comma-separated */
  const truce_evidence *evidence; /* every observation, by (index, pos) */
  size_t nevidence;
} truce_incident;

/* Incidents after truce_fuse_run, ordered by (t_ms, id). */
size_t truce_fuse_count(const truce_fusion *f);
truce_err truce_fuse_incident(truce_fusion *f, size_t i,
                              truce_incident *out);
/* The number of observations added, and bytes held (for benchmarks). */
size_t truce_fuse_nobs(const truce_fusion *f);
size_t truce_fuse_bytes(const truce_fusion *f);

/* Append an incident in a format (enum truce_format: a JSON line, a CSV
 * row, a GeoJSON Feature without trailing newline, a line of text). */
truce_err truce_incident_format(const truce_incident *inc, int format,
                                truce_buf *out);
const char *truce_incident_csv_header(void); /* with its newline */

/* The derived index: incidents in SQLite (an R*Tree over their bounding
 * boxes, an index on time), rebuilt from the log alone by
 * truce_index_rebuild. Default path: DIR/index/incidents.sqlite
 * (truce_index_default_path); `truce verify` ignores it. */
typedef struct truce_index truce_index;

#define TRUCE_INDEX_CREATE 1u /* create the file (and folder) if missing */
#define TRUCE_INDEX_PATH_MAX 4096

void truce_index_default_path(const char *logdir,
                              char out[TRUCE_INDEX_PATH_MAX]);
truce_err truce_index_open(const char *path, unsigned flags,
                           truce_index **out, char *err);
void truce_index_close(truce_index *ix); /* NULL: does nothing */
const char *truce_index_errmsg(const truce_index *ix);

/* Replace the index's content with a fusion's incidents, recording the
 * log size they were fused from (one transaction). */
truce_err truce_index_store(truce_index *ix, truce_fusion *f,
                            uint64_t log_size);
/* Fuse every observation in the log and store the result. */
truce_err truce_index_rebuild(truce_index *ix, truce_log *log);
/* What the last truce_index_rebuild on ix could not read or place, as
 * truce_fuse_skipped: the count, and the first one's citation and
 * reason ("" when none). */
size_t truce_index_skipped(const truce_index *ix, const char **first);
/* The log size the index was built from (0 and TRUCE_ENOTFOUND if never
 * built). */
truce_err truce_index_log_size(truce_index *ix, uint64_t *size);

/* A query: every set field must match (has_bbox: the incident's box
 * intersects [west, east] x [south, north], longitudes in [-180, 180],
 * a west east of the east crossing the antimeridian, as in GeoJSON:
 * 170, -170 is the 20 degrees round 180; from/to: its time interval
 * overlaps [from_ms, to_ms); what (0: any); party ("" or NULL: any): a
 * reporting source's party). */
typedef struct truce_incident_query {
  int has_bbox;
  double west_deg, south_deg, east_deg, north_deg;
  int64_t from_ms, to_ms; /* INT64_MIN, INT64_MAX: any */
  truce_what what;
  const char *party;
} truce_incident_query;

void truce_incident_query_init(truce_incident_query *q);

/* Return non-zero to stop (the query then returns TRUCE_OK). */
typedef int (*truce_incident_fn)(void *ctx, const truce_incident *inc);

/* Matching incidents, ordered by (t_ms, id). */
truce_err truce_index_query(truce_index *ix, const truce_incident_query *q,
                            truce_incident_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* Simulator: scenarios with known ground truth (docs/simulate.md)       */
/* ------------------------------------------------------------------ */

/* A scenario with known ground truth, for testing fusion and assessment:
 * a front line, two parties, monitoring sources, true events and what
 * each source reported of them, with errors, misses and false reports.
 * Deterministic: the same configuration gives the same files, byte for
 * byte. The files and the truth format are in docs/simulate.md. */
typedef struct truce_sim_config {
  uint64_t seed;
  int64_t start_ms;     /* the scenario's start (and the ceasefire's) */
  uint32_t hours;       /* 1..TRUCE_SIM_HOURS_MAX */
  uint32_t events;      /* true events, 1..TRUCE_SIM_EVENTS_MAX */
  uint32_t patrols, cameras, acoustic, drones; /* 0..TRUCE_SIM_SOURCES_MAX */
  double false_rate;    /* share of false reports per ground source, [0, 0.5] */
  const char *line_path; /* a GeoJSON LineString file, or NULL: synthetic */
  char party_right[65]; /* the party holding the line's right side */
  char party_left[65];  /* ... and its left side (terms ids) */
} truce_sim_config;

#define TRUCE_SIM_HOURS_MAX 720
#define TRUCE_SIM_EVENTS_MAX 100000
#define TRUCE_SIM_SOURCES_MAX 100

/* The default scenario (docs/simulate.md): seed 1, 400 events in 24
 * hours from 2026-11-01T00:00:00Z, 6 patrols, 20 cameras, 6 acoustic
 * arrays, 4 drone crews, false rate 0.03, a synthetic line, parties
 * "west" (right) and "east" (left). */
void truce_sim_config_init(truce_sim_config *c);

/* What a run produced. Index i of the arrays is the means bit 1u << i
 * (enum truce_means). */
typedef struct truce_sim_stats {
  uint64_t events, observed_events, observations, false_reports, sources;
  uint64_t by_means[TRUCE_MEANS_COUNT];
  uint64_t false_by_means[TRUCE_MEANS_COUNT];
} truce_sim_stats;

/* Generate the scenario into `dir` (created if absent; TRUCE_EEXIST if
 * it exists and is not empty): sources.json, obs/<source>.jsonl,
 * truth.jsonl, terms.json, line.geojson. Nothing is written elsewhere.
 * TRUCE_EINVAL for a configuration out of range (err names the field),
 * TRUCE_ERANGE if the scenario ends after now_ms, TRUCE_EPARSE /
 * TRUCE_ENOTFOUND for a line file that does not load, TRUCE_EIO,
 * TRUCE_ENOMEM. *stats (may be NULL) is zeroed on failure. A failed run
 * may leave a partial folder behind. */
truce_err truce_sim_run(const truce_sim_config *c, const char *dir,
                        int64_t now_ms, truce_sim_stats *stats, char *err);

/* Ground truth read back from truth.jsonl (for scorers and tests). */
typedef struct truce_sim_event {
  char id[16];             /* "ev-00001" */
  truce_what what;         /* explosion, bursts, shots, weapon_seen */
  int64_t t_ms, t_end_ms;  /* its span */
  double lat_deg, lon_deg; /* impact point, shooters, weapon */
  uint32_t count;
  char party[65];          /* responsible party */
  char ground[65];         /* party holding the ground at lat/lon */
  truce_weapon_class weapon;
  double calibre_mm;       /* 0: unknown */
  char system[TRUCE_OBS_ID_MAX + 1];
  uint8_t has_fire_from;
  double fire_lat_deg, fire_lon_deg;
  uint8_t has_thermal;
  int64_t thermal_from_ms, thermal_to_ms;
  double line_dist_m;
  char rules[256];         /* rule ids breached, comma-separated, or "" */
  uint32_t nobs;           /* observations reporting it */
} truce_sim_event;

typedef struct truce_sim_obsref {
  char source[TRUCE_NAME_MAX + 1];
  uint64_t line;           /* 1-based line in obs/<source>.jsonl */
  char id[TRUCE_OBS_ID_MAX + 1]; /* the observation's id field */
  int64_t event;           /* index into the events, -1: a false report */
} truce_sim_obsref;

typedef struct truce_sim_truth truce_sim_truth;

/* Load truth.jsonl (at most 256 MiB). Checks the format, that event ids
 * are unique and that every observation's event exists. TRUCE_EPARSE
 * (err names the line), TRUCE_ENOTFOUND, TRUCE_EIO, TRUCE_ETOOBIG,
 * TRUCE_ENOMEM. */
truce_err truce_sim_truth_load(const char *path, truce_sim_truth **out,
                               char *err);
void truce_sim_truth_free(truce_sim_truth *t); /* NULL: does nothing */
size_t truce_sim_truth_nevents(const truce_sim_truth *t);
size_t truce_sim_truth_nobs(const truce_sim_truth *t);
/* Entry i, or NULL past the end. Valid until the truth is freed. */
const truce_sim_event *truce_sim_truth_event(const truce_sim_truth *t,
                                             size_t i);
const truce_sim_obsref *truce_sim_truth_obs(const truce_sim_truth *t,
                                            size_t i);
/* The observation at `line` of `source`'s file: its index, or
 * TRUCE_ENOTFOUND. */
truce_err truce_sim_truth_find(const truce_sim_truth *t, const char *source,
                               uint64_t line, size_t *index);

/* ------------------------------------------------------------------ */
/* Testing hooks                                                         */
/* ------------------------------------------------------------------ */

/* Make the n-th allocation from now fail (0: never). For tests. */
void truce_test_fail_alloc(uint64_t n);

#ifdef __cplusplus
}
#endif
#endif /* TRUCE_H */
