//! Test support shared by the end-to-end tests and the tools next to them: a fake
//! OpenAI-compatible model server. The tests themselves live in `tests/`.

pub mod fake_openai;
