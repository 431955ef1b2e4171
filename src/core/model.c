/*-------------------------------------------------------------------------
 *
 * model.c
 *	  The model: preprocessing schema (inputs -> base features), one or
 *	  more fitted learners, prediction, and the binary format.
 *
 * Prediction works on blocks of AML_BLOCK rows: raw inputs are encoded
 * into column-major float features in caller-provided scratch memory, and
 * each learner scores the block.  Nothing allocates, so a model may score
 * from several threads at once.
 *
 * Format version 1 (little-endian), after the aml.h framing:
 *	 u8 task | u8 algo | u32 n_classes | n_classes x str label
 *	 u32 n_inputs | per input: str name, u8 kind, u8 has_time,
 *		 u32 n_levels, n_levels x str level
 *	 [version 2: u32 n_gen (version 3: may be 0) | per generated
 *		 feature: str name, u32 n, n x u32 input]
 *	 params | u32 n_members | per member: u16 algo, f64 weight, params,
 *		 u64 len, len bytes of learner state
 *	 [version 3 or later, algo per_group: u32 group_input | u32 n_groups |
 *		 n_groups x f64 key (ascending) | n_groups + 2 x u32 segment start]
 *	 version 4: each member's weight is followed by its f64 temperature
 *		 (aml_calibrate; 1 = none)
 *	 params = u32 n, n x (str name, f64 value)
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "tree.h"

#define MAX_INPUTS		100000
#define MAX_LEVELS		10000000
#define MAX_CLASSES		1000
#define MAX_STR			65536
#define MAX_MEMBERS		1000
#define GEN_MAX_TOKENS	16		/* name parts a generated feature compares */

static const char *const algo_names[AML_ALGO_COUNT] = {
	"baseline", "linear", "decision_tree", "gbdt", "random_forest",
	"extra_trees", "ensemble", "per_group"
};

const char *
aml_algo_name(aml_algo algo)
{
	if ((int) algo < 0 || algo >= AML_ALGO_COUNT)
		return "unknown";
	return algo_names[algo];
}

int
aml_algo_from_name(const char *name)
{
	for (int i = 0; i < AML_ALGO_COUNT; i++)
		if (strcmp(name, algo_names[i]) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------- params */

int
aml_params_set(aml_params *p, const char *name, double value)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
		{
			p->value[i] = value;
			return 0;
		}
	if (p->n >= AML_MAX_PARAMS || strlen(name) >= sizeof(p->name[0]))
		return -1;
	strcpy(p->name[p->n], name);
	p->value[p->n] = value;
	p->n++;
	return 0;
}

/*
 * aml_params_equal says whether two parameter sets name the same values
 * in the same order (as a search space builds them).
 */
int
aml_params_equal(const aml_params *a, const aml_params *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (a->value[i] != b->value[i] || strcmp(a->name[i], b->name[i]) != 0)
			return 0;
	return 1;
}

double
aml_params_get(const aml_params *p, const char *name, double dflt)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return dflt;
}

/*
 * learner_params copies p without the trainer's AML_CLASS_WEIGHT and
 * AML_GEN_FEATURES into out and returns those two (0 when unset) in cw and
 * gen.
 */
static void
learner_params(const aml_params *p, aml_params *out, double *cw, double *gen)
{
	*cw = 0;
	*gen = 0;
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->name[i], AML_CLASS_WEIGHT) == 0)
			*cw = p->value[i];
		else if (strcmp(p->name[i], AML_GEN_FEATURES) == 0)
			*gen = p->value[i];
		else
			aml_params_set(out, p->name[i], p->value[i]);
}

const char *
aml_params_check(aml_algo algo, const aml_params *p, char *buf, size_t buflen)
{
	const aml_learner_ops *ops = aml_learner_for(algo);
	aml_params	q;
	double		cw,
				gen;

	if (ops == NULL)
	{
		snprintf(buf, buflen, "algorithm \"%s\" is not available", aml_algo_name(algo));
		return buf;
	}
	learner_params(p, &q, &cw, &gen);
	if (cw != 0 && cw != 1)
	{
		snprintf(buf, buflen, "parameter \"%s\" must be 0 (every row the same) or 1 (balanced classes)", AML_CLASS_WEIGHT);
		return buf;
	}
	if (gen != 0 && gen != 1)
	{
		snprintf(buf, buflen, "parameter \"%s\" must be 0 (off) or 1 (on)", AML_GEN_FEATURES);
		return buf;
	}
	if (ops->check_params == NULL)
		return NULL;
	return ops->check_params(&q, buf, buflen);
}

int
aml_class_counts(const float *y, const int64_t *rows, int64_t n, int n_classes,
				 int64_t *count)
{
	int			present = 0;

	for (int k = 0; k < n_classes; k++)
		count[k] = 0;
	for (int64_t i = 0; i < n; i++)
	{
		float		v = y[rows ? rows[i] : i];

		if (v >= 0 && v < n_classes)
			count[(int) v]++;
	}
	for (int k = 0; k < n_classes; k++)
		present += count[k] > 0;
	return present;
}

/*
 * balanced_weights returns weights over all of in's dataset rows (NULL when
 * out of memory) under which every class present among in's fitting rows
 * weighs the same in total there (AML_CLASS_WEIGHT).
 */
static double *
balanced_weights(aml_env *env, const aml_fit_input *in)
{
	int64_t		nd = in->ds->n_rows;
	int64_t		n = in->rows ? in->n_rows : nd;
	int64_t    *count = aml_calloc(env, (size_t) (in->n_classes > 0 ? in->n_classes : 1), sizeof(int64_t));
	double	   *w = aml_malloc(env, sizeof(double) * (size_t) (nd > 0 ? nd : 1));
	int			present;

	if (count == NULL || w == NULL)
	{
		aml_free(env, count);
		aml_free(env, w);
		return NULL;
	}
	for (int64_t r = 0; r < nd; r++)
		w[r] = 1.0;
	present = aml_class_counts(in->y, in->rows, n, in->n_classes, count);
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;
		float		y = in->y[r];

		if (y >= 0 && y < in->n_classes)
			w[r] = (double) n / ((double) present * (double) count[(int) y]);
	}
	aml_free(env, count);
	return w;
}

aml_status
aml_fit_params(aml_env *env, const aml_learner_ops *ops, const aml_fit_input *in,
			   const aml_params *p, void **state, aml_error *err)
{
	aml_params	q;
	aml_fit_input fi = *in;
	aml_dataset ds = *in->ds;
	double		cw,
				gen;
	double	   *w = NULL;
	aml_status	st;

	learner_params(p, &q, &cw, &gen);
	aml_ds_gens(&ds, gen != 0);
	fi.ds = &ds;
	if (cw != 0 && in->task != AML_TASK_REGRESSION && in->n_classes > 0)
	{
		w = balanced_weights(env, in);
		if (w == NULL)
			return aml_oom(env, err, sizeof(double) * (size_t) in->ds->n_rows);
		fi.w = w;
	}
	st = ops->fit(env, &fi, &q, state, err);
	aml_free(env, w);
	return st;
}

/* ---------------------------------------------------------------- datetime */

static const char *const dt_part_names[AML_DT_NPARTS] = {
	"year", "month", "day", "dow", "doy", "days", "hour"
};

const char *
aml_dt_part_name(aml_dt_part part)
{
	return dt_part_names[part];
}

/*
 * aml_dt_part_value extracts one calendar part from seconds since
 * 2000-01-01 (proleptic Gregorian, the civil-from-days algorithm).
 */
double
aml_dt_part_value(double secs, aml_dt_part part)
{
	double		dayf;
	int64_t		days;
	int64_t		z,
				era,
				doe,
				yoe,
				y,
				doy,
				mp,
				d,
				m;

	if (!isfinite(secs) || fabs(secs) > 1e14)
		return NAN;
	dayf = floor(secs / 86400.0);
	days = (int64_t) dayf;
	switch (part)
	{
		case AML_DT_EPOCH_DAYS:
			return (double) days;
		case AML_DT_HOUR:
			return floor((secs - dayf * 86400.0) / 3600.0);
		case AML_DT_DOW:
			/* 2000-01-01 was a Saturday (6 with Sunday = 0) */
			return (double) (((days + 6) % 7 + 7) % 7);
		default:
			break;
	}
	z = days + 10957 + 719468;	/* days since 0000-03-01 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	switch (part)
	{
		case AML_DT_YEAR:
			return (double) y;
		case AML_DT_MONTH:
			return (double) m;
		case AML_DT_DAY:
			return (double) d;
		case AML_DT_DOY:
			{
				/* day of the year, 1-based: March-based doy shifted */
				int			leap = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));

				return (double) (m >= 3 ? doy + 60 + leap : doy - 305);
			}
		default:
			return NAN;
	}
}

/* ---------------------------------------------------------------- model */

aml_model *
aml_model_alloc(aml_env *env)
{
	aml_model  *m = aml_calloc(env, 1, sizeof(aml_model));

	if (m == NULL)
		return NULL;
	m->env = *env;
	/* accounting of the private env starts at what this model owns */
	m->env.mem_used = 0;
	m->env.mem_peak = 0;
	m->env.mem_budget = 0;
	m->env.log = NULL;
	m->env.should_cancel = NULL;
	m->env.cancel_flag = 0;
	m->group_input = -1;
	return m;
}

/*
 * aml_model_free releases a model and its learners.  The struct itself was
 * allocated from the creator's env; the rest from the model's own copy,
 * whose allocator callbacks are the same, so freeing through the copy is
 * correct (accounting differs, which does not matter at this point).
 */
void
aml_model_free(aml_model *m)
{
	aml_env    *env;

	if (m == NULL)
		return;
	env = &m->env;
	aml_model_explainer_free(m);
	for (int k = 0; k < m->n_members; k++)
		if (m->members[k].ops && m->members[k].state)
			m->members[k].ops->free_state(env, m->members[k].state);
	aml_free(env, m->members);
	aml_free(env, m->group_key);
	aml_free(env, m->seg_start);
	for (int i = 0; i < m->n_inputs; i++)
	{
		aml_input  *in = &m->inputs[i];

		aml_free(env, in->name);
		for (int l = 0; l < in->n_levels; l++)
			aml_free(env, in->levels[l]);
		aml_free(env, in->levels);
		aml_strmap_free(env, &in->map);
	}
	aml_free(env, m->inputs);
	for (int g = 0; g < m->n_gen; g++)
	{
		aml_free(env, m->gens[g].name);
		aml_free(env, m->gens[g].inputs);
	}
	aml_free(env, m->gens);
	for (int k = 0; k < m->n_classes; k++)
		aml_free(env, m->class_labels ? m->class_labels[k] : NULL);
	aml_free(env, m->class_labels);
	aml_free(env, m->kinds);
	aml_free(env, m->n_levels);
	aml_free(env, m->feat_input);
	aml_free(env, m->feat_part);
	{
		aml_env		copy = m->env;

		aml_free(&copy, m);
	}
}

/*
 * A generated feature sums three or more numeric inputs whose names are the
 * same but for one part, where a name's parts are its runs of letters (a capital
 * after a small letter starts a new one) and of digits, compared without
 * case.  The part that differs may not be the last unless it is a number:
 * "total_day_charge", "total_eve_charge", ... sum to "total_*_charge" and
 * "pay_amt1", "pay_amt2", "pay_amt3" to "pay_amt_*", but "total_day_minutes"
 * and "total_day_calls" (other quantities) do not add up.  Pairs are left
 * out: most are not parts of one total ("x_box" and "y_box", a bill's and
 * a flipper's "*_length_mm"), a tree approximates the sum of two columns
 * with fewer splits, and each kept sum costs the search trials.  Larger
 * groups come first, then by name; at most AML_MAX_GEN.
 */
typedef struct gen_key
{
	char	   *key;
	int			input;
} gen_key;

static int
gen_key_cmp(const void *a, const void *b)
{
	const gen_key *x = a,
			   *y = b;
	int			c = strcmp(x->key, y->key);

	return c ? c : (x->input > y->input) - (x->input < y->input);
}

/* name_parts splits name into lower-case parts; returns their number */
static int
name_parts(const char *name, char parts[GEN_MAX_TOKENS][64])
{
	int			n = 0;
	const char *p = name;

	while (*p)
	{
		int			len = 0;
		int			digit;

		while (*p && !isalnum((unsigned char) *p))
			p++;
		if (!*p)
			break;
		if (n == GEN_MAX_TOKENS)
			return GEN_MAX_TOKENS + 1;
		digit = isdigit((unsigned char) *p) != 0;
		do
		{
			if (len == 63)
				return GEN_MAX_TOKENS + 1;
			parts[n][len++] = (char) tolower((unsigned char) *p);
			p++;
		} while (*p && isalnum((unsigned char) *p) &&
				 (isdigit((unsigned char) *p) != 0) == digit &&
				 !(isupper((unsigned char) *p) && islower((unsigned char) p[-1])));
		parts[n++][len] = '\0';
	}
	return n;
}

typedef struct gen_group
{
	const char *key;
	int			start;			/* first key of the group */
	int			n;
} gen_group;

static int
gen_group_cmp(const void *a, const void *b)
{
	const gen_group *x = a,
			   *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

aml_status
aml_model_find_gens(aml_model *m, aml_error *err)
{
	aml_env    *env = &m->env;
	gen_key    *keys;
	gen_group  *groups;
	int			nk = 0,
				ng = 0;
	aml_status	st = AML_OK;
	char		(*parts)[64] = aml_malloc(env, sizeof(char[GEN_MAX_TOKENS + 1][64]));

	keys = aml_calloc(env, (size_t) (m->n_inputs ? m->n_inputs : 1) * GEN_MAX_TOKENS, sizeof(gen_key));
	groups = aml_calloc(env, (size_t) (m->n_inputs ? m->n_inputs : 1) * GEN_MAX_TOKENS, sizeof(gen_group));
	if (parts == NULL || keys == NULL || groups == NULL)
	{
		st = aml_oom(env, err, (size_t) m->n_inputs * GEN_MAX_TOKENS * 24);
		goto done;
	}
	for (int i = 0; i < m->n_inputs; i++)
	{
		int			np;

		if (m->inputs[i].kind != AML_COL_NUMERIC)
			continue;
		np = name_parts(m->inputs[i].name, parts);
		if (np < 2 || np > GEN_MAX_TOKENS)
			continue;
		for (int k = 0; k < np; k++)
		{
			char		buf[GEN_MAX_TOKENS * 65];
			size_t		len = 0;

			if (k == np - 1 && !isdigit((unsigned char) parts[k][0]))
				continue;
			for (int t = 0; t < np; t++)
				len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s",
										 t ? "_" : "", t == k ? "*" : parts[t]);
			keys[nk].key = aml_strdup(env, buf);
			keys[nk].input = i;
			if (keys[nk].key == NULL)
			{
				st = aml_oom(env, err, len + 1);
				goto done;
			}
			nk++;
		}
	}
	qsort(keys, (size_t) nk, sizeof(gen_key), gen_key_cmp);
	for (int a = 0; a < nk;)
	{
		int			b = a + 1;

		while (b < nk && strcmp(keys[b].key, keys[a].key) == 0)
			b++;
		if (b - a >= 3)
		{
			groups[ng].key = keys[a].key;
			groups[ng].start = a;
			groups[ng].n = b - a;
			ng++;
		}
		a = b;
	}
	qsort(groups, (size_t) ng, sizeof(gen_group), gen_group_cmp);
	if (ng > AML_MAX_GEN)
		ng = AML_MAX_GEN;
	m->gens = aml_calloc(env, (size_t) (ng ? ng : 1), sizeof(aml_gen));
	if (m->gens == NULL)
	{
		st = aml_oom(env, err, (size_t) ng * sizeof(aml_gen));
		goto done;
	}
	for (int g = 0; g < ng; g++)
	{
		aml_gen    *gen = &m->gens[g];

		gen->name = aml_strdup(env, groups[g].key);
		gen->inputs = aml_malloc(env, sizeof(int) * (size_t) groups[g].n);
		m->n_gen = g + 1;
		if (gen->name == NULL || gen->inputs == NULL)
		{
			st = aml_oom(env, err, sizeof(int) * (size_t) groups[g].n);
			goto done;
		}
		gen->n = groups[g].n;
		for (int k = 0; k < gen->n; k++)
			gen->inputs[k] = keys[groups[g].start + k].input;
	}
done:
	for (int k = 0; k < nk; k++)
		aml_free(env, keys[k].key);
	aml_free(env, keys);
	aml_free(env, groups);
	aml_free(env, parts);
	return st;
}

void
aml_model_drop_gens(aml_model *m)
{
	aml_env    *env = &m->env;

	for (int g = 0; g < m->n_gen; g++)
	{
		aml_free(env, m->gens[g].name);
		aml_free(env, m->gens[g].inputs);
	}
	aml_free(env, m->gens);
	m->gens = NULL;
	m->n_feat -= m->n_gen;
	m->n_gen = 0;
}

int
aml_member_uses_gens(const aml_member *mb)
{
	return aml_params_get(&mb->params, AML_GEN_FEATURES, 0) != 0;
}

/*
 * aml_model_derive_features lays out the features: one per numeric or
 * categorical input, the calendar parts of each datetime input, then the
 * generated features.
 */
aml_status
aml_model_derive_features(aml_model *m, aml_error *err)
{
	aml_env    *env = &m->env;
	int			n = 0;

	for (int i = 0; i < m->n_inputs; i++)
	{
		aml_input  *in = &m->inputs[i];

		in->feat_start = n;
		if (in->kind == AML_COL_DATETIME)
			in->n_feat = in->has_time ? AML_DT_NPARTS : AML_DT_NPARTS - 1;
		else
			in->n_feat = 1;
		n += in->n_feat;
	}
	n += m->n_gen;
	m->n_feat = n;
	m->kinds = aml_calloc(env, n ? n : 1, sizeof(aml_feat_kind));
	m->n_levels = aml_calloc(env, n ? n : 1, sizeof(int));
	m->feat_input = aml_calloc(env, n ? n : 1, sizeof(int));
	m->feat_part = aml_calloc(env, n ? n : 1, sizeof(int));
	if (!m->kinds || !m->n_levels || !m->feat_input || !m->feat_part)
		return aml_oom(env, err, (size_t) n * 16);
	for (int i = 0; i < m->n_inputs; i++)
	{
		aml_input  *in = &m->inputs[i];

		for (int p = 0; p < in->n_feat; p++)
		{
			int			j = in->feat_start + p;

			m->feat_input[j] = i;
			m->feat_part[j] = p;
			if (in->kind == AML_COL_CATEGORICAL)
			{
				m->kinds[j] = AML_FEAT_CATEGORICAL;
				m->n_levels[j] = in->n_levels + 1;	/* + "other" */
			}
			else
				m->kinds[j] = AML_FEAT_NUMERIC;
		}
	}
	for (int g = 0; g < m->n_gen; g++)
	{
		int			j = n - m->n_gen + g;

		m->feat_input[j] = -1;
		m->feat_part[j] = g;
		m->kinds[j] = AML_FEAT_NUMERIC;
	}
	return AML_OK;
}

void
aml_model_schema(const aml_model *m, aml_dataset *ds)
{
	ds->n_rows = 0;
	ds->n_feat = m->n_feat;
	ds->n_gen = m->n_gen;
	ds->col = NULL;
	ds->kind = m->kinds;
	ds->n_levels = m->n_levels;
}

void
aml_model_gen_fill(const aml_model *m, int g,
				   const float *(*col) (const void *ctx, int j), const void *ctx,
				   int64_t n, float *dst)
{
	const aml_gen *gen = &m->gens[g];

	for (int k = 0; k < gen->n; k++)
	{
		const float *src = col(ctx, m->inputs[gen->inputs[k]].feat_start);

		if (k == 0)
			memcpy(dst, src, (size_t) n * sizeof(float));
		else
			for (int64_t r = 0; r < n; r++)
				dst[r] += src[r];	/* a missing part (NaN) stays missing */
	}
	for (int64_t r = 0; r < n; r++)
		if (!isfinite(dst[r]))
			dst[r] = NAN;
}

/* encoded feature columns: feature j at cols + j * stride */
typedef struct strided_cols
{
	float	   *cols;
	size_t		stride;
} strided_cols;

static const float *
strided_col(const void *ctx, int j)
{
	const strided_cols *sc = ctx;

	return sc->cols + (size_t) j * sc->stride;
}

/*
 * encode_base writes the base features for n raw rows into cols, feature
 * j's value of row r at cols[j * stride + r].
 */
static void
encode_base(const aml_model *m, int n, const double *in, float *cols, size_t stride)
{
	int			ni = m->n_inputs;

	/* one row of numeric and categorical inputs: no inner loops */
	if (n == 1 && stride == 1 && m->n_feat == ni)
	{
		for (int i = 0; i < ni; i++)
		{
			const aml_input *inp = &m->inputs[i];
			double		v = in[i];
			float	   *dst = cols + inp->feat_start;

			if (inp->kind == AML_COL_NUMERIC)
				*dst = isfinite(v) ? (float) v : NAN;
			else if (isnan(v))
				*dst = NAN;
			else if (v < 0 || v >= inp->n_levels)
				*dst = (float) inp->n_levels;	/* other / unseen */
			else
				*dst = (float) (int32_t) v;
		}
		return;
	}
	for (int i = 0; i < ni; i++)
	{
		const aml_input *inp = &m->inputs[i];
		float	   *dst = cols + (size_t) inp->feat_start * stride;

		switch (inp->kind)
		{
			case AML_COL_NUMERIC:
				for (int r = 0; r < n; r++)
				{
					double		v = in[(size_t) r * ni + i];

					dst[r] = isfinite(v) ? (float) v : NAN;
				}
				break;
			case AML_COL_CATEGORICAL:
				for (int r = 0; r < n; r++)
				{
					double		v = in[(size_t) r * ni + i];

					if (isnan(v))
						dst[r] = NAN;
					else if (v < 0 || v >= inp->n_levels)
						dst[r] = (float) inp->n_levels;	/* other / unseen */
					else
						dst[r] = (float) (int32_t) v;
				}
				break;
			case AML_COL_DATETIME:
				for (int p = 0; p < inp->n_feat; p++)
					for (int r = 0; r < n; r++)
					{
						double		v = aml_dt_part_value(in[(size_t) r * ni + i], (aml_dt_part) p);

						dst[(size_t) p * stride + r] = isfinite(v) ? (float) v : NAN;
					}
				break;
		}
	}
}

/*
 * encode_rows writes the features for n raw rows into cols, feature j's
 * value of row r at cols[j * stride + r]: the base features, then the
 * generated ones from them.
 */
static void
encode_rows(const aml_model *m, int n, const double *in, float *cols, size_t stride)
{
	encode_base(m, n, in, cols, stride);
	if (m->n_gen > 0)
	{
		strided_cols sc = {cols, stride};

		for (int g = 0; g < m->n_gen; g++)
			aml_model_gen_fill(m, g, strided_col, &sc, n,
							   cols + (size_t) (m->n_feat - m->n_gen + g) * stride);
	}
}

/*
 * aml_model_encode_block writes base features for n raw rows into cols,
 * column j at cols + j * AML_BLOCK.
 */
void
aml_model_encode_block(const aml_model *m, int n, const double *in, float *cols)
{
	encode_rows(m, n, in, cols, AML_BLOCK);
}

aml_task
aml_model_task(const aml_model *m)
{
	return m->task;
}

aml_algo
aml_model_algo(const aml_model *m)
{
	return m->algo;
}

int
aml_model_n_inputs(const aml_model *m)
{
	return m->n_inputs;
}

const char *
aml_model_input_name(const aml_model *m, int i)
{
	return m->inputs[i].name;
}

aml_col_kind
aml_model_input_kind(const aml_model *m, int i)
{
	return m->inputs[i].kind;
}

int32_t
aml_model_input_code(const aml_model *m, int i, const char *str, size_t len)
{
	const aml_input *in = &m->inputs[i];

	if (in->kind != AML_COL_CATEGORICAL)
		return -1;
	return aml_strmap_find(&in->map, in->levels, str, len);
}

int
aml_model_n_classes(const aml_model *m)
{
	return m->n_classes;
}

const char *
aml_model_class_label(const aml_model *m, int k)
{
	if (k < 0 || k >= m->n_classes)
		return NULL;
	return m->class_labels[k];
}

int
aml_model_n_outputs(const aml_model *m)
{
	return aml_task_outputs(m->task, m->n_classes);
}

size_t
aml_model_scratch_size(const aml_model *m)
{
	int			no = aml_model_n_outputs(m);
	size_t		sz = (size_t) m->n_feat * AML_BLOCK * sizeof(float) +
		(size_t) (m->n_feat + 1) * sizeof(float *) +
		(size_t) AML_BLOCK * no * sizeof(double) + 64;

	/* per-group: each row's segment, one segment's rows and outputs */
	if (m->n_groups > 0)
		sz += (size_t) AML_BLOCK * (sizeof(int) + sizeof(int64_t) + no * sizeof(double));
	return sz;
}

int
aml_model_segment(const aml_model *m, double v)
{
	int			lo = 0,
				hi = m->n_groups - 1;

	/* NaN compares false both ways and falls through to the last segment */
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (m->group_key[mid] < v)
			lo = mid + 1;
		else if (m->group_key[mid] > v)
			hi = mid - 1;
		else if (m->group_key[mid] == v)
			return mid;
		else
			break;
	}
	return m->n_groups;
}

void
aml_member_predict(const aml_member *mb, int n_out, const aml_dataset *ds,
				   const int64_t *idx, int64_t n, double *out)
{
	mb->ops->predict(mb->state, ds, idx, n, out);
	if (aml_member_calibrated(mb))
		aml_calibrate(n_out, mb->temp, n, out);
}

/*
 * predict_members writes into o the weighted sum of members [e0, e1)'s
 * outputs for n rows of ds (idx NULL: rows 0..n-1); tmp holds n x no.
 */
static void
predict_members(const aml_model *m, int e0, int e1, const aml_dataset *ds,
				const int64_t *idx, int64_t n, double *o, double *tmp)
{
	int			no = aml_model_n_outputs(m);

	if (e1 - e0 == 1)
	{
		aml_member_predict(&m->members[e0], no, ds, idx, n, o);
		return;
	}
	for (int64_t k = 0; k < n * no; k++)
		o[k] = 0.0;
	for (int e = e0; e < e1; e++)
	{
		const aml_member *mb = &m->members[e];

		aml_member_predict(mb, no, ds, idx, n, tmp);
		for (int64_t k = 0; k < n * no; k++)
			o[k] += mb->weight * tmp[k];
	}
}

/*
 * aml_model_predict scores rows a block at a time; ensemble members'
 * outputs are averaged with their weights; a per-group model scores each
 * row with its segment's members.
 */
void
aml_model_predict(const aml_model *m, int64_t n, const double *in,
				  double *out, void *scratch)
{
	int			no = aml_model_n_outputs(m);
	float	   *cols = scratch;
	const float **ptrs = (const float **) ((char *) scratch +
										   (size_t) m->n_feat * AML_BLOCK * sizeof(float));
	double	   *tmp = (double *) ((char *) ptrs + (size_t) (m->n_feat + 1) * sizeof(float *));
	double	   *sout = tmp + (size_t) AML_BLOCK * no;
	int64_t    *sidx = (int64_t *) (sout + (size_t) AML_BLOCK * no);
	int		   *seg = (int *) (sidx + AML_BLOCK);
	size_t		stride;
	aml_dataset ds;

	/*
	 * One row (per-row scoring in SQL) is encoded contiguously, so that its
	 * features share a few cache lines; blocks are column-major.
	 */
	stride = n == 1 ? 1 : AML_BLOCK;
	for (int j = 0; j < m->n_feat; j++)
		ptrs[j] = cols + (size_t) j * stride;
	aml_model_schema(m, &ds);
	ds.col = ptrs;

	for (int64_t start = 0; start < n; start += AML_BLOCK)
	{
		int			b = (int) (n - start < AML_BLOCK ? n - start : AML_BLOCK);
		const double *raw = in + start * m->n_inputs;
		double	   *o = out + start * no;
		int			mixed = 0;

		encode_rows(m, b, raw, cols, stride);
		ds.n_rows = b;
		if (m->n_groups == 0)
		{
			predict_members(m, 0, m->n_members, &ds, NULL, b, o, tmp);
			continue;
		}
		for (int r = 0; r < b; r++)
		{
			seg[r] = aml_model_segment(m, raw[(size_t) r * m->n_inputs + m->group_input]);
			mixed |= seg[r] != seg[0];
		}
		if (!mixed)
		{
			predict_members(m, m->seg_start[seg[0]], m->seg_start[seg[0] + 1],
							&ds, NULL, b, o, tmp);
			continue;
		}
		/* the block's rows, one segment at a time (seg -1: done) */
		for (int r0 = 0; r0 < b; r0++)
		{
			int			s = seg[r0];
			int64_t		cnt = 0;

			if (s < 0)
				continue;
			for (int r = r0; r < b; r++)
				if (seg[r] == s)
				{
					sidx[cnt++] = r;
					seg[r] = -1;
				}
			predict_members(m, m->seg_start[s], m->seg_start[s + 1], &ds, sidx, cnt, sout, tmp);
			for (int64_t i = 0; i < cnt; i++)
				memcpy(o + sidx[i] * no, sout + i * no, (size_t) no * sizeof(double));
		}
	}
}

/* ---------------------------------------------------------------- scorer */

struct aml_scorer
{
	aml_env    *env;
	const aml_model *m;
	aml_tpool  *pool;			/* NULL: the caller alone */
	size_t		scratch_size;	/* per thread, rounded to 64 bytes */
	char	   *scratch;		/* one per thread */
	/* the job being run */
	int64_t		n;
	int64_t		chunk;
	const double *in;
	double	   *out;
	int			pending;		/* tasks of the started job */
	int			started;		/* a job was started and not waited for */
};

/* scorer_task scores chunk `task` of the job with the worker's scratch. */
static void
scorer_task(void *arg, int task, int worker)
{
	aml_scorer *s = arg;
	int64_t		a = (int64_t) task * s->chunk;
	int64_t		b = a + s->chunk < s->n ? a + s->chunk : s->n;

	aml_model_predict(s->m, b - a, s->in + a * s->m->n_inputs,
					  s->out + a * aml_model_n_outputs(s->m),
					  s->scratch + (size_t) worker * s->scratch_size);
}

aml_scorer *
aml_scorer_create(aml_env *env, const aml_model *m, int n_threads)
{
	aml_scorer *s = aml_calloc(env, 1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->env = env;
	s->m = m;
	s->pool = aml_tpool_create(env, n_threads);
	s->scratch_size = (aml_model_scratch_size(m) + 63) & ~(size_t) 63;
	s->scratch = aml_malloc(env, s->scratch_size * (size_t) aml_tpool_size(s->pool));
	if (s->scratch == NULL)
	{
		aml_scorer_free(s);
		return NULL;
	}
	return s;
}

/*
 * aml_scorer_predict scores the rows a block of AML_BLOCK rows per task, so
 * that a thread the kernel leaves waiting (a busy machine) holds up little
 * of the job: the others take the remaining blocks.  Waits for all.
 */
void
aml_scorer_predict(aml_scorer *s, int64_t n, const double *in, double *out)
{
	s->n = n;
	s->in = in;
	s->out = out;
	s->chunk = AML_BLOCK;
	aml_tpool_run(s->pool, scorer_task, s, (int) ((n + AML_BLOCK - 1) / AML_BLOCK));
}

/*
 * aml_scorer_start hands the rows to the worker threads and returns at
 * once; aml_scorer_wait scores what they have not taken in the caller and
 * waits for the rest (with one thread, it scores everything).  in and out
 * must not be touched in between.
 */
void
aml_scorer_start(aml_scorer *s, int64_t n, const double *in, double *out)
{
	s->n = n;
	s->in = in;
	s->out = out;
	s->chunk = AML_BLOCK;
	s->pending = (int) ((n + AML_BLOCK - 1) / AML_BLOCK);
	s->started = 1;
	aml_tpool_start(s->pool, scorer_task, s, s->pending);
}

void
aml_scorer_wait(aml_scorer *s)
{
	if (!s->started)
		return;
	if (s->pool == NULL)
		for (int t = 0; t < s->pending; t++)
			scorer_task(s, t, 0);
	else
		aml_tpool_wait(s->pool);	/* even for no tasks: the workers report */
	s->pending = 0;
	s->started = 0;
}

void
aml_scorer_free(aml_scorer *s)
{
	if (s == NULL)
		return;
	aml_scorer_wait(s);
	aml_tpool_free(s->pool);
	aml_free(s->env, s->scratch);
	aml_free(s->env, s);
}

int
aml_model_decide(const aml_model *m, const double *o)
{
	int			best = 0;

	if (m->task == AML_TASK_REGRESSION)
		return -1;
	if (m->task == AML_TASK_BINARY)
		return o[0] >= 0.5 ? 1 : 0;
	for (int k = 1; k < m->n_classes; k++)
		if (o[k] > o[best])
			best = k;
	return best;
}

/* ---------------------------------------------------------------- format */

static void
write_params(aml_wbuf *b, const aml_params *p)
{
	aml_w_u32(b, (uint32_t) p->n);
	for (int i = 0; i < p->n; i++)
	{
		aml_w_str(b, p->name[i]);
		aml_w_f64(b, p->value[i]);
	}
}

static int
read_params(aml_rbuf *b, aml_env *env, aml_params *p)
{
	uint32_t	n;

	memset(p, 0, sizeof(*p));
	if (aml_r_u32(b, &n) < 0 || n > AML_MAX_PARAMS)
		return -1;
	for (uint32_t i = 0; i < n; i++)
	{
		char	   *name;
		double		v;

		if (aml_r_str(b, env, &name, sizeof(p->name[0]) - 1) < 0)
			return -1;
		if (aml_r_f64(b, &v) < 0)
		{
			aml_free(env, name);
			return -1;
		}
		strcpy(p->name[i], name);
		p->value[i] = v;
		aml_free(env, name);
	}
	p->n = (int) n;
	return 0;
}

/*
 * format_version is the oldest format that holds m: 1 unless it needs 2
 * (generated features), 3 (per group) or 4 (calibrated members), so that
 * a model stays readable by older builds when it can.
 */
static int
format_version(const aml_model *m)
{
	for (int e = 0; e < m->n_members; e++)
		if (aml_member_calibrated(&m->members[e]))
			return 4;
	return m->n_groups > 0 ? 3 : m->n_gen > 0 ? 2 : 1;
}

static void
write_payload(const aml_model *m, aml_wbuf *b)
{
	int			version = format_version(m);

	aml_w_u8(b, (uint8_t) m->task);
	aml_w_u8(b, (uint8_t) m->algo);
	aml_w_u32(b, (uint32_t) m->n_classes);
	for (int k = 0; k < m->n_classes; k++)
		aml_w_str(b, m->class_labels[k]);
	aml_w_u32(b, (uint32_t) m->n_inputs);
	for (int i = 0; i < m->n_inputs; i++)
	{
		const aml_input *in = &m->inputs[i];

		aml_w_str(b, in->name);
		aml_w_u8(b, (uint8_t) in->kind);
		aml_w_u8(b, (uint8_t) in->has_time);
		aml_w_u32(b, (uint32_t) in->n_levels);
		for (int l = 0; l < in->n_levels; l++)
			aml_w_str(b, in->levels[l]);
	}
	if (version >= 2)
	{
		aml_w_u32(b, (uint32_t) m->n_gen);
		for (int g = 0; g < m->n_gen; g++)
		{
			aml_w_str(b, m->gens[g].name);
			aml_w_u32(b, (uint32_t) m->gens[g].n);
			for (int k = 0; k < m->gens[g].n; k++)
				aml_w_u32(b, (uint32_t) m->gens[g].inputs[k]);
		}
	}
	write_params(b, &m->params);
	aml_w_u32(b, (uint32_t) m->n_members);
	for (int e = 0; e < m->n_members; e++)
	{
		const aml_member *mb = &m->members[e];
		aml_wbuf	cnt = {0};
		size_t		len;

		mb->ops->write(mb->state, &cnt);
		len = cnt.len;
		aml_w_bytes(b, &(uint16_t) {(uint16_t) mb->ops->algo}, 2);
		aml_w_f64(b, mb->weight);
		if (version >= 4)
			aml_w_f64(b, aml_member_calibrated(mb) ? mb->temp : 1.0);
		write_params(b, &mb->params);
		aml_w_u64(b, (uint64_t) len);
		mb->ops->write(mb->state, b);
	}
	if (m->n_groups > 0)
	{
		aml_w_u32(b, (uint32_t) m->group_input);
		aml_w_u32(b, (uint32_t) m->n_groups);
		for (int g = 0; g < m->n_groups; g++)
			aml_w_f64(b, m->group_key[g]);
		for (int g = 0; g <= m->n_groups + 1; g++)
			aml_w_u32(b, (uint32_t) m->seg_start[g]);
	}
}

#define HEADER_LEN (4 + 2 + 2 + 8)

size_t
aml_model_serialized_size(const aml_model *m)
{
	aml_wbuf	b = {0};

	write_payload(m, &b);
	return HEADER_LEN + b.len + 4;
}

aml_status
aml_model_serialize(const aml_model *m, uint8_t *buf, size_t cap, aml_error *err)
{
	aml_wbuf	b;
	aml_wbuf	at_len;
	uint32_t	crc;

	b.data = buf;
	b.cap = cap;
	b.len = 0;
	b.overflow = 0;
	aml_w_bytes(&b, "AML", 4);
	aml_w_bytes(&b, &(uint16_t) {(uint16_t) format_version(m)}, 2);
	aml_w_bytes(&b, &(uint16_t) {(uint16_t) m->algo}, 2);
	/* the payload's length, written once the payload is (one pass, not two) */
	aml_w_u64(&b, 0);
	write_payload(m, &b);
	if (b.overflow || b.len + 4 != cap)
		return aml_set_error(err, AML_EINVAL, "model buffer of %zu bytes does not fit the model (%s)",
							 cap, b.overflow || b.len + 4 > cap ? "too small" : "too large");
	at_len.data = buf + 8;
	at_len.cap = 8;
	at_len.len = 0;
	at_len.overflow = 0;
	aml_w_u64(&at_len, (uint64_t) (b.len - HEADER_LEN));
	crc = aml_crc32c(0, buf, b.len);
	aml_w_u32(&b, crc);
	return AML_OK;
}

static aml_status
corrupt(aml_error *err, const char *what)
{
	aml_set_error(err, AML_EFORMAT, "automl model data is corrupt");
	aml_set_detail(err, "%s", what);
	return AML_EFORMAT;
}

/*
 * aml_model_deserialize checks the framing and checksum, then parses the
 * payload, validating every count against what is left in the buffer.
 */
aml_status
aml_model_deserialize(aml_env *env, const uint8_t *buf, size_t len,
					  aml_model **out, aml_error *err)
{
	aml_rbuf	b = {buf, len, 0, 0};
	uint8_t		magic[4];
	uint16_t	version,
				algo16;
	uint64_t	plen;
	uint32_t	crc,
				stored_crc,
				n;
	uint8_t		u8;
	aml_model  *m;
	aml_status	st;

	*out = NULL;
	if (len < HEADER_LEN + 4)
		return corrupt(err, "The model is shorter than its header.");
	aml_r_bytes(&b, magic, 4);
	if (memcmp(magic, "AML", 4) != 0)
		return corrupt(err, "The model does not start with the automl magic bytes.");
	aml_r_bytes(&b, &version, 2);
	if (version < 1 || version > AML_FORMAT_VERSION)
	{
		aml_set_error(err, AML_EFORMAT, "unsupported automl model format version %u", version);
		aml_set_detail(err, "This build reads format versions 1 to %d.", AML_FORMAT_VERSION);
		aml_set_hint(err, "Upgrade the automl extension, or retrain the model.");
		return AML_EFORMAT;
	}
	aml_r_bytes(&b, &algo16, 2);
	aml_r_u64(&b, &plen);
	if (plen != len - HEADER_LEN - 4)
		return corrupt(err, "The payload length does not match the model's size.");
	memcpy(&stored_crc, buf + len - 4, 4);
	crc = aml_crc32c(0, buf, len - 4);
	if (crc != stored_crc)
		return corrupt(err, "The checksum does not match.");
	b.len = len - 4;

	m = aml_model_alloc(env);
	if (m == NULL)
		return aml_oom(env, err, sizeof(aml_model));
	env = &m->env;

	if (aml_r_u8(&b, &u8) < 0 || u8 < AML_TASK_BINARY || u8 > AML_TASK_REGRESSION)
		goto bad;
	m->task = (aml_task) u8;
	if (aml_r_u8(&b, &u8) < 0 || u8 >= AML_ALGO_COUNT || u8 != algo16)
		goto bad;
	m->algo = (aml_algo) u8;
	if (aml_r_u32(&b, &n) < 0 || n > MAX_CLASSES || n > aml_r_left(&b) / 4)
		goto bad;
	if ((m->task == AML_TASK_REGRESSION) != (n == 0) ||
		(m->task == AML_TASK_BINARY && n != 2) ||
		(m->task == AML_TASK_MULTICLASS && n < 3))
		goto bad;
	if (n)
	{
		m->class_labels = aml_calloc(env, n, sizeof(char *));
		if (m->class_labels == NULL)
			goto oom;
		m->n_classes = (int) n;
		for (uint32_t k = 0; k < n; k++)
			if (aml_r_str(&b, env, &m->class_labels[k], MAX_STR) < 0)
				goto bad;
	}
	if (aml_r_u32(&b, &n) < 0 || n > MAX_INPUTS || n > aml_r_left(&b) / 10)
		goto bad;
	m->inputs = aml_calloc(env, n ? n : 1, sizeof(aml_input));
	if (m->inputs == NULL)
		goto oom;
	m->n_inputs = (int) n;
	for (uint32_t i = 0; i < n; i++)
	{
		aml_input  *in = &m->inputs[i];
		uint32_t	nl;
		uint8_t		kind,
					has_time;

		if (aml_r_str(&b, env, &in->name, MAX_STR) < 0 ||
			aml_r_u8(&b, &kind) < 0 || kind > AML_COL_DATETIME ||
			aml_r_u8(&b, &has_time) < 0 || has_time > 1 ||
			aml_r_u32(&b, &nl) < 0 || nl > MAX_LEVELS || nl > aml_r_left(&b) / 4 ||
			(kind != AML_COL_CATEGORICAL && nl != 0))
			goto bad;
		in->kind = (aml_col_kind) kind;
		in->has_time = has_time;
		if (nl)
		{
			in->levels = aml_calloc(env, nl, sizeof(char *));
			if (in->levels == NULL)
				goto oom;
			for (uint32_t l = 0; l < nl; l++)
			{
				if (aml_r_str(&b, env, &in->levels[l], MAX_STR) < 0)
					goto bad;
				in->n_levels = (int32_t) l + 1;
				if (aml_strmap_find(&in->map, in->levels, in->levels[l],
									strlen(in->levels[l])) >= 0)
					goto bad;	/* duplicate level */
				if (aml_strmap_add(env, &in->map, in->levels, (int32_t) l) < 0)
					goto oom;
			}
		}
	}
	if (version >= 2)
	{
		if (aml_r_u32(&b, &n) < 0 || (version == 2 && n < 1) || n > AML_MAX_GEN)
			goto bad;
		m->gens = n ? aml_calloc(env, n, sizeof(aml_gen)) : NULL;
		if (n && m->gens == NULL)
			goto oom;
		for (uint32_t g = 0; g < n; g++)
		{
			aml_gen    *gen = &m->gens[g];
			uint32_t	k,
						v;

			m->n_gen = (int) g + 1;
			if (aml_r_str(&b, env, &gen->name, MAX_STR) < 0 ||
				aml_r_u32(&b, &k) < 0 || k < 3 || k > (uint32_t) m->n_inputs)
				goto bad;
			gen->inputs = aml_malloc(env, sizeof(int) * k);
			if (gen->inputs == NULL)
				goto oom;
			for (uint32_t t = 0; t < k; t++)
			{
				if (aml_r_u32(&b, &v) < 0 || v >= (uint32_t) m->n_inputs ||
					m->inputs[v].kind != AML_COL_NUMERIC ||
					(t > 0 && (int) v <= gen->inputs[t - 1]))
					goto bad;
				gen->inputs[t] = (int) v;
				gen->n = (int) t + 1;
			}
		}
	}
	if ((st = aml_model_derive_features(m, err)) != AML_OK)
	{
		aml_model_free(m);
		return st;
	}
	if (read_params(&b, env, &m->params) < 0)
		goto bad;
	if (aml_r_u32(&b, &n) < 0 || n < 1 || n > MAX_MEMBERS || n > aml_r_left(&b) / 22)
		goto bad;
	m->members = aml_calloc(env, n, sizeof(aml_member));
	if (m->members == NULL)
		goto oom;
	for (uint32_t e = 0; e < n; e++)
	{
		aml_member *mb = &m->members[e];
		uint16_t	a;
		uint64_t	llen;
		aml_rbuf	sub;
		aml_dataset schema;

		if (aml_r_bytes(&b, &a, 2) < 0 || a >= AML_ALGO_COUNT ||
			(mb->ops = aml_learner_for((aml_algo) a)) == NULL ||
			aml_r_f64(&b, &mb->weight) < 0 || !isfinite(mb->weight) ||
			(version >= 4 && (aml_r_f64(&b, &mb->temp) < 0 ||
							  !(mb->temp >= AML_TEMP_MIN && mb->temp <= AML_TEMP_MAX))) ||
			read_params(&b, env, &mb->params) < 0 ||
			aml_r_u64(&b, &llen) < 0 || llen > aml_r_left(&b))
		{
			mb->ops = NULL;
			goto bad;
		}
		sub.data = b.data + b.pos;
		sub.len = (size_t) llen;
		sub.pos = 0;
		sub.bad = 0;
		aml_model_schema(m, &schema);
		aml_ds_gens(&schema, aml_member_uses_gens(mb));
		st = mb->ops->read(env, &sub, &schema, m->task, m->n_classes, &mb->state, err);
		if (st != AML_OK)
		{
			mb->state = NULL;
			m->n_members = (int) e;
			aml_model_free(m);
			if (st == AML_EFORMAT)
			{
				char		what[256];

				snprintf(what, sizeof(what), "%s", err->msg[0] ? err->msg : "A learner's state is invalid.");
				return corrupt(err, what);
			}
			return st;
		}
		m->n_members = (int) e + 1;
		if (sub.pos != sub.len)
			goto bad;
		b.pos += (size_t) llen;
	}
	if (m->algo == AML_ALGO_PER_GROUP && version < 3)
		goto bad;
	if (m->algo == AML_ALGO_PER_GROUP)
	{
		uint32_t	gi,
					ng,
					v;

		if (aml_r_u32(&b, &gi) < 0 || gi >= (uint32_t) m->n_inputs ||
			m->inputs[gi].kind == AML_COL_DATETIME ||
			aml_r_u32(&b, &ng) < 0 || ng < 1 || ng >= n ||
			ng > aml_r_left(&b) / 12)
			goto bad;
		m->group_key = aml_malloc(env, (size_t) ng * sizeof(double));
		m->seg_start = aml_malloc(env, ((size_t) ng + 2) * sizeof(int));
		if (m->group_key == NULL || m->seg_start == NULL)
			goto oom;
		for (uint32_t g = 0; g < ng; g++)
			if (aml_r_f64(&b, &m->group_key[g]) < 0 || !isfinite(m->group_key[g]) ||
				(g > 0 && !(m->group_key[g] > m->group_key[g - 1])))
				goto bad;
		for (uint32_t g = 0; g <= ng + 1; g++)
		{
			/* segments are non-empty, in order, and cover every member */
			if (aml_r_u32(&b, &v) < 0 || v > n ||
				(g == 0 && v != 0) || (g > 0 && (int) v <= m->seg_start[g - 1]) ||
				(g == ng + 1 && v != n))
				goto bad;
			m->seg_start[g] = (int) v;
		}
		m->group_input = (int) gi;
		m->n_groups = (int) ng;
	}
	if (b.pos != b.len)
		goto bad;
	*out = m;
	return AML_OK;

bad:
	aml_model_free(m);
	return corrupt(err, "A length, count or value in the model is out of range.");
oom:
	aml_model_free(m);
	return aml_set_error(err, AML_ENOMEM, "out of memory reading an automl model");
}

/* ---------------------------------------------------------------- learners */

const aml_learner_ops *
aml_learner_for(aml_algo algo)
{
	switch (algo)
	{
		case AML_ALGO_BASELINE:
			return &aml_baseline_ops;
		case AML_ALGO_LINEAR:
			return &aml_linear_ops;
		case AML_ALGO_DECISION_TREE:
			return &aml_tree_ops;
		case AML_ALGO_GBDT:
			return &aml_gbdt_ops;
		case AML_ALGO_RANDOM_FOREST:
			return &aml_forest_ops;
		case AML_ALGO_EXTRA_TREES:
			return &aml_extra_trees_ops;
		default:
			return NULL;
	}
}
