//! Compile-time behaviour of `#[enable_clustered_session]`: the cases in
//! `ui/pass` compile and run; each case in `ui/fail` fails with exactly the
//! errors in its `.stderr` (regenerate with `TRYBUILD=overwrite`, then review).

#[test]
fn enable_clustered_session_ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
