# aidstation tasks. `just --list` shows them.

# Run the app (a local PostgreSQL under ./data/postgres when DATABASE_URL is unset).
run *ARGS:
    cargo run -- {{ARGS}}

# Apply pending database migrations and exit.
migrate:
    cargo run -- migrate

# Every test: domain unit tests, store tests and end-to-end tests on real PostgreSQL.
test *ARGS:
    cargo test --workspace {{ARGS}}

# Formatting, clippy with warnings as errors, and the dependency arrows of the architecture.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    scripts/check-boundaries

# Format the code.
fmt:
    cargo fmt --all
