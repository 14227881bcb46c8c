# Shared setup of the Pester suites: the binary, a data folder and a credential store of the
# test's own, and a live 'commerce-policy serve' on a loopback port over a store in TestDrive.

function Initialize-CommercePolicyTestEnvironment {
    <#
    .SYNOPSIS
    Points $env:COMMERCE_POLICY_BIN at the binary (target/debug unless set) and isolates the
    user's data folder, endpoint, token and credential store from the tests.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $RepoRoot,

        [Parameter(Mandatory = $true)]
        [string]
        $DataFolder
    )

    if ([string]::IsNullOrEmpty($env:COMMERCE_POLICY_BIN)) {
        $name = 'commerce-policy'
        if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
            $name = 'commerce-policy.exe'
        }
        $env:COMMERCE_POLICY_BIN = Join-Path (Join-Path (Join-Path $RepoRoot 'target') 'debug') $name
    }
    if (-not (Test-Path -LiteralPath $env:COMMERCE_POLICY_BIN)) {
        throw "No binary at $($env:COMMERCE_POLICY_BIN): run 'cargo build -p commerce-cli' first"
    }
    # Nothing here may touch the user's own local store.
    $env:COMMERCE_POLICY_DATA_DIR = $DataFolder
    Remove-Item Env:\COMMERCE_POLICY_ENDPOINT -ErrorAction SilentlyContinue
    Remove-Item Env:\COMMERCE_POLICY_ACCESS_TOKEN -ErrorAction SilentlyContinue
    # Nor the user's credential store: Connect-MSCommerce -AccessToken keeps nothing there.
    $env:COMMERCE_POLICY_KEYRING = 'none'
}

function Start-CommercePolicyTestService {
    <#
    .SYNOPSIS
    Starts 'commerce-policy serve' on 127.0.0.1:0 over a store file and returns @{ Process;
    Endpoint } once it listens.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $StorePath
    )

    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $env:COMMERCE_POLICY_BIN
    $startInfo.Arguments = 'serve --listen 127.0.0.1:0 --store "{0}"' -f $StorePath
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.EnvironmentVariables['RUST_LOG'] = 'warn'
    $server = [System.Diagnostics.Process]::Start($startInfo)
    $firstLine = $server.StandardOutput.ReadLine()
    if ($firstLine -notmatch '^listening on (http://\S+)') {
        throw "commerce-policy serve did not start: $firstLine"
    }
    @{ Process = $server; Endpoint = $Matches[1] }
}

function Stop-CommercePolicyTestService {
    <#
    .SYNOPSIS
    Stops a service that Start-CommercePolicyTestService started.
    #>
    [CmdletBinding()]
    param(
        [Parameter()]
        [AllowNull()]
        [object]
        $Service
    )

    if ($null -ne $Service -and -not $Service.Process.HasExited) {
        $Service.Process.Kill()
        $Service.Process.WaitForExit()
    }
}
