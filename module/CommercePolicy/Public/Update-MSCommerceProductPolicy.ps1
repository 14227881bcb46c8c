# Update-MSCommerceProductPolicy: see its help below.

function Update-MSCommerceProductPolicy {
    <#
    .SYNOPSIS
    Changes a policy's value for products or for an offer type.

    .DESCRIPTION
    Sets the policy to Enabled, Disabled or OnlyTrialsWithoutPaymentMethod (-Value), or to
    Enabled or Disabled (-Enabled $true / $false, also 'True' / 'False').

    Products can be piped in: objects with PolicyId and ProductId properties, such as the output
    of Get-MSCommerceProductPolicies, bind by property name. The cmdlet collects them and calls
    the binary once, with every product id on its standard input; the binary changes them
    concurrently, with retries. -ProductId also takes several ids.

    -WhatIf asks the binary what would change (commerce-policy product-policies update
    --what-if) and shows each product that would change, with its current and wanted value (the
    products already at that value get no line), changing nothing; a value the
    binary knows the service would refuse (OnlyTrialsWithoutPaymentMethod for a product without
    such a trial) is an InvalidArgument error record instead of a "What if:" line. -Confirm asks
    per product. Each product that could not be changed is a separate error record, with the
    category of its failure (ObjectNotFound, InvalidArgument, PermissionDenied, ...); the others
    are changed and printed.

    Prints one CommercePolicy.ProductPolicyUpdate object per product: ProductName, ProductId,
    PolicyId, PolicyValue (the value now), PreviousValue, Status (Updated or Unchanged) and
    CorrelationId. For an offer type it prints a CommercePolicy.ScopePolicyUpdate object: Scope,
    ScopeId, ScopeValue, PreviousValue, PolicyValue, Status, PolicyId and CorrelationId.

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase.

    .PARAMETER ProductId
    One or more products, like CFQ7TTC0H9MP. Tab completion lists the products with their names
    as tooltips. Several ids from one expression (-ProductId $products.ProductId) are all
    changed, with a warning: MSCommerce failed there.

    .PARAMETER OfferType
    An offer type, like SaaS. Offer types can be piped in too: the ScopeId of the objects of
    Get-MSCommerceProductPolicies -Scope OfferType binds to it.

    .PARAMETER Enabled
    $true (or 'True') for Enabled, $false (or 'False') for Disabled. Any other value is an
    InvalidArgument error record for that call, and the cmdlet goes on, as MSCommerce did.

    .PARAMETER Value
    Enabled, Disabled, or OnlyTrialsWithoutPaymentMethod (only for products that offer trials).

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Value "Disabled"

    .EXAMPLE
    Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Enabled $false

    .EXAMPLE
    Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS -Value "Disabled"

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object PolicyValue -eq Enabled | Update-MSCommerceProductPolicy -Value Disabled

    Disables every enabled product with one call of the binary.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase -Scope OfferType | Update-MSCommerceProductPolicy -Enabled $false

    Disables every offer type: their ScopeId binds to -OfferType.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Update-MSCommerceProductPolicy -Value Disabled -WhatIf

    Shows, per product that would change, its current value and the wanted one; changes nothing.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | ForEach-Object { Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $_.ProductID -Enabled $false }

    The loop that existing MSCommerce scripts use; it works unchanged (one call per product).

    .OUTPUTS
    CommercePolicy.ProductPolicyUpdate, CommercePolicy.ScopePolicyUpdate

    .NOTES
    Binary: commerce-policy product-policies update --policy-id <id> (--product-id - | --offer-type <type>) (--enabled <bool> | --value <value>) [--what-if] --output json

    .LINK
    Get-MSCommerceProductPolicies
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', DefaultParameterSetName = 'ProductEnum')]
    [OutputType('CommercePolicy.ProductPolicyUpdate', 'CommercePolicy.ScopePolicyUpdate')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter(Mandatory = $true, ParameterSetName = 'ProductToggle', ValueFromPipelineByPropertyName = $true)]
        [Parameter(Mandatory = $true, ParameterSetName = 'ProductEnum', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $ProductId,

        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeToggle', ValueFromPipelineByPropertyName = $true)]
        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeEnum', ValueFromPipelineByPropertyName = $true)]
        [Alias('ScopeId')]
        [string]
        $OfferType,

        [Parameter(Mandatory = $true, ParameterSetName = 'ProductToggle')]
        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeToggle')]
        [string]
        $Enabled,

        [Parameter(Mandatory = $true, ParameterSetName = 'ProductEnum')]
        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeEnum')]
        [ValidateSet('Enabled', 'Disabled', 'OnlyTrialsWithoutPaymentMethod')]
        [string]
        $Value,

        [Parameter()]
        [string]
        $Token
    )

    begin {
        # One batch per policy and target kind, in order: all products piped for a policy go in
        # one call of the binary; each offer type in a call of its own.
        $batches = New-Object System.Collections.Generic.List[hashtable]
        $productBatches = @{}
    }

    process {
        # MSCommerce wrote a bad -Enabled as an error and went on: so does this cmdlet.
        $wanted = ConvertTo-CommercePolicyWantedValue -Cmdlet $PSCmdlet -BoundParameters $PSBoundParameters -Value $Value -Enabled $Enabled
        if ($null -eq $wanted) {
            return
        }
        if ($PSCmdlet.ParameterSetName -like 'OfferType*') {
            $batches.Add(@{ PolicyId = $PolicyId; Target = 'OfferType'; Ids = @($OfferType); Wanted = $wanted; Bound = $PSBoundParameters })
            return
        }
        $ids = @($ProductId)
        if ($ids.Count -gt 1) {
            Write-Warning ('-ProductId received {0} product ids from one expression ({1}): MSCommerce failed on that, this cmdlet changes every one of them.' -f $ids.Count, ($ids -join ', '))
        }
        $key = '{0}|{1}' -f $PolicyId, $wanted
        if (-not $productBatches.ContainsKey($key)) {
            $productBatches[$key] = @{ PolicyId = $PolicyId; Target = 'ProductId'; Ids = (New-Object System.Collections.Generic.List[string]); Wanted = $wanted; Bound = $PSBoundParameters }
            $batches.Add($productBatches[$key])
        }
        foreach ($id in $ids) {
            $productBatches[$key].Ids.Add($id)
        }
    }

    end {
        foreach ($batch in $batches) {
            $parameters = @{ PolicyId = $batch.PolicyId; Value = $batch.Wanted }
            if ($batch.Bound.ContainsKey('Token')) {
                $parameters.Token = $batch.Bound['Token']
            }
            $ids = @($batch.Ids)
            if ($WhatIfPreference) {
                # The binary reads the current values and says what would change; each product
                # that would change gets its own "What if:" line, or an error record when the
                # binary knows the service would refuse the value; nothing is changed.
                $parameters[$batch.Target] = $ids
                Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Update-MSCommerceProductPolicy' -Parameters $parameters -TargetObject $batch.PolicyId -Preview
                continue
            }

            $approved = New-Object System.Collections.Generic.List[string]
            foreach ($id in $ids) {
                if ($PSCmdlet.ShouldProcess($id, ('Set {0} to {1}' -f $batch.PolicyId, $batch.Wanted))) {
                    $approved.Add($id)
                }
            }
            if ($approved.Count -eq 0) {
                continue
            }
            $parameters[$batch.Target] = $approved.ToArray()
            $script:CompletionCache = @{}
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Update-MSCommerceProductPolicy' -Parameters $parameters -TargetObject $batch.PolicyId
        }
    }
}
