/*
 * settings_keys.h — the shape of the known-key table (core/settings_keys.c).
 *
 * One row per settings key: the JSON types it accepts, the providers that
 * honour it, the extra check settings.c applies, per-provider ranges and
 * defaults.  The table is data; settings.c is the code that reads it.
 */
#ifndef HOIST_SETTINGS_KEYS_H
#define HOIST_SETTINGS_KEYS_H

#include <stddef.h>

/* Providers, as indexes and as bits of a mask. */
enum { PV_AWS, PV_ALIYUN, PV_TENCENT, PV_LOCAL, PV_COUNT };
#define P_AWS (1U << PV_AWS)
#define P_ALIYUN (1U << PV_ALIYUN)
#define P_TENCENT (1U << PV_TENCENT)
#define P_LOCAL (1U << PV_LOCAL)
#define P_CLOUD (P_AWS | P_ALIYUN | P_TENCENT)
#define P_ALL (P_CLOUD | P_LOCAL)

/* Accepted JSON types (null is always accepted and means "not set"). */
#define T_STR (1U << 0)
#define T_BOOL (1U << 1)
#define T_INT (1U << 2)
#define T_REAL (1U << 3)
#define T_OBJ (1U << 4)
#define T_ARR (1U << 5)

enum skey_check {
	CK_NONE,
	CK_CHOICE,        /* string in `choices` ("a|b|c") */
	CK_RANGE,         /* integer within range[provider] */
	CK_STRLIST,       /* array of strings */
	CK_STRMAP,        /* object of string values */
	CK_ENVMAP,        /* object of string values, keys are variable names */
	CK_SCHEDULE,      /* rate(…) / cron(…) */
	CK_DOTTED,        /* python dotted name: module.attr */
	CK_MODULE,        /* python module path: a.b.c */
	CK_HOSTNAME,      /* DNS name */
	CK_BASE_PATH,     /* URL path segment(s) */
	CK_URL_PATH,      /* starts with "/" */
	CK_EVENTS,        /* Zappa events list */
	CK_VPC,           /* vpc_config object */
	CK_PROJECT,       /* project_name */
	CK_REGION,        /* region name */
	CK_URL,           /* http(s)://… */
	CK_URLMAP,        /* object of http(s) URLs */
	CK_CHOICELIST,    /* array of strings in `choices` */
	CK_OBJLIST,       /* array of objects */
	CK_EFS,           /* efs_config, resolved to [{"Arn", "LocalMountPath"}] */
	CK_REMOTE_ENV,    /* s3:// (aws), oss:// (aliyun), cos:// (tencent), a path (local) */
	CK_TABLE,         /* DynamoDB table name: 3-255 of [A-Za-z0-9_.-] */
};

struct skey_range {
	long long min, max, step;   /* step 0/1: any integer */
};

struct settings_key {
	const char *name;
	unsigned types;                     /* T_* */
	unsigned honoured;                  /* P_*: providers that act on it */
	enum skey_check check;
	const char *choices;                /* CK_CHOICE / CK_CHOICELIST */
	struct skey_range range[PV_COUNT];  /* CK_RANGE; max 0 = no such key there */
	const char *dflt[PV_COUNT];         /* default as JSON text, per provider */
	const char *hint;                   /* added to the "not honoured" error */
};

extern const struct settings_key settings_keys[];
extern const size_t settings_keys_count;

/*
 * A provider's own word on keys it honours or refuses, declared in its
 * directory (providers/<name>/settings.c, `struct provider.settings`) so a
 * provider plugs in without editing the table above.  An entry overrides
 * the central row for that provider: honoured or refused, range, default,
 * refusal hint (each only when set).  The key itself (types, syntax) must
 * be a row of the central table.
 */
struct settings_honour {
	const char *key;
	int honoured;              /* 1 honoured, -1 refused, 0 the central mask decides */
	struct skey_range range;   /* max 0: the central range */
	const char *dflt;          /* default as JSON text, or NULL: the central default */
	const char *hint;          /* refusal hint, or NULL: the central one */
};

/* The table of provider `name` (ends with a NULL key), or NULL (providers/registry.c). */
const struct settings_honour *settings_provider_table(const char *name);

/* Keys accepted inside one "events" entry, and inside "vpc_config". */
extern const char *const settings_event_keys[];
extern const size_t settings_event_keys_count;
extern const char *const settings_vpc_keys[];
extern const size_t settings_vpc_keys_count;

extern const char *const settings_provider_names[PV_COUNT];

const struct settings_key *settings_key_find(const char *name);

#endif
