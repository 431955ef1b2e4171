/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Core plumbing: budgeted allocation, errors, logging, cancellation,
 *	  the random number generator, bounded read/write buffers, a small JSON
 *	  writer and CRC32C.
 *
 * Allocation accounting is atomic so worker threads may allocate; logging
 * and should_cancel are only called from the calling thread.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aml_int.h"

/* ---------------------------------------------------------------- env */

void
aml_env_init(aml_env *env)
{
	memset(env, 0, sizeof(*env));
	env->n_threads = 1;
	env->seed = 42;
}

/*
 * Every block carries a 16-byte header holding its size, so frees can be
 * accounted against the budget.
 */
#define AML_HDR 16

void *
aml_malloc(aml_env *env, size_t size)
{
	size_t		total;
	size_t		used;
	uint8_t    *p;

	if (size > SIZE_MAX - AML_HDR)
		return NULL;
	total = size + AML_HDR;
	used = __atomic_add_fetch(&env->mem_used, total, __ATOMIC_RELAXED);
	if (env->mem_budget && used > env->mem_budget)
	{
		__atomic_sub_fetch(&env->mem_used, total, __ATOMIC_RELAXED);
		return NULL;
	}
	p = env->alloc ? env->alloc(env->ctx, total) : malloc(total);
	if (p == NULL)
	{
		__atomic_sub_fetch(&env->mem_used, total, __ATOMIC_RELAXED);
		return NULL;
	}
	/* peak is advisory: a racy max is fine */
	if (used > env->mem_peak)
		env->mem_peak = used;
	memcpy(p, &size, sizeof(size));
	return p + AML_HDR;
}

void *
aml_calloc(aml_env *env, size_t n, size_t size)
{
	void	   *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = aml_malloc(env, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void
aml_free(aml_env *env, void *ptr)
{
	uint8_t    *p;
	size_t		size;

	if (ptr == NULL)
		return;
	p = (uint8_t *) ptr - AML_HDR;
	memcpy(&size, p, sizeof(size));
	__atomic_sub_fetch(&env->mem_used, size + AML_HDR, __ATOMIC_RELAXED);
	if (env->free)
		env->free(env->ctx, p);
	else
		free(p);
}

void *
aml_realloc(aml_env *env, void *ptr, size_t size)
{
	void	   *q;
	size_t		old;

	if (ptr == NULL)
		return aml_malloc(env, size);
	memcpy(&old, (uint8_t *) ptr - AML_HDR, sizeof(old));
	q = aml_malloc(env, size);
	if (q == NULL)
		return NULL;
	memcpy(q, ptr, old < size ? old : size);
	aml_free(env, ptr);
	return q;
}

char *
aml_strdup(aml_env *env, const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *d = aml_malloc(env, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---------------------------------------------------------------- errors */

aml_status
aml_set_error(aml_error *err, aml_status status, const char *fmt,...)
{
	va_list		ap;

	if (err)
	{
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->detail[0] = '\0';
		err->hint[0] = '\0';
	}
	return status;
}

void
aml_set_detail(aml_error *err, const char *fmt,...)
{
	va_list		ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
aml_set_hint(aml_error *err, const char *fmt,...)
{
	va_list		ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

aml_status
aml_oom(aml_env *env, aml_error *err, size_t bytes)
{
	aml_set_error(err, AML_ENOMEM, "out of memory for automl training");
	if (env->mem_budget)
	{
		aml_set_detail(err, "Needed %zu more bytes with %zu of the %zu-byte budget in use.",
					   bytes, env->mem_used, env->mem_budget);
		aml_set_hint(err, "Increase automl.work_mem, or train on fewer rows with the \"max_rows\" option.");
	}
	else
		aml_set_detail(err, "Failed to allocate %zu bytes.", bytes);
	return AML_ENOMEM;
}

void
aml_log(aml_env *env, aml_log_level level, const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;

	if (env->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	env->log(env->ctx, level, buf);
}

int
aml_check_cancel(aml_env *env)
{
	if (aml_canceled(env))
		return 1;
	if (env->should_cancel && env->should_cancel(env->ctx))
	{
		env->deadline_hit = 0;
		__atomic_store_n(&env->cancel_flag, 1, __ATOMIC_RELAXED);
		return 1;
	}
	if (env->deadline > 0 && aml_now() > env->deadline)
	{
		env->deadline_hit = 1;
		__atomic_store_n(&env->cancel_flag, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

double
aml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *
aml_status_name(aml_status s)
{
	switch (s)
	{
		case AML_OK:
			return "ok";
		case AML_EINVAL:
			return "invalid input";
		case AML_ENOMEM:
			return "out of memory";
		case AML_ECANCELED:
			return "canceled";
		case AML_ENUMERIC:
			return "numeric failure";
		case AML_EFORMAT:
			return "bad model format";
		case AML_EINTERNAL:
			return "internal error";
		case AML_ETOOLARGE:
			return "too large";
	}
	return "unknown status";
}

/* ---------------------------------------------------------------- rng */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void
aml_rng_seed(aml_rng *r, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
aml_rng_next(aml_rng *r)
{
	uint64_t   *s = r->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
aml_rng_uniform(aml_rng *r)
{
	return (aml_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t
aml_rng_below(aml_rng *r, uint64_t n)
{
	/* Lemire's nearly divisionless method is overkill; rejection is exact */
	uint64_t	limit;
	uint64_t	x;

	if (n <= 1)
		return 0;
	limit = UINT64_MAX - (UINT64_MAX % n);
	do
		x = aml_rng_next(r);
	while (x >= limit);
	return x % n;
}

void
aml_rng_shuffle(aml_rng *r, int64_t *a, int64_t n)
{
	for (int64_t i = n - 1; i > 0; i--)
	{
		int64_t		j = (int64_t) aml_rng_below(r, (uint64_t) i + 1);
		int64_t		t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/* ---------------------------------------------------------------- wbuf */

void
aml_w_bytes(aml_wbuf *b, const void *p, size_t n)
{
	if (b->data && !b->overflow)
	{
		if (b->len + n > b->cap)
			b->overflow = 1;
		else if (n)
			memcpy(b->data + b->len, p, n);
	}
	b->len += n;
}

/* the core assumes a little-endian host (checked at build time below) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "automl's model format code assumes a little-endian host"
#endif

void
aml_w_u8(aml_wbuf *b, uint8_t v)
{
	aml_w_bytes(b, &v, 1);
}
void
aml_w_u32(aml_wbuf *b, uint32_t v)
{
	aml_w_bytes(b, &v, 4);
}
void
aml_w_i32(aml_wbuf *b, int32_t v)
{
	aml_w_bytes(b, &v, 4);
}
void
aml_w_u64(aml_wbuf *b, uint64_t v)
{
	aml_w_bytes(b, &v, 8);
}
void
aml_w_i64(aml_wbuf *b, int64_t v)
{
	aml_w_bytes(b, &v, 8);
}
void
aml_w_f32(aml_wbuf *b, float v)
{
	aml_w_bytes(b, &v, 4);
}
void
aml_w_f64(aml_wbuf *b, double v)
{
	aml_w_bytes(b, &v, 8);
}
void
aml_w_str(aml_wbuf *b, const char *s)
{
	uint32_t	n = (uint32_t) strlen(s);

	aml_w_u32(b, n);
	aml_w_bytes(b, s, n);
}
void
aml_w_f32s(aml_wbuf *b, const float *v, size_t n)
{
	aml_w_bytes(b, v, n * sizeof(float));
}
void
aml_w_f64s(aml_wbuf *b, const double *v, size_t n)
{
	aml_w_bytes(b, v, n * sizeof(double));
}
void
aml_w_i32s(aml_wbuf *b, const int32_t *v, size_t n)
{
	aml_w_bytes(b, v, n * sizeof(int32_t));
}

/* ---------------------------------------------------------------- rbuf */

int
aml_r_bytes(aml_rbuf *b, void *p, size_t n)
{
	if (b->bad || n > b->len - b->pos)
	{
		b->bad = 1;
		return -1;
	}
	if (n)
		memcpy(p, b->data + b->pos, n);
	b->pos += n;
	return 0;
}

int
aml_r_u8(aml_rbuf *b, uint8_t *v)
{
	return aml_r_bytes(b, v, 1);
}
int
aml_r_u32(aml_rbuf *b, uint32_t *v)
{
	return aml_r_bytes(b, v, 4);
}
int
aml_r_i32(aml_rbuf *b, int32_t *v)
{
	return aml_r_bytes(b, v, 4);
}
int
aml_r_u64(aml_rbuf *b, uint64_t *v)
{
	return aml_r_bytes(b, v, 8);
}
int
aml_r_i64(aml_rbuf *b, int64_t *v)
{
	return aml_r_bytes(b, v, 8);
}
int
aml_r_f32(aml_rbuf *b, float *v)
{
	return aml_r_bytes(b, v, 4);
}
int
aml_r_f64(aml_rbuf *b, double *v)
{
	return aml_r_bytes(b, v, 8);
}

int
aml_r_str(aml_rbuf *b, aml_env *env, char **s, size_t maxlen)
{
	uint32_t	n;

	*s = NULL;
	if (aml_r_u32(b, &n) < 0)
		return -1;
	if (n > maxlen || n > aml_r_left(b))
	{
		b->bad = 1;
		return -1;
	}
	*s = aml_malloc(env, (size_t) n + 1);
	if (*s == NULL)
	{
		b->bad = 1;
		return -1;
	}
	aml_r_bytes(b, *s, n);
	(*s)[n] = '\0';
	return 0;
}

static int
r_array(aml_rbuf *b, aml_env *env, void **v, size_t n, size_t elem)
{
	*v = NULL;
	if (b->bad || (elem && n > aml_r_left(b) / elem))
	{
		b->bad = 1;
		return -1;
	}
	*v = aml_malloc(env, (n * elem) != 0 ? n * elem : 1);
	if (*v == NULL)
	{
		b->bad = 1;
		return -1;
	}
	return aml_r_bytes(b, *v, n * elem);
}

int
aml_r_f32s(aml_rbuf *b, aml_env *env, float **v, size_t n)
{
	return r_array(b, env, (void **) v, n, sizeof(float));
}
int
aml_r_f64s(aml_rbuf *b, aml_env *env, double **v, size_t n)
{
	return r_array(b, env, (void **) v, n, sizeof(double));
}
int
aml_r_i32s(aml_rbuf *b, aml_env *env, int32_t **v, size_t n)
{
	return r_array(b, env, (void **) v, n, sizeof(int32_t));
}

/* ---------------------------------------------------------------- json */

void
aml_json_init(aml_json *j, aml_env *env)
{
	memset(j, 0, sizeof(*j));
	j->env = env;
}

void
aml_json_free(aml_json *j)
{
	aml_free(j->env, j->s);
	j->s = NULL;
	j->len = j->cap = 0;
}

static void
json_put(aml_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap)
	{
		size_t		nc = j->cap ? j->cap * 2 : 256;
		char	   *ns;

		while (nc < j->len + n + 1)
			nc *= 2;
		ns = aml_realloc(j->env, j->s, nc);
		if (ns == NULL)
		{
			j->oom = 1;
			return;
		}
		j->s = ns;
		j->cap = nc;
	}
	memcpy(j->s + j->len, s, n);
	j->len += n;
	j->s[j->len] = '\0';
}

static void
json_sep(aml_json *j)
{
	if (j->need_comma)
		json_put(j, ",", 1);
	j->need_comma = 0;
}

void
aml_json_raw(aml_json *j, const char *s)
{
	json_sep(j);
	json_put(j, s, strlen(s));
	j->need_comma = 1;
}

void
aml_json_begin_obj(aml_json *j)
{
	json_sep(j);
	json_put(j, "{", 1);
}

void
aml_json_end_obj(aml_json *j)
{
	json_put(j, "}", 1);
	j->need_comma = 1;
}

void
aml_json_begin_arr(aml_json *j)
{
	json_sep(j);
	json_put(j, "[", 1);
}

void
aml_json_end_arr(aml_json *j)
{
	json_put(j, "]", 1);
	j->need_comma = 1;
}

static void
json_quoted(aml_json *j, const char *s)
{
	json_put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		char		esc[8];

		switch (*p)
		{
			case '"':
				json_put(j, "\\\"", 2);
				break;
			case '\\':
				json_put(j, "\\\\", 2);
				break;
			case '\n':
				json_put(j, "\\n", 2);
				break;
			case '\r':
				json_put(j, "\\r", 2);
				break;
			case '\t':
				json_put(j, "\\t", 2);
				break;
			default:
				if (*p < 0x20)
				{
					snprintf(esc, sizeof(esc), "\\u%04x", *p);
					json_put(j, esc, 6);
				}
				else
					json_put(j, (const char *) p, 1);
		}
	}
	json_put(j, "\"", 1);
}

void
aml_json_key(aml_json *j, const char *key)
{
	json_sep(j);
	json_quoted(j, key);
	json_put(j, ":", 1);
}

void
aml_json_str(aml_json *j, const char *s)
{
	json_sep(j);
	json_quoted(j, s);
	j->need_comma = 1;
}

void
aml_json_num(aml_json *j, double v)
{
	char		buf[64];

	if (!isfinite(v))
	{
		aml_json_null(j);
		return;
	}
	snprintf(buf, sizeof(buf), "%.17g", v);
	/* prefer the shortest representation that round-trips */
	for (int prec = 6; prec < 17; prec++)
	{
		char		t[64];

		snprintf(t, sizeof(t), "%.*g", prec, v);
		if (strtod(t, NULL) == v)
		{
			memcpy(buf, t, sizeof(t));
			break;
		}
	}
	aml_json_raw(j, buf);
}

void
aml_json_int(aml_json *j, int64_t v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long) v);
	aml_json_raw(j, buf);
}

void
aml_json_bool(aml_json *j, int v)
{
	aml_json_raw(j, v ? "true" : "false");
}

void
aml_json_null(aml_json *j)
{
	aml_json_raw(j, "null");
}

/* ---------------------------------------------------------------- crc32c */

static uint32_t crc_table[256];
static int	crc_ready = 0;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78U : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

/*
 * aml_crc32c computes CRC-32C (Castagnoli), continuing from crc (start
 * with 0).  The table is built on first use; building it twice from two
 * threads is harmless (same contents).
 */
uint32_t
aml_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

int
aml_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
aml_cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

double
aml_sample_sd(double sum, double sum2, int64_t k)
{
	if (k < 2)
		return NAN;
	return sqrt(fmax(0.0, (sum2 - sum * sum / (double) k) / (double) (k - 1)));
}
