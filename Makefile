# automl: in-database AutoML for PostgreSQL (PGXS build)

EXTENSION = automl
EXTVERSION = 0.9.0
MODULE_big = automl

CORE_SRCS = $(sort $(wildcard src/core/*.c))
PG_SRCS = $(sort $(wildcard src/pg/*.c))
OBJS = $(CORE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

DATA = $(wildcard sql/automl--*.sql)

REGRESS = setup train predict errors catalog formats realdata governance trees explain bias evaluate metrics drift assess timesplit report report_assessment groups jobs upgrade
REGRESS_OPTS = --inputdir=. --dbname=contrib_regression

BLAS ?= openblas
ifeq ($(BLAS),none)
BLAS_LIBS =
BLAS_CFLAGS = -DAML_NO_BLAS
else
BLAS_LIBS ?= -lopenblas
BLAS_CFLAGS =
endif

PG_CPPFLAGS = -Isrc/core -Isrc/pg $(BLAS_CFLAGS)
PG_CFLAGS = -std=gnu11 $(WERROR)
SHLIB_LINK += $(BLAS_LIBS) -lpthread -lm

EXTRA_CLEAN = test/unit/*.bin test/bench/*.bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: every object depends on every
# project header, so a changed struct never leaves a stale object behind.
PROJECT_HEADERS = $(wildcard src/core/*.h src/pg/*.h)
$(OBJS): $(PROJECT_HEADERS)

# ---------------------------------------------------------------------------
# Core unit tests: plain $(CC), no PostgreSQL.  SANITIZE=1 adds ASan/UBSan.

UNIT_CC ?= gcc
UNIT_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Isrc/core $(BLAS_CFLAGS)
ifeq ($(SANITIZE),1)
UNIT_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
UNIT_TESTS = $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS = $(UNIT_TESTS:.c=.bin)

test/unit/%.bin: test/unit/%.c $(CORE_SRCS) src/core/aml.h src/core/aml_int.h test/unit/harness.h
	$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRCS) $(BLAS_LIBS) -lpthread -lm

.PHONY: unittest unittest-build bench
unittest-build: $(UNIT_BINS)

unittest:
	rm -f $(UNIT_BINS)
	$(MAKE) --no-print-directory unittest-build
	@bash test/scripts/run_unit.sh $(UNIT_BINS)
