//! Parsing `#[session(...)]` on the struct and on its fields.
//!
//! Struct keys: `default`, `crate = "path"`.
//! Field keys: `rename = "name"`, `default`, `default = "path::to::fn"`, `principal`, `indexed`.
//!
//! Every `#[session(...)]` is first read as a list of `key` / `key = value`
//! entries, then interpreted; a bad entry is reported and the others are still
//! read, so all the mistakes show up at once.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

use super::Errors;

/// The helper attribute's name.
const ATTRIBUTE: &str = "session";

/// Keys accepted on the struct.
pub(crate) const CONTAINER_KEYS: &[&str] = &["default", "crate"];

/// Keys accepted on a field.
pub(crate) const FIELD_KEYS: &[&str] = &["rename", "default", "principal", "indexed"];

/// The deriving struct and its fields, as the attributes describe them.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) generics: &'a syn::Generics,
    pub(crate) fields: Vec<Field<'a>>,
    /// `#[session(default)]` on the struct: absent attributes take the value of
    /// the field in `<Self as Default>::default()`.
    pub(crate) default: Option<syn::Ident>,
    /// `#[session(crate = "...")]`: where `session_actix` is (default `::session_actix`).
    pub(crate) crate_path: Option<syn::Path>,
}

/// One field, one session attribute.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) ty: &'a syn::Type,
    /// `rename = "..."`: the key, and the attribute name.
    pub(crate) rename: Option<(syn::Ident, syn::LitStr)>,
    pub(crate) default: Option<FieldDefault>,
    /// `principal`: the key (for spans).
    pub(crate) principal: Option<syn::Ident>,
    /// `indexed`: the key (for spans).
    pub(crate) indexed: Option<syn::Ident>,
}

/// What an absent attribute reads as.
pub(crate) enum FieldDefault {
    /// `default`: `Default::default()` of the field's type.
    Trait,
    /// `default = "path"`: a function returning the value.
    Function(syn::ExprPath),
}

/// The attribute name a field maps to.
pub(crate) enum AttributeName<'f> {
    /// The principal name attribute (`PRINCIPAL_NAME_INDEX_NAME`).
    Principal(&'f syn::Ident),
    /// A literal name: the field's name or its `rename`, with the token to blame.
    Literal(String, Span),
}

impl Field<'_> {
    /// The session attribute this field maps to.
    pub(crate) fn attribute_name(&self) -> AttributeName<'_> {
        if let Some(principal) = &self.principal {
            AttributeName::Principal(principal)
        } else if let Some((_, name)) = &self.rename {
            AttributeName::Literal(name.value(), name.span())
        } else {
            AttributeName::Literal(self.ident.unraw().to_string(), self.ident.span())
        }
    }

    /// Whether the field's type must be an `IndexableAttribute`.
    pub(crate) fn must_be_indexable(&self) -> bool {
        self.principal.is_some() || self.indexed.is_some()
    }
}

impl<'a> Container<'a> {
    /// Reads the struct's and the fields' attributes. `fields` is `None` when the
    /// input is not a struct with named fields (already reported).
    pub(crate) fn from_ast(
        input: &'a syn::DeriveInput,
        fields: Option<&'a syn::FieldsNamed>,
        errors: &mut Errors,
    ) -> Option<Self> {
        let mut container = Container {
            ident: &input.ident,
            generics: &input.generics,
            fields: Vec::new(),
            default: None,
            crate_path: None,
        };
        for entry in entries(&input.attrs, errors) {
            let key = entry.key.to_string();
            match key.as_str() {
                "default" => {
                    if entry.expect_flag(errors) {
                        set_once(&mut container.default, entry.key.clone(), &entry.key, errors);
                    }
                }
                "crate" => {
                    if let Some(path) = entry.expect_path(errors) {
                        set_once(&mut container.crate_path, path, &entry.key, errors);
                    }
                }
                _ if FIELD_KEYS.contains(&key.as_str()) => errors.spanned(
                    &entry.key,
                    format!("`{key}` applies to a field, not to the struct: put it on the field's `#[session(...)]`"),
                ),
                _ => errors.push(unknown_key(&entry.key, CONTAINER_KEYS, "struct")),
            }
        }
        let fields = fields?;
        container.fields = fields
            .named
            .iter()
            .filter_map(|field| Some(Field::from_ast(field.ident.as_ref()?, field, errors)))
            .collect();
        Some(container)
    }
}

impl<'a> Field<'a> {
    fn from_ast(ident: &'a syn::Ident, field: &'a syn::Field, errors: &mut Errors) -> Self {
        let mut parsed = Field {
            ident,
            ty: &field.ty,
            rename: None,
            default: None,
            principal: None,
            indexed: None,
        };
        for entry in entries(&field.attrs, errors) {
            let key = entry.key.to_string();
            match key.as_str() {
                "rename" => {
                    if let Some(name) = entry.expect_string(errors) {
                        set_once(&mut parsed.rename, (entry.key.clone(), name), &entry.key, errors);
                    }
                }
                "default" => {
                    let default = match &entry.value {
                        None => Some(FieldDefault::Trait),
                        Some(_) => entry.expect_path(errors).map(|path| {
                            FieldDefault::Function(syn::ExprPath {
                                attrs: Vec::new(),
                                qself: None,
                                path,
                            })
                        }),
                    };
                    if let Some(default) = default {
                        if parsed.default.is_some() {
                            errors.spanned(&entry.key, "duplicate `default`");
                        }
                        parsed.default = Some(default);
                    }
                }
                "principal" => {
                    if entry.expect_flag(errors) {
                        set_once(&mut parsed.principal, entry.key.clone(), &entry.key, errors);
                    }
                }
                "indexed" => {
                    if entry.expect_flag(errors) {
                        set_once(&mut parsed.indexed, entry.key.clone(), &entry.key, errors);
                    }
                }
                _ if CONTAINER_KEYS.contains(&key.as_str()) => errors.spanned(
                    &entry.key,
                    format!("`{key}` applies to the struct, not to a field: put it on the struct's `#[session(...)]`"),
                ),
                _ => errors.push(unknown_key(&entry.key, FIELD_KEYS, "field")),
            }
        }
        parsed
    }
}

/// Sets a key's value, reporting a repeated key (the later one wins).
fn set_once<T>(slot: &mut Option<T>, value: T, key: &syn::Ident, errors: &mut Errors) {
    if slot.is_some() {
        errors.spanned(key, format!("duplicate `{key}`"));
    }
    *slot = Some(value);
}

/// The "unknown key" error, with a did-you-mean and the keys that do exist.
fn unknown_key(key: &syn::Ident, known: &[&str], level: &str) -> syn::Error {
    let name = key.to_string();
    let list = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    let message = match session_rules::did_you_mean(&name, known.iter().copied()) {
        Some(suggestion) => {
            format!("unknown `#[{ATTRIBUTE}]` {level} key `{name}`: did you mean `{suggestion}`? (known: {list})")
        }
        None => format!("unknown `#[{ATTRIBUTE}]` {level} key `{name}` (known: {list})"),
    };
    syn::Error::new(key.span(), message)
}

/// One `key` or `key = value` inside `#[session(...)]`.
struct Entry {
    key: syn::Ident,
    value: Option<syn::Expr>,
    /// `key(...)`: arguments in parentheses, which no key takes.
    parenthesized: Option<proc_macro2::Group>,
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `crate` is a keyword; keys are read as any identifier.
        let key = syn::Ident::parse_any(input)?;
        let mut entry = Entry {
            key,
            value: None,
            parenthesized: None,
        };
        if input.peek(syn::Token![=]) {
            input.parse::<syn::Token![=]>()?;
            entry.value = Some(input.parse()?);
        } else if input.peek(syn::token::Paren) {
            entry.parenthesized = Some(input.parse()?);
        }
        Ok(entry)
    }
}

impl Entry {
    /// A key that takes no value (`principal`, `indexed`, `default`).
    fn expect_flag(&self, errors: &mut Errors) -> bool {
        if let Some(value) = &self.value {
            errors.spanned(
                value,
                format!("`{}` takes no value: write `{}` alone", self.key, self.key),
            );
            false
        } else {
            self.check_no_parentheses(errors)
        }
    }

    /// A key that takes a string (`rename = "..."`).
    fn expect_string(&self, errors: &mut Errors) -> Option<syn::LitStr> {
        if !self.check_no_parentheses(errors) {
            return None;
        }
        match &self.value {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(string),
                ..
            })) => Some(string.clone()),
            Some(other) => {
                errors.spanned(other, format!("expected a string: `{} = \"...\"`", self.key));
                None
            }
            None => {
                errors.spanned(
                    &self.key,
                    format!("`{}` needs a value: `{} = \"...\"`", self.key, self.key),
                );
                None
            }
        }
    }

    /// A key that takes a path, written as a string (serde's style) or bare.
    fn expect_path(&self, errors: &mut Errors) -> Option<syn::Path> {
        if !self.check_no_parentheses(errors) {
            return None;
        }
        match &self.value {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(string),
                ..
            })) => match string.parse::<syn::Path>() {
                Ok(path) => Some(path),
                Err(_) => {
                    errors.spanned(string, format!("`{}` expects a path, such as `\"my::path\"`", self.key));
                    None
                }
            },
            Some(syn::Expr::Path(syn::ExprPath { qself: None, path, .. })) => Some(path.clone()),
            Some(other) => {
                errors.spanned(other, format!("`{}` expects a path, such as `\"my::path\"`", self.key));
                None
            }
            None => {
                errors.spanned(
                    &self.key,
                    format!("`{}` needs a value: `{} = \"path\"`", self.key, self.key),
                );
                None
            }
        }
    }

    fn check_no_parentheses(&self, errors: &mut Errors) -> bool {
        match &self.parenthesized {
            Some(group) => {
                errors.spanned(group, format!("`{}` takes no arguments in parentheses", self.key));
                false
            }
            None => true,
        }
    }
}

/// Every entry of every `#[session(...)]` in `attrs`. An attribute that does not
/// parse is reported and skipped.
fn entries(attrs: &[syn::Attribute], errors: &mut Errors) -> Vec<Entry> {
    let mut entries = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(ATTRIBUTE)) {
        let list = match &attr.meta {
            syn::Meta::List(list) => list,
            other => {
                errors.spanned(other, format!("expected `#[{ATTRIBUTE}(...)]`"));
                continue;
            }
        };
        match list.parse_args_with(Punctuated::<Entry, syn::Token![,]>::parse_terminated) {
            Ok(parsed) => entries.extend(parsed),
            Err(error) => errors.push(error),
        }
    }
    entries
}
