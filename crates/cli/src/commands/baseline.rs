//! Policy as code: `plan` (what differs from a baseline file), `apply` (make it match,
//! through commerce-changes, guarded by If-Match so a concurrent change is reported, not
//! overwritten) and `export`
//! (the service's state as a baseline).

use std::io::Write;
use std::path::{Path, PathBuf};

use commerce_changes::{Change, ChangeResult, Mode, PlanError, Planned, carry_out_all, plan_baseline};
use commerce_client::Client;
use commerce_model::baseline::{Baseline, PolicyBaseline, TargetCheck};
use commerce_model::wire::ScopedPolicy;
use commerce_model::{PolicyId, Scope};
use serde::{Deserialize, Serialize};

use crate::cli::{ApplyArgs, ExportArgs, Format, PlanArgs};
use crate::error::CliError;
use crate::junit;
use crate::output::Printer;
use crate::progress;
use crate::records::ChangeOutput;
use crate::text;

/// A plan saved by `plan --out`, carried out exactly by `apply --plan`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SavedPlan {
    version: u32,
    endpoint: String,
    changes: Vec<TargetCheck>,
}

const PLAN_VERSION: u32 = 1;

pub async fn plan(client: &Client, printer: &Printer, args: PlanArgs, input: Input) -> Result<(), CliError> {
    let checks = checks_of(client, &input, args.allow_unknown_products).await?;
    if let Some(out) = &args.out {
        let changes = checks.iter().filter(|c| c.drifted()).cloned().collect();
        save_plan(out, &SavedPlan { version: PLAN_VERSION, endpoint: printer.endpoint.clone(), changes })?;
    }
    print_checks(printer, &checks)?;
    let drifted = checks.iter().filter(|c| c.drifted()).count();
    if args.detailed_exitcode && drifted > 0 {
        return Err(CliError::Drift(drifted));
    }
    Ok(())
}

/// Applies a saved plan (`--plan`), or the baseline `input` the caller read before opening
/// the endpoint (`-f`).
pub async fn apply(client: &Client, printer: &Printer, args: ApplyArgs, input: Option<Input>) -> Result<(), CliError> {
    let interrupt = progress::interrupt_on_ctrl_c();
    let changes = match (&args.plan, input) {
        (Some(path), _) => load_plan(path, &printer.endpoint)?,
        (None, Some(input)) => tokio::select! {
            checks = checks_of(client, &input, args.allow_unknown_products) => {
                checks?.into_iter().filter(TargetCheck::drifted).collect()
            }
            () = interrupt.stopped() => return Err(CliError::Interrupted { changed: 0, not_attempted: 0, total: 0 }),
        },
        (None, None) => {
            return Err(CliError::Usage("give the baseline file with -f FILE, or a saved plan with --plan".into()));
        }
    };
    if args.what_if {
        return print_checks(printer, &changes);
    }
    let planned: Vec<Planned> = changes.into_iter().map(|c| Ok(change_of(c))).collect();
    let bar = progress::bar(planned.len(), false);
    let concurrency = usize::from(args.concurrency);
    let results = carry_out_all(client, planned, concurrency, Mode::Write, &interrupt, || bar.inc(1)).await;
    bar.finish_and_clear();
    print_results(printer, &results)?;
    if printer.format == Format::Table {
        printer.write(&progress::summary(&results, client.retries()))?;
    }
    CliError::from_batch(&results, interrupt.is_stopped())
}

/// The JSON Schema an exported baseline names, so an editor validates and completes it
/// (docs/baseline.schema.json's `$id`).
pub const SCHEMA_URL: &str = "https://commerce-policy.dev/schemas/baseline.schema.json";

pub async fn export(client: &Client, args: ExportArgs) -> Result<(), CliError> {
    let ids: Vec<PolicyId> = match args.policy_id {
        Some(id) => vec![client.policy(&id).await.map_err(CliError::request(format!("reading policy {id}")))?.id],
        None => {
            client.policies().await.map_err(CliError::request("listing policies"))?.into_iter().map(|p| p.id).collect()
        }
    };
    let mut policies = Vec::new();
    for policy_id in ids {
        let listed = client
            .product_policies(&policy_id)
            .await
            .map_err(CliError::request(format!("listing the products of {policy_id}")))?;
        let products =
            listed.into_iter().filter(|p| Some(p.policy_value) != args.default).map(|p| (p.product_id, p.policy_value));
        let products = products.collect();
        let offer_types = export_offer_types(client, &policy_id).await?;
        policies.push(PolicyBaseline {
            schema: Some(SCHEMA_URL.into()),
            policy_id,
            default: args.default,
            products,
            offer_types,
        });
    }
    let text = Baseline { policies }.to_json();
    match &args.out {
        Some(path) => write_file(path, &text),
        None => Printer { format: Format::Json, endpoint: String::new() }.write(&text),
    }
}

/// The policy's value for every offer type the service lists, all pinned: `--default` is
/// for products, which Microsoft adds; offer types are few and each is a choice of its own.
async fn export_offer_types(
    client: &Client,
    policy_id: &PolicyId,
) -> Result<std::collections::BTreeMap<commerce_model::OfferType, commerce_model::PolicyValue>, CliError> {
    let listed = client
        .list(policy_id, Scope::OfferType)
        .await
        .map_err(CliError::request(format!("listing the offer types of {policy_id}")))?;
    let offer_types = listed.into_iter().filter_map(|item| match item {
        ScopedPolicy::Scope(s) if s.scope.eq_ignore_ascii_case(Scope::OfferType.as_str()) => {
            s.scope_id.parse().ok().map(|offer| (offer, s.policy_value))
        }
        _ => None,
    });
    Ok(offer_types.collect())
}

/// A baseline file, read and parsed: what `plan` checks before it sends anything.
pub struct Input {
    path: PathBuf,
    text: String,
    baseline: Baseline,
}

impl Input {
    /// Reads and parses the baseline at `path` (`-` for stdin); a mistake is a usage error
    /// naming the place.
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let text = read_text(path)?;
        let baseline = Baseline::parse(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        Ok(Self { path: path.to_path_buf(), text, baseline })
    }
}

/// Checks every product a read baseline covers against the service.
async fn checks_of(client: &Client, input: &Input, allow_unknown: bool) -> Result<Vec<TargetCheck>, CliError> {
    let path = input.path.display();
    plan_baseline(client, &input.baseline, &input.text, allow_unknown).await.map_err(|e| match e {
        PlanError::Request { doing, source } => CliError::Request { doing: format!("{path}: {doing}"), source },
        PlanError::Invalid(message) => CliError::Usage(format!("{path}: {message}")),
    })
}

/// A planned product change, as the operations carry it out: read again just before the
/// write, since a plan may be old.
fn change_of(check: TargetCheck) -> Change {
    Change {
        policy_id: check.policy_id,
        target: check.target,
        name: check.name,
        before: check.before,
        after: check.after,
        etag: None,
    }
}

fn print_checks(printer: &Printer, checks: &[TargetCheck]) -> Result<(), CliError> {
    let drifted: Vec<&TargetCheck> = checks.iter().filter(|c| c.drifted()).collect();
    match printer.format {
        Format::Junit => {
            let cases: Vec<junit::Case> = checks
                .iter()
                .map(|c| junit::Case {
                    suite: c.policy_id.to_string(),
                    name: case_name(&c.name, &c.target),
                    failure: c
                        .drifted()
                        .then(|| format!("is {}, the baseline wants {} ({:?})", c.before, c.after, c.source)),
                })
                .collect();
            printer.write(&junit::report("commerce-policy plan", &cases))
        }
        Format::Table if drifted.is_empty() => printer.write(&format!(
            "Endpoint: {}\n\nNo changes: all {} products and offer types the baseline covers match it.\n",
            printer.endpoint,
            checks.len()
        )),
        Format::Table => {
            printer.many(&drifted)?;
            printer.write(&format!(
                "\nPlan: {} to change, {} already match.\n",
                drifted.len(),
                checks.len() - drifted.len()
            ))
        }
        _ => printer.many(&drifted),
    }
}

/// A JUnit test case's name: `Power BI Pro (CFQ7TTC0H9MP)`, `offer type SaaS (Software as a
/// Service)`.
fn case_name(name: &str, target: &commerce_model::Target) -> String {
    match target {
        commerce_model::Target::Product(id) => format!("{name} ({id})"),
        offer => format!("{offer} ({name})"),
    }
}

fn print_results(printer: &Printer, results: &[ChangeResult]) -> Result<(), CliError> {
    if printer.format != Format::Junit {
        return printer.many(&results.iter().map(ChangeOutput::from).collect::<Vec<_>>());
    }
    let cases: Vec<junit::Case> = results
        .iter()
        .map(|r| junit::Case {
            suite: r.policy_id.to_string(),
            name: case_name(&r.name, &r.target),
            failure: r.failure.as_ref().map(|f| f.message.clone()),
        })
        .collect();
    printer.write(&junit::report("commerce-policy apply", &cases))
}

/// Reads a text file (or stdin for `-`): UTF-8, with or without a byte order mark, or UTF-16
/// with one — what Windows PowerShell 5.1's `>` and `Out-File` write.
pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(drop)
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| CliError::Usage(format!("could not read {}: {e}", path.display())))?;
    decode_text(&bytes)
        .ok_or_else(|| CliError::Usage(format!("{}: not UTF-8 or UTF-16 text: save it as UTF-8", path.display())))
}

fn decode_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| -> Option<String> {
        if !rest.len().is_multiple_of(2) {
            return None;
        }
        let units = rest.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        char::decode_utf16(units).collect::<Result<String, _>>().ok()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => std::str::from_utf8(bytes).ok().map(|t| text::without_bom(t).to_string()),
    }
}

/// Where `--out` writes.
enum OutFile {
    /// A regular file (a symlink's target) or a new path: written beside it, then renamed
    /// over it, so a failed write leaves what was there and a symlink stays a symlink.
    Replace(PathBuf),
    /// This process's own stdout (`/dev/stdout`, or the file stdout is redirected to).
    Stdout,
    /// A device or a FIFO (`/dev/null`, `/dev/full`): written to in place, never replaced.
    Through(PathBuf),
}

impl OutFile {
    /// What `path` is, or why nothing can be written there.
    fn at(path: &Path) -> Result<Self, CliError> {
        let refuse = |why: String| CliError::Usage(format!("--out {}: {why}", path.display()));
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Err(refuse("is a folder: name a file in it".into())),
            Ok(meta) if is_stdout(&meta) => Ok(Self::Stdout),
            Ok(meta) if meta.is_file() => {
                // Replacing by rename would get past a file's own protection (read-only, a
                // read-only mount): it must be one this user could write.
                std::fs::OpenOptions::new().write(true).open(path).map_err(|e| refuse(e.to_string()))?;
                std::fs::canonicalize(path).map(Self::Replace).map_err(|e| refuse(e.to_string()))
            }
            Ok(_) => Ok(Self::Through(path.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A dangling symlink: the file it names is created.
                let new = match std::fs::read_link(path) {
                    Ok(target) => path.parent().unwrap_or(Path::new("")).join(target),
                    Err(_) => path.to_path_buf(),
                };
                let folder = new.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                match std::fs::metadata(folder) {
                    Ok(meta) if meta.is_dir() => Ok(Self::Replace(new)),
                    Ok(_) => Err(refuse(format!("{} is not a folder", folder.display()))),
                    Err(e) => Err(refuse(format!("its folder {}: {e}", folder.display()))),
                }
            }
            Err(e) => Err(refuse(e.to_string())),
        }
    }
}

/// Whether `meta` is what this process's stdout is connected to.
#[cfg(unix)]
fn is_stdout(meta: &std::fs::Metadata) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let stdout = std::io::stdout().as_fd().try_clone_to_owned().and_then(|fd| std::fs::File::from(fd).metadata());
    stdout.is_ok_and(|out| (out.dev(), out.ino()) == (meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn is_stdout(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Refuses, before anything is sent, an `--out` that names nothing writable.
pub fn check_out(path: Option<&Path>) -> Result<(), CliError> {
    path.map_or(Ok(()), |p| OutFile::at(p).map(drop))
}

/// Writes `--out`: whole or not at all for a file, in place for a device; a failed write is
/// an error with the reason, never a success.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::Other(format!("could not write {}: {e}", path.display()));
    match OutFile::at(path)? {
        OutFile::Stdout => Printer { format: Format::Json, endpoint: String::new() }.write(text),
        OutFile::Through(device) => {
            let mut file = std::fs::OpenOptions::new().write(true).open(&device).map_err(fail)?;
            file.write_all(text.as_bytes()).and_then(|()| file.flush()).map_err(fail)
        }
        OutFile::Replace(real) => replace(&real, text).map_err(fail),
    }
}

/// Writes `text` to a new file beside `real` and renames it over `real`, keeping the old
/// file's permissions.
fn replace(real: &Path, text: &str) -> std::io::Result<()> {
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = real.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&staging)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| match std::fs::metadata(real) {
            Ok(old) => std::fs::set_permissions(&staging, old.permissions()),
            Err(_) => Ok(()),
        })
        .and_then(|()| std::fs::rename(&staging, real));
    if written.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    written
}

fn save_plan(path: &Path, plan: &SavedPlan) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(plan).map_err(|e| CliError::Other(e.to_string()))?;
    write_file(path, &(text + "\n"))
}

fn load_plan(path: &Path, endpoint: &str) -> Result<Vec<TargetCheck>, CliError> {
    let text = read_text(path)?;
    let plan: SavedPlan = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not a plan saved by `plan --out`: {e}", path.display())))?;
    if plan.version != PLAN_VERSION {
        return Err(CliError::Usage(format!("{}: plan version {} is not supported", path.display(), plan.version)));
    }
    if plan.endpoint != endpoint {
        return Err(CliError::Usage(format!(
            "{} was planned against {}, not {endpoint}: plan again against this endpoint",
            path.display(),
            plan.endpoint
        )));
    }
    Ok(plan.changes)
}

#[cfg(test)]
mod tests {
    use super::decode_text;

    #[test]
    fn reads_utf8_with_or_without_bom_and_utf16_with_bom() {
        let text = "{\"policyId\": \"AllowSelfServicePurchase\"} é";
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(text.as_bytes());
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for bytes in [text.as_bytes().to_vec(), bom8, le, be] {
            assert_eq!(decode_text(&bytes).as_deref(), Some(text));
        }
        assert_eq!(decode_text(&[0xFF, 0xFE, 0x41]), None, "odd UTF-16");
        assert_eq!(decode_text(&[0xC3, 0x28]), None, "bad UTF-8");
    }
}
