/*-------------------------------------------------------------------------
 *
 * predict_support.c
 *	  The planner support function of automl_predict and
 *	  automl_predict_proba: pass the columns, not the row.
 *
 * A call such as automl_predict_proba('m', t) over a table t makes the
 * executor build a whole-row value for every row (deform every column,
 * then form a new tuple), which the function then walks again to read
 * its inputs.  When the row argument is a plain whole-row reference to a
 * table of the query, the support function rewrites the call at plan time
 * into automl_predict_proba_columns('m', class, t's row type, t.c1, ...,
 * t.cN): the executor hands the column values straight to the function,
 * and nothing is formed or copied.  The rewrite is the same prediction
 * (the same model resolution, mapping by column name and conversion), so
 * it is done only where the two cannot differ:
 *
 *	- the row is a Var of the query's own level for the whole row of a
 *	  relation (not a subquery, function or VALUES row);
 *	- the query has no outer join (on the nullable side a whole-row
 *	  reference is NULL, while its columns would each be NULL) and no GROUP
 *	  BY (a grouped row need not make its columns available);
 *	- the call fits FUNC_MAX_ARGS (at most 97 columns).
 *
 * Everything else keeps the row form, which is as correct, only slower.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "automl_pg.h"

/* HasOuterJoin is true when the join tree under n has a non-inner join. */
static bool
HasOuterJoin(Node *n)
{
	if (n == NULL)
		return false;
	if (IsA(n, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) n)->fromlist)
			if (HasOuterJoin(lfirst(lc)))
				return true;
		return false;
	}
	if (IsA(n, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) n;

		return j->jointype != JOIN_INNER || HasOuterJoin(j->larg) || HasOuterJoin(j->rarg);
	}
	return false;				/* RangeTblRef */
}

/*
 * ColumnsFunction returns the OID of the columns form (name) in the
 * schema of the function being rewritten, InvalidOid when it is missing
 * (an older extension version).
 */
static Oid
ColumnsFunction(Oid funcid, const char *name, int nargs, Oid *types)
{
	char	   *nsp = get_namespace_name(get_func_namespace(funcid));

	if (nsp == NULL)
		return InvalidOid;
	return LookupFuncName(list_make2(makeString(nsp), makeString(pstrdup(name))),
						  nargs, types, true);
}

PG_FUNCTION_INFO_V1(automl_predict_support);

/*
 * automl_predict_support(internal) answers SupportRequestSimplify for
 * automl_predict(model, row) and automl_predict_proba(model, row, class),
 * the model given by name or as its automl.models row, with the columns
 * form of the call, or NULL to keep the call as it is.
 */
Datum
automl_predict_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *fe;
	Query	   *q;
	Var		   *row;
	RangeTblEntry *rte;
	TupleDesc	desc;
	List	   *args = NIL;
	bool		proba;
	int			natts;
	Oid			fn;
	Oid			types[4] = {TEXTOID, TEXTOID, OIDOID, ANYOID};

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	fe = req->fcall;
	if (req->root == NULL || req->root->parse == NULL || list_length(fe->args) < 2)
		PG_RETURN_POINTER(NULL);
	q = req->root->parse;
	row = (Var *) lsecond(fe->args);
	if (!IsA(row, Var) || row->varattno != InvalidAttrNumber || row->varlevelsup != 0 ||
		row->varno < 1 || row->varno > list_length(q->rtable))
		PG_RETURN_POINTER(NULL);
	if (q->groupClause != NIL || q->groupingSets != NIL || HasOuterJoin((Node *) q->jointree))
		PG_RETURN_POINTER(NULL);
	rte = rt_fetch(row->varno, q->rtable);
	if (rte->rtekind != RTE_RELATION || row->vartype != get_rel_type_id(rte->relid) ||
		!OidIsValid(row->vartype))
		PG_RETURN_POINTER(NULL);

	proba = list_length(fe->args) == 3;
	/* the model: its name (text), or its automl.models row (since 0.7.0) */
	types[0] = exprType(linitial(fe->args));
	if (proba)
		fn = ColumnsFunction(req->fcall->funcid, "automl_predict_proba_columns", 4, types);
	else
	{
		types[1] = types[0];
		fn = ColumnsFunction(req->fcall->funcid, "automl_predict_columns", 3, types + 1);
	}
	if (!OidIsValid(fn))
		PG_RETURN_POINTER(NULL);

	desc = lookup_rowtype_tupdesc(row->vartype, -1);
	natts = desc->natts;
	if (natts + (proba ? 3 : 2) > FUNC_MAX_ARGS)
	{
		ReleaseTupleDesc(desc);
		PG_RETURN_POINTER(NULL);
	}
	args = lappend(args, linitial(fe->args));
	if (proba)
		args = lappend(args, lthird(fe->args));
	args = lappend(args, makeConst(OIDOID, -1, InvalidOid, sizeof(Oid),
								   ObjectIdGetDatum(row->vartype), false, true));
	for (int a = 0; a < natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped)
			args = lappend(args, makeNullConst(INT4OID, -1, InvalidOid));
		else
			args = lappend(args, makeVar(row->varno, a + 1, att->atttypid, att->atttypmod,
										 att->attcollation, 0));
	}
	ReleaseTupleDesc(desc);
	PG_RETURN_POINTER(makeFuncExpr(fn, fe->funcresulttype, args, fe->funccollid,
								   fe->inputcollid, COERCE_EXPLICIT_CALL));
}
