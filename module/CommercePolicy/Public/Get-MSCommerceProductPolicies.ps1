# Get-MSCommerceProductPolicies: see its help below.

function Get-MSCommerceProductPolicies {
    <#
    .SYNOPSIS
    Lists a policy's value for every product, or for every offer type.

    .DESCRIPTION
    With the default scope (product) it prints CommercePolicy.ProductPolicy objects with
    MSCommerce's properties PolicyId, PolicyValue, ProductName and ProductId. With -Scope
    OfferType it prints CommercePolicy.ScopePolicy objects with PolicyId, PolicyValue, Scope,
    ScopeId and ScopeValue. The objects can be piped into Update-MSCommerceProductPolicy.

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase.

    .PARAMETER Scope
    'product' (the default) or 'OfferType' for third-party offer types.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase -Scope OfferType

    .EXAMPLE
    $product = Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object { $_.ProductName -match 'Power Automate per user' }

    Finds a product by name, as in Microsoft's documentation; $product.ProductID works too.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object PolicyValue -eq Enabled | Update-MSCommerceProductPolicy -Value Disabled

    Disables every product that is enabled, in one call of the binary.

    .OUTPUTS
    CommercePolicy.ProductPolicy, CommercePolicy.ScopePolicy

    .NOTES
    Binary: commerce-policy product-policies list --policy-id <id> [--scope <scope>] --output json

    .LINK
    Update-MSCommerceProductPolicy
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.ProductPolicy', 'CommercePolicy.ScopePolicy')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter()]
        [string]
        $Scope,

        [Parameter()]
        [string]
        $Token
    )

    process {
        $parameters = @{ PolicyId = $PolicyId }
        # MSCommerce treats an empty -Scope as the default scope.
        if (-not [string]::IsNullOrWhiteSpace($Scope)) {
            $parameters.Scope = $Scope
        }
        if ($PSBoundParameters.ContainsKey('Token')) {
            $parameters.Token = $Token
        }
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommerceProductPolicies' -Parameters $parameters -TargetObject $PolicyId
    }
}
