//! `#[enable_clustered_session(...)]`: `attr` parses the arguments, `check`
//! validates their values and combinations, `expand` checks the function and
//! generates the code (which calls session-actix's `ClusteredSession` builder).

mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;

/// Every error found, in the order found; all are reported.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }
}

/// The macro: the generated code, or every error beside the function kept
/// compilable (see `expand::fallback`), so IDEs keep working on its body.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let attributes = attr::parse(args, &mut errors);
    check::check(&attributes, &mut errors);
    let function = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(function)) => function,
        Ok(other) => {
            errors.push(syn::Error::new_spanned(
                other,
                "#[enable_clustered_session] goes on the function that builds the actix-web `App`",
            ));
            return with_errors(errors, item);
        }
        Err(error) => {
            errors.push(error);
            return with_errors(errors, item);
        }
    };
    let returns_app = expand::check_function(&function, &mut errors);
    if errors.0.is_none() {
        return expand::clustered_app(&attributes, &function);
    }
    let kept = if returns_app { expand::fallback(&function) } else { item };
    with_errors(errors, kept)
}

fn with_errors(errors: Errors, item: TokenStream) -> TokenStream {
    let errors = errors.0.map(|error| error.to_compile_error());
    quote!(#errors #item)
}
