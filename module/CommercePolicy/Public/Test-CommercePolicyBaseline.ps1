# Test-CommercePolicyBaseline: see its help below.

function Test-CommercePolicyBaseline {
    <#
    .SYNOPSIS
    Compares the service with a baseline file and returns what differs.

    .DESCRIPTION
    A baseline file (JSON, schema in docs/baseline.schema.json) names a policy's wanted value per
    product, and a default for every other product the service lists. Test-CommercePolicyBaseline
    asks the binary for the plan (commerce-policy plan) and returns one
    CommercePolicy.BaselineDrift object per product that differs: PolicyId, ProductId,
    ProductName, CurrentValue, WantedValue and Source (Pinned when the file names the product,
    Default when its default covers it). No objects means the service matches. Nothing is changed.

    With -Quiet it returns $true when the service matches the baseline and $false when it differs,
    like Test-Path; drift is never an error. When the comparison itself fails (a baseline error,
    such as a product id the service does not list, or an unreachable service), it writes an error
    record and returns no Boolean, with or without -Quiet.

    .PARAMETER Path
    The baseline file (position 0). Relative paths are relative to the current PowerShell location. Files can be
    piped in (Get-ChildItem output binds by its FullName).

    .PARAMETER AllowUnknownProducts
    Accept product ids in the file that the service does not list (they are skipped), instead of
    failing on what may be a typo.

    .PARAMETER Quiet
    Return $true when the service matches the baseline and $false when it differs, instead of the
    drift objects.

    .EXAMPLE
    Test-CommercePolicyBaseline -Path ./baseline.json

    Lists every product whose value differs from the baseline, with its current and wanted value.

    .EXAMPLE
    if (-not (Test-CommercePolicyBaseline -Path ./baseline.json -Quiet)) { throw 'The tenant drifted from its purchase policy' }

    Fails a pipeline on drift.

    .EXAMPLE
    Get-ChildItem ./baselines -Filter *.json | Test-CommercePolicyBaseline -Quiet

    One Boolean per baseline file.

    .OUTPUTS
    CommercePolicy.BaselineDrift, or System.Boolean with -Quiet

    .NOTES
    Binary: commerce-policy plan --file <path> [--allow-unknown-products] [--detailed-exitcode] --output json

    .LINK
    Invoke-CommercePolicyBaseline

    .LINK
    Export-CommercePolicyBaseline
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.BaselineDrift', 'System.Boolean')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path,

        [Parameter()]
        [switch]
        $AllowUnknownProducts,

        [Parameter()]
        [switch]
        $Quiet
    )

    process {
        if (-not $Quiet) {
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Test-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $Path
            return
        }
        $exitCode = $null
        $null = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Test-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $Path -ExitCode ([ref] $exitCode)
        if ($exitCode -eq 0) {
            $true
        }
        elseif ($exitCode -eq $script:DriftExitCode) {
            $false
        }
    }
}
