# Export-CommercePolicyBaseline: see its help below.

function Export-CommercePolicyBaseline {
    <#
    .SYNOPSIS
    Writes the service's current values as a baseline file.

    .DESCRIPTION
    Asks the binary for the service's state as a baseline (commerce-policy export): per policy,
    the value of every product. With -Default, products that have that value are folded into the
    baseline's default instead of being pinned one by one, so products that appear later get it
    too. Test-CommercePolicyBaseline against the same state then finds no drift.

    With -Path it writes the file (UTF-8 without a byte order mark) and returns nothing;
    otherwise it returns the baseline as JSON text.

    .PARAMETER PolicyId
    Export only this policy, like AllowSelfServicePurchase (default: every policy).

    .PARAMETER Default
    Enabled, Disabled or OnlyTrialsWithoutPaymentMethod: fold every product with this value into
    the baseline's default.

    .PARAMETER Path
    The file to write (position 0). Relative paths are relative to the current PowerShell location; an existing
    file is replaced.

    .EXAMPLE
    Export-CommercePolicyBaseline -PolicyId AllowSelfServicePurchase -Default Disabled -Path ./baseline.json

    Starts a baseline from the tenant as it is: the disabled products become the default, the
    others are pinned.

    .EXAMPLE
    Export-CommercePolicyBaseline | ConvertFrom-Json

    Reads the current state as objects.

    .OUTPUTS
    System.String, or nothing with -Path

    .NOTES
    Binary: commerce-policy export [--policy-id <id>] [--default <value>] --output json; the
    module writes -Path itself, as the binary prints the baseline on its standard output.

    .LINK
    Test-CommercePolicyBaseline
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType([string])]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter()]
        [ValidateSet('Enabled', 'Disabled', 'OnlyTrialsWithoutPaymentMethod')]
        [string]
        $Default,

        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path
    )

    if ($PSBoundParameters.ContainsKey('Path') -and -not $PSCmdlet.ShouldProcess($Path, 'Write the baseline')) {
        return
    }
    Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Export-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $PolicyId
}
