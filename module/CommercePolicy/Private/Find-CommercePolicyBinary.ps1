# Where the commerce-policy binary is: the module's own bin/<os>-<arch>/ folder (the packaged
# module ships it there), then $env:COMMERCE_POLICY_BIN, then PATH.

# Whether the bundled binary has been made executable in this session (Unix).
$script:BundledBinaryExecutable = $false

function Get-CommercePolicyPlatform {
    <#
    .SYNOPSIS
    The folder names under bin/ that can hold a binary for this machine, best first, such as
    'linux-x64' or 'osx-arm64', 'osx-x64' (.NET runtime identifier names).
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param(
    )

    $os = 'linux'
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        $os = 'win'
    }
    elseif ([System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::OSX)) {
        $os = 'osx'
    }

    $architecture = $null
    try {
        $architecture = ([string] [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture).ToLowerInvariant()
    }
    catch {
        # .NET Framework before 4.7.1 has no RuntimeInformation.
        $architecture = $null
    }
    if ([string]::IsNullOrEmpty($architecture)) {
        $architecture = 'x64'
        if ($env:PROCESSOR_ARCHITEW6432 -eq 'ARM64' -or $env:PROCESSOR_ARCHITECTURE -eq 'ARM64') {
            $architecture = 'arm64'
        }
    }

    $platforms = @('{0}-{1}' -f $os, $architecture)
    if ($architecture -eq 'arm64' -and $os -ne 'linux') {
        # Windows on Arm and macOS (Rosetta) also run x64 binaries.
        $platforms += '{0}-x64' -f $os
    }
    $platforms
}

function Find-CommercePolicyBinary {
    <#
    .SYNOPSIS
    The path of the commerce-policy binary, or a terminating error of the calling cmdlet that
    says where it looked and how to get the binary.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet
    )

    $isWindowsHost = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
    $fileName = 'commerce-policy'
    if ($isWindowsHost) {
        $fileName = 'commerce-policy.exe'
    }

    $looked = New-Object System.Collections.Generic.List[string]
    foreach ($platform in (Get-CommercePolicyPlatform)) {
        $candidate = Join-Path (Join-Path (Join-Path $script:ModuleRoot 'bin') $platform) $fileName
        if (Test-Path -LiteralPath $candidate -PathType Leaf) {
            if (-not $isWindowsHost -and -not $script:BundledBinaryExecutable) {
                # A module installed from a .nupkg (a zip) loses the executable bit. Where the
                # module folder is read-only, chmod fails and running the binary will say so.
                try {
                    & chmod 'u+x' $candidate 2>$null
                }
                catch {
                    Write-Verbose ('chmod u+x {0} failed: {1}' -f $candidate, $_.Exception.Message)
                }
                $script:BundledBinaryExecutable = $true
            }
            return $candidate
        }
        $looked.Add($candidate)
    }

    if (-not [string]::IsNullOrEmpty($env:COMMERCE_POLICY_BIN)) {
        if (Test-Path -LiteralPath $env:COMMERCE_POLICY_BIN -PathType Leaf) {
            return $env:COMMERCE_POLICY_BIN
        }
        $message = 'COMMERCE_POLICY_BIN is {0}, which is not a file: point it at the commerce-policy binary, or remove it to use PATH.' -f $env:COMMERCE_POLICY_BIN
        $exception = New-Object System.IO.FileNotFoundException -ArgumentList $message
        $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
            $exception, 'CommercePolicyBinaryNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $env:COMMERCE_POLICY_BIN)
        $Cmdlet.ThrowTerminatingError($record)
    }
    $looked.Add('$env:COMMERCE_POLICY_BIN (not set)')

    $onPath = Get-Command -Name 'commerce-policy' -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($null -ne $onPath) {
        return $onPath.Path
    }
    $looked.Add('PATH')

    $message = ('The commerce-policy binary was not found (looked in: {0}). Install the CommercePolicy module ' +
        'from the PowerShell Gallery, which ships the binary in its bin folder; or build it with ' +
        "'cargo build --release -p commerce-cli' and put target/release on PATH or set " +
        '$env:COMMERCE_POLICY_BIN to its path.') -f ($looked -join '; ')
    $exception = New-Object System.IO.FileNotFoundException -ArgumentList $message
    $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
        $exception, 'CommercePolicyBinaryNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $fileName)
    $Cmdlet.ThrowTerminatingError($record)
}
