# Get-CommerceUser: see its help below.

function Get-CommerceUser {
    <#
    .SYNOPSIS
    Lists the users of the service's directory (the emulator's tenant).

    .DESCRIPTION
    Runs commerce-policy users list. Prints CommercePolicy.User objects: UserPrincipalName,
    DisplayName, Mail and Id (the object id, a GUID). They pipe into
    Add-CommerceLicenseAssignment and Remove-CommerceLicenseAssignment (UserPrincipalName).

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Get-CommerceUser

    .EXAMPLE
    Get-CommerceUser | Where-Object Mail -eq $null

    The users who get no mail, such as purchasers who would not hear of a take-over.

    .OUTPUTS
    CommercePolicy.User

    .NOTES
    Binary: commerce-policy users list --output json

    .LINK
    New-CommerceUser
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.User')]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-CommerceUser' -Parameters $PSBoundParameters
}
