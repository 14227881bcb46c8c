# Get-CommerceNotification: see its help below.

function Get-CommerceNotification {
    <#
    .SYNOPSIS
    Lists the mails to purchasers, with their delivery state.

    .DESCRIPTION
    Runs commerce-policy notifications list: the service's mail outbox (a take-over, a
    cancellation and a centralization each mail the purchaser). Prints CommercePolicy.Notification
    objects: NotificationId, Kind (Moved, Cancelled, AskedToCancel), Recipient, Subject, State
    (Pending until an SMTP server accepted it, then Delivered), Attempts, SubscriptionId, Created
    and Delivered ([System.DateTimeOffset]), and Body.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Get-CommerceNotification | Where-Object State -ne Delivered

    The mails still waiting for delivery.

    .OUTPUTS
    CommercePolicy.Notification

    .NOTES
    Binary: commerce-policy notifications list --output json

    .LINK
    Move-CommerceSelfServiceUser
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.Notification')]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-CommerceNotification' -Parameters $PSBoundParameters
}
