//! Completion of catalogue ids: a value parser that offers the built-in catalogue's product
//! ids (or offer types) to shell completion, while accepting any well-formed id — a tenant
//! has products the built-in catalogue has not heard of yet. The list is kept out of
//! `--help` (`hide_possible_values`), where forty ids would bury the flag's description.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, StringValueParser, TryMapValueParser, TypedValueParser};
use commerce_model::{Catalog, ModelError, OfferType, ProductId};

/// How an id is read from its text.
type Parse<T> = fn(String) -> Result<T, ModelError>;

/// Parses as `inner` does (clap's own messages for a refused value), completes with `ids`.
#[derive(Clone)]
pub struct CatalogIds<T> {
    inner: TryMapValueParser<StringValueParser, Parse<T>>,
    ids: fn() -> Vec<PossibleValue>,
}

impl<T: Clone + Send + Sync + 'static> CatalogIds<T> {
    fn new(parse: Parse<T>, ids: fn() -> Vec<PossibleValue>) -> Self {
        Self { inner: StringValueParser::new().try_map(parse), ids }
    }
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for CatalogIds<T> {
    type Value = T;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<T, clap::Error> {
        self.inner.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.ids)().into_iter()))
    }
}

/// The built-in catalogue's product ids, each with the product's name for shells that show one.
fn product_ids() -> Vec<PossibleValue> {
    Catalog::builtin().products.iter().map(|p| PossibleValue::new(p.id.as_str()).help(p.name.as_str())).collect()
}

fn offer_types() -> Vec<PossibleValue> {
    Catalog::builtin().offer_types.iter().map(|o| PossibleValue::new(o.id.as_str()).help(o.name.as_str())).collect()
}

/// A product id (`--product-id` of `get`).
pub fn product_id() -> CatalogIds<ProductId> {
    CatalogIds::new(|s| s.parse(), product_ids)
}

/// A word of `update --product-id`: an id, or `-` for stdin; each id is checked when the
/// selection is read, with the ids from stdin.
pub fn product_id_word() -> CatalogIds<String> {
    CatalogIds::new(Ok, product_ids)
}

/// An offer type (`--offer-type`).
pub fn offer_type() -> CatalogIds<OfferType> {
    CatalogIds::new(|s| s.parse(), offer_types)
}
