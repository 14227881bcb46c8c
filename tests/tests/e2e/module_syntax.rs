//! The guard against PowerShell-7-only syntax (commerce_e2e::powershell::syntax) that keeps the
//! module valid Windows PowerShell 5.1 code: it fails on a snippet holding each construct, and
//! stays quiet on what 5.1 runs, also on text about those constructs in comments and strings.

use commerce_e2e::powershell::Script;
use commerce_e2e::powershell::syntax::windows_powershell_problems;

/// The constructs the guard finds in a snippet.
fn found(snippet: &str) -> Vec<&'static str> {
    windows_powershell_problems(&Script::parse("snippet", snippet.to_string()))
        .into_iter()
        .map(|f| f.construct)
        .collect()
}

/// Asserts that the guard finds `construct` in every snippet.
fn fails_on(construct: &str, snippets: &[&str]) {
    for snippet in snippets {
        let found = found(snippet);
        assert!(found.contains(&construct), "the guard misses `{construct}` in `{snippet}`: found {found:?}");
    }
}

#[test]
fn the_guard_fails_on_the_ternary_operator() {
    fails_on("ternary ? :", &["$a = $b ? 'yes' : 'no'", "$x = ($n -gt 1) ? $n : 1"]);
}

#[test]
fn the_guard_fails_on_null_coalescing() {
    fails_on("?? / ??= null-coalescing", &["$a = $b ?? 'default'", "$a ??= 1", "$x = (Get-Thing) ?? $other"]);
}

#[test]
fn the_guard_fails_on_null_conditional_access() {
    fails_on("?. / ?[] null-conditional access", &["${a}?.Name", "${list}?[0]", "(Get-Item .)?.Name", "$a?.Name"]);
}

#[test]
fn the_guard_fails_on_pipeline_chains() {
    fails_on("&& / || pipeline chain", &["Get-Item a && Get-Item b", "Get-Item a || Write-Error 'no'"]);
}

#[test]
fn the_guard_fails_on_foreach_object_parallel() {
    fails_on(
        "ForEach-Object -Parallel",
        &[
            "1..3 | ForEach-Object -Parallel { $_ }",
            "1..3 | % -Parallel { $_ } -ThrottleLimit 2",
            "1..3 | foreach -Par { $_ }",
        ],
    );
}

#[test]
fn the_guard_fails_on_convertfrom_json_as_hashtable() {
    fails_on(
        "ConvertFrom-Json -AsHashtable",
        &["$text | ConvertFrom-Json -AsHashtable", "ConvertFrom-Json $t -AsHash"],
    );
    fails_on("ConvertFrom-Json -Depth", &["$text | ConvertFrom-Json -Depth 5"]);
}

#[test]
fn the_guard_fails_on_clean_blocks() {
    fails_on("clean block", &["function f {\n    process {\n        1\n    }\n    clean {\n        2\n    }\n}"]);
}

#[test]
fn the_guard_fails_on_new_of_types_windows_powershell_lacks() {
    fails_on(
        "::new on a type 5.1 lacks",
        &[
            "$client = [System.Net.Http.HttpClient]::new()",
            "$q = [System.Collections.Generic.PriorityQueue[string, int]]::new()",
            "$d = [DateOnly]::new(2026, 1, 1)",
        ],
    );
}

#[test]
fn the_guard_fails_on_psstyle_and_the_platform_variables() {
    fails_on("$PSStyle", &["$PSStyle.Formatting.Error"]);
    fails_on("$IsWindows / $IsLinux / $IsMacOS / $IsCoreCLR", &["if ($IsWindows) { 1 }", "if ($IsLinux) { 1 }"]);
}

#[test]
fn the_guard_fails_on_web_cmdlet_parameters_of_powershell_7() {
    fails_on("-SkipHttpErrorCheck", &["Invoke-RestMethod -Uri $u -SkipHttpErrorCheck"]);
    fails_on("-StatusCodeVariable", &["Invoke-WebRequest $u -StatusCodeVariable code"]);
    fails_on("-SkipCertificateCheck", &["Invoke-RestMethod $u -SkipCertificateCheck"]);
}

#[test]
fn the_guard_fails_on_other_powershell_7_additions() {
    fails_on("& background operator", &["Start-Sleep 10 &"]);
    fails_on("-Encoding utf8NoBOM", &["Set-Content -Path a -Value b -Encoding utf8NoBOM"]);
    fails_on("ConvertTo-Json -AsArray", &["$x | ConvertTo-Json -AsArray"]);
    fails_on("a command PowerShell 7 added", &["Get-Error", "$a | Join-String -Separator ','"]);
    fails_on("`u{} escape", &["$s = \"`u{2014}\""]);
}

#[test]
fn the_guard_is_quiet_on_what_windows_powershell_5_1_runs() {
    for snippet in [
        "Get-Process | ? { $_.Id -gt 1 }",
        "Get-Process | Where-Object { $_ }\n? { $_ }",
        "# $a ?? $b, ${a}?.Name and a ? b : c in a comment\n$x = 1",
        "$m = 'a ? b : c ?? d ?. e && f'",
        "$m = \"a ? b : c ?? d\"",
        "<# cond ? yes : no #>\n$y = 2",
        "$list = [System.Collections.Generic.List[string]]::new()",
        "$ok = $?",
        "& $command 'a' 2>&1",
        "$ForEach = 1; 1..3 | ForEach-Object -Process { $_ } -PipelineVariable p",
        "$text | ConvertFrom-Json",
        "Get-ChildItem -Filter '*.ps1' | Select-Object -First 1",
        "if ($a -and $b) { $c = [System.Math]::Max(1, 2) }",
        // Pester's -Skip is no -SkipHttpErrorCheck: a prefix counts only on the command it is of.
        "It 'runs' -Skip:$isWindowsHost { 1 }",
        "$parts = 'a', 'b'; $parts -join ','",
    ] {
        assert_eq!(found(snippet), Vec::<&str>::new(), "`{snippet}` runs on Windows PowerShell 5.1");
    }
}
