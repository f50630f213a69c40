/*
 * lazy_mhd.c — the libmicrohttpd functions the local gateway calls
 * (gateway.c), opened on the first call (core/lazylib.h): only the gateway
 * daemon needs them.
 */
#include <microhttpd.h>
#include <stdarg.h>

#include "../../core/lazylib.h"

static struct lazylib lib = LAZYLIB(LAZY_SONAME, "libmicrohttpd12");
_Static_assert(sizeof(LAZY_SONAME) > 1, "the Makefile found no soname for this library");
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct {
	__typeof__(&MHD_get_connection_values) MHD_get_connection_values;
	__typeof__(&MHD_lookup_connection_value) MHD_lookup_connection_value;
	__typeof__(&MHD_create_response_from_buffer) MHD_create_response_from_buffer;
	__typeof__(&MHD_add_response_header) MHD_add_response_header;
	__typeof__(&MHD_queue_response) MHD_queue_response;
	__typeof__(&MHD_destroy_response) MHD_destroy_response;
	__typeof__(&MHD_stop_daemon) MHD_stop_daemon;
	__typeof__(&MHD_is_feature_supported) MHD_is_feature_supported;
	__typeof__(&MHD_get_connection_info) MHD_get_connection_info;
	__typeof__(&MHD_start_daemon_va) MHD_start_daemon_va;
} f;

static void load(void)
{
	LAZYLIB_SYM(&lib, f, MHD_get_connection_values);
	LAZYLIB_SYM(&lib, f, MHD_lookup_connection_value);
	LAZYLIB_SYM(&lib, f, MHD_create_response_from_buffer);
	LAZYLIB_SYM(&lib, f, MHD_add_response_header);
	LAZYLIB_SYM(&lib, f, MHD_queue_response);
	LAZYLIB_SYM(&lib, f, MHD_destroy_response);
	LAZYLIB_SYM(&lib, f, MHD_stop_daemon);
	LAZYLIB_SYM(&lib, f, MHD_is_feature_supported);
	LAZYLIB_SYM(&lib, f, MHD_get_connection_info);
	LAZYLIB_SYM(&lib, f, MHD_start_daemon_va);
}

static void ready(void)
{
	pthread_once(&once, load);
}

int MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind, MHD_KeyValueIterator it, void *cls)
{
	ready();
	return f.MHD_get_connection_values(c, kind, it, cls);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key)
{
	ready();
	return f.MHD_lookup_connection_value(c, kind, key);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	ready();
	return f.MHD_create_response_from_buffer(size, buffer, mode);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header, const char *content)
{
	ready();
	return f.MHD_add_response_header(r, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r)
{
	ready();
	return f.MHD_queue_response(c, status, r);
}

void MHD_destroy_response(struct MHD_Response *r)
{
	ready();
	f.MHD_destroy_response(r);
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
	ready();
	f.MHD_stop_daemon(d);
}

enum MHD_Result MHD_is_feature_supported(enum MHD_FEATURE feature)
{
	ready();
	return f.MHD_is_feature_supported(feature);
}

/* The options that follow, up to MHD_OPTION_END, go on as MHD_start_daemon_va's. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	ready();
	va_start(ap, dh_cls);
	d = f.MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* The kinds the gateway asks for take no further argument. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
							enum MHD_ConnectionInfoType type, ...)
{
	ready();
	return f.MHD_get_connection_info(c, type);
}
