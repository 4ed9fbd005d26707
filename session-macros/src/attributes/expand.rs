//! The generated code: `impl SessionAttributes` (names, `load`, `save`) and
//! `impl FromRequest`. Everything it names goes through
//! `::session_actix::__private::attributes`, where the helpers that do the work
//! live; per field it generates one call to load and one to save.
//!
//! Per-field code carries the field type's span, so that a type that is not
//! (de)serializable, or not indexable where it must be, is reported at the field.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::attr::{AttributeName, Container, Field, FieldDefault};

/// The impls for a checked container.
pub(crate) fn expand(container: &Container<'_>) -> TokenStream {
    let support = match &container.crate_path {
        Some(path) => quote!(#path::__private::attributes),
        None => quote!(::session_actix::__private::attributes),
    };
    let ident = container.ident;
    let generics = bounded_generics(container, &support);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let names: Vec<TokenStream> = container
        .fields
        .iter()
        .map(|field| attribute_name(field, &support))
        .collect();
    let indexed_names: Vec<&TokenStream> = container
        .fields
        .iter()
        .zip(&names)
        .filter(|(field, _)| field.indexed.is_some())
        .map(|(_, name)| name)
        .collect();

    let container_default = container
        .default
        .as_ref()
        .map(|keyword| quote_spanned!(keyword.span()=> let __default: Self = #support::Default::default();));
    let loads = container.fields.iter().zip(&names).map(|(field, name)| {
        let member = field.ident;
        let ty = field.ty;
        let load = quote_spanned!(ty.span()=> #support::load_field::<#ty>(__session, #name)?);
        let value = match (&field.default, &container.default) {
            (Some(FieldDefault::Trait), _) => {
                quote_spanned!(ty.span()=> #load.unwrap_or_else(#support::Default::default))
            }
            (Some(FieldDefault::Function(function)), _) => {
                quote_spanned!(function.span()=> #load.unwrap_or_else(#function))
            }
            (None, Some(_)) => quote_spanned!(ty.span()=> #load.unwrap_or_else(|| __default.#member)),
            (None, None) => quote_spanned!(ty.span()=> #support::required::<#ty>(__session, #name)?),
        };
        quote!(#member: #value)
    });

    let assertions = container
        .fields
        .iter()
        .filter(|field| field.must_be_indexable())
        .map(|field| {
            let ty = field.ty;
            quote_spanned!(ty.span()=> #support::assert_indexable::<#ty>();)
        });
    let saves = container.fields.iter().zip(&names).map(|(field, name)| {
        let member = field.ident;
        let ty = field.ty;
        let function = if field.must_be_indexable() {
            quote!(write_indexed_field)
        } else {
            quote!(write_field)
        };
        quote_spanned!(ty.span()=> #support::#function::<#ty>(&mut __writer, #name, &self.#member)?;)
    });
    let field_count = container.fields.len();

    quote! {
        #[automatically_derived]
        impl #impl_generics #support::SessionAttributes for #ident #ty_generics #where_clause {
            const ATTRIBUTE_NAMES: &'static [&'static str] = &[#(#names),*];
            const INDEXED_ATTRIBUTES: &'static [&'static str] = &[#(#indexed_names),*];

            fn load(
                __session: &#support::Session,
            ) -> #support::Result<Self, #support::SessionAttributesError> {
                #container_default
                #support::Ok(Self { #(#loads,)* })
            }

            fn save(&self, __session: &#support::Session) -> #support::Result<(), #support::SessionInsertError> {
                #(#assertions)*
                let mut __writer = #support::AttributeWriter::with_capacity(#field_count);
                #(#saves)*
                __writer.write_to(__session)?;
                #support::Ok(())
            }
        }

        #[automatically_derived]
        impl #impl_generics #support::FromRequest for #ident #ty_generics #where_clause {
            type Error = #support::SessionAttributesError;
            type Future = #support::ExtractFuture<Self>;

            fn from_request(
                __request: &#support::HttpRequest,
                __payload: &mut #support::Payload,
            ) -> Self::Future {
                #support::extract::<Self>(__request, __payload)
            }
        }
    }
}

/// The attribute name as a `&'static str` expression.
fn attribute_name(field: &Field<'_>, support: &TokenStream) -> TokenStream {
    match field.attribute_name() {
        AttributeName::Principal(key) => quote_spanned!(key.span()=> #support::PRINCIPAL_NAME_INDEX_NAME),
        AttributeName::Literal(name, span) => {
            let literal = syn::LitStr::new(&name, span);
            quote!(#literal)
        }
    }
}

/// The struct's generics, with what the impls need of type parameters: owned
/// (`'static`, the extractor's future is boxed) and every field type
/// (de)serializable.
fn bounded_generics(container: &Container<'_>, support: &TokenStream) -> syn::Generics {
    let mut generics = container.generics.clone();
    if generics.type_params().next().is_none() {
        return generics;
    }
    let type_params: Vec<syn::Ident> = generics.type_params().map(|param| param.ident.clone()).collect();
    let where_clause = generics.make_where_clause();
    for param in &type_params {
        where_clause.predicates.push(syn::parse_quote!(#param: 'static));
    }
    for field in &container.fields {
        let ty = field.ty;
        where_clause
            .predicates
            .push(syn::parse_quote!(#ty: #support::Serialize + #support::DeserializeOwned));
    }
    generics
}
