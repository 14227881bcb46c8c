# Where the commerce-policy binary is: $env:COMMERCE_POLICY_BIN when set (it overrides the
# bundled binary), then the module's own bin/<os>-<arch>/ folder (the packaged module ships it
# there), then PATH.

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

    $fileName = Get-CommercePolicyBinaryName
    if (-not [string]::IsNullOrWhiteSpace($env:COMMERCE_POLICY_BIN)) {
        return (Resolve-CommercePolicyBinaryOverride -Cmdlet $Cmdlet -FileName $fileName)
    }

    $looked = New-Object System.Collections.Generic.List[string]
    foreach ($platform in (Get-CommercePolicyPlatform)) {
        $candidate = Join-Path (Join-Path (Join-Path $script:ModuleRoot 'bin') $platform) $fileName
        if (Test-Path -LiteralPath $candidate -PathType Leaf) {
            if (-not $script:BundledBinaryExecutable) {
                Set-CommercePolicyExecutable -Path $candidate
                $script:BundledBinaryExecutable = $true
            }
            return $candidate
        }
        $looked.Add($candidate)
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
    Stop-CommercePolicyBinaryNotFound -Cmdlet $Cmdlet -Message $message -Target $fileName
}

function Get-CommercePolicyBinaryName {
    <#
    .SYNOPSIS
    The binary's file name on this system: commerce-policy.exe on Windows, commerce-policy elsewhere.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
    )

    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        return 'commerce-policy.exe'
    }
    'commerce-policy'
}

function Resolve-CommercePolicyBinaryOverride {
    <#
    .SYNOPSIS
    The binary $env:COMMERCE_POLICY_BIN names: a file (relative to the current PowerShell
    location, ~ allowed), a folder holding the binary, or a command name found on PATH.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $FileName
    )

    $given = $env:COMMERCE_POLICY_BIN.Trim().Trim([char] 34)
    $path = $given
    try {
        # Relative to the current PowerShell location; ~ is the home folder.
        $path = $Cmdlet.GetUnresolvedProviderPathFromPSPath($given)
    }
    catch {
        Write-Verbose ('COMMERCE_POLICY_BIN {0} is no file system path: {1}' -f $given, $_.Exception.Message)
    }
    if (Test-Path -LiteralPath $path -PathType Leaf) {
        return $path
    }
    $inside = Join-Path $path $FileName
    if ((Test-Path -LiteralPath $path -PathType Container) -and (Test-Path -LiteralPath $inside -PathType Leaf)) {
        return $inside
    }
    $isName = $given.IndexOfAny([char[]] @([char] 47, [char] 92)) -lt 0
    if ($isName) {
        $command = Get-Command -Name $given -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($null -ne $command) {
            return $command.Path
        }
    }
    $message = ('COMMERCE_POLICY_BIN is {0}, which is neither the binary, nor a folder holding {1}, nor a command on PATH: ' +
        'point it at the commerce-policy binary, or remove it to use the bundled binary.') -f $given, $FileName
    Stop-CommercePolicyBinaryNotFound -Cmdlet $Cmdlet -Message $message -Target $given
}

function Stop-CommercePolicyBinaryNotFound {
    <#
    .SYNOPSIS
    Stops the calling cmdlet with a CommercePolicyBinaryNotFound error (a FileNotFoundException).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $Message,

        [Parameter(Mandatory = $true)]
        [string]
        $Target
    )

    $exception = New-Object System.IO.FileNotFoundException -ArgumentList $Message
    $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
        $exception, 'CommercePolicyBinaryNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $Target)
    $Cmdlet.ThrowTerminatingError($record)
}

function Set-CommercePolicyExecutable {
    <#
    .SYNOPSIS
    Gives the bundled binary its executable bit on Linux and macOS, quietly: a module installed
    from a .nupkg (a zip) loses it. Nothing on Windows, nothing when the bit is set, and on a
    read-only install only a verbose message: running the binary then says what is wrong.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Path
    )

    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        return
    }
    if ($null -ne [System.IO.File].GetMethod('GetUnixFileMode', [type[]] @([string]))) {
        # .NET 7 and later (PowerShell 7.3+): no process, nothing to hear.
        try {
            $mode = [System.IO.File]::GetUnixFileMode($Path)
            $executable = $mode -bor [System.IO.UnixFileMode]::UserExecute
            if ($executable -ne $mode) {
                [System.IO.File]::SetUnixFileMode($Path, $executable)
            }
        }
        catch {
            Write-Verbose ('chmod u+x {0} failed: {1}' -f $Path, $_.Exception.Message)
        }
        return
    }
    try {
        # Through the process runner: no output, and no error record under
        # $PSNativeCommandUseErrorActionPreference.
        $null = Invoke-CommercePolicyProcess -FilePath 'chmod' -ArgumentList @('u+x', $Path) -TimeoutMilliseconds 5000
    }
    catch {
        Write-Verbose ('chmod u+x {0} failed: {1}' -f $Path, $_.Exception.Message)
    }
}
