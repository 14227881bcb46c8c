# Add-CommerceLicenseAssignment: see its help below.

function Add-CommerceLicenseAssignment {
    <#
    .SYNOPSIS
    Gives users licenses of a subscription.

    .DESCRIPTION
    Runs commerce-policy licenses assign: gives each user a license of the subscription. Users can be piped in (UserPrincipalName by
    property name, as the output of Get-CommerceUser), and so can SubscriptionId; the cmdlet
    collects them and calls the binary once per subscription, with every user. An admin cannot
    change the licenses of a subscription a user bought until it is taken over: a
    PermissionDenied error says so; its purchaser can (-As). Prints the subscription afterwards,
    as a CommercePolicy.Subscription object. -WhatIf is PowerShell's own "What if:" line per user
    and changes nothing; -Confirm asks per user.

    .PARAMETER SubscriptionId
    The subscription. Tab completion lists the active subscriptions.

    .PARAMETER UserPrincipalName
    One or more users (principal names).

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Add-CommerceLicenseAssignment -SubscriptionId 9f71f396-9f16-4449-a978-e591a0d7511e -UserPrincipalName ann@contoso.com, bob@contoso.com

    .EXAMPLE
    Get-CommerceUser | Where-Object UserPrincipalName -like '*@sales.contoso.com' | Add-CommerceLicenseAssignment -SubscriptionId 9f71f396-9f16-4449-a978-e591a0d7511e

    Licenses every user of a department in one call of the binary.

    .OUTPUTS
    CommercePolicy.Subscription

    .NOTES
    Binary: commerce-policy licenses assign --subscription <sub> --user <upn>... [--as <upn>] --output json

    .LINK
    Get-CommerceSelfServiceLicense
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType('CommercePolicy.Subscription')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $SubscriptionId,

        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $UserPrincipalName,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    begin {
        $batches = Initialize-CommercePolicyLicenseBatch
    }

    process {
        Add-CommercePolicyLicenseBatch -Cmdlet $PSCmdlet -Batches $batches -SubscriptionId $SubscriptionId -User $UserPrincipalName -Action 'Assign a license to this user'
    }

    end {
        Invoke-CommercePolicyLicenseBatch -Cmdlet $PSCmdlet -CommandName 'Add-CommerceLicenseAssignment' -Batches $batches -BoundParameters $PSBoundParameters
    }
}
