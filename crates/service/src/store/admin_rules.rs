//! The administration's rules as plain functions, free of any backend: which purchases a
//! policy value allows, the bounds of quantities, the emulator's prices and terms, what a
//! cancellation needs, and the mails purchasers get. Every backend calls these, inside its
//! transaction, so the rules cannot differ between stores (or between a what-if and the real
//! thing).

use std::time::{Duration, SystemTime};

use commerce_model::PolicyValue;
use commerce_model::admin::{Cancellation, CancellationReason, NewUser, NotificationKind, Price, User};

use super::{Rule, StoreError};

/// Licenses one subscription may have.
pub(crate) const QUANTITIES: std::ops::RangeInclusive<u32> = 1..=10_000;
/// A trial's licenses at most (Microsoft's trials come with 25).
pub(crate) const TRIAL_LICENSES: u32 = 25;
/// How long a trial lasts, and a paid subscription's billing period, in days.
pub(crate) const TERM_DAYS: u64 = 30;

/// The emulator's own price of a paid license (Microsoft publishes no price API).
pub(crate) fn paid_price() -> Price {
    Price { amount: "10.00".into(), currency: "USD".into(), billing_period: "P1M".into() }
}

pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// When a subscription bought now ends (a trial) or renews.
pub(crate) fn expiry() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(TERM_DAYS * 86_400)).to_string()
}

/// Now plus `later`, in Unix milliseconds: when an outbox row is next due.
pub(crate) fn unix_millis(later: Duration) -> i64 {
    let at = SystemTime::now() + later;
    at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A user to add, checked: a principal name like an address, a display name, a GUID id
/// (made when none is given).
pub(crate) fn checked_user(new: &NewUser) -> Result<User, StoreError> {
    let invalid = |why: String| Err(StoreError::rule(Rule::Invalid, why));
    let upn = new.user_principal_name.trim();
    if upn.len() > 256
        || !upn.contains('@')
        || upn.starts_with('@')
        || upn.ends_with('@')
        || upn.contains(char::is_whitespace)
    {
        return invalid(format!("'{}' is not a user principal name (name@domain)", upn.escape_debug()));
    }
    let display_name = new.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 256 {
        return invalid(format!("the user {upn} needs a display name of 1 to 256 characters"));
    }
    if let Some(mail) = &new.mail
        && (!mail.contains('@') || mail.len() > 256 || mail.contains(char::is_whitespace))
    {
        return invalid(format!("'{}' is not a mail address", mail.escape_debug()));
    }
    let id = match &new.id {
        Some(id) => match uuid::Uuid::parse_str(id) {
            Ok(id) => id.to_string(),
            Err(_) => return invalid(format!("'{}' is not an object id (a GUID)", id.escape_debug())),
        },
        None => uuid::Uuid::new_v4().to_string(),
    };
    Ok(User {
        id,
        user_principal_name: upn.to_string(),
        display_name: display_name.to_string(),
        mail: new.mail.clone(),
    })
}

/// Whether the policy value lets a user buy `product` (a trial or paid licenses), and how many.
pub(crate) fn purchase_allowed(
    value: PolicyValue,
    product: &str,
    offers_trials: bool,
    trial: bool,
    quantity: u32,
) -> Result<(), StoreError> {
    let refused = |what: &str| {
        StoreError::rule(
            Rule::PurchaseNotAllowed,
            format!(
                "the policy AllowSelfServicePurchase is {value} for {product}: {what} is not allowed; \
                 an admin can change it with `product-policies update`"
            ),
        )
    };
    match value {
        PolicyValue::Disabled => return Err(refused("a self-service purchase or trial")),
        PolicyValue::OnlyTrialsWithoutPaymentMethod if !trial => return Err(refused("a paid purchase (only trials)")),
        _ => {}
    }
    if trial && !offers_trials {
        return Err(StoreError::rule(Rule::Invalid, format!("{product} offers no trial: buy licenses instead")));
    }
    let bounds = if trial { 1..=TRIAL_LICENSES } else { QUANTITIES };
    check_quantity(quantity, bounds)
}

pub(crate) fn check_quantity(quantity: u32, bounds: std::ops::RangeInclusive<u32>) -> Result<(), StoreError> {
    if bounds.contains(&quantity) {
        return Ok(());
    }
    Err(StoreError::rule(
        Rule::Invalid,
        format!("a quantity of {quantity} licenses: use {} to {}", bounds.start(), bounds.end()),
    ))
}

/// A cancellation's reason as stored: `Other` needs a text, which is kept with it.
pub(crate) fn reason_text(c: &Cancellation) -> Result<String, StoreError> {
    let text = c.reason_text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match (c.reason, text) {
        (CancellationReason::Other, None) => {
            Err(StoreError::rule(Rule::Invalid, "the reason Other needs a text (reasonText) saying why"))
        }
        (_, Some(text)) if text.chars().count() > 500 => {
            Err(StoreError::rule(Rule::Invalid, "the reason text is longer than 500 characters"))
        }
        (reason, Some(text)) => Ok(format!("{reason}: {text}")),
        (reason, None) => Ok(reason.to_string()),
    }
}

/// The refusal of an operation that needs more licenses than are available.
pub(crate) fn not_enough(needed: u32, available: u32, target: &str) -> StoreError {
    let missing = needed.saturating_sub(available);
    StoreError::rule(
        Rule::NotEnoughLicenses,
        format!(
            "{missing} license{} missing: {needed} needed, {available} available in subscription {target}; \
             nothing was changed",
            if missing == 1 { " is" } else { "s are" }
        ),
    )
}

/// What a mail to a purchaser says.
pub(crate) struct Mail {
    pub subject: String,
    pub body: String,
}

/// The mail telling a purchaser what happened to their subscription.
pub(crate) fn mail(kind: NotificationKind, purchaser: &str, product: &str, subscription: &str, detail: &str) -> Mail {
    let (subject, what) = match kind {
        NotificationKind::Moved => (
            format!("Your {product} subscription was taken over by your admin"),
            format!(
                "your admin moved the users of your {product} subscription {subscription} to a subscription \
                 of your organisation ({detail}) and cancelled yours. You will not be charged for it again."
            ),
        ),
        NotificationKind::Cancelled => (
            format!("Your {product} subscription was cancelled by your admin"),
            format!(
                "your admin cancelled your {product} subscription {subscription} (reason: {detail}). Its users \
                 no longer have its licenses. You will not be charged for it again."
            ),
        ),
        NotificationKind::AskedToCancel => (
            format!("Please cancel your {product} subscription"),
            format!(
                "your organisation now licenses {product} centrally (subscription {detail}): the users of your \
                 subscription {subscription} have licenses from it. Please cancel your subscription; it stays \
                 until you do."
            ),
        ),
    };
    Mail { subject, body: format!("Hello {purchaser},\n\n{what}\n") }
}

/// How long to wait after the `attempts`-th failed delivery: 1 s doubling, at most 5 min.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.saturating_sub(1).min(8)).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_value_decides_paid_purchases_and_trials() {
        let ok = |v, trials, trial| purchase_allowed(v, "Visio", trials, trial, 5).is_ok();
        assert!(ok(PolicyValue::Enabled, true, false) && ok(PolicyValue::Enabled, true, true));
        assert!(!ok(PolicyValue::OnlyTrialsWithoutPaymentMethod, true, false));
        assert!(ok(PolicyValue::OnlyTrialsWithoutPaymentMethod, true, true));
        assert!(!ok(PolicyValue::Disabled, true, true) && !ok(PolicyValue::Disabled, true, false));
        assert!(!ok(PolicyValue::Enabled, false, true), "no trial for a product without trials");
        let e = purchase_allowed(PolicyValue::Disabled, "Visio", true, false, 5).unwrap_err().to_string();
        assert!(e.contains("AllowSelfServicePurchase is Disabled for Visio"), "{e}");
        assert!(purchase_allowed(PolicyValue::Enabled, "Visio", true, true, 26).is_err());
        assert!(purchase_allowed(PolicyValue::Enabled, "Visio", true, false, 10_001).is_err());
    }

    #[test]
    fn other_needs_a_text_and_backoff_doubles_to_a_cap() {
        let other = Cancellation { reason: CancellationReason::Other, reason_text: Some(" ".into()) };
        assert!(reason_text(&other).is_err());
        let plain = Cancellation { reason: CancellationReason::TooExpensive, reason_text: None };
        assert_eq!(reason_text(&plain).unwrap(), "TooExpensive");
        assert_eq!(
            (backoff(1), backoff(2), backoff(3)),
            (Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4))
        );
        assert_eq!(backoff(50), Duration::from_secs(256));
    }

    #[test]
    fn missing_licenses_are_counted() {
        assert!(not_enough(5, 3, "s").to_string().starts_with("2 licenses are missing"));
        assert!(not_enough(1, 0, "s").to_string().starts_with("1 license is missing"));
    }
}
