//! Checks across the whole input: the shape of the type, generics, and the
//! fields' attribute names and roles taken together.

use std::collections::BTreeMap;

use super::Errors;
use super::attr::{AttributeName, Container};

// The principal name attribute (session-core exports the same constant), to
// catch a field renamed to it; the generated code names session-core's constant.
use session_rules::PRINCIPAL_NAME_INDEX_NAME;

/// The named fields of the input, or `None` (reported) for enums, unions,
/// tuple structs and unit structs.
pub(crate) fn data_shape<'a>(input: &'a syn::DeriveInput, errors: &mut Errors) -> Option<&'a syn::FieldsNamed> {
    const WHY: &str = "each field maps to the session attribute of the same name";
    match &input.data {
        syn::Data::Struct(data) => match &data.fields {
            syn::Fields::Named(fields) => Some(fields),
            syn::Fields::Unnamed(fields) => {
                errors.spanned(
                    fields,
                    format!("`SessionAttributes` needs a struct with named fields, not a tuple struct: {WHY}"),
                );
                None
            }
            syn::Fields::Unit => {
                errors.spanned(
                    &input.ident,
                    format!("`SessionAttributes` needs a struct with named fields, not a unit struct: {WHY}"),
                );
                None
            }
        },
        syn::Data::Enum(data) => {
            errors.spanned(
                data.enum_token,
                format!("`SessionAttributes` can only be derived for a struct with named fields, not an enum: {WHY}"),
            );
            None
        }
        syn::Data::Union(data) => {
            errors.spanned(
                data.union_token,
                format!("`SessionAttributes` can only be derived for a struct with named fields, not a union: {WHY}"),
            );
            None
        }
    }
}

/// Checks what parsing one field at a time cannot see.
pub(crate) fn check(container: &Container<'_>, errors: &mut Errors) {
    for lifetime in container.generics.lifetimes() {
        errors.spanned(
            lifetime,
            "`SessionAttributes` cannot have lifetime parameters: the fields are read from the session as owned \
             values",
        );
    }

    let mut principal: Option<&syn::Ident> = None;
    // Attribute name -> the field that maps to it first.
    let mut names: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for field in &container.fields {
        if let Some(key) = &field.principal {
            match principal {
                Some(first) => errors.spanned(
                    key,
                    format!(
                        "only one field can be the principal name: `{first}` already is (both would be the attribute \
                         `PRINCIPAL_NAME_INDEX_NAME`)"
                    ),
                ),
                None => principal = Some(field.ident),
            }
            if let Some((rename, _)) = &field.rename {
                errors.spanned(
                    rename,
                    "a `principal` field is always the attribute `PRINCIPAL_NAME_INDEX_NAME`: remove `rename`",
                );
            }
            if let Some(indexed) = &field.indexed {
                errors.spanned(indexed, "the principal name is always indexed: remove `indexed`");
            }
        }
        if let Some((_, name)) = &field.rename {
            let value = name.value();
            if value.is_empty() {
                errors.spanned(name, "a session attribute name cannot be empty");
            } else if value == PRINCIPAL_NAME_INDEX_NAME {
                errors.spanned(
                    name,
                    "this is the principal name attribute: write `#[session(principal)]` instead of renaming, so that \
                     the field's type is checked to be indexable",
                );
            }
        }
        if let AttributeName::Literal(name, span) = field.attribute_name() {
            // Principal fields are checked above; empty names are already reported.
            if name.is_empty() {
                continue;
            }
            if let Some(first) = names.get(&name) {
                errors.push(syn::Error::new(
                    span,
                    format!("duplicate session attribute name `{name}`: field `{first}` already maps to it"),
                ));
            } else {
                names.insert(name, field.ident);
            }
        }
    }
}
