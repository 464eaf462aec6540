//! Nothing here: the model-based tests are in `tests/`.
