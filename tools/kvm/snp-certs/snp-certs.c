// SPDX-License-Identifier: GPL-2.0
/*
 * snp-certs: build, show and check SEV-SNP certificate tables, and hold the
 * provisioning lock on a table file while a command runs.  See
 * Documentation/virt/kvm/x86/snp-certs.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snp_certs.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EXIT_INVALID	1
#define EXIT_USAGE	2
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127
#define EXIT_SIGNAL	128

/* Set by "lock" for its command: "<dev>:<ino>" of the file it holds. */
#define LOCKED_ENV	"SNP_CERTS_LOCKED"

static const char usage_text[] =
	"usage: snp-certs build [-o OUT] ark=FILE ask=FILE vcek=FILE|vlek=FILE\n"
	"                       [crl=FILE] [GUID=FILE]...\n"
	"       snp-certs show [--allow-unknown] TABLE\n"
	"       snp-certs check [--allow-unknown] TABLE\n"
	"       snp-certs lock [--nowait] TABLE -- COMMAND [ARG]...\n"
	"\n"
	"  build  make a certificate table from DER or PEM files (to OUT, in\n"
	"         place under the exclusive lock, or to standard output)\n"
	"  show   list the entries of TABLE and validate it\n"
	"  check  validate TABLE\n"
	"  lock   hold the exclusive lock on TABLE while COMMAND runs\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* "snp-certs: <message>" on stderr. */
static void vmessage(const char *fmt, va_list ap)
{
	fputs("snp-certs: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	usage(stderr);
	return EXIT_USAGE;
}

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return EXIT_INVALID;
}

static const char *file_error(int rc)
{
	switch (rc) {
	case -EBADMSG:
		return "malformed PEM (armor or base64)";
	case -ENOTUNIQ:
		return "more than one PEM block: give one certificate per file";
	case -ENODATA:
		return "empty";
	case -EFBIG:
		return "too large";
	default:
		return strerror(-rc);
	}
}

static int ofd_lock(int fd, short type, bool wait)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	int rc;

	do {
		rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	} while (rc && errno == EINTR);
	return rc ? -errno : 0;
}

static bool lock_inherited(int fd)
{
	const char *env = getenv(LOCKED_ENV);
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(fd, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Rewrite path in place under the exclusive lock, as provisioning tools do. */
static int write_table_file(const char *path, const void *buf, size_t len)
{
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = lock_inherited(fd) ? 0 : ofd_lock(fd, F_WRLCK, true);
	if (!rc)
		rc = write_all(fd, buf, len);
	if (!rc && ftruncate(fd, len))
		rc = -errno;
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

struct build_args {
	const char *out;
	struct snp_certs_item items[SNP_CERTS_MAX_ENTRIES];
	const char *files[SNP_CERTS_MAX_ENTRIES];
	size_t n;
};

static int add_file(struct build_args *a, const uint8_t *guid, const char *file)
{
	char str[SNP_CERTS_GUID_STR_SIZE];
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (memcmp(a->items[i].guid, guid, SNP_CERTS_GUID_SIZE))
			continue;
		snp_certs_guid_format(guid, str);
		return usage_error("%s (%s) given twice",
				   snp_certs_kind_name(snp_certs_guid_kind(guid)), str);
	}
	if (a->n == SNP_CERTS_MAX_ENTRIES)
		return usage_error("more than %d certificates", SNP_CERTS_MAX_ENTRIES);
	memcpy(a->items[a->n].guid, guid, SNP_CERTS_GUID_SIZE);
	a->files[a->n++] = file;
	return 0;
}

static int parse_build_arg(struct build_args *a, const char *arg)
{
	uint8_t guid[SNP_CERTS_GUID_SIZE];
	const char *eq = strchr(arg, '=');
	enum snp_certs_kind kind;
	char *key;

	if (!eq || eq == arg || !eq[1])
		return usage_error("expected KIND=FILE or GUID=FILE, got '%s'", arg);
	key = strndup(arg, eq - arg);
	if (!key)
		return fail("out of memory");
	kind = snp_certs_kind_from_name(key);
	if (kind != SNP_CERTS_UNKNOWN) {
		memcpy(guid, snp_certs_kind_guid(kind), SNP_CERTS_GUID_SIZE);
	} else if (snp_certs_guid_parse(key, guid)) {
		free(key);
		return usage_error("unknown kind '%.*s': ark, ask, vcek, vlek, crl or a GUID",
				   (int)(eq - arg), arg);
	}
	free(key);
	return add_file(a, guid, eq + 1);
}

static bool has_kind(const struct build_args *a, enum snp_certs_kind kind)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (snp_certs_guid_kind(a->items[i].guid) == kind)
			return true;
	}
	return false;
}

static int parse_build(struct build_args *a, int argc, char **argv)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			if (++i == argc)
				return usage_error("-o needs a file name");
			a->out = argv[i];
			continue;
		}
		rc = parse_build_arg(a, argv[i]);
		if (rc)
			return rc;
	}
	if (!has_kind(a, SNP_CERTS_ARK) || !has_kind(a, SNP_CERTS_ASK))
		return usage_error("build needs ark=FILE and ask=FILE");
	if (!has_kind(a, SNP_CERTS_VCEK) && !has_kind(a, SNP_CERTS_VLEK))
		return usage_error("build needs vcek=FILE or vlek=FILE");
	if (!a->out && isatty(STDOUT_FILENO))
		return usage_error("not writing a binary table to a terminal: use -o OUT");
	return 0;
}

static int read_items(struct build_args *a)
{
	void *der;
	size_t i, len;
	int rc;

	for (i = 0; i < a->n; i++) {
		rc = snp_certs_read_file(a->files[i], &der, &len);
		if (rc)
			return fail("%s: %s", a->files[i], file_error(rc));
		a->items[i].data = der;
		a->items[i].len = len;
	}
	return 0;
}

static void free_items(struct build_args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free((void *)a->items[i].data);
}

static void print_verdict(const char *name, const struct snp_certs_verdict *v)
{
	if (v->error == SNP_CERTS_E_DUPLICATE_GUID || v->error == SNP_CERTS_E_OVERLAP)
		printf("%s: invalid: entry %zu: %s (with entry %zu)\n", name,
		       v->entry, snp_certs_strerror(v->error), v->other);
	else if (v->error)
		printf("%s: invalid: entry %zu: %s\n", name, v->entry,
		       snp_certs_strerror(v->error));
	else
		printf("%s: valid\n", name);
}

static void note_unknown(const struct build_args *a)
{
	char str[SNP_CERTS_GUID_STR_SIZE];
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (snp_certs_guid_kind(a->items[i].guid) != SNP_CERTS_UNKNOWN)
			continue;
		snp_certs_guid_format(a->items[i].guid, str);
		fprintf(stderr, "snp-certs: note: %s has no known kind: %s\n", str,
			"providers need SNP_CERTS_ALLOW_UNKNOWN");
	}
}

static void warn_guest_limit(const char *name, size_t len)
{
	if (snp_certs_exceeds_guest_limit(len))
		fprintf(stderr, "snp-certs: warning: %s: %zu bytes, %s %d\n", name, len,
			"Linux guests accept at most", SNP_CERTS_GUEST_MAX_BYTES);
}

static int write_table(const struct build_args *a, const void *table, size_t len)
{
	const char *name = a->out ? a->out : "standard output";
	uint64_t pages = snp_certs_pages_needed(len);
	int rc;

	rc = a->out ? write_table_file(a->out, table, len) :
		      write_all(STDOUT_FILENO, table, len);
	if (rc)
		return fail("%s: %s", name, strerror(-rc));
	fprintf(stderr, "snp-certs: wrote %s: %zu certificates, %zu bytes (%llu page%s)\n",
		name, a->n, len, (unsigned long long)pages, pages == 1 ? "" : "s");
	warn_guest_limit(name, len);
	note_unknown(a);
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	struct build_args a = { 0 };
	struct snp_certs_verdict v;
	void *table;
	size_t len;
	int rc;

	rc = parse_build(&a, argc, argv);
	if (rc)
		return rc;
	rc = read_items(&a);
	if (rc)
		goto out_free;
	rc = snp_certs_build(a.items, a.n, SNP_CERTS_ALLOW_UNKNOWN, &table, &len, &v);
	if (rc == -EINVAL) {
		print_verdict("table", &v);
		rc = fail("%s: %s", a.files[v.entry], snp_certs_strerror(v.error));
	} else if (rc) {
		rc = fail("cannot build the table: %s", strerror(-rc));
	} else {
		rc = write_table(&a, table, len);
		free(table);
	}
out_free:
	free_items(&a);
	return rc;
}

/* [--allow-unknown] TABLE */
static int parse_table_args(int argc, char **argv, const char **path,
			    unsigned int *flags)
{
	int i = 1;

	*flags = 0;
	if (i < argc && !strcmp(argv[i], "--allow-unknown")) {
		*flags |= SNP_CERTS_ALLOW_UNKNOWN;
		i++;
	}
	if (argc - i != 1)
		return usage_error("%s needs one table file", argv[0]);
	*path = argv[i];
	return 0;
}

static void show_entries(const void *table, size_t len)
{
	char str[SNP_CERTS_GUID_STR_SIZE];
	struct snp_certs_entry e;
	size_t i, n = snp_certs_count(table, len);

	if (n > SNP_CERTS_MAX_ENTRIES)
		n = SNP_CERTS_MAX_ENTRIES;
	printf("%-5s %-7s %-36s %10s %10s\n", "ENTRY", "KIND", "GUID", "OFFSET", "LENGTH");
	for (i = 0; i < n; i++) {
		snp_certs_get_entry(table, len, i, &e);
		snp_certs_guid_format(e.guid, str);
		printf("%-5zu %-7s %s %10u %10u\n", i,
		       snp_certs_kind_name(snp_certs_guid_kind(e.guid)), str,
		       e.offset, e.length);
	}
}

static int validate_file(int argc, char **argv, bool show)
{
	struct snp_certs_verdict v;
	const char *path = NULL;
	unsigned int flags;
	void *table;
	size_t len;
	int rc;

	rc = parse_table_args(argc, argv, &path, &flags);
	if (rc)
		return rc;
	rc = snp_certs_read_file(path, &table, &len);
	if (rc)
		return fail("%s: %s", path, file_error(rc));
	if (show)
		show_entries(table, len);
	snp_certs_validate(table, len, flags, &v);
	print_verdict(path, &v);
	if (show)
		printf("%s: %zu bytes, %llu page(s)\n", path, len,
		       (unsigned long long)snp_certs_pages_needed(len));
	warn_guest_limit(path, len);
	free(table);
	return v.error ? EXIT_INVALID : 0;
}

static int cmd_show(int argc, char **argv)
{
	return validate_file(argc, argv, true);
}

static int cmd_check(int argc, char **argv)
{
	return validate_file(argc, argv, false);
}

static int export_lock(int fd)
{
	char buf[64];
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	snprintf(buf, sizeof(buf), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	return setenv(LOCKED_ENV, buf, 1) ? -errno : 0;
}

static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return EXIT_SIGNAL + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Like system(): the terminal's signals go to the command, not to us. */
static int run_command(char **cmd)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int status;
	pid_t pid;

	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (!pid) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "snp-certs: %s: %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail("waitpid: %s", strerror(errno));
	}
	return exit_status(status);
}

static int cmd_lock(int argc, char **argv)
{
	bool wait = true;
	int i = 1, fd, rc;
	const char *path;

	if (i < argc && !strcmp(argv[i], "--nowait")) {
		wait = false;
		i++;
	}
	if (argc - i < 3 || strcmp(argv[i + 1], "--"))
		return usage_error("lock needs TABLE -- COMMAND");
	path = argv[i];
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	rc = ofd_lock(fd, F_WRLCK, wait);
	if (!rc)
		rc = export_lock(fd);
	if (rc == -EAGAIN || rc == -EACCES)
		rc = fail("%s: locked by someone else", path);
	else if (rc)
		rc = fail("%s: %s", path, strerror(-rc));
	else
		rc = run_command(argv + i + 2);
	close(fd);	/* releases the lock */
	return rc;
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "build", cmd_build },
	{ "show", cmd_show },
	{ "check", cmd_check },
	{ "lock", cmd_lock },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage_error("no command");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	}
	return usage_error("unknown command '%s'", argv[1]);
}
