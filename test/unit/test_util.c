/*-------------------------------------------------------------------------
 *
 * test_util.c
 *	  Unit tests of util.c: CRC32C, the random number generator, the
 *	  bounded write and read buffers (including hostile length prefixes),
 *	  budgeted allocation and the JSON writer.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "aml_int.h"
#include "harness.h"

/* an allocator that counts its calls, to prove a read did not allocate */
static int	n_alloc_calls = 0;

/*
 * counting_alloc allocates with malloc and counts the call.
 */
static void *
counting_alloc(void *ctx, size_t size)
{
	(void) ctx;
	n_alloc_calls++;
	return malloc(size);
}

/*
 * counting_free frees what counting_alloc returned.
 */
static void
counting_free(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

/*
 * counting_env initializes env with the counting allocator.
 */
static void
counting_env(aml_env *env)
{
	aml_env_init(env);
	env->alloc = counting_alloc;
	env->free = counting_free;
	n_alloc_calls = 0;
}

/* ---------------------------------------------------------------- crc */

static void
test_crc32c(void)
{
	const char *s = "123456789";

	/* the standard check value of CRC-32C */
	CHECK(aml_crc32c(0, s, 9) == 0xE3069283U);
	/* continuing from a partial CRC gives the same result */
	CHECK(aml_crc32c(aml_crc32c(0, s, 4), s + 4, 5) == 0xE3069283U);
	CHECK(aml_crc32c(0, s, 0) == 0);
	CHECK(aml_crc32c(0, "123456780", 9) != 0xE3069283U);
}

/* ---------------------------------------------------------------- rng */

static void
test_rng_determinism(void)
{
	aml_rng		a;
	aml_rng		b;
	aml_rng		c;
	int			differ = 0;

	aml_rng_seed(&a, 12345);
	aml_rng_seed(&b, 12345);
	aml_rng_seed(&c, 12346);
	for (int i = 0; i < 1000; i++)
	{
		uint64_t	x = aml_rng_next(&a);

		CHECK(x == aml_rng_next(&b));
		differ += x != aml_rng_next(&c);
	}
	/* a neighbouring seed gives an unrelated stream */
	CHECK(differ == 1000);
}

static void
test_rng_range(void)
{
	aml_rng		r;
	int			hits[7] = {0};
	double		sum = 0;
	double		lo = 1;
	double		hi = 0;

	aml_rng_seed(&r, 1);
	for (int i = 0; i < 70000; i++)
	{
		uint64_t	k = aml_rng_below(&r, 7);
		double		u = aml_rng_uniform(&r);

		CHECK(k < 7);
		if (k < 7)
			hits[k]++;
		CHECK(u >= 0.0 && u < 1.0);
		sum += u;
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
	}
	/* every value is reached, roughly uniformly (10000 expected each) */
	for (int k = 0; k < 7; k++)
		CHECK(hits[k] > 9000 && hits[k] < 11000);
	CHECK_NEAR(sum / 70000, 0.5, 0.01);
	CHECK(lo < 0.001 && hi > 0.999);
	/* degenerate bounds */
	CHECK(aml_rng_below(&r, 1) == 0);
	CHECK(aml_rng_below(&r, 0) == 0);
	/* a bound near the top of the range still stays below it */
	for (int i = 0; i < 1000; i++)
		CHECK(aml_rng_below(&r, UINT64_MAX - 1) < UINT64_MAX - 1);
}

static void
test_rng_shuffle(void)
{
	enum
	{
	N = 1000};
	int64_t		a[N];
	int64_t		b[N];
	int			seen[N] = {0};
	int			moved = 0;
	aml_rng		r1;
	aml_rng		r2;

	for (int i = 0; i < N; i++)
		a[i] = b[i] = i;
	aml_rng_seed(&r1, 99);
	aml_rng_seed(&r2, 99);
	aml_rng_shuffle(&r1, a, N);
	aml_rng_shuffle(&r2, b, N);
	for (int i = 0; i < N; i++)
	{
		CHECK(a[i] >= 0 && a[i] < N);
		if (a[i] >= 0 && a[i] < N)
			seen[a[i]]++;
		moved += a[i] != i;
		CHECK(a[i] == b[i]);
	}
	/* a permutation: every element exactly once */
	for (int i = 0; i < N; i++)
		CHECK(seen[i] == 1);
	CHECK(moved > N / 2);
	/* trivial sizes do nothing */
	aml_rng_shuffle(&r1, a, 0);
	aml_rng_shuffle(&r1, a, 1);
}

/* ---------------------------------------------------------------- buffers */

/*
 * write_sample writes one of every kind of value into b.
 */
static void
write_sample(aml_wbuf *b)
{
	float		f[3] = {1.5f, -2.0f, 0.25f};
	double		d[2] = {3.25, -1e300};
	int32_t		i[2] = {-7, 7};

	aml_w_u8(b, 0xAB);
	aml_w_u32(b, 0xDEADBEEFU);
	aml_w_i32(b, -5);
	aml_w_u64(b, UINT64_C(0x0102030405060708));
	aml_w_i64(b, INT64_MIN);
	aml_w_f32(b, 3.5f);
	aml_w_f64(b, -0.125);
	aml_w_str(b, "hello");
	aml_w_str(b, "");
	aml_w_f32s(b, f, 3);
	aml_w_f64s(b, d, 2);
	aml_w_i32s(b, i, 2);
}

static void
test_wbuf_count_matches_write(void)
{
	aml_wbuf	count = {0};
	aml_wbuf	w = {0};
	aml_wbuf	small = {0};
	uint8_t		buf[256];
	uint8_t		tiny[10];

	write_sample(&count);
	CHECK(count.len == 1 + 4 + 4 + 8 + 8 + 4 + 8 + (4 + 5) + 4 + 12 + 16 + 8);
	CHECK(!count.overflow);

	w.data = buf;
	w.cap = sizeof(buf);
	write_sample(&w);
	CHECK(w.len == count.len);
	CHECK(!w.overflow);
	/* little-endian layout */
	CHECK(buf[0] == 0xAB && buf[1] == 0xEF && buf[4] == 0xDE);

	/* too small: overflow is flagged, counting goes on, nothing is overrun */
	small.data = tiny;
	small.cap = sizeof(tiny);
	write_sample(&small);
	CHECK(small.overflow);
	CHECK(small.len == count.len);
}

static void
test_rbuf_roundtrip(void)
{
	aml_env		env;
	aml_wbuf	w = {0};
	uint8_t		buf[256];
	aml_rbuf	r = {0};
	uint8_t		u8;
	uint32_t	u32;
	int32_t		i32;
	uint64_t	u64;
	int64_t		i64;
	float		f32;
	double		f64;
	char	   *s1 = NULL;
	char	   *s2 = NULL;
	float	   *fs = NULL;
	double	   *ds = NULL;
	int32_t    *is = NULL;

	aml_env_init(&env);
	w.data = buf;
	w.cap = sizeof(buf);
	write_sample(&w);
	r.data = buf;
	r.len = w.len;

	CHECK(aml_r_u8(&r, &u8) == 0 && u8 == 0xAB);
	CHECK(aml_r_u32(&r, &u32) == 0 && u32 == 0xDEADBEEFU);
	CHECK(aml_r_i32(&r, &i32) == 0 && i32 == -5);
	CHECK(aml_r_u64(&r, &u64) == 0 && u64 == UINT64_C(0x0102030405060708));
	CHECK(aml_r_i64(&r, &i64) == 0 && i64 == INT64_MIN);
	CHECK(aml_r_f32(&r, &f32) == 0 && f32 == 3.5f);
	CHECK(aml_r_f64(&r, &f64) == 0 && f64 == -0.125);
	CHECK(aml_r_str(&r, &env, &s1, 100) == 0 && s1 && strcmp(s1, "hello") == 0);
	CHECK(aml_r_str(&r, &env, &s2, 100) == 0 && s2 && s2[0] == '\0');
	CHECK(aml_r_f32s(&r, &env, &fs, 3) == 0 && fs && fs[2] == 0.25f);
	CHECK(aml_r_f64s(&r, &env, &ds, 2) == 0 && ds && ds[1] == -1e300);
	CHECK(aml_r_i32s(&r, &env, &is, 2) == 0 && is && is[0] == -7);
	CHECK(aml_r_left(&r) == 0);
	CHECK(!r.bad);
	aml_free(&env, s1);
	aml_free(&env, s2);
	aml_free(&env, fs);
	aml_free(&env, ds);
	aml_free(&env, is);
	CHECK(env.mem_used == 0);
}

static void
test_rbuf_past_end_stays_bad(void)
{
	uint8_t		buf[6] = {1, 2, 3, 4, 5, 6};
	aml_rbuf	r = {buf, sizeof(buf), 0, 0};
	uint32_t	u32;
	uint64_t	u64;
	uint8_t		u8;

	CHECK(aml_r_u32(&r, &u32) == 0 && u32 == 0x04030201U);
	/* 2 bytes left: an 8-byte read fails without moving */
	CHECK(aml_r_u64(&r, &u64) == -1);
	CHECK(r.bad);
	CHECK(aml_r_left(&r) == 0);
	/* a read that would have fitted still fails once bad */
	CHECK(aml_r_u8(&r, &u8) == -1);
	CHECK(aml_r_bytes(&r, &u8, 0) == -1);

	/* exact end is fine, one more byte is not */
	{
		aml_rbuf	r2 = {buf, sizeof(buf), 0, 0};
		uint8_t		out[6];

		CHECK(aml_r_bytes(&r2, out, 6) == 0 && out[5] == 6);
		CHECK(!r2.bad);
		CHECK(aml_r_u8(&r2, &u8) == -1 && r2.bad);
	}
}

static void
test_rbuf_hostile_lengths(void)
{
	aml_env		env;
	uint8_t		buf[16];
	uint32_t	huge = 0xFFFFFFF0U;
	char	   *s = (char *) 1;
	float	   *f = (float *) 1;
	double	   *d = (double *) 1;
	int32_t    *i = (int32_t *) 1;

	counting_env(&env);
	memset(buf, 'x', sizeof(buf));

	/* a string whose length prefix claims 4 GB */
	memcpy(buf, &huge, 4);
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_str(&r, &env, &s, SIZE_MAX) == -1);
		CHECK(s == NULL);
		CHECK(r.bad);
	}
	/* a string longer than maxlen, though present */
	huge = 8;
	memcpy(buf, &huge, 4);
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_str(&r, &env, &s, 4) == -1);
		CHECK(s == NULL);
	}
	/* arrays whose count exceeds what is left, including overflowing n * size */
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_f32s(&r, &env, &f, 5) == -1 && f == NULL);
	}
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_f32s(&r, &env, &f, SIZE_MAX / 2) == -1 && f == NULL);
	}
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_f64s(&r, &env, &d, SIZE_MAX / 4 + 2) == -1 && d == NULL);
	}
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_i32s(&r, &env, &i, 0x40000001) == -1 && i == NULL);
	}
	CHECK(n_alloc_calls == 0);
	CHECK(env.mem_used == 0);

	/* exactly what is left is accepted (and allocates once) */
	{
		aml_rbuf	r = {buf, sizeof(buf), 0, 0};

		CHECK(aml_r_f32s(&r, &env, &f, 4) == 0 && f != NULL);
		CHECK(n_alloc_calls == 1);
		aml_free(&env, f);
	}
	CHECK(env.mem_used == 0);
}

/* ---------------------------------------------------------------- memory */

static void
test_malloc_budget(void)
{
	aml_env		env;
	void	   *a;
	void	   *b;
	void	   *c;
	char	   *s;

	aml_env_init(&env);
	env.mem_budget = 1000;

	a = aml_malloc(&env, 400);
	CHECK(a != NULL);
	CHECK(env.mem_used >= 400 && env.mem_used <= 1000);
	b = aml_malloc(&env, 400);
	CHECK(b != NULL);
	/* a third block does not fit; the failed attempt is not accounted */
	{
		size_t		before = env.mem_used;

		c = aml_malloc(&env, 400);
		CHECK(c == NULL);
		CHECK(env.mem_used == before);
	}
	CHECK(aml_calloc(&env, 100, 100) == NULL);
	/* calloc overflow of n * size */
	CHECK(aml_calloc(&env, SIZE_MAX / 2, 4) == NULL);
	/* realloc beyond the budget fails and leaves the block intact */
	memset(a, 7, 400);
	CHECK(aml_realloc(&env, a, 900) == NULL);
	CHECK(((unsigned char *) a)[399] == 7);
	CHECK(env.mem_peak >= env.mem_used);

	aml_free(&env, b);
	/* after freeing, the room is back */
	c = aml_calloc(&env, 40, 10);
	CHECK(c != NULL);
	CHECK(c && ((char *) c)[0] == 0 && ((char *) c)[399] == 0);
	s = aml_strdup(&env, "budget");
	CHECK(s && strcmp(s, "budget") == 0);
	aml_free(&env, a);
	aml_free(&env, c);
	aml_free(&env, s);
	aml_free(&env, NULL);
	CHECK(env.mem_used == 0);

	/* unlimited by default */
	aml_env_init(&env);
	a = aml_malloc(&env, 1 << 20);
	CHECK(a != NULL);
	aml_free(&env, a);
	CHECK(env.mem_used == 0);
	CHECK(aml_malloc(&env, SIZE_MAX - 4) == NULL);
	CHECK(env.mem_used == 0);
}

static void
test_oom_message(void)
{
	aml_env		env;
	aml_error	err;

	aml_env_init(&env);
	env.mem_budget = 100;
	CHECK(aml_oom(&env, &err, 4096) == AML_ENOMEM);
	CHECK(strstr(err.msg, "out of memory") != NULL);
	CHECK(strstr(err.detail, "4096") != NULL);
	CHECK(aml_set_error(&err, AML_EINVAL, "bad %s", "thing") == AML_EINVAL);
	CHECK(strcmp(err.msg, "bad thing") == 0 && err.detail[0] == '\0');
}

/* ---------------------------------------------------------------- json */

static void
test_json_writer(void)
{
	aml_env		env;
	aml_json	j;
	const char *expect =
	"{\"a\":1,\"s\":\"q\\\"b\\\\\\n\\t\\u0001\","
	"\"arr\":[null,-3,true,null,{},false],"
	"\"o\":{\"x\":0.1,\"big\":1e+300,\"inf\":null}}";

	aml_env_init(&env);
	aml_json_init(&j, &env);
	aml_json_begin_obj(&j);
	aml_json_key(&j, "a");
	aml_json_num(&j, 1);
	aml_json_key(&j, "s");
	aml_json_str(&j, "q\"b\\\n\t\x01");
	aml_json_key(&j, "arr");
	aml_json_begin_arr(&j);
	aml_json_num(&j, NAN);
	aml_json_int(&j, -3);
	aml_json_bool(&j, 1);
	aml_json_null(&j);
	aml_json_begin_obj(&j);
	aml_json_end_obj(&j);
	aml_json_bool(&j, 0);
	aml_json_end_arr(&j);
	aml_json_key(&j, "o");
	aml_json_begin_obj(&j);
	aml_json_key(&j, "x");
	aml_json_num(&j, 0.1);
	aml_json_key(&j, "big");
	aml_json_num(&j, 1e300);
	aml_json_key(&j, "inf");
	aml_json_num(&j, -INFINITY);
	aml_json_end_obj(&j);
	aml_json_end_obj(&j);

	CHECK(!j.oom);
	CHECK(j.s != NULL && strcmp(j.s, expect) == 0);
	if (j.s && strcmp(j.s, expect) != 0)
		fprintf(stderr, "  got      %s\n  expected %s\n", j.s, expect);
	CHECK(j.len == strlen(expect));
	aml_json_free(&j);
	CHECK(env.mem_used == 0);
}

static void
test_json_oom(void)
{
	aml_env		env;
	aml_json	j;

	/* a budget too small for the first buffer: oom is set, nothing crashes */
	aml_env_init(&env);
	env.mem_budget = 64;
	aml_json_init(&j, &env);
	aml_json_begin_obj(&j);
	aml_json_key(&j, "k");
	aml_json_str(&j, "v");
	aml_json_end_obj(&j);
	CHECK(j.oom);
	aml_json_free(&j);
	CHECK(env.mem_used == 0);
}

/*
 * test_sample_sd: the sample standard deviation from a sum and a sum of
 * squares (1, 2, 3, 4: sqrt(5/3)); a constant has none; fewer than two
 * values give NaN.
 */
static void
test_sample_sd(void)
{
	CHECK_NEAR(aml_sample_sd(10.0, 30.0, 4), sqrt(5.0 / 3.0), 1e-12);
	CHECK_NEAR(aml_sample_sd(6.0, 12.0, 3), 0.0, 1e-12);
	CHECK(isnan(aml_sample_sd(2.0, 4.0, 1)));
	CHECK(isnan(aml_sample_sd(0.0, 0.0, 0)));
}

int
main(void)
{
	RUN(test_crc32c);
	RUN(test_rng_determinism);
	RUN(test_rng_range);
	RUN(test_rng_shuffle);
	RUN(test_wbuf_count_matches_write);
	RUN(test_rbuf_roundtrip);
	RUN(test_rbuf_past_end_stays_bad);
	RUN(test_rbuf_hostile_lengths);
	RUN(test_malloc_budget);
	RUN(test_oom_message);
	RUN(test_json_writer);
	RUN(test_json_oom);
	RUN(test_sample_sd);
	DONE();
}
