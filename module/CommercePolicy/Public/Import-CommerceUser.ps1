# Import-CommerceUser: see its help below.

function Import-CommerceUser {
    <#
    .SYNOPSIS
    Adds the users of a CSV file to the service's directory, all or none.

    .DESCRIPTION
    Runs commerce-policy users import: a header row with upn,displayName,mail (or
    UserPrincipalName,DisplayName,Mail, in any order and case; other columns are ignored, so an
    export imports as it is), UTF-8 or UTF-16 (what Windows PowerShell's Export-Csv writes). Every
    row is checked first: one bad row is an InvalidArgument error naming its line, and nobody is
    imported. Prints the users added, as CommercePolicy.User objects. -WhatIf is PowerShell's own
    "What if:" line and imports nothing.

    .PARAMETER Path
    The CSV file (position 0; pipeline by property name, alias FullName). Relative paths are
    relative to the current PowerShell location.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Import-CommerceUser -Path ./users.csv

    .EXAMPLE
    Get-ChildItem ./directory -Filter *.csv | Import-CommerceUser

    .OUTPUTS
    CommercePolicy.User

    .NOTES
    Binary: commerce-policy users import <file> --output json

    .LINK
    New-CommerceUser
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType('CommercePolicy.User')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'Import-CommerceUser' -Parameters $PSBoundParameters -Target $Path -Action 'Add every user of the file to the directory'
    }
}
