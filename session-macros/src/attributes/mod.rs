//! `#[derive(SessionAttributes)]`: a struct whose named fields are session
//! attributes.
//!
//! - [`attr`] parses the `#[session(...)]` attributes into a [`attr::Container`],
//! - [`check`] validates across fields (names after renaming, principal, keys),
//! - [`expand`] generates the `SessionAttributes` and `FromRequest` impls.
//!
//! Every problem found is reported, each spanned at the user's token; when
//! there is any, only the errors are emitted.

mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The derive's entry point.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let fields = check::data_shape(&input, &mut errors);
    let container = attr::Container::from_ast(&input, fields, &mut errors);
    if let Some(container) = &container {
        check::check(container, &mut errors);
    }
    match (errors.into_error(), container) {
        (None, Some(container)) => expand::expand(&container),
        (Some(error), _) => error.to_compile_error(),
        // `from_ast` returns nothing only after reporting why.
        (None, None) => TokenStream::new(),
    }
}

/// Errors collected while parsing and checking, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Records an error spanned at `tokens` (all of them: a type, a `key = "value"`).
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error (such as one syn returned).
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn into_error(self) -> Option<syn::Error> {
        self.0
    }
}
