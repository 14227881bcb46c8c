# Invoke-CommercePolicyBaseline: see its help below.

function Invoke-CommercePolicyBaseline {
    <#
    .SYNOPSIS
    Makes the service match a baseline file, or carries out a saved plan.

    .DESCRIPTION
    Asks the binary to apply the baseline (commerce-policy apply): it reads the service, changes
    every product that differs from the file, concurrently, and with If-Match, so that a product
    someone else changed since it was read is reported as a conflict instead of overwritten.
    Running it twice changes nothing the second time.

    With -PlanPath it carries out a plan saved by 'commerce-policy plan --out' exactly; a product
    changed since the plan was made is a conflict.

    Prints one CommercePolicy.ProductPolicyUpdate object per product it touched: ProductName,
    ProductId, PreviousValue, PolicyValue, Status (Updated, Unchanged, Conflict, Failed, or
    NotAttempted after Ctrl-C),
    PolicyId, Error, CorrelationId and ExitCode. Each Conflict or Failed product is also an error
    record, with the product id as its target and the category of its failure (a conflict is
    ResourceBusy), so -ErrorAction applies; the other products are still changed.

    -WhatIf shows a "What if:" line per product that would change, and none for the others (commerce-policy apply
    --what-if), changing nothing. It changes many products at once, so ConfirmImpact is High: it
    asks before it starts unless -Confirm:$false is given (as pipelines do) or $ConfirmPreference
    is None.

    .PARAMETER Path
    The baseline file (position 0). Relative paths are relative to the current PowerShell location.

    .PARAMETER PlanPath
    A plan saved by 'commerce-policy plan --out', to carry out instead of planning anew.

    .PARAMETER AllowUnknownProducts
    Accept product ids in the file that the service does not list (they are skipped), instead of
    failing on what may be a typo.

    .PARAMETER Concurrency
    How many products the binary changes at once (1 to 256; the binary's default is 16).

    .EXAMPLE
    Invoke-CommercePolicyBaseline -Path ./baseline.json -WhatIf

    Shows what would change, product by product; changes nothing.

    .EXAMPLE
    Invoke-CommercePolicyBaseline -Path ./baseline.json -Confirm:$false

    Makes the service match the baseline without asking, as a pipeline would.

    .EXAMPLE
    $results = Invoke-CommercePolicyBaseline -Path ./baseline.json -Confirm:$false -ErrorAction Continue -ErrorVariable failures

    Keeps every product's result for a report, and the conflicting or failed ones in $failures.

    .EXAMPLE
    Invoke-CommercePolicyBaseline -PlanPath ./plan.json -Confirm:$false

    Carries out a plan saved by 'commerce-policy plan -f baseline.json --out plan.json', exactly as
    it was reviewed.

    .OUTPUTS
    CommercePolicy.ProductPolicyUpdate

    .NOTES
    Binary: commerce-policy apply (--file <path> [--allow-unknown-products] | --plan <path>) [--concurrency <n>] [--what-if] --output json

    .LINK
    Test-CommercePolicyBaseline

    .LINK
    Export-CommercePolicyBaseline
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', DefaultParameterSetName = 'Baseline')]
    [OutputType('CommercePolicy.ProductPolicyUpdate')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ParameterSetName = 'Baseline', ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path,

        [Parameter(Mandatory = $true, ParameterSetName = 'SavedPlan')]
        [ValidateNotNullOrEmpty()]
        [string]
        $PlanPath,

        [Parameter(ParameterSetName = 'Baseline')]
        [switch]
        $AllowUnknownProducts,

        [Parameter()]
        [ValidateRange(1, 256)]
        [int]
        $Concurrency
    )

    process {
        $target = $Path
        $action = 'Change every product that differs from the baseline'
        if ($PSCmdlet.ParameterSetName -eq 'SavedPlan') {
            $target = $PlanPath
            $action = 'Carry out the saved plan'
        }

        if ($WhatIfPreference) {
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Invoke-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $target -Preview
            return
        }
        if (-not $PSCmdlet.ShouldProcess($target, $action)) {
            return
        }
        $script:CompletionCache = @{}
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Invoke-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $target
    }
}
