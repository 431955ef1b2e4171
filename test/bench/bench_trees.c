/*-------------------------------------------------------------------------
 *
 * bench_trees.c
 *	  Core-only tree benchmark: loads the CSV written by bench_trees.py
 *	  (id, is_test, y, x0..), fits a tree learner through its learner ops
 *	  on the training rows (is_test = 0), and times the fit and the block
 *	  prediction of every row, in one thread and split over `threads`
 *	  threads (as parallel scan workers would).  No PostgreSQL.
 *
 * Usage: bench_trees CSV LEARNER REPS THREADS [name=value ...]
 *	 LEARNER is gbdt, random_forest or extra_trees; name=value are learner
 *	 parameters.  Prints "key value" lines: core_<learner>_fit (median of
 *	 REPS), _predict1 (all rows, one thread), _predict (all rows, THREADS
 *	 threads), _auc (test rows), _nodes, _peak_mb (the core's accounted
 *	 peak memory of a fit).
 *
 * Build: gcc -O2 -std=c11 -D_GNU_SOURCE -Isrc/core test/bench/bench_trees.c
 *		  src/core/[a-z]*.c -lopenblas -lpthread -lm
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tree.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
die(const char *msg)
{
	fprintf(stderr, "bench_trees: %s\n", msg);
	exit(1);
}

typedef struct bench_data
{
	int64_t		n;
	int			F;
	float	  **col;
	float	   *y;
	uint8_t    *is_test;
} bench_data;

/* parse_field reads one float field; "nan" or empty is NaN. */
static float
parse_field(char **p)
{
	char	   *s = *p;
	char	   *e;
	float		v;

	if (*s == ',' || *s == '\n' || *s == '\0' || *s == 'n' || *s == 'N')
	{
		while (*s && *s != ',' && *s != '\n')
			s++;
		*p = s;
		return NAN;
	}
	v = strtof(s, &e);
	*p = e;
	return v;
}

static void
load_csv(const char *path, bench_data *d)
{
	FILE	   *f = fopen(path, "rb");
	long		sz;
	char	   *buf,
			   *p;
	int64_t		cap,
				n = 0;
	int			F = 0;

	if (!f)
		die("cannot open the CSV");
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(sz + 1);
	if (!buf || fread(buf, 1, sz, f) != (size_t) sz)
		die("cannot read the CSV");
	buf[sz] = '\0';
	fclose(f);
	/* header: id,is_test,y,x0,... */
	for (p = buf; *p && *p != '\n'; p++)
		if (*p == ',')
			F++;
	F -= 2;
	if (F < 1 || *p != '\n')
		die("bad CSV header");
	p++;
	cap = 0;
	for (char *q = p; *q; q++)
		cap += *q == '\n';
	d->F = F;
	d->col = malloc(F * sizeof(float *));
	for (int j = 0; j < F; j++)
		d->col[j] = malloc((cap + 1) * sizeof(float));
	d->y = malloc((cap + 1) * sizeof(float));
	d->is_test = malloc(cap + 1);
	while (*p && n < cap)
	{
		strtoll(p, &p, 10);		/* id */
		p++;
		d->is_test[n] = (uint8_t) strtol(p, &p, 10);
		p++;
		d->y[n] = (float) strtol(p, &p, 10);
		for (int j = 0; j < F; j++)
		{
			if (*p != ',')
				die("short CSV line");
			p++;
			d->col[j][n] = parse_field(&p);
		}
		while (*p && *p != '\n')
			p++;
		if (*p == '\n')
			p++;
		n++;
	}
	d->n = n;
	free(buf);
}

typedef struct pred_job
{
	const aml_learner_ops *ops;
	const void *state;
	const aml_dataset *ds;
	const int64_t *idx;
	int64_t		n;
	double	   *out;
} pred_job;

static void *
pred_main(void *arg)
{
	pred_job   *j = arg;

	j->ops->predict(j->state, j->ds, j->idx, j->n, j->out);
	return NULL;
}

/* predict_threads scores all rows split into nt contiguous ranges. */
static void
predict_threads(const aml_learner_ops *ops, const void *state,
				const aml_dataset *ds, const int64_t *all, int64_t n,
				double *out, int nt)
{
	pthread_t	th[64];
	pred_job	job[64];

	if (nt > 64)
		nt = 64;
	for (int t = 0; t < nt; t++)
	{
		int64_t		b = n * t / nt,
					e = n * (t + 1) / nt;

		job[t].ops = ops;
		job[t].state = state;
		job[t].ds = ds;
		job[t].idx = all + b;
		job[t].n = e - b;
		job[t].out = out + b;
		if (t > 0)
			pthread_create(&th[t], NULL, pred_main, &job[t]);
	}
	pred_main(&job[0]);
	for (int t = 1; t < nt; t++)
		pthread_join(th[t], NULL);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	bench_data	d;
	aml_dataset ds;
	aml_fit_input in;
	aml_params	params;
	aml_feat_kind *kind;
	int		   *nlev;
	int64_t    *train,
			   *test,
			   *all;
	int64_t		ntr = 0,
				nte = 0;
	const aml_learner_ops *ops;
	const char *lname;
	int			reps,
				threads;
	double		tfit[32],
				tp1[32],
				tpn[32];
	double	   *out,
			   *yte,
			   *pte;
	double		auc = NAN;
	size_t		peak = 0;
	int			nodes = 0;
	char		buf[512];
	double		t0,
				c0;

	if (argc < 5)
		die("usage: bench_trees CSV LEARNER REPS THREADS [name=value ...]");
	lname = argv[2];
	if (strcmp(lname, "gbdt") == 0)
		ops = &aml_gbdt_ops;
	else if (strcmp(lname, "random_forest") == 0)
		ops = &aml_forest_ops;
	else if (strcmp(lname, "extra_trees") == 0)
		ops = &aml_extra_trees_ops;
	else
		die("unknown learner");
	reps = atoi(argv[3]);
	threads = atoi(argv[4]);
	if (reps < 1 || reps > 32 || threads < 1)
		die("bad REPS or THREADS");
	memset(&params, 0, sizeof(params));
	for (int i = 5; i < argc; i++)
	{
		char	   *eq = strchr(argv[i], '=');

		if (!eq)
			die("parameters are name=value");
		*eq = '\0';
		if (aml_params_set(&params, argv[i], atof(eq + 1)) != 0)
			die("too many parameters");
	}
	if (ops->check_params(&params, buf, sizeof(buf)))
		die(buf);

	t0 = now();
	load_csv(argv[1], &d);
	fprintf(stderr, "loaded %lld rows x %d features in %.2f s\n",
			(long long) d.n, d.F, now() - t0);
	kind = calloc(d.F, sizeof(*kind));
	nlev = calloc(d.F, sizeof(int));
	ds.n_rows = d.n;
	ds.n_feat = d.F;
	ds.col = (const float **) d.col;
	ds.kind = kind;
	ds.n_levels = nlev;
	train = malloc(d.n * sizeof(int64_t));
	test = malloc(d.n * sizeof(int64_t));
	all = malloc(d.n * sizeof(int64_t));
	for (int64_t i = 0; i < d.n; i++)
	{
		all[i] = i;
		if (d.is_test[i])
			test[nte++] = i;
		else
			train[ntr++] = i;
	}
	memset(&in, 0, sizeof(in));
	in.ds = &ds;
	in.y = d.y;
	in.rows = train;
	in.n_rows = ntr;
	in.task = AML_TASK_BINARY;
	in.n_classes = 2;
	in.seed = 42;
	out = malloc(d.n * sizeof(double));
	yte = malloc((nte + 1) * sizeof(double));
	pte = malloc((nte + 1) * sizeof(double));

	for (int r = 0; r < reps; r++)
	{
		aml_env		env;
		aml_error	err;
		void	   *state = NULL;
		aml_status	st;
		const aml_tree_pack *pk;

		aml_env_init(&env);
		env.n_threads = threads;
		memset(&err, 0, sizeof(err));
		c0 = cpu_now();
		t0 = now();
		st = ops->fit(&env, &in, &params, &state, &err);
		tfit[r] = now() - t0;
		c0 = cpu_now() - c0;
		if (st != AML_OK)
			die(err.msg);
		peak = env.mem_peak;
		pk = aml_tree_learner_pack(ops->algo, state);
		nodes = pk ? pk->n_nodes : 0;
		t0 = now();
		ops->predict(state, &ds, all, d.n, out);
		tp1[r] = now() - t0;
		t0 = now();
		predict_threads(ops, state, &ds, all, d.n, out, threads);
		tpn[r] = now() - t0;
		for (int64_t i = 0; i < nte; i++)
		{
			yte[i] = d.y[test[i]];
			pte[i] = out[test[i]];
		}
		auc = aml_metric_compute("roc_auc", AML_TASK_BINARY, 2, nte, yte, pte);
		fprintf(stderr, "%s rep %d: fit %.3f s (cpu %.3f s), predict %.3f s (1 thread) %.3f s (%d), auc %.5f\n",
				lname, r + 1, tfit[r], c0, tp1[r], tpn[r], threads, auc);
		ops->free_state(&env, state);
	}
	printf("core_%s_fit %.4f\n", lname, median(tfit, reps));
	printf("core_%s_predict1 %.4f\n", lname, median(tp1, reps));
	printf("core_%s_predict %.4f\n", lname, median(tpn, reps));
	printf("core_%s_auc %.5f\n", lname, auc);
	printf("core_%s_nodes %d\n", lname, nodes);
	printf("core_%s_peak_mb %.1f\n", lname, peak / 1048576.0);
	return 0;
}
