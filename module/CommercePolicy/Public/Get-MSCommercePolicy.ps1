# Get-MSCommercePolicy: see its help below.

function Get-MSCommercePolicy {
    <#
    .SYNOPSIS
    Reads one commerce policy.

    .DESCRIPTION
    Prints a CommercePolicy.Policy object (PolicyId, Description, DefaultValue). A policy the
    service does not know is an ObjectNotFound error.

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase. Tab completion lists the service's policies.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Get-MSCommercePolicy -PolicyId AllowSelfServicePurchase

    .EXAMPLE
    Get-MSCommercePolicy -PolicyId NoSuchPolicy -ErrorAction Stop

    Stops with an ObjectNotFound error whose message is the binary's one line, with the
    correlation id of the request.

    .OUTPUTS
    CommercePolicy.Policy

    .NOTES
    Binary: commerce-policy policies get <policy-id> --output json

    .LINK
    Get-MSCommercePolicies
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.Policy')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter()]
        [string]
        $Token
    )

    process {
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommercePolicy' -Parameters $PSBoundParameters -TargetObject $PolicyId
    }
}
