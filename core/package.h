/*
 * package.h — build the deployable archive of a stage (SPEC.md §3).
 *
 * Project files + site-packages − excludes + the handler + a generated
 * settings module, written as a deterministic zip (sorted entries, fixed
 * times and modes) streamed from disk; size limits and native-code checks
 * happen before anything leaves the machine.
 */
#ifndef HOIST_PACKAGE_H
#define HOIST_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>

struct herr;
struct stage;

/* What a provider accepts; filled by each provider's descriptor. */
/* 4 MiB: where each cloud's objstore_from is (below). */
#define PACKAGE_OBJSTORE_FROM (4ULL * 1024 * 1024)

struct package_limits {
	unsigned long long inline_zip;    /* largest zip sent inline (bytes) */
	unsigned long long objstore_zip;  /* largest zip through object storage; 0 = no limit */
	/*
	 * A zip above this goes through object storage even under inline_zip
	 * (0: only above inline_zip): its raw bytes are a quarter fewer than
	 * the base64 of an inline body, the function copies the object
	 * server-side, and it can be uploaded while the pre-flight runs
	 * (upload_early.h); below it the one inline request is quicker.
	 */
	unsigned long long objstore_from;   /* PACKAGE_OBJSTORE_FROM on every cloud */
	unsigned long long unzipped;      /* largest unpacked size incl. layers; 0 = no limit */
	const char *objstore;             /* "S3", "OSS", "COS" or NULL */
	bool slim;                        /* slim bundle possible (AWS) */
};

struct package_listing;

struct package_opts {
	const struct stage *stage;
	const char *out_path;                 /* zip to write */
	const struct package_limits *limits;  /* NULL: no limit checks */
	const char *const *runtime_provided;  /* top-level packages the runtime has (boto3…); NULL-terminated */
	/*
	 * Where the slim bundle will live ("s3://bucket/key", allocated), asked
	 * only when the package turns out slim and baked into the handler; NULL:
	 * the .tar.gz's file name (for `hoist package`).
	 */
	int (*slim_location)(const struct stage *st, char **location, struct herr *e);
	/*
	 * Use and update the stage's package cache (core/pkg_cache.c): unchanged
	 * files are copied compressed from the last zip, the archive is the same
	 * bytes as without it.  False: compress everything, leave the cache alone.
	 */
	bool cache;
	/*
	 * With `cache`: an output that is still the very file an earlier build
	 * of the same package renamed into place (pkg_cache.c "output") is left
	 * as it is (hoist package; not for a build into a fresh directory).
	 */
	bool keep_output;
	/*
	 * Called once the entries are known, before anything is compressed
	 * (NULL: never), with a key that changes with any of them (but not
	 * with the stage's name) and whether the package is slim; the listing
	 * can be written out as a manifest (package_listing_write) while it is
	 * called: the pre-flight imports the app meanwhile.
	 */
	void (*listed)(void *ctx, const struct package_listing *l, const char key[65], bool slim);
	void *listed_ctx;
};

struct package_info {
	char *zip_path;                    /* archive written (owned) */
	unsigned long long zip_size;
	unsigned long long unzipped_size;
	size_t file_count;                 /* files in the zip (+ the .tar.gz when slim) */
	char sha256_hex[65];               /* SHA-256 of the zip, hex */
	char sha256_b64[45];               /* same digest, base64 (Lambda's CodeSha256) */
	bool needs_objstore;               /* zip above limits->inline_zip */
	bool slim;                         /* slim bundle built: zip is the small handler */
	char *tar_path;                    /* slim: project .tar.gz (owned) */
	unsigned long long tar_size;
	char tar_sha256_hex[65];           /* slim: SHA-256 of the .tar.gz */
	char tar_sha256_b64[45];
};

/*
 * Build o->out_path (and, when slim, the .tar.gz beside it: "x.zip" ->
 * "x.tar.gz").  Errors: HOIST_USAGE for anything found before or instead of
 * an archive (unreadable project, excludes, native code, size limits — with
 * the numbers), HOIST_FAIL for write failures.  Fills info (caller frees it
 * with package_info_free); needs_objstore is not an error.
 */
int package_build(const struct package_opts *o, struct package_info *info, struct herr *e);

/*
 * Write the entries a package_opts.listed call was given as a manifest at
 * `path` (private): "name NUL file NUL" for each, the file on disk or, for a
 * generated entry, a private copy under `gen_dir` (core/pkg_manifest.c).
 */
int package_listing_write(const struct package_listing *l, const char *path,
			  const char *gen_dir, struct herr *e);
void package_info_free(struct package_info *info);

/*
 * --zip FILE: a zip with hoist_handler.py and hoist_settings.py at its root,
 * built for st's function, within the unzipped limit (core/pkg_check.c);
 * else HOIST_USAGE.
 */
int package_check_zip(const char *path, const struct stage *st,
		      const struct package_limits *lim, struct herr *e);

/* Does a zip of `size` bytes go through object storage (objstore_from, inline_zip)? */
bool package_via_objstore(const struct package_limits *l, unsigned long long size);

#endif
