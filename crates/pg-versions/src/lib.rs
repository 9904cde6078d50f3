//! Nothing to use: this crate holds the cross-version test suite
//! (`tests/main.rs`) and the executable it runs (`src/main.rs`). See
//! docs/development.md, "PostgreSQL versions in the tests".
