# Export-CommerceSelfServiceUser: see its help below.

function Export-CommerceSelfServiceUser {
    <#
    .SYNOPSIS
    Exports the users holding licenses of subscriptions: as objects, or as a CSV file a
    spreadsheet opens correctly.

    .DESCRIPTION
    Subscriptions can be piped in (their SubscriptionId binds by property name, as the output of
    Get-CommerceSelfServiceSubscription); the cmdlet collects them and calls the binary once, with
    every id on its standard input (commerce-policy licenses export --subscription -).

    Without -Path it prints one CommercePolicy.LicenseHolder object per license holder:
    UserPrincipalName, DisplayName, Mail, ProductId, ProductName, SubscriptionId, Purchaser.
    With -Path the binary writes the CSV file itself (--out, --output csv): UTF-8 with a byte
    order mark, quoted cells, names with commas and non-ASCII letters kept, a cell that could run
    as a formula made harmless, the file replaced whole or not at all; nothing is printed.

    .PARAMETER SubscriptionId
    One or more subscriptions. Tab completion lists the active subscriptions.

    .PARAMETER Path
    The CSV file to write. Relative paths are relative to the current PowerShell location.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -SelfService | Export-CommerceSelfServiceUser -Path ./self-service-users.csv

    Every self-service user in one file, for Excel, in one call of the binary.

    .EXAMPLE
    Export-CommerceSelfServiceUser -SubscriptionId 0bf9c874-07a6-45b6-9b83-81244c776510 | Where-Object Mail -eq $null

    The holders of one subscription who have no mail address.

    .OUTPUTS
    CommercePolicy.LicenseHolder

    .NOTES
    Binary: commerce-policy licenses export --subscription - [--out <file> --output csv] --output json

    .LINK
    Get-CommerceSelfServiceSubscription
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.LicenseHolder')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $SubscriptionId,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    begin {
        $ids = New-Object System.Collections.Generic.List[string]
    }

    process {
        $ids.AddRange([string[]] $SubscriptionId)
    }

    end {
        if ($ids.Count -eq 0) {
            return
        }
        $parameters = @{ SubscriptionId = $ids.ToArray() }
        foreach ($name in @('Path', 'As')) {
            if ($PSBoundParameters.ContainsKey($name)) {
                $parameters[$name] = $PSBoundParameters[$name]
            }
        }
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Export-CommerceSelfServiceUser' -Parameters $parameters -TargetObject $Path
    }
}
