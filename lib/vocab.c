/*
 * vocab.c: the observation vocabulary, the words monitors use for what
 * they saw (truce_what), the weapon classes and the means of observation,
 * as names and lookups. The names are part of the log format: an entry
 * signed today must read the same in ten years, so a word is never
 * renamed or reused, only added.
 *
 * Depends on nothing but <string.h>: no allocation, no error messages
 * (callers word those, since only they know the field).
 */
#include "internal.h"

/* The name functions switch over the enum with no `default:`, so adding
 * an enum value without a name is a compiler warning. Values without a
 * name (NONE, COUNT, anything out of range) give NULL: there is no word
 * for them, and a made-up one ("none") would read back as a real word. */

const char *truce_what_name(truce_what w) {
  switch (w) {
  case TRUCE_WHAT_NONE:
  case TRUCE_WHAT_COUNT:
    return NULL;
  case TRUCE_WHAT_EXPLOSION:
    return "explosion";
  case TRUCE_WHAT_UNDETERMINED_EXPLOSION:
    return "undetermined_explosion";
  case TRUCE_WHAT_AIRBURST:
    return "airburst";
  case TRUCE_WHAT_PROJECTILE:
    return "projectile";
  case TRUCE_WHAT_ILLUMINATION_FLARE:
    return "illumination_flare";
  case TRUCE_WHAT_SHOTS:
    return "shots";
  case TRUCE_WHAT_BURSTS:
    return "bursts";
  case TRUCE_WHAT_MUZZLE_FLASH:
    return "muzzle_flash";
  case TRUCE_WHAT_THERMAL_ANOMALY:
    return "thermal_anomaly";
  case TRUCE_WHAT_WEAPON_SEEN:
    return "weapon_seen";
  case TRUCE_WHAT_MILITARY_PRESENCE:
    return "military_presence";
  case TRUCE_WHAT_DAMAGE:
    return "damage";
  case TRUCE_WHAT_CASUALTY:
    return "casualty";
  case TRUCE_WHAT_MINE:
    return "mine";
  case TRUCE_WHAT_MOVEMENT_RESTRICTION:
    return "movement_restriction";
  case TRUCE_WHAT_JAMMING:
    return "jamming";
  case TRUCE_WHAT_SITE_VISIT:
    return "site_visit";
  }
  return NULL;
}

const char *truce_weapon_class_name(truce_weapon_class c) {
  switch (c) {
  case TRUCE_WEAPON_NONE:
  case TRUCE_WEAPON_COUNT:
    return NULL;
  case TRUCE_WEAPON_SMALL_ARMS:
    return "small_arms";
  case TRUCE_WEAPON_HEAVY_MACHINE_GUN:
    return "heavy_machine_gun";
  case TRUCE_WEAPON_GRENADE_LAUNCHER:
    return "grenade_launcher";
  case TRUCE_WEAPON_RECOILLESS:
    return "recoilless";
  case TRUCE_WEAPON_ANTI_TANK:
    return "anti_tank";
  case TRUCE_WEAPON_ANTI_AIRCRAFT:
    return "anti_aircraft";
  case TRUCE_WEAPON_MORTAR:
    return "mortar";
  case TRUCE_WEAPON_TANK:
    return "tank";
  case TRUCE_WEAPON_IFV:
    return "ifv";
  case TRUCE_WEAPON_APC:
    return "apc";
  case TRUCE_WEAPON_ARTILLERY:
    return "artillery";
  case TRUCE_WEAPON_MLRS:
    return "mlrs";
  case TRUCE_WEAPON_TACTICAL_MISSILE:
    return "tactical_missile";
  case TRUCE_WEAPON_UAV:
    return "uav";
  case TRUCE_WEAPON_AIRCRAFT:
    return "aircraft";
  case TRUCE_WEAPON_UNKNOWN:
    return "unknown";
  }
  return NULL;
}

/* `bit` is one enum truce_means value; 0 or several bits have no name.
 * The parameter is unsigned (the header's choice, since sources hold sets
 * of means), so the switch cannot be over the enum type itself. */
const char *truce_means_name(unsigned bit) {
  switch ((enum truce_means)bit) {
  case TRUCE_MEANS_AUDIO:
    return "audio";
  case TRUCE_MEANS_VISUAL:
    return "visual";
  case TRUCE_MEANS_CAMERA:
    return "camera";
  case TRUCE_MEANS_DRONE:
    return "drone";
  case TRUCE_MEANS_ACOUSTIC:
    return "acoustic_sensor";
  case TRUCE_MEANS_RADAR:
    return "radar";
  case TRUCE_MEANS_SATELLITE:
    return "satellite";
  case TRUCE_MEANS_REPORT:
    return "report";
  }
  return NULL;
}

/* Exact, case-sensitive comparison of a counted string with a name:
 * the canonical form has one spelling per word, so the input must too. */
static bool name_is(const char *s, size_t len, const char *name) {
  return name && strlen(name) == len && memcmp(s, name, len) == 0;
}

truce_what truce_what_from_name(const char *s, size_t len) {
  if (!s)
    return TRUCE_WHAT_NONE;
  for (int w = TRUCE_WHAT_NONE + 1; w < TRUCE_WHAT_COUNT; w++)
    if (name_is(s, len, truce_what_name((truce_what)w)))
      return (truce_what)w;
  return TRUCE_WHAT_NONE;
}

truce_weapon_class truce_weapon_class_from_name(const char *s, size_t len) {
  if (!s)
    return TRUCE_WEAPON_NONE;
  for (int c = TRUCE_WEAPON_NONE + 1; c < TRUCE_WEAPON_COUNT; c++)
    if (name_is(s, len, truce_weapon_class_name((truce_weapon_class)c)))
      return (truce_weapon_class)c;
  return TRUCE_WEAPON_NONE;
}

unsigned truce_means_from_name(const char *s, size_t len) {
  if (!s)
    return 0;
  for (unsigned k = 0; k < TRUCE_MEANS_COUNT; k++)
    if (name_is(s, len, truce_means_name(1u << k)))
      return 1u << k;
  return 0;
}
