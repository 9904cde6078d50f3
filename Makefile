# shipshape — the two commands a newcomer needs are `make demo` and `make test`.
# Everything they need (a throwaway PostgreSQL, Alembic for a fixture, promtool)
# is set up inside them, idempotently.

CARGO ?= cargo
TOOLS := validate-env pg-backup pg-restore migrate-check alert-lint

.PHONY: all build release test fmt-check clippy test-deps demo bench bench-versions install dist dist-check clean

all: build

## build: debug build of every tool
build:
	$(CARGO) build --workspace

## release: optimised build of every tool (target/release/)
release:
	$(CARGO) build --workspace --release

## test: formatting, clippy -D warnings, and every test (unit, CLI, real PostgreSQL)
test: test-deps fmt-check clippy
	$(CARGO) test --workspace

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## test-deps: what the tests need beyond Rust (each tool's scripts/deps/*.sh)
test-deps:
	@scripts/test-deps.sh

## demo: build the tools and run each implemented one on fixtures/stack/
demo: build
	@scripts/demo.sh

## bench: every tool side by side with its real-world alternative
bench: release
	@# Left out: the floors (below), the corpus builder (it needs clones) and
	@# the sweep over PostgreSQL versions (`make bench-versions`, ~35 minutes).
	@for script in scripts/bench/*.sh; do case $$script in *-floor.sh|*-corpus.sh|*/pg-versions.sh) continue;; esac; echo "== $$script"; sh "$$script" || exit $$?; done
	@# The floor measurements reuse the server and databases pg-backup.sh and pg-restore.sh left behind.
	@if [ -n "$$DATABASE_URL" ]; then for floor in pg-backup pg-restore; do echo "== scripts/bench/$$floor-floor.sh"; sh scripts/bench/$$floor-floor.sh || exit $$?; done; \
	else echo "(skipped scripts/bench/pg-backup-floor.sh and pg-restore-floor.sh: they need DATABASE_URL naming the server pg-backup.sh and pg-restore.sh used)"; fi

## bench-versions: pg-restore and pg-backup on PostgreSQL 14 to 18, two shapes (scripts/bench/pg-versions.sh)
bench-versions: release
	@sh scripts/bench/pg-versions.sh

## install: cargo install each tool into ~/.cargo/bin
install:
	@for tool in $(TOOLS); do $(CARGO) install --locked --path crates/$$tool || exit $$?; done

## dist: target/dist/: a .tar.gz per target, the shipshape .deb (cargo-deb) and SHA256SUMS
dist: release
	@CARGO="$(CARGO)" sh scripts/dist/build.sh

## dist-check: install the .deb in a fresh Debian bookworm chroot, run every tool, remove it (root)
dist-check: dist
	@sh scripts/dist/check.sh

clean:
	$(CARGO) clean
