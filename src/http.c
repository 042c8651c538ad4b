/*
 * http: libcurl in the workers.  Invariant: one easy handle per process,
 * reused for every request, so connections stay alive; TLS verification
 * is never turned off.
 */
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rowpool/buf.h"
#include "rowpool/http.h"

struct http {
	CURL			*curl;
	struct curl_slist	*headers;
	struct http_opts	 o;
	struct buf		 body;		/* the response's */
	struct buf		 hdr;		/* the wanted header's value */
	const char		*want;		/* its name, this request */
	int			 has_hdr;
	int			 toobig;
	char			 curlerr[CURL_ERROR_SIZE];
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t add = size * n;

	if (add > h->o.max_response - h->body.len) {
		h->toobig = 1;
		return 0;
	}
	return buf_add(&h->body, p, add) == 0 ? add : 0;
}

/* Keeps the value of the header the request wants, if this line is it. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t len = size * n, k;

	if (h->want == NULL || (k = strlen(h->want)) + 1 > len ||
	    strncasecmp(p, h->want, k) != 0 || p[k] != ':')
		return len;
	p += k + 1;
	len -= k + 1;
	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
	    p[len - 1] == ' '))
		len--;
	buf_reset(&h->hdr);
	if (buf_add(&h->hdr, p, len) == 0)
		h->has_hdr = 1;
	return size * n;
}

static int
set_options(struct http *h)
{
	CURL *c = h->curl;

	return curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    h->o.connect_timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    h->o.low_speed_time_s) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "rowpool/" ROWPOOL_VERSION)
	    || curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, h) ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, h) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curlerr);
}

struct http *
http_new(const struct http_opts *opts, char *err, size_t errlen)
{
	struct http *h;
	size_t i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "libcurl: cannot initialise");
		return NULL;
	}
	h->o = *opts;
	for (i = 0; opts->headers != NULL && opts->headers[i] != NULL; i++)
		h->headers = curl_slist_append(h->headers, opts->headers[i]);
	h->headers = curl_slist_append(h->headers, "Expect:");
	if ((h->curl = curl_easy_init()) == NULL || h->headers == NULL ||
	    set_options(h) != 0) {
		snprintf(err, errlen, "libcurl: cannot set options");
		http_free(h);
		return NULL;
	}
	return h;
}

/* Errors that mean no byte of the request reached the server. */
static bool
unreachable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return true;
	default:
		return false;
	}
}

static enum http_status
classify(struct http *h, CURLcode rc, char *err, size_t errlen)
{
	const char *what = h->curlerr[0] ? h->curlerr : curl_easy_strerror(rc);

	if (h->toobig) {
		snprintf(err, errlen, "response larger than %zu bytes",
		    h->o.max_response);
		return HTTP_TOOBIG;
	}
	snprintf(err, errlen, "%s", what);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return HTTP_TIMEOUT;
	if (rc == CURLE_OUT_OF_MEMORY || rc == CURLE_BAD_FUNCTION_ARGUMENT ||
	    rc == CURLE_URL_MALFORMAT)
		return HTTP_FAILED;
	if (unreachable(rc))
		return HTTP_UNREACHABLE;
	return HTTP_NETWORK;
}

/* The method and body of req; -1 when libcurl refuses an option. */
static int
set_method(struct http *h, const struct http_request *req)
{
	CURL *c = h->curl;

	if (strcmp(req->method, "POST") == 0)
		return curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL) ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "") ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->len) ? -1 : 0;
	if (curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK)
		return -1;
	return curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
	    strcmp(req->method, "GET") == 0 ? NULL : req->method) ? -1 : 0;
}

static struct curl_slist *
append(struct curl_slist *l, const char *line, int *failed)
{
	struct curl_slist *n;

	if (*failed)
		return l;
	if ((n = curl_slist_append(l, line)) == NULL)
		*failed = 1;
	return n != NULL ? n : l;
}

/* The handle's headers plus the request's own; NULL when it has none. */
static struct curl_slist *
extra_headers(struct http *h, const struct http_request *req, int *failed)
{
	struct curl_slist *l = NULL, *it;
	size_t i;

	*failed = 0;
	if (req->headers == NULL || req->headers[0] == NULL)
		return NULL;
	for (it = h->headers; it != NULL; it = it->next)
		l = append(l, it->data, failed);
	for (i = 0; req->headers[i] != NULL; i++)
		l = append(l, req->headers[i], failed);
	if (*failed) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

enum http_status
http_do(struct http *h, const struct http_request *req,
    struct http_response *resp, char *err, size_t errlen)
{
	struct curl_slist *extra;
	CURLcode rc;
	int failed;

	buf_reset(&h->body);
	h->toobig = 0;
	h->has_hdr = 0;
	h->want = req->want_header;
	h->curlerr[0] = '\0';
	extra = extra_headers(h, req, &failed);
	if (failed || curl_easy_setopt(h->curl, CURLOPT_URL, req->url) !=
	    CURLE_OK || set_method(h, req) == -1 || (extra != NULL &&
	    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, extra) != CURLE_OK)) {
		curl_slist_free_all(extra);
		snprintf(err, errlen, "libcurl: cannot set the request");
		return HTTP_FAILED;
	}
	rc = curl_easy_perform(h->curl);
	if (extra != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
		curl_slist_free_all(extra);
	}
	h->want = NULL;
	if (rc != CURLE_OK)
		return classify(h, rc, err, errlen);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = h->body.p != NULL ? h->body.p : "";
	resp->len = h->body.len;
	resp->header = h->has_hdr ? h->hdr.p : NULL;
	return HTTP_DONE;
}

enum http_status
http_post(struct http *h, const char *url, const char *body, size_t len,
    struct http_response *resp, char *err, size_t errlen)
{
	struct http_request req = {
		.method = "POST", .url = url, .body = body, .len = len,
	};

	return http_do(h, &req, resp, err, errlen);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	buf_release(&h->body);
	buf_release(&h->hdr);
	free(h);
}
