//! Parsing `#[enable_clustered_session(name = value, ...)]` into typed values,
//! with the span of every token for errors. Only the shape of each value is
//! checked here (a string where a string belongs); what the values mean is
//! checked in `check.rs`.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, ExprLit, ExprUnary, Lit, LitBool, LitInt, LitStr, Meta, Token, UnOp};

use super::Errors;
use session_rules::attributes::{ATTRIBUTES, Attribute, AttributeValue, attribute};
use session_rules::did_you_mean;

/// Every attribute name, in the declared order (the seed's, then this macro's own).
fn attribute_names() -> impl Iterator<Item = &'static str> {
    ATTRIBUTES.iter().map(|attribute| attribute.name)
}

/// A shortcut as written: an identifier (`CACHING_PROXY`) or a string (`"CACHING_PROXY"`).
pub(crate) struct ShortcutName {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// An integer: a literal or arithmetic on literals, evaluated here (`value`),
/// or an expression only the compiler can evaluate (`runtime`: a path to a
/// constant, a `const fn` call, ...), checked by the same rule when the
/// sessions are built.
pub(crate) struct Integer {
    /// The value, with its sign; `None` when it does not even fit an `i128`
    /// (it certainly does not fit an `i64`). Meaningless when `runtime` is set.
    pub(crate) value: Option<i128>,
    /// The digits (a leading `-` is a token of its own; errors point at the
    /// number), or the whole expression.
    pub(crate) span: Span,
    /// The expression to evaluate at run time, when it is not made of literals.
    pub(crate) runtime: Option<Expr>,
    /// Arithmetic the macro evaluated, for errors spanning all of it.
    pub(crate) evaluated: Option<Expr>,
}

impl Integer {
    /// An error about the value, at the number or over the whole arithmetic.
    pub(crate) fn error(&self, message: String) -> syn::Error {
        match &self.evaluated {
            Some(expr) => syn::Error::new_spanned(expr, message),
            None => syn::Error::new(self.span, message),
        }
    }
}

/// A flag given bare (`header`) or with a boolean (`header = false`).
pub(crate) struct Flag {
    pub(crate) value: bool,
    pub(crate) span: Span,
}

/// An attribute's value as written, of the shape its [`AttributeValue`] takes.
pub(crate) enum Given {
    Bool(LitBool),
    Flag(Flag),
    /// A [`AttributeValue::Text`] or [`AttributeValue::Choice`].
    Text(LitStr),
    Names(Vec<LitStr>),
    Shortcut(ShortcutName),
    /// Boxed: expressions are large, the other shapes small.
    Integer(Box<Integer>),
    Function(syn::Path),
    /// A path to a constant where a [`AttributeValue::Bool`],
    /// [`AttributeValue::Text`], [`AttributeValue::Choice`] or (a path of
    /// more than one segment) [`AttributeValue::Shortcut`] is expected:
    /// typed by the setter, checked when the sessions are built.
    Constant(syn::Path),
}

/// Every attribute given, in the declared order (not as written), each with
/// its declaration.
#[derive(Default)]
pub(crate) struct Attributes {
    pub(crate) given: Vec<(&'static Attribute, Given)>,
}

impl Attributes {
    /// The value of the attribute `name`, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&Given> {
        self.given
            .iter()
            .find(|(attribute, _)| attribute.name == name)
            .map(|(_, given)| given)
    }

    /// The string given to `name`, if any.
    pub(crate) fn text(&self, name: &str) -> Option<&LitStr> {
        match self.get(name) {
            Some(Given::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// Whether the flag `name` is given and true; its span.
    pub(crate) fn flag(&self, name: &str) -> Option<Span> {
        match self.get(name) {
            Some(Given::Flag(flag)) if flag.value => Some(flag.span),
            _ => None,
        }
    }

    /// The function given to `name`, if any.
    pub(crate) fn function(&self, name: &str) -> Option<&syn::Path> {
        match self.get(name) {
            Some(Given::Function(path)) => Some(path),
            _ => None,
        }
    }
}

/// Parses the attribute arguments, recording every problem in `errors` and
/// keeping what parsed, so that later checks still run on the rest.
pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Attributes {
    let mut attributes = Attributes::default();
    // Names seen so far, valid or not: a repeat is a duplicate even when the
    // first value was rejected.
    let mut seen: Vec<String> = Vec::new();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(error) => {
            errors.push(error);
            return attributes;
        }
    };
    for meta in metas {
        let Some(name) = meta.path().get_ident().cloned() else {
            errors.push(unknown(meta.path().span(), &path_text(meta.path())));
            continue;
        };
        let key = name.to_string();
        let Some(declared) = attribute(&key) else {
            errors.push(unknown(name.span(), &key));
            continue;
        };
        if seen.contains(&key) {
            errors.push(syn::Error::new(
                name.span(),
                format!("duplicate attribute `{key}`: it is already given above"),
            ));
            continue;
        }
        seen.push(key);
        match given(declared, meta) {
            Ok(given) => attributes.given.push((declared, given)),
            Err(error) => errors.push(error),
        }
    }
    attributes
        .given
        .sort_by_key(|(declared, _)| ATTRIBUTES.iter().position(|attribute| attribute.name == declared.name));
    attributes
}

/// One known attribute's value, or why it has the wrong shape.
fn given(declared: &Attribute, meta: Meta) -> syn::Result<Given> {
    let key = declared.name;
    let example = declared.example;
    if matches!(declared.value, AttributeValue::Flag) {
        return Ok(Given::Flag(match meta {
            Meta::Path(path) => Flag {
                value: true,
                span: path.span(),
            },
            Meta::NameValue(pair) => {
                let flag = boolean(&pair.value, key)?;
                Flag {
                    value: flag.value,
                    span: flag.span,
                }
            }
            Meta::List(list) => {
                return Err(not_a_list(&list, key, &format!("`{key}` or `{key} = {example}`")));
            }
        }));
    }
    let value = match meta {
        Meta::NameValue(pair) => pair.value,
        Meta::Path(path) => {
            return Err(syn::Error::new(
                path.span(),
                format!("`{key}` needs a value: `{key} = {example}`"),
            ));
        }
        Meta::List(list) => return Err(not_a_list(&list, key, &format!("`{key} = {example}`"))),
    };
    Ok(match &declared.value {
        AttributeValue::Bool => match constant(&value) {
            Some(path) => Given::Constant(path),
            None => Given::Bool(
                boolean(&value, key)
                    .map_err(|_| wrong_type(&value, key, "`true`, `false` or a path to a `bool` constant"))?,
            ),
        },
        AttributeValue::Text(_) | AttributeValue::Choice { .. } => match constant(&value) {
            Some(path) => Given::Constant(path),
            None => Given::Text(string(&value, key)?),
        },
        AttributeValue::Names(_) => Given::Names(strings(&value, key)?),
        // A lone identifier is a shortcut's name (the seed's `CACHING_PROXY`).
        AttributeValue::Shortcut(_) => match constant(&value) {
            Some(path) if path.leading_colon.is_some() || path.segments.len() > 1 => Given::Constant(path),
            _ => Given::Shortcut(shortcut(&value, key)?),
        },
        AttributeValue::Integer(integer_value) => Given::Integer(Box::new(integer(&value, key, integer_value.ty)?)),
        AttributeValue::Function => Given::Function(path(&value, key)?),
        AttributeValue::Flag => unreachable!("handled above"),
    })
}

fn unknown(span: Span, given: &str) -> syn::Error {
    let hint = match did_you_mean(given, attribute_names()) {
        Some(suggestion) => format!("; did you mean `{suggestion}`?"),
        None => format!(
            "; expected one of: {}",
            attribute_names().collect::<Vec<_>>().join(", ")
        ),
    };
    syn::Error::new(span, format!("unknown attribute `{given}`{hint}"))
}

fn not_a_list(list: &syn::MetaList, key: &str, expected: &str) -> syn::Error {
    syn::Error::new(
        list.delimiter.span().join(),
        format!("`{key}` takes no parenthesized list: write {expected}"),
    )
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// A description of what was found, for "expected X, found Y" messages.
fn found(value: &Expr) -> &'static str {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(_) => "a string",
            Lit::Int(_) => "an integer",
            Lit::Float(_) => "a floating-point number",
            Lit::Bool(_) => "a boolean",
            Lit::Char(_) => "a character",
            Lit::ByteStr(_) | Lit::CStr(_) => "a byte or C string",
            _ => "a literal",
        },
        Expr::Path(_) => "a path",
        Expr::Array(_) => "an array",
        _ => "an expression",
    }
}

fn wrong_type(value: &Expr, key: &str, expected: &str) -> syn::Error {
    syn::Error::new_spanned(value, format!("`{key}` expects {expected}, found {}", found(value)))
}

fn string(value: &Expr, key: &str) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text), ..
        }) => Ok(text.clone()),
        _ => Err(wrong_type(
            value,
            key,
            "a string literal or a path to a `&str` constant",
        )),
    }
}

/// A path (`REGION`, `config::REGION`) where a literal may be: a constant.
fn constant(value: &Expr) -> Option<syn::Path> {
    match value {
        Expr::Path(path) if path.qself.is_none() => Some(path.path.clone()),
        _ => None,
    }
}

fn boolean(value: &Expr, key: &str) -> syn::Result<LitBool> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(flag), ..
        }) => Ok(flag.clone()),
        _ => Err(wrong_type(value, key, "`true` or `false`")),
    }
}

fn strings(value: &Expr, key: &str) -> syn::Result<Vec<LitStr>> {
    let Expr::Array(array) = value else {
        return Err(wrong_type(value, key, "an array of string literals, `[\"name\", ...]`"));
    };
    let mut names = Vec::with_capacity(array.elems.len());
    let mut errors: Option<syn::Error> = None;
    for element in &array.elems {
        match element {
            Expr::Lit(ExprLit {
                lit: Lit::Str(name), ..
            }) => names.push(name.clone()),
            other => {
                let error = wrong_type(other, key, "string literals in its array");
                match &mut errors {
                    Some(errors) => errors.combine(error),
                    None => errors = Some(error),
                }
            }
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(names),
    }
}

fn shortcut(value: &Expr, key: &str) -> syn::Result<ShortcutName> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => Ok(ShortcutName {
            name: path.path.segments[0].ident.to_string(),
            span: path.span(),
        }),
        Expr::Lit(ExprLit {
            lit: Lit::Str(text), ..
        }) => Ok(ShortcutName {
            name: text.value(),
            span: text.span(),
        }),
        _ => Err(wrong_type(
            value,
            key,
            "a shortcut name, like `PROXY` or `\"PROXY\"`, or a path to a constant, like `self::SHORTCUT`",
        )),
    }
}

/// An integer literal, optionally negated, unsuffixed or suffixed `ty`;
/// arithmetic on such literals (`15 * 60`), evaluated here; or any other
/// integer expression (`IDLE_SECS`, `HOURS * 3600`), left to run time. The
/// sign and range of a value known here are checked later.
fn integer(value: &Expr, key: &str, ty: &str) -> syn::Result<Integer> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal), ..
        }) => literal_integer(literal, false, key, ty),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), expr, ..
        }) if matches!(&**expr, Expr::Lit(ExprLit { lit: Lit::Int(_), .. })) => {
            let Expr::Lit(ExprLit {
                lit: Lit::Int(literal), ..
            }) = &**expr
            else {
                unreachable!("matched above")
            };
            literal_integer(literal, true, key, ty)
        }
        Expr::Lit(_) | Expr::Array(_) | Expr::Tuple(_) | Expr::Closure(_) | Expr::Range(_) | Expr::Reference(_) => {
            Err(wrong_type(
                value,
                key,
                "an integer (seconds): a literal, a constant, or arithmetic on them",
            ))
        }
        _ => match evaluate(value, key, ty)? {
            Evaluated::Value(evaluated) => Ok(Integer {
                value: evaluated,
                span: value.span(),
                runtime: None,
                evaluated: Some(value.clone()),
            }),
            Evaluated::NotConstant => Ok(Integer {
                value: None,
                span: value.span(),
                runtime: Some(value.clone()),
                evaluated: None,
            }),
        },
    }
}

fn literal_integer(literal: &LitInt, negative: bool, key: &str, ty: &str) -> syn::Result<Integer> {
    check_suffix(literal, key, ty)?;
    let magnitude = literal.base10_digits().parse::<i128>().ok();
    Ok(Integer {
        value: magnitude.map(|magnitude| if negative { -magnitude } else { magnitude }),
        span: literal.span(),
        runtime: None,
        evaluated: None,
    })
}

fn check_suffix(literal: &LitInt, key: &str, ty: &str) -> syn::Result<()> {
    if literal.suffix().is_empty() || literal.suffix() == ty {
        return Ok(());
    }
    let article = if ty.starts_with('u') { "a" } else { "an" };
    Err(syn::Error::new(
        literal.span(),
        format!(
            "`{key}` is {article} `{ty}` number of seconds: drop the `{}` suffix",
            literal.suffix()
        ),
    ))
}

/// What [`evaluate`] made of an expression.
enum Evaluated {
    /// Literals and arithmetic on them: the value, `None` past `i128`.
    Value(Option<i128>),
    /// Something only the compiler can evaluate.
    NotConstant,
}

/// Evaluates `+ - * / %`, negation and parentheses over integer literals, as
/// the compiler would (`/` and `%` truncate); anything else is `NotConstant`.
fn evaluate(expr: &Expr, key: &str, ty: &str) -> syn::Result<Evaluated> {
    use Evaluated::{NotConstant, Value};
    Ok(match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal), ..
        }) => {
            check_suffix(literal, key, ty)?;
            Value(literal.base10_digits().parse::<i128>().ok())
        }
        Expr::Paren(inner) => evaluate(&inner.expr, key, ty)?,
        Expr::Group(inner) => evaluate(&inner.expr, key, ty)?,
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), expr, ..
        }) => match evaluate(expr, key, ty)? {
            Value(value) => Value(value.and_then(i128::checked_neg)),
            NotConstant => NotConstant,
        },
        Expr::Binary(binary) => {
            let (left, right) = match (evaluate(&binary.left, key, ty)?, evaluate(&binary.right, key, ty)?) {
                (Value(left), Value(right)) => (left, right),
                _ => return Ok(NotConstant),
            };
            let apply: fn(i128, i128) -> Option<i128> = match binary.op {
                BinOp::Add(_) => i128::checked_add,
                BinOp::Sub(_) => i128::checked_sub,
                BinOp::Mul(_) => i128::checked_mul,
                BinOp::Div(_) | BinOp::Rem(_) if right == Some(0) => {
                    return Err(syn::Error::new_spanned(binary, format!("`{key}`: division by zero")));
                }
                BinOp::Div(_) => i128::checked_div,
                BinOp::Rem(_) => i128::checked_rem,
                _ => return Ok(NotConstant),
            };
            Value(left.zip(right).and_then(|(left, right)| apply(left, right)))
        }
        _ => NotConstant,
    })
}

fn path(value: &Expr, key: &str) -> syn::Result<syn::Path> {
    match value {
        Expr::Path(path) if path.qself.is_none() => Ok(path.path.clone()),
        _ => Err(wrong_type(
            value,
            key,
            "a path to a function, like `path::to::function`",
        )),
    }
}
