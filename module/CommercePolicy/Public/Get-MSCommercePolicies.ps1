# Get-MSCommercePolicies: see its help below.

function Get-MSCommercePolicies {
    <#
    .SYNOPSIS
    Lists the commerce policies, such as AllowSelfServicePurchase.

    .DESCRIPTION
    Prints one CommercePolicy.Policy object per policy, with MSCommerce's properties PolicyId,
    Description and DefaultValue.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce. Passed
    to the binary in the COMMERCE_POLICY_ACCESS_TOKEN environment variable.

    .EXAMPLE
    Get-MSCommercePolicies

    .EXAMPLE
    Get-MSCommercePolicies | Get-MSCommerceProductPolicies

    Lists every product of every policy.

    .OUTPUTS
    CommercePolicy.Policy

    .NOTES
    Binary: commerce-policy policies list --output json

    .LINK
    Get-MSCommercePolicy
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.Policy')]
    param(
        [Parameter()]
        [string]
        $Token
    )

    Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommercePolicies' -Parameters $PSBoundParameters
}
