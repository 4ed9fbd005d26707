//! The function's shape, and the generated code.
//!
//! For `#[enable_clustered_session(...)] fn app() -> App<_> { body }`:
//!
//! ```text
//! fn app_clustered_session() -> Result<&'static ClusteredSession, &'static ConfigError> {
//!     static SESSION: OnceLock<Result<ClusteredSession, ConfigError>> = OnceLock::new();
//!     SESSION.get_or_init(|| {
//!         // A setter's value only the compiler can evaluate is checked here: `attribute_seconds(..)?`.
//!         // What the setters set is reported as "attribute", not code.
//!         let builder = from_attributes(ClusteredSession::builder().setters()...);
//!         // `customize` returns the builder or a `Result` of it.
//!         let builder = Customized::into_builder(customize(builder), "customize")?;
//!         builder.build()
//!     }).as_ref()
//! }
//! fn app() -> App<impl ServiceFactory<...>> {
//!     let session = expect_configured(app_clustered_session());
//!     session.wrap((move || body)())
//! }
//! ```
//!
//! Every path goes through `::session_actix::__private`, so the user needs no
//! other dependency, and nothing in scope at the call site can shadow it.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType, Type};

use super::Errors;
use super::attr::{Attributes, Given};
use session_rules::attributes::AttributeValue;
use session_rules::normalise_shortcut;

/// Checks the function is an app factory. Returns whether it returns an
/// `App`, so that it can still be emitted when errors are reported (see [`fallback`]).
pub(crate) fn check_function(function: &ItemFn, errors: &mut Errors) -> bool {
    let signature = &function.sig;
    if let Some(asyncness) = &signature.asyncness {
        errors.push(syn::Error::new(
            asyncness.span(),
            "the app factory must not be `async`: `HttpServer::new` calls it synchronously, once per worker",
        ));
    }
    if let Some(constness) = &signature.constness {
        errors.push(syn::Error::new(
            constness.span(),
            "the app factory cannot be `const`: it builds the sessions at run time",
        ));
    }
    if let Some(receiver) = signature.receiver() {
        errors.push(syn::Error::new(
            receiver.span(),
            "the app factory must be a free function, without `self`",
        ));
    }
    match &signature.output {
        ReturnType::Default => {
            errors.push(syn::Error::new(
                signature.ident.span(),
                "the app factory must return the actix-web `App` it builds: add `-> App<_>`",
            ));
            false
        }
        ReturnType::Type(_, returned) if !is_app(returned) => {
            errors.push(syn::Error::new_spanned(
                returned,
                "expected the actix-web `App` the function builds, as `App<_>` or `App<impl ServiceFactory<...>>`",
            ));
            false
        }
        ReturnType::Type(..) => true,
    }
}

/// `App<...>`, `actix_web::App<...>`, ...: a path whose last segment is `App`.
fn is_app(returned: &Type) -> bool {
    match returned {
        Type::Path(path) => path.qself.is_none() && path.path.segments.last().is_some_and(|last| last.ident == "App"),
        Type::Group(group) => is_app(&group.elem),
        Type::Paren(paren) => is_app(&paren.elem),
        _ => false,
    }
}

/// `::session_actix::__private`.
fn private() -> TokenStream {
    quote!(::session_actix::__private)
}

/// `App<impl ServiceFactory<...>>` for any body type: what `ClusteredSession::wrap` returns.
fn app_type() -> TokenStream {
    let private = private();
    quote! {
        #private::actix_web::App<
            impl #private::actix_web::dev::ServiceFactory<
                #private::actix_web::dev::ServiceRequest,
                Config = (),
                Response = #private::actix_web::dev::ServiceResponse<impl #private::actix_web::body::MessageBody>,
                Error = #private::actix_web::Error,
                InitError = (),
            >
        >
    }
}

/// The builder calls for the attributes given, in the declared order, each
/// made by the kind of value the attribute takes; those whose value can be
/// of a wrong type are spanned at the value, so type errors point at it.
fn setters(attributes: &Attributes) -> Vec<TokenStream> {
    let private = private();
    let mut setters = Vec::new();
    for (declared, given) in &attributes.given {
        let Some(method) = declared.builder_method else {
            // `customize` wraps the builder (see `clustered_app`).
            match (declared.name, given) {
                ("cookie_name", Given::Text(name)) => {
                    setters.push(quote!(.cookie(#private::CookieConfig::default().name(#name))));
                }
                ("cookie_name", Given::Constant(path)) => {
                    let name = checked_text(declared.name, path);
                    setters.push(quote!(.cookie(#private::CookieConfig::default().name(#name))));
                }
                _ => {}
            }
            continue;
        };
        let setter = match (&declared.value, given) {
            (AttributeValue::Bool, Given::Bool(value)) => {
                let method = syn::Ident::new(method, Span::call_site());
                quote!(.#method(#value))
            }
            (AttributeValue::Flag, Given::Flag(flag)) => {
                if !flag.value {
                    continue;
                }
                let method = syn::Ident::new(method, Span::call_site());
                quote!(.#method())
            }
            (AttributeValue::Text(_), Given::Text(text)) => {
                let method = syn::Ident::new(method, Span::call_site());
                quote!(.#method(#text))
            }
            (AttributeValue::Names(_), Given::Names(names)) => {
                let method = syn::Ident::new(method, Span::call_site());
                let count = names.len();
                quote! {
                    .#method({
                        let names: [&'static str; #count] = [#(#names),*];
                        names
                    })
                }
            }
            (AttributeValue::Shortcut(shortcut), Given::Shortcut(name)) => {
                let method = syn::Ident::new(method, name.span);
                let type_path = declared_path(shortcut.type_path);
                let variant = variant(&name.name, name.span);
                quote_spanned!(name.span=> .#method(#private::session_core::#type_path::#variant))
            }
            (AttributeValue::Choice { type_path, .. }, Given::Text(text)) => {
                // Checked above by the rule `parse` applies, so it cannot fail here.
                let method = syn::Ident::new(method, text.span());
                let type_path = declared_path(type_path);
                quote_spanned! {text.span()=>
                    .#method(match #private::session_core::#type_path::parse(#text) {
                        #private::Result::Ok(value) => value,
                        #private::Result::Err(problem) => ::core::unreachable!("{}", problem),
                    })
                }
            }
            (AttributeValue::Integer(integer), Given::Integer(given)) => {
                let method = syn::Ident::new(method, given.span);
                let value = match (&given.runtime, integer.checked_at_build_as) {
                    (Some(expr), Some(key)) => runtime_checked(key, integer.ty, expr),
                    // Typed by the setter, checked (if need be) when the sessions are built.
                    (Some(expr), None) => quote!(#expr),
                    // Range checked: only values of the setter's type reach here.
                    (None, _) => integer_literal(given.value.unwrap_or_default()),
                };
                let value = match integer.converted_by {
                    Some(function) => {
                        let function = declared_path(function);
                        quote!(#function(#value))
                    }
                    None => value,
                };
                quote_spanned!(given.span=> .#method(#value))
            }
            (AttributeValue::Bool, Given::Constant(path)) => {
                let method = syn::Ident::new(method, path.span());
                quote_spanned!(path.span()=> .#method(#path))
            }
            (AttributeValue::Text(_), Given::Constant(path)) => {
                let method = syn::Ident::new(method, path.span());
                let value = checked_text(declared.name, path);
                quote_spanned!(path.span()=> .#method(#value))
            }
            (AttributeValue::Choice { type_path, .. }, Given::Constant(path)) => {
                let method = syn::Ident::new(method, path.span());
                let type_path = declared_path(type_path);
                let name = declared.name;
                let text = tokens_text(path);
                quote_spanned! {path.span()=>
                    .#method(#private::attribute_choice(
                        #name,
                        #text,
                        #path,
                        #private::session_core::#type_path::parse,
                    )?)
                }
            }
            (AttributeValue::Shortcut(shortcut), Given::Constant(path)) => {
                let method = syn::Ident::new(method, path.span());
                let type_path = declared_path(shortcut.type_path);
                let name = declared.name;
                let text = tokens_text(path);
                quote_spanned! {path.span()=>
                    .#method(<_ as #private::ShortcutConstant<#private::session_core::#type_path>>::into_shortcut(
                        #path,
                        #name,
                        #text,
                    )?)
                }
            }
            (AttributeValue::Function, Given::Function(path)) => {
                let method = syn::Ident::new(method, path.span());
                quote_spanned!(path.span()=> .#method(#path()))
            }
            _ => unreachable!("`attr::given` parses each kind of value into its shape"),
        };
        setters.push(setter);
    }
    setters
}

/// A string constant given to attribute `name`, checked when the sessions
/// are built by the rule the macro applies to a literal. Used inside the
/// companion's closure, which returns a `Result`.
fn checked_text(name: &str, path: &syn::Path) -> TokenStream {
    let private = private();
    let text = tokens_text(path);
    quote_spanned!(path.span()=> #private::attribute_text(#name, #text, #path)?)
}

/// A path written in the attribute declarations (`config::SessionIdSources`,
/// `::core::time::Duration::from_secs`).
fn declared_path(path: &str) -> syn::Path {
    syn::parse_str(path).unwrap_or_else(|error| panic!("declared path `{path}`: {error}"))
}

/// An integer the macro evaluated, as an unsuffixed literal the setter's type
/// infers; `i64::MIN` by name, as its digits alone overflow.
fn integer_literal(value: i128) -> TokenStream {
    if value == i128::from(i64::MIN) {
        return quote!(::core::primitive::i64::MIN);
    }
    let literal = Literal::i128_unsuffixed(value);
    quote!(#literal)
}

/// `expr` converted to `ty` (`i64` or `u64`) when the sessions are built, or
/// the configuration error naming the attribute (by its property key,
/// session-core's `key_constant`), the expression and its value: the rule the macro applies to values it can evaluate. Used inside
/// the companion's closure, which returns a `Result`.
fn runtime_checked(key_constant: &str, ty: &str, expr: &syn::Expr) -> TokenStream {
    let private = private();
    let ty = syn::Ident::new(ty, Span::call_site());
    let key = syn::Ident::new(key_constant, Span::call_site());
    let text = tokens_text(expr);
    quote_spanned! {expr.span()=>
        #private::attribute_seconds::<::core::primitive::#ty, _>(
            #private::session_core::config::#key,
            #text,
            #expr,
        )?
    }
}

/// An expression or path as a person writes it (see [`source_text`]).
fn tokens_text(tokens: &impl quote::ToTokens) -> String {
    source_text(&tokens.to_token_stream().to_string())
}

/// Tokens as a person writes them: `limits :: WINDOW` -> `limits::WINDOW`,
/// `minutes (8 * 60)` -> `minutes(8 * 60)`, for error messages.
fn source_text(tokens: &str) -> String {
    let mut text = tokens.replace(" :: ", "::").replace("( ", "(").replace(" )", ")");
    let mut at = 0;
    while let Some(found) = text[at..].find(" (") {
        let space = at + found;
        let after_name = text[..space]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if after_name {
            text.remove(space);
        }
        at = space + 1;
    }
    text
}

/// `CACHING_PROXY` -> `CachingProxy`: the session-core variant of a checked shortcut name.
fn variant(name: &str, span: Span) -> syn::Ident {
    let camel: String = normalise_shortcut(name)
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
            })
        })
        .collect();
    syn::Ident::new(&camel, span)
}

/// The name of the generated `<name>_clustered_session` function.
fn companion_name(function: &ItemFn) -> syn::Ident {
    let name = function.sig.ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    format_ident!("{}_clustered_session", name, span = function.sig.ident.span())
}

/// The app factory wrapping the user's app, and its companion.
pub(crate) fn clustered_app(attributes: &Attributes, function: &ItemFn) -> TokenStream {
    let private = private();
    let setters = setters(attributes);
    // A `customize` function returns the builder, or a `Result` of it.
    let customize = attributes.function("customize").map(|customize| {
        let text = tokens_text(customize);
        quote_spanned! {customize.span()=>
            let builder = #private::Customized::into_builder(#customize(builder), #text)?;
        }
    });
    let companion = companion_name(function);
    let name = &function.sig.ident;
    let vis = &function.vis;
    let companion_doc = format!(
        "The clustered sessions of [`{name}`], configured by its `#[enable_clustered_session]` attributes, \
         properties and configurer: resolved and built once per process, on the first call. Call it before \
         `HttpServer::new` to fail at startup on a configuration error, or to log \
         `configuration()`, the effective configuration with the source of each value."
    );
    let session = syn::Ident::new("session", Span::mixed_site());
    let cell = syn::Ident::new("SESSION", Span::mixed_site());
    let app = factory(function, |user_app| {
        quote! {
            let #session = #private::expect_configured(#companion());
            #session.wrap(#user_app)
        }
    });
    quote! {
        #[doc = #companion_doc]
        #vis fn #companion() -> #private::Result<
            &'static #private::ClusteredSession,
            &'static #private::ConfigError,
        > {
            static #cell: #private::OnceLock<#private::Result<#private::ClusteredSession, #private::ConfigError>> =
                #private::OnceLock::new();
            #cell
                .get_or_init(|| -> #private::Result<#private::ClusteredSession, #private::ConfigError> {
                    let builder = #private::from_attributes(#private::ClusteredSession::builder() #(#setters)*);
                    #customize
                    builder.build()
                })
                .as_ref()
        }

        #app
    }
}

/// The user's function with the wrapped app's return type; its body runs in
/// a closure (so `return` still means "this is the app"), and `rest` turns
/// its result, bound to the given identifier, into the returned app. The
/// identifier is mixed-site: the user's body can neither see nor shadow it.
fn factory(function: &ItemFn, rest: impl FnOnce(&syn::Ident) -> TokenStream) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, block, ..
    } = function;
    let name = &sig.ident;
    let generics = &sig.generics;
    let where_clause = &sig.generics.where_clause;
    let inputs = &sig.inputs;
    let app_type = app_type();
    let user_app = syn::Ident::new("user_app", Span::mixed_site());
    let rest = rest(&user_app);
    quote! {
        #(#attrs)*
        #vis fn #name #generics (#inputs) -> #app_type #where_clause {
            #[allow(clippy::redundant_closure_call)]
            let #user_app = (move || #block)();
            #rest
        }
    }
}

/// When attributes are wrong: the function as written but for its return
/// type, made the one an app factory has, and its companion declared, so that
/// the only errors are the attribute errors and the body keeps IDE support.
pub(crate) fn fallback(function: &ItemFn) -> TokenStream {
    let private = private();
    let companion = companion_name(function);
    let vis = &function.vis;
    let mut function = function.clone();
    let app_type = app_type();
    function.sig.output = syn::parse_quote!(-> #app_type);
    quote! {
        #[allow(dead_code)]
        #vis fn #companion() -> #private::Result<
            &'static #private::ClusteredSession,
            &'static #private::ConfigError,
        > {
            ::core::panic!("#[enable_clustered_session] has errors")
        }

        #function
    }
}

#[cfg(test)]
mod tests {
    use super::source_text;

    #[test]
    fn expressions_read_as_written() {
        assert_eq!(source_text("limits :: WINDOW"), "limits::WINDOW");
        assert_eq!(
            source_text("minutes (8 * 60) - IDLE_SECS"),
            "minutes(8 * 60) - IDLE_SECS"
        );
        assert_eq!(source_text("2 * (A + 1)"), "2 * (A + 1)");
        assert_eq!(source_text("u64 :: MAX"), "u64::MAX");
    }
}
