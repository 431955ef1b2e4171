/*-------------------------------------------------------------------------
 *
 * frame.c
 *	  The columnar frame the caller fills with source rows, and the string
 *	  hash map used for category dictionaries.
 *
 * Memory: numeric columns are float (4 bytes a cell), categorical columns
 * int32 codes plus one copy of each distinct level, datetime columns
 * double.  Rows are reserved up front (the caller knows or estimates the
 * count) and grown geometrically when it was wrong.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"

/* ---------------------------------------------------------------- strmap */

static inline uint64_t
rd8(const char *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t
rd4(const char *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

#define STR_K 0x9E3779B97F4A7C15ull

static inline uint64_t
str_mix(uint64_t h, uint64_t w)
{
	return ((h << 5 | h >> 59) ^ w) * STR_K;
}

/*
 * str_hash hashes len bytes with fixed-size reads only (eight bytes at a
 * time, the last eight overlapping; two overlapping four-byte reads or
 * three bytes for shorter strings), so that a short category name costs
 * a few multiplications and no call.
 */
static inline uint32_t
str_hash(const char *s, size_t len)
{
	uint64_t	h = (uint64_t) len * STR_K;

	if (len >= 8)
	{
		const char *end = s + len - 8;

		for (; s < end; s += 8)
			h = str_mix(h, rd8(s));
		h = str_mix(h, rd8(end));
	}
	else if (len >= 4)
		h = str_mix(h, rd4(s) << 32 | rd4(s + len - 4));
	else if (len > 0)
		h = str_mix(h, (uint64_t) (unsigned char) s[0] << 16 |
					(uint64_t) (unsigned char) s[len >> 1] << 8 | (unsigned char) s[len - 1]);
	h ^= h >> 32;
	h *= 0xD6E8FEB86659FD93ull;
	h ^= h >> 32;
	return (uint32_t) h;
}

/* str_eq compares two strings of len bytes with the reads str_hash makes */
static inline int
str_eq(const char *a, const char *b, size_t len)
{
	if (len >= 8)
	{
		for (size_t i = 0; i + 8 < len; i += 8)
			if (rd8(a + i) != rd8(b + i))
				return 0;
		return rd8(a + len - 8) == rd8(b + len - 8);
	}
	if (len >= 4)
		return rd4(a) == rd4(b) && rd4(a + len - 4) == rd4(b + len - 4);
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/*
 * aml_strmap_find looks a string up; strs holds the NUL-terminated strings
 * indexed by code.
 */
int32_t
aml_strmap_find(const aml_strmap *m, char *const *strs, const char *s, size_t len)
{
	uint32_t	mask;
	uint32_t	h;
	uint32_t	i;

	if (m->cap == 0)
		return -1;
	mask = m->cap - 1;
	h = str_hash(s, len);
	for (i = h & mask;; i = (i + 1) & mask)
	{
		const aml_strslot *sl = &m->slots[i];

		if (sl->code1 == 0)
			return -1;
		if (sl->hash == h && sl->len == len && str_eq(strs[sl->code1 - 1], s, len))
			return sl->code1 - 1;
	}
}

/* strmap_put stores a slot in a table known to have room */
static void
strmap_put(aml_strslot *slots, uint32_t mask, aml_strslot v)
{
	uint32_t	i = v.hash & mask;

	while (slots[i].code1)
		i = (i + 1) & mask;
	slots[i] = v;
}

/*
 * aml_strmap_add inserts a code whose string is strs[code], growing the
 * table to keep it at most half full.  Returns 0, or -1 out of memory.
 */
int
aml_strmap_add(aml_env *env, aml_strmap *m, char *const *strs, int32_t code)
{
	aml_strslot v;

	if ((uint32_t) (m->n + 1) * 2 > m->cap)
	{
		uint32_t	nc = m->cap ? m->cap * 2 : 16;
		aml_strslot *ns = aml_calloc(env, nc, sizeof(aml_strslot));

		if (ns == NULL)
			return -1;
		for (uint32_t k = 0; k < m->cap; k++)
			if (m->slots[k].code1)
				strmap_put(ns, nc - 1, m->slots[k]);
		aml_free(env, m->slots);
		m->slots = ns;
		m->cap = nc;
	}
	v.code1 = code + 1;
	v.len = (uint32_t) strlen(strs[code]);
	v.hash = str_hash(strs[code], v.len);
	strmap_put(m->slots, m->cap - 1, v);
	m->n++;
	return 0;
}

/*
 * aml_strmap_free releases the table (not the strings).
 */
void
aml_strmap_free(aml_env *env, aml_strmap *m)
{
	aml_free(env, m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- frame */

/*
 * aml_frame_create returns an empty frame bound to env.
 */
aml_frame *
aml_frame_create(aml_env *env, aml_error *err)
{
	aml_frame  *f = aml_calloc(env, 1, sizeof(aml_frame));

	if (f == NULL)
	{
		aml_oom(env, err, sizeof(aml_frame));
		return NULL;
	}
	f->env = env;
	return f;
}

/*
 * aml_frame_free releases the frame and everything it holds.
 */
void
aml_frame_free(aml_frame *f)
{
	aml_env    *env;

	if (f == NULL)
		return;
	env = f->env;
	for (int c = 0; c < f->n_cols; c++)
	{
		aml_fcol   *col = &f->cols[c];

		aml_free(env, col->name);
		aml_free(env, col->source_type);
		aml_free(env, col->num);
		aml_free(env, col->code);
		aml_free(env, col->dt);
		for (int i = 0; i < col->n_levels; i++)
			aml_free(env, col->levels[i]);
		aml_free(env, col->levels);
		aml_strmap_free(env, &col->map);
	}
	aml_free(env, f->cols);
	aml_free(env, f);
}

/*
 * col_alloc_rows (re)allocates one column's storage for cap rows.
 */
static int
col_alloc_rows(aml_env *env, aml_fcol *col, int64_t cap)
{
	switch (col->kind)
	{
		case AML_COL_NUMERIC:
			{
				float	   *p = aml_realloc(env, col->num, (size_t) cap * sizeof(float));

				if (!p)
					return -1;
				col->num = p;
				break;
			}
		case AML_COL_CATEGORICAL:
			{
				int32_t    *p = aml_realloc(env, col->code, (size_t) cap * sizeof(int32_t));

				if (!p)
					return -1;
				col->code = p;
				break;
			}
		case AML_COL_DATETIME:
			{
				double	   *p = aml_realloc(env, col->dt, (size_t) cap * sizeof(double));

				if (!p)
					return -1;
				col->dt = p;
				break;
			}
	}
	return 0;
}

/*
 * aml_frame_add_column appends a column description; storage follows the
 * frame's current reservation.
 */
int
aml_frame_add_column(aml_frame *f, const char *name, aml_col_kind kind,
					 const char *source_type, int is_integer, int has_time,
					 aml_error *err)
{
	aml_env    *env = f->env;
	aml_fcol   *col;

	if (f->n_cols == f->cap_cols)
	{
		int			nc = f->cap_cols ? f->cap_cols * 2 : 16;
		aml_fcol   *ncols = aml_realloc(env, f->cols, (size_t) nc * sizeof(aml_fcol));

		if (ncols == NULL)
		{
			aml_oom(env, err, (size_t) nc * sizeof(aml_fcol));
			return -1;
		}
		f->cols = ncols;
		f->cap_cols = nc;
	}
	col = &f->cols[f->n_cols];
	memset(col, 0, sizeof(*col));
	col->kind = kind;
	col->is_integer = is_integer;
	col->has_time = has_time;
	col->name = aml_strdup(env, name);
	col->source_type = aml_strdup(env, source_type ? source_type : "");
	if (col->name == NULL || col->source_type == NULL ||
		(f->cap_rows > 0 && col_alloc_rows(env, col, f->cap_rows) < 0))
	{
		aml_free(env, col->name);
		aml_free(env, col->source_type);
		aml_oom(env, err, (size_t) f->cap_rows * 8);
		return -1;
	}
	return f->n_cols++;
}

/*
 * aml_frame_reserve grows every column to hold n_rows rows.
 */
aml_status
aml_frame_reserve(aml_frame *f, int64_t n_rows, aml_error *err)
{
	if (n_rows <= f->cap_rows)
		return AML_OK;
	for (int c = 0; c < f->n_cols; c++)
		if (col_alloc_rows(f->env, &f->cols[c], n_rows) < 0)
			return aml_oom(f->env, err, (size_t) n_rows * 8);
	f->cap_rows = n_rows;
	return AML_OK;
}

/*
 * aml_frame_level_code returns the code of a category, adding it to the
 * column's dictionary when new.
 */
int32_t
aml_frame_level_code(aml_frame *f, int c, const char *s, size_t len, aml_error *err)
{
	aml_env    *env = f->env;
	aml_fcol   *col = &f->cols[c];
	int32_t		code = aml_strmap_find(&col->map, col->levels, s, len);
	char	   *copy;

	if (code >= 0)
		return code;
	if (col->n_levels == col->cap_levels)
	{
		int32_t		nc = col->cap_levels ? col->cap_levels * 2 : 16;
		char	  **nl = aml_realloc(env, col->levels, (size_t) nc * sizeof(char *));

		if (nl == NULL)
		{
			aml_oom(env, err, (size_t) nc * sizeof(char *));
			return -1;
		}
		col->levels = nl;
		col->cap_levels = nc;
	}
	copy = aml_malloc(env, len + 1);
	if (copy == NULL)
	{
		aml_oom(env, err, len + 1);
		return -1;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	col->levels[col->n_levels] = copy;
	if (aml_strmap_add(env, &col->map, col->levels, col->n_levels) < 0)
	{
		aml_free(env, copy);
		aml_oom(env, err, 64);
		return -1;
	}
	return col->n_levels++;
}

void
aml_frame_set_numeric(aml_frame *f, int c, int64_t row, double v)
{
	f->cols[c].num[row] = isfinite(v) ? (float) v : NAN;
}

void
aml_frame_set_code(aml_frame *f, int c, int64_t row, int32_t code)
{
	f->cols[c].code[row] = code;
}

void
aml_frame_set_datetime(aml_frame *f, int c, int64_t row, double secs)
{
	f->cols[c].dt[row] = isfinite(secs) ? secs : NAN;
}

void
aml_frame_set_rows(aml_frame *f, int64_t n_rows)
{
	f->n_rows = n_rows;
}

int64_t
aml_frame_rows(const aml_frame *f)
{
	return f->n_rows;
}

int
aml_frame_cols(const aml_frame *f)
{
	return f->n_cols;
}

/*
 * aml_frame_bytes reports the bytes the frame's cells occupy (reserved
 * rows, not only used ones), for the memory benchmark.
 */
size_t
aml_frame_bytes(const aml_frame *f)
{
	size_t		total = sizeof(*f) + (size_t) f->cap_cols * sizeof(aml_fcol);

	for (int c = 0; c < f->n_cols; c++)
	{
		const aml_fcol *col = &f->cols[c];

		total += (size_t) f->cap_rows * (col->kind == AML_COL_DATETIME ? 8 : 4);
		for (int i = 0; i < col->n_levels; i++)
			total += strlen(col->levels[i]) + 1 + sizeof(char *);
		total += col->map.cap * sizeof(aml_strslot);
	}
	return total;
}
