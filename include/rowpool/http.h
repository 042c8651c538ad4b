/*
 * http: one reusable libcurl easy handle per worker process.  Connections
 * are kept alive between rows (no TLS handshake per row).  Only workers
 * use this module: libcurl is initialised after fork, never in the
 * supervisor (libcurl is not fork-safe).
 *
 * Mechanism tier: a status and a message; never prints or exits.
 *
 * Calling sequence (in a worker):
 *  1. h = http_new(&opts, err, errlen);
 *  2. http_post(h, url, body, len, &resp, err, errlen) per row, or
 *     http_do(h, &req, &resp, err, errlen) for another method, headers of
 *     its own or a response header wanted; resp.body (and resp.header)
 *     are valid until the next call;
 *  3. http_free(h).
 */
#ifndef ROWPOOL_HTTP_H
#define ROWPOOL_HTTP_H

#include <stddef.h>

struct http_opts {
	long	 connect_timeout_ms;
	long	 timeout_ms;		/* whole request */
	long	 low_speed_time_s;	/* abort below 1 byte/s for this long */
	size_t	 max_response;		/* larger bodies are refused */
	const char *const *headers;	/* "Name: value" lines, NULL-ended */
};

enum http_status {
	HTTP_DONE,	/* a response came back (any status): see resp */
	HTTP_UNREACHABLE, /* the server was never reached: DNS, connection
			   refused, TLS handshake or certificate */
	HTTP_NETWORK,	/* reset, short body... */
	HTTP_TIMEOUT,	/* the request took longer than timeout_ms */
	HTTP_TOOBIG,	/* the body passed max_response */
	HTTP_FAILED	/* out of memory or a bad option */
};

struct http_response {
	long		 status;	/* HTTP status code */
	const char	*body;		/* NUL-terminated */
	size_t		 len;
	const char	*header;	/* http_do: the value of want_header
					   (trimmed), or NULL when absent */
};

/* One request of http_do. */
struct http_request {
	const char		*method;	/* "GET", "POST" or "DELETE" */
	const char		*url;
	const char *const	*headers;	/* besides http_opts's, for this
						   request: NULL-ended, or NULL */
	const void		*body;		/* POST: len bytes, not copied */
	size_t			 len;
	const char		*want_header;	/* a response header to keep
						   ("X-Goog-Upload-URL"), or NULL */
};

struct http;

struct http	*http_new(const struct http_opts *opts, char *err,
		    size_t errlen);
enum http_status http_post(struct http *h, const char *url,
		    const char *body, size_t len, struct http_response *resp,
		    char *err, size_t errlen);
enum http_status http_do(struct http *h, const struct http_request *req,
		    struct http_response *resp, char *err, size_t errlen);
void		 http_free(struct http *h);

#endif
