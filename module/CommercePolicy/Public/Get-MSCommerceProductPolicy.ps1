# Get-MSCommerceProductPolicy: see its help below.

function Get-MSCommerceProductPolicy {
    <#
    .SYNOPSIS
    Reads a policy's value for one product or one offer type.

    .DESCRIPTION
    With -ProductId it prints a CommercePolicy.ProductPolicy object (PolicyId, PolicyValue,
    ProductName, ProductId); former product ids are accepted and answered with the current one.
    With -OfferType it prints a CommercePolicy.ScopePolicy object (PolicyId, PolicyValue, Scope,
    ScopeId, ScopeValue).

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase.

    .PARAMETER ProductId
    The product, like CFQ7TTC0H9MP. Tab completion lists the products with their names as
    tooltips, and also matches on the name.

    .PARAMETER OfferType
    The offer type, like SaaS, POWERBIVISUALS, DYNAMICSCE or DYNAMICSBC.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N

    .EXAMPLE
    Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS

    .OUTPUTS
    CommercePolicy.ProductPolicy, CommercePolicy.ScopePolicy

    .NOTES
    Binary: commerce-policy product-policies get --policy-id <id> (--product-id <id> | --offer-type <type>) --output json

    .LINK
    Get-MSCommerceProductPolicies
    #>
    [CmdletBinding(DefaultParameterSetName = 'Product')]
    [OutputType('CommercePolicy.ProductPolicy', 'CommercePolicy.ScopePolicy')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter(Mandatory = $true, ParameterSetName = 'Product', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ProductId,

        [Parameter(Mandatory = $true, ParameterSetName = 'OfferType')]
        [ValidateNotNullOrEmpty()]
        [string]
        $OfferType,

        [Parameter()]
        [string]
        $Token
    )

    process {
        $target = $ProductId
        if ($PSCmdlet.ParameterSetName -eq 'OfferType') {
            $target = $OfferType
        }
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommerceProductPolicy' -Parameters $PSBoundParameters -TargetObject $target
    }
}
