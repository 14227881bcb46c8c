//! `subscriptions list` as a check in a pipeline: purchases since a date, outside the products
//! the organisation accepts, printed — or as JUnit, one test case per subscription, the
//! accepted ones passing — and with `--detailed-exitcode` exit 8 when any are found.

use serde::Serialize;

use super::admin_records::{SubscriptionRecord, print_many};
use super::subscriptions::TenantSubscriptionRecord;
use crate::cli::{DetectionArgs, Format};
use crate::error::CliError;
use crate::junit;
use crate::output::Printer;

/// What detection reads of a subscription, on our service and on a tenant alike.
pub trait Purchase {
    fn id(&self) -> &str;
    fn created(&self) -> &str;
    fn purchaser(&self) -> &str;
    fn product_name(&self) -> &str;
    /// Every name `--allow-product` may give it by.
    fn product_keys(&self) -> Vec<&str>;
}

/// `Purchase` for a record with `subscription_id`, `created`, `purchaser`, `product_name`
/// fields, known by the product fields listed.
macro_rules! purchase {
    ($record:ty, $($key:ident),+) => {
        impl Purchase for $record {
            fn id(&self) -> &str {
                &self.subscription_id
            }
            fn created(&self) -> &str {
                &self.created
            }
            fn purchaser(&self) -> &str {
                &self.purchaser
            }
            fn product_name(&self) -> &str {
                &self.product_name
            }
            fn product_keys(&self) -> Vec<&str> {
                vec![$(&self.$key),+]
            }
        }
    };
}

purchase!(SubscriptionRecord, product_id, product_name);
purchase!(TenantSubscriptionRecord, product_id, product_name, sku_part_number);

/// Whether the organisation accepts this purchase's product.
fn allowed<T: Purchase>(item: &T, args: &DetectionArgs) -> bool {
    let keys = item.product_keys();
    args.allow_product.iter().map(|a| a.trim()).any(|a| keys.iter().any(|k| !a.is_empty() && k.eq_ignore_ascii_case(a)))
}

/// Prints what was found (JUnit: every subscription since the date, the accepted ones as
/// passing cases) and fails with exit 8 when asked and anything was found.
pub fn report<T: Purchase + Serialize>(printer: &Printer, items: Vec<T>, args: &DetectionArgs) -> Result<(), CliError> {
    // RFC 3339 instants in UTC compare as text.
    let recent: Vec<T> =
        items.into_iter().filter(|i| args.since.as_deref().is_none_or(|since| i.created() >= since)).collect();
    let (accepted, found): (Vec<T>, Vec<T>) = recent.into_iter().partition(|i| allowed(i, args));
    let named = summary(&found);
    let count = found.len();
    match printer.format {
        Format::Junit => printer.write(&junit_report(&found, &accepted)),
        _ => print_many(printer, found),
    }?;
    match args.detailed_exitcode && count > 0 {
        true => Err(CliError::Detected { count, named }),
        false => Ok(()),
    }
}

/// The first few found, for the error line a pipeline shows: product and purchaser.
fn summary<T: Purchase>(found: &[T]) -> String {
    let mut parts: Vec<String> = found.iter().take(5).map(describe).collect();
    if found.len() > 5 {
        parts.push(format!("and {} more", found.len() - 5));
    }
    parts.join("; ")
}

fn describe<T: Purchase>(item: &T) -> String {
    match item.purchaser() {
        "" => format!("{} ({})", item.product_name(), item.id()),
        who => format!("{} bought by {who} ({})", item.product_name(), item.id()),
    }
}

fn junit_report<T: Purchase>(found: &[T], accepted: &[T]) -> String {
    let case = |item: &T, failure: Option<String>| junit::Case {
        suite: "subscriptions".into(),
        name: describe(item),
        failure,
    };
    let mut cases: Vec<junit::Case> =
        found.iter().map(|i| case(i, Some(format!("{} on {}", describe(i), i.created())))).collect();
    cases.extend(accepted.iter().map(|i| case(i, None)));
    junit::report("self-service purchases", &cases)
}
