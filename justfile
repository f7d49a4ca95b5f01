# aidstation tasks. `just --list` shows them.

# Run the app (a local PostgreSQL under ./data/postgres when DATABASE_URL is unset).
run *ARGS:
    cargo run -- {{ARGS}}

# Apply pending database migrations and exit.
migrate:
    cargo run -- migrate

# Every test: domain unit tests, store tests and end-to-end tests on real PostgreSQL (and
# axe-core for the browser tests' accessibility audit, fetched once from npm).
test *ARGS:
    -scripts/fetch-axe
    cargo test --workspace {{ARGS}}

# Fuzz the upstream stream reader and the request bodies for longer (CASES per target).
fuzz CASES="200000":
    PROPTEST_CASES={{CASES}} cargo test --release -p llm-openai -p http-api --lib fuzz

# schemathesis against the running app: every check, stateful phase (SECONDS of budget).
api-fuzz SECONDS="120":
    API_FUZZ_SECONDS={{SECONDS}} scripts/api-fuzz

# Formatting, clippy with warnings as errors, and the dependency arrows of the architecture.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    scripts/check-boundaries

# Format the code.
fmt:
    cargo fmt --all

# Benchmarks (release build): every endpoint next to its pgbench floor, CPU and memory per
# request, 10,000 open chat streams. `just bench --quick` finishes in under two minutes.
bench *ARGS:
    cargo build --release -p app -p aidstation-bench
    ./target/release/aidstation-bench {{ARGS}}
