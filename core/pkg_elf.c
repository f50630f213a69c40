/*
 * pkg_elf.c — the native-code check: every shared library in a package must
 * run on the function's CPU (SPEC.md §3).
 *
 * Candidates are files named *.so (or *.so.N), *.pyd, *.dll, *.dylib and
 * executables; of each only the first 64 bytes are read.  An ELF file whose
 * e_machine differs from `architecture`, any Mach-O file (a macOS wheel) and
 * any PE .dll/.pyd (a Windows wheel) is an error that names the file and,
 * when a *.dist-info/RECORD lists it, the distribution it came from.
 */
#include "pkg.h"

#include "err.h"
#include "path.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EM_386_ 3
#define EM_ARM_ 40
#define EM_X86_64_ 62
#define EM_AARCH64_ 183
#define EM_PPC64_ 21
#define EM_S390_ 22
#define EM_RISCV_ 243

#define MAX_REPORTED 10

static const char *machine_name(unsigned m, char *buf, size_t len)
{
	switch (m) {
	case EM_X86_64_:
		return "x86_64";
	case EM_AARCH64_:
		return "aarch64";
	case EM_386_:
		return "i386";
	case EM_ARM_:
		return "32-bit arm";
	case EM_PPC64_:
		return "ppc64";
	case EM_S390_:
		return "s390x";
	case EM_RISCV_:
		return "riscv";
	default:
		snprintf(buf, len, "ELF machine %u", m);
		return buf;
	}
}

static bool ends_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

const char *pkg_native_problem(const unsigned char *h, size_t n, const char *name,
			       const char *arch, char *buf, size_t len)
{
	unsigned want = strcmp(arch, "arm64") == 0 ? EM_AARCH64_ : EM_X86_64_;
	uint32_t magic;

	if (n >= 20 && h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F') {
		unsigned m = h[5] == 2 ? (unsigned)h[18] << 8 | h[19] : (unsigned)h[19] << 8 | h[18];
		char mb[32];

		if (m == want)
			return NULL;
		snprintf(buf, len, "is %s but architecture is %s", machine_name(m, mb, sizeof(mb)),
			 arch);
		return buf;
	}
	if (n >= 4) {
		magic = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
		/* 0xcafebabe is also a Java class file */
		if ((magic == 0xfeedface || magic == 0xfeedfacf || magic == 0xcefaedfe ||
		     magic == 0xcffaedfe || magic == 0xcafebabe) && !ends_ci(name, ".class"))
			return "is a macOS (Mach-O) binary; the function runs Linux";
	}
	if (n >= 2 && h[0] == 'M' && h[1] == 'Z' && (ends_ci(name, ".dll") || ends_ci(name, ".pyd")))
		return "is a Windows (PE) library; the function runs Linux";
	return NULL;
}

/* "libfoo.so.1.2": a versioned shared library name. */
static bool versioned_so(const char *base)
{
	const char *v = strstr(base, ".so.");

	return v && v[4] && strspn(v + 4, "0123456789.") == strlen(v + 4);
}

static bool is_candidate(const struct pkg_entry *en)
{
	const char *base = path_base(en->arc);

	return (en->mode & 0111) || str_ends(base, ".so") || versioned_so(base) ||
	       ends_ci(base, ".pyd") || ends_ci(base, ".dll") || str_ends(base, ".dylib");
}

/* Read up to 64 bytes of path into h; returns the count (0 on failure). */
static size_t read_head(const char *path, unsigned char h[64])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, h, 64);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/* Does RECORD-style `text` list `arc` as a line's first field (after strip_prefix)? */
static bool record_lists(const char *text, const char *arc, const char *strip_prefix)
{
	size_t an = strlen(arc), sn = strip_prefix ? strlen(strip_prefix) : 0;
	const char *line = text;

	while (line && *line) {
		const char *p = line;

		if (*p == '"')
			p++;
		if (sn && strncmp(p, strip_prefix, sn) == 0)
			p += sn;
		if (strncmp(p, arc, an) == 0 && (p[an] == ',' || p[an] == '"' || p[an] == '\n' ||
						 p[an] == '\r' || p[an] == '\0'))
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/* "numpy-1.26.4" for the distribution whose metadata in site_dir lists arc; allocates or NULL. */
static char *find_distribution(const char *site_dir, const char *arc)
{
	DIR *d;
	struct dirent *de;
	char *found = NULL;

	if (!site_dir || !(d = opendir(site_dir)))
		return NULL;
	while (!found && (de = readdir(d))) {
		bool dist = str_ends(de->d_name, ".dist-info");
		bool egg = str_ends(de->d_name, ".egg-info");
		struct herr ignore = { 0 };
		char *rec, *text = NULL;

		if (!dist && !egg)
			continue;
		rec = xasprintf("%s/%s/%s", site_dir, de->d_name,
				dist ? "RECORD" : "installed-files.txt");
		if (path_read(rec, &text, NULL, &ignore) == HOIST_OK &&
		    record_lists(text, arc, dist ? NULL : "../"))
			found = xasprintf("%.*s", (int)(strlen(de->d_name) -
						strlen(dist ? ".dist-info" : ".egg-info")), de->d_name);
		free(text);
		free(rec);
	}
	closedir(d);
	return found;
}

static void report(struct sbuf *msg, const struct pkg_entry *en, const char *problem,
		   const char *site_dir)
{
	char *dist = en->origin == PKG_SITE ? find_distribution(site_dir, en->arc) : NULL;

	sbuf_printf(msg, "\n  %s", en->arc);
	if (dist)
		sbuf_printf(msg, " (from %s)", dist);
	else if (en->origin == PKG_PROJECT)
		sbuf_adds(msg, " (project file)");
	sbuf_printf(msg, " %s", problem);
	free(dist);
}

int pkg_check_native(const struct pkg_list *l, const char *arch, const char *site_dir,
		     struct herr *e)
{
	struct sbuf msg;
	size_t i, bad = 0;
	int rc = HOIST_OK;

	sbuf_init(&msg);
	for (i = 0; i < l->n; i++) {
		const struct pkg_entry *en = &l->v[i];
		unsigned char h[64];
		char buf[160];
		const char *problem;
		size_t n;

		if (!en->src || !is_candidate(en))
			continue;
		n = read_head(en->src, h);
		problem = pkg_native_problem(h, n, path_base(en->arc), arch, buf, sizeof(buf));
		if (!problem)
			continue;
		if (bad++ < MAX_REPORTED)
			report(&msg, en, problem, site_dir);
	}
	if (bad) {
		if (bad > MAX_REPORTED)
			sbuf_printf(&msg, "\n  … and %zu more", bad - MAX_REPORTED);
		rc = herr_set(e, HOIST_USAGE,
			      "%zu native librar%s cannot run on %s Linux:%s\n"
			      "Install Linux wheels for %s (e.g. pip install --platform manylinux2014_%s "
			      "--only-binary=:all: --target …), or set \"architecture\" to match.",
			      bad, bad == 1 ? "y" : "ies", arch, msg.s, arch,
			      strcmp(arch, "arm64") == 0 ? "aarch64" : "x86_64");
	}
	sbuf_free(&msg);
	return rc;
}
