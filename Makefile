# Sluice: the two commands of the README are `make quickstart` and `make test`.
# Both install what is missing (Debian packages) first, then build with SwiftPM.

SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages the build and the test suite need (system libraries, compression CLIs,
# PostgreSQL's client library, and the servers the tests start: PostgreSQL, Redis; python3-venv
# for moto's S3 server).
APT_PACKAGES := pkg-config liblz4-dev libzstd-dev libxxhash-dev libssl-dev libsqlite3-dev lz4 zstd \
  libpq-dev postgresql redis-server python3-venv zlib1g-dev

.PHONY: all deps moto build release test quickstart clean bench bench-quick torture fuzz fuzz-json faker fuzz-build

all: build

# Installs only the packages that are missing; `apt-get update` runs only when needed.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# moto's S3 server (SluiceS3's tests), pinned: moto 5.2.1 (preinstalled on some machines)
# computes SigV4 canonical paths differently from AWS for keys with `+ $ & = ; , : @`; 5.2.5
# agrees with AWS's published vectors. Installed into .build-venv/ (ignored by git) unless a
# recent enough one is there; the tests look there before PATH.
MOTO_VENV := .build-venv
MOTO_MIN := 5.2.5
moto: deps
	@if ! [ -x $(MOTO_VENV)/bin/moto_server ] || ! $(MOTO_VENV)/bin/python -c "import moto,sys; v=tuple(int(x) for x in moto.__version__.split('.')[:3]); sys.exit(v < tuple(int(x) for x in '$(MOTO_MIN)'.split('.')))" 2>/dev/null; then \
	  echo "installing moto[server]>=$(MOTO_MIN) into $(MOTO_VENV)/"; \
	  python3 -m venv $(MOTO_VENV) && $(MOTO_VENV)/bin/pip install --quiet 'moto[server]>=$(MOTO_MIN)'; \
	fi

# airbyte-source-faker (the airbyte capture's tests run the real connector from PyPI), pinned so
# its seeded output stays the same; installed into .build-venv-faker/ (ignored by git) unless it
# is there. About a minute (BUILD-NOTES).
FAKER_VENV := .build-venv-faker
FAKER_VERSION := 7.2.1
faker: deps
	@if ! [ -x $(FAKER_VENV)/bin/source-faker ]; then \
	  echo "installing airbyte-source-faker==$(FAKER_VERSION) into $(FAKER_VENV)/"; \
	  python3 -m venv $(FAKER_VENV) && $(FAKER_VENV)/bin/pip install --quiet 'airbyte-source-faker==$(FAKER_VERSION)'; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The test command of the README (and of .ci/run). Builds every target first, so tests can
# start the `sluice` binaries as child processes (crash tests). At most as many tests run at
# once as there are cores (docs/decisions.md): a test blocked on a child process holds a thread
# of Swift's cooperative pool, which has one per core, and more tests at once starved the
# engines of the others until their timeouts.
TEST_PARALLELISM ?= $(shell nproc)
test: deps moto faker
	$(SWIFT) build --build-tests
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_PARALLELISM) $(SWIFT) test --skip-build

# The quickstart of the README.
quickstart: deps
	$(SWIFT) build -c release --product sluice
	./examples/quickstart/run.sh "$$($(SWIFT) build -c release --show-bin-path)/sluice"

clean:
	rm -rf .build sluice-data

# Benchmarks (release builds): Sluice beside its peers, alternated, with ratios.
# `make bench` is the standard workload (1M documents); `make bench-quick` a small one.
BENCH_RUNS ?= 3
bench: release
	python3 Benchmarks/compare.py --bin "$$($(SWIFT) build -c release --show-bin-path)" --size standard --runs $(BENCH_RUNS)

bench-quick: release
	python3 Benchmarks/compare.py --bin "$$($(SWIFT) build -c release --show-bin-path)" --size quick --runs $(BENCH_RUNS)

# libFuzzer over SluiceDocument's parser (Fuzz/JSONParserFuzz.swift), outside SwiftPM so the
# normal build never needs -sanitize=fuzzer. FUZZ_SECONDS bounds the run; the corpus starts
# from JSONTestSuite's y_ files and a few workload documents.
FUZZ_SECONDS ?= 300
fuzz-json:
	mkdir -p .build/fuzz/corpus-json
	swiftc -O -parse-as-library -sanitize=fuzzer,address -module-name SluiceDocument \
	  Sources/SluiceDocument/*.swift Fuzz/JSONParserFuzz.swift -o .build/fuzz/json-parser-fuzz
	-cp ../shared/conformance/json-parsing/y_*.json .build/fuzz/corpus-json/ 2>/dev/null
	$(SWIFT) run -c release sluice workload generate --documents 1 --keys 1 > .build/fuzz/corpus-json/workload.json
	.build/fuzz/json-parser-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 .build/fuzz/corpus-json

# libFuzzer targets of Fuzz/ (docs/reliability.md): schema compiler, catalog parser, spool
# recovery; each runs FUZZ_SECONDS (default 60). Crashes land in .build/fuzz/<target>/; each one
# found becomes a regression test.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz-schema fuzz-catalog fuzz-spool
FUZZ_RUNTIME := $(shell find /opt/swift/usr/lib/clang -name 'libclang_rt.fuzzer_no_main-x86_64.a' 2>/dev/null | head -1)
fuzz-build: deps
	@for target in $(FUZZ_TARGETS); do \
	  SLUICE_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz --product $$target \
	    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
	    -Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++ || exit 1; \
	done

fuzz: fuzz-build fuzz-json
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz/$$target/corpus; \
	  echo "== $$target ($(FUZZ_SECONDS) s)"; \
	  (cd .build/fuzz/$$target && SWIFT_BACKTRACE=enable=no ../../../.build-fuzz/release/$$target -max_total_time=$(FUZZ_SECONDS) -max_len=4096 corpus) || exit 1; \
	done
