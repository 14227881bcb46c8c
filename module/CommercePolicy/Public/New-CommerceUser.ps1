# New-CommerceUser: see its help below.

function New-CommerceUser {
    <#
    .SYNOPSIS
    Adds a user to the service's directory (the emulator's tenant).

    .DESCRIPTION
    Runs commerce-policy users add. Objects with UserPrincipalName (or upn), DisplayName and Mail
    properties bind by property name, so Import-Csv output can be piped in (one call per user;
    Import-CommerceUser adds a whole file in one go, all or none). Prints the new user as a
    CommercePolicy.User object. -WhatIf is PowerShell's own "What if:" line and adds nobody.

    .PARAMETER UserPrincipalName
    The user's principal name, like ann@contoso.com.

    .PARAMETER DisplayName
    The user's name as people read it.

    .PARAMETER Mail
    Where mails to the user go; a purchaser without one gets no mail.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    New-CommerceUser -UserPrincipalName ann@contoso.com -DisplayName 'Ann Smith' -Mail ann@contoso.com

    .OUTPUTS
    CommercePolicy.User

    .NOTES
    Binary: commerce-policy users add --upn <upn> --display-name <name> [--mail <address>] --output json

    .LINK
    Import-CommerceUser
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType('CommercePolicy.User')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Upn')]
        [ValidateNotNullOrEmpty()]
        [string]
        $UserPrincipalName,

        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $DisplayName,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string]
        $Mail,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        $parameters = Copy-CommercePolicyParameter -Parameters $PSBoundParameters
        if ([string]::IsNullOrEmpty($Mail)) {
            # An empty Mail column of a CSV file means no mail address.
            $parameters.Remove('Mail')
        }
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'New-CommerceUser' -Parameters $parameters -Target $UserPrincipalName -Action 'Add the user to the directory'
    }
}
