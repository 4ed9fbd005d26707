//! UI tests of `#[derive(SessionAttributes)]`: the pass cases compile, the fail
//! cases fail with the errors in their committed `.stderr` (regenerate with
//! `TRYBUILD=overwrite`, then review the diff).

#[test]
fn derive_session_attributes_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/derive/pass/*.rs");
    cases.compile_fail("tests/ui/derive/fail/*.rs");
}
